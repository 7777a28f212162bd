/* api_directory.c -- the customer directory: phone number (E.164) -> external_id.
 *
 *   PUT|POST /api/v2/directory         {"phone", "external_id"} -> 200 {"phone", "external_id"}
 *   GET      /api/v2/directory/{phone} -> 200 {"phone", "external_id"} | 404
 *   DELETE   /api/v2/directory/{phone} -> 200 {"phone", "deleted": true} | 404
 *   GET      /api/v2/directory?cursor=C&count=N
 *            -> 200 {"entries": [{"phone", "external_id"}], "next_cursor": "C'"} ("0": done)
 *
 * A list keyed by phone number (api_phone.h: the numbers are normalised to E.164 as the caller
 * lookup at session start does it, sessions.h). Each write also updates the reverse index
 * (external_id -> phone) that fraud screening's region check reads.
 */
#include "api/api_phone.h"
#include "store/store.h"
#include "store/store_fraud.h"

static const char *external_id(http_req *req, const cJSON *body, bool *bad)
{
    return api_external_id(req, body, "external_id", true, bad);
}

/* The reverse index, for fraud screening's region check. */
static void indexed(store *st, const char *phone, const char *id)
{
    store_directory_index(st, id, phone, NULL, NULL);
}

static const api_phone_list directory = {
    .value_name = "external_id",
    .missing = "this phone number is not in the directory",
    .value = external_id,
    .written = indexed,
    .store = {store_directory_set, store_directory_get, store_directory_delete,
              store_directory_list},
};

void api_directory_register(struct app *a)
{
    api_phone_register(a, API_PREFIX "/directory", &directory);
}
