/* http.c -- router and the lws HTTP transaction. See http.h.
 *
 * A request is allocated at LWS_CALLBACK_HTTP, collects its body (bounded), is dispatched
 * to the matching route, and lives until its reply has been written (or, when the client
 * vanished, until the deferred handler replies). Responses are written from the WRITEABLE
 * callback: headers first, then the body in chunks of HTTP_CHUNK so that a large document
 * never sits twice in lws's buffers.
 *
 * Bodies are the one thing a stranger can make the gateway hold, so they are charged: each
 * request's buffer counts against the router's total and its client's share from the moment
 * it is allocated (from Content-Length, before any byte is read) until the request is freed.
 * The per-client share is the sum over the requests in flight (a short list: only requests
 * still holding a body are on it), so no table of clients is kept.
 */
#include <uv.h>

#include "http/http.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "common/log.h"
#include "http/proxy.h"

#define HTTP_ROUTES_MAX 256
#define HTTP_HEADERS_MAX 8
#define HTTP_CHUNK 16384

typedef struct {
    char method[8];
    char path[128];
    bool prefix; /* path ended in slash-star: stored without the star */
    http_handler h;
    void *ud;
    size_t body_max; /* 0: the router's */
} http_route_t;

struct http_router {
    size_t body_max;
    int timeout_s;
    size_t n;
    http_route_t routes[HTTP_ROUTES_MAX];
    http_limits lim;
    proxy_list proxies;
    http_gate gate;
    void *gate_ud;
    size_t inflight;         /* body bytes charged by the requests on `charged` */
    struct http_req *charged; /* requests holding a charged body buffer */
};

typedef struct strnode {
    struct strnode *next;
    char s[];
} strnode;

struct http_req {
    struct lws *wsi; /* NULL once the client is gone */
    http_req **slot;
    http_router *router;
    char method[8];
    char path[4096]; /* an alias may carry a percent-encoded 256-character external_id */
    char peer[64]; /* client address, for rate limits and audit */
    const char *rest;
    char *body;
    size_t body_len, body_cap;
    size_t body_max; /* the matching route's limit, else the router's */
    size_t charge;   /* bytes of body buffer counted against the router's limits */
    http_req *next_charged, **prev_charged;
    int64_t body_deadline_ms; /* monotonic; 0: none */
    bool too_large, dispatched, replied, aborted, headers_sent, close_after;
    bool head; /* HEAD: a GET route answers, the body is not sent */
    bool streaming; /* http_stream_begin: pieces until http_stream_end (replied) */
    int hops;  /* http_redispatch depth: an alias never leads to another alias's alias */
    http_reply_filter filter; /* an alias's response adapter, applied in http_reply */
    void *filter_ud;
    void (*on_abort)(http_req *, void *);
    void *abort_ud;
    strnode *strings; /* copies handed out by header/query getters */
    /* Response. */
    int status;
    char ctype[96];
    unsigned char *out; /* LWS_PRE + out_len */
    size_t out_len, out_off;
    char *hdr_name[HTTP_HEADERS_MAX], *hdr_value[HTTP_HEADERS_MAX];
    size_t n_hdr;
};

http_router *http_router_new(size_t body_max, int timeout_s)
{
    http_router *r = calloc(1, sizeof *r);
    if (r) {
        r->body_max = body_max;
        r->timeout_s = timeout_s;
    }
    return r;
}

void http_router_free(http_router *r)
{
    free(r);
}

int http_router_limits(http_router *r, const http_limits *lim, char *err, size_t errcap)
{
    if (proxy_parse(&r->proxies, lim->trusted_proxies, err, errcap) != 0)
        return -1;
    r->lim = *lim;
    r->lim.trusted_proxies = NULL; /* parsed; the text is not kept */
    return 0;
}

void http_router_gate(http_router *r, http_gate gate, void *ud)
{
    r->gate = gate;
    r->gate_ud = ud;
}

