/* callsim.c -- one simulated Twilio call. See callsim.h.
 *
 * A single timer drives the call (pump): it sends what is due (frames, DTMF, mark echoes),
 * then re-arms itself for the next due instant. Times come from uv_hrtime (CLOCK_MONOTONIC),
 * frame i being due at t0 + 20 ms * i, so pacing does not drift with timer jitter. The
 * object is freed when both its timer handle and its connection are gone (two references).
 */
#include "tools/callsim.h"

#include <cjson/cJSON.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "g711.h"
#include "twilio.h"
#include "twilio_sig.h"

#define MS 1000000ULL /* ns */
#define FRAME_SAMPLES (8 * CALLSIM_FRAME_MS)
#define FAST_QUEUE_HIGH (256u << 10)
#define MARKS_MAX 64

typedef enum { ST_OPENING, ST_WAIT_ACK, ST_STREAMING, ST_DRAINING, ST_STOPPED, ST_CLOSED } state;

typedef struct {
    char name[TW_NAME_MAX];
    uint64_t due_ns;
} pending_mark;

struct callsim {
    uv_loop_t *loop;
    uv_timer_t timer;
    wsc_conn *conn;
    int refs; /* timer handle + connection */
    bool freed;
    state st;
    bool voiceverify, alaw, fast, stop_acked;
    int linger_ms;
    char sid[TW_SID_MAX], call[TW_SID_MAX], acc[TW_SID_MAX];
    tw_param *params;
    size_t n_params;
    const int16_t *pcm;
    bool own_pcm;
    size_t n, next_frame;
    void (*on_media)(void *, uint64_t);
    void *on_media_arg;
    char digits[CALLSIM_DTMF_MAX + 1];
    uint64_t dtmf_at_ns[CALLSIM_DTMF_MAX];
    size_t n_dtmf, next_dtmf;
    uint64_t seq, t0_ns, opened_ns, stop_ns, play_until_ns;
    pending_mark marks[MARKS_MAX];
    size_t n_marks;
    callsim_summary sum;
    void (*done)(callsim *, void *);
    void *ud;
    char buf[TW_MAX_MESSAGE];
};

void callsim_random_sid(char *out, const char *prefix)
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        memset(b, 0x5a, sizeof b);
    out[0] = prefix[0];
    out[1] = prefix[1];
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 + 2 * i, 3, "%02x", b[i]);
}

static void release(callsim *c)
{
    if (--c->refs > 0)
        return;
    free(c->params);
    if (c->own_pcm)
        free((void *)c->pcm);
    free(c);
}

static void on_timer_closed(uv_handle_t *h)
{
    release(h->data);
}

static int send_text(callsim *c, int len)
{
    if (len < 0 || !c->conn || wsc_send(c->conn, c->buf, (size_t)len) != 0)
        return -1;
    c->sum.sent_messages++;
    return 0;
}

static void send_frame(callsim *c)
{
    size_t off = c->next_frame * FRAME_SAMPLES;
    size_t k = c->n - off < FRAME_SAMPLES ? c->n - off : FRAME_SAMPLES;
    uint8_t g[FRAME_SAMPLES];
    g711_encode(c->alaw ? G711_ALAW : G711_ULAW, c->pcm + off, k, g);
    int len = tw_build_media_in(c->buf, sizeof c->buf, ++c->seq, c->sid, TW_TRACK_INBOUND,
                            c->next_frame + 1, (uint64_t)c->next_frame * CALLSIM_FRAME_MS, g, k);
    if (send_text(c, len) == 0) {
        c->sum.sent_media++;
        c->sum.sent_audio_bytes += k;
    }
    c->next_frame++;
}

static void send_dtmf(callsim *c)
{
    int len = tw_build_dtmf(c->buf, sizeof c->buf, ++c->seq, c->sid, c->digits[c->next_dtmf++]);
    if (send_text(c, len) == 0)
        c->sum.sent_dtmf++;
}

