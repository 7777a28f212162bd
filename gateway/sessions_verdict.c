/* sessions_verdict.c -- verdict history and org-API forwarding of a session. See sessions.h.
 *
 * A verdict is appended to the session's history and audited ("verify" / "enroll"). When it
 * is the forwarder's trigger verdict and the session has not been forwarded yet, the session is
 * read back from Redis -- it may hold more than this stream knows: the caller, attributes and
 * parameters of a Connect contact event -- and the request body is built from it:
 *
 *   {"session_id", "external_id", "verdict", "score", "speech_length", "mode", "dtmf",
 *    "session": {every session field}, "custom_parameters": {stream <Parameter>s},
 *    "contact_attributes": {Connect attributes}}
 *
 * A session marked honeypot (honeypot.h) is never forwarded. If Redis cannot answer, the
 * body is built from what the stream knows. The forward's outcome
 * is written to the session's forward_status and audited ("forward").
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "forward.h"
#include "live.h"
#include "log.h"
#include "registry.h"
#include "sessions_int.h"

typedef struct {
    sessions *ss;
    scall *c; /* may be NULL (a verdict after the stream ended) */
    char session_id[SS_ID_MAX];
    ss_verdict v;
} ss_fwd;

void ss_write_done(void *arg, store_status st, const char *err)
{
    (void)arg;
    if (st != STORE_OK)
        log_write(LOG_WARN, NULL, NULL, NULL, 0, "session write failed: %s",
                  err ? err : store_strerror(st));
}

/* ---- the forward ----------------------------------------------------------------------------- */

static void on_forwarded(void *arg, const char *session_id, bool ok, long http_status, int attempts,
                         const char *status)
{
    sessions *ss = arg;
    (void)ok, (void)http_status, (void)attempts;
    if (ss->closing) {
        log_write(LOG_WARN, NULL, session_id, NULL, 0,
                  "forward outcome not recorded (shutting down): %s", status);
        return;
    }
    store_session u = {.session_id = session_id, .forward_status = status};
    store_session_save(ss->st, &u, ss_write_done, ss);
    store_audit(ss->st, "forward", NULL, session_id, status, NULL, NULL);
}

static void add_str(cJSON *o, const char *k, const char *v)
{
    if (v && *v)
        cJSON_AddStringToObject(o, k, v);
}

/* Split the session's fields into session / custom_parameters / contact_attributes. */
static void body_from_view(cJSON *root, const store_session_view *v)
{
    cJSON *sess = cJSON_AddObjectToObject(root, "session");
    cJSON *params = cJSON_AddObjectToObject(root, "custom_parameters");
    cJSON *attrs = cJSON_AddObjectToObject(root, "contact_attributes");
    for (size_t i = 0; i < v->n_fields; i++) {
        const char *k = v->fields[2 * i], *val = v->fields[2 * i + 1];
        if (strncmp(k, "param.", 6) == 0)
            cJSON_AddStringToObject(params, k + 6, val);
        else if (strncmp(k, "attr.", 5) == 0)
            cJSON_AddStringToObject(attrs, k + 5, val);
        else
            cJSON_AddStringToObject(sess, k, val);
    }
}

static void body_from_call(cJSON *root, const scall *c)
{
    cJSON *sess = cJSON_AddObjectToObject(root, "session");
    cJSON *params = cJSON_AddObjectToObject(root, "custom_parameters");
    cJSON_AddObjectToObject(root, "contact_attributes");
    add_str(sess, "session_id", c->session_id);
    add_str(sess, "stream_uuid", c->stream_uuid);
    add_str(sess, "stream_sid", c->stream_sid);
    add_str(sess, "call_sid", c->call_sid);
    add_str(sess, "caller", c->caller);
    add_str(sess, "caller_status", c->caller_status);
    add_str(sess, "external_id", c->external_id);
    add_str(sess, "dialled", c->dialled);
    add_str(sess, "contact_id", c->contact_id);
    add_str(sess, "network_type", c->network_type);
    add_str(sess, "location", c->location);
    add_str(sess, "start_time", c->start_time);
    for (size_t i = 0; i < c->n_extra; i++)
        cJSON_AddStringToObject(params, c->extra[2 * i] + 6, c->extra[2 * i + 1]);
}

