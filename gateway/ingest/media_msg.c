/* media_msg.c -- what each /stream message does to the streams of its connection.
 *
 * One parsed message at a time (the parse scratch lives in media_ctx). Errors are attributed
 * to the stream named by the message when there is one, so a bad message counts against its
 * own stream and never ends another; Voice Verify clients get an error reply ({id, uuid,
 * event, msg, status}), Twilio clients get nothing (Twilio must never receive an unknown
 * message) and the error is logged with the stream id. Logging of repeated errors on one
 * connection is rate-limited (the first 20, then every 1000th) so a broken client cannot
 * flood the log.
 */
#include "ingest/media_int.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "twilio_sig.h"

#define LOG_ERRORS_FIRST 20
#define LOG_ERRORS_EVERY 1000

const char *media_reply_event(const char *event)
{
    static const char *const known[] = {"connected", "start", "media", "dtmf", "mark", "stop"};
    for (size_t i = 0; event && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(event, known[i]) == 0)
            return known[i];
    return "media";
}

static stream *conn_find(media_conn *c, const char *sid)
{
    for (stream *s = c->streams; s; s = s->conn_next)
        if (strcmp(s->stream_sid, sid) == 0)
            return s;
    return NULL;
}

void media_reply(media_conn *c, const stream *s, const char *sid, const char *uuid,
                 const char *event, int status, const char *msg)
{
    if (c)
        c->d->reply(c, s ? s->stream_sid : sid, s ? s->uuid : uuid, event, status, msg);
}

/* Log (rate-limited) and count an error; reply in the Voice Verify dialect, with the uuid the
 * refused start named ("uuid": "<uuid>" on every reply of the manual). */
static void msg_error_uuid(media_conn *c, stream *s, const char *sid, const char *uuid,
                           const char *event, int status, const char *what)
{
    c->errors++;
    c->m->stats.bad_messages++;
    if (s)
        s->errors++;
    media_reply(c, s, sid ? sid : "", uuid ? uuid : "", media_reply_event(event), status, what);
    if (c->errors > LOG_ERRORS_FIRST && c->errors % LOG_ERRORS_EVERY)
        return;
    char conn[24], st[8];
    snprintf(conn, sizeof conn, "%llu", (unsigned long long)c->id);
    snprintf(st, sizeof st, "%d", status);
    log_write(
        LOG_WARN, s ? s->uuid : NULL, stream_session_id(s),
        LOG_KV("conn", conn, "streamSid", sid && *sid ? sid : NULL, "event", event, "status", st),
        "message refused: %s", what);
}

static void msg_error(media_conn *c, stream *s, const char *sid, const char *event, int status,
                      const char *what)
{
    msg_error_uuid(c, s, sid, NULL, event, status, what);
}

static void on_connected(media_conn *c, const tw_msg *msg)
{
    c->connected_seen = true;
    if (c->d->connected(c, msg) != 0)
        msg_error(c, NULL, "", "connected", 400, "Only protocol version 1.0.0 is supported.");
}

static void log_stream(const stream *s, const char *what)
{
    const char *tracks = s->tracks == (TW_TRACK_INBOUND | TW_TRACK_OUTBOUND) ? "both"
                         : s->tracks == TW_TRACK_OUTBOUND                   ? "outbound"
                                                                            : "inbound";
    log_write(LOG_INFO, s->uuid, stream_session_id(s),
              LOG_KV("streamSid", s->stream_sid, "callSid", s->call_sid[0] ? s->call_sid : NULL,
                     "dialect", stream_dialect_name(s->dialect), "tracks", tracks, "encoding",
                     s->law == G711_ALAW ? "alaw" : "ulaw"),
              "%s", what);
}

/* The per-call token (twilio_sig.h): -1 when it must refuse the start (missing while
 * required, or present and wrong), else whether the stream is authenticated. Every upgrade
 * that got here was signed when a Twilio auth token is configured. */
static int start_authenticated(const media_ctx *m, const tw_msg *msg)
{
    const config *cfg = m->cfg;
    bool ok = cfg->twilio_auth_token[0] != '\0';
    if (!cfg->call_token_secret[0])
        return ok;
    const char *token = tw_param_get(msg, "call_token");
    bool valid = token && twsig_call_token_check(cfg->call_token_secret, msg->u.start.call_sid,
                                                 token);
    if (!valid && (token || cfg->require_call_token))
        return -1;
    return ok || valid;
}