static size_t n_frames(const callsim *c)
{
    return (c->n + FRAME_SAMPLES - 1) / FRAME_SAMPLES;
}

static void stream_due(callsim *c, uint64_t now)
{
    size_t frames = n_frames(c);
    for (;;) {
        uint64_t frame_due = c->t0_ns + (uint64_t)c->next_frame * CALLSIM_FRAME_MS * MS;
        uint64_t dtmf_due = c->next_dtmf < c->n_dtmf ? c->t0_ns + c->dtmf_at_ns[c->next_dtmf]
                                                     : UINT64_MAX;
        bool frame_left = c->next_frame < frames;
        if (!frame_left && c->next_dtmf >= c->n_dtmf) {
            c->st = ST_DRAINING;
            return;
        }
        if (c->fast && wsc_queued(c->conn) > FAST_QUEUE_HIGH)
            return;
        if (c->fast) { /* keep DTMF at its place relative to the audio */
            uint64_t frame_t = (uint64_t)c->next_frame * CALLSIM_FRAME_MS * MS;
            if (c->next_dtmf < c->n_dtmf && (!frame_left || c->dtmf_at_ns[c->next_dtmf] <= frame_t))
                send_dtmf(c);
            else
                send_frame(c);
            continue;
        }
        if (frame_left && frame_due <= now && frame_due <= dtmf_due) {
            send_frame(c);
            if (c->on_media)
                c->on_media(c->on_media_arg, uv_hrtime() - frame_due);
        }
        else if (dtmf_due <= now)
            send_dtmf(c);
        else
            return;
    }
}

static void echo_marks(callsim *c, uint64_t now)
{
    while (c->n_marks && c->marks[0].due_ns <= now) {
        int len = tw_build_mark_in(c->buf, sizeof c->buf, ++c->seq, c->sid, c->marks[0].name);
        if (send_text(c, len) == 0)
            c->sum.marks_echoed++;
        memmove(c->marks, c->marks + 1, (c->n_marks - 1) * sizeof c->marks[0]);
        c->n_marks--;
    }
}

static void pump(callsim *c);

static void on_timer(uv_timer_t *t)
{
    pump(t->data);
}

static void arm(callsim *c, uint64_t due_ns, uint64_t now)
{
    uint64_t ms = due_ns > now ? (due_ns - now + MS - 1) / MS : 0;
    uv_timer_start(&c->timer, on_timer, ms, 0);
}

static void pump(callsim *c)
{
    if (c->st == ST_CLOSED || !c->conn)
        return;
    uint64_t now = uv_hrtime();
    if (c->st == ST_WAIT_ACK && now >= c->opened_ns + CALLSIM_ACK_TIMEOUT_MS * MS) {
        callsim_hangup(c); /* a Voice Verify server that never acknowledges the start */
        return;
    }
    if (c->st == ST_STREAMING)
        stream_due(c, now);
    echo_marks(c, now);
    if (c->st == ST_DRAINING && c->n_marks == 0) {
        int len = tw_build_stop(c->buf, sizeof c->buf, ++c->seq, c->sid, c->acc, c->call);
        send_text(c, len);
        c->st = ST_STOPPED;
        c->stop_ns = now;
    }
    if (c->st == ST_STOPPED &&
        (c->stop_acked || now >= c->stop_ns + (uint64_t)c->linger_ms * MS)) {
        wsc_close(c->conn);
        c->st = ST_CLOSED;
        return;
    }
    uint64_t next = UINT64_MAX;
    if (c->st == ST_STREAMING) {
        if (c->fast)
            next = now + (wsc_queued(c->conn) > FAST_QUEUE_HIGH ? MS : 0);
        else {
            next = c->t0_ns + (uint64_t)c->next_frame * CALLSIM_FRAME_MS * MS;
            if (c->next_dtmf < c->n_dtmf && c->t0_ns + c->dtmf_at_ns[c->next_dtmf] < next)
                next = c->t0_ns + c->dtmf_at_ns[c->next_dtmf];
        }
    }
    if (c->n_marks && c->marks[0].due_ns < next)
        next = c->marks[0].due_ns;
    if (c->st == ST_DRAINING && c->n_marks == 0)
        next = now;
    if (c->st == ST_WAIT_ACK)
        next = c->opened_ns + CALLSIM_ACK_TIMEOUT_MS * MS;
    if (c->st == ST_STOPPED && c->stop_ns + (uint64_t)c->linger_ms * MS < next)
        next = c->stop_ns + (uint64_t)c->linger_ms * MS;
    if (next != UINT64_MAX)
        arm(c, next, now);
}

