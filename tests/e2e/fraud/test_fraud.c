/* test_fraud.c -- fraud screening end to end with real processes: the callprint server,
 * redis-server, the webhook receiver, WebSocket calls of real speech (tests/fixtures/bio:
 * customer A = speechocean762 0120, another speaker B = 1027), and libphonenumber.
 *
 * Caller ID, deny list and risk: the customer's own call from their registered London number,
 * fully attested, is verified with no risk reason; a call claiming the same customer from a
 * deny-listed Paris number whose attestation failed, in another voice, carries every matching
 * reason and a risk above the threshold -- in the webhook, the REST poll answer, the stream
 * details and the session in Redis. A call with no job still gets its caller-ID answer and
 * stream-level risk (a VoIP number without attestation, the number from an Amazon Connect
 * contact event).
 *
 * Watchlists: a fraudster registered from their enrolment recordings is found on a call made
 * with their other recordings while claiming customer A's identity (known_fraudster, risk
 * above the threshold, KNOWN_FRAUDSTER), A's own call is not flagged, and registering the
 * same voice again under another id is refused naming the first.
 */
#include <criterion/criterion.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "e2e.h"

#define PASSWORD "fraud-test-password-1"

/* A speaker's fixture recordings (part "enroll" or "test"), concatenated, 8 kHz. */
static int16_t *speaker(const char *spk, const char *part, size_t *n)
{
    char src[512], pat[1024];
    e2e_src("tests/fixtures/bio", src, sizeof src);
    snprintf(pat, sizeof pat, "%s/speechocean762_%s/%s/*.wav", src, spk, part);
    glob_t g;
    cr_assert_eq(glob(pat, 0, NULL, &g), 0, "no fixtures %s", pat);
    const char *files[64];
    size_t k = 0, skip = strlen(src) - strlen("fixtures/bio");
    for (size_t i = 0; i < g.gl_pathc && k < 63; i++)
        files[k++] = g.gl_pathv[i] + skip; /* relative to tests/ */
    files[k] = NULL;
    int16_t *pcm = e2e_audio(files, n);
    globfree(&g);
    cr_assert_not_null(pcm);
    return pcm;
}

#define SPEAKER_A "0120"
#define SPEAKER_B "1027"
#define SPEAKER_F "0594" /* the fraudster */

static e2e_proc G;
static char TOKEN[128];

static void setup(void) { e2e_setup(); }

static void teardown(void)
{
    if (G.pid)
        cr_expect_eq(e2e_stop(&G), 0, "the gateway exits cleanly (sanitizers: see %s)", G.log);
    TOKEN[0] = '\0';
    e2e_teardown();
}

TestSuite(fraud, .init = setup, .fini = teardown, .timeout = 400);

static void start_with(const char *min_enroll)
{
    e2e_gateway_start(&G, (const char *const[]){"CALLPRINT_ADMIN_PASSWORD", PASSWORD,
                                                "CALLPRINT_DEFAULT_COUNTRY_CODE", "44",
                                                "CALLPRINT_MIN_ENROLL_SPEECH", min_enroll, NULL});
    cr_assert(e2e_login(G.port, PASSWORD, TOKEN, sizeof TOKEN));
}

static void start(void) { start_with("-1"); }

static const cJSON *payload(const cJSON *o)
{
    const cJSON *p = cJSON_GetObjectItem(o, "payload");
    return p ? p : o;
}

/* A member of o, else of its payload (webhook bodies keep "status" outside the payload). */
static double jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    if (!v)
        v = cJSON_GetObjectItem(payload(o), k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static bool has_reason(const cJSON *o, const char *reason)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(payload(o), "risk_reasons"))
        if (cJSON_IsString(r) && strcmp(r->valuestring, reason) == 0)
            return true;
    return false;
}

static size_t n_reasons(const cJSON *o)
{
    return (size_t)cJSON_GetArraySize(cJSON_GetObjectItem(payload(o), "risk_reasons"));
}

static bool is_verdict(const cJSON *b) { return jnum(b, "status") == 200; }

