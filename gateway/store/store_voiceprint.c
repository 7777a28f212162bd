/* store_voiceprint.c -- voiceprints in Redis, encrypted at rest when a key is configured.
 *
 * One hash per external_id plus a set of all ids (count and export without KEYS/SCAN over the
 * whole keyspace). An enrolment (overwrite) is MULTI: DEL, HSET, SADD -- DEL first so no field of
 * an older voiceprint (a stale key id) survives. An import that must not overwrite runs as one
 * Lua script, the only way to make "create if absent" atomic over several fields.
 *
 * Export pages: SSCAN gives a page of ids, then one MULTI of HGETALLs fetches them; each blob is
 * decrypted on its own, so one bad blob is reported for its id without failing the page.
 *
 * Stamps: every write stores a fresh random `stamp` field (64 bits from OpenSSL). A reader
 * that caches a blob (a live verification, for the whole call) re-reads only the stamp
 * (HMGET, a few bytes) to learn that the voiceprint was replaced or deleted -- by this process
 * or any other sharing the Redis. created_ms cannot serve: a restore keeps the original one.
 * A voiceprint written before stamps existed reports its created_ms as its stamp.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#include "common/time.h"

#define VP_BLOB_MAX (16u << 20) /* a voiceprint is KBs; refuse absurd blobs */
#define VP_ID_WHY STORE_ID_WHY

/* Every write is one script: an opted-out speaker's tombstone (store_speaker.h) refuses it
 * (-1), skip mode keeps an existing voiceprint (0), else DEL + HSET + SADD (1). ARGV: id,
 * skip ("1"/"0"), then the hash fields. */
static const char vp_put_script[] =
    "if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return -1 end\n"
    "if ARGV[2] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end\n"
    "redis.call('DEL', KEYS[1])\n"
    "redis.call('HSET', KEYS[1], unpack(ARGV, 3))\n"
    "redis.call('SADD', KEYS[2], ARGV[1])\n"
    "return 1\n";

/* HGETALL, but an absent voiceprint of an opted-out speaker answers -1. */
static const char vp_get_script[] =
    "local h = redis.call('HGETALL', KEYS[1])\n"
    "if #h == 0 and redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return -1 end\n"
    "return h\n";

/* The hash fields of a voiceprint, after the key. */
static void vp_fields(sb *b, const store *s, const store_voiceprint *vp, const uint8_t *blob,
                      size_t len) {
    uint64_t stamp = 0;
    if (RAND_bytes((unsigned char *)&stamp, sizeof stamp) != 1)
        stamp = (uint64_t)time_now_ms() ^ (uint64_t)(uintptr_t)blob; /* still differs per write */
    sb_arg(b, "stamp"), sb_argf(b, "%016llx", (unsigned long long)stamp);
    sb_arg(b, "blob"), sb_argn(b, blob, len);
    sb_arg(b, "enc"), sb_arg(b, s->crypt.enabled ? STORE_CRYPT_ENC : STORE_CRYPT_NONE);
    sb_arg(b, "kid"), sb_arg(b, s->crypt.enabled ? s->crypt.kid : "");
    int64_t created = vp->created_ms ? vp->created_ms : time_now_ms();
    sb_arg(b, "created_ms"), sb_argf(b, "%lld", (long long)created);
    sb_arg(b, "stream_uuid"), sb_arg(b, vp->stream_uuid);
    sb_arg(b, "speech_s"), sb_argf(b, "%.2f", vp->speech_s);
    sb_arg(b, "last_accessed_ms"), sb_argf(b, "%lld", (long long)time_now_ms()); /* an enrolment */
}

static void vp_put_reply(void *ctx, store_status st, redisReply *rep, const char *err) {
    if (st == STORE_OK && rep->type == REDIS_REPLY_INTEGER && rep->integer == 0)
        st = STORE_EXISTS, err = "a voiceprint already exists for this external_id (kept)";
    else if (st == STORE_OK && rep->type == REDIS_REPLY_INTEGER && rep->integer < 0)
        st = STORE_OPTED_OUT, err = STORE_OPTED_OUT_WHY;
    store_reply_done(ctx, st, rep, err);
}

