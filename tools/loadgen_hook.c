/* loadgen_hook.c -- minimal HTTP/1.1 POST receiver on the uv loop. See loadgen_hook.h.
 *
 * Each connection accumulates bytes in a growing buffer; after each read, complete requests
 * are cut off the front (lg_hook_parse), handed over and answered in order. The hook frees
 * itself once the listener and every connection handle are closed (a reference count).
 */
#include "tools/loadgen_hook.h"

#include "common/list.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HOOK_HEADERS_MAX (16u << 10)
#define HOOK_BODY_MAX (1u << 20)
#define HOOK_PATH_MAX 256

static const char OK_REPLY[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
static const char BAD_REPLY[] =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

typedef struct hook_conn {
    uv_tcp_t tcp;
    lg_hook *hook;
    struct hook_conn *prev, *next;
    char *buf;
    size_t len, cap;
    bool closing;
} hook_conn;

struct lg_hook {
    uv_loop_t *loop;
    uv_tcp_t listener;
    lg_hook_cb cb;
    void *ud;
    int port, refs;
    bool closing;
    hook_conn *conns;
    uint64_t requests, bad;
};

uint64_t lg_wall_us(void)
{
    uv_timeval64_t tv;
    if (uv_gettimeofday(&tv) != 0)
        return 0;
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

uint64_t lg_parse_sent_at(const char *s)
{
    if (!s)
        return 0;
    char *end;
    unsigned long long sec = strtoull(s, &end, 10), us = 0;
    if (end == s)
        return 0;
    if (*end == '.') {
        const char *f = end + 1;
        int digits = 0;
        while (*f >= '0' && *f <= '9' && digits < 6)
            us = us * 10 + (unsigned)(*f++ - '0'), digits++;
        while (digits++ < 6)
            us *= 10;
        end = (char *)f;
        while (*end >= '0' && *end <= '9')
            end++;
    }
    while (*end == ' ' || *end == '\t')
        end++;
    return *end ? 0 : sec * 1000000ull + us;
}

static void copy_value(const char *v, const char *eol, char *out, size_t cap)
{
    while (v < eol && (*v == ' ' || *v == '\t'))
        v++;
    size_t n = (size_t)(eol - v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, v, n);
    out[n] = '\0';
}

long lg_hook_parse(const char *buf, size_t len, char *path, size_t path_cap, char *sent_at,
                   size_t sent_cap, size_t *body_off)
{
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end)
        return len > HOOK_HEADERS_MAX ? -1 : 0;
    size_t hlen = (size_t)(end - buf) + 4;
    if (hlen > HOOK_HEADERS_MAX)
        return -1;
    const char *eol = memmem(buf, hlen, "\r\n", 2);
    const char *sp1 = memchr(buf, ' ', (size_t)(eol - buf));
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
    if (!sp2 || (size_t)(sp2 - sp1 - 1) >= path_cap || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
        return -1;
    memcpy(path, sp1 + 1, (size_t)(sp2 - sp1 - 1));
    path[sp2 - sp1 - 1] = '\0';
    sent_at[0] = '\0';
    long clen = -1;
    for (const char *l = eol + 2; l < end; l = eol + 2) {
        eol = memmem(l, (size_t)(end + 2 - l), "\r\n", 2);
        const char *colon = memchr(l, ':', (size_t)(eol - l));
        if (!colon)
            return -1;
        size_t nl = (size_t)(colon - l);
        if (nl == 14 && strncasecmp(l, "content-length", 14) == 0) {
            char v[32];
            copy_value(colon + 1, eol, v, sizeof v);
            char *e;
            clen = strtol(v, &e, 10);
            if (e == v || *e || clen < 0 || clen > (long)HOOK_BODY_MAX)
                return -1;
        } else if (nl == 19 && strncasecmp(l, "x-callprint-sent-at", 19) == 0) {
            copy_value(colon + 1, eol, sent_at, sent_cap);
        } else if (nl == 17 && strncasecmp(l, "transfer-encoding", 17) == 0) {
            return -1; /* chunked bodies are not supported here */
        }
    }
    if (clen < 0)
        clen = 0;
    *body_off = hlen;
    return hlen + (size_t)clen <= len ? (long)(hlen + (size_t)clen) : 0;
}

static void release(lg_hook *h)
{
    if (--h->refs == 0)
        free(h);
}

static void conn_closed(uv_handle_t *hd)
{
    hook_conn *c = hd->data;
    lg_hook *h = c->hook;
    LIST_UNLINK(h->conns, c);
    free(c->buf);
    free(c);
    release(h);
}

static void conn_close(hook_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void write_done(uv_write_t *w, int status)
{
    (void)status;
    free(w);
}

static void reply(hook_conn *c, const char *text, size_t len)
{
    uv_write_t *w = malloc(sizeof *w);
    if (!w) {
        conn_close(c);
        return;
    }
    uv_buf_t b = uv_buf_init((char *)text, (unsigned)len); /* static text */
    if (uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, write_done) != 0) {
        free(w);
        conn_close(c);
    }
}

static void alloc_cb(uv_handle_t *hd, size_t suggested, uv_buf_t *out)
{
    hook_conn *c = hd->data;
    (void)suggested;
    if (c->cap - c->len < 16384) {
        size_t cap = c->cap ? c->cap * 2 : 32768;
        char *b = cap <= HOOK_HEADERS_MAX + HOOK_BODY_MAX + 65536 ? realloc(c->buf, cap) : NULL;
        if (!b) {
            *out = uv_buf_init(NULL, 0);
            return;
        }
        c->buf = b;
        c->cap = cap;
    }
    *out = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void consume(hook_conn *c)
{
    lg_hook *h = c->hook;
    for (;;) {
        char path[HOOK_PATH_MAX], sent[64];
        size_t body_off = 0;
        long total = lg_hook_parse(c->buf, c->len, path, sizeof path, sent, sizeof sent, &body_off);
        if (total == 0)
            return;
        if (total < 0) {
            h->bad++;
            reply(c, BAD_REPLY, sizeof BAD_REPLY - 1);
            conn_close(c);
            return;
        }
        uint64_t now = lg_wall_us();
        h->requests++;
        /* NUL-terminate the body for the callback (the next request's first byte is saved). */
        char saved = (size_t)total < c->len ? c->buf[total] : '\0';
        if ((size_t)total < c->cap)
            c->buf[total] = '\0';
        if (h->cb && !h->closing)
            h->cb(h->ud, path, sent[0] ? sent : NULL, c->buf + body_off,
                  (size_t)total - body_off, now);
        if ((size_t)total < c->len)
            c->buf[total] = saved;
        reply(c, OK_REPLY, sizeof OK_REPLY - 1);
        memmove(c->buf, c->buf + total, c->len - (size_t)total);
        c->len -= (size_t)total;
    }
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    (void)b;
    hook_conn *c = s->data;
    if (n < 0) {
        conn_close(c);
        return;
    }
    c->len += (size_t)n;
    consume(c);
}

static void on_connection(uv_stream_t *server, int status)
{
    lg_hook *h = server->data;
    if (status < 0 || h->closing)
        return;
    hook_conn *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->hook = h;
    uv_tcp_init(h->loop, &c->tcp);
    c->tcp.data = c;
    h->refs++;
    LIST_PUSH(h->conns, c);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
        uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) != 0)
        conn_close(c);
}

static void listener_closed(uv_handle_t *hd)
{
    release(hd->data);
}

lg_hook *lg_hook_new(uv_loop_t *loop, lg_hook_cb cb, void *ud)
{
    lg_hook *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->loop = loop;
    h->cb = cb;
    h->ud = ud;
    h->refs = 1;
    uv_tcp_init(loop, &h->listener);
    h->listener.data = h;
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int blen = sizeof bound;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    if (uv_tcp_bind(&h->listener, (const struct sockaddr *)&addr, 0) != 0 ||
        uv_listen((uv_stream_t *)&h->listener, 1024, on_connection) != 0 ||
        uv_tcp_getsockname(&h->listener, (struct sockaddr *)&bound, &blen) != 0) {
        h->closing = true;
        uv_close((uv_handle_t *)&h->listener, listener_closed);
        return NULL; /* freed by the close callback */
    }
    h->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    return h;
}

int lg_hook_port(const lg_hook *h)
{
    return h->port;
}

uint64_t lg_hook_requests(const lg_hook *h)
{
    return h->requests;
}

uint64_t lg_hook_bad_requests(const lg_hook *h)
{
    return h->bad;
}

void lg_hook_close(lg_hook *h)
{
    if (!h || h->closing)
        return;
    h->closing = true;
    for (hook_conn *c = h->conns; c; c = c->next)
        conn_close(c);
    uv_close((uv_handle_t *)&h->listener, listener_closed);
}
