/* api_phone.c -- REST over a list keyed by phone number. See api_phone.h.
 *
 * A request that waits for Redis keeps a phone_job: the request, the store, which list, the
 * number in E.164 and (for a write) the value, copied since the body is freed before Redis
 * answers.
 */
#include "api/api_phone.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/app.h"
#include "phone.h"

#define PHONE_IN_MAX 64 /* a number as typed, before normalising */
#define PHONE_PAGE_DEFAULT 100
#define PHONE_PAGE_MAX 1000

typedef struct {
    http_req *req;
    store *st;
    const api_phone_list *l;
    char phone[PHONE_E164_MAX];
    char value[]; /* "" when the request has none */
} phone_job;

/* Normalise or answer 400 (api_phone.h). */
bool api_phone_arg(struct app *a, http_req *req, const char *in, char *out)
{
    phone_options o = {
        .default_cc = a->cfg->default_country_code[0] ? a->cfg->default_country_code : NULL,
    };
    const char *why = NULL;
    phone_kind k = phone_normalise(in, &o, out, &why);
    if (k == PHONE_E164)
        return true;
    char msg[256];
    snprintf(msg, sizeof msg, "\"phone\" is not a phone number: %s",
             k == PHONE_ANONYMOUS ? "it is a withheld-number placeholder" : why);
    http_reply_error(req, 400, msg);
    return false;
}

bool api_phone_path(struct app *a, http_req *req, char *e164)
{
    char raw[PHONE_IN_MAX + 1];
    return api_auth(a, req) &&
           api_path_id(req, "phone number", PHONE_IN_MAX, raw, sizeof raw) &&
           api_phone_arg(a, req, raw, e164);
}

static phone_job *job_new(struct app *a, http_req *req, const api_phone_list *l,
                          const char *phone, const char *value)
{
    size_t n = strlen(value ? value : "") + 1;
    phone_job *j = calloc(1, sizeof *j + n);
    if (!j) {
        http_reply_error(req, 500, "out of memory");
        return NULL;
    }
    j->req = req;
    j->st = a->store;
    j->l = l;
    snprintf(j->phone, sizeof j->phone, "%s", phone);
    memcpy(j->value, value ? value : "", n);
    return j;
}

static cJSON *entry(const api_phone_list *l, const char *phone, const char *value)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "phone", phone);
    cJSON_AddStringToObject(o, l->value_name, value ? value : "");
    return o;
}

/* A failure: 404 with the list's sentence when the number is not on it, else the store's. */
static void not_listed(phone_job *j, store_status st, const char *err)
{
    if (st == STORE_NOT_FOUND)
        http_reply_error(j->req, 404, j->l->missing);
    else
        api_store_error(j->req, st, err);
}

/* ---- PUT / POST ------------------------------------------------------------------------------ */

static void on_set(void *arg, store_status st, const char *err)
{
    phone_job *j = arg;
    if (st == STORE_OK) {
        if (j->l->written)
            j->l->written(j->st, j->phone, j->value);
        api_send(j->req, 200, entry(j->l, j->phone, j->value));
    } else {
        api_store_error(j->req, st, err);
    }
    free(j);
}

static http_result h_set(http_req *req, void *ud)
{
    struct api_phone_route *r = ud;
    struct app *a = r->a;
    const api_phone_list *l = r->list;
    cJSON *body = api_auth_body(a, req);
    if (!body)
        return HTTP_DONE;
    bool bad = false;
    char e164[PHONE_E164_MAX];
    const char *phone = api_string(req, body, "phone", PHONE_IN_MAX, true, &bad);
    const char *value = phone ? l->value(req, body, &bad) : NULL;
    phone_job *j = phone && !bad && api_phone_arg(a, req, phone, e164)
                       ? job_new(a, req, l, e164, value)
                       : NULL;
    cJSON_Delete(body);
    if (!j)
        return HTTP_DONE;
    return l->store.set(a->store, j->phone, j->value, on_set, j) == 0 ? HTTP_DEFERRED : HTTP_DONE;
}

/* ---- GET / DELETE one ------------------------------------------------------------------------ */

