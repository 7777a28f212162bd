/* webhook.c -- per-target queues, one delivery in flight per target, retries with backoff.
 * See webhook.h for the contract.
 *
 * Data: targets live in a fixed hash table keyed by (url, secret, queue key). A target holds
 * a FIFO of messages; the head is "in progress" while a POST for it is in flight or its retry timer
 * runs, and only the head is ever sent, which is what keeps order. The queue bound counts
 * the waiting messages behind the head, so dropping the oldest never touches a message that
 * is half delivered. The queue key is the caller's unit of order (live.c passes the
 * subscription id): one receiver URL shared by every call's subscription -- the normal case,
 * one CRM endpoint -- then gets one FIFO per subscription, delivered side by side, instead of
 * every call's webhook waiting behind one request. The total stays bounded by max_inflight
 * (the http_client queues the rest) and libcurl reuses its connections to the host.
 *
 * Lifecycle of a target: created by webhook_send, freed as soon as it is idle (no message,
 * nothing in flight, no retry pending) -- its uv_timer_t is closed first and the memory
 * released in the close callback. Lifecycle of the engine: webhook_close drops what waits,
 * lets the http_client drain in-flight POSTs (they end delivered, failed or cancelled),
 * then closes every target timer; the last close callback frees the engine.
 */
#include "http/webhook.h"

#include "common/hash.h"
#include "common/list.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "webhook_payload.h"

#define WH_BUCKETS 1024

const double webhook_latency_bounds[WEBHOOK_LATENCY_BUCKETS] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, INFINITY,
};

typedef struct wh_msg {
    struct wh_msg *next;
    uint64_t id;
    uint64_t enq_ms;
    uint64_t sent_at_us; /* wall clock at webhook_send: X-Callprint-Sent-At */
    int attempts;
    size_t len;
    char body[];
} wh_msg;

typedef struct wh_target {
    webhook *w;
    struct wh_target *hnext;
    uint32_t hash;
    char *url, *secret, *key;
    wh_msg *head, *tail;
    size_t n;                   /* messages incl. the head */
    bool inflight, retry_wait;
    uv_timer_t retry;
} wh_target;

struct webhook {
    uv_loop_t *loop;
    webhook_options opt;
    char *ca_file, *cert_file, *key_file; /* owned copies of opt.tls paths */
    http_client *http;
    wh_target *table[WH_BUCKETS];
    webhook_stats st;
    uint64_t next_id;
    uint64_t last_warn_ms; /* failures are logged at most once per WH_WARN_INTERVAL_MS */
    uint64_t unlogged_failures;
    int closing_timers; /* target timers whose close callback has not run */
    bool closing, http_closed;
    void (*closed_cb)(void *);
    void *closed_arg;
};

/* ---------- targets ---------- */

/* The three strings, each followed by a 0xff separator (never in a C string). */
static uint32_t key_hash(const char *url, const char *secret, const char *key)
{
    const char *parts[] = {url, secret, key};
    uint64_t h = HASH_FNV_SEED;
    for (int i = 0; i < 3; i++)
        h = hash_fnv_byte(hash_fnv_str(h, parts[i]), 0xff);
    return (uint32_t)h;
}

static wh_target *target_find(const webhook *w, const char *url, const char *secret,
                              const char *key)
{
    uint32_t h = key_hash(url, secret, key);
    for (wh_target *t = w->table[h % WH_BUCKETS]; t; t = t->hnext)
        if (t->hash == h && strcmp(t->url, url) == 0 && strcmp(t->secret, secret) == 0 &&
            strcmp(t->key, key) == 0)
            return t;
    return NULL;
}

static void target_freed(uv_handle_t *h);

static void target_free(wh_target *t)
{
    free(t->url);
    free(t->secret);
    free(t->key);
    free(t);
}

static wh_target *target_new(webhook *w, const char *url, const char *secret, const char *key)
{
    wh_target *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->url = strdup(url);
    t->secret = strdup(secret);
    t->key = strdup(key);
    if (!t->url || !t->secret || !t->key) {
        target_free(t);
        return NULL;
    }
    t->w = w;
    t->hash = key_hash(url, secret, key);
    uv_timer_init(w->loop, &t->retry);
    t->retry.data = t;
    wh_target **slot = &w->table[t->hash % WH_BUCKETS];
    t->hnext = *slot;
    *slot = t;
    w->st.targets++;
    return t;
}

static void msg_pop(wh_target *t)
{
    wh_msg *m = t->head;
    QUEUE_POP(t->head, t->tail);
    t->n--;
    t->w->st.queued--;
    free(m);
}