size_t http_router_inflight(const http_router *r)
{
    return r->inflight;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Bytes charged by requests of this client. */
static size_t client_inflight(const http_router *r, const char *peer)
{
    size_t n = 0;
    for (const http_req *q = r->charged; q; q = q->next_charged)
        if (strcmp(q->peer, peer) == 0)
            n += q->charge;
    return n;
}

/* Charge a body buffer of len bytes; false when it would pass a cap. */
static bool charge(http_req *req, size_t len)
{
    http_router *r = req->router;
    const http_limits *l = &r->lim;
    if ((l->inflight_max && r->inflight + len > l->inflight_max) ||
        (l->inflight_per_client && client_inflight(r, req->peer) + len > l->inflight_per_client))
        return false;
    r->inflight += len;
    req->charge = len;
    req->next_charged = r->charged;
    req->prev_charged = &r->charged;
    if (r->charged)
        r->charged->prev_charged = &req->next_charged;
    r->charged = req;
    return true;
}

static void uncharge(http_req *req)
{
    if (!req->prev_charged)
        return;
    req->router->inflight -= req->charge;
    *req->prev_charged = req->next_charged;
    if (req->next_charged)
        req->next_charged->prev_charged = req->prev_charged;
    req->prev_charged = NULL;
    req->charge = 0;
}

int http_route(http_router *r, const char *method, const char *path, http_handler h, void *ud)
{
    size_t pl = strlen(path);
    if (r->n == HTTP_ROUTES_MAX || strlen(method) >= 8 || pl >= 128)
        return -1;
    http_route_t *rt = &r->routes[r->n++];
    snprintf(rt->method, sizeof rt->method, "%s", method);
    rt->prefix = pl >= 2 && strcmp(path + pl - 2, "/*") == 0;
    snprintf(rt->path, sizeof rt->path, "%.*s", (int)(rt->prefix ? pl - 1 : pl), path);
    rt->h = h;
    rt->ud = ud;
    return 0;
}

int http_route_body_max(http_router *r, const char *method, const char *path, size_t body_max)
{
    size_t pl = strlen(path);
    bool prefix = pl >= 2 && strcmp(path + pl - 2, "/*") == 0;
    size_t want = prefix ? pl - 1 : pl;
    for (size_t i = 0; i < r->n; i++) {
        http_route_t *rt = &r->routes[i];
        if (rt->prefix == prefix && strcmp(rt->method, method) == 0 &&
            strlen(rt->path) == want && strncmp(rt->path, path, want) == 0) {
            rt->body_max = body_max;
            return 0;
        }
    }
    return -1;
}

/* ---- Request accessors ---- */

static const char *keep(http_req *req, const char *s, size_t n)
{
    strnode *k = malloc(sizeof *k + n + 1);
    if (!k)
        return NULL;
    memcpy(k->s, s, n);
    k->s[n] = '\0';
    k->next = req->strings;
    req->strings = k;
    return k->s;
}

const char *http_req_peer(const http_req *req)
{
    return req->peer;
}

const char *http_req_method(const http_req *req) { return req->method; }
const char *http_req_path(const http_req *req) { return req->path; }
const char *http_req_path_rest(const http_req *req) { return req->rest ? req->rest : ""; }

const char *http_req_body(const http_req *req, size_t *len)
{
    if (len)
        *len = req->body_len;
    return req->body ? req->body : "";
}

const char *http_req_header(http_req *req, const char *name)
{
    if (!req->wsi)
        return NULL;
    char key[96];
    int kl = snprintf(key, sizeof key, "%s:", name);
    if (kl < 0 || (size_t)kl >= sizeof key)
        return NULL;
    char buf[4096];
    for (int t = 0; t < WSI_TOKEN_COUNT; t++) {
        const unsigned char *ts = lws_token_to_string((enum lws_token_indexes)t);
        if (!ts || strcasecmp((const char *)ts, key) != 0)
            continue;
        int n = lws_hdr_copy(req->wsi, buf, sizeof buf, (enum lws_token_indexes)t);
        return n > 0 ? keep(req, buf, (size_t)n) : NULL;
    }
    int n = lws_hdr_custom_copy(req->wsi, buf, sizeof buf, key, kl);
    return n >= 0 ? keep(req, buf, (size_t)n) : NULL;
}

const char *http_req_query(http_req *req, const char *name)
{
    if (!req->wsi)
        return NULL;
    char key[96], buf[2048];
    if ((size_t)snprintf(key, sizeof key, "%s=", name) >= sizeof key)
        return NULL;
    const char *v = lws_get_urlarg_by_name(req->wsi, key, buf, sizeof buf);
    return v ? keep(req, v, strlen(v)) : NULL;
}

int http_add_header(http_req *req, const char *name, const char *value)
{
    if (req->n_hdr == HTTP_HEADERS_MAX)
        return -1;
    size_t nl = strlen(name);
    char *n = malloc(nl + 2), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return -1;
    }
    memcpy(n, name, nl);
    n[nl] = ':';
    n[nl + 1] = '\0';
    req->hdr_name[req->n_hdr] = n;
    req->hdr_value[req->n_hdr++] = v;
    return 0;
}