static long rest(const char *method, const char *path, const char *body, cJSON **out)
{
    return e2e_http(G.port, method, path, TOKEN, body, out);
}

/* A speaker's recordings (part "enroll" or "test") as one 8 kHz WAV file, base64. */
static char *wav_b64(const char *spk, const char *part)
{
    size_t n;
    int16_t *pcm = speaker(spk, part, &n);
    size_t bytes = 44 + 2 * n;
    uint8_t *wav = malloc(bytes);
    cr_assert(wav);
    uint32_t v32[] = {(uint32_t)(bytes - 8), 16, 8000, 16000, (uint32_t)(2 * n)};
    uint16_t fmt[] = {1, 1}, blk[] = {2, 16};
    memcpy(wav, "RIFF", 4), memcpy(wav + 4, &v32[0], 4), memcpy(wav + 8, "WAVEfmt ", 8);
    memcpy(wav + 16, &v32[1], 4), memcpy(wav + 20, fmt, 4), memcpy(wav + 24, &v32[2], 4);
    memcpy(wav + 28, &v32[3], 4), memcpy(wav + 32, blk, 4), memcpy(wav + 36, "data", 4);
    memcpy(wav + 40, &v32[4], 4), memcpy(wav + 44, pcm, 2 * n);
    char *text = malloc(B64_ENCODED_LEN(bytes) + 1);
    cr_assert(text);
    b64_encode(wav, bytes, text, B64_ENCODED_LEN(bytes) + 1);
    free(wav);
    free(pcm);
    return text;
}

/* POST a JSON body made of fmt around one recording's base64 (the one %s). */
static long post_audio(const char *path, const char *fmt, const char *key, const char *audio,
                       cJSON **out)
{
    size_t cap = strlen(audio) + strlen(fmt) + strlen(key) + 16;
    char *body = malloc(cap);
    cr_assert(body);
    snprintf(body, cap, fmt, key, audio);
    long st = rest("POST", path, body, out);
    free(body);
    return st;
}

/* Enrol ext from the speaker's enrolment recordings through POST /api/v2/import (the thread
 * pool enrols it; a live enrolment sent faster than real time would lose audio on a loaded
 * machine). */
static void enrol(const char *ext, const char *spk)
{
    char *audio = wav_b64(spk, "enroll");
    cJSON *o = NULL;
    cr_assert_eq(post_audio("/api/v2/import",
                            "{\"recordings\":[{\"external_id\":\"%s\",\"audio\":\"%s\"}]}",
                            ext, audio, &o), 200);
    cr_assert_eq(jnum(o, "created"), 1, "the import created the voiceprint");
    cJSON_Delete(o);
    free(audio);
}

/* The last verdict webhook on prefix (caller deletes). */
static cJSON *last_verdict(const char *prefix)
{
    e2e_hook *h;
    size_t n = e2e_hooks(prefix, &h);
    cJSON *out = NULL;
    for (size_t i = n; i-- > 0 && !out;)
        if (h[i].json && is_verdict(h[i].json))
            out = cJSON_Duplicate(h[i].json, 1);
    e2e_hooks_free(h, n);
    return out;
}

