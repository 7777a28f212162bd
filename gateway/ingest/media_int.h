/* media_int.h -- internals shared by media.c (connections), media_msg.c (messages) and
 * media_dialect.c (what differs between the dialects). Not an interface: nothing outside the
 * media module includes it. Calls go one way: the connection hands complete messages to the
 * message code; both reach the client only through the connection's dialect table. */
#ifndef CALLPRINT_MEDIA_INT_H
#define CALLPRINT_MEDIA_INT_H

#include <uv.h>

#include <libwebsockets.h>

#include "ingest/media.h"
#include "ingest/outq.h"
#include "twilio.h"
#include "voiceverify.h"

/* Close codes for a refused Twilio stream: 4000 + the Voice Verify status (4403 no slot,
 * 4409 duplicate, 4423 maintenance, 4503 no capacity, 4400 invalid start). RFC 6455 leaves
 * 4000-4999 to applications; 1012-1014 would be refused by lws 4.1 clients as 1002. */
#define MEDIA_CLOSE_REFUSED_BASE 4000

struct media_ctx {
    uv_loop_t *loop;
    registry *reg;
    const config *cfg;
    media_conn *conns; /* doubly linked */
    media_stats stats;
    uint64_t next_conn_id;
    /* Scratch for the message being handled: one message at a time on the loop thread. */
    tw_msg msg;
    uint8_t payload[TW_MAX_MESSAGE];
    int16_t pcm[TW_MAX_MESSAGE];
    char out[TW_MAX_MESSAGE + 1024];
};

/* The dialect's part of handling a connection (media_dialect.c has one table per dialect). */
typedef struct media_dialect {
    /* An acknowledgement or error for a stream (sid, uuid) or the connection ("", ""):
     * Voice Verify's {id, uuid, event, msg, status}; nothing for Twilio. */
    void (*reply)(media_conn *c, const char *sid, const char *uuid, const char *event, int status,
                  const char *msg);
    /* The connected message: -1 when it must be refused (Voice Verify: not version 1.0.0),
     * else 0, after any acknowledgement. */
    int (*connected)(media_conn *c, const tw_msg *msg);
    /* Why the dialect refuses this start (a sentence for the 400), or NULL. */
    const char *(*start_invalid)(const tw_msg *msg, const char *sid);
    /* A start was refused with status, after its error reply. */
    void (*refused)(media_conn *c, int status);
    /* The connection's timer work, after its streams' inactivity checks. */
    void (*tick)(media_conn *c, uint64_t now);
    /* A message over TW_MAX_MESSAGE: what the receive callback returns (-1 closes at once). */
    int (*oversize)(media_conn *c);
} media_dialect;

const media_dialect *media_dialect_of(stream_dialect d);

struct media_conn {
    media_ctx *m;
    struct lws *wsi;
    uint64_t id;
    stream_dialect dialect;
    const media_dialect *d;
    char *rx; /* reassembly of a fragmented message */
    size_t rx_len, rx_cap;
    bool rx_binary;
    outq q;
    stream *streams; /* singly linked through stream.conn_next */
    int n_streams;
    bool connected_seen, closing, close_sent;
    int close_code; /* sent when closing (1000, 1009 oversize, 4xxx refused stream) */
    const char *close_reason; /* static text for the close frame */
    uint64_t last_msg_ms, next_ping_ms;
    uint64_t errors;
    media_conn *prev, *next;
};

uint64_t media_now(const media_ctx *m);
/* Close after the queued frames, with this WebSocket close code and static reason text. */
void media_conn_close(media_conn *c, int code, const char *reason);
/* Queue a text frame and ask for a writable callback. */
int media_conn_send(media_conn *c, const char *text, int len);
/* Reply event for a message whose event is unknown or unreadable: the reply schema only
 * knows the six Twilio events, and a stray frame on a stream is most likely media. */
const char *media_reply_event(const char *event);
/* Handle one complete text message. */
void media_msg_handle(media_conn *c, const char *buf, size_t len);
/* Unlink from its connection, tell the sinks, log the summary, free. */
void media_stream_end(media_conn *c, stream *s, stream_end_reason why);
/* The dialect's reply for a stream (or for sid/uuid when s is NULL); NULL c: nothing. */
void media_reply(media_conn *c, const stream *s, const char *sid, const char *uuid,
                 const char *event, int status, const char *msg);

#endif