/* Unlink from the table and close the timer; memory goes in target_freed. */
static void target_release(wh_target *t)
{
    webhook *w = t->w;
    wh_target **pp = &w->table[t->hash % WH_BUCKETS];
    while (*pp != t)
        pp = &(*pp)->hnext;
    *pp = t->hnext;
    while (t->head) {
        msg_pop(t);
        w->st.dropped++;
    }
    w->st.targets--;
    w->closing_timers++;
    uv_close((uv_handle_t *)&t->retry, target_freed);
}

static void engine_maybe_free(webhook *w)
{
    if (!w->http_closed || w->closing_timers)
        return;
    void (*cb)(void *) = w->closed_cb;
    void *arg = w->closed_arg;
    free(w->ca_file);
    free(w->cert_file);
    free(w->key_file);
    free(w);
    if (cb)
        cb(arg);
}

static void target_freed(uv_handle_t *h)
{
    wh_target *t = h->data;
    webhook *w = t->w;
    target_free(t);
    w->closing_timers--;
    if (w->closing)
        engine_maybe_free(w);
}

static bool target_idle(const wh_target *t)
{
    return !t->head && !t->inflight && !t->retry_wait;
}

/* ---------- delivery ---------- */

static void deliver(wh_target *t);

static void target_kick(wh_target *t)
{
    if (t->w->closing)
        return;
    if (t->head && !t->inflight && !t->retry_wait)
        deliver(t);
    else if (target_idle(t))
        target_release(t);
}

static void on_retry(uv_timer_t *timer)
{
    wh_target *t = timer->data;
    t->retry_wait = false;
    t->w->st.retries++;
    target_kick(t);
}

static void record_latency(webhook *w, double secs)
{
    int i = 0;
    while (i < WEBHOOK_LATENCY_BUCKETS - 1 && secs > webhook_latency_bounds[i])
        i++;
    w->st.latency_count[i]++;
    w->st.latency_sum += secs;
}

#define WH_WARN_INTERVAL_MS 10000

/* The URL without its query string: receivers' tokens live there and are not logged. A dead
 * receiver fails every message of every call, so failures are logged once per
 * WH_WARN_INTERVAL_MS for the whole engine (targets are short-lived: one per subscription)
 * with the count of those not logged in between; webhook_stats counts them all. */
static void log_outcome(wh_target *t, const wh_msg *m, const http_response *res, bool ok)
{
    webhook *w = t->w;
    uint64_t now = uv_now(w->loop);
    if (ok ? !log_enabled(LOG_DEBUG)
           : (w->last_warn_ms && now - w->last_warn_ms < WH_WARN_INTERVAL_MS)) {
        w->unlogged_failures += !ok;
        return;
    }
    char url[256], id[24], status[16], skipped[24];
    size_t cut = strcspn(t->url, "?#");
    snprintf(url, sizeof url, "%.*s", (int)(cut < 200 ? cut : 200), t->url);
    snprintf(id, sizeof id, "%llu", (unsigned long long)m->id);
    snprintf(status, sizeof status, "%ld", res->status);
    snprintf(skipped, sizeof skipped, "%llu", (unsigned long long)w->unlogged_failures);
    const char *error = res->error[0] ? res->error : NULL;
    if (ok) {
        log_write(LOG_DEBUG, NULL, NULL,
                  LOG_KV("url", url, "delivery", id, "status", status, "error", error),
                  "webhook delivered");
        return;
    }
    log_write(LOG_WARN, NULL, NULL,
              LOG_KV("url", url, "delivery", id, "status", status, "error", error,
                     "failures_not_logged", w->unlogged_failures ? skipped : NULL),
              "webhook delivery failed after %d attempt(s)", m->attempts);
    w->last_warn_ms = now ? now : 1;
    w->unlogged_failures = 0;
}

static bool retryable(const http_response *res)
{
    if (res->curl_code != 0)
        return true; /* connection refused, reset, DNS, timeout, TLS handshake ... */
    return res->status == 408 || res->status == 429 || res->status >= 500;
}

static void finish_head(wh_target *t, const http_response *res, bool delivered)
{
    webhook *w = t->w;
    wh_msg *m = t->head;
    double latency = (double)(uv_now(w->loop) - m->enq_ms) / 1000.0;
    if (delivered) {
        w->st.delivered++;
        record_latency(w, latency);
    } else if (res->cancelled) {
        w->st.dropped++;
    } else {
        w->st.failed++;
    }
    log_outcome(t, m, res, delivered);
    if (w->opt.on_result) {
        webhook_result r = {t->url, m->id, delivered, m->attempts, res->status, res->error,
                            latency, t->key};
        w->opt.on_result(&r, w->opt.on_result_arg);
    }
    msg_pop(t);
}