static void on_start(media_conn *c, const tw_msg *msg)
{
    media_ctx *m = c->m;
    const char *sid = msg->stream_sid[0] ? msg->stream_sid : msg->u.start.stream_sid;
    const char *uuid = tw_param_get(msg, "uuid");
    const char *why = c->d->start_invalid(msg, sid);
    if (why) {
        msg_error_uuid(c, NULL, sid, uuid, "start", 400, why);
        c->d->refused(c, 400);
        return;
    }
    if (uuid && !tw_uuid4_valid(uuid)) { /* Twilio dialect: a free-form parameter */
        log_write(LOG_WARN, NULL, NULL, LOG_KV("streamSid", sid),
                  "customParameters.uuid is not a UUID4: ignored");
        uuid = NULL;
    }
    if (conn_find(c, sid)) {
        msg_error_uuid(c, NULL, sid, uuid, "start", 409, vv_status_msg(409));
        return;
    }
    if (c->n_streams >= m->cfg->max_streams_per_conn) { /* a stream slot, as the manual's 403 */
        msg_error_uuid(c, NULL, sid, uuid, "start", 403, vv_status_msg(403));
        return;
    }
    int authenticated = start_authenticated(m, msg);
    if (authenticated < 0) {
        msg_error(c, NULL, sid, "start", 403, "call_token missing or invalid.");
        c->d->refused(c, 403);
        return;
    }
    stream *s = stream_new(msg, uuid, c->dialect, media_now(m));
    if (s)
        s->authenticated = authenticated;
    if (!s) {
        msg_error_uuid(c, NULL, sid, uuid, "start", 500, vv_status_msg(500));
        c->d->refused(c, 500);
        return;
    }
    registry_status st = registry_admit(m->reg, s);
    if (st != REG_OK) {
        msg_error_uuid(c, NULL, sid, uuid, "start", (int)st, vv_status_msg((int)st));
        stream_free(s);
        c->d->refused(c, (int)st);
        return;
    }
    s->conn = c;
    s->end_fn = media_end_stream;
    s->conn_next = c->streams;
    c->streams = s;
    c->n_streams++;
    s->messages = 1;
    media_reply(c, s, NULL, NULL, "start", 201, vv_status_msg(201));
    log_stream(s, "stream started");
}

/* The stream a message is about, or an error (404 for Voice Verify) and NULL. */
static stream *msg_stream(media_conn *c, const tw_msg *msg)
{
    stream *s = conn_find(c, msg->stream_sid);
    if (s) {
        s->messages++;
        s->last_msg_ms = media_now(c->m);
        return s;
    }
    msg_error(c, NULL, msg->stream_sid, tw_event_name(msg->event), 404, vv_status_msg(404));
    return NULL;
}

static void on_media(media_conn *c, const tw_msg *msg)
{
    stream *s = msg_stream(c, msg);
    if (!s)
        return;
    media_ctx *m = c->m;
    unsigned track = msg->u.media.track;
    size_t n = msg->u.media.payload_len;
    const stream_track *t = &s->track[track == TW_TRACK_OUTBOUND ? 1 : 0];
    uint64_t gaps = t->gaps, gap_ms = t->gap_ms, ooo = t->out_of_order;
    bool anomaly = stream_account_media(s, track, msg->u.media.chunk, msg->u.media.timestamp_ms, n);
    m->stats.media++;
    m->stats.media_bytes += n;
    m->stats.gaps += t->gaps - gaps;
    m->stats.gap_ms += t->gap_ms - gap_ms;
    m->stats.out_of_order += t->out_of_order - ooo;
    if (anomaly && log_enabled(LOG_DEBUG)) {
        char ts[24];
        snprintf(ts, sizeof ts, "%llu", (unsigned long long)msg->u.media.timestamp_ms);
        log_write(LOG_DEBUG, s->uuid, stream_session_id(s), LOG_KV("timestamp", ts),
                  "media gap or out-of-order message");
    }
    if (track != TW_TRACK_INBOUND || n == 0)
        return; /* outbound audio is counted, not analysed */
    g711_decode(s->law, m->payload, n, m->pcm);
    registry_audio(m->reg, s, m->pcm, n, msg->u.media.timestamp_ms);
}

