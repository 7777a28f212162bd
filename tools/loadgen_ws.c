/* loadgen_ws.c -- lean Twilio stream sender on raw libuv TCP. See loadgen_ws.h. */
#include "tools/loadgen_ws.h"

#include "common/list.h"
#include "common/slots.h"

#include "tools/callsim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS 1000000ull
#define FRAME_MS 20
#define FRAME_BYTES 160
#define BUCKETS FRAME_MS
#define CLOSE_WAIT_MS 2000 /* after our close frame, the server gets this long to hang up */
#define RBUF_MAX (256u << 10)
#define WS_KEY "dGhlIHNhbXBsZSBub25jZQ==" /* RFC 6455's example key: we do not check Accept */

typedef struct {
    char sid[TW_SID_MAX], call[TW_SID_MAX], acc[TW_SID_MAX];
    char *start_msg;
    int start_len;
    uint64_t seq;
} lgws_sub;

typedef enum { ST_CONNECTING, ST_UPGRADING, ST_STREAMING, ST_STOPPED, ST_CLOSING, ST_CLOSED } state;

struct lgws_stream {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_shutdown_t sreq;
    lgws *x;
    int index;
    state st;
    struct lgws_stream *prev, *next; /* bucket list */
    struct lgws_stream *all_prev, *all_next; /* every stream not yet done */
    int bucket;                      /* -1: in none */
    int k;           /* streams on this connection */
    lgws_sub *sub;
    uint64_t t0_ns, close_at_ns;
    size_t next_frame;
    uint32_t rng;
    uint8_t *rbuf;
    size_t rlen, rcap, pending;
    lgws_summary sum;
};

struct lgws {
    uv_loop_t *loop;
    lgws_options o;
    uv_timer_t tick;
    lgws_stream *bucket[BUCKETS];
    lgws_stream *all;
    uint64_t slot;     /* the last bucket visited, in absolute ms */
    uint64_t tick_now; /* uv_hrtime() of the tick being run */
    int active, open;
    bool tick_closed; /* lgws_close: freed when the timer and every stream are closed */
    char msg[4096];
    uint8_t *frames; /* LGWS_PER_CONN_MAX frames written with one call */
    size_t frames_len;
};

/* Room for one write: a frame of each of LGWS_PER_CONN_MAX streams (a media message is
 * ~300 bytes; a start message is bounded by TW_MAX_MESSAGE, but those are written at a
 * connection's start only, and must fit too). */
#define FRAMES_CAP ((size_t)LGWS_PER_CONN_MAX * 1024 + TW_MAX_MESSAGE + 64)

static void lgws_free(lgws *x)
{
    free(x->frames);
    free(x);
}

/* ---------- frames ---------- */

size_t lgws_frame(uint8_t *out, size_t cap, int opcode, const char *payload, size_t len,
                  uint32_t key)
{
    size_t h = len < 126 ? 2 : len < 65536 ? 4 : 10;
    if (cap < h + 4 + len)
        return 0;
    out[0] = (uint8_t)(0x80 | (opcode & 0x0f));
    if (len < 126)
        out[1] = (uint8_t)(0x80 | len);
    else if (len < 65536) {
        out[1] = 0x80 | 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
    } else {
        out[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    }
    uint8_t m[4] = {(uint8_t)(key >> 24), (uint8_t)(key >> 16), (uint8_t)(key >> 8), (uint8_t)key};
    memcpy(out + h, m, 4);
    uint8_t *p = out + h + 4;
    uint64_t m8;
    uint32_t m4;
    memcpy(&m4, m, 4);
    m8 = (uint64_t)m4 << 32 | m4;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) { /* 8 bytes a step: the key repeats every 4 */
        uint64_t v;
        memcpy(&v, payload + i, 8);
        v ^= m8;
        memcpy(p + i, &v, 8);
    }
    for (; i < len; i++)
        p[i] = (uint8_t)payload[i] ^ m[i & 3];
    return h + 4 + len;
}

