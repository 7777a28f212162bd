/* store_fraud.c -- the deny list and the directory's reverse index. See store_fraud.h.
 *
 * The deny list is one hash, as the directory is: a number's entry is O(1) to test at each
 * call start and SCAN-able for the REST listing. The reverse lookup takes two reads: the
 * reverse index names a number, and the directory must still map that number back to the
 * same customer (a directory DELETE does not know the customer, so it cannot clean up).
 */
#include "store_fraud.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

int store_deny_set(store *s, const char *phone, const char *reason, store_done_cb *cb, void *arg)
{
    sctx *c;
    sb *b;
    STORE_BEGIN_DONE(s, NULL, store_phone_ok(phone), STORE_PHONE_WHY, cb, arg, c, b);
    c->cb.done = cb;
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