static void on_session_read(void *arg, store_status st, const store_session_view *v,
                            const char *err)
{
    ss_fwd *x = arg;
    sessions *ss = x->ss;
    (void)err;
    const char *done = st == STORE_OK ? store_view_field(v, "forward_status") : NULL;
    const char *hp = st == STORE_OK ? store_view_field(v, "honeypot") : NULL;
    bool honeypot = hp && strcmp(hp, "true") == 0; /* honeypot.h: nothing reaches the org */
    if (honeypot || (done && strcmp(done, "NA") != 0)) { /* or forwarded already */
        log_write(LOG_INFO, NULL, x->session_id, NULL, 0, "org-API forward skipped: %s%s",
                  honeypot ? "the call is in the honeypot" : "the session was forwarded before: ",
                  honeypot ? "" : done);
        if (x->c)
            ss_call_release(x->c);
        free(x);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    const char *ext = x->v.external_id[0] ? x->v.external_id
                      : st == STORE_OK    ? store_view_field(v, "external_id")
                      : x->c              ? x->c->external_id
                                          : NULL;
    if (ext && strcmp(ext, "NA") == 0)
        ext = NULL;
    cJSON_AddStringToObject(root, "session_id", x->session_id);
    add_str(root, "external_id", ext);
    cJSON_AddStringToObject(root, "verdict", x->v.verdict);
    cJSON_AddNumberToObject(root, "score", x->v.score);
    cJSON_AddNumberToObject(root, "speech_length", x->v.speech_s);
    cJSON_AddStringToObject(root, "mode", x->v.mode);
    const char *dtmf = x->c ? x->c->dtmf : st == STORE_OK ? store_view_field(v, "dtmf") : NULL;
    cJSON_AddStringToObject(root, "dtmf", dtmf ? dtmf : "");
    if (st == STORE_OK)
        body_from_view(root, v);
    else if (x->c)
        body_from_call(root, x->c);
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    int rc = json && !ss->closing
                 ? forward_submit(ss->fwd, x->session_id, ext, x->v.verdict, json, on_forwarded, ss)
                 : -1;
    cJSON_free(json);
    if (rc < 0 && !ss->closing)
        on_forwarded(ss, x->session_id, false, 0, 0, "failed: could not be queued");
    if (x->c)
        ss_call_release(x->c);
    free(x);
}

static void maybe_forward(sessions *ss, scall *c, const char *session_id, const ss_verdict *v)
{
    if (!forward_wants(ss->fwd, v->verdict) || (c && c->forwarded))
        return;
    ss_fwd *x = calloc(1, sizeof *x);
    if (!x)
        return;
    x->ss = ss;
    x->c = c;
    x->v = *v;
    snprintf(x->session_id, sizeof x->session_id, "%s", session_id);
    if (c) {
        c->forwarded = true;
        c->pending++;
    }
    store_session_get(ss->st, session_id, on_session_read, x);
}

/* ---- recording ------------------------------------------------------------------------------- */

/* stream_uuid: for a verdict that came after its stream ended (c NULL). */
static void record(sessions *ss, scall *c, const char *stream_uuid, const char *session_id,
                   const ss_verdict *v)
{
    store_session_add_verdict(ss->st, session_id, v->verdict, v->score, v->speech_s, v->mode,
                              ss_write_done, ss);
    if (v->spoof[0])
        store_session_set_spoof(ss->st, session_id, v->spoof, v->spoof_score, ss_write_done, ss);
    /* The history has every verdict; the audit trail only the first and each change. */
    if (!c || strcmp(c->last_verdict, v->verdict) != 0) {
        char detail[SS_EXT_MAX + 160];
        int n = snprintf(detail, sizeof detail, "%s score=%.1f speech=%.1fs external_id=%s",
                         v->verdict, v->score, v->speech_s, v->external_id[0] ? v->external_id : "NA");
        if (v->spoof[0] && n > 0 && (size_t)n < sizeof detail)
            snprintf(detail + n, sizeof detail - (size_t)n, " spoof=%s spoof_score=%.1f", v->spoof,
                     v->spoof_score);
        store_audit(ss->st, strcmp(v->mode, "enroll") == 0 ? "enroll" : "verify",
                    c ? c->stream_uuid : stream_uuid, session_id, detail, NULL, NULL);
        if (c)
            snprintf(c->last_verdict, sizeof c->last_verdict, "%s", v->verdict);
    }
    maybe_forward(ss, c, session_id, v);
}

void ss_verdict_record(scall *c, const ss_verdict *v)
{
    record(c->ss, c, c->stream_uuid, c->session_id, v);
}

typedef struct {
    sessions *ss;
    ss_verdict v;
    char stream_uuid[STREAM_UUID_LEN + 1];
} ss_late;

static void on_late_session(void *arg, store_status st, const char *id, const char *err)
{
    ss_late *l = arg;
    if (st == STORE_OK && id && !l->ss->closing)
        record(l->ss, NULL, l->stream_uuid, id, &l->v);
    else
        log_write(LOG_WARN, NULL, NULL, NULL, 0, "verdict after the stream ended not recorded: %s",
                  err ? err : store_strerror(st));
    free(l);
}

void sessions_on_verdict(sessions *ss, const char *stream_uuid, const sessions_verdict *in)
{
    if (!ss || ss->closing || !stream_uuid || !in || !in->verdict || !*in->verdict)
        return;
    ss_verdict v = {.score = in->score, .speech_s = in->speech_s, .spoof_score = in->spoof_score};
    snprintf(v.spoof, sizeof v.spoof, "%s", in->spoof ? in->spoof : "");
    snprintf(v.mode, sizeof v.mode, "%s", in->mode && *in->mode ? in->mode : "verify");
    snprintf(v.verdict, sizeof v.verdict, "%s", in->verdict);
    snprintf(v.external_id, sizeof v.external_id, "%s", in->external_id ? in->external_id : "");
    stream *s = registry_by_uuid(ss->a->reg, stream_uuid);
    scall *c = s && ss->slot >= 0 ? s->sink_state[ss->slot] : NULL;
    if (c && c->resolved) {
        record(ss, c, c->stream_uuid, c->session_id, &v);
    } else if (c) {
        if (c->n_held == SS_VERDICTS_MAX) /* keep the latest */
            memmove(c->held, c->held + 1, sizeof c->held - sizeof c->held[0]), c->n_held--;
        c->held[c->n_held++] = v;
    } else {
        ss_late *l = calloc(1, sizeof *l);
        if (!l)
            return;
        l->ss = ss;
        l->v = v;
        snprintf(l->stream_uuid, sizeof l->stream_uuid, "%s", stream_uuid);
        store_session_find(ss->st, STORE_BY_STREAM_UUID, stream_uuid, on_late_session, l);
    }
}

/* ---- the live controller's observer ---------------------------------------------------------- */

/* Verify: every verdict (status 200). Enrol: the outcome (created / already exists). */
void ss_on_live_state(const live_state *st, void *arg)
{
    sessions_verdict v = {
        .score = st->score, .speech_s = st->speech_seconds, .external_id = st->external_id,
        .spoof = st->spoof_scored ? bio_spoof_verdict_name(st->spoof) : NULL,
        .spoof_score = st->spoof_score};
    /* Final answers come after the stream ended (st->stream NULL): sessions_on_verdict then
     * finds the session through the stream uuid index. */
    if (st->kind == LIVE_VERIFY && st->status == LIVE_ST_VERDICT) {
        v.mode = "verify";
        v.verdict = bio_verdict_name(st->verdict);
    } else if (st->kind == LIVE_ENROLL && st->status == LIVE_ST_CREATED) {
        v.mode = "enroll";
        v.verdict = "enrolled";
    } else if (st->kind == LIVE_ENROLL && st->status == LIVE_ST_EXISTS) {
        v.mode = "enroll";
        v.verdict = "exists";
    } else if (st->kind == LIVE_ENROLL && st->status == LIVE_ST_SPOOFED) {
        v.mode = "enroll";
        v.verdict = "spoofed";
    } else {
        return;
    }
    sessions_on_verdict(arg, st->stream_uuid, &v);
}
