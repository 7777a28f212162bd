/* api_fraud.c -- REST for fraud screening (fraud.h): the deny list and caller-ID lookups.
 *
 *   PUT|POST /api/v2/denylist          {"phone", "reason"?} -> 200 {"phone", "reason"}
 *   GET      /api/v2/denylist/{phone}  -> 200 {"phone", "reason"} | 404
 *   DELETE   /api/v2/denylist/{phone}  -> 200 {"phone", "deleted": true} | 404
 *   GET      /api/v2/denylist?cursor=C&count=N
 *            -> 200 {"entries": [{"phone", "reason"}], "next_cursor": "C'"} ("0": done)
 *   GET      /api/v2/callerid/{number} -> 200 the "caller_id" object of verify answers
 *            (libphonenumber's answer; attestation "MISSING": a lookup has no call)
 *
 * Numbers are normalised as the directory's are (api_phone_arg), so a deny-list entry matches
 * the caller numbers of calls whatever way it was typed. Changes to the list are audited
 * (deny_add, deny_delete, detail = the number). Calls already running keep the answer their
 * start got; the next call from the number sees the change.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "fraud/fraud.h"
#include "phone.h"
#include "store/store_fraud.h"

#define DENY_REASON_MAX 256
#define DENY_PAGE_DEFAULT 100
#define DENY_PAGE_MAX 1000
#define DENY_PHONE_IN_MAX 64

typedef struct {
    app *a;
    http_req *req;
    char phone[PHONE_E164_MAX];
    char reason[DENY_REASON_MAX + 1];
} deny_job;

static deny_job *job_new(app *a, http_req *req, const char *phone, const char *reason)
{
    deny_job *j = calloc(1, sizeof *j);
    if (!j) {
        http_reply_error(req, 500, "out of memory");
        return NULL;
    }
    *j = (deny_job){.a = a, .req = req};
    snprintf(j->phone, sizeof j->phone, "%s", phone);
    snprintf(j->reason, sizeof j->reason, "%s", reason ? reason : "");
    return j;
}

static cJSON *entry(const char *phone, const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "phone", phone);
    cJSON_AddStringToObject(o, "reason", reason ? reason : "");
    return o;
}

static void not_listed(http_req *req, store_status st, const char *err)
{
    if (st == STORE_NOT_FOUND)
        http_reply_error(req, 404, "this phone number is not on the deny list");
    else
        api_store_error(req, st, err);
}

static void on_set(void *arg, store_status st, const char *err)
{
    deny_job *j = arg;
    if (st == STORE_OK) {
        store_audit(j->a->store, "deny_add", NULL, NULL, j->phone, NULL, NULL);
        api_send(j->req, 200, entry(j->phone, j->reason));
    } else {
        api_store_error(j->req, st, err);
    }
    free(j);
}

static http_result h_set(http_req *req, void *ud)
{
    app *a = ud;
    cJSON *body = api_auth_body(a, req);
    if (!body)
        return HTTP_DONE;
    bool bad = false;
    char e164[PHONE_E164_MAX];
    const char *phone = api_string(req, body, "phone", DENY_PHONE_IN_MAX, true, &bad);
    const char *reason = NULL;
    if (phone && !bad) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(body, "reason");
        if (r && !cJSON_IsNull(r))
            reason = api_string(req, body, "reason", DENY_REASON_MAX, false, &bad);
    }
    deny_job *j = phone && !bad && api_phone_arg(a, req, phone, e164)
                      ? job_new(a, req, e164, reason)
                      : NULL;
    cJSON_Delete(body);
    if (!j)
        return HTTP_DONE;
    return store_deny_set(a->store, j->phone, j->reason, on_set, j) == 0 ? HTTP_DEFERRED
                                                                        : HTTP_DONE;
}

static void on_get(void *arg, store_status st, const char *reason, const char *err)
{
    deny_job *j = arg;
    if (st == STORE_OK)
        api_send(j->req, 200, entry(j->phone, reason));
    else
        not_listed(j->req, st, err);
    free(j);
}

static void on_delete(void *arg, store_status st, const char *err)
{
    deny_job *j = arg;
    if (st == STORE_OK) {
        store_audit(j->a->store, "deny_delete", NULL, NULL, j->phone, NULL, NULL);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "phone", j->phone);
        cJSON_AddBoolToObject(o, "deleted", true);
        api_send(j->req, 200, o);
    } else {
        not_listed(j->req, st, err);
    }
    free(j);
}

static http_result h_one(http_req *req, void *ud)
{
    app *a = ud;
    char e164[PHONE_E164_MAX];
    if (!api_phone_path(a, req, e164))
        return HTTP_DONE;
    deny_job *j = job_new(a, req, e164, NULL);
    if (!j)
        return HTTP_DONE;
    int rc = strcmp(http_req_method(req), "DELETE") == 0
                 ? store_deny_delete(a->store, j->phone, on_delete, j)
                 : store_deny_get(a->store, j->phone, on_get, j);
    return rc == 0 ? HTTP_DEFERRED : HTTP_DONE;
}

static void on_page(void *arg, store_status st, uint64_t next, const char *const *items, size_t n,
                    const char *err)
{
    api_phone_page(arg, st, next, items, n, err, "reason");
}

static http_result h_list(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    uint64_t cursor, count;
    if (!api_query_u64(req, "cursor", 0, UINT64_MAX, &cursor) ||
        !api_query_u64(req, "count", DENY_PAGE_DEFAULT, DENY_PAGE_MAX, &count))
        return HTTP_DONE;
    return store_deny_list(a->store, cursor, count ? count : 1, on_page, req) == 0 ? HTTP_DEFERRED
                                                                                  : HTTP_DONE;
}

/* ---- caller-ID lookup ------------------------------------------------------------------------ */

static http_result h_callerid(http_req *req, void *ud)
{
    app *a = ud;
    char e164[PHONE_E164_MAX];
    if (!api_phone_path(a, req, e164))
        return HTTP_DONE;
    callerid_info info;
    callerid_status st = fraud_lookup(a->fraud, e164, &info);
    unsigned sig = callerid_signals(st == CID_OK ? &info : NULL, CID_ATTEST_MISSING, NULL);
    api_send(req, 200, fraud_callerid_json(&info, st, CID_ATTEST_MISSING, sig));
    return HTTP_DONE;
}

void api_fraud_register(struct app *a)
{
    api_route(a, "PUT", API_PREFIX "/denylist", h_set);
    api_route(a, "POST", API_PREFIX "/denylist", h_set);
    api_route(a, "GET", API_PREFIX "/denylist", h_list);
    api_route(a, "GET", API_PREFIX "/denylist/*", h_one);
    api_route(a, "DELETE", API_PREFIX "/denylist/*", h_one);
    api_route(a, "GET", API_PREFIX "/callerid/*", h_callerid);
}
