/* http_client.c -- libcurl multi driven by the libuv loop. See http_client.h for the contract.
 *
 * Design (the "multi_socket" pattern of curl's multi-uv example):
 *   - curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION): each gets a heap
 *     `http_sock` holding a uv_poll_t, attached to the socket with curl_multi_assign();
 *   - curl tells us when it next needs a call (CURLMOPT_TIMERFUNCTION): one uv_timer_t;
 *   - poll and timer events call curl_multi_socket_action(), after which finished transfers
 *     are collected with curl_multi_info_read() and their callbacks run.
 * Each request is an `http_xfer` (easy handle + copied headers + response buffer + error
 * buffer). Transfers beyond max_inflight wait in a FIFO and are added to the multi handle as
 * slots free up.
 *
 * Shutdown is asynchronous because uv handles close asynchronously: close() arms the drain
 * timer; when it fires (or when the last transfer ends during a drain) `teardown` cancels
 * what is left, runs curl_multi_cleanup (which may still report sockets to remove), closes
 * every poll handle and the timers, and the last close callback frees the client. Teardown
 * never runs inside curl or inside a completion callback, so callbacks may call close().
 */
#include "http/http_client.h"

#include "common/list.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#ifndef CALLPRINT_VERSION
#define CALLPRINT_VERSION "0.1.0"
#endif

typedef struct http_sock {
    uv_poll_t poll;
    curl_socket_t fd;
    http_client *client;
    struct http_sock *prev, *next; /* live sockets, so teardown can close leftovers */
} http_sock;

typedef struct http_xfer {
    CURL *easy;
    struct curl_slist *headers;
    http_done_cb cb;
    void *arg;
    uint64_t submitted_ms;
    char *body;
    size_t body_len, body_cap;
    size_t max_response;
    char errbuf[CURL_ERROR_SIZE];
    struct http_xfer *prev, *next; /* in c->running or c->waiting */
} http_xfer;

typedef struct {
    http_xfer *head, *tail;
    size_t n;
} xfer_list;

struct http_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;       /* curl's timeout */
    uv_timer_t drain_timer; /* shutdown deadline */
    http_client_options opt;
    char user_agent[64];
    xfer_list running, waiting;
    http_sock *socks;
    int open_handles; /* uv handles not yet closed, for the final free */
    bool closing, torn_down;
    http_closed_cb closed_cb;
    void *closed_arg;
};

/* ---------- transfer lists ---------- */

static void list_push(xfer_list *l, http_xfer *x)
{
    LIST_APPEND(l->head, l->tail, x);
    l->n++;
}

static void list_remove(xfer_list *l, http_xfer *x)
{
    LIST_UNLINK_TAIL(l->head, l->tail, x);
    x->prev = x->next = NULL;
    l->n--;
}

static void xfer_free(http_xfer *x)
{
    curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    free(x->body);
    free(x);
}

/* Run the user callback once and free the transfer. */
static void xfer_finish(http_client *c, http_xfer *x, CURLcode code, bool cancelled)
{
    http_response res = {0};
    res.curl_code = cancelled ? CURLE_ABORTED_BY_CALLBACK : (int)code;
    res.cancelled = cancelled;
    res.timed_out = code == CURLE_OPERATION_TIMEDOUT;
    if (!cancelled && code == CURLE_OK)
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &res.status);
    if (cancelled)
        res.error = "cancelled: client closed";
    else if (code != CURLE_OK)
        res.error = x->errbuf[0] ? x->errbuf : curl_easy_strerror(code);
    else
        res.error = "";
    res.elapsed = (double)(uv_now(c->loop) - x->submitted_ms) / 1000.0;
    res.body = x->body ? x->body : "";
    res.body_len = x->body_len;
    x->cb(&res, x->arg);
    xfer_free(x);
}

/* ---------- socket and timer plumbing ---------- */

static void on_handle_closed(uv_handle_t *h);

static void sock_close(http_sock *s)
{
    http_client *c = s->client;
    LIST_UNLINK(c->socks, s);
    if (c->multi)
        curl_multi_assign(c->multi, s->fd, NULL);
    uv_close((uv_handle_t *)&s->poll, on_handle_closed);
}

static void check_done(http_client *c);
static void start_waiting(http_client *c);

static void on_poll(uv_poll_t *h, int status, int events)
{
    http_sock *s = h->data;
    http_client *c = s->client;
    int flags = 0, still;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (!status && (events & UV_READABLE))
        flags |= CURL_CSELECT_IN;
    if (!status && (events & UV_WRITABLE))
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(c->multi, s->fd, flags, &still);
    check_done(c);
}

static void on_timer(uv_timer_t *t)
{
    http_client *c = t->data;
    int still;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &still);
    check_done(c);
}

