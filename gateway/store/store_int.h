/* store_int.h -- what store.c, store_session.c and store_voiceprint.c share (internal).
 *
 * A request is assembled in an sb ("store batch"): one or more commands whose arguments are
 * either borrowed (valid until the batch is submitted) or formatted into strings the batch owns.
 * Submitting formats the commands into RESP at once (store_redis.c), so the batch and every
 * borrowed argument may go away right after sb_write()/sb_read().
 *
 * Every public call allocates one sctx holding the caller's callback; the reply adapter turns
 * the Redis reply into the public answer, calls back and frees the sctx. If submission fails,
 * store_redis has already called the adapter, so the sctx is freed on every path exactly once.
 */
#ifndef CALLPRINT_STORE_INT_H
#define CALLPRINT_STORE_INT_H

#include <stdarg.h>

#include "store/store.h"
#include "store/store_crypt.h"
#include "store/store_redis.h"
#include "store/store_speaker.h"

struct store {
    uv_loop_t *loop;
    store_redis *redis;
    char *prefix;
    unsigned ttl_s, drain_ms;
    size_t verdict_max, audit_max;
    store_crypt crypt;
};

typedef struct sb sb;

sb *sb_new(void);
void sb_cmd(sb *b);                                   /* start the next command */
void sb_arg(sb *b, const char *s);                    /* borrowed; NULL = "NA" */
void sb_argn(sb *b, const void *p, size_t n);         /* borrowed, binary */
void sb_argf(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3))); /* owned */
void sb_key(sb *b, const store *s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Submit and free the batch (a batch that ran out of memory fails with STORE_ERROR). */
int sb_write(store *s, sb *b, store_redis_cb *cb, void *ctx);
int sb_read(store *s, sb *b, store_redis_cb *cb, void *ctx);

typedef struct {
    store *s;
    union {
        store_done_cb *done;
        store_id_cb *id;
        store_count_cb *count;
        store_session_cb *session;
        store_voiceprint_cb *voiceprint;
        store_scan_cb *scan;
        store_page_cb *page;
        store_speaker_cb *speaker;
    } cb;
    void *arg;
    char *key;      /* the id the request is about (AAD, error messages) */
    uint64_t cursor; /* scan: next cursor */
} sctx;

/* NULL after having called back with STORE_ERROR (out of memory) or STORE_INVALID (bad key). */
sctx *sctx_new(store *s, const char *key, void *arg);
void sctx_free(sctx *c);
/* A call's context and batch together; -1 (nothing allocated) if out of memory. */
int store_begin(store *s, const char *key, void *arg, sctx **c, sb **b);

/* The prologue of every public call: refuse (STORE_INVALID, `why`) unless `ok`, then declare and
 * allocate the context c and batch b (STORE_ERROR if out of memory) and set the context's
 * callback; on failure call back and return -1. One statement at block level, since it declares
 * c and b for the rest of the call. BEGIN_PTR is for callbacks shaped (arg, status, pointer,
 * err), stored in c->cb.<member>; BEGIN_DONE for store_done_cb (c->cb.done). */
#define STORE_BEGIN_PTR(s, key, ok, why, cb, arg, member, c, b)                                \
    sctx *c;                                                                                   \
    sb *b;                                                                                     \
    if (!(ok)) return (cb)((arg), STORE_INVALID, NULL, (why)), -1;                             \
    if (store_begin((s), (key), (arg), &(c), &(b)))                                            \
        return (cb)((arg), STORE_ERROR, NULL, "out of memory"), -1;                            \
    (c)->cb.member = (cb)
#define STORE_BEGIN_DONE(s, key, ok, why, cb, arg, c, b)                                       \
    sctx *c;                                                                                   \
    sb *b;                                                                                     \
    if (!(ok)) return store_fail_done((cb), (arg), STORE_INVALID, (why));                      \
    if (store_begin((s), (key), (arg), &(c), &(b)))                                            \
        return store_fail_done((cb), (arg), STORE_ERROR, "out of memory");                     \
    (c)->cb.done = (cb)
/* The generic adapters: st as given (OK also for integer 0 replies); with _found, an integer 0
 * or nil reply (or an EXEC whose first element is 0) becomes STORE_NOT_FOUND. */
void store_reply_done(void *ctx, store_status st, redisReply *rep, const char *err);
void store_reply_found(void *ctx, store_status st, redisReply *rep, const char *err);
/* A string reply (nil -> STORE_NOT_FOUND) to a store_id_cb. */
void store_reply_id(void *ctx, store_status st, redisReply *rep, const char *err);

/* Start an SSCAN/HSCAN page of `key` (relative to the prefix) answered through store_page_cb. */
int store_list(store *s, const char *cmd, const char *key, uint64_t cursor, size_t count,
               store_page_cb *cb, void *arg);

/* Fail a call before anything was sent: cb (of type `kind`) gets st/err. Returns -1. */
int store_fail_done(store_done_cb *cb, void *arg, store_status st, const char *err);

/* 1 when a caller-supplied id is usable in a key (non-empty, <= 256 bytes, no control chars). */
int store_id_ok(const char *id);
#define STORE_ID_WHY "external_id must be 1-1024 printable bytes"
/* 1 when phone is E.164 ('+' and 1-15 digits); STORE_PHONE_WHY says so to the caller. */
int store_phone_ok(const char *phone);
#define STORE_PHONE_WHY "phone must be E.164 (+ and digits)"
/* HGET / HDEL of an E.164 number in a hash keyed by numbers (the directory, the deny list). */
int store_phone_hash_get(store *s, const char *hash, const char *phone, store_id_cb *cb,
                         void *arg);
int store_phone_hash_delete(store *s, const char *hash, const char *phone, store_done_cb *cb,
                            void *arg);

#endif