int store_voiceprint_put(store *s, const store_voiceprint *vp, store_put_mode mode,
                         store_done_cb *cb, void *arg) {
    if (!store_id_ok(vp->external_id)) return store_fail_done(cb, arg, STORE_INVALID, VP_ID_WHY);
    if (!vp->blob || !vp->len || vp->len > VP_BLOB_MAX)
        return store_fail_done(cb, arg, STORE_INVALID, "voiceprint blob is empty or over 16 MiB");
    uint8_t *sealed = NULL;
    size_t len = vp->len;
    if (s->crypt.enabled && store_crypt_seal(&s->crypt, vp->external_id, vp->blob, vp->len, &sealed, &len))
        return store_fail_done(cb, arg, STORE_ERROR, "voiceprint encryption failed");
    const uint8_t *blob = sealed ? sealed : vp->blob;
    sctx *c;
    sb *b;
    if (store_begin(s, NULL, arg, &c, &b)) {
        free(sealed);
        return store_fail_done(cb, arg, STORE_ERROR, "out of memory");
    }
    c->cb.done = cb;
    sb_cmd(b), sb_arg(b, "EVAL"), sb_arg(b, vp_put_script), sb_arg(b, "3");
    sb_key(b, s, "voiceprint:%s", vp->external_id), sb_key(b, s, "voiceprints");
    sb_key(b, s, "optouts");
    sb_arg(b, vp->external_id), sb_arg(b, mode == STORE_PUT_SKIP_EXISTING ? "1" : "0");
    vp_fields(b, s, vp, blob, len);
    int rc = sb_write(s, b, vp_put_reply, c);
    free(sealed); /* the request was formatted (copied) at submission */
    return rc;
}

/* ---- reading ---------------------------------------------------------------------------------- */

/* Decode an HGETALL reply of voiceprint `id` into *vp with a decrypted copy of the blob in
 * *plain (freed by the caller). */
static store_status vp_decode(const store *s, const char *id, const redisReply *h,
                              store_voiceprint *vp, uint8_t **plain, char *err, size_t errcap) {
    const redisReply *blob = NULL;
    const char *enc = NULL, *kid = NULL, *created = NULL;
    memset(vp, 0, sizeof *vp);
    vp->external_id = id;
    for (size_t i = 0; h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2) {
        const char *k = h->element[i]->str;
        const redisReply *v = h->element[i + 1];
        if (!k || v->type != REDIS_REPLY_STRING) continue;
        if (strcmp(k, "blob") == 0) blob = v;
        else if (strcmp(k, "enc") == 0) enc = v->str;
        else if (strcmp(k, "kid") == 0) kid = v->str;
        else if (strcmp(k, "stamp") == 0) vp->stamp = v->str;
        else if (strcmp(k, "created_ms") == 0) created = v->str;
        else if (strcmp(k, "stream_uuid") == 0) vp->stream_uuid = v->str;
        else if (strcmp(k, "speech_s") == 0) vp->speech_s = strtod(v->str, NULL);
        else if (strcmp(k, "last_accessed_ms") == 0) vp->last_accessed_ms = strtoll(v->str, NULL, 10);
    }
    vp->created_ms = created ? strtoll(created, NULL, 10) : 0;
    if (!vp->stamp) vp->stamp = created ? created : ""; /* written before stamps */
    if (!blob) {
        snprintf(err, errcap, "voiceprint '%s' has no blob", id);
        return STORE_ERROR;
    }
    store_status st = store_crypt_open(&s->crypt, id, enc, kid, (const uint8_t *)blob->str,
                                       blob->len, plain, &vp->len, err, errcap);
    vp->blob = st == STORE_OK ? *plain : NULL;
    if (st != STORE_OK) vp->len = 0;
    return st;
}