static void begin_streaming(callsim *c)
{
    c->st = ST_STREAMING;
    c->t0_ns = uv_hrtime();
    pump(c);
}

static void on_open(wsc_conn *conn, void *ud)
{
    (void)conn;
    callsim *c = ud;
    c->sum.opened = true;
    c->opened_ns = uv_hrtime();
    send_text(c, tw_build_connected(c->buf, sizeof c->buf));
    tw_start_info info = {.sequence_number = ++c->seq, .stream_sid = c->sid,
                          .account_sid = c->acc, .call_sid = c->call,
                          .tracks = TW_TRACK_INBOUND, .alaw = c->alaw, .params = c->params,
                          .n_params = c->n_params};
    int len = tw_build_start(c->buf, sizeof c->buf, &info);
    send_text(c, len);
    if (c->voiceverify) {
        c->st = ST_WAIT_ACK;
        pump(c); /* arms the acknowledgement timeout */
    } else
        begin_streaming(c);
}

/* Voice Verify replies carry a numeric status. */
static void on_reply(callsim *c, const char *event, int status)
{
    c->sum.recv_replies++;
    if (c->sum.n_statuses < CALLSIM_STATUSES_MAX)
        c->sum.statuses[c->sum.n_statuses++] = status;
    if (strcmp(event, "start") == 0 && c->st == ST_WAIT_ACK) {
        if (status == 201)
            begin_streaming(c);
        else
            callsim_hangup(c);
    } else if (strcmp(event, "stop") == 0 && status == 204) {
        c->stop_acked = true;
        pump(c);
    } else if (status == 408) {
        callsim_hangup(c);
    }
}

static void on_played_media(callsim *c, const cJSON *j)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "media");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(m, "payload");
    size_t bytes = cJSON_IsString(p) ? strlen(p->valuestring) / 4 * 3 : 0;
    uint64_t now = uv_hrtime();
    if (c->play_until_ns < now)
        c->play_until_ns = now;
    c->play_until_ns += (uint64_t)bytes * MS / 8;
}

static void on_text(wsc_conn *conn, void *ud, const char *msg, size_t len)
{
    (void)conn;
    callsim *c = ud;
    c->sum.recv_messages++;
    cJSON *j = cJSON_ParseWithLength(msg, len);
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(j, "event");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
    const char *e = cJSON_IsString(ev) ? ev->valuestring : "";
    uint64_t now = uv_hrtime();
    if (strcmp(e, "connected") == 0)
        c->sum.recv_connected++;
    else if (strcmp(e, "ping") == 0)
        c->sum.recv_ping++;
    else if (cJSON_IsNumber(st))
        on_reply(c, e, st->valueint);
    else if (strcmp(e, "media") == 0) {
        c->sum.recv_media++;
        on_played_media(c, j);
    } else if (strcmp(e, "mark") == 0) {
        c->sum.recv_mark++;
        const cJSON *mk = cJSON_GetObjectItemCaseSensitive(j, "mark");
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(mk, "name");
        if (cJSON_IsString(nm) && c->n_marks < MARKS_MAX) {
            pending_mark *pm = &c->marks[c->n_marks++];
            snprintf(pm->name, sizeof pm->name, "%s", nm->valuestring);
            pm->due_ns = c->play_until_ns > now ? c->play_until_ns : now;
        }
        pump(c);
    } else if (strcmp(e, "clear") == 0) {
        c->sum.recv_clear++;
        c->play_until_ns = now; /* drop what was queued: every pending mark is due now */
        for (size_t i = 0; i < c->n_marks; i++)
            c->marks[i].due_ns = now;
        pump(c);
    } else
        c->sum.recv_unknown++;
    cJSON_Delete(j);
}