void http_req_on_abort(http_req *req, void (*cb)(http_req *req, void *ud), void *ud)
{
    req->on_abort = cb;
    req->abort_ud = ud;
}

bool http_req_aborted(const http_req *req)
{
    return req->aborted;
}

static void req_free(http_req *req)
{
    while (req->strings) {
        strnode *k = req->strings;
        req->strings = k->next;
        free(k);
    }
    for (size_t i = 0; i < req->n_hdr; i++) {
        free(req->hdr_name[i]);
        free(req->hdr_value[i]);
    }
    if (req->slot && *req->slot == req)
        *req->slot = NULL;
    uncharge(req);
    free(req->body);
    free(req->out);
    free(req);
}

void http_reply(http_req *req, int status, const char *content_type, const char *body,
                size_t len)
{
    if (req->replied)
        return;
    if (req->filter && !req->aborted && req->wsi) {
        http_reply_filter f = req->filter;
        req->filter = NULL;
        char *alt = f(&status, body, len, req->filter_ud);
        if (alt) {
            http_reply(req, status, content_type, alt, strlen(alt));
            free(alt);
            return;
        }
    }
    req->replied = true;
    if (req->aborted || !req->wsi) {
        req_free(req);
        return;
    }
    lws_set_timeout(req->wsi, NO_PENDING_TIMEOUT, 0); /* the deferral's, if any */
    req->status = status;
    snprintf(req->ctype, sizeof req->ctype, "%s", content_type ? content_type : "text/plain");
    req->out = malloc(LWS_PRE + len + 1);
    if (req->out) {
        if (len)
            memcpy(req->out + LWS_PRE, body, len);
        req->out_len = len;
    } else {
        req->status = 500;
        req->close_after = true;
    }
    lws_callback_on_writable(req->wsi);
}

void http_reply_json(http_req *req, int status, const char *json)
{
    http_reply(req, status, "application/json", json, strlen(json));
}

void http_reply_error(http_req *req, int status, const char *msg)
{
    char *esc = NULL;
    char buf[512];
    /* Messages are ours, but keep the JSON valid whatever they hold. */
    size_t n = 0;
    for (const char *p = msg; *p && n + 8 < sizeof buf; p++) {
        if (*p == '"' || *p == '\\')
            buf[n++] = '\\';
        buf[n++] = (unsigned char)*p < 0x20 ? ' ' : *p;
    }
    buf[n] = '\0';
    int len = snprintf(NULL, 0, "{\"error\":\"%s\",\"status\":%d}", buf, status);
    esc = malloc((size_t)len + 1);
    if (!esc) {
        http_reply(req, 500, "text/plain", "", 0);
        return;
    }
    snprintf(esc, (size_t)len + 1, "{\"error\":\"%s\",\"status\":%d}", buf, status);
    http_reply(req, status, "application/json", esc, (size_t)len);
    free(esc);
}

/* ---- Transaction ---- */

