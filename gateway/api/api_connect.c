/* api_connect.c -- POST /api/v2/connect/contact: an Amazon Connect contact registers its call.
 *
 * A contact flow's "Invoke AWS Lambda function" block hands the contact event to our small
 * forwarding Lambda (deploy/lambda/), which POSTs it here unchanged with an API token. The
 * event is parsed by protocol/connect.h (400 with the offending field's JSON path), and
 * store_contact_register() creates or updates the session: caller normalised and looked up
 * in the customer directory, "NA" for missing optional attributes. The answer, sent once
 * Redis acknowledged the session, is the flat string map the contact flow turns into contact
 * attributes (< 32 KB):
 *
 *   {session_id, contact_id, caller, caller_status, caller_known, external_id, stream_url}
 *
 * stream_url (when public_url is set) and session_id tell the flow how to start the media
 * stream so that it joins this session: <Stream url=stream_url> with
 * <Parameter name="session_id" value=session_id/> (sessions.h joins on it; ContactId works
 * too).
 *
 * Redis down: 503 at once (the contact flow takes its error branch; the call goes on).
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "connect.h"
#include "common/log.h"
#include "store/store.h"

static void on_registered(void *arg, store_status st, const char *response, const char *session_id,
                          const char *err)
{
    http_req *req = arg;
    if (st != STORE_OK || !response) {
        api_store_error(req, st, err);
        return;
    }
    log_write(LOG_INFO, NULL, session_id, LOG_KV("event", "connect_contact"), "contact registered");
    http_reply_json(req, 200, response);
}

static http_result h_contact(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    size_t len;
    const char *body = http_req_body(req, &len);
    connect_event ev;
    connect_error cerr;
    if (!body || !len) {
        http_reply_error(req, 400, "a JSON contact event body is required");
        return HTTP_DONE;
    }
    if (connect_parse(body, len, &ev, &cerr) != CONNECT_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "invalid contact event: %s", cerr.msg);
        http_reply_error(req, cerr.status == CONNECT_ERR_TOO_LARGE ? 413 : 400, msg);
        connect_event_free(&ev);
        return HTTP_DONE;
    }
    char stream_url[CONFIG_STR_MAX + 16] = "";
    if (a->cfg->public_url[0])
        snprintf(stream_url, sizeof stream_url, "%s/stream", a->cfg->public_url);
    const char *extra[] = {"stream_url", stream_url};
    store_contact_options o = {
        .default_cc = a->cfg->default_country_code[0] ? a->cfg->default_country_code : NULL,
        .extra = extra,
        .n_extra = stream_url[0] ? 1 : 0, /* no public URL configured: no stream_url */
    };
    int rc = store_contact_register(a->store, &ev, &o, on_registered, req);
    connect_event_free(&ev);
    return rc == 0 ? HTTP_DEFERRED : HTTP_DONE; /* -1: already answered */
}

void api_connect_register(struct app *a)
{
    api_route(a, "POST", API_PREFIX "/connect/contact", h_contact);
}