static long backoff_ms(const webhook *w, int attempts)
{
    long d = w->opt.backoff_base_ms;
    for (int i = 1; i < attempts && d < w->opt.backoff_max_ms; i++)
        d *= 2;
    return d < w->opt.backoff_max_ms ? d : w->opt.backoff_max_ms;
}

static void on_http_done(const http_response *res, void *arg)
{
    wh_target *t = arg;
    webhook *w = t->w;
    t->inflight = false;
    w->st.inflight--;
    bool ok = !res->cancelled && res->curl_code == 0 && res->status >= 200 && res->status < 300;
    if (!ok && !res->cancelled && !w->closing && retryable(res) &&
        t->head->attempts < w->opt.max_attempts) {
        t->retry_wait = true;
        uv_timer_start(&t->retry, on_retry, (uint64_t)backoff_ms(w, t->head->attempts), 0);
        return;
    }
    finish_head(t, res, ok);
    target_kick(t);
}

static void deliver(wh_target *t)
{
    webhook *w = t->w;
    wh_msg *m = t->head;
    char sig[WHP_SIGNATURE_MAX + 1];
    char h_sig[sizeof sig + 32], h_id[64], h_attempt[48], h_at[64];
    const char *headers[6];
    int nh = 0;

    m->attempts++;
    headers[nh++] = "Content-Type: application/json";
    /* Signed per attempt with the current time: a retry minutes later is still within the
     * receiver's replay window. */
    if (t->secret[0] &&
        whp_sign(t->secret, (long long)time(NULL), m->body, m->len, sig, sizeof sig) == 0) {
        snprintf(h_sig, sizeof h_sig, "%s: %s", WHP_SIGNATURE_HEADER, sig);
        headers[nh++] = h_sig;
    }
    snprintf(h_id, sizeof h_id, "X-Callprint-Delivery: %llu", (unsigned long long)m->id);
    snprintf(h_attempt, sizeof h_attempt, "X-Callprint-Attempt: %d", m->attempts);
    /* When the gateway produced the body (wall clock): receivers -- the load generator --
     * measure delivery latency from it, queueing and retries included. */
    snprintf(h_at, sizeof h_at, "X-Callprint-Sent-At: %llu.%06llu",
             (unsigned long long)(m->sent_at_us / 1000000),
             (unsigned long long)(m->sent_at_us % 1000000));
    headers[nh++] = h_id;
    headers[nh++] = h_attempt;
    headers[nh++] = h_at;
    headers[nh] = NULL;

    http_request req = {
        .method = "POST",
        .url = t->url,
        .headers = headers,
        .body = m->body,
        .body_len = m->len,
        .timeout_ms = w->opt.timeout_ms,
        .connect_timeout_ms = w->opt.connect_timeout_ms,
        .max_response = 4096,
        .tls = {w->ca_file, w->cert_file, w->key_file, w->opt.tls.insecure},
    };
    int rc = http_client_request(w->http, &req, on_http_done, t);
    if (rc != 0) {
        /* Not even queued (out of memory / client closing): a failed attempt, retried. */
        http_response fake = {.curl_code = -1, .error = "could not queue the request"};
        t->inflight = true;
        w->st.inflight++;
        on_http_done(&fake, t);
        return;
    }
    t->inflight = true;
    w->st.inflight++;
}

/* ---------- public API ---------- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

webhook *webhook_new(uv_loop_t *loop, const webhook_options *opt)
{
    if (!loop)
        return NULL;
    webhook *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    if (opt)
        w->opt = *opt;
    webhook_options *o = &w->opt;
    if (!o->queue_max)
        o->queue_max = 64;
    if (!o->max_targets)
        o->max_targets = 10000;
    if (o->max_attempts <= 0)
        o->max_attempts = 3;
    if (o->backoff_base_ms <= 0)
        o->backoff_base_ms = 500;
    if (o->backoff_max_ms <= 0)
        o->backoff_max_ms = 10000;
    if (o->timeout_ms <= 0)
        o->timeout_ms = 5000;
    if (o->connect_timeout_ms <= 0)
        o->connect_timeout_ms = 2000;
    if (!o->max_inflight)
        o->max_inflight = 256;
    w->ca_file = dup_or_null(o->tls.ca_file);
    w->cert_file = dup_or_null(o->tls.cert_file);
    w->key_file = dup_or_null(o->tls.key_file);
    o->tls.ca_file = o->tls.cert_file = o->tls.key_file = NULL; /* use the copies */
    w->loop = loop;
    /* Each target has at most one request outstanding, so a queue of max_targets never
     * refuses one of ours; beyond max_inflight, keyed targets of one URL wait there in the
     * order they became ready. */
    http_client_options hopt = {
        .max_inflight = o->max_inflight,
        .max_queued = o->max_targets,
        .timeout_ms = o->timeout_ms,
        .connect_timeout_ms = o->connect_timeout_ms,
    };
    w->http = http_client_new(loop, &hopt);
    if (!w->http) {
        free(w->ca_file);
        free(w->cert_file);
        free(w->key_file);
        free(w);
        return NULL;
    }
    return w;
}

