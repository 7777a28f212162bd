/* api.c -- REST registration and the helpers shared by the api_*.c route files. See api.h.
 *
 * Each area registers its own routes; this file only lists the areas and holds what every
 * handler needs: token checks (with an audit record of each failure), JSON body parsing and
 * field validation that answer 400 with a sentence naming the field, and cJSON replies.
 */
#include "api.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "log.h"

void api_register(struct app *a)
{
    api_live_register(a);
    /* each area adds its api_<area>_register(a) call here */
}

bool api_auth(struct app *a, http_req *req)
{
    if (!auth_enabled(a->auth)) {
        http_reply_error(req, 503, "the REST API is disabled: set CALLPRINT_ADMIN_PASSWORD");
        return false;
    }
    const char *h = http_req_header(req, "authorization");
    const char *token = NULL;
    if (h && strncmp(h, "Token ", 6) == 0)
        token = h + 6;
    auth_status st = token ? auth_check(a->auth, token) : AUTH_INVALID_TOKEN;
    if (st == AUTH_OK)
        return true;
    const char *why = !h ? "missing Authorization header"
                         : !token ? "Authorization must be \"Token <token>\""
                                  : auth_status_text(st);
    const char *kv[] = {"client", http_req_peer(req), "path", http_req_path(req)};
    log_write(LOG_WARN, NULL, NULL, kv, 2, "API authentication failed: %s", why);
    if (a->store)
        store_audit(a->store, "auth_failure", NULL, NULL, http_req_peer(req), NULL, NULL);
    http_add_header(req, "WWW-Authenticate", "Token");
    http_reply_error(req, 401, why);
    return false;
}

cJSON *api_json_body(http_req *req)
{
    size_t len;
    const char *body = http_req_body(req, &len);
    if (!body || len == 0) {
        http_reply_error(req, 400, "a JSON object body is required");
        return NULL;
    }
    const char *end = NULL;
    cJSON *obj = cJSON_ParseWithLengthOpts(body, len, &end, false);
    if (!obj || !cJSON_IsObject(obj)) {
        char msg[96];
        if (obj)
            snprintf(msg, sizeof msg, "the body must be a JSON object");
        else
            snprintf(msg, sizeof msg, "the body is not valid JSON (near byte %zu)",
                     end ? (size_t)(end - body) : (size_t)0);
        cJSON_Delete(obj);
        http_reply_error(req, 400, msg);
        return NULL;
    }
    return obj;
}

const char *api_string(http_req *req, const cJSON *obj, const char *name, size_t max,
                       bool required, bool *bad)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    char msg[160];
    *bad = false;
    if (!v || cJSON_IsNull(v)) {
        if (!required)
            return NULL;
        snprintf(msg, sizeof msg, "\"%s\" is required", name);
    } else if (!cJSON_IsString(v)) {
        snprintf(msg, sizeof msg, "\"%s\" must be a string", name);
    } else if (v->valuestring[0] == '\0') {
        snprintf(msg, sizeof msg, "\"%s\" must not be empty", name);
    } else if (strlen(v->valuestring) > max) {
        snprintf(msg, sizeof msg, "\"%s\" is longer than %zu characters", name, max);
    } else {
        return v->valuestring;
    }
    *bad = true;
    http_reply_error(req, 400, msg);
    return NULL;
}

void api_send(http_req *req, int status, cJSON *body)
{
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    if (!text) {
        http_reply_error(req, 500, "out of memory");
        return;
    }
    http_reply_json(req, status, text);
    cJSON_free(text);
}