static int curl_sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    http_client *c = userp;
    http_sock *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s)
            sock_close(s);
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return -1;
        if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->fd = fd;
        s->client = c;
        s->poll.data = s;
        LIST_PUSH(c->socks, s);
        c->open_handles++;
        curl_multi_assign(c->multi, fd, s);
    }
    int ev = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        ev |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        ev |= UV_WRITABLE;
    uv_poll_start(&s->poll, ev, on_poll);
    return 0;
}

static int curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    http_client *c = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else /* 0 means "as soon as possible": the next loop iteration, never re-entrantly */
        uv_timer_start(&c->timer, on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ---------- completion ---------- */

static void drain_fire_now(http_client *c);

static void check_done(http_client *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        http_xfer *x = NULL;
        CURLcode code = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        curl_multi_remove_handle(c->multi, x->easy);
        list_remove(&c->running, x);
        xfer_finish(c, x, code, false);
    }
    start_waiting(c);
    if (c->closing && c->running.n == 0 && c->waiting.n == 0)
        drain_fire_now(c);
}

static void start_waiting(http_client *c)
{
    while (c->waiting.n && c->running.n < c->opt.max_inflight && !c->torn_down) {
        http_xfer *x = c->waiting.head;
        list_remove(&c->waiting, x);
        if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
            snprintf(x->errbuf, sizeof x->errbuf, "curl_multi_add_handle failed");
            xfer_finish(c, x, CURLE_FAILED_INIT, false);
            continue;
        }
        list_push(&c->running, x);
    }
}

/* ---------- request setup ---------- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    http_xfer *x = userdata;
    size_t n = size * nmemb;
    size_t keep = x->body_len < x->max_response ? x->max_response - x->body_len : 0;
    if (keep > n)
        keep = n;
    if (keep) {
        if (x->body_len + keep + 1 > x->body_cap) {
            size_t cap = x->body_cap ? x->body_cap * 2 : 1024;
            while (cap < x->body_len + keep + 1)
                cap *= 2;
            char *nb = realloc(x->body, cap);
            if (!nb)
                return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
            x->body = nb;
            x->body_cap = cap;
        }
        memcpy(x->body + x->body_len, ptr, keep);
        x->body_len += keep;
        x->body[x->body_len] = '\0';
    }
    return n; /* bytes beyond max_response are read and discarded */
}

static bool url_ok(const char *url)
{
    return url && (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0);
}

static int xfer_setup(http_client *c, http_xfer *x, const http_request *r)
{
    CURL *e = x->easy;
    const char *method = r->method ? r->method : "GET";
    long to = r->timeout_ms > 0 ? r->timeout_ms : c->opt.timeout_ms;
    long cto = r->connect_timeout_ms > 0 ? r->connect_timeout_ms : c->opt.connect_timeout_ms;
    bool ok = true;

    ok &= curl_easy_setopt(e, CURLOPT_URL, r->url) == CURLE_OK;
    ok &= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
    ok &= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    ok &= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
    ok &= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, to) == CURLE_OK;
    ok &= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, cto) == CURLE_OK;
    ok &= curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent) == CURLE_OK;
    ok &= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) == CURLE_OK;
    ok &= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
    ok &= curl_easy_setopt(e, CURLOPT_WRITEDATA, x) == CURLE_OK;
    ok &= curl_easy_setopt(e, CURLOPT_PRIVATE, x) == CURLE_OK;
    ok &= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, r->tls.insecure ? 0L : 1L) == CURLE_OK;
    ok &= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, r->tls.insecure ? 0L : 2L) == CURLE_OK;
    if (r->tls.ca_file)
        ok &= curl_easy_setopt(e, CURLOPT_CAINFO, r->tls.ca_file) == CURLE_OK;
    if (r->tls.cert_file)
        ok &= curl_easy_setopt(e, CURLOPT_SSLCERT, r->tls.cert_file) == CURLE_OK;
    if (r->tls.key_file)
        ok &= curl_easy_setopt(e, CURLOPT_SSLKEY, r->tls.key_file) == CURLE_OK;

    if (strcmp(method, "GET") == 0) {
        ok &= curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) == CURLE_OK;
    } else if (strcmp(method, "HEAD") == 0) {
        ok &= curl_easy_setopt(e, CURLOPT_NOBODY, 1L) == CURLE_OK;
    } else {
        /* COPYPOSTFIELDS copies the body now; POSTFIELDSIZE must be set first. */
        ok &= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len) == CURLE_OK;
        ok &= curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, r->body ? (const char *)r->body : "")
              == CURLE_OK;
        if (strcmp(method, "POST") != 0)
            ok &= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method) == CURLE_OK;
    }
    /* No "Expect: 100-continue" round trip: receivers answer small bodies at once. */
    x->headers = curl_slist_append(NULL, "Expect:");
    for (const char *const *h = r->headers; h && *h && x->headers; h++) {
        struct curl_slist *n = curl_slist_append(x->headers, *h);
        if (!n)
            ok = false;
        else
            x->headers = n;
    }
    ok &= x->headers != NULL;
    ok &= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers) == CURLE_OK;
    return ok ? 0 : -1;
}