Test(fraud, deny_list_rest)
{
    start();
    cJSON *o = NULL;
    cr_assert_eq(rest("PUT", "/api/v2/denylist", "{\"phone\":\"+33 1 42 68 53 00\",\"reason\":"
                                                  "\"chargeback ring\"}", &o), 200);
    cr_expect_str_eq(jstr(o, "phone"), "+33142685300");
    cr_expect_str_eq(jstr(o, "reason"), "chargeback ring");
    cJSON_Delete(o);
    cr_expect_eq(rest("POST", "/api/v2/denylist", "{\"phone\":\"020 7946 0000\"}", NULL), 200);
    cr_assert_eq(rest("GET", "/api/v2/denylist/%2B33142685300", NULL, &o), 200);
    cr_expect_str_eq(jstr(o, "reason"), "chargeback ring");
    cJSON_Delete(o);
    cr_assert_eq(rest("GET", "/api/v2/denylist?count=10", NULL, &o), 200);
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "entries")), 2);
    cJSON_Delete(o);
    cr_expect_eq(rest("DELETE", "/api/v2/denylist/02079460000", NULL, NULL), 200);
    cr_expect_eq(rest("GET", "/api/v2/denylist/%2B442079460000", NULL, NULL), 404);
    cr_expect_eq(rest("DELETE", "/api/v2/denylist/%2B442079460000", NULL, NULL), 404);
    /* Bad input: a clear 400, no token: 401. */
    cr_expect_eq(rest("PUT", "/api/v2/denylist", "{\"phone\":\"not a number\"}", NULL), 400);
    cr_expect_eq(rest("PUT", "/api/v2/denylist", "{\"phone\":\"+33142685300\",\"reason\":7}",
                      NULL), 400);
    cr_expect_eq(rest("PUT", "/api/v2/denylist", "[]", NULL), 400);
    cr_expect_eq(e2e_http(G.port, "GET", "/api/v2/denylist", NULL, NULL, NULL), 401);
    /* Caller-ID lookups. */
    cr_assert_eq(rest("GET", "/api/v2/callerid/%2B445612345678", NULL, &o), 200);
    cr_expect_str_eq(jstr(o, "type"), "VOIP");
    cr_expect_str_eq(jstr(o, "region"), "GB");
    cJSON_Delete(o);
    cr_assert_eq(rest("GET", "/api/v2/callerid/020%207946%200958", NULL, &o), 200);
    cr_expect_str_eq(jstr(o, "description"), "London");
    cr_expect_str_eq(jstr(o, "number"), "+442079460958");
    cJSON_Delete(o);
    cr_expect_eq(rest("GET", "/api/v2/callerid/hello", NULL, NULL), 400);
}

