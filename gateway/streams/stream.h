/* stream.h -- one live media stream: identity, parameters, counters, timing checks.
 *
 * A stream is born from a `start` message and dies on `stop`, socket close, inactivity or
 * shutdown. This module is the stream's state and the bookkeeping done per message (counters,
 * gap and out-of-order detection from media.timestamp and media.chunk, DTMF digits, pending
 * marks); it does no I/O. The registry (registry.h) indexes streams; the WebSocket endpoint
 * (media.h) owns them through its connection.
 *
 * Gap detection, per track: a message of n bytes covers n/8 ms, so the next message is
 * expected at timestamp + n/8. A timestamp more than STREAM_GAP_TOLERANCE_MS past the
 * expected one is a gap (its length is added to gap_ms); a timestamp before the previous one,
 * or a chunk number not above the previous one, is out of order. Missing chunk numbers are
 * counted too. Audio is still delivered in arrival order: sinks see the timestamps.
 */
#ifndef CALLPRINT_STREAM_H
#define CALLPRINT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "streams/audio_sink.h"
#include "g711.h"
#include "twilio.h"

#define STREAM_UUID_LEN 36
#define STREAM_SESSION_ID_MAX 256 /* a session id from customParameters.session_id */
#define STREAM_GAP_TOLERANCE_MS 20
#define STREAM_SINKS_MAX 4
#define STREAM_MARKS_MAX 64 /* pending marks per stream (sent, not yet echoed) */
#define STREAM_DTMF_KEEP 64 /* digits kept (the count goes on) */

typedef enum { DIALECT_TWILIO = 0, DIALECT_VOICEVERIFY = 1 } stream_dialect;

typedef struct {
    uint64_t media;          /* media messages */
    uint64_t bytes;          /* decoded G.711 bytes = samples */
    uint64_t gaps;           /* timestamp jumps beyond the tolerance */
    uint64_t gap_ms;         /* total length of the gaps */
    uint64_t out_of_order;   /* timestamp or chunk going backwards */
    uint64_t chunks_missing; /* chunk numbers skipped */
    uint64_t last_chunk;
    uint64_t next_ts_ms; /* expected timestamp of the next message */
    bool seen;
} stream_track;

typedef struct stream {
    uint64_t id; /* process-unique serial, for logs and the registry */
    char uuid[STREAM_UUID_LEN + 1];
    char stream_sid[TW_SID_MAX];
    char call_sid[TW_SID_MAX];
    char account_sid[TW_SID_MAX];
    stream_dialect dialect;
    unsigned tracks; /* TW_TRACK_* bits announced in start */
    g711_law law;
    tw_param *params; /* customParameters, n_params entries (heap) */
    size_t n_params;
    /* Who opened it is known: a signed upgrade (X-Twilio-Signature), a valid call_token, or
     * an API token (HTTP streams). Zero-integration enrolment needs it (live_zero.c). */
    bool authenticated;

    uint64_t started_ms, last_msg_ms; /* loop time */
    uint64_t messages; /* every message for this stream, start and stop included */
    uint64_t errors;   /* bad messages attributed to this stream */
    stream_track track[2]; /* [0] inbound, [1] outbound */
    uint64_t dtmf_count;
    char dtmf[STREAM_DTMF_KEEP + 1];
    uint64_t marks_sent, marks_received, clears_sent, media_sent;
    char (*pending_marks)[TW_NAME_MAX]; /* heap, STREAM_MARKS_MAX entries when used */
    size_t n_pending;

    /* The call session (sessions.c sets it once resolved; "" before): on every log line. */
    char session_id[STREAM_SESSION_ID_MAX + 1];

    void *sink_state[STREAM_SINKS_MAX]; /* by the slot registry_add_sink gave each sink */
    /* The owner's way to end this stream (media.c for WebSocket streams; an HTTP stream's
     * owner sets its own): used by stream_end(), e.g. for a maintenance force-off. */
    void (*end_fn)(struct stream *s, stream_end_reason why);
    void *end_arg;              /* the owner's state for end_fn (HTTP streams) */
    void *conn;                 /* owning connection (media.c) */
    struct stream *conn_next;   /* list of the connection's streams */
    struct stream *reg_prev, *reg_next; /* registry list */
    struct stream *hnext[3];    /* registry hash chains: uuid, streamSid, callSid */
} stream;

/* Create a stream from a parsed start message. uuid: customParameters.uuid if the caller
 * validated it, else NULL to generate a UUID4. Returns NULL on allocation failure. */
stream *stream_new(const tw_msg *start, const char *uuid, stream_dialect dialect, uint64_t now_ms);
/* A stream that does not come from a start message (HTTP push streams): identity only,
 * inbound µ-law track. uuid NULL = generated; sids may be "". NULL on failure. */
stream *stream_create(const char *uuid, const char *stream_sid, const char *call_sid,
                      uint64_t now_ms);
void stream_free(stream *s);
/* End the stream through its owner (end_fn); no-op without one. s is freed by the owner. */
void stream_end(stream *s, stream_end_reason why);

const char *stream_param(const stream *s, const char *key);
/* The session id for log lines: NULL while unknown. */
static inline const char *stream_session_id(const stream *s)
{
    return s && s->session_id[0] ? s->session_id : NULL;
}

/* A sink's state on s (its slot from registry_add_sink): NULL without a stream or a slot. */
static inline void *stream_sink_state(const stream *s, int slot)
{
    return s && slot >= 0 ? s->sink_state[slot] : NULL;
}

/* Account for one media message of n bytes on `track` (TW_TRACK_*). Returns true when the
 * message opened a gap or arrived out of order (for logging). */
bool stream_account_media(stream *s, unsigned track, uint64_t chunk, uint64_t ts_ms, size_t n);
void stream_account_dtmf(stream *s, char digit);

/* Pending marks (bidirectional). add: false when the bounded list is full. remove: false
 * when the name was not pending. */
bool stream_mark_add(stream *s, const char *name);
bool stream_mark_remove(stream *s, const char *name);

/* Seconds of audio received on a track. */
double stream_seconds(const stream *s, unsigned track);

/* A random UUID4 (OpenSSL RAND_bytes) into out (>= 37 bytes). 0 or -1. */
int stream_uuid4(char out[STREAM_UUID_LEN + 1]);

const char *stream_dialect_name(stream_dialect d);

#endif