static void on_get(void *arg, store_status st, const char *value, const char *err)
{
    phone_job *j = arg;
    if (st == STORE_OK)
        api_send(j->req, 200, entry(j->l, j->phone, value));
    else
        not_listed(j, st, err);
    free(j);
}

static void on_delete(void *arg, store_status st, const char *err)
{
    phone_job *j = arg;
    if (st == STORE_OK) {
        if (j->l->deleted)
            j->l->deleted(j->st, j->phone);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "phone", j->phone);
        cJSON_AddBoolToObject(o, "deleted", true);
        api_send(j->req, 200, o);
    } else {
        not_listed(j, st, err);
    }
    free(j);
}

static http_result h_one(http_req *req, void *ud)
{
    struct api_phone_route *r = ud;
    struct app *a = r->a;
    const api_phone_list *l = r->list;
    char e164[PHONE_E164_MAX];
    if (!api_phone_path(a, req, e164))
        return HTTP_DONE;
    phone_job *j = job_new(a, req, l, e164, NULL);
    if (!j)
        return HTTP_DONE;
    int rc = strcmp(http_req_method(req), "DELETE") == 0
                 ? l->store.del(a->store, j->phone, on_delete, j)
                 : l->store.get(a->store, j->phone, on_get, j);
    return rc == 0 ? HTTP_DEFERRED : HTTP_DONE;
}

/* ---- listing --------------------------------------------------------------------------------- */

/* The page's (phone, value) pairs as {"entries":[{"phone", value_name}], "next_cursor"}. */
static void on_page(void *arg, store_status st, uint64_t next, const char *const *items, size_t n,
                    const char *err)
{
    phone_job *j = arg;
    if (st != STORE_OK) {
        api_store_error(j->req, st, err);
        free(j);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(root, "entries");
    for (size_t i = 0; i + 1 < n; i += 2)
        cJSON_AddItemToArray(list, entry(j->l, items[i], items[i + 1]));
    char cur[24];
    snprintf(cur, sizeof cur, "%" PRIu64, next);
    cJSON_AddStringToObject(root, "next_cursor", cur);
    api_send(j->req, 200, root);
    free(j);
}

static http_result h_page(http_req *req, void *ud)
{
    struct api_phone_route *r = ud;
    struct app *a = r->a;
    const api_phone_list *l = r->list;
    if (!api_auth(a, req))
        return HTTP_DONE;
    uint64_t cursor, count;
    if (!api_query_u64(req, "cursor", 0, 0, UINT64_MAX, &cursor) ||
        !api_query_u64(req, "count", PHONE_PAGE_DEFAULT, 0, PHONE_PAGE_MAX, &count))
        return HTTP_DONE;
    phone_job *j = job_new(a, req, l, "", NULL);
    if (!j)
        return HTTP_DONE;
    int rc = l->store.list(a->store, cursor, count ? count : 1, on_page, j);
    return rc == 0 ? HTTP_DEFERRED : HTTP_DONE;
}

/* ---- routes ---------------------------------------------------------------------------------- */

void api_phone_register(struct app *a, const char *path, const api_phone_list *l)
{
    api *p = a->api;
    if (p->n_phone_routes == API_PHONE_LISTS) {
        log_error("REST API: cannot register %s (API_PHONE_LISTS is %d)", path, API_PHONE_LISTS);
        return;
    }
    struct api_phone_route *r = &p->phone_routes[p->n_phone_routes++];
    *r = (struct api_phone_route){.a = a, .list = l};
    char one[128]; /* path/{phone} */
    snprintf(one, sizeof one, "%s/*", path);
    static const struct {
        const char *method;
        bool one;
        http_handler h;
    } routes[] = {
        {"PUT", false, h_set}, {"POST", false, h_set}, {"GET", false, h_page},
        {"GET", true, h_one},  {"DELETE", true, h_one},
    };
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        const char *at = routes[i].one ? one : path;
        if (http_route(a->router, routes[i].method, at, routes[i].h, r) != 0)
            log_error("REST API: cannot register %s %s (route table full)", routes[i].method, at);
    }
}