Test(fraud, risk_in_webhooks_rest_and_session)
{
    start();
    char ext[64];
    e2e_id("cust-a", ext, sizeof ext);
    char body[256];
    snprintf(body, sizeof body, "{\"phone\":\"+442079460958\",\"external_id\":\"%s\"}", ext);
    cr_assert_eq(rest("PUT", "/api/v2/directory", body, NULL), 200);
    cr_assert_eq(rest("PUT", "/api/v2/denylist", "{\"phone\":\"+33142685300\"}", NULL), 200);
    enrol(ext, SPEAKER_A);

    size_t n_a, n_b;
    int16_t *ta = speaker(SPEAKER_A, "test", &n_a);
    int16_t *tb = speaker(SPEAKER_B, "test", &n_b);
    char ua[37], ub[37], uv[37], ha[256], hb[256];
    e2e_uuid(ua);
    e2e_uuid(ub);
    e2e_uuid(uv);
    snprintf(ha, sizeof ha, "%s/ok/own", e2e_receiver_url());
    snprintf(hb, sizeof hb, "%s/ok/fraud", e2e_receiver_url());
    /* The customer, from their registered number, fully attested. */
    e2e_call *ca = e2e_call_open(&G, (const char *const[]){
        "uuid", ua, "external_id", ext, "mode", "verify", "webhook", ha, "caller",
        "+442079460958", "StirVerstat", "TN-Validation-Passed-A", NULL});
    /* Someone else claiming to be them, from a deny-listed Paris number that failed STIR. */
    e2e_call *cb = e2e_call_open(&G, (const char *const[]){
        "uuid", ub, "external_id", ext, "mode", "verify", "webhook", hb, "From", "+33142685300",
        "StirVerstat", "TN-Validation-Failed", NULL});
    /* No job: an Amazon Connect contact from a VoIP number (national, read as GB), whose
     * stream carries only the session id the contact event answered: the number comes from
     * the session. No attestation parameter. */
    cJSON *ct = NULL;
    cr_assert_eq(rest("POST", "/api/v2/connect/contact",
                      "{\"Name\":\"ContactFlowEvent\",\"Details\":{\"ContactData\":{"
                      "\"ContactId\":\"fraud-contact-1\",\"Channel\":\"VOICE\","
                      "\"CustomerEndpoint\":{\"Address\":\"056 1234 5678\","
                      "\"Type\":\"TELEPHONE_NUMBER\"}},\"Parameters\":{}}}", &ct), 200);
    char sid[128];
    snprintf(sid, sizeof sid, "%s", jstr(ct, "session_id"));
    cJSON_Delete(ct);
    e2e_call *cv = e2e_call_open(&G, (const char *const[]){"uuid", uv, "session_id", sid, NULL});
    /* In real time, as a phone call: sent faster, a loaded machine's worker drops audio. */
    e2e_calls_realtime((e2e_call *[]){ca, cb, cv}, (const int16_t *const[]){ta, tb, ta}, 3,
                       n_a < n_b ? n_a : n_b);
    cr_assert_gt(e2e_wait_hook("/ok/own", is_verdict, 60000), 0, "no verdict for the customer");
    cr_assert_gt(e2e_wait_hook("/ok/fraud", is_verdict, 60000), 0, "no verdict for the fraud");
    e2e_pump(2500); /* a few more ticks: the directory and deny-list answers are in */
    e2e_call_send(cv, ta, 8000); /* keep the job-less call from timing out while we look */

    cJSON *own = last_verdict("/ok/own"), *bad = last_verdict("/ok/fraud");
    cr_assert(own && bad);
    double thr = jnum(own, "risk_threshold");
    cr_expect_eq(thr, 50);
    cr_log_info("customer: risk %.0f (%zu reasons), impostor: risk %.0f (%zu reasons)",
                jnum(own, "risk"), n_reasons(own), jnum(bad, "risk"), n_reasons(bad));
    cr_expect_lt(jnum(own, "risk"), thr);
    cr_expect_eq(n_reasons(own), 0);
    const cJSON *cid = cJSON_GetObjectItem(payload(own), "caller_id");
    cr_expect_str_eq(jstr(cid, "type"), "FIXED_LINE");
    cr_expect_str_eq(jstr(cid, "description"), "London");
    cr_expect_str_eq(jstr(cid, "attestation"), "A");
    cr_expect_str_eq(jstr(payload(own), "decision"), "ACCEPT");
    cr_expect_str_eq(jstr(payload(bad), "decision"), "REJECT");
    cr_expect_geq(jnum(bad, "risk"), thr);
    for (const char *const *r = (const char *const[]){"DENY_LISTED", "VOICE_MISMATCH",
                                                      "CALLER_ID_REGION_MISMATCH",
                                                      "CALLER_ID_UNATTESTED", NULL};
         *r; r++)
        cr_expect(has_reason(bad, *r), "the impostor's webhook lacks %s", *r);
    cr_expect_not(has_reason(bad, "CALLER_ID_INVALID"));
    cr_expect_not(has_reason(bad, "CALLER_ID_VOIP"));
    cid = cJSON_GetObjectItem(payload(bad), "caller_id");
    cr_expect_str_eq(jstr(cid, "region"), "FR");
    cr_expect_str_eq(jstr(cid, "attestation"), "FAILED");
    cJSON_Delete(own);
    cJSON_Delete(bad);

    /* The REST poll answer carries the same. */
    cJSON *o = NULL;
    char path[128];
    snprintf(path, sizeof path, "/api/v2/stream/%s/verify", ub);
    snprintf(body, sizeof body, "{\"external_id\":\"%s\"}", ext);
    cr_assert_eq(rest("POST", path, body, &o), 200);
    cr_expect_geq(jnum(o, "risk"), thr);
    cr_expect(has_reason(o, "DENY_LISTED"));
    cJSON_Delete(o);
    /* Nobody enrolled under that id: Voice ID's SPEAKER_NOT_ENROLLED. */
    cr_assert_eq(rest("POST", path, "{\"external_id\":\"nobody-enrolled\"}", &o), 404);
    cr_expect_str_eq(jstr(o, "decision"), "SPEAKER_NOT_ENROLLED");
    cJSON_Delete(o);

    /* The job-less call: stream details. */
    snprintf(path, sizeof path, "/api/v2/streams/%s", uv);
    cr_assert_eq(rest("GET", path, NULL, &o), 200);
    const cJSON *fr = cJSON_GetObjectItem(o, "fraud");
    cr_assert_not_null(fr);
    cr_expect_str_eq(jstr(cJSON_GetObjectItem(fr, "caller_id"), "type"), "VOIP");
    cr_expect(has_reason(fr, "CALLER_ID_VOIP"));
    cr_expect(has_reason(fr, "CALLER_ID_UNATTESTED"));
    cr_expect_eq(n_reasons(fr), 2);
    cr_expect_lt(jnum(fr, "risk"), thr, "two weak caller-ID signals stay below the threshold");
    cJSON_Delete(o);

    e2e_call_stop(ca);
    e2e_call_stop(cb);
    e2e_call_stop(cv);
    e2e_pump(1500);

    /* The sessions. */
    struct {
        const char *uuid, *field, *want;
    } checks[] = {
        {uv, "caller_id.type", "VOIP"},          {uv, "caller_id.e164", "+445612345678"},
        {uv, "caller_id.attestation", "MISSING"}, {ua, "caller_id.description", "London"},
        {ua, "risk_reasons", ""},                {ub, "deny_listed", "true"},
        {ub, "caller_id.region", "FR"},          {ub, "risk_threshold", "50"},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        char *v = e2e_session_field(checks[i].uuid, checks[i].field);
        cr_expect(v && strcmp(v, checks[i].want) == 0, "session %s: %s = %s, want %s",
                  checks[i].uuid, checks[i].field, v ? v : "(none)", checks[i].want);
        free(v);
    }
    char *risk = e2e_session_field(ub, "risk"), *reasons = e2e_session_field(ub, "risk_reasons");
    cr_expect(risk && atoi(risk) >= 50, "impostor session risk %s", risk ? risk : "(none)");
    cr_expect(reasons && strstr(reasons, "DENY_LISTED") && strstr(reasons, "VOICE_MISMATCH"),
              "impostor session reasons %s", reasons ? reasons : "(none)");
    free(risk);
    free(reasons);
    cr_expect_eq(e2e_validate_hooks(2), 0, "webhooks validate against schemas/webhook");
    free(ta);
    free(tb);
}

