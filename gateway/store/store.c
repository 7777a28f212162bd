/* store.c -- the store's lifecycle, request plumbing, customer directory and audit trail.
 *
 * The data model is described in store.h; sessions live in store_session.c, voiceprints in
 * store_voiceprint.c, the connection in store_redis.c and encryption in store_crypt.c. This file
 * holds what they share (store_int.h): batches of commands, per-call contexts, reply adapters.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

#define STORE_ID_MAX 1024 /* bytes: an external_id is 256 characters of UTF-8 */

/* Commands remember where their arguments start; argv may move while it grows, so the
 * store_redis_cmd views are built only at submission. */
struct sb {
    struct { size_t start; int argc; } *cmd;
    size_t ncmds, cap_cmds;
    const char **argv;
    size_t *lens;
    size_t nargs, cap_args;
    char **owned;
    size_t nowned, cap_owned;
    int full; /* out of memory: the batch is refused at submission */
};

/* ---- batches ----------------------------------------------------------------------------- */

/* Make room for one more element in *p (capacity *cap). */
static int sb_grow(void *p, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *np = realloc(*(void **)p, ncap * elem);
    if (!np) return -1;
    *(void **)p = np;
    *cap = ncap;
    return 0;
}

sb *sb_new(void) { return calloc(1, sizeof(sb)); }

static void sb_free(sb *b) {
    for (size_t i = 0; i < b->nowned; i++) free(b->owned[i]);
    free(b->owned), free(b->cmd), free(b->argv), free(b->lens), free(b);
}

void sb_cmd(sb *b) {
    if (b->full || sb_grow(&b->cmd, &b->cap_cmds, b->ncmds, sizeof *b->cmd)) {
        b->full = 1;
        return;
    }
    b->cmd[b->ncmds].start = b->nargs;
    b->cmd[b->ncmds++].argc = 0;
}

void sb_argn(sb *b, const void *p, size_t n) {
    size_t cap = b->cap_args;
    if (b->full || !b->ncmds || sb_grow(&b->argv, &cap, b->nargs, sizeof *b->argv) ||
        sb_grow(&b->lens, &b->cap_args, b->nargs, sizeof *b->lens)) {
        b->full = 1;
        return;
    }
    b->argv[b->nargs] = p;
    b->lens[b->nargs++] = n;
    b->cmd[b->ncmds - 1].argc++;
}

void sb_arg(sb *b, const char *s) {
    if (!s) s = "NA";
    sb_argn(b, s, strlen(s));
}

static void sb_vargf(sb *b, const char *pre, const char *fmt, va_list ap) {
    char *s = NULL, *body = NULL;
    if (vasprintf(&body, fmt, ap) < 0) body = NULL;
    if (body && asprintf(&s, "%s%s", pre, body) < 0) s = NULL;
    free(body);
    if (!s || sb_grow(&b->owned, &b->cap_owned, b->nowned, sizeof *b->owned)) {
        free(s);
        b->full = 1;
        return;
    }
    b->owned[b->nowned++] = s;
    sb_argn(b, s, strlen(s));
}

void sb_argf(sb *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sb_vargf(b, "", fmt, ap);
    va_end(ap);
}

void sb_key(sb *b, const store *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sb_vargf(b, s->prefix, fmt, ap);
    va_end(ap);
}

static int sb_submit(store *s, sb *b, int write, store_redis_cb *cb, void *ctx) {
    store_redis_cmd *cmds = b->full ? NULL : calloc(b->ncmds ? b->ncmds : 1, sizeof *cmds);
    int rc = -1;
    if (!cmds) {
        cb(ctx, STORE_ERROR, NULL, "out of memory");
    } else {
        for (size_t i = 0; i < b->ncmds; i++)
            cmds[i] = (store_redis_cmd){b->cmd[i].argc, b->argv + b->cmd[i].start,
                                        b->lens + b->cmd[i].start};
        rc = write ? store_redis_write(s->redis, cmds, b->ncmds, cb, ctx)
                   : store_redis_read(s->redis, cmds, b->ncmds, cb, ctx);
    }
    free(cmds);
    sb_free(b);
    return rc;
}

int sb_write(store *s, sb *b, store_redis_cb *cb, void *ctx) { return sb_submit(s, b, 1, cb, ctx); }
int sb_read(store *s, sb *b, store_redis_cb *cb, void *ctx) { return sb_submit(s, b, 0, cb, ctx); }

/* ---- contexts and adapters ------------------------------------------------------------------- */

int store_id_ok(const char *id) {
    if (!id || !*id) return 0;
    size_t n = 0;
    for (; id[n]; n++)
        if ((unsigned char)id[n] < 0x20 || n >= STORE_ID_MAX) return 0;
    return 1;
}

sctx *sctx_new(store *s, const char *key, void *arg) {
    sctx *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->s = s;
    c->arg = arg;
    if (key && !(c->key = strdup(key))) {
        free(c);
        return NULL;
    }
    return c;
}

void sctx_free(sctx *c) {
    free(c->key);
    free(c);
}