static void on_close(wsc_conn *conn, void *ud, int http_status, int close_code)
{
    (void)conn;
    callsim *c = ud;
    c->conn = NULL;
    c->st = ST_CLOSED;
    c->sum.http_status = http_status;
    c->sum.close_code = close_code;
    c->sum.finished = true;
    if (c->opened_ns)
        c->sum.seconds = (double)(uv_hrtime() - c->opened_ns) / 1e9;
    if (!c->freed && uv_is_active((uv_handle_t *)&c->timer))
        uv_timer_stop(&c->timer);
    if (!c->freed && c->done)
        c->done(c, c->ud);
    release(c);
}

static const wsc_callbacks callbacks = {on_open, on_text, on_close};

static int copy_opts(callsim *c, const callsim_opts *o, const int16_t *pcm, size_t n)
{
    snprintf(c->sid, sizeof c->sid, "%s", o->stream_sid ? o->stream_sid : "");
    snprintf(c->call, sizeof c->call, "%s", o->call_sid ? o->call_sid : "");
    snprintf(c->acc, sizeof c->acc, "%s", o->account_sid ? o->account_sid : "");
    if (!o->stream_sid)
        callsim_random_sid(c->sid, "MZ");
    if (!o->call_sid)
        callsim_random_sid(c->call, "CA");
    if (!o->account_sid)
        callsim_random_sid(c->acc, "AC");
    c->voiceverify = o->voiceverify;
    c->alaw = o->alaw;
    c->fast = o->fast;
    c->linger_ms = o->linger_ms > 0 ? o->linger_ms : 300;
    c->on_media = o->on_media;
    c->on_media_arg = o->on_media_arg;
    c->own_pcm = !o->borrow_pcm;
    if (c->own_pcm) {
        int16_t *copy = malloc((n ? n : 1) * sizeof *pcm);
        if (copy)
            memcpy(copy, pcm, n * sizeof *pcm);
        c->pcm = copy;
    } else
        c->pcm = pcm;
    c->params = calloc(o->n_params + 1, sizeof *c->params);
    if (!c->pcm || !c->params || o->n_params > TW_MAX_PARAMS)
        return -1;
    c->n = n;
    for (size_t i = 0; i < o->n_params; i++) {
        if (strlen(o->params[2 * i]) >= TW_PARAM_KEY_MAX ||
            strlen(o->params[2 * i + 1]) >= TW_PARAM_VALUE_MAX)
            return -1;
        snprintf(c->params[i].key, TW_PARAM_KEY_MAX, "%s", o->params[2 * i]);
        snprintf(c->params[i].value, TW_PARAM_VALUE_MAX, "%s", o->params[2 * i + 1]);
    }
    c->n_params = o->n_params;
    size_t nd = o->dtmf ? strlen(o->dtmf) : 0;
    if (nd > CALLSIM_DTMF_MAX)
        return -1;
    memcpy(c->digits, o->dtmf ? o->dtmf : "", nd);
    c->n_dtmf = nd;
    uint64_t total_ms = (uint64_t)n / 8;
    for (size_t i = 0; i < nd; i++)
        c->dtmf_at_ns[i] = (o->dtmf_ms ? (uint64_t)o->dtmf_ms[i] : total_ms * (i + 1) / (nd + 1)) * MS;
    return 0;
}