static bool has_known(const cJSON *b)
{
    return cJSON_GetObjectItem(payload(b), "known_fraudster") != NULL;
}

Test(fraud, watchlists_registration_and_screening)
{
    start();
    cJSON *o = NULL;
    cr_assert_eq(rest("GET", "/api/v2/watchlists", NULL, &o), 200);
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "watchlists"), 0);
    cr_expect_str_eq(jstr(first, "name"), "default");
    cJSON_Delete(o);
    cr_assert_eq(rest("POST", "/api/v2/watchlists", "{\"name\":\"ring-7\"}", NULL), 201);
    cr_expect_eq(rest("POST", "/api/v2/watchlists", "{\"name\":\"ring-7\"}", NULL), 409);
    cr_expect_eq(rest("POST", "/api/v2/watchlists", "{\"name\":\"a b\"}", NULL), 400);
    cr_expect_eq(rest("DELETE", "/api/v2/watchlists/default", NULL, NULL), 409);
    cr_expect_eq(rest("GET", "/api/v2/watchlists/nope/fraudsters", NULL, NULL), 404);

    /* Register the fraudster from their enrolment recordings. */
    char *fr_enrol = wav_b64(SPEAKER_F, "enroll"), *fr_test = wav_b64(SPEAKER_F, "test");
    const char *fmt = "{\"fraudster_id\":\"%s\",\"audio\":\"%s\"}";
    cr_assert_eq(post_audio("/api/v2/watchlists/ring-7/fraudsters", fmt, "fr-1", fr_enrol, &o),
                 201);
    cr_expect_str_eq(jstr(o, "fraudster_id"), "fr-1");
    cJSON_Delete(o);
    /* The same voice (other recordings) under another id: refused, naming fr-1. */
    cr_assert_eq(post_audio("/api/v2/watchlists/ring-7/fraudsters", fmt, "fr-2", fr_test, &o),
                 409);
    cr_expect_str_eq(jstr(o, "fraudster_id"), "fr-1");
    cr_log_info("duplicate registration matched fr-1 at %.1f", jnum(o, "score"));
    cJSON_Delete(o);
    cr_expect_eq(post_audio("/api/v2/watchlists/ring-7/fraudsters", fmt, "fr-1", fr_test, NULL),
                 409, "an id already on the list");
    cr_expect_eq(post_audio("/api/v2/watchlists/ring-7/fraudsters", fmt, "fr-3", "@@@", NULL),
                 400);
    free(fr_enrol);
    cr_assert_eq(rest("GET", "/api/v2/watchlists/ring-7/fraudsters", NULL, &o), 200);
    cr_expect_eq(jnum(o, "count"), 1);
    cJSON_Delete(o);
    cr_expect_eq(rest("GET", "/api/v2/watchlists/ring-7/fraudsters/fr-1", NULL, NULL), 200);

    /* Customer A, and two calls claiming A: the fraudster's and A's own. */
    char ext[64];
    e2e_id("cust-a", ext, sizeof ext);
    enrol(ext, SPEAKER_A);
    size_t n_a, n_f;
    int16_t *ta = speaker(SPEAKER_A, "test", &n_a);
    int16_t *tf = speaker(SPEAKER_F, "test", &n_f);
    char ua[37], uf[37], ha[256], hf[256];
    e2e_uuid(ua);
    e2e_uuid(uf);
    snprintf(ha, sizeof ha, "%s/ok/wl-own", e2e_receiver_url());
    snprintf(hf, sizeof hf, "%s/ok/wl-fraud", e2e_receiver_url());
    e2e_call *ca = e2e_call_open(&G, (const char *const[]){"uuid", ua, "external_id", ext, "mode",
                                                         "verify", "webhook", ha, NULL});
    e2e_call *cf = e2e_call_open(&G, (const char *const[]){"uuid", uf, "external_id", ext, "mode",
                                                         "verify", "webhook", hf, NULL});
    e2e_calls_realtime((e2e_call *[]){ca, cf}, (const int16_t *const[]){ta, tf}, 2,
                       n_a < n_f ? n_a : n_f);
    cr_assert_gt(e2e_wait_hook("/ok/wl-fraud", has_known, 20000), 0,
                 "the fraudster's call was not flagged");
    e2e_pump(1500);
    cJSON *own = last_verdict("/ok/wl-own"), *bad = NULL;
    e2e_hook *h;
    size_t n = e2e_hooks("/ok/wl-fraud", &h);
    for (size_t i = n; i-- > 0 && !bad;)
        if (h[i].json && has_known(h[i].json))
            bad = cJSON_Duplicate(h[i].json, 1);
    e2e_hooks_free(h, n);
    cr_assert(own && bad);
    const cJSON *kf = cJSON_GetObjectItem(payload(bad), "known_fraudster");
    cr_expect_str_eq(jstr(kf, "watchlist"), "ring-7");
    cr_expect_str_eq(jstr(kf, "fraudster_id"), "fr-1");
    cr_log_info("fraudster call: risk %.0f, match score %.1f; customer's call: risk %.0f",
                jnum(bad, "risk"), jnum(kf, "score"), jnum(own, "risk"));
    cr_expect_geq(jnum(bad, "risk"), jnum(bad, "risk_threshold"));
    cr_expect(has_reason(bad, "KNOWN_FRAUDSTER"));
    cr_expect_not(has_known(own), "the customer's own call is not flagged");
    cr_expect_not(has_reason(own, "KNOWN_FRAUDSTER"));
    cr_expect_lt(jnum(own, "risk"), jnum(own, "risk_threshold"));
    cJSON_Delete(own);
    cJSON_Delete(bad);
    e2e_call_stop(ca);
    e2e_call_stop(cf);
    e2e_pump(1500);
    char *kid = e2e_session_field(uf, "known_fraudster.fraudster_id");
    cr_expect(kid && strcmp(kid, "fr-1") == 0, "session known_fraudster %s", kid ? kid : "(none)");
    free(kid);

    /* Removal. */
    cr_expect_eq(rest("DELETE", "/api/v2/watchlists/ring-7/fraudsters/fr-1", NULL, NULL), 200);
    cr_expect_eq(rest("GET", "/api/v2/watchlists/ring-7/fraudsters/fr-1", NULL, NULL), 404);
    cr_expect_eq(rest("DELETE", "/api/v2/watchlists/ring-7", NULL, NULL), 200);
    cr_expect_eq(rest("GET", "/api/v2/watchlists/ring-7/fraudsters", NULL, NULL), 404);
    free(fr_test);
    free(ta);
    free(tf);
}