int store_begin(store *s, const char *key, void *arg, sctx **c, sb **b) {
    *c = sctx_new(s, key, arg);
    *b = sb_new();
    if (*c && *b) return 0;
    if (*c) sctx_free(*c);
    free(*b);
    return -1;
}

int store_fail_done(store_done_cb *cb, void *arg, store_status st, const char *err) {
    if (cb) cb(arg, st, err);
    return -1;
}

void store_reply_done(void *ctx, store_status st, redisReply *rep, const char *err) {
    (void)rep;
    sctx *c = ctx;
    if (c->cb.done) c->cb.done(c->arg, st, err);
    sctx_free(c);
}

/* Integer 0, nil, or an EXEC whose first answer is 0: the thing was not there. */
static int store_reply_absent(const redisReply *rep) {
    if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements) rep = rep->element[0];
    return rep && ((rep->type == REDIS_REPLY_INTEGER && rep->integer == 0) ||
                   rep->type == REDIS_REPLY_NIL);
}

void store_reply_found(void *ctx, store_status st, redisReply *rep, const char *err) {
    if (st == STORE_OK && store_reply_absent(rep)) {
        st = STORE_NOT_FOUND;
        err = "not found";
    }
    store_reply_done(ctx, st, rep, err);
}

void store_reply_id(void *ctx, store_status st, redisReply *rep, const char *err) {
    sctx *c = ctx;
    const char *id = NULL;
    if (st == STORE_OK && rep->type == REDIS_REPLY_STRING) id = rep->str;
    else if (st == STORE_OK) st = STORE_NOT_FOUND, err = "not found";
    c->cb.id(c->arg, st, id, err);
    sctx_free(c);
}

/* ---- cursor listings -------------------------------------------------------------------------- */

#define STORE_PAGE_MAX 1000 /* COUNT cap: pages stay small, the loop stays responsive */

static void store_listed(void *ctx, store_status st, redisReply *rep, const char *err) {
    sctx *c = ctx;
    const redisReply *list = NULL;
    if (st == STORE_OK && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
        rep->element[1]->type == REDIS_REPLY_ARRAY)
        list = rep->element[1];
    else if (st == STORE_OK)
        st = STORE_ERROR, err = "unexpected reply to a scan";
    size_t n = list ? list->elements : 0;
    const char **items = calloc(n + 1, sizeof *items);
    if (st == STORE_OK && !items) st = STORE_ERROR, err = "out of memory";
    for (size_t i = 0; st == STORE_OK && i < n; i++) items[i] = list->element[i]->str;
    uint64_t next = st == STORE_OK ? strtoull(rep->element[0]->str, NULL, 10) : 0;
    c->cb.page(c->arg, st, next, st == STORE_OK ? items : NULL, st == STORE_OK ? n : 0, err);
    free(items);
    sctx_free(c);
}

int store_list(store *s, const char *cmd, const char *key, uint64_t cursor, size_t count,
               store_page_cb *cb, void *arg) {
    sctx *c;
    sb *b;
    if (store_begin(s, NULL, arg, &c, &b)) {
        cb(arg, STORE_ERROR, 0, NULL, 0, "out of memory");
        return -1;
    }
    c->cb.page = cb;
    if (!count) count = 100;
    if (count > STORE_PAGE_MAX) count = STORE_PAGE_MAX;
    sb_cmd(b), sb_arg(b, cmd), sb_key(b, s, "%s", key);
    sb_argf(b, "%llu", (unsigned long long)cursor), sb_arg(b, "COUNT"), sb_argf(b, "%zu", count);
    return sb_read(s, b, store_listed, c);
}

int store_directory_list(store *s, uint64_t cursor, size_t count, store_page_cb *cb, void *arg) {
    return store_list(s, "HSCAN", "directory", cursor, count, cb, arg);
}

/* ---- time ---------------------------------------------------------------------------------- */

/* ---- lifecycle ------------------------------------------------------------------------------ */