static void vp_got(void *ctx, store_status st, redisReply *rep, const char *err) {
    sctx *c = ctx;
    char why[256];
    uint8_t *plain = NULL;
    store_voiceprint vp;
    if (st == STORE_OK && rep->type == REDIS_REPLY_INTEGER && rep->integer < 0)
        st = STORE_OPTED_OUT, err = STORE_OPTED_OUT_WHY;
    else if (st == STORE_OK && (rep->type != REDIS_REPLY_ARRAY || rep->elements == 0))
        st = STORE_NOT_FOUND, err = "no voiceprint for this external_id";
    if (st == STORE_OK && (st = vp_decode(c->s, c->key, rep, &vp, &plain, why, sizeof why)))
        err = why;
    c->cb.voiceprint(c->arg, st, st == STORE_OK ? &vp : NULL, err);
    free(plain);
    sctx_free(c);
}

/* EXISTS (a read) or DEL + SREM (a write) of voiceprint `id`; STORE_NOT_FOUND when absent. */
static int vp_simple(store *s, const char *id, const char *cmd, store_done_cb *cb, void *arg,
                     int write) {
    STORE_BEGIN_DONE(s, id, store_id_ok(id), VP_ID_WHY, cb, arg, c, b);
    sb_cmd(b), sb_arg(b, cmd), sb_key(b, s, "voiceprint:%s", id);
    if (write) sb_cmd(b), sb_arg(b, "SREM"), sb_key(b, s, "voiceprints"), sb_arg(b, id);
    return write ? sb_write(s, b, store_reply_found, c) : sb_read(s, b, store_reply_found, c);
}

/* Read voiceprint `id`'s hash: all of it, or only what tells its version (the stamp). */
static int vp_read(store *s, sctx *c, sb *b, const char *id, int stamp_only, store_redis_cb *got) {
    if (stamp_only) {
        sb_cmd(b), sb_arg(b, "HMGET"), sb_key(b, s, "voiceprint:%s", id);
        sb_arg(b, "stamp"), sb_arg(b, "created_ms");
    } else {
        sb_cmd(b), sb_arg(b, "EVAL"), sb_arg(b, vp_get_script), sb_arg(b, "2");
        sb_key(b, s, "voiceprint:%s", id), sb_key(b, s, "optouts"), sb_arg(b, id);
    }
    return sb_read(s, b, got, c);
}

int store_voiceprint_get(store *s, const char *external_id, store_voiceprint_cb *cb, void *arg) {
    STORE_BEGIN_PTR(s, external_id, store_id_ok(external_id), VP_ID_WHY, cb, arg, voiceprint, c, b);
    return vp_read(s, c, b, external_id, 0, vp_got);
}

/* HMGET stamp created_ms: both nil = no voiceprint; no stamp = written before stamps. */
static void vp_stamp_got(void *ctx, store_status st, redisReply *rep, const char *err) {
    sctx *c = ctx;
    const char *stamp = NULL;
    if (st == STORE_OK && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2)
        for (size_t i = 0; i < 2 && !stamp; i++)
            if (rep->element[i]->type == REDIS_REPLY_STRING) stamp = rep->element[i]->str;
    if (st == STORE_OK && !stamp) st = STORE_NOT_FOUND, err = "no voiceprint for this external_id";
    c->cb.id(c->arg, st, stamp, err);
    sctx_free(c);
}

int store_voiceprint_stamp(store *s, const char *external_id, store_id_cb *cb, void *arg) {
    STORE_BEGIN_PTR(s, external_id, store_id_ok(external_id), VP_ID_WHY, cb, arg, id, c, b);
    return vp_read(s, c, b, external_id, 1, vp_stamp_got);
}

int store_voiceprint_exists(store *s, const char *external_id, store_done_cb *cb, void *arg) {
    return vp_simple(s, external_id, "EXISTS", cb, arg, 0);
}

int store_voiceprint_delete(store *s, const char *external_id, store_done_cb *cb, void *arg) {
    return vp_simple(s, external_id, "DEL", cb, arg, 1);
}

