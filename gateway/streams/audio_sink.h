/* audio_sink.h -- the consumer interface for the decoded audio of live streams.
 *
 * The stream endpoint decodes every inbound-track media message to 16-bit PCM and hands it
 * to the registered sinks, in arrival order, on the loop thread. A sink is a struct of
 * function pointers (the janus-gateway plugin pattern): the biometric worker pool
 * is one sink, the tests' PCM capture another. The gateway keeps no copy of the audio: the
 * `pcm` pointer is valid only during on_audio, so a sink that works on another thread copies
 * it into its own bounded queue and must never block the loop.
 *
 * Lifecycle per stream: on_start (may refuse: no capacity -> the client gets 503 in the Voice
 * Verify dialect), then any number of on_audio / on_dtmf / on_mark, then exactly one on_stop
 * (stop message, closed socket, inactivity, shutdown). `*state` is the sink's per-stream
 * cookie, handed back on every later call. Optional callbacks may be NULL.
 */
#ifndef CALLPRINT_AUDIO_SINK_H
#define CALLPRINT_AUDIO_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stream;

typedef enum {
    STREAM_END_STOP = 0, /* the client sent stop */
    STREAM_END_CLOSED,   /* the WebSocket closed */
    STREAM_END_TIMEOUT,  /* no message for stream_timeout_ms */
    STREAM_END_SHUTDOWN, /* the server is stopping */
    STREAM_END_FORCED,   /* ended through the API (maintenance force-off) */
} stream_end_reason;

typedef struct audio_sink {
    const char *name;
    void *ud;
    /* Return 0 to accept the stream, -1 to refuse it (no capacity). */
    int (*on_start)(void *ud, struct stream *s, void **state);
    /* n samples of 8 kHz mono PCM; timestamp_ms is media.timestamp of the message. */
    void (*on_audio)(void *ud, struct stream *s, void *state, const int16_t *pcm, size_t n,
                     uint64_t timestamp_ms);
    void (*on_dtmf)(void *ud, struct stream *s, void *state, char digit);
    /* The client echoed a mark (played, or returned after clear). */
    void (*on_mark)(void *ud, struct stream *s, void *state, const char *name);
    void (*on_stop)(void *ud, struct stream *s, void *state, stream_end_reason why);
    /* True while the sink still works for an ended stream of this uuid (final answers on
     * their way): a new stream may not take the uuid before, or it would receive them. */
    bool (*uuid_busy)(void *ud, const char *uuid);
} audio_sink;

const char *stream_end_reason_name(stream_end_reason why);

#endif
