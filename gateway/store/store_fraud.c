/* store_fraud.c -- the deny list and the directory's reverse index. See store_fraud.h.
 *
 * The deny list is one hash, as the directory is: a number's entry is O(1) to test at each
 * call start and SCAN-able for the REST listing. The reverse lookup takes two reads: the
 * reverse index names a number, and the directory must still map that number back to the
 * same customer (a directory DELETE does not know the customer, so it cannot clean up).
 */
#include "store/store_fraud.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "store/store_int.h"

int store_deny_set(store *s, const char *phone, const char *reason, store_done_cb *cb, void *arg)
{
    STORE_BEGIN_DONE(s, NULL, store_phone_ok(phone), STORE_PHONE_WHY, cb, arg, c, b);
    sb_cmd(b), sb_arg(b, "HSET"), sb_key(b, s, "denylist"), sb_arg(b, phone);
    sb_arg(b, reason ? reason : "");
    return sb_write(s, b, store_reply_done, c);
}

int store_deny_get(store *s, const char *phone, store_id_cb *cb, void *arg)
{
    return store_phone_hash_get(s, "denylist", phone, cb, arg);
}

int store_deny_delete(store *s, const char *phone, store_done_cb *cb, void *arg)
{
    return store_phone_hash_delete(s, "denylist", phone, cb, arg);
}

int store_deny_list(store *s, uint64_t cursor, size_t count, store_page_cb *cb, void *arg)
{
    return store_list(s, "HSCAN", "denylist", cursor, count, cb, arg);
}

static void hp_logged(void *ctx, store_status st, redisReply *rep, const char *err)
{
    (void)st, (void)rep, (void)err; /* best effort, like the audit stream's entries */
    sctx_free(ctx);
}

int store_honeypot_log(store *s, const char *const *kv, size_t n)
{
    sctx *c;
    sb *b;
    if (store_begin(s, NULL, NULL, &c, &b))
        return -1;
    sb_cmd(b), sb_arg(b, "XADD"), sb_key(b, s, "honeypot"), sb_arg(b, "MAXLEN"), sb_arg(b, "~");
    sb_argf(b, "%zu", s->audit_max), sb_arg(b, "*");
    for (size_t i = 0; i < 2 * n; i++)
        sb_arg(b, kv[i]);
    return sb_write(s, b, hp_logged, c);
}

/* ---- the directory's reverse index ----------------------------------------------------------- */

typedef struct {
    store *s;
    store_id_cb *cb;
    void *arg;
    char phone[32];
    char external_id[];
} rev_ctx;

static void on_confirmed(void *arg, store_status st, const char *id, const char *err)
{
    rev_ctx *r = arg;
    if (st == STORE_OK && (!id || strcmp(id, r->external_id) != 0))
        st = STORE_NOT_FOUND, err = "not found"; /* stale: the number now belongs elsewhere */
    r->cb(r->arg, st, st == STORE_OK ? r->phone : NULL, err);
    free(r);
}

static void on_reverse(void *arg, store_status st, const char *phone, const char *err)
{
    rev_ctx *r = arg;
    if (st != STORE_OK || !phone || !store_phone_ok(phone) || strlen(phone) >= sizeof r->phone) {
        r->cb(r->arg, st == STORE_OK ? STORE_NOT_FOUND : st, NULL, st == STORE_OK ? "not found" : err);
        free(r);
        return;
    }
    snprintf(r->phone, sizeof r->phone, "%s", phone);
    store_directory_get(r->s, r->phone, on_confirmed, r);
}

int store_directory_index(store *s, const char *external_id, const char *phone, store_done_cb *cb,
                          void *arg)
{
    STORE_BEGIN_DONE(s, NULL, store_phone_ok(phone) && store_id_ok(external_id), STORE_PHONE_WHY,
                     cb, arg, c, b);
    sb_cmd(b), sb_arg(b, "HSET"), sb_key(b, s, "directory:by-id"), sb_arg(b, external_id);
    sb_arg(b, phone);
    return sb_write(s, b, store_reply_done, c);
}

int store_directory_phone_of(store *s, const char *external_id, store_id_cb *cb, void *arg)
{
    if (!store_id_ok(external_id))
        return cb(arg, STORE_INVALID, NULL, "external_id must be 1-256 printable bytes"), -1;
    size_t n = strlen(external_id) + 1;
    rev_ctx *r = malloc(sizeof *r + n);
    sctx *c;
    sb *b;
    if (!r || store_begin(s, NULL, r, &c, &b)) {
        free(r);
        return cb(arg, STORE_ERROR, NULL, "out of memory"), -1;
    }
    *r = (rev_ctx){.s = s, .cb = cb, .arg = arg};
    memcpy(r->external_id, external_id, n);
    c->cb.id = on_reverse;
    sb_cmd(b), sb_arg(b, "HGET"), sb_key(b, s, "directory:by-id"), sb_arg(b, external_id);
    return sb_read(s, b, store_reply_id, c);
}

