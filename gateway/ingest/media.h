/* media.h -- the /stream WebSocket endpoint (Twilio media streams, two dialects).
 *
 * A media connection is one WebSocket on /stream. It carries one stream (Twilio) or several
 * keyed by streamSid (both dialects accept several, up to max_streams_per_conn). server.c
 * forwards the lws callbacks here; this module reassembles frames (64 KiB cap, 1009 close
 * above it), parses them with tw_parse, and drives the streams (media_msg.c). Everything
 * runs on the loop thread.
 *
 * Dialects (chosen at upgrade with `/stream?dialect=voiceverify`; default twilio):
 *   twilio      -- never sends anything the client did not ask for through the API below
 *                  (media, mark, clear). Errors are logged, not answered.
 *   voiceverify -- the Voice Verify manual: connected ack, start ack 201, stop ack 204, ping every
 *                  ping_interval_ms, 408 on inactivity, 409/423/403/503 on refused starts,
 *                  400/404 error replies for bad messages.
 *
 * Bidirectional API: media_send_* queue Twilio-format messages for a stream's client on the
 * connection's bounded outbound queue; they return -1 when the stream's connection is gone or
 * the queue is full. Pending marks are tracked on the stream (stream.h).
 */
#ifndef CALLPRINT_MEDIA_H
#define CALLPRINT_MEDIA_H

#include <uv.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "streams/registry.h"
#include "streams/stream.h"
#include "twilio.h"

typedef struct media_ctx media_ctx;
typedef struct media_conn media_conn;
struct lws;

/* Decode errors by kind: the tw_status of the failed parse (twilio.h; TW_ERR_TOO_LARGE also
 * counts frames over the reassembly cap), plus binary frames at MEDIA_DECODE_BINARY. */
#define MEDIA_DECODE_BINARY 0 /* slot of TW_OK, which is never an error */
#define MEDIA_DECODE_KINDS (TW_ERR_PAYLOAD_SIZE + 1)

typedef struct {
    uint64_t connections, messages, bad_messages, oversize, timeouts, replies_dropped;
    uint64_t media, media_bytes;      /* media messages and their decoded bytes (all tracks) */
    uint64_t gaps, gap_ms, out_of_order;
    uint64_t decode_errors[MEDIA_DECODE_KINDS];
} media_stats;

media_ctx *media_new(uv_loop_t *loop, registry *reg, const config *cfg);
/* All connections must be closed (media_conn_closed) before. */
void media_free(media_ctx *m);

/* ---- Called by server.c from the lws callback ---- */
media_conn *media_conn_open(media_ctx *m, struct lws *wsi, stream_dialect dialect);
/* Data of a (possibly partial) frame. Returns -1 to close the connection. */
int media_conn_receive(media_conn *c, const void *in, size_t len);
/* The socket is writable. Returns -1 to close the connection. */
int media_conn_writable(media_conn *c);
/* The socket closed: ends its streams (STREAM_END_CLOSED) and frees c. */
void media_conn_closed(media_conn *c);
/* Periodic: inactivity timeouts and pings. */
void media_tick(media_ctx *m);
/* Ends every stream (STREAM_END_SHUTDOWN) and asks every connection to close. */
void media_shutdown(media_ctx *m);

const media_stats *media_get_stats(const media_ctx *m);
/* Open /stream connections (also those closing). */
size_t media_conn_count(const media_ctx *m);

/* ---- Bidirectional API (Twilio semantics) ---- */
/* Send n bytes of G.711 (the stream's law) audio to the client. */
int media_send_audio(stream *s, const uint8_t *g711, size_t n);
/* Send a mark; it is pending until the client echoes it. */
int media_send_mark(stream *s, const char *name);
/* Ask the client to drop buffered audio; it then returns the pending marks. */
int media_send_clear(stream *s);
/* End a stream from the API (maintenance force-off). Voice Verify clients get a stop ack. */
void media_end_stream(stream *s, stream_end_reason why);

#endif
