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
 * A list keyed by phone number, as the directory is (api_phone.h): numbers are normalised the
 * same way, so a deny-list entry matches the caller numbers of calls whatever way it was typed.
 * Changes to the list are audited (deny_add, deny_delete, detail = the number). Calls already
 * running keep the answer their start got; the next call from the number sees the change.
 */
#include <cjson/cJSON.h>

#include "api/api_phone.h"
#include "core/app.h"
#include "fraud/fraud.h"
#include "phone.h"
#include "store/store_fraud.h"

#define DENY_REASON_MAX 256

static const char *reason(http_req *req, const cJSON *body, bool *bad)
{
    return api_string(req, body, "reason", DENY_REASON_MAX, false, bad); /* null: none */
}

static void added(store *st, const char *phone, const char *why)
{
    (void)why;
    store_audit(st, "deny_add", NULL, NULL, phone, NULL, NULL);
}

static void removed(store *st, const char *phone)
{
    store_audit(st, "deny_delete", NULL, NULL, phone, NULL, NULL);
}

static const api_phone_list deny_list = {
    .value_name = "reason",
    .missing = "this phone number is not on the deny list",
    .value = reason,
    .written = added,
    .deleted = removed,
    .store = {store_deny_set, store_deny_get, store_deny_delete, store_deny_list},
};

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
    api_phone_register(a, API_PREFIX "/denylist", &deny_list);
    api_route(a, "GET", API_PREFIX "/callerid/*", h_callerid);
}