static const struct {
    enum lws_token_indexes tok;
    const char *name;
} methods[] = {
    {WSI_TOKEN_GET_URI, "GET"},       {WSI_TOKEN_POST_URI, "POST"},
    {WSI_TOKEN_PUT_URI, "PUT"},       {WSI_TOKEN_PATCH_URI, "PATCH"},
    {WSI_TOKEN_DELETE_URI, "DELETE"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
    {WSI_TOKEN_HEAD_URI, "HEAD"},
};

/* Exact paths match with or without one trailing slash ("/pbx" and "/pbx/"): clients written
 * for Django-style APIs add it, others do not. */
static bool same_path(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la && a[la - 1] == '/' && la > 1 && la != lb)
        la--;
    if (lb && b[lb - 1] == '/' && lb > 1 && la != lb)
        lb--;
    return la == lb && strncmp(a, b, la) == 0;
}

/* The route that serves req (NULL: none); *path_known tells 405 from 404. */
static http_route_t *find_route(http_router *r, const http_req *req, bool *path_known)
{
    *path_known = false;
    for (size_t i = 0; i < r->n; i++) {
        http_route_t *rt = &r->routes[i];
        bool match = rt->prefix ? strncmp(req->path, rt->path, strlen(rt->path)) == 0
                                : same_path(req->path, rt->path);
        if (!match)
            continue;
        *path_known = true;
        bool head_as_get = req->head && strcmp(rt->method, "GET") == 0;
        if (strcmp(rt->method, req->method) == 0 || head_as_get)
            return rt;
    }
    return NULL;
}

/* Run the handler of req's method and path, or answer 404/405. */
static http_result run_route(http_req *req)
{
    bool path_known;
    http_route_t *rt = find_route(req->router, req, &path_known);
    if (rt) {
        req->rest = rt->prefix ? req->path + strlen(rt->path) : "";
        return rt->h(req, rt->ud);
    }
    http_reply_error(req, path_known ? 405 : 404, path_known ? "method not allowed" : "not found");
    return HTTP_DONE;
}

static void dispatch(http_req *req)
{
    req->dispatched = true;
    if (req->too_large) {
        char msg[96];
        snprintf(msg, sizeof msg, "request body too large: at most %zu bytes on this route",
                 req->body_max);
        req->close_after = true;
        http_reply_error(req, 413, msg);
        return;
    }
    if (run_route(req) == HTTP_DEFERRED && !req->replied && !req->streaming)
        lws_set_timeout(req->wsi, PENDING_TIMEOUT_USER_OK, req->router->timeout_s);
}

http_result http_redispatch(http_req *req, const char *method, const char *path)
{
    if (++req->hops > 2) {
        http_reply_error(req, 500, "alias loop");
        return HTTP_DONE;
    }
    snprintf(req->method, sizeof req->method, "%s", method);
    snprintf(req->path, sizeof req->path, "%s", path);
    return run_route(req);
}

int http_req_set_body(http_req *req, char *body, size_t len)
{
    free(req->body);
    req->body = body;
    req->body_len = req->body_cap = len;
    return 0;
}

void http_req_filter(http_req *req, http_reply_filter f, void *ud)
{
    req->filter = f;
    req->filter_ud = ud;
}

/* The client's address: the TCP peer, or whom a trusted proxy forwarded for. */
static void set_peer(http_req *req, struct lws *wsi)
{
    char peer[PROXY_ADDR_MAX], xff[1024];
    if (!lws_get_peer_simple(wsi, peer, sizeof peer))
        snprintf(peer, sizeof peer, "unknown");
    bool fwd = req->router->proxies.n &&
               lws_hdr_copy(wsi, xff, sizeof xff, WSI_TOKEN_X_FORWARDED_FOR) > 0;
    proxy_client(&req->router->proxies, peer, fwd ? xff : NULL, req->peer, sizeof req->peer);
}

/* Answer now and close, the body (if any) unread. */
static void refuse(http_req *req, int status, const char *msg)
{
    req->dispatched = req->close_after = true;
    http_reply_error(req, status, msg);
}

