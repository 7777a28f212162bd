/* api_speakers.c -- REST for the speaker lifecycle (speaker.h, store_speaker.h).
 *
 *   GET    /api/v2/speaker/{id}   -> 200 {"external_id", "status": ENROLLED|EXPIRED|OPTED_OUT,
 *                                   "created", "last_accessed_at", "expires_at",
 *                                   "opted_out_at"} (the fields that apply) | 404
 *   POST   /api/v2/optout         {"external_id"} -> 200 {"external_id", "status": "OPTED_OUT",
 *                                   "voiceprint_deleted": bool}: deletes the voiceprint, keeps
 *                                   a tombstone that refuses every later enrolment
 *   GET    /api/v2/optout/{id}    -> 200 {"external_id", "opted_out_at"} | 404
 *   DELETE /api/v2/optout/{id}    -> 200 {"external_id", "deleted": true} | 404: the
 *                                   administrator lifts the opt-out (enrolment possible again)
 *
 * Every route needs the admin token (the API's one account is the administrator). Opt-outs
 * and their removal are audited (speaker_opt_out, speaker_opt_out_removed); an opt-out also
 * tells live biometrics, so calls verifying against the voiceprint stop using it at once.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "live/live.h"
#include "common/log.h"
#include "common/time.h"
#include "fraud/speaker.h"
#include "store/store_speaker.h"

/* variant: GET /optout/{id}, which reads only the opt-out. */
typedef api_id_job spk_job;

static void add_time(cJSON *o, const char *key, int64_t ms)
{
    char when[32];
    if (ms <= 0)
        return;
    time_rfc3339(ms, when);
    cJSON_AddStringToObject(o, key, when);
}

static void on_speaker(void *arg, store_status st, const store_speaker *sp, const char *err)
{
    spk_job *j = arg;
    if (st == STORE_OK && j->variant && !sp->opted_out)
        st = STORE_NOT_FOUND, err = "this speaker has not opted out";
    if (st != STORE_OK) {
        api_store_error(j->req, st, err);
        free(j);
        return;
    }
    double days = j->a->cfg->speaker_expiry_days;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "external_id", j->id);
    if (!j->variant) {
        speaker_status s = sp->opted_out                                   ? SPEAKER_OPTED_OUT
                           : speaker_expired(days, sp->last_accessed_ms) ? SPEAKER_EXPIRED
                                                                           : SPEAKER_ENROLLED;
        cJSON_AddStringToObject(o, "status", speaker_status_name(s));
        add_time(o, "created", sp->created_ms);
        add_time(o, "last_accessed_at", sp->last_accessed_ms);
        add_time(o, "expires_at",
                 sp->enrolled ? speaker_expires_ms(days, sp->last_accessed_ms) : 0);
    }
    add_time(o, "opted_out_at", sp->opted_out_ms);
    api_send(j->req, 200, o);
    free(j);
}

static void on_removed(void *arg, store_status st, const char *err)
{
    spk_job *j = arg;
    if (st == STORE_OK) {
        store_audit(j->a->store, "speaker_opt_out_removed", NULL, NULL, j->id, NULL, NULL);
        log_info("opt-out removed through the API: the speaker may be enrolled again");
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "external_id", j->id);
        cJSON_AddBoolToObject(o, "deleted", true);
        api_send(j->req, 200, o);
    } else {
        api_store_error(j->req, st, st == STORE_NOT_FOUND ? "this speaker has not opted out" : err);
    }
    free(j);
}

/* GET /speaker/{id}, GET and DELETE /optout/{id}. */
static http_result by_path(http_req *req, void *ud, bool optout)
{
    app *a = ud;
    spk_job *j = api_id_job_from_path(a, req);
    if (!j)
        return HTTP_DONE;
    j->variant = optout;
    int rc = optout && strcmp(http_req_method(req), "DELETE") == 0
                 ? store_speaker_optout_remove(a->store, j->id, on_removed, j)
                 : store_speaker_get(a->store, j->id, on_speaker, j);
    return rc == 0 ? HTTP_DEFERRED : HTTP_DONE;
}

static http_result h_speaker(http_req *req, void *ud) { return by_path(req, ud, false); }
static http_result h_optout_one(http_req *req, void *ud) { return by_path(req, ud, true); }

static void on_opted_out(void *arg, store_status st, const char *err)
{
    spk_job *j = arg;
    if (st == STORE_OK || st == STORE_NOT_FOUND) {
        store_audit(j->a->store, "speaker_opt_out", NULL, NULL, j->id, NULL, NULL);
        live_voiceprint_changed(j->a->live, j->id); /* running verifications stop using it */
        log_info("speaker opted out through the API: voiceprint deleted, enrolment refused");
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "external_id", j->id);
        cJSON_AddStringToObject(o, "status", speaker_status_name(SPEAKER_OPTED_OUT));
        cJSON_AddBoolToObject(o, "voiceprint_deleted", st == STORE_OK);
        api_send(j->req, 200, o);
    } else {
        api_store_error(j->req, st, err);
    }
    free(j);
}

static http_result h_optout(http_req *req, void *ud)
{
    app *a = ud;
    spk_job *j = api_id_job_from_body(a, req);
    if (!j)
        return HTTP_DONE;
    return store_speaker_optout(a->store, j->id, on_opted_out, j) == 0 ? HTTP_DEFERRED : HTTP_DONE;
}

void api_speakers_register(struct app *a)
{
    api_route(a, "GET", API_PREFIX "/speaker/*", h_speaker);
    api_route(a, "POST", API_PREFIX "/optout", h_optout);
    api_route(a, "GET", API_PREFIX "/optout/*", h_optout_one);
    api_route(a, "DELETE", API_PREFIX "/optout/*", h_optout_one);
}