long lgws_parse(const uint8_t *buf, size_t len, int *opcode, const uint8_t **payload,
                size_t *plen)
{
    if (len < 2)
        return 0;
    size_t h = 2;
    uint64_t n = buf[1] & 0x7f;
    if (buf[1] & 0x80)
        return -1; /* a server never masks */
    if (n == 126) {
        if (len < 4)
            return 0;
        n = (uint64_t)buf[2] << 8 | buf[3];
        h = 4;
    } else if (n == 127) {
        if (len < 10)
            return 0;
        n = 0;
        for (int i = 0; i < 8; i++)
            n = n << 8 | buf[2 + i];
        h = 10;
    }
    if (n > RBUF_MAX)
        return -1;
    if (len < h + n)
        return 0;
    *opcode = buf[0] & 0x0f;
    *payload = buf + h;
    *plen = (size_t)n;
    return (long)(h + n);
}

/* ---------- buckets ---------- */

static void bucket_add(lgws *x, lgws_stream *s, int b)
{
    s->bucket = b;
    LIST_PUSH(x->bucket[b], s);
}

static void bucket_remove(lgws *x, lgws_stream *s)
{
    if (s->bucket < 0)
        return;
    LIST_UNLINK(x->bucket[s->bucket], s);
    s->bucket = -1;
}

/* ---------- writing ---------- */

static void stream_close(lgws_stream *s);

static void write_done(uv_write_t *w, int status)
{
    lgws_stream *s = w->data;
    (void)status;
    s->pending -= *(size_t *)(w + 1);
    free(w);
}

/* xorshift32: the mask only has to vary, not to be secret, on loopback. */
static uint32_t next_mask(lgws_stream *s)
{
    uint32_t v = s->rng;
    v ^= v << 13;
    v ^= v >> 17;
    v ^= v << 5;
    return s->rng = v;
}

static int send_raw(lgws_stream *s, const uint8_t *data, size_t len)
{
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int n = s->pending ? UV_EAGAIN : uv_try_write((uv_stream_t *)&s->tcp, &b, 1);
    if (n == UV_EAGAIN)
        n = 0;
    if (n < 0)
        return -1;
    if ((size_t)n == len)
        return 0;
    size_t rest = len - (size_t)n;
    uv_write_t *w = malloc(sizeof *w + sizeof(size_t) + rest);
    if (!w)
        return -1;
    *(size_t *)(w + 1) = rest;
    uint8_t *copy = (uint8_t *)(w + 1) + sizeof(size_t);
    memcpy(copy, data + n, rest);
    w->data = s;
    b = uv_buf_init((char *)copy, (unsigned)rest);
    if (uv_write(w, (uv_stream_t *)&s->tcp, &b, 1, write_done) != 0) {
        free(w);
        return -1;
    }
    s->pending += rest;
    if (s->pending > s->sum.max_pending)
        s->sum.max_pending = s->pending;
    return 0;
}

/* Frames are appended to x->frames and written together by flush(): the k streams of a
 * connection share one write per 20 ms. */
static int append(lgws_stream *s, int opcode, const char *text, int len)
{
    lgws *x = s->x;
    size_t n = len >= 0 ? lgws_frame(x->frames + x->frames_len, FRAMES_CAP - x->frames_len,
                                     opcode, text, (size_t)len, next_mask(s))
                        : 0;
    if (n == 0)
        return -1;
    x->frames_len += n;
    if (opcode == 1)
        s->sum.sent_messages++;
    return 0;
}

static int flush(lgws_stream *s)
{
    lgws *x = s->x;
    int rc = x->frames_len ? send_raw(s, x->frames, x->frames_len) : 0;
    x->frames_len = 0;
    if (rc != 0)
        stream_close(s);
    return rc;
}

static int send_msg(lgws_stream *s, int opcode, const char *text, int len)
{
    if (append(s, opcode, text, len) != 0) {
        s->x->frames_len = 0;
        stream_close(s);
        return -1;
    }
    return flush(s);
}

/* ---------- the stream's life ---------- */

