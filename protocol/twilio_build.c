/* twilio_build.c -- the media-stream messages callprint writes, both dialects.
 *
 * Builders write straight into the caller's buffer through a tiny append-only writer
 * (jw_*) that records overflow instead of checking after every call: a builder appends
 * everything, then returns the length or -1 if anything did not fit. Strings are
 * JSON-escaped ('"', '\\', and control characters; UTF-8 passes through unchanged), so a
 * mark name or a custom parameter can never break the frame. Key order is fixed and follows
 * the documented examples, which keeps the output byte-for-byte predictable for tests.
 *
 * Three groups:
 *   - Twilio bidirectional replies (media, mark, clear): the only messages a Twilio client
 *     may receive from us;
 *   - Voice Verify dialect replies (its manual): connected ack, ping, {id, uuid, event, msg,
 *     status} acknowledgements and errors;
 *   - the inbound messages themselves (connected, start, media, dtmf, mark, stop), as a
 *     telephony platform sends them: used by callprint-call and by the tests.
 */
#include "twilio.h"

#include "base64.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t cap, len;
    bool overflow;
} jw;

static void jw_raw(jw *w, const char *s, size_t n)
{
    if (w->overflow || w->len + n >= w->cap) {
        w->overflow = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void jw_lit(jw *w, const char *s)
{
    jw_raw(w, s, strlen(s));
}

/* A JSON string literal, quotes included; NULL writes "". */
static void jw_str(jw *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    jw_raw(w, "\"", 1);
    for (const char *p = s ? s : ""; *p; p++) {
        /* Runs of bytes that need no escape go in one copy (ids are all of them). */
        size_t run = 0;
        while (p[run] && p[run] != '"' && p[run] != '\\' && (unsigned char)p[run] >= 0x20)
            run++;
        if (run) {
            jw_raw(w, p, run);
            p += run - 1;
            continue;
        }
        unsigned char ch = (unsigned char)*p;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (ch) {
        case '"':
        case '\\':
            esc[1] = (char)ch;
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default: /* a control character */
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[ch >> 4];
            esc[5] = hex[ch & 15];
            n = 6;
        }
        jw_raw(w, esc, n);
    }
    jw_raw(w, "\"", 1);
}

/* ,"key": -- every member after the first. */
static void jw_key(jw *w, const char *key)
{
    jw_raw(w, ",", 1);
    jw_str(w, key);
    jw_raw(w, ":", 1);
}

static void jw_int(jw *w, int64_t v)
{
    char num[24];
    jw_raw(w, num, (size_t)snprintf(num, sizeof(num), "%" PRId64, v));
}

/* Twilio's counters travel as strings of decimal digits. */
static void jw_counter(jw *w, uint64_t v)
{
    char num[24];
    jw_raw(w, "\"", 1);
    jw_raw(w, num, (size_t)snprintf(num, sizeof(num), "%" PRIu64, v));
    jw_raw(w, "\"", 1);
}

/* Base64 of `n` bytes encoded in place, quotes included. */
static void jw_b64(jw *w, const uint8_t *data, size_t n)
{
    size_t need = B64_ENCODED_LEN(n);
    jw_raw(w, "\"", 1);
    if (w->overflow || w->len + need + 1 >= w->cap) {
        w->overflow = true;
        return;
    }
    w->len += b64_encode(data, n, w->buf + w->len, w->cap - w->len);
    jw_raw(w, "\"", 1);
}

/* Start an object with its "event" member. */
static jw jw_begin(char *buf, size_t cap, const char *event)
{
    jw w = {buf, cap, 0, buf == NULL || cap == 0};
    jw_lit(&w, "{\"event\":");
    jw_str(&w, event);
    return w;
}

static int jw_end(jw *w)
{
    jw_raw(w, "}", 1);
    return w->overflow ? -1 : (int)w->len;
}

/* ---- Twilio bidirectional replies --------------------------------------------------- */

int tw_build_media(char *buf, size_t cap, const char *stream_sid, const uint8_t *ulaw, size_t n)
{
    jw w = jw_begin(buf, cap, "media");
    jw_key(&w, "streamSid");
    jw_str(&w, stream_sid);
    jw_lit(&w, ",\"media\":{\"payload\":");
    jw_b64(&w, ulaw, n);
    jw_raw(&w, "}", 1);
    return jw_end(&w);
}

int tw_build_mark(char *buf, size_t cap, const char *stream_sid, const char *name)
{
    jw w = jw_begin(buf, cap, "mark");
    jw_key(&w, "streamSid");
    jw_str(&w, stream_sid);
    jw_lit(&w, ",\"mark\":{\"name\":");
    jw_str(&w, name);
    jw_raw(&w, "}", 1);
    return jw_end(&w);
}

int tw_build_clear(char *buf, size_t cap, const char *stream_sid)
{
    jw w = jw_begin(buf, cap, "clear");
    jw_key(&w, "streamSid");
    jw_str(&w, stream_sid);
    return jw_end(&w);
}

/* ---- Voice Verify dialect ----------------------------------------------------------- */

int vv_build_connected(char *buf, size_t cap)
{
    jw w = {buf, cap, 0, buf == NULL || cap == 0};
    jw_lit(&w, "{\"version\":\"1.0.0\",\"event\":\"connected\",\"msg\":");
    jw_str(&w, vv_status_msg(200));
    jw_lit(&w, ",\"status\":200");
    return jw_end(&w);
}

int vv_build_ping(char *buf, size_t cap)
{
    jw w = jw_begin(buf, cap, "ping");
    jw_key(&w, "msg");
    jw_str(&w, vv_status_msg(100));
    jw_lit(&w, ",\"status\":100");
    return jw_end(&w);
}

int vv_build_reply(char *buf, size_t cap, const char *stream_sid, const char *uuid,
                   const char *event, int status, const char *msg)
{
    jw w = {buf, cap, 0, buf == NULL || cap == 0};
    jw_lit(&w, "{\"id\":");
    jw_str(&w, stream_sid);
    jw_key(&w, "uuid");
    jw_str(&w, uuid);
    if (status == 201)
        jw_lit(&w, ",\"retries\":0");
    jw_key(&w, "event");
    jw_str(&w, event);
    jw_key(&w, "msg");
    jw_str(&w, msg ? msg : vv_status_msg(status));
    jw_key(&w, "status");
    jw_int(&w, status);
    return jw_end(&w);
}

const char *vv_status_msg(int status)
{
    switch (status) {
    case 100:
        return "Ping.";
    case 200:
        return "Connection established.";
    case 201:
        return "Stream started.";
    case 204:
        return "Stream stopped.";
    case 400:
        return "Bad request.";
    case 403:
    case 503:
        return "Resource is unavailable.";
    case 404:
        return "Stream not found.";
    case 408:
        return "Request timeout.";
    case 409:
        return "Stream already exists.";
    case 413:
        return "Message too large.";
    case 423:
        return "Maintenance mode set.";
    case 500:
        return "Internal server error.";
    case 502:
        return "Connection error.";
    }
    return "Unknown status.";
}

/* ---- Inbound messages (what a telephony platform sends) ----------------------------- */

/* {"event":E,"sequenceNumber":"N" -- the common opening of every inbound message. */
static jw jw_begin_inbound(char *buf, size_t cap, const char *event, uint64_t seq)
{
    jw w = jw_begin(buf, cap, event);
    jw_key(&w, "sequenceNumber");
    jw_counter(&w, seq);
    return w;
}

static int jw_end_inbound(jw *w, const char *stream_sid)
{
    jw_key(w, "streamSid");
    jw_str(w, stream_sid);
    return jw_end(w);
}

int tw_build_connected(char *buf, size_t cap)
{
    jw w = jw_begin(buf, cap, "connected");
    jw_lit(&w, ",\"protocol\":\"Call\",\"version\":\"1.0.0\"");
    return jw_end(&w);
}

int tw_build_start(char *buf, size_t cap, const tw_start_info *info)
{
    jw w = jw_begin_inbound(buf, cap, "start", info->sequence_number);
    jw_lit(&w, ",\"start\":{\"accountSid\":");
    jw_str(&w, info->account_sid);
    jw_key(&w, "streamSid");
    jw_str(&w, info->stream_sid);
    jw_key(&w, "callSid");
    jw_str(&w, info->call_sid);
    jw_lit(&w, ",\"tracks\":[");
    if (info->tracks & TW_TRACK_INBOUND)
        jw_lit(&w, "\"inbound\"");
    if (info->tracks & TW_TRACK_OUTBOUND)
        jw_lit(&w, info->tracks & TW_TRACK_INBOUND ? ",\"outbound\"" : "\"outbound\"");
    jw_lit(&w, "],\"mediaFormat\":{\"encoding\":");
    jw_str(&w, info->alaw ? "audio/x-alaw" : "audio/x-mulaw");
    jw_lit(&w, ",\"sampleRate\":8000,\"channels\":1},\"customParameters\":{");
    for (size_t i = 0; i < info->n_params; i++) {
        if (i)
            jw_raw(&w, ",", 1);
        jw_str(&w, info->params[i].key);
        jw_raw(&w, ":", 1);
        jw_str(&w, info->params[i].value);
    }
    jw_lit(&w, "}}");
    return jw_end_inbound(&w, info->stream_sid);
}

int tw_build_media_in(char *buf, size_t cap, uint64_t seq, const char *stream_sid,
                      unsigned track, uint64_t chunk, uint64_t timestamp_ms, const uint8_t *audio,
                      size_t n)
{
    jw w = jw_begin_inbound(buf, cap, "media", seq);
    jw_lit(&w, ",\"media\":{\"track\":");
    jw_str(&w, track == TW_TRACK_OUTBOUND ? "outbound" : "inbound");
    jw_key(&w, "chunk");
    jw_counter(&w, chunk);
    jw_key(&w, "timestamp");
    jw_counter(&w, timestamp_ms);
    jw_key(&w, "payload");
    jw_b64(&w, audio, n);
    jw_raw(&w, "}", 1);
    return jw_end_inbound(&w, stream_sid);
}

int tw_build_dtmf(char *buf, size_t cap, uint64_t seq, const char *stream_sid, char digit)
{
    char d[2] = {digit, '\0'};
    jw w = jw_begin_inbound(buf, cap, "dtmf", seq);
    jw_lit(&w, ",\"dtmf\":{\"track\":\"inbound_track\",\"digit\":");
    jw_str(&w, d);
    jw_raw(&w, "}", 1);
    return jw_end_inbound(&w, stream_sid);
}

int tw_build_mark_in(char *buf, size_t cap, uint64_t seq, const char *stream_sid,
                     const char *name)
{
    jw w = jw_begin_inbound(buf, cap, "mark", seq);
    jw_lit(&w, ",\"mark\":{\"name\":");
    jw_str(&w, name);
    jw_raw(&w, "}", 1);
    return jw_end_inbound(&w, stream_sid);
}

int tw_build_stop(char *buf, size_t cap, uint64_t seq, const char *stream_sid,
                  const char *account_sid, const char *call_sid)
{
    jw w = jw_begin_inbound(buf, cap, "stop", seq);
    jw_lit(&w, ",\"stop\":{\"accountSid\":");
    jw_str(&w, account_sid);
    jw_key(&w, "callSid");
    jw_str(&w, call_sid);
    jw_raw(&w, "}", 1);
    return jw_end_inbound(&w, stream_sid);
}
