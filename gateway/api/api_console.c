/* api_console.c -- the REST routes the operator console added (console.h):
 *
 *   GET /api/v2/console/events     the live event stream (text/event-stream): a "snapshot"
 *                                  event every second (calls, health); console.c
 *   GET /api/v2/voiceprints        search voiceprints by external_id:
 *                                  ?q=<substring, case-insensitive>&limit=N&cursor=C ->
 *                                  {"external_ids":[..],"next_cursor":"C","scanned":N}
 *
 * Both need the token. The event stream checks it before anything is kept for the client:
 * an unauthenticated request gets its 401 and is gone, like any other route's.
 *
 * The search walks the voiceprint set with SSCAN pages (store_voiceprint_list) until it has
 * `limit` matches, the set is done (next_cursor "0") or SEARCH_SCAN_MAX ids were looked at,
 * so one request costs a bounded amount of Redis work whatever the set's size; the client
 * continues from next_cursor. As with SSCAN, an id may be listed twice across requests.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "console/console.h"

#define SEARCH_LIMIT_DEFAULT 50
#define SEARCH_LIMIT_MAX 500
#define SEARCH_PAGE 500
#define SEARCH_SCAN_MAX 20000

static http_result h_events(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    if (!a->console) {
        http_reply_error(req, 503, "the console is not running");
        return HTTP_DONE;
    }
    if (strcmp(http_req_method(req), "HEAD") == 0) {
        http_reply(req, 200, "text/event-stream; charset=utf-8", "", 0);
        return HTTP_DONE;
    }
    const char *token = api_token(req);
    if (!token || strlen(token) > CONSOLE_TOKEN_MAX) { /* api_auth accepted it: cannot happen */
        http_reply_error(req, 401, "invalid token");
        return HTTP_DONE;
    }
    return console_attach(a->console, req, token);
}

typedef struct {
    http_req *req;
    app *a;
    char q[API_EXTERNAL_ID_MAX + 1];
    size_t limit, scanned;
    cJSON *root, *ids;
} search_job;

/* The reply (the matches so far and where to go on, or the store's error); frees the job. */
static void search_done(search_job *j, store_status st, const char *err, uint64_t next)
{
    if (st == STORE_OK) {
        char cur[24];
        snprintf(cur, sizeof cur, "%" PRIu64, next);
        cJSON_AddStringToObject(j->root, "next_cursor", cur);
        cJSON_AddNumberToObject(j->root, "scanned", (double)j->scanned);
        api_send(j->req, 200, j->root);
    } else {
        api_store_error(j->req, st, err);
        cJSON_Delete(j->root);
    }
    free(j);
}

static void on_search_page(void *arg, store_status st, uint64_t next, const char *const *items,
                           size_t n, const char *err)
{
    search_job *j = arg;
    for (size_t i = 0; st == STORE_OK && i < n; i++) {
        if (!j->q[0] || strcasestr(items[i], j->q))
            cJSON_AddItemToArray(j->ids, cJSON_CreateString(items[i]));
    }
    j->scanned += n;
    size_t found = (size_t)cJSON_GetArraySize(j->ids);
    /* The store answers every request through its callback, failures included. */
    if (st != STORE_OK || next == 0 || found >= j->limit || j->scanned >= SEARCH_SCAN_MAX)
        search_done(j, st, err, next);
    else
        store_voiceprint_list(j->a->store, next, SEARCH_PAGE, on_search_page, j);
}

static http_result h_search(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    uint64_t limit, cursor;
    const char *q = http_req_query(req, "q");
    if (q && strlen(q) > API_EXTERNAL_ID_MAX) {
        http_reply_error(req, 400, "query argument \"q\" is longer than 256 characters");
        return HTTP_DONE;
    }
    if (!api_query_u64(req, "limit", SEARCH_LIMIT_DEFAULT, 1, SEARCH_LIMIT_MAX, &limit) ||
        !api_query_u64(req, "cursor", 0, 0, UINT64_MAX, &cursor))
        return HTTP_DONE;
    search_job *j = calloc(1, sizeof *j);
    if (!j || !(j->root = cJSON_CreateObject()) ||
        !(j->ids = cJSON_AddArrayToObject(j->root, "external_ids"))) {
        if (j)
            cJSON_Delete(j->root);
        free(j);
        http_reply_error(req, 500, "out of memory");
        return HTTP_DONE;
    }
    *j = (search_job){.req = req, .a = a, .limit = limit, .root = j->root, .ids = j->ids};
    snprintf(j->q, sizeof j->q, "%s", q ? q : "");
    /* On failure the callback has answered already. */
    return store_voiceprint_list(a->store, cursor, SEARCH_PAGE, on_search_page, j) == 0
               ? HTTP_DEFERRED
               : HTTP_DONE;
}

void api_console_register(struct app *a)
{
    api_route(a, "GET", API_PREFIX "/console/events", h_events);
    api_route(a, "GET", API_PREFIX "/voiceprints", h_search);
}
