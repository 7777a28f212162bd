/* api.h -- the REST API under /api/v2: registration and the helpers every route file uses.
 *
 * Routes live in one file per area (api_<area>.c), each with an api_<area>_register()
 * called from api_register(). Handlers run on the loop thread (http.h): they validate input,
 * reply at once or defer while Redis or a worker answers. Every route but login, health,
 * metrics and the OpenAPI document calls api_auth() first.
 *
 * Errors are {"error": "<sentence>"} with a meaningful status: 400 malformed input (the
 * sentence names the field), 401 missing/invalid token, 404 unknown id, 409 conflict,
 * 413 body too large (router), 423 maintenance, 503 dependency down (Redis, no model).
 */
#ifndef CALLPRINT_API_H
#define CALLPRINT_API_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "http.h"

struct app;

#define API_PREFIX "/api/v2"
#define API_EXTERNAL_ID_MAX 256

/* Register every REST route on a->router. */
void api_register(struct app *a);
void api_live_register(struct app *a); /* api_live.c: enrol/verify on streams, subscriptions */

/* Check "Authorization: Token <t>". On failure replies (401, or 503 when the API is
 * disabled because no admin password is configured), records an audit event, and returns
 * false: the handler must return HTTP_DONE without replying again. */
bool api_auth(struct app *a, http_req *req);

/* The body as a JSON object; on failure replies 400 and returns NULL. Caller frees. */
cJSON *api_json_body(http_req *req);

/* A string member: returns it, or NULL with *bad set and a 400 reply already sent when it is
 * required and missing, not a string, empty, or longer than max. Optional and absent: NULL,
 * *bad false. */
const char *api_string(http_req *req, const cJSON *obj, const char *name, size_t max,
                       bool required, bool *bad);

/* Reply with a cJSON tree (freed here). */
void api_send(http_req *req, int status, cJSON *body);


#endif