/* Make room for one more waiting message: drop the oldest that is not in progress. */
static void make_room(wh_target *t)
{
    webhook *w = t->w;
    bool head_busy = t->inflight || t->retry_wait;
    size_t waiting = t->n - (head_busy ? 1 : 0);
    if (waiting < w->opt.queue_max)
        return;
    if (!head_busy) {
        msg_pop(t);
    } else {
        wh_msg *victim = t->head->next;
        t->head->next = victim->next;
        if (t->tail == victim)
            t->tail = t->head;
        t->n--;
        w->st.queued--;
        free(victim);
    }
    w->st.dropped++;
}

int webhook_send(webhook *w, const char *url, const char *secret, const char *body, size_t len)
{
    return webhook_send_keyed(w, url, secret, NULL, body, len);
}

int webhook_send_keyed(webhook *w, const char *url, const char *secret, const char *key,
                       const char *body, size_t len)
{
    if (!w || w->closing || !body || !url ||
        (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return -1;
    if (!secret)
        secret = "";
    if (!key)
        key = "";
    wh_target *t = target_find(w, url, secret, key);
    if (!t) {
        if (w->st.targets >= w->opt.max_targets)
            return -1;
        t = target_new(w, url, secret, key);
        if (!t)
            return -1;
    }
    wh_msg *m = malloc(sizeof *m + len + 1);
    if (!m) {
        target_kick(t); /* releases a target we just created */
        return -1;
    }
    make_room(t);
    m->id = ++w->next_id;
    m->enq_ms = uv_now(w->loop);
    uv_timeval64_t tv;
    m->sent_at_us = uv_gettimeofday(&tv) == 0
                        ? (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec
                        : 0;
    m->attempts = 0;
    m->len = len;
    memcpy(m->body, body, len);
    m->body[len] = '\0';
    QUEUE_PUSH(t->head, t->tail, m);
    t->n++;
    w->st.queued++;
    w->st.sent++;
    target_kick(t);
    return 0;
}

void webhook_get_stats(const webhook *w, webhook_stats *out)
{
    if (!w || !out)
        return;
    *out = w->st;
    out->max_depth = 0;
    for (size_t i = 0; i < WH_BUCKETS; i++)
        for (const wh_target *t = w->table[i]; t; t = t->hnext)
            if (t->n > out->max_depth)
                out->max_depth = t->n;
}

size_t webhook_queue_depth(const webhook *w, const char *url, const char *secret)
{
    if (!w || !url)
        return 0;
    const wh_target *t = target_find(w, url, secret ? secret : "", "");
    return t ? t->n : 0;
}

static void on_http_closed(void *arg)
{
    webhook *w = arg;
    w->http = NULL;
    w->http_closed = true;
    for (size_t i = 0; i < WH_BUCKETS; i++)
        while (w->table[i])
            target_release(w->table[i]);
    engine_maybe_free(w);
}

void webhook_close(webhook *w, long drain_ms, void (*closed)(void *arg), void *arg)
{
    if (!w || w->closing)
        return;
    w->closing = true;
    w->closed_cb = closed;
    w->closed_arg = arg;
    /* Keep only heads that are on the wire; retries and waiting bodies are dropped. */
    for (size_t i = 0; i < WH_BUCKETS; i++) {
        for (wh_target *t = w->table[i]; t; t = t->hnext) {
            if (t->retry_wait) {
                uv_timer_stop(&t->retry);
                t->retry_wait = false;
            }
            wh_msg *keep = t->inflight ? t->head : NULL;
            wh_msg *m = keep ? keep->next : t->head;
            while (m) {
                wh_msg *next = m->next;
                free(m);
                t->n--;
                w->st.queued--;
                w->st.dropped++;
                m = next;
            }
            t->head = t->tail = keep;
            if (keep)
                keep->next = NULL;
        }
    }
    http_client_close(w->http, drain_ms, on_http_closed, w);
}
