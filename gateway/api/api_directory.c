/* api_directory.c -- the customer directory: phone number (E.164) -> external_id.
 *
 *   PUT|POST /api/v2/directory         {"phone", "external_id"} -> 200 {"phone", "external_id"}
 *   GET      /api/v2/directory/{phone} -> 200 {"phone", "external_id"} | 404
 *   DELETE   /api/v2/directory/{phone} -> 200 {"phone", "deleted": true} | 404
 *   GET      /api/v2/directory?cursor=C&count=N
 *            -> 200 {"entries": [{"phone", "external_id"}], "next_cursor": "C'"} ("0": done)
 *
 * Every phone number, in the body or the path (percent-encode the '+': %2B), is normalised
 * to E.164 first (protocol/phone.h, default_country_code for national numbers): the caller
 * lookup at session start (sessions.h) uses the same normalisation, so "+44 20 7946 0958"
 * entered here finds a call from "+442079460958". Not a phone number (or withheld): 400.
 * Writes answer after Redis acknowledged them; Redis down: 503.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "phone.h"
#include "store/store.h"
#include "store/store_fraud.h"

#define DIR_PAGE_DEFAULT 100
#define DIR_PAGE_MAX 1000
#define DIR_PHONE_IN_MAX 64

typedef struct {
    http_req *req;
    store *st; /* set: the reverse index goes there too */
    char phone[PHONE_E164_MAX];
    char *external_id;
} dir_job;

/* Normalise or answer 400 (api.h). */
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

static dir_job *job_new(http_req *req, const char *phone)
{
    dir_job *j = calloc(1, sizeof *j);
    if (!j) {
        http_reply_error(req, 500, "out of memory");
        return NULL;
    }
    j->req = req;
    snprintf(j->phone, sizeof j->phone, "%s", phone);
    return j;
}

static cJSON *entry(const char *phone, const char *external_id)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "phone", phone);
    cJSON_AddStringToObject(o, "external_id", external_id);
    return o;
}

/* ---- PUT / POST ------------------------------------------------------------------------------ */

static void on_set(void *arg, store_status st, const char *err)
{
    dir_job *j = arg;
    if (st == STORE_OK) /* the reverse index, for fraud screening's region check */
        store_directory_index(j->st, j->external_id, j->phone, NULL, NULL);
    if (st == STORE_OK)
        api_send(j->req, 200, entry(j->phone, j->external_id));
    else
        api_store_error(j->req, st, err);
    free(j->external_id);
    free(j);
}

static http_result h_set(http_req *req, void *ud)
{
    app *a = ud;
    cJSON *body = api_auth_body(a, req);
    if (!body)
        return HTTP_DONE;
    bool bad;
    char e164[PHONE_E164_MAX];
    const char *phone = api_string(req, body, "phone", DIR_PHONE_IN_MAX, true, &bad);
    const char *ext =
        phone ? api_external_id(req, body, "external_id", true, &bad) : NULL;
    dir_job *j = phone && ext && api_phone_arg(a, req, phone, e164) ? job_new(req, e164) : NULL;
    if (j)
        j->st = a->store;
    if (j && !(j->external_id = strdup(ext))) {
        free(j);
        j = NULL;
        http_reply_error(req, 500, "out of memory");
    }
    cJSON_Delete(body);
    if (!j)
        return HTTP_DONE;
    return store_directory_set(a->store, j->phone, j->external_id, on_set, j) == 0 ? HTTP_DEFERRED
                                                                                   : HTTP_DONE;
}

/* ---- GET / DELETE one ------------------------------------------------------------------------ */

static void on_get(void *arg, store_status st, const char *id, const char *err)
{
    dir_job *j = arg;
    if (st == STORE_OK && id)
        api_send(j->req, 200, entry(j->phone, id));
    else if (st == STORE_NOT_FOUND)
        http_reply_error(j->req, 404, "this phone number is not in the directory");
    else
        api_store_error(j->req, st, err);
    free(j);
}

static void on_delete(void *arg, store_status st, const char *err)
{
    dir_job *j = arg;
    if (st == STORE_OK) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "phone", j->phone);
        cJSON_AddBoolToObject(o, "deleted", true);
        api_send(j->req, 200, o);
    } else if (st == STORE_NOT_FOUND) {
        http_reply_error(j->req, 404, "this phone number is not in the directory");
    } else {
        api_store_error(j->req, st, err);
    }
    free(j);
}

/* api.h */
bool api_phone_path(struct app *a, http_req *req, char *e164)
{
    char raw[DIR_PHONE_IN_MAX + 1];
    return api_auth(a, req) &&
           api_path_id(req, "phone number", DIR_PHONE_IN_MAX, raw, sizeof raw) &&
           api_phone_arg(a, req, raw, e164);
}

static http_result h_one(http_req *req, void *ud)
{
    app *a = ud;
    char e164[PHONE_E164_MAX];
    if (!api_phone_path(a, req, e164))
        return HTTP_DONE;
    dir_job *j = job_new(req, e164);
    if (!j)
        return HTTP_DONE;
    int rc = strcmp(http_req_method(req), "DELETE") == 0
                 ? store_directory_delete(a->store, j->phone, on_delete, j)
                 : store_directory_get(a->store, j->phone, on_get, j);
    return rc == 0 ? HTTP_DEFERRED : HTTP_DONE;
}

/* ---- listing --------------------------------------------------------------------------------- */

/* api.h */
void api_phone_page(http_req *req, store_status st, uint64_t next, const char *const *items,
                    size_t n, const char *err, const char *value_name)
{
    if (st != STORE_OK) {
        api_store_error(req, st, err);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(root, "entries");
    for (size_t i = 0; i + 1 < n; i += 2) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "phone", items[i]);
        cJSON_AddStringToObject(o, value_name, items[i + 1]);
        cJSON_AddItemToArray(list, o);
    }
    char cur[24];
    snprintf(cur, sizeof cur, "%" PRIu64, next);
    cJSON_AddStringToObject(root, "next_cursor", cur);
    api_send(req, 200, root);
}

static void on_page(void *arg, store_status st, uint64_t next, const char *const *items, size_t n,
                    const char *err)
{
    api_phone_page(arg, st, next, items, n, err, "external_id");
}

/* api.h */
bool api_query_u64(http_req *req, const char *name, uint64_t def, uint64_t max, uint64_t *out)
{
    const char *v = http_req_query(req, name);
    *out = def;
    if (!v || !*v)
        return true;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (*end || v[0] == '-' || x > max) {
        char msg[128];
        snprintf(msg, sizeof msg, "query argument \"%s\" must be an integer in [0, %" PRIu64 "]",
                 name, max);
        http_reply_error(req, 400, msg);
        return false;
    }
    *out = x;
    return true;
}

static http_result h_list(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    uint64_t cursor, count;
    if (!api_query_u64(req, "cursor", 0, UINT64_MAX, &cursor) ||
        !api_query_u64(req, "count", DIR_PAGE_DEFAULT, DIR_PAGE_MAX, &count))
        return HTTP_DONE;
    return store_directory_list(a->store, cursor, count ? count : 1, on_page, req) == 0
               ? HTTP_DEFERRED
               : HTTP_DONE;
}

void api_directory_register(struct app *a)
{
    api_route(a, "PUT", API_PREFIX "/directory", h_set);
    api_route(a, "POST", API_PREFIX "/directory", h_set);
    api_route(a, "GET", API_PREFIX "/directory", h_list);
    api_route(a, "GET", API_PREFIX "/directory/*", h_one);
    api_route(a, "DELETE", API_PREFIX "/directory/*", h_one);
}