static void on_closed(uv_handle_t *h)
{
    lgws_stream *s = h->data;
    lgws *x = s->x;
    x->active--;
    LIST_UNLINK_AS(x->all, s, all_);
    s->sum.frames = (size_t)s->k * ((x->o.n + FRAME_BYTES - 1) / FRAME_BYTES);
    if (x->o.on_done)
        x->o.on_done(x->o.ud, s->index, s->k, &s->sum);
    free(s->rbuf);
    for (int j = 0; j < s->k; j++)
        free(s->sub[j].start_msg);
    free(s->sub);
    free(s);
    if (x->tick_closed && x->active == 0)
        lgws_free(x);
}

static void stream_close(lgws_stream *s)
{
    if (s->st == ST_CLOSED)
        return;
    if (s->sum.opened)
        s->x->open -= s->k;
    s->st = ST_CLOSED;
    bucket_remove(s->x, s);
    uv_close((uv_handle_t *)&s->tcp, on_closed);
}

static void send_due(lgws_stream *s, uint64_t now)
{
    lgws *x = s->x;
    size_t frames = (x->o.n + FRAME_BYTES - 1) / FRAME_BYTES;
    while (s->st == ST_STREAMING && s->next_frame < frames) {
        uint64_t due = s->t0_ns + (uint64_t)s->next_frame * FRAME_MS * MS;
        if (due > now)
            return;
        size_t off = s->next_frame * FRAME_BYTES;
        size_t k = x->o.n - off < FRAME_BYTES ? x->o.n - off : FRAME_BYTES;
        for (int j = 0; j < s->k; j++) {
            lgws_sub *u = &s->sub[j];
            int len = tw_build_media_in(x->msg, sizeof x->msg, ++u->seq, u->sid,
                                        TW_TRACK_INBOUND, s->next_frame + 1,
                                        (uint64_t)s->next_frame * FRAME_MS, x->o.ulaw + off, k);
            if (append(s, 1, x->msg, len) != 0) {
                x->frames_len = 0;
                stream_close(s);
                return;
            }
        }
        s->next_frame++;
        if (flush(s) != 0)
            return;
        s->sum.sent_media += (uint64_t)s->k;
        if (x->o.on_lag)
            for (int j = 0; j < s->k; j++)
                x->o.on_lag(x->o.ud, now - due);
    }
    if (s->st == ST_STREAMING) {
        int rc = 0;
        for (int j = 0; j < s->k && rc == 0; j++) {
            lgws_sub *u = &s->sub[j];
            rc = append(s, 1, x->msg,
                        tw_build_stop(x->msg, sizeof x->msg, ++u->seq, u->sid, u->acc, u->call));
        }
        if (rc != 0) {
            x->frames_len = 0;
            stream_close(s);
        } else if (flush(s) == 0) {
            s->st = ST_STOPPED;
            s->close_at_ns = now + (uint64_t)x->o.linger_ms * MS;
        }
    }
}

static void on_shutdown(uv_shutdown_t *r, int status)
{
    (void)r;
    (void)status; /* the read side sees EOF or the deadline closes it */
}

static void visit(lgws_stream *s, uint64_t now)
{
    if (s->st == ST_STREAMING)
        send_due(s, now);
    if (s->st == ST_STOPPED && now >= s->close_at_ns) {
        static const char code[2] = {0x03, (char)0xe8}; /* 1000 */
        if (send_msg(s, 8, code, 2) != 0)
            return;
        s->st = ST_CLOSING;
        s->close_at_ns = now + CLOSE_WAIT_MS * MS;
        s->sreq.data = s;
        if (uv_shutdown(&s->sreq, (uv_stream_t *)&s->tcp, on_shutdown) != 0)
            stream_close(s);
    } else if (s->st == ST_CLOSING && now >= s->close_at_ns)
        stream_close(s);
}

static void visit_bucket(unsigned b, void *arg)
{
    lgws *x = arg;
    lgws_stream *next;
    for (lgws_stream *s = x->bucket[b]; s; s = next) {
        next = s->next;
        visit(s, x->tick_now);
    }
}

/* Far behind: one visit of every bucket (common/slots.h). */
static void on_tick(uv_timer_t *t)
{
    lgws *x = t->data;
    x->tick_now = uv_hrtime();
    slots_run(&x->slot, x->tick_now / MS, BUCKETS, visit_bucket, x);
}