/* A body of len bytes is announced: may it be buffered? Otherwise refused (and true). */
static bool refuse_body(http_req *req, long long len)
{
    http_router *r = req->router;
    char msg[160];
    if (len > (long long)req->body_max) {
        req->too_large = true; /* 413 from dispatch, before a byte of it is buffered */
        return false;
    }
    if (len > (long long)r->lim.preauth_body_max && r->gate && !r->gate(req, r->gate_ud)) {
        snprintf(msg, sizeof msg, "authentication required to send a body of more than %zu "
                 "bytes: send a valid Authorization header", r->lim.preauth_body_max);
        http_add_header(req, "WWW-Authenticate", "Token");
        refuse(req, 401, msg);
        return true;
    }
    if (!charge(req, (size_t)len)) {
        http_add_header(req, "Retry-After", "5");
        refuse(req, 503, "too many request bodies in flight; retry shortly");
        return true;
    }
    return false;
}

int http_on_request(http_router *r, struct lws *wsi, const char *path, http_req **slot)
{
    http_req *req = calloc(1, sizeof *req);
    if (!req)
        return -1;
    req->wsi = wsi;
    req->slot = slot;
    req->router = r;
    *slot = req;
    snprintf(req->path, sizeof req->path, "%s", path ? path : "/");
    set_peer(req, wsi);
    snprintf(req->method, sizeof req->method, "?");
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (lws_hdr_total_length(wsi, methods[i].tok)) {
            snprintf(req->method, sizeof req->method, "%s", methods[i].name);
            break;
        }
    req->head = strcmp(req->method, "HEAD") == 0;
    bool known;
    const http_route_t *rt = find_route(r, req, &known);
    req->body_max = rt && rt->body_max ? rt->body_max : r->body_max;
    char cl[32];
    long long len = 0;
    if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
        len = atoll(cl);
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
        /* lws 4.1 does not complete chunked request bodies: say so at once */
        refuse(req, 411, "chunked request bodies are not accepted: send Content-Length");
        return 0;
    }
    if (len > 0 && refuse_body(req, len))
        return 0;
    if (len > 0 && !req->too_large) {
        req->body = malloc((size_t)len + 1);
        if (!req->body)
            return -1;
        req->body_cap = (size_t)len;
        req->body[0] = '\0';
        if (r->lim.body_timeout_s > 0)
            req->body_deadline_ms = mono_ms() + (int64_t)r->lim.body_timeout_s * 1000;
        return 0; /* the body follows */
    }
    dispatch(req);
    return 0;
}

int http_on_body(http_req **slot, const void *in, size_t len)
{
    http_req *req = *slot;
    if (!req || req->dispatched)
        return 0;
    if (req->body_deadline_ms && mono_ms() > req->body_deadline_ms) {
        log_write(LOG_WARN, NULL, NULL, LOG_KV("client", req->peer),
                  "HTTP body too slow: connection closed");
        return -1; /* a slow body holds a connection and its buffer: drop it */
    }
    if (req->too_large || req->body_len + len > req->body_cap) {
        req->too_large = true;
        dispatch(req);
        return 0;
    }
    /* The Content-Length was allocated (and charged) at once: no copy per chunk, and a body
     * never grows past what was announced. */
    memcpy(req->body + req->body_len, in, len);
    req->body_len += len;
    req->body[req->body_len] = '\0';
    return 0;
}

/* lws 4.1 reports the completion of a pipelined request's body (one that arrived behind
 * another request in the same read) even when only part of it is in, and then reports it
 * again and again without returning to the event loop: one 90-byte request hung the whole
 * gateway. server.c refuses such requests; should one get here anyway, a completion before
 * the announced Content-Length closes the connection. */
int http_on_body_done(http_req **slot)
{
    http_req *req = *slot;
    if (!req || req->dispatched)
        return 0;
    if (!req->too_large && req->body_len < req->body_cap)
        return -1;
    dispatch(req);
    return 0;
}