static void on_dtmf(media_conn *c, const tw_msg *msg)
{
    stream *s = msg_stream(c, msg);
    if (!s || !msg->u.dtmf.digit[0])
        return;
    stream_account_dtmf(s, msg->u.dtmf.digit[0]);
    registry_dtmf(c->m->reg, s, msg->u.dtmf.digit[0]);
}

static void on_mark(media_conn *c, const tw_msg *msg)
{
    stream *s = msg_stream(c, msg);
    if (!s)
        return;
    s->marks_received++;
    if (!stream_mark_remove(s, msg->u.mark.name)) {
        log_write(LOG_DEBUG, s->uuid, stream_session_id(s), LOG_KV("mark", msg->u.mark.name),
                  "mark that was not pending");
    }
    registry_mark(c->m->reg, s, msg->u.mark.name);
}

static void on_stop(media_conn *c, const tw_msg *msg)
{
    stream *s = msg_stream(c, msg);
    if (!s)
        return;
    media_reply(c, s, NULL, NULL, "stop", 204, vv_status_msg(204));
    media_stream_end(c, s, STREAM_END_STOP);
}

void media_msg_handle(media_conn *c, const char *buf, size_t len)
{
    media_ctx *m = c->m;
    tw_error err;
    tw_msg *msg = &m->msg;
    tw_status st = tw_parse(buf, len, msg, m->payload, sizeof m->payload, &err);
    if (st != TW_OK) {
        m->stats.decode_errors[st]++;
        /* tw_parse keeps streamSid (and event, when readable) so the error is charged to
         * its own stream. */
        bool ev_known = st != TW_ERR_TOO_LARGE && st != TW_ERR_JSON && st != TW_ERR_EVENT &&
                        strcmp(err.field, "event") != 0;
        stream *s = conn_find(c, msg->stream_sid);
        if (s)
            s->last_msg_ms = media_now(m); /* it is alive, if confused */
        msg_error(c, s, msg->stream_sid, ev_known ? tw_event_name(msg->event) : NULL, 400,
                  err.message);
        if (ev_known && msg->event == TW_EV_START)
            c->d->refused(c, 400);
        return;
    }
    switch (msg->event) {
    case TW_EV_CONNECTED: on_connected(c, msg); break;
    case TW_EV_START: on_start(c, msg); break;
    case TW_EV_MEDIA: on_media(c, msg); break;
    case TW_EV_DTMF: on_dtmf(c, msg); break;
    case TW_EV_MARK: on_mark(c, msg); break;
    case TW_EV_STOP: on_stop(c, msg); break;
    }
}

void media_stream_end(media_conn *c, stream *s, stream_end_reason why)
{
    for (stream **p = &c->streams; *p; p = &(*p)->conn_next)
        if (*p == s) {
            *p = s->conn_next;
            c->n_streams--;
            break;
        }
    registry_remove(c->m->reg, s, why);
    char msgs[24], secs[24], gaps[24], ooo[24], errs[24], dtmf[24];
    snprintf(msgs, sizeof msgs, "%llu", (unsigned long long)s->messages);
    snprintf(secs, sizeof secs, "%.2f", stream_seconds(s, TW_TRACK_INBOUND));
    snprintf(gaps, sizeof gaps, "%llu", (unsigned long long)(s->track[0].gaps + s->track[1].gaps));
    snprintf(ooo, sizeof ooo, "%llu",
             (unsigned long long)(s->track[0].out_of_order + s->track[1].out_of_order));
    snprintf(errs, sizeof errs, "%llu", (unsigned long long)s->errors);
    snprintf(dtmf, sizeof dtmf, "%llu", (unsigned long long)s->dtmf_count);
    log_write(LOG_INFO, s->uuid, stream_session_id(s),
              LOG_KV("streamSid", s->stream_sid, "reason", stream_end_reason_name(why), "messages",
                     msgs, "inbound_seconds", secs, "gaps", gaps, "out_of_order", ooo, "errors",
                     errs, "dtmf_digits", dtmf),
              "stream ended");
    stream_free(s);
}