/* ---- watchlists ------------------------------------------------------------------------------ */

#define WL_PAGE 1000

bool store_watchlist_name_ok(const char *name)
{
    size_t n = 0;
    for (; name && name[n]; n++) {
        char ch = name[n];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.') || n >= 64)
            return false;
    }
    return n > 0;
}

#define WL_WHY "watchlist names are 1-64 characters of A-Z a-z 0-9 _ - ."

int store_watchlist_add(store *s, const char *name, store_done_cb *cb, void *arg)
{
    STORE_BEGIN_DONE(s, NULL, store_watchlist_name_ok(name), WL_WHY, cb, arg, c, b);
    sb_cmd(b), sb_arg(b, "SADD"), sb_key(b, s, "watchlists"), sb_arg(b, name);
    return sb_write(s, b, store_reply_done, c);
}

int store_watchlist_delete(store *s, const char *name, store_done_cb *cb, void *arg)
{
    STORE_BEGIN_DONE(s, NULL, store_watchlist_name_ok(name), WL_WHY, cb, arg, c, b);
    sb_cmd(b), sb_arg(b, "SREM"), sb_key(b, s, "watchlists"), sb_arg(b, name);
    sb_cmd(b), sb_arg(b, "DEL"), sb_key(b, s, "watchlist:%s", name);
    return sb_write(s, b, store_reply_found, c);
}

int store_watchlist_names(store *s, uint64_t cursor, store_page_cb *cb, void *arg)
{
    return store_list(s, "SSCAN", "watchlists", cursor, WL_PAGE, cb, arg);
}

static void fraudster_aad(char *out, size_t cap, const char *watchlist, const char *id)
{
    snprintf(out, cap, "fraudster:%s:%s", watchlist, id);
}

int store_fraudster_put(store *s, const char *watchlist, const char *id, const uint8_t *blob,
                        size_t len, store_done_cb *cb, void *arg)
{
    sctx *c;
    sb *b;
    if (!store_id_ok(id) || !blob || !len)
        return store_fail_done(cb, arg, STORE_INVALID, "fraudster_id must be 1-256 printable bytes");
    char aad[400];
    fraudster_aad(aad, sizeof aad, watchlist, id);
    uint8_t *sealed = NULL;
    if (s->crypt.enabled && store_crypt_seal(&s->crypt, aad, blob, len, &sealed, &len))
        return store_fail_done(cb, arg, STORE_ERROR, "voiceprint encryption failed");
    char *text = malloc(B64_ENCODED_LEN(len) + 1);
    if (!text || store_begin(s, NULL, arg, &c, &b)) {
        free(text), free(sealed);
        return store_fail_done(cb, arg, STORE_ERROR, "out of memory");
    }
    b64_encode(sealed ? sealed : blob, len, text, B64_ENCODED_LEN(len) + 1);
    free(sealed);
    c->cb.done = cb;
    sb_cmd(b), sb_arg(b, "HSET"), sb_key(b, s, "watchlist:%s", watchlist), sb_arg(b, id);
    sb_arg(b, text);
    sb_cmd(b), sb_arg(b, "SADD"), sb_key(b, s, "watchlists"), sb_arg(b, watchlist);
    int rc = sb_write(s, b, store_reply_done, c); /* formatted at once: text may go */
    free(text);
    return rc;
}

int store_fraudster_delete(store *s, const char *watchlist, const char *id, store_done_cb *cb,
                           void *arg)
{
    STORE_BEGIN_DONE(s, NULL, store_id_ok(id), "fraudster_id must be 1-256 printable bytes", cb,
                     arg, c, b);
    sb_cmd(b), sb_arg(b, "HDEL"), sb_key(b, s, "watchlist:%s", watchlist), sb_arg(b, id);
    return sb_write(s, b, store_reply_found, c);
}

int store_fraudster_page(store *s, const char *watchlist, uint64_t cursor, store_page_cb *cb,
                         void *arg)
{
    char key[128];
    snprintf(key, sizeof key, "watchlist:%s", watchlist);
    return store_list(s, "HSCAN", key, cursor, WL_PAGE, cb, arg);
}

store_status store_fraudster_open(store *s, const char *watchlist, const char *id,
                                  const char *value, uint8_t **blob, size_t *len)
{
    size_t n = strlen(value), got = 0;
    uint8_t *raw = malloc(B64_DECODED_MAX(n) + 1);
    if (!raw)
        return STORE_ERROR;
    if (b64_decode(value, n, raw, B64_DECODED_MAX(n) + 1, &got) != B64_OK) {
        free(raw);
        return STORE_CRYPTO;
    }
    char aad[400], err[128];
    fraudster_aad(aad, sizeof aad, watchlist, id);
    store_status st = store_crypt_open(&s->crypt, aad, s->crypt.enabled ? STORE_CRYPT_ENC : NULL,
                                       s->crypt.enabled ? s->crypt.kid : NULL, raw, got, blob,
                                       len, err, sizeof err);
    free(raw);
    return st;
}