static void vp_counted(void *ctx, store_status st, redisReply *rep, const char *err) {
    sctx *c = ctx;
    uint64_t n = st == STORE_OK && rep->type == REDIS_REPLY_INTEGER ? (uint64_t)rep->integer : 0;
    c->cb.count(c->arg, st, n, err);
    sctx_free(c);
}

int store_voiceprint_count(store *s, store_count_cb *cb, void *arg) {
    sctx *c;
    sb *b;
    if (store_begin(s, NULL, arg, &c, &b)) {
        cb(arg, STORE_ERROR, 0, "out of memory");
        return -1;
    }
    c->cb.count = cb;
    sb_cmd(b), sb_arg(b, "SCARD"), sb_key(b, s, "voiceprints");
    return sb_read(s, b, vp_counted, c);
}

/* ---- export ----------------------------------------------------------------------------------- */

/* Second step of a page: the EXEC array of HGETALLs, in the order of the ids in c->key. */
static void vp_page_got(void *ctx, store_status st, redisReply *rep, const char *err) {
    sctx *c = ctx;
    size_t n = st == STORE_OK && rep->type == REDIS_REPLY_ARRAY ? rep->elements : 0;
    store_voiceprint *vps = calloc(n + 1, sizeof *vps);
    store_status *sts = calloc(n + 1, sizeof *sts);
    uint8_t **plain = calloc(n + 1, sizeof *plain);
    size_t k = 0;
    if (st == STORE_OK && (!vps || !sts || !plain)) st = STORE_ERROR, err = "out of memory";
    /* c->key holds the page's ids, NUL-separated, in request order. */
    const char *id = c->key;
    for (size_t i = 0; st == STORE_OK && i < n; i++, id += strlen(id) + 1) {
        const redisReply *h = rep->element[i];
        if (h->type != REDIS_REPLY_ARRAY || h->elements == 0) continue; /* deleted meanwhile */
        char why[256];
        sts[k] = vp_decode(c->s, id, h, &vps[k], &plain[k], why, sizeof why);
        k++;
    }
    c->cb.scan(c->arg, st, st == STORE_OK ? c->cursor : 0, vps, sts, k, err);
    for (size_t i = 0; plain && i < n; i++) free(plain[i]);
    free(vps), free(sts), free(plain);
    sctx_free(c);
}

/* First step: a page of ids (store_list); fetch their hashes in one MULTI. */
static void vp_scanned(void *arg, store_status st, uint64_t next, const char *const *ids,
                       size_t n, const char *err) {
    sctx *c = arg;
    if (st != STORE_OK || n == 0) {
        c->cb.scan(c->arg, st, next, NULL, NULL, 0, err);
        sctx_free(c);
        return;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += strlen(ids[i]) + 1;
    sb *b = sb_new();
    char *copy = malloc(total), *p = copy;
    if (!b || !copy) {
        c->cb.scan(c->arg, STORE_ERROR, 0, NULL, NULL, 0, "out of memory");
        free(b), free(copy), sctx_free(c);
        return;
    }
    free(c->key);
    c->key = copy; /* the page's ids, NUL-separated, for vp_page_got() */
    c->cursor = next;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(ids[i]) + 1;
        memcpy(p, ids[i], len);
        sb_cmd(b), sb_arg(b, "HGETALL"), sb_key(b, c->s, "voiceprint:%s", p);
        p += len;
    }
    sb_read(c->s, b, vp_page_got, c);
}

int store_voiceprint_scan(store *s, uint64_t cursor, size_t count, store_scan_cb *cb, void *arg) {
    sctx *c = sctx_new(s, NULL, arg);
    if (!c) {
        cb(arg, STORE_ERROR, 0, NULL, NULL, 0, "out of memory");
        return -1;
    }
    c->cb.scan = cb;
    return store_list(s, "SSCAN", "voiceprints", cursor, count, vp_scanned, c);
}

int store_voiceprint_list(store *s, uint64_t cursor, size_t count, store_page_cb *cb, void *arg) {
    return store_list(s, "SSCAN", "voiceprints", cursor, count, cb, arg);
}