/* ws[s]://host:port/path?q -> signature over public_url (or ws[s]://host:port) + /path?q. */
static int sign(const callsim_opts *o, char *sig, size_t cap)
{
    const char *path = strchr(strstr(o->url, "://") + 3, '/');
    char url[2048];
    if (o->public_url) {
        size_t bl = strlen(o->public_url);
        while (bl && o->public_url[bl - 1] == '/')
            bl--;
        snprintf(url, sizeof url, "%.*s%s", (int)bl, o->public_url, path ? path : "/");
    } else
        snprintf(url, sizeof url, "%s", o->url);
    return twsig_compute(o->sign_token, url, NULL, 0, sig, cap);
}

callsim *callsim_start(wsc_ctx *x, uv_loop_t *loop, const callsim_opts *o, const int16_t *pcm,
                       size_t n, void (*done)(callsim *c, void *ud), void *ud)
{
    if (!o->url || (strncmp(o->url, "ws://", 5) != 0 && strncmp(o->url, "wss://", 6) != 0))
        return NULL;
    callsim *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->loop = loop;
    c->done = done;
    c->ud = ud;
    c->refs = 1; /* until the connection exists, only our own reference */
    if (copy_opts(c, o, pcm, n) != 0) {
        release(c);
        return NULL;
    }
    char sig[64];
    const char *hdr[2] = {"x-twilio-signature", sig};
    size_t nh = 0;
    if (o->sign_token) {
        if (sign(o, sig, sizeof sig) != 0) {
            release(c);
            return NULL;
        }
        nh = 1;
    }
    c->conn = wsc_connect(x, o->url, hdr, nh, &callbacks, c);
    if (!c->conn) {
        release(c);
        return NULL;
    }
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->refs = 2;
    return c;
}

const callsim_summary *callsim_summary_get(const callsim *c)
{
    return &c->sum;
}

const char *callsim_stream_sid(const callsim *c)
{
    return c->sid;
}

int callsim_summary_json(const callsim *c, char *buf, size_t cap)
{
    const callsim_summary *s = &c->sum;
    char st[CALLSIM_STATUSES_MAX * 5 + 1] = "";
    size_t l = 0;
    for (size_t i = 0; i < s->n_statuses; i++)
        l += (size_t)snprintf(st + l, sizeof st - l, "%s%d", i ? "," : "", s->statuses[i]);
    int n = snprintf(
        buf, cap,
        "{\"streamSid\":\"%s\",\"opened\":%s,\"seconds\":%.3f,\"sent\":{\"messages\":%llu,"
        "\"media\":%llu,\"dtmf\":%llu,\"audio_bytes\":%llu,\"marks_echoed\":%llu},"
        "\"received\":{\"messages\":%llu,\"media\":%llu,\"mark\":%llu,\"clear\":%llu,"
        "\"connected\":%llu,\"ping\":%llu,\"replies\":%llu,\"unknown\":%llu,\"statuses\":[%s]},"
        "\"http_status\":%d,\"close_code\":%d}",
        c->sid, s->opened ? "true" : "false", s->seconds, (unsigned long long)s->sent_messages,
        (unsigned long long)s->sent_media, (unsigned long long)s->sent_dtmf,
        (unsigned long long)s->sent_audio_bytes, (unsigned long long)s->marks_echoed,
        (unsigned long long)s->recv_messages, (unsigned long long)s->recv_media,
        (unsigned long long)s->recv_mark, (unsigned long long)s->recv_clear,
        (unsigned long long)s->recv_connected, (unsigned long long)s->recv_ping,
        (unsigned long long)s->recv_replies, (unsigned long long)s->recv_unknown, st,
        s->http_status, s->close_code);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

void callsim_hangup(callsim *c)
{
    if (c->conn && c->st != ST_CLOSED) {
        c->st = ST_CLOSED;
        wsc_close(c->conn);
    }
}

void callsim_free(callsim *c)
{
    if (!c || c->freed)
        return;
    c->freed = true;
    callsim_hangup(c);
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}