static void upgraded(lgws_stream *s)
{
    lgws *x = s->x;
    s->sum.opened = true;
    x->open += s->k;
    int rc = append(s, 1, x->msg, tw_build_connected(x->msg, sizeof x->msg));
    for (int j = 0; j < s->k && rc == 0; j++)
        rc = append(s, 1, s->sub[j].start_msg, s->sub[j].start_len);
    if (rc != 0) {
        x->frames_len = 0;
        stream_close(s);
        return;
    }
    if (flush(s) != 0)
        return;
    uint64_t t0_ms = uv_hrtime() / MS + 1;
    s->t0_ns = t0_ms * MS;
    s->st = ST_STREAMING;
    bucket_add(x, s, (int)(t0_ms % BUCKETS));
}

/* The upgrade answer: "HTTP/1.1 101 ..." then the headers. */
static long handle_upgrade(lgws_stream *s)
{
    const uint8_t *end = memmem(s->rbuf, s->rlen, "\r\n\r\n", 4);
    if (!end)
        return s->rlen > 16384 ? -1 : 0;
    /* "HTTP/1.1 101": the buffer is not NUL-terminated, so no sscanf. */
    const uint8_t *b = s->rbuf;
    int status = 0;
    if (end - b >= 12 && memcmp(b, "HTTP/1.", 7) == 0 && b[8] == ' ')
        for (int i = 9; i < 12 && b[i] >= '0' && b[i] <= '9'; i++)
            status = status * 10 + (b[i] - '0');
    if (status != 101) {
        s->sum.http_status = status ? status : 400;
        return -1;
    }
    upgraded(s);
    return (long)(end + 4 - s->rbuf);
}

static long handle_frame(lgws_stream *s, const uint8_t *buf, size_t len)
{
    int op;
    const uint8_t *p;
    size_t pl;
    long n = lgws_parse(buf, len, &op, &p, &pl);
    if (n <= 0)
        return n;
    if (op == 8) { /* close */
        s->sum.close_code = pl >= 2 ? p[0] << 8 | p[1] : 1005;
        if (s->st < ST_CLOSING)
            s->sum.server_closed = true;
        return -1;
    }
    if (op == 9) /* ping: answer pong with the same payload */
        send_msg(s, 10, (const char *)p, (int)pl);
    else if (op == 1)
        s->sum.recv_messages++;
    return n;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    lgws_stream *s = h->data;
    (void)suggested;
    if (s->rcap - s->rlen < 4096 && s->rcap < RBUF_MAX) {
        size_t cap = s->rcap ? s->rcap * 2 : 8192;
        uint8_t *nb = realloc(s->rbuf, cap);
        if (nb) {
            s->rbuf = nb;
            s->rcap = cap;
        }
    }
    *b = uv_buf_init((char *)s->rbuf + s->rlen, (unsigned)(s->rcap - s->rlen));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    lgws_stream *s = st->data;
    (void)b;
    if (n < 0) {
        if (s->st < ST_CLOSING)
            s->sum.server_closed = true;
        stream_close(s);
        return;
    }
    s->rlen += (size_t)n;
    size_t off = 0;
    while (off < s->rlen && s->st != ST_CLOSED) {
        long used = s->st == ST_UPGRADING ? handle_upgrade(s)
                                          : handle_frame(s, s->rbuf + off, s->rlen - off);
        if (used < 0) {
            stream_close(s);
            return;
        }
        if (used == 0)
            break;
        off += (size_t)used;
    }
    if (s->st == ST_CLOSED)
        return;
    memmove(s->rbuf, s->rbuf + off, s->rlen - off);
    s->rlen -= off;
    if (s->rlen == s->rcap) /* a frame larger than the buffer */
        stream_close(s);
}