int http_client_request(http_client *c, const http_request *r, http_done_cb cb, void *arg)
{
    if (!c || c->closing || !r || !cb || !url_ok(r->url))
        return HTTP_EINVAL;
    if (c->running.n >= c->opt.max_inflight && c->waiting.n >= c->opt.max_queued)
        return HTTP_EBUSY;
    http_xfer *x = calloc(1, sizeof *x);
    if (!x)
        return HTTP_EBUSY;
    x->easy = curl_easy_init();
    x->cb = cb;
    x->arg = arg;
    x->max_response = r->max_response ? r->max_response : 65536;
    x->submitted_ms = uv_now(c->loop);
    if (!x->easy || xfer_setup(c, x, r) != 0) {
        if (x->easy)
            curl_easy_cleanup(x->easy);
        curl_slist_free_all(x->headers);
        free(x);
        return HTTP_EINVAL;
    }
    list_push(&c->waiting, x);
    start_waiting(c);
    return 0;
}

/* ---------- lifecycle ---------- */

http_client *http_client_new(uv_loop_t *loop, const http_client_options *opt)
{
    if (!loop)
        return NULL;
    http_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(c);
        return NULL;
    }
    if (opt)
        c->opt = *opt;
    if (!c->opt.max_inflight)
        c->opt.max_inflight = 64;
    if (!c->opt.max_queued)
        c->opt.max_queued = 1024;
    if (c->opt.timeout_ms <= 0)
        c->opt.timeout_ms = 10000;
    if (c->opt.connect_timeout_ms <= 0)
        c->opt.connect_timeout_ms = 5000;
    snprintf(c->user_agent, sizeof c->user_agent, "%s",
             c->opt.user_agent ? c->opt.user_agent : "callprint/" CALLPRINT_VERSION);
    c->opt.user_agent = NULL; /* the copy above is what we use; don't keep the caller's pointer */
    c->loop = loop;
    c->multi = curl_multi_init();
    if (!c->multi) {
        curl_global_cleanup();
        free(c);
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, curl_sock_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    uv_timer_init(loop, &c->timer);
    uv_timer_init(loop, &c->drain_timer);
    c->timer.data = c->drain_timer.data = c;
    c->open_handles = 2;
    return c;
}

size_t http_client_inflight(const http_client *c) { return c ? c->running.n : 0; }
size_t http_client_queued(const http_client *c) { return c ? c->waiting.n : 0; }

static void on_handle_closed(uv_handle_t *h)
{
    http_client *c;
    if (h->type == UV_POLL) {
        http_sock *s = h->data;
        c = s->client;
        free(s);
    } else {
        c = h->data;
    }
    if (--c->open_handles == 0) {
        http_closed_cb cb = c->closed_cb;
        void *arg = c->closed_arg;
        free(c);
        curl_global_cleanup();
        if (cb)
            cb(arg);
    }
}

static void teardown(http_client *c)
{
    if (c->torn_down)
        return;
    c->torn_down = true;
    while (c->running.head) {
        http_xfer *x = c->running.head;
        curl_multi_remove_handle(c->multi, x->easy);
        list_remove(&c->running, x);
        xfer_finish(c, x, CURLE_OK, true);
    }
    while (c->waiting.head) {
        http_xfer *x = c->waiting.head;
        list_remove(&c->waiting, x);
        xfer_finish(c, x, CURLE_OK, true);
    }
    /* Closing cached connections may still report sockets (CURL_POLL_REMOVE): they are
     * closed in curl_sock_cb while c->multi is valid. */
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
    while (c->socks)
        sock_close(c->socks);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    uv_close((uv_handle_t *)&c->drain_timer, on_handle_closed);
}

static void on_drain_timer(uv_timer_t *t)
{
    teardown(t->data);
}

static void drain_fire_now(http_client *c)
{
    if (!c->torn_down)
        uv_timer_start(&c->drain_timer, on_drain_timer, 0, 0);
}

void http_client_close(http_client *c, long drain_ms, http_closed_cb closed, void *arg)
{
    if (!c || c->closing)
        return;
    c->closing = true;
    c->closed_cb = closed;
    c->closed_arg = arg;
    if (c->running.n == 0 && c->waiting.n == 0)
        drain_ms = 0;
    uv_timer_start(&c->drain_timer, on_drain_timer, drain_ms > 0 ? (uint64_t)drain_ms : 0, 0);
}
