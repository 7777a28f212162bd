/* media.c -- /stream connections: frame reassembly, outbound queue, timers, the API.
 *
 * Message semantics live in media_msg.c; this file is the transport side. A connection
 * reassembles fragments into one growing buffer capped at TW_MAX_MESSAGE (a media message
 * is ~300 bytes, so the buffer starts small and is released after an unusually large
 * message), closes with 1009 above the cap, and drains its outbound queue one frame per
 * writable callback. media_tick() runs from the server's timer: inactivity (408), then the
 * dialect's own timer work (Voice Verify's keep-alive ping, Twilio's idle close). Complete
 * messages go to media_msg.c; what differs between the dialects is media_dialect.c's.
 */
#include "ingest/media_int.h"

#include "common/list.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define RX_INITIAL 1024
/* Messages that arrive in several callbacks (bigger than the lws rx buffer, or fragmented)
 * are put together in c->rx, which is freed after each such message: a media frame arrives
 * whole and is parsed in place, so a call holds no reassembly buffer between messages. */
#define MEDIA_WRITE_CLOSE ((enum lws_write_protocol)4) /* lws private: LWS_WRITE_CLOSE */
#define MEDIA_CLOSE_ACK_S 3 /* a client that does not answer our close is dropped after */

media_ctx *media_new(uv_loop_t *loop, registry *reg, const config *cfg)
{
    media_ctx *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->loop = loop;
    m->reg = reg;
    m->cfg = cfg;
    return m;
}

void media_free(media_ctx *m)
{
    free(m);
}

uint64_t media_now(const media_ctx *m)
{
    return uv_now(m->loop);
}

size_t media_conn_count(const media_ctx *m)
{
    size_t n = 0;
    for (const media_conn *c = m->conns; c; c = c->next)
        n++;
    return n;
}

const media_stats *media_get_stats(const media_ctx *m)
{
    return &m->stats;
}

media_conn *media_conn_open(media_ctx *m, struct lws *wsi, stream_dialect dialect)
{
    media_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->m = m;
    c->wsi = wsi;
    c->id = ++m->next_conn_id;
    c->dialect = dialect;
    c->d = media_dialect_of(dialect);
    outq_init(&c->q, (size_t)m->cfg->outq_max_frames, LWS_PRE);
    c->last_msg_ms = media_now(m);
    c->next_ping_ms = c->last_msg_ms + (uint64_t)m->cfg->ping_interval_ms;
    LIST_PUSH(m->conns, c);
    m->stats.connections++;
    char id[24], peer[64] = "";
    snprintf(id, sizeof id, "%llu", (unsigned long long)c->id);
    lws_get_peer_simple(wsi, peer, sizeof peer);
    log_write(LOG_INFO, NULL, NULL,
              LOG_KV("conn", id, "dialect", stream_dialect_name(dialect), "peer", peer),
              "media connection opened");
    return c;
}

void media_conn_closed(media_conn *c)
{
    media_ctx *m = c->m;
    while (c->streams)
        media_stream_end(c, c->streams, STREAM_END_CLOSED);
    LIST_UNLINK(m->conns, c);
    outq_clear(&c->q);
    free(c->rx);
    char id[24];
    snprintf(id, sizeof id, "%llu", (unsigned long long)c->id);
    log_write(LOG_INFO, NULL, NULL, LOG_KV("conn", id), "media connection closed");
    free(c);
}

int media_conn_send(media_conn *c, const char *text, int len)
{
    if (len < 0 || c->closing || outq_push(&c->q, text, (size_t)len) != 0) {
        c->m->stats.replies_dropped++;
        return -1;
    }
    lws_callback_on_writable(c->wsi);
    return 0;
}