store *store_open(uv_loop_t *loop, const store_options *opt, char *err, size_t errcap) {
    store *s = calloc(1, sizeof *s);
    if (!s || !(s->prefix = strdup(opt->prefix ? opt->prefix : "callprint:"))) {
        free(s);
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    s->loop = loop;
    s->ttl_s = opt->session_ttl_s ? opt->session_ttl_s : 604800;
    s->verdict_max = opt->verdict_history_max ? opt->verdict_history_max : 3600;
    s->audit_max = opt->audit_max ? opt->audit_max : 100000;
    s->drain_ms = opt->close_drain_ms ? opt->close_drain_ms : 2000;
    store_redis_options ro = {
        .url = opt->url, .connect_timeout_ms = opt->connect_timeout_ms,
        .command_timeout_ms = opt->command_timeout_ms, .backoff_min_ms = opt->backoff_min_ms,
        .backoff_max_ms = opt->backoff_max_ms, .queue_max_ops = opt->queue_max_ops,
        .queue_max_bytes = opt->queue_max_bytes,
    };
    if (store_crypt_init(&s->crypt, opt->voiceprint_key, err, errcap) ||
        !(s->redis = store_redis_open(loop, &ro, err, errcap))) {
        store_crypt_clear(&s->crypt);
        free(s->prefix);
        free(s);
        return NULL;
    }
    log_write(LOG_INFO, NULL, NULL,
              LOG_KV("redis", store_redis_target(s->redis), "prefix", s->prefix,
                     "voiceprint_encryption", s->crypt.enabled ? s->crypt.kid : "off"),
              "store opened");
    return s;
}

typedef struct {
    store *s;
    void (*done)(void *);
    void *arg;
} store_closing;

static void store_closed(void *arg) {
    store_closing *c = arg;
    store_crypt_clear(&c->s->crypt);
    free(c->s->prefix);
    free(c->s);
    if (c->done) c->done(c->arg);
    free(c);
}

void store_close(store *s, void (*done)(void *), void *arg) {
    store_closing *c = malloc(sizeof *c);
    if (!c) abort(); /* cannot even shut down cleanly */
    *c = (store_closing){s, done, arg};
    store_redis_close(s->redis, store_closed, c, s->drain_ms);
}

store_link_state store_state(const store *s) { return store_redis_state(s->redis); }

const char *store_state_name(store_link_state st) {
    switch (st) {
    case STORE_LINK_CONNECTED: return "connected";
    case STORE_LINK_CONNECTING: return "connecting";
    case STORE_LINK_DOWN: return "down";
    }
    return "down";
}

void store_get_stats(const store *s, store_stats *out) { store_redis_stats(s->redis, out); }

const char *store_strerror(store_status st) {
    switch (st) {
    case STORE_OK: return "ok";
    case STORE_NOT_FOUND: return "not found";
    case STORE_EXISTS: return "already exists";
    case STORE_UNAVAILABLE: return "Redis unavailable";
    case STORE_OVERFLOW: return "write queue full";
    case STORE_CRYPTO: return "cannot decrypt";
    case STORE_INVALID: return "invalid argument";
    case STORE_ERROR: return "Redis error";
    case STORE_CLOSED: return "store closed";
    case STORE_OPTED_OUT: return "the speaker opted out";
    }
    return "unknown";
}

/* ---- customer directory ---------------------------------------------------------------------- */

int store_phone_ok(const char *phone) {
    if (!phone || phone[0] != '+' || !phone[1] || strlen(phone) > 16) return 0;
    for (const char *p = phone + 1; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    return 1;
}

int store_directory_set(store *s, const char *phone, const char *external_id, store_done_cb *cb,
                        void *arg) {
    if (!store_id_ok(external_id))
        return store_fail_done(cb, arg, STORE_INVALID, "external_id must be 1-1024 printable bytes");
    STORE_BEGIN_DONE(s, NULL, store_phone_ok(phone), STORE_PHONE_WHY, cb, arg, c, b);
    sb_cmd(b), sb_arg(b, "HSET"), sb_key(b, s, "directory"), sb_arg(b, phone), sb_arg(b, external_id);
    return sb_write(s, b, store_reply_done, c);
}

int store_phone_hash_get(store *s, const char *hash, const char *phone, store_id_cb *cb,
                         void *arg) {
    STORE_BEGIN_PTR(s, NULL, store_phone_ok(phone), STORE_PHONE_WHY, cb, arg, id, c, b);
    sb_cmd(b), sb_arg(b, "HGET"), sb_key(b, s, "%s", hash), sb_arg(b, phone);
    return sb_read(s, b, store_reply_id, c);
}

int store_phone_hash_delete(store *s, const char *hash, const char *phone, store_done_cb *cb,
                            void *arg) {
    STORE_BEGIN_DONE(s, NULL, store_phone_ok(phone), STORE_PHONE_WHY, cb, arg, c, b);
    sb_cmd(b), sb_arg(b, "HDEL"), sb_key(b, s, "%s", hash), sb_arg(b, phone);
    return sb_write(s, b, store_reply_found, c);
}

int store_directory_get(store *s, const char *phone, store_id_cb *cb, void *arg) {
    return store_phone_hash_get(s, "directory", phone, cb, arg);
}

int store_directory_delete(store *s, const char *phone, store_done_cb *cb, void *arg) {
    return store_phone_hash_delete(s, "directory", phone, cb, arg);
}

/* ---- audit trail ------------------------------------------------------------------------------ */

int store_audit(store *s, const char *event, const char *stream, const char *session,
                const char *detail, store_done_cb *cb, void *arg) {
    STORE_BEGIN_DONE(s, NULL, event && *event, "audit event is empty", cb, arg, c, b);
    sb_cmd(b), sb_arg(b, "XADD"), sb_key(b, s, "audit"), sb_arg(b, "MAXLEN"), sb_arg(b, "~");
    sb_argf(b, "%zu", s->audit_max), sb_arg(b, "*");
    sb_arg(b, "event"), sb_arg(b, event), sb_arg(b, "stream"), sb_arg(b, stream);
    sb_arg(b, "session"), sb_arg(b, session), sb_arg(b, "detail"), sb_arg(b, detail);
    return sb_write(s, b, store_reply_done, c);
}