static void on_connect(uv_connect_t *r, int status)
{
    lgws_stream *s = r->data;
    lgws *x = s->x;
    if (s->st == ST_CLOSED)
        return;
    if (status < 0 || uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read) != 0) {
        stream_close(s);
        return;
    }
    int n = snprintf(x->msg, sizeof x->msg,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: " WS_KEY "\r\nSec-WebSocket-Version: 13\r\n"
                     "%s%s%s\r\n",
                     x->o.path, x->o.host_header, x->o.signature ? "X-Twilio-Signature: " : "",
                     x->o.signature ? x->o.signature : "", x->o.signature ? "\r\n" : "");
    s->st = ST_UPGRADING;
    if (n < 0 || (size_t)n >= sizeof x->msg || send_raw(s, (const uint8_t *)x->msg, (size_t)n) != 0)
        stream_close(s);
}

/* A stream's sids and its start message (its customParameters are copied into it). */
static int sub_init(lgws_sub *u, const tw_param *params, size_t n_params)
{
    callsim_random_sid(u->sid, "MZ");
    callsim_random_sid(u->call, "CA");
    callsim_random_sid(u->acc, "AC");
    tw_start_info info = {.sequence_number = ++u->seq, .stream_sid = u->sid,
                          .account_sid = u->acc, .call_sid = u->call,
                          .tracks = TW_TRACK_INBOUND, .params = params, .n_params = n_params};
    char *buf = malloc(TW_MAX_MESSAGE);
    u->start_len = buf ? tw_build_start(buf, TW_MAX_MESSAGE, &info) : -1;
    u->start_msg = u->start_len > 0 ? realloc(buf, (size_t)u->start_len + 1) : NULL;
    if (!u->start_msg) {
        free(buf);
        return -1;
    }
    return 0;
}

int lgws_start(lgws *x, int index, int k, const tw_param *const *params,
               const size_t *n_params)
{
    if (k < 1 || k > LGWS_PER_CONN_MAX)
        return -1;
    lgws_stream *s = calloc(1, sizeof *s);
    lgws_sub *sub = s ? calloc((size_t)k, sizeof *sub) : NULL;
    int ok = sub != NULL;
    for (int j = 0; ok && j < k; j++)
        ok = sub_init(&sub[j], params[j], n_params[j]) == 0;
    if (!ok) {
        for (int j = 0; sub && j < k; j++)
            free(sub[j].start_msg);
        free(sub);
        free(s);
        return -1;
    }
    s->x = x;
    s->index = index;
    s->k = k;
    s->sub = sub;
    s->bucket = -1;
    s->rng = 2463534242u ^ (uint32_t)index * 2654435761u;
    uv_tcp_init(x->loop, &s->tcp);
    s->tcp.data = s;
    s->creq.data = s;
    x->active++;
    LIST_PUSH_AS(x->all, s, all_);
    uv_tcp_nodelay(&s->tcp, 1);
    if (uv_tcp_connect(&s->creq, &s->tcp, (const struct sockaddr *)&x->o.addr, on_connect) != 0)
        stream_close(s); /* done() reports it as not opened */
    return 0;
}

int lgws_active(const lgws *x)
{
    return x->active;
}

int lgws_open(const lgws *x)
{
    return x->open;
}

void lgws_hangup_all(lgws *x)
{
    for (lgws_stream *s = x->all; s; s = s->all_next)
        stream_close(s);
}

lgws *lgws_new(uv_loop_t *loop, const lgws_options *o)
{
    lgws *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->loop = loop;
    x->o = *o;
    x->frames = malloc(FRAMES_CAP);
    if (!x->frames) {
        free(x);
        return NULL;
    }
    if (x->o.linger_ms <= 0)
        x->o.linger_ms = 300;
    uv_timer_init(loop, &x->tick);
    x->tick.data = x;
    x->slot = uv_hrtime() / MS - 1;
    uv_timer_start(&x->tick, on_tick, 1, 1);
    return x;
}

static void tick_closed(uv_handle_t *h)
{
    lgws *x = h->data;
    x->tick_closed = true;
    if (x->active == 0)
        lgws_free(x);
}

void lgws_close(lgws *x)
{
    if (!x)
        return;
    uv_timer_stop(&x->tick);
    uv_close((uv_handle_t *)&x->tick, tick_closed);
}
