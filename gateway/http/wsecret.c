/* wsecret.c -- the webhook secret: configured, or generated once and shared through Redis.
 * See wsecret.h for the behaviour.
 *
 * Loading is a small state machine on the loop: GET; not found -> SET NX a fresh secret,
 * then GET again (whoever wrote first wins, for every gateway on the Redis); an unavailable
 * Redis -> the timer retries the GET a second later. The secret in memory is wiped on free.
 */
#include "http/wsecret.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "store/store_kv.h"

#define WSECRET_BYTES 32
#define WSECRET_RETRY_MS 1000

struct wsecret {
    store *st;
    uv_timer_t retry;
    bool retry_open, closing, generated, wrote;
    char secret[CONFIG_STR_MAX];
    char fp[WSECRET_FP_LEN + 8];
};

void wsecret_fingerprint_of(const char *secret, char *out, size_t cap)
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)secret, strlen(secret), d);
    size_t n = (size_t)snprintf(out, cap, "sha256:");
    for (size_t i = 0; i < WSECRET_FP_LEN / 2 && n + 2 < cap; i++, n += 2)
        snprintf(out + n, cap - n, "%02x", d[i]);
}

static void set_secret(wsecret *w, const char *secret)
{
    snprintf(w->secret, sizeof w->secret, "%s", secret);
    wsecret_fingerprint_of(w->secret, w->fp, sizeof w->fp);
}

static void load(wsecret *w);

static void on_retry(uv_timer_t *t)
{
    load(t->data);
}

static void retry_later(wsecret *w)
{
    if (!w->closing)
        uv_timer_start(&w->retry, on_retry, WSECRET_RETRY_MS, 0);
}

static void on_written(void *arg, store_status st, const char *err)
{
    (void)err;
    wsecret *w = arg;
    if (st != STORE_OK) {
        w->wrote = false;
        retry_later(w);
        return;
    }
    load(w); /* read back: another gateway's secret may have been there first */
}

static void generate(wsecret *w)
{
    unsigned char raw[WSECRET_BYTES];
    char hex[2 * WSECRET_BYTES + 1];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        log_error("webhook secret: no random bytes; retrying");
        retry_later(w);
        return;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    OPENSSL_cleanse(raw, sizeof raw);
    w->wrote = true;
    if (store_kv_set_nx(w->st, WSECRET_KEY, hex, on_written, w) != 0)
        retry_later(w);
    OPENSSL_cleanse(hex, sizeof hex);
}

static void on_read(void *arg, store_status st, const char *value, const char *err)
{
    wsecret *w = arg;
    if (w->closing)
        return;
    if (st == STORE_OK && value && *value) {
        set_secret(w, value);
        log_write(LOG_INFO, NULL, NULL, LOG_KV("fingerprint", w->fp),
                  "webhook secret %s Redis (no webhook_secret configured): zero-integration "
                  "webhooks are signed with it; read it with `callprint --check-config` or GET "
                  "/api/v2/admin/webhook-secret",
                  w->wrote ? "generated and stored in" : "loaded from");
    } else if (st == STORE_NOT_FOUND && !w->wrote) {
        generate(w);
    } else {
        if (st != STORE_UNAVAILABLE)
            log_warn("webhook secret not read from Redis (%s); retrying",
                     err ? err : store_strerror(st));
        retry_later(w);
    }
}

static void load(wsecret *w)
{
    if (!w->closing && store_kv_get(w->st, WSECRET_KEY, on_read, w) != 0)
        retry_later(w);
}

wsecret *wsecret_new(uv_loop_t *loop, const config *cfg, store *st)
{
    wsecret *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->st = st;
    if (cfg->webhook_secret[0]) {
        set_secret(w, cfg->webhook_secret);
        return w;
    }
    w->generated = true;
    if (!st)
        return w;
    uv_timer_init(loop, &w->retry);
    w->retry.data = w;
    w->retry_open = true;
    load(w);
    return w;
}

void wsecret_close(wsecret *w)
{
    if (!w || w->closing)
        return;
    w->closing = true;
    if (w->retry_open) {
        uv_timer_stop(&w->retry);
        uv_close((uv_handle_t *)&w->retry, NULL);
    }
}

void wsecret_free(wsecret *w)
{
    if (!w)
        return;
    OPENSSL_cleanse(w->secret, sizeof w->secret);
    free(w);
}

const char *wsecret_get(const wsecret *w) { return w && w->secret[0] ? w->secret : NULL; }
const char *wsecret_fingerprint(const wsecret *w) { return w ? w->fp : ""; }
bool wsecret_generated(const wsecret *w) { return w && w->generated; }

/* ---- --check-config: one GET on a private loop ---- */

typedef struct {
    int found; /* 1, 0, -1; 2 while waiting */
    char *out, *err;
    size_t cap, errcap;
} sync_read;

static void on_sync_read(void *arg, store_status st, const char *value, const char *err)
{
    sync_read *r = arg;
    if (r->found != 2)
        return;
    if (st == STORE_OK && value) {
        snprintf(r->out, r->cap, "%s", value);
        r->found = 1;
    } else if (st == STORE_NOT_FOUND) {
        r->found = 0;
    } else {
        snprintf(r->err, r->errcap, "%s", err ? err : store_strerror(st));
        r->found = -1;
    }
}

static void on_sync_closed(void *arg) { (void)arg; }

int wsecret_read_sync(const config *cfg, int timeout_ms, char *out, size_t cap, char *err,
                      size_t errcap)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    store_options so = {.url = cfg->redis_url, .prefix = cfg->redis_prefix,
                        .session_ttl_s = (unsigned)cfg->session_ttl_s};
    sync_read r = {.found = 2, .out = out, .err = err, .cap = cap, .errcap = errcap};
    store *st = store_open(&loop, &so, err, errcap);
    if (!st) {
        uv_loop_close(&loop);
        return -1;
    }
    uint64_t end = uv_now(&loop) + (uint64_t)timeout_ms;
    while (r.found == 2 && uv_now(&loop) < end) {
        /* Reads fail fast while the link is still connecting: ask once it is up. */
        store_link_state ls = store_state(st);
        if (ls == STORE_LINK_DOWN) {
            snprintf(err, errcap, "Redis unreachable");
            r.found = -1;
            break;
        }
        if (ls == STORE_LINK_CONNECTED) {
            store_kv_get(st, WSECRET_KEY, on_sync_read, &r);
            while (r.found == 2 && uv_now(&loop) < end)
                uv_run(&loop, UV_RUN_ONCE);
            break;
        }
        uv_run(&loop, UV_RUN_NOWAIT);
        uv_sleep(10);
        uv_update_time(&loop);
    }
    if (r.found == 2) {
        snprintf(err, errcap, "no answer from Redis within %d ms", timeout_ms);
        r.found = -1;
    }
    store_close(st, on_sync_closed, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return r.found;
}