static int write_headers(http_req *req)
{
    unsigned char buf[LWS_PRE + 4096];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    struct lws *wsi = req->wsi;
    /* A stream has no length: lws then adds "Connection: close" itself. */
    lws_filepos_t len = req->streaming ? LWS_ILLEGAL_HTTP_CONTENT_LEN : req->out_len;
    if (lws_add_http_common_headers(wsi, (unsigned)req->status, req->ctype, len, &p, end))
        return -1;
    for (size_t i = 0; i < req->n_hdr; i++)
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)req->hdr_name[i],
                                        (const unsigned char *)req->hdr_value[i],
                                        (int)strlen(req->hdr_value[i]), &p, end))
            return -1;
    if (req->close_after && !req->streaming &&
        lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close",
                                     5, &p, end))
        return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    req->headers_sent = true;
    return 0;
}

/* A stream's turn to write: the current piece in chunks; the end closes the connection. */
static int stream_writable(http_req *req)
{
    struct lws *wsi = req->wsi;
    if (req->out_off < req->out_len) {
        size_t n = req->out_len - req->out_off;
        if (n > HTTP_CHUNK)
            n = HTTP_CHUNK;
        if (lws_write(wsi, req->out + LWS_PRE + req->out_off, n, LWS_WRITE_HTTP) < (int)n)
            return -1;
        req->out_off += n;
        if (req->out_off < req->out_len || req->replied) {
            lws_callback_on_writable(wsi); /* the rest, or the end after lws flushed it */
            return 0;
        }
    }
    if (!req->replied)
        return 0;
    req_free(req);
    return -1;
}

int http_on_writable(http_req **slot)
{
    http_req *req = *slot;
    if (!req || !(req->replied || req->streaming))
        return 0;
    struct lws *wsi = req->wsi;
    if (!req->headers_sent && write_headers(req) != 0)
        return -1;
    if (req->streaming)
        return stream_writable(req);
    if (req->head)
        req->out_off = req->out_len; /* HEAD: Content-Length told, body not sent */
    if (req->out_off < req->out_len) {
        size_t n = req->out_len - req->out_off;
        if (n > HTTP_CHUNK)
            n = HTTP_CHUNK;
        bool last = req->out_off + n == req->out_len;
        /* Bytes before the chunk were already sent: lws may use them as its LWS_PRE. */
        if (lws_write(wsi, req->out + LWS_PRE + req->out_off, n,
                      last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n)
            return -1;
        req->out_off += n;
        if (!last) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    bool close = req->close_after;
    req_free(req);
    if (close || lws_http_transaction_completed(wsi))
        return -1;
    return 0;
}

void http_on_closed(http_req **slot)
{
    http_req *req = *slot;
    if (!req)
        return;
    *slot = NULL;
    req->slot = NULL;
    req->wsi = NULL;
    if (req->replied || !req->dispatched) {
        req_free(req);
        return;
    }
    req->aborted = true; /* deferred: the handler still owns the reply */
    if (req->on_abort)
        req->on_abort(req, req->abort_ud);
}

/* ---- Streamed replies ---- */

int http_stream_begin(http_req *req, int status, const char *content_type, int sndbuf)
{
    if (req->replied || req->streaming || !req->wsi)
        return -1;
    lws_sockfd_type fd = lws_get_socket_fd(req->wsi);
    if (sndbuf > 0 && fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    req->streaming = true;
    req->status = status;
    snprintf(req->ctype, sizeof req->ctype, "%s", content_type);
    lws_set_timeout(req->wsi, NO_PENDING_TIMEOUT, 0);
    lws_callback_on_writable(req->wsi);
    return 0;
}

int http_stream_send(http_req *req, const char *data, size_t len)
{
    if (!req->streaming || req->replied || req->aborted || !req->wsi)
        return -1;
    if (req->out_off < req->out_len)
        return 1; /* the previous piece is still going out */
    unsigned char *out = realloc(req->out, LWS_PRE + len + 1);
    if (!out)
        return -1;
    memcpy(out + LWS_PRE, data, len);
    req->out = out;
    req->out_len = len;
    req->out_off = 0;
    lws_callback_on_writable(req->wsi);
    return 0;
}

void http_stream_end(http_req *req)
{
    req->replied = true;
    if (req->aborted || !req->wsi) {
        req_free(req);
        return;
    }
    lws_callback_on_writable(req->wsi);
}