static bool is_registered(const cJSON *b) { return jnum(b, "status") == 201; }

/* The stream details' fraud.registration.status (0 when absent). */
static double registration_status(const char *uuid, cJSON **reg)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v2/streams/%s", uuid);
    cJSON *o = NULL;
    double st = 0;
    if (rest("GET", path, NULL, &o) == 200) {
        const cJSON *r = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "fraud"), "registration");
        st = jnum(r, "status");
        if (reg && r)
            *reg = cJSON_Duplicate(r, 1);
    }
    cJSON_Delete(o);
    return isnan(st) ? 0 : st;
}

Test(fraud, registration_from_live_streams)
{
    /* 4 s of net speech make a voiceprint here: a test recording set (~8 s) is enough. */
    start_with("4");
    size_t n;
    int16_t *tb = speaker(SPEAKER_B, "test", &n);
    /* Zero integration: TwiML parameters only. ~8 s of audio is under the worker queue's
     * 10 s, so it may be sent at once without losing any. */
    char u1[37], hook[256];
    e2e_uuid(u1);
    snprintf(hook, sizeof hook, "%s/ok/reg", e2e_receiver_url());
    e2e_call *c1 = e2e_call_open(&G, (const char *const[]){
        "uuid", u1, "mode", "register_fraudster", "fraudster_id", "live-1", "watchlist",
        "live-wl", "webhook", hook, NULL});
    e2e_call_send(c1, tb, n);
    cr_assert_gt(e2e_wait_hook("/ok/reg", is_registered, 30000), 0, "no 'registered' webhook");
    e2e_call_stop(c1);
    cr_expect_eq(rest("GET", "/api/v2/watchlists/live-wl/fraudsters/live-1", NULL, NULL), 200);

    /* REST: the same voice on another call, registered under another id: a duplicate. */
    char u2[37];
    e2e_uuid(u2);
    e2e_call *c2 = e2e_call_open(&G, (const char *const[]){"uuid", u2, NULL});
    e2e_call_send(c2, tb, n);
    char body[256];
    snprintf(body, sizeof body, "{\"fraudster_id\":\"live-2\",\"stream\":\"%s\"}", u2);
    cr_assert_eq(rest("POST", "/api/v2/watchlists/live-wl/fraudsters", body, NULL), 202);
    cr_expect_eq(rest("POST", "/api/v2/watchlists/live-wl/fraudsters",
                      "{\"fraudster_id\":\"live-3\",\"stream\":\"no-such-stream\"}", NULL), 404);
    cJSON *reg = NULL;
    for (int i = 0; i < 60 && registration_status(u2, NULL) == 202; i++)
        e2e_pump(500);
    cr_assert_eq(registration_status(u2, &reg), 409, "the duplicate was not detected");
    cr_expect_str_eq(jstr(reg, "matched_fraudster_id"), "live-1");
    cr_log_info("live duplicate matched live-1 at %.1f", jnum(reg, "score"));
    cJSON_Delete(reg);
    cr_expect_eq(rest("GET", "/api/v2/watchlists/live-wl/fraudsters/live-2", NULL, NULL), 404);
    e2e_call_stop(c2);
    e2e_pump(500);
    cr_expect_eq(e2e_validate_hooks(1), 0, "webhooks validate against schemas/webhook");
    free(tb);
}
