/* store_audit.c -- reading the audit stream back (XRANGE), for usage reports.
 *
 * store_audit() (store.c) appends; this file pages through the entries in time order. Each
 * page is flattened into the generic page callback as four strings per entry (entry id,
 * event, stream uuid, detail; "NA" where the writer had none), so the caller keeps no Redis
 * types and the next page starts after the last id it saw.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define AUDIT_FIELDS 4

static const char *field_of(const redisReply *kv, const char *name)
{
    for (size_t i = 0; kv && i + 1 < kv->elements; i += 2)
        if (kv->element[i]->type == REDIS_REPLY_STRING && strcmp(kv->element[i]->str, name) == 0 &&
            kv->element[i + 1]->type == REDIS_REPLY_STRING)
            return kv->element[i + 1]->str;
    return "NA";
}

static void audit_read(void *ctx, store_status st, redisReply *rep, const char *err)
{
    sctx *c = ctx;
    if (st == STORE_OK && rep->type != REDIS_REPLY_ARRAY)
        st = STORE_ERROR, err = "unexpected reply to XRANGE";
    size_t n = st == STORE_OK ? rep->elements : 0, k = 0;
    const char **items = calloc(n * AUDIT_FIELDS + 1, sizeof *items);
    if (st == STORE_OK && !items)
        st = STORE_ERROR, err = "out of memory";
    for (size_t i = 0; st == STORE_OK && i < n; i++) {
        const redisReply *e = rep->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
            e->element[0]->type != REDIS_REPLY_STRING)
            continue;
        const redisReply *kv = e->element[1]->type == REDIS_REPLY_ARRAY ? e->element[1] : NULL;
        items[k++] = e->element[0]->str;
        items[k++] = field_of(kv, "event");
        items[k++] = field_of(kv, "stream");
        items[k++] = field_of(kv, "detail");
    }
    /* A full page may have a successor; a short one is the end. */
    uint64_t more = st == STORE_OK && n == c->cursor ? 1 : 0;
    c->cb.page(c->arg, st, more, st == STORE_OK ? items : NULL, k, err);
    free(items);
    sctx_free(c);
}

int store_audit_read(store *s, const char *start, const char *end, size_t count,
                     store_page_cb *cb, void *arg)
{
    sctx *c;
    sb *b;
    if (!start || !end || !*start || !*end || strlen(start) > 64 || strlen(end) > 64) {
        cb(arg, STORE_INVALID, 0, NULL, 0, "bad audit range");
        return -1;
    }
    if (store_begin(s, NULL, arg, &c, &b)) {
        cb(arg, STORE_ERROR, 0, NULL, 0, "out of memory");
        return -1;
    }
    c->cb.page = cb;
    c->cursor = count ? count : 1000;
    sb_cmd(b), sb_arg(b, "XRANGE"), sb_key(b, s, "audit"), sb_arg(b, start), sb_arg(b, end);
    sb_arg(b, "COUNT"), sb_argf(b, "%llu", (unsigned long long)c->cursor);
    return sb_read(s, b, audit_read, c);
}