static int rx_append(media_conn *c, const void *in, size_t len)
{
    if (c->rx_len + len > TW_MAX_MESSAGE)
        return -1;
    if (c->rx_len + len > c->rx_cap) {
        size_t cap = c->rx_cap ? c->rx_cap : RX_INITIAL;
        while (cap < c->rx_len + len)
            cap *= 2;
        char *p = realloc(c->rx, cap);
        if (!p)
            return -1;
        c->rx = p;
        c->rx_cap = cap;
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    return 0;
}

void media_conn_close(media_conn *c, int code, const char *reason)
{
    c->closing = true;
    c->close_code = code;
    c->close_reason = reason;
    lws_callback_on_writable(c->wsi);
}

/* Over TW_MAX_MESSAGE: the connection cannot resynchronise with the client, so it closes
 * with 1009. A Voice Verify client is told first (413), Twilio only gets the close. */
static int rx_oversize(media_conn *c, size_t bytes)
{
    c->m->stats.oversize++;
    c->m->stats.decode_errors[TW_ERR_TOO_LARGE]++;
    char id[24], sz[24];
    snprintf(id, sizeof id, "%llu", (unsigned long long)c->id);
    snprintf(sz, sizeof sz, "%zu", bytes);
    log_write(LOG_WARN, c->streams ? c->streams->uuid : NULL, NULL, LOG_KV("conn", id, "bytes", sz),
              "message larger than %d bytes: closing the connection (1009)", TW_MAX_MESSAGE);
    c->rx_len = 0;
    return c->d->oversize(c);
}

int media_conn_receive(media_conn *c, const void *in, size_t len)
{
    struct lws *wsi = c->wsi;
    if (c->closing)
        return 0; /* draining the replies before the close; input is ignored */
    if (lws_is_first_fragment(wsi) && c->rx_len == 0)
        c->rx_binary = lws_frame_is_binary(wsi);
    bool whole = c->rx_len == 0 && lws_is_final_fragment(wsi) &&
                 lws_remaining_packet_payload(wsi) == 0;
    if (whole && len > TW_MAX_MESSAGE)
        return rx_oversize(c, len);
    if (!whole && rx_append(c, in, len) != 0)
        return rx_oversize(c, c->rx_len + len);
    if (!whole && (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0))
        return 0;
    c->last_msg_ms = media_now(c->m);
    c->m->stats.messages++;
    if (c->rx_binary) {
        c->m->stats.bad_messages++;
        c->m->stats.decode_errors[MEDIA_DECODE_BINARY]++;
        media_reply(c, NULL, "", "", "media", 400, "Binary frames are not accepted.");
        log_write(LOG_WARN, NULL, NULL, NULL, 0, "binary frame ignored on /stream");
    } else {
        media_msg_handle(c, whole ? in : c->rx, whole ? len : c->rx_len);
    }
    c->rx_len = 0;
    free(c->rx);
    c->rx = NULL;
    c->rx_cap = 0;
    return 0; /* a close requested by the message happens in the writable callback */
}

int media_conn_writable(media_conn *c)
{
    outq_frame *f = outq_peek(&c->q);
    if (f) {
        int n = lws_write(c->wsi, outq_payload(&c->q, f), f->len, LWS_WRITE_TEXT);
        if (n < (int)f->len)
            return -1;
        outq_pop(&c->q);
        /* Close in a later callback: the frame just written must leave first. */
        if (outq_peek(&c->q) || c->closing)
            lws_callback_on_writable(c->wsi);
        return 0;
    }
    if (c->closing) {
        /* lws 4.1 marks the socket unusable when a WRITEABLE callback returns -1, so
         * lws_close_reason() would never reach the client: the close frame is written here
         * (opcode 4, lws's private LWS_WRITE_CLOSE) before the callback ends the socket. */
        const char *why = c->close_reason ? c->close_reason : "bye";
        unsigned char frame[LWS_PRE + 2 + 64];
        size_t wl = strlen(why) < 64 ? strlen(why) : 64;
        frame[LWS_PRE] = (unsigned char)(c->close_code >> 8);
        frame[LWS_PRE + 1] = (unsigned char)(c->close_code & 0xff);
        memcpy(frame + LWS_PRE + 2, why, wl);
        lws_write(c->wsi, frame + LWS_PRE, 2 + wl, MEDIA_WRITE_CLOSE);
        /* Wait for the client's close (input is ignored meanwhile) instead of closing now:
         * closing a socket with the client's media still unread sends a TCP reset, which
         * can destroy the last replies and the close frame before the client reads them. */
        if (!c->close_sent) {
            c->close_sent = true;
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_ACK, MEDIA_CLOSE_ACK_S);
            return 0;
        }
        return -1;
    }
    return 0;
}

static void tick_conn(media_ctx *m, media_conn *c, uint64_t now)
{
    const uint64_t timeout = (uint64_t)m->cfg->stream_timeout_ms;
    stream *s = c->streams;
    while (s) {
        stream *next = s->conn_next;
        if (now - s->last_msg_ms >= timeout) {
            m->stats.timeouts++;
            media_reply(c, s, NULL, NULL, "media", 408, vv_status_msg(408));
            media_stream_end(c, s, STREAM_END_TIMEOUT);
        }
        s = next;
    }
    c->d->tick(c, now);
}

void media_tick(media_ctx *m)
{
    uint64_t now = media_now(m);
    for (media_conn *c = m->conns; c; c = c->next)
        tick_conn(m, c, now);
}

void media_shutdown(media_ctx *m)
{
    for (media_conn *c = m->conns; c; c = c->next) {
        while (c->streams) { /* Voice Verify: the stream is no longer served */
            media_reply(c, c->streams, NULL, NULL, "media", 503, vv_status_msg(503));
            media_stream_end(c, c->streams, STREAM_END_SHUTDOWN);
        }
        media_conn_close(c, LWS_CLOSE_STATUS_GOINGAWAY, "server shutting down");
    }
}

/* ---- Bidirectional API ---- */

static media_conn *conn_of(stream *s)
{
    media_conn *c = s->conn;
    return c && !c->closing ? c : NULL;
}

int media_send_audio(stream *s, const uint8_t *g711, size_t n)
{
    media_conn *c = conn_of(s);
    if (!c || n == 0 || n > TW_MAX_MESSAGE / 2)
        return -1;
    int len = tw_build_media(c->m->out, sizeof c->m->out, s->stream_sid, g711, n);
    if (media_conn_send(c, c->m->out, len) != 0)
        return -1;
    s->media_sent++;
    return 0;
}

int media_send_mark(stream *s, const char *name)
{
    media_conn *c = conn_of(s);
    if (!c || !name || !*name || strlen(name) >= TW_NAME_MAX || !stream_mark_add(s, name))
        return -1;
    int len = tw_build_mark(c->m->out, sizeof c->m->out, s->stream_sid, name);
    if (media_conn_send(c, c->m->out, len) != 0) {
        stream_mark_remove(s, name);
        return -1;
    }
    s->marks_sent++;
    return 0;
}

int media_send_clear(stream *s)
{
    media_conn *c = conn_of(s);
    if (!c)
        return -1;
    int len = tw_build_clear(c->m->out, sizeof c->m->out, s->stream_sid);
    if (media_conn_send(c, c->m->out, len) != 0)
        return -1;
    s->clears_sent++;
    return 0;
}

void media_end_stream(stream *s, stream_end_reason why)
{
    media_conn *c = s->conn;
    if (!c)
        return; /* not a WebSocket stream: its owner ends it */
    media_reply(c, s, NULL, NULL, "stop", 204, vv_status_msg(204));
    media_stream_end(c, s, why);
}
