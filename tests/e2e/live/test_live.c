/* test_live.c -- live enrolment and verification end to end, with real processes:
 * the callprint server, redis-server, a Python webhook receiver, WebSocket calls carrying
 * real speech (tests/fixtures/bio: speaker A = speechocean762 0120, B = 1027; A's enrolment
 * utterances hold ~23 s of net speech, above the model's 20 s minimum).
 *
 * The gateway runs under the same sanitizers as the tests; e2e_gateway_stop() asserts it exits
 * with status 0, so a stream that did not release its jobs, voiceprints or worker state fails
 * here through LeakSanitizer.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "bio.h"
#include "e2e.h"
#include "twilio_sig.h"
#include "webhook_payload.h"

#define PASSWORD "live-test-password-1"
#define ZSECRET "zero-integration-secret-0123456789"

static const char *const ENROL_A[] = {
    "fixtures/bio/speechocean762_0120/enroll/001200015.wav",
    "fixtures/bio/speechocean762_0120/enroll/001200016.wav",
    "fixtures/bio/speechocean762_0120/enroll/001200050.wav",
    "fixtures/bio/speechocean762_0120/enroll/001200081.wav",
    "fixtures/bio/speechocean762_0120/enroll/001200098.wav",
    "fixtures/bio/speechocean762_0120/enroll/001200103.wav",
    "fixtures/bio/speechocean762_0120/enroll/001200114.wav",
    "fixtures/bio/speechocean762_0120/enroll/001200121.wav",
    "fixtures/bio/speechocean762_0120/enroll/001200126.wav",
    "fixtures/bio/speechocean762_0120/enroll/001200145.wav",
    "fixtures/bio/speechocean762_0120/enroll/001200146.wav",
    "fixtures/bio/speechocean762_0120/enroll/001200159.wav",
    "fixtures/bio/speechocean762_0120/enroll/001200161.wav",
    NULL};
static const char *const TEST_A[] = {"fixtures/bio/speechocean762_0120/test/001200209.wav",
                                     "fixtures/bio/speechocean762_0120/test/001200210.wav",
                                     "fixtures/bio/speechocean762_0120/test/001200306.wav",
                                     NULL};
static const char *const TEST_B[] = {"fixtures/bio/speechocean762_1027/test/010270354.wav",
                                     "fixtures/bio/speechocean762_1027/test/010270356.wav",
                                     "fixtures/bio/speechocean762_1027/test/010270366.wav",
                                     NULL};

static e2e_proc G;
static char TOKEN[128];

static void setup(void) { e2e_setup(); }

static void teardown(void)
{
    if (G.pid)
        e2e_stop(&G);
    TOKEN[0] = '\0';
    e2e_teardown();
}

TestSuite(live, .init = setup, .fini = teardown, .timeout = 150);

static void start(const char *const *extra)
{
    const char *env[32] = {"CALLPRINT_ADMIN_PASSWORD", PASSWORD, "CALLPRINT_WEBHOOK_SECRET",
                           ZSECRET};
    size_t k = 4;
    for (size_t i = 0; extra && extra[i] && k < 30; i++)
        env[k++] = extra[i];
    env[k] = NULL;
    e2e_gateway_start(&G, env);
    if (!extra || !extra[0] || strcmp(extra[0], "CALLPRINT_MODEL") != 0)
        cr_assert(e2e_login(G.port, PASSWORD, TOKEN, sizeof TOKEN));
}

static void stop_gateway(void)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int rc = e2e_stop(&G);
    clock_gettime(CLOCK_MONOTONIC, &b);
    cr_log_info("gateway stopped in %.2f s", (double)(b.tv_sec - a.tv_sec) +
                                                 (double)(b.tv_nsec - a.tv_nsec) / 1e9);
    cr_expect_eq(rc, 0, "the gateway exits cleanly (sanitizers: see %s)", G.log);
}

/* ---- small JSON helpers ---- */

static const char *jstr(const cJSON *o, const char *path)
{
    const cJSON *p = cJSON_GetObjectItem(o, "payload");
    const cJSON *v = cJSON_GetObjectItem(o, path);
    if (!v && p)
        v = cJSON_GetObjectItem(p, path);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double jnum(const cJSON *o, const char *path)
{
    const cJSON *p = cJSON_GetObjectItem(o, "payload");
    const cJSON *v = cJSON_GetObjectItem(o, path);
    if (!v && p)
        v = cJSON_GetObjectItem(p, path);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static bool is_created(const cJSON *b) { return jnum(b, "status") == 201; }
static bool is_exists(const cJSON *b) { return jnum(b, "status") == 409; }
static bool is_verdict(const cJSON *b) { return jnum(b, "status") == 200; }
static bool is_added(const cJSON *b) { return strcmp(jstr(b, "action"), "added") == 0; }
static bool is_removed(const cJSON *b) { return strcmp(jstr(b, "action"), "removed") == 0; }

/* POST {"external_id": ext} to /api/v2/stream/<id>/<what>. */
static long job(const char *id, const char *what, const char *ext, cJSON **out)
{
    char path[512], body[512];
    snprintf(path, sizeof path, "/api/v2/stream/%s/%s", id, what);
    snprintf(body, sizeof body, "{\"external_id\":\"%s\"}", ext);
    return e2e_http(G.port, "POST", path, TOKEN, body, out);
}

/* Every hook on prefix is signed with secret. Returns how many there are. */
static size_t expect_signed(const char *prefix, const char *secret)
{
    e2e_hook *h;
    size_t n = e2e_hooks(prefix, &h);
    for (size_t i = 0; i < n; i++)
        cr_expect(whp_signature_check(secret, h[i].body, strlen(h[i].body), h[i].sig,
                                      (long long)h[i].t, 5),
                  "%s: signature \"%s\" does not verify", h[i].path, h[i].sig);
    e2e_hooks_free(h, n);
    return n;
}

/* Deliveries on prefix within [from, to] (receiver clock): ~1 s apart. Returns the count. */
static size_t expect_cadence(const char *prefix, double from, double to)
{
    e2e_hook *h;
    size_t n = e2e_hooks(prefix, &h), k = 0;
    double prev = 0, worst = 0;
    for (size_t i = 0; i < n; i++) {
        if (h[i].t < from || h[i].t > to)
            continue;
        if (k++) {
            double gap = h[i].t - prev;
            if (fabs(gap - 1.0) > worst)
                worst = fabs(gap - 1.0);
            cr_expect(gap > 0.6 && gap < 1.4, "%s: deliveries %.3f s apart", prefix, gap);
        }
        prev = h[i].t;
    }
    cr_log_info("%s: %zu deliveries in %.1f s, worst deviation from 1 s: %.3f s", prefix, k,
                to - from, worst);
    e2e_hooks_free(h, n);
    return k;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Receiver time of the first hook on prefix satisfying pred (0 if none). */
static double first_hook_t(const char *prefix, bool (*pred)(const cJSON *))
{
    e2e_hook *h;
    size_t n = e2e_hooks(prefix, &h);
    double t = 0;
    for (size_t i = 0; i < n && !t; i++)
        if (h[i].json && pred(h[i].json))
            t = h[i].t;
    e2e_hooks_free(h, n);
    return t;
}

/* ---- zero-integration mode: enrol, verify A and B, cadence, dead receivers ---- */

/* A zero-integration call (TwiML parameters only): a new uuid into uuid (37 bytes), ext in mode
 * ("enroll", "verify"), its webhooks to the receiver's path. */
static e2e_call *zero_call(char *uuid, const char *ext, const char *mode, const char *path)
{
    char hook[256];
    e2e_uuid(uuid);
    snprintf(hook, sizeof hook, "%s%s", e2e_receiver_url(), path);
    return e2e_call_open(&G, (const char *const[]){"uuid", uuid, "external_id", ext, "mode", mode,
                                                  "webhook", hook, NULL});
}

Test(live, zero_integration_enrol_then_verify_a_and_b)
{
    start(NULL);
    char ext[64], uuid[37];
    e2e_id("cust-a", ext, sizeof ext);
    size_t n_enrol, n_a, n_b;
    int16_t *enrol = e2e_audio(ENROL_A, &n_enrol);
    int16_t *ta = e2e_audio(TEST_A, &n_a);
    int16_t *tb = e2e_audio(TEST_B, &n_b);

    /* 1. Enrol A with TwiML parameters only: no REST call. */
    e2e_call *c = zero_call(uuid, ext, "enroll", "/ok/z-enrol");
    double t_sent = wall_now();
    e2e_call_send(c, enrol, n_enrol);
    cr_assert_gt(e2e_wait_hook("/ok/z-enrol", is_created, 20000), 0, "no 'created' webhook");
    cr_log_info("enrolment: 'created' webhook %.2f s after the first audio (%.1f s of it sent "
                "at once; 1 s tick)", first_hook_t("/ok/z-enrol", is_created) - t_sent,
                (double)n_enrol / 8000);
    cr_expect(e2e_voiceprint_exists(ext), "the voiceprint reported created is in Redis");
    e2e_hook *h;
    size_t n = e2e_hooks("/ok/z-enrol", &h);
    for (size_t i = 0; i < n; i++) {
        cr_expect_str_eq(jstr(h[i].json, "type"), "enroll");
        cr_expect_str_eq(jstr(h[i].json, "channel_uuid"), uuid);
        cr_expect_str_eq(jstr(h[i].json, "stream_uuid"), uuid);
        cr_expect_str_eq(jstr(h[i].json, "external_id"), ext);
        if (is_created(h[i].json)) {
            cr_expect_str_eq(jstr(h[i].json, "detail"), "enrollment created successfully");
            cr_expect_geq(jnum(h[i].json, "speech_length"), 20.0);
        }
    }
    e2e_hooks_free(h, n);
    expect_signed("/ok/z-enrol", ZSECRET);
    e2e_call_stop(c);
    /* The stream ended: its jobs are gone. */
    cJSON *o = NULL;
    cr_expect_eq(job(uuid, "verify", ext, &o), 404);
    cJSON_Delete(o);

    /* 2. Verify A (other utterances) and B against A, at once, on two calls. */
    char ua[37], ub[37], ha[256], hb[256];
    e2e_uuid(ua);
    e2e_uuid(ub);
    snprintf(ha, sizeof ha, "%s/ok/z-verA", e2e_receiver_url());
    snprintf(hb, sizeof hb, "%s/ok/z-verB", e2e_receiver_url());
    double t_verify = 0;
    e2e_call *ca = e2e_call_open(&G, (const char *const[]){"uuid", ua, "external_id", ext, "mode",
                                                         "verify", "webhook", ha, NULL});
    e2e_call *cb = e2e_call_open(&G, (const char *const[]){"uuid", ub, "external_id", ext, "mode",
                                                         "verify", "webhook", hb, NULL});
    t_verify = wall_now();
    e2e_call_send(ca, ta, n_a);
    e2e_call_send(cb, tb, n_b);
    cr_assert_gt(e2e_wait_hook("/ok/z-verA", is_verdict, 10000), 0, "no verdict for A");
    cr_assert_gt(e2e_wait_hook("/ok/z-verB", is_verdict, 10000), 0, "no verdict for B");
    cr_log_info("verification: first verdict webhooks %.2f s (A) / %.2f s (B) after the first "
                "audio",
                first_hook_t("/ok/z-verA", is_verdict) - t_verify,
                first_hook_t("/ok/z-verB", is_verdict) - t_verify);

    /* Polling agrees (A named by streamSid, B by uuid). */
    cJSON *ra = NULL, *rb = NULL;
    cr_assert_eq(job(e2e_call_sid(ca), "verify", ext, &ra), 200);
    cr_assert_eq(job(ub, "verify", ext, &rb), 200);
    double sa = jnum(ra, "score"), sb = jnum(rb, "score");
    cr_log_info("A vs A: %.2f (%s), B vs A: %.2f (%s); speech %.2f / %.2f s", sa,
                jstr(ra, "result"), sb, jstr(rb, "result"), jnum(ra, "speech_length"),
                jnum(rb, "speech_length"));
    cr_expect_str_eq(jstr(ra, "stream_uuid"), ua);
    cr_expect_gt(sa, sb, "the same speaker scores higher");
    cr_expect_str_neq(jstr(rb, "result"), "verified", "the impostor is not verified");
    cr_expect_str_eq(jstr(ra, "result"), "verified");
    cr_expect_geq(jnum(ra, "speech_length"), 3.0);
    cJSON_Delete(ra);
    cJSON_Delete(rb);

    /* 3. A REST subscription with our own secret on A, and two dead receivers on B: a
     * receiver that hangs (answers after 30 s) and a port nobody listens on. */
    char body[1024];
    snprintf(body, sizeof body,
             "{\"channel_uuid\":\"%s\",\"webhook\":\"%s/ok/sub-verA\",\"type\":\"verify\","
             "\"info\":{\"external_id\":\"%s\"},\"secret\":\"subscriber-secret-0123\"}",
             ua, e2e_receiver_url(), ext);
    cr_assert_eq(e2e_http(G.port, "POST", "/api/v2/subscription", TOKEN, body, &o), 201);
    cr_expect_null(cJSON_GetObjectItem(o, "secret"), "a given secret is not echoed");
    cJSON_Delete(o);
    snprintf(body, sizeof body,
             "{\"channel_uuid\":\"%s\",\"webhook\":\"%s/slow/30000/dead\",\"type\":\"verify\","
             "\"info\":{\"external_id\":\"%s\"}}",
             ub, e2e_receiver_url(), ext);
    cr_assert_eq(e2e_http(G.port, "POST", "/api/v2/subscription", TOKEN, body, NULL), 201);
    snprintf(body, sizeof body,
             "{\"channel_uuid\":\"%s\",\"webhook\":\"http://127.0.0.1:9/closed\","
             "\"type\":\"verify\",\"info\":{\"external_id\":\"%s\"}}",
             ub, ext);
    cr_assert_eq(e2e_http(G.port, "POST", "/api/v2/subscription", TOKEN, body, NULL), 201);

    /* 4. Five seconds of real-time audio on both calls: one webhook a second each. */
    e2e_hook *before;
    size_t nb = e2e_hooks("/ok/z-verB", &before);
    double speech_before = jnum(before[nb - 1].json, "speech_length");
    e2e_hooks_free(before, nb);
    double t0 = wall_now();
    size_t rt = 5 * 8000;
    cr_assert_geq(n_a, rt);
    cr_assert_geq(n_b, rt);
    e2e_calls_realtime((e2e_call *[]){ca, cb}, (const int16_t *const[]){ta, tb}, 2, rt);
    double t1 = wall_now();
    cr_expect_geq(expect_cadence("/ok/z-verA", t0 + 0.5, t1), 4);
    cr_expect_geq(expect_cadence("/ok/z-verB", t0 + 0.5, t1), 4);
    cr_expect_geq(expect_cadence("/ok/sub-verA", t0 + 0.5, t1), 4);
    nb = e2e_hooks("/ok/z-verB", &before);
    double speech_after = jnum(before[nb - 1].json, "speech_length");
    e2e_hooks_free(before, nb);
    cr_log_info("B's net speech %.2f -> %.2f s during the real-time window", speech_before,
                speech_after);
    cr_expect_gt(speech_after, speech_before + 1.0,
                 "audio is still processed while a receiver is dead");
    nb = e2e_hooks("/slow/30000/dead", &before);
    cr_expect_gt(nb, 0, "the hanging receiver was tried");
    e2e_hooks_free(before, nb);

    /* Signatures: zero-integration ones with the deployment secret, the subscription's own. */
    cr_expect_gt(expect_signed("/ok/z-verA", ZSECRET), 0);
    cr_expect_gt(expect_signed("/ok/z-verB", ZSECRET), 0);
    cr_expect_gt(expect_signed("/ok/sub-verA", "subscriber-secret-0123"), 0);

    /* 5. Hang up: the streams' jobs and subscriptions go with them. */
    e2e_call_stop(ca);
    e2e_call_stop(cb);
    cr_expect_eq(job(ua, "verify", ext, NULL), 404);
    cr_assert_eq(e2e_http(G.port, "GET", "/api/v2/subscription", TOKEN, NULL, &o), 200);
    cr_expect_eq(jnum(o, "count"), 0, "subscriptions of ended streams are removed");
    cJSON_Delete(o);

    cr_expect_eq(e2e_validate_hooks(10), 0, "webhook bodies match schemas/webhook");
    free(enrol);
    free(ta);
    free(tb);
    stop_gateway(); /* ~10 s: the shutdown flush waits for the dead receivers' queues */
}

/* ---- REST: enrol on a stream, "already exists", errors, subscriptions ---- */

static long post(const char *path, const char *body, cJSON **out)
{
    return e2e_http(G.port, "POST", path, TOKEN, body, out);
}

/* The 400 answer names the field. */
static void expect_400(const char *path, const char *body, const char *field)
{
    cJSON *o = NULL;
    long st = e2e_http(G.port, "POST", path, TOKEN, body, &o);
    cr_expect_eq(st, 400, "%s %s: %ld", path, body ? body : "(no body)", st);
    if (field)
        cr_expect(strstr(jstr(o, "error"), field), "%s: error \"%s\" names %s", body,
                  jstr(o, "error"), field);
    cJSON_Delete(o);
}

Test(live, rest_enrol_exists_errors_and_subscriptions)
{
    start(NULL);
    char ext[64], uuid[37], path[256], body[1024];
    e2e_id("cust-rest", ext, sizeof ext);
    size_t n_enrol;
    int16_t *enrol = e2e_audio(ENROL_A, &n_enrol);

    /* A streams subscription sees the call come and go. */
    char source[64];
    e2e_id("source", source, sizeof source);
    snprintf(body, sizeof body,
             "{\"channel_uuid\":\"%s\",\"webhook\":\"%s/ok/streams\",\"type\":\"streams\","
             "\"info\":{}}", source, e2e_receiver_url());
    cJSON *o = NULL;
    cr_assert_eq(post("/api/v2/subscription", body, &o), 201);
    char secret[80], sub_id[40];
    snprintf(secret, sizeof secret, "%s", jstr(o, "secret"));
    snprintf(sub_id, sizeof sub_id, "%s", jstr(o, "id"));
    cr_expect_eq(strlen(secret), 64, "a generated secret: 32 random bytes in hex");
    cJSON_Delete(o);
    cr_expect_eq(post("/api/v2/subscription", body, &o), 409, "duplicate");
    cr_expect_str_eq(jstr(o, "id"), sub_id);
    cJSON_Delete(o);

    e2e_uuid(uuid);
    e2e_call *c = e2e_call_open(&G, (const char *const[]){"uuid", uuid, "source_uuid", source,
                                                        NULL});
    cr_assert_gt(e2e_wait_hook("/ok/streams", is_added, 5000), 0, "no 'added' webhook");
    e2e_call_send(c, enrol, n_enrol);

    /* Enrol by REST (stream named by streamSid): the deferred answer is "created". */
    snprintf(path, sizeof path, "/api/v2/stream/%s/enroll", e2e_call_sid(c));
    snprintf(body, sizeof body, "{\"external_id\":\"%s\"}", ext);
    double t_poll = wall_now();
    cr_assert_eq(post(path, body, &o), 200);
    cr_log_info("REST enrol: deferred answer 'created' in %.3f s (existence check, worker, "
                "Redis write)", wall_now() - t_poll);
    cr_expect_str_eq(jstr(o, "detail"), "created");
    cr_expect_str_eq(jstr(o, "stream_uuid"), uuid);
    cr_expect_eq(jnum(o, "status"), 201);
    cr_expect_geq(jnum(o, "speech_length"), 20.0);
    cr_expect(e2e_voiceprint_exists(ext));
    cJSON_Delete(o);
    cr_assert_eq(post(path, body, &o), 200);
    cr_expect_str_eq(jstr(o, "detail"), "created", "the job stays done");
    cJSON_Delete(o);

    /* Polling verification: unknown voiceprint, then bad input. */
    char nobody[64];
    e2e_id("nobody", nobody, sizeof nobody);
    cr_expect_eq(job(uuid, "verify", nobody, &o), 404);
    cr_expect_str_eq(jstr(o, "result"), "voiceprint with external_id does not exist");
    cJSON_Delete(o);
    char other[37];
    e2e_uuid(other);
    cr_expect_eq(job(other, "verify", ext, &o), 404, "unknown stream");
    cr_expect_str_eq(jstr(o, "error"), "stream not found");
    cJSON_Delete(o);
    snprintf(path, sizeof path, "/api/v2/stream/%s/verify", uuid);
    expect_400(path, NULL, NULL);
    expect_400(path, "{not json", NULL);
    expect_400(path, "{}", "external_id");
    expect_400(path, "{\"external_id\":5}", "external_id");
    char longid[300];
    memset(longid, 'x', 257);
    longid[257] = '\0';
    char big[400];
    snprintf(big, sizeof big, "{\"external_id\":\"%s\"}", longid);
    expect_400(path, big, "external_id");
    expect_400(path, "{\"external_id\":\"a\\nb\"}", "external_id");
    cr_expect_eq(e2e_http(G.port, "POST", path, NULL, "{\"external_id\":\"x\"}", NULL), 401);
    snprintf(path, sizeof path, "/api/v2/stream/%s/dance", uuid);
    cr_expect_eq(post(path, "{\"external_id\":\"x\"}", NULL), 404);

    /* Subscription bodies. */
    const char *sp = "/api/v2/subscription";
    snprintf(body, sizeof body, "{\"channel_uuid\":\"%s\",\"webhook\":\"http://x/y\","
             "\"type\":\"nope\",\"info\":{}}", uuid);
    expect_400(sp, body, "type");
    const char *bad_urls[] = {"ftp://example.com/x", "http://", "not a url", "file:///etc/passwd",
                              "http://user:pw@example.com/"};
    for (size_t i = 0; i < sizeof bad_urls / sizeof *bad_urls; i++) {
        snprintf(body, sizeof body, "{\"channel_uuid\":\"%s\",\"webhook\":\"%s\","
                 "\"type\":\"streams\",\"info\":{}}", uuid, bad_urls[i]);
        expect_400(sp, body, "webhook");
    }
    snprintf(body, sizeof body, "{\"channel_uuid\":\"%s\",\"webhook\":\"http://x/y\","
             "\"type\":\"enroll\",\"info\":{}}", uuid);
    expect_400(sp, body, "info.external_id");
    snprintf(body, sizeof body, "{\"channel_uuid\":\"%s\",\"webhook\":\"http://x/y\","
             "\"type\":\"verify\",\"info\":{\"external_id\":\"%s\"},\"secret\":\"short\"}",
             uuid, ext);
    expect_400(sp, body, "secret");
    snprintf(body, sizeof body, "{\"channel_uuid\":\"%s\",\"webhook\":\"http://x/y\","
             "\"type\":\"verify\",\"info\":{\"external_id\":\"%s\"}}", other, ext);
    cr_expect_eq(post(sp, body, NULL), 404, "enroll/verify need a live stream");

    /* 2nd enrolment of the same id on another call: "already exists", by REST and by a
     * subscription whose generated secret signs its webhooks. */
    char uuid2[37];
    e2e_uuid(uuid2);
    e2e_call *c2 = e2e_call_open(&G, (const char *const[]){"uuid", uuid2, NULL});
    e2e_call_send(c2, enrol, 8000);
    cr_assert_eq(job(uuid2, "enroll", ext, &o), 200);
    cr_expect_str_eq(jstr(o, "detail"), "already exists");
    cr_expect_eq(jnum(o, "status"), 409);
    cJSON_Delete(o);
    snprintf(body, sizeof body, "{\"channel_uuid\":\"%s\",\"webhook\":\"%s/ok/sub-enrol\","
             "\"type\":\"enroll\",\"info\":{\"external_id\":\"%s\"}}", uuid2, e2e_receiver_url(),
             ext);
    cr_assert_eq(post(sp, body, &o), 201);
    char secret2[80];
    snprintf(secret2, sizeof secret2, "%s", jstr(o, "secret"));
    cJSON_Delete(o);
    cr_assert_gt(e2e_wait_hook("/ok/sub-enrol", is_exists, 5000), 0);
    cr_expect_gt(expect_signed("/ok/sub-enrol", secret2), 0);

    /* Listing never shows secrets; delete by body and by id. */
    cr_assert_eq(e2e_http(G.port, "GET", sp, TOKEN, NULL, &o), 200);
    cr_expect_eq(jnum(o, "count"), 2);
    char *text = cJSON_PrintUnformatted(o);
    cr_expect_null(strstr(text, secret), "no secret in the listing");
    cr_expect_null(strstr(text, secret2));
    free(text);
    cJSON_Delete(o);
    cr_expect_eq(e2e_http(G.port, "DELETE", sp, TOKEN, body, &o), 200);
    cr_expect_eq(jnum(o, "deleted"), 1);
    cJSON_Delete(o);
    cr_expect_eq(e2e_http(G.port, "DELETE", sp, TOKEN, body, NULL), 404);

    e2e_call_stop(c2);
    e2e_call_stop(c);
    cr_assert_gt(e2e_wait_hook("/ok/streams", is_removed, 5000), 0, "no 'removed' webhook");
    e2e_hook *h;
    size_t n = e2e_hooks("/ok/streams", &h);
    cr_expect_eq(n, 2, "added + removed");
    for (size_t i = 0; i < n; i++) {
        cr_expect_str_eq(jstr(h[i].json, "channel_uuid"), source);
        cr_expect_str_eq(jstr(h[i].json, "stream_uuid"), uuid);
        cr_expect_eq(jnum(h[i].json, "status"), is_added(h[i].json) ? 201 : 204);
    }
    e2e_hooks_free(h, n);
    expect_signed("/ok/streams", secret);
    snprintf(path, sizeof path, "%s/%s", sp, sub_id);
    cr_expect_eq(e2e_http(G.port, "DELETE", path, TOKEN, NULL, NULL), 200);
    cr_expect_eq(e2e_http(G.port, "DELETE", path, TOKEN, NULL, NULL), 404);
    cr_expect_eq(job(uuid, "enroll", ext, NULL), 404, "the stream ended");
    cr_expect_eq(e2e_validate_hooks(3), 0);
    free(enrol);
    stop_gateway();
}

/* ---- without a model: streams are accepted, jobs answer 503 ---- */

Test(live, without_model_streams_work_and_jobs_are_unavailable)
{
    start((const char *const[]){"CALLPRINT_MODEL", "/nonexistent/model", NULL});
    cr_assert(e2e_login(G.port, PASSWORD, TOKEN, sizeof TOKEN));
    char uuid[37], source[64], body[512], hook[256];
    e2e_id("src", source, sizeof source);
    snprintf(body, sizeof body, "{\"channel_uuid\":\"%s\",\"webhook\":\"%s/ok/nm-streams\","
             "\"type\":\"streams\"}", source, e2e_receiver_url());
    cr_assert_eq(post("/api/v2/subscription", body, NULL), 201);
    e2e_uuid(uuid);
    snprintf(hook, sizeof hook, "%s/ok/nm-verify", e2e_receiver_url());
    /* Zero-integration parameters are ignored (logged), the call goes on. */
    e2e_call *c = e2e_call_open(&G, (const char *const[]){"uuid", uuid, "source_uuid", source,
                                                        "external_id", "x", "mode", "verify",
                                                        "webhook", hook, NULL});
    cr_assert_gt(e2e_wait_hook("/ok/nm-streams", is_added, 5000), 0);
    cJSON *o = NULL;
    cr_expect_eq(job(uuid, "verify", "x", &o), 503);
    cr_expect_str_eq(jstr(o, "error"), "biometrics unavailable");
    cJSON_Delete(o);
    snprintf(body, sizeof body, "{\"channel_uuid\":\"%s\",\"webhook\":\"%s/ok/x\","
             "\"type\":\"verify\",\"info\":{\"external_id\":\"x\"}}", uuid, e2e_receiver_url());
    cr_expect_eq(post("/api/v2/subscription", body, NULL), 503);
    e2e_pump(1500);
    e2e_call_stop(c);
    cr_assert_gt(e2e_wait_hook("/ok/nm-streams", is_removed, 5000), 0);
    e2e_hook *h;
    size_t n = e2e_hooks("/ok/nm-verify", &h);
    cr_expect_eq(n, 0, "no job, no implicit subscription");
    e2e_hooks_free(h, n);
    stop_gateway();
}

/* ---- the tick is spread: each stream ticks in the phase of its own start ---- */

static bool is_no_voiceprint(const cJSON *b) { return jnum(b, "status") == 404; }

/* Two verify calls opened half a second apart (an unknown voiceprint: a 404 webhook every
 * tick, no scoring): each gets one webhook a second, and B's come about half a second after
 * A's -- not at the same instant, as one global tick would send them. */
Test(live, ticks_follow_each_stream_start)
{
    start(NULL);
    char ext[64], ua[37], ub[37], ha[256], hb[256];
    e2e_id("nobody", ext, sizeof ext);
    e2e_uuid(ua);
    e2e_uuid(ub);
    snprintf(ha, sizeof ha, "%s/ok/ph-A", e2e_receiver_url());
    snprintf(hb, sizeof hb, "%s/ok/ph-B", e2e_receiver_url());
    static int16_t silence[6 * 8000];
    e2e_call *ca = e2e_call_open(&G, (const char *const[]){"uuid", ua, "external_id", ext, "mode",
                                                         "verify", "webhook", ha, NULL});
    e2e_calls_realtime((e2e_call *[]){ca}, (const int16_t *const[]){silence}, 1, 4000);
    e2e_call *cb = e2e_call_open(&G, (const char *const[]){"uuid", ub, "external_id", ext, "mode",
                                                         "verify", "webhook", hb, NULL});
    double t0 = wall_now();
    e2e_calls_realtime((e2e_call *[]){ca, cb}, (const int16_t *const[]){silence, silence}, 2,
                      4 * 8000);
    double t1 = wall_now();
    cr_expect_geq(expect_cadence("/ok/ph-A", t0, t1), 2);
    cr_expect_geq(expect_cadence("/ok/ph-B", t0, t1), 2);
    e2e_hook *a, *b;
    size_t na = e2e_hooks("/ok/ph-A", &a), nb = e2e_hooks("/ok/ph-B", &b);
    cr_assert_geq(na, 3);
    cr_assert_geq(nb, 3);
    cr_expect(is_no_voiceprint(b[0].json), "status %.0f", jnum(b[0].json, "status"));
    for (size_t i = 0; i < nb; i++) {
        double lag = 1.0; /* B's delivery after the latest A delivery before it */
        for (size_t k = 0; k < na; k++)
            if (a[k].t <= b[i].t && b[i].t - a[k].t < lag)
                lag = b[i].t - a[k].t;
        cr_log_info("B's webhook %zu: %.3f s after A's", i, lag);
        cr_expect(lag > 0.25 && lag < 0.75, "B's ticks %.3f s after A's (streams opened 0.5 s "
                  "apart)", lag);
    }
    e2e_hooks_free(a, na);
    e2e_hooks_free(b, nb);
    e2e_call_stop(ca);
    e2e_call_stop(cb);
    stop_gateway();
}

/* ---- stream end: one final answer per job; a polling storm shares in-flight work ---- */

static size_t count_hooks(const char *prefix, bool (*pred)(const cJSON *))
{
    e2e_hook *h;
    size_t n = e2e_hooks(prefix, &h), k = 0;
    for (size_t i = 0; i < n; i++)
        k += !pred || (h[i].json && pred(h[i].json));
    e2e_hooks_free(h, n);
    return k;
}

/* Net speech the engine finds in TEST_A: a final verdict over all of it reports this. */
static double net_speech_a(void)
{
    size_t n;
    char model[1024];
    int16_t *ta = e2e_audio(TEST_A, &n);
    bio_model *m = bio_model_load(e2e_src("biometrics/models/callprint.model", model, sizeof model),
                                  NULL, 0);
    cr_assert_not_null(m);
    bio_stream *s = bio_stream_new(m);
    for (size_t k = 0; k < n; k += 160) bio_stream_feed(s, ta + k, n - k < 160 ? n - k : 160);
    double sec = bio_stream_speech_seconds(s);
    bio_stream_free(s);
    bio_model_free(m);
    free(ta);
    return sec;
}

Test(live, final_answers_at_stream_end_and_polling_storm)
{
    /* No tick during the test: every webhook below is a stream's final answer. */
    start((const char *const[]){"CALLPRINT_VERIFY_INTERVAL_MS", "60000", NULL});
    char ext[64], uuid[37], path[256], body[256];
    e2e_id("cust-final", ext, sizeof ext);
    size_t n_enrol, n_a;
    int16_t *enrol = e2e_audio(ENROL_A, &n_enrol);
    int16_t *ta = e2e_audio(TEST_A, &n_a);

    /* The caller hangs up right after the audio: the enrolment still completes. */
    e2e_call *c = zero_call(uuid, ext, "enroll", "/ok/final-enrol");
    e2e_call_send(c, enrol, n_enrol);
    cr_expect_eq(count_hooks("/ok/final-enrol", NULL), 0, "no tick, no webhook yet");
    e2e_call_stop(c);
    cr_assert_gt(e2e_wait_hook("/ok/final-enrol", is_created, 10000), 0,
                 "the final answer after the hang-up creates the voiceprint");
    cr_expect(e2e_voiceprint_exists(ext));
    e2e_pump(300);
    cr_expect_eq(count_hooks("/ok/final-enrol", NULL), 1, "one final webhook");

    /* Verification: polls while the call runs, and a final verdict after it. */
    c = zero_call(uuid, ext, "verify", "/ok/final-verify");
    e2e_call_send(c, ta, n_a);
    cJSON *o = NULL;
    cr_assert_eq(job(uuid, "verify", ext, &o), 200);
    cr_expect_str_eq(jstr(o, "result"), "verified");
    cJSON_Delete(o);
    e2e_pump(300); /* the worker has every audio block: only verifications count from here */

    double jobs0 = e2e_metric(G.port, "callprint_worker_jobs_total");
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    snprintf(path, sizeof path, "/api/v2/stream/%s/verify", uuid);
    snprintf(body, sizeof body, "{\"external_id\":\"%s\"}", ext);
    double slowest;
    int ok = e2e_http_storm(G.port, path, TOKEN, body, 200, 200, &slowest);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    double jobs = e2e_metric(G.port, "callprint_worker_jobs_total") - jobs0;
    cr_log_info("200 concurrent polls in %.2f s (slowest %.3f s) cost %.0f worker jobs", secs,
                slowest, jobs);
    cr_expect_eq(ok, 200, "every poll answered 200");
    /* At most one verification per LIVE_POLL_FRESH_MS (250 ms), whatever the poll rate. */
    cr_expect_leq(jobs, 4.0 * secs + 2.0, "polls share the in-flight verification");

    e2e_call_stop(c);
    cr_assert_gt(e2e_wait_hook("/ok/final-verify", is_verdict, 10000), 0, "final verdict");
    e2e_hook *h;
    size_t n = e2e_hooks("/ok/final-verify", &h);
    cr_expect_eq(n, 1);
    cr_expect_str_eq(jstr(h[0].json, "result"), "verified");
    cr_expect_float_eq(jnum(h[0].json, "speech_length"), net_speech_a(), 0.3, "all the audio");
    e2e_hooks_free(h, n);
    expect_signed("/ok/final-verify", ZSECRET);
    cr_expect_eq(job(uuid, "verify", ext, NULL), 404, "gone for the API at once");
    cr_assert_eq(e2e_http(G.port, "GET", "/api/v2/subscription", TOKEN, NULL, &o), 200);
    cr_expect_eq(jnum(o, "count"), 0, "implicit subscriptions released");
    cJSON_Delete(o);
    cr_expect_eq(e2e_validate_hooks(2), 0);
    free(enrol);
    free(ta);
    stop_gateway();
}

/* ---- Redis down: verdicts go on from the cached voiceprint; "created" waits for the ack ---- */

static bool is_pending(const cJSON *b) { return jnum(b, "status") == 202; }

Test(live, redis_down_verdicts_go_on_and_created_waits_for_the_ack)
{
    e2e_use_own_redis();
    start(NULL);
    char ext[64], ext2[64], u0[37], uv[37], u1[37], hook[256], body[1024];
    e2e_id("cust-down", ext, sizeof ext);
    e2e_id("cust-late", ext2, sizeof ext2);
    size_t n_enrol, n_a;
    int16_t *enrol = e2e_audio(ENROL_A, &n_enrol);
    int16_t *ta = e2e_audio(TEST_A, &n_a);

    e2e_uuid(u0);
    e2e_call *c0 = e2e_call_open(&G, (const char *const[]){"uuid", u0, NULL});
    e2e_call_send(c0, enrol, n_enrol);
    cJSON *o = NULL;
    cr_assert_eq(job(u0, "enroll", ext, &o), 200);
    cr_assert_str_eq(jstr(o, "detail"), "created");
    cJSON_Delete(o);
    e2e_call_stop(c0);

    /* A verification running, and a call ready to enrol, before Redis dies. */
    e2e_uuid(uv);
    snprintf(hook, sizeof hook, "%s/ok/down-verify", e2e_receiver_url());
    e2e_call *cv = e2e_call_open(&G, (const char *const[]){"uuid", uv, "external_id", ext, "mode",
                                                         "verify", "webhook", hook, NULL});
    e2e_call_send(cv, ta, n_a);
    cr_assert_gt(e2e_wait_hook("/ok/down-verify", is_verdict, 10000), 0);
    e2e_uuid(u1);
    e2e_call *c1 = e2e_call_open(&G, (const char *const[]){"uuid", u1, NULL});
    e2e_call_send(c1, enrol, n_enrol);

    e2e_redis_kill();
    e2e_pump(200);
    size_t before = e2e_wait_hook("/ok/down-verify", NULL, 100);
    snprintf(body, sizeof body, "{\"channel_uuid\":\"%s\",\"webhook\":\"%s/ok/down-enrol\","
             "\"type\":\"enroll\",\"info\":{\"external_id\":\"%s\"}}", u1, e2e_receiver_url(),
             ext2);
    cr_assert_eq(post("/api/v2/subscription", body, NULL), 201);
    e2e_pump(3500);

    /* Verdicts went on from the cached voiceprint. */
    e2e_hook *h;
    size_t n = e2e_hooks("/ok/down-verify", &h), verdicts = 0;
    for (size_t i = before; i < n; i++)
        verdicts += is_verdict(h[i].json);
    e2e_hooks_free(h, n);
    cr_expect_geq(verdicts, 2, "verdicts while Redis is down: %zu", verdicts);
    /* The enrolment is written but not acknowledged: never "created" yet. */
    n = e2e_hooks("/ok/down-enrol", &h);
    cr_expect_geq(n, 2);
    for (size_t i = 0; i < n; i++)
        cr_expect(is_pending(h[i].json), "status %.0f before the ack", jnum(h[i].json, "status"));
    e2e_hooks_free(h, n);

    e2e_redis_restart();
    cr_expect_gt(e2e_wait_hook("/ok/down-enrol", is_created, 15000), 0,
                 "'created' once Redis acknowledged the write");
    cr_expect(e2e_voiceprint_exists(ext2), "and it is in Redis");
    e2e_call_stop(c1);
    e2e_call_stop(cv);
    free(enrol);
    free(ta);
    stop_gateway();
}

/* ---- a uuid reused while its old stream still waits for its final answer ---- */

Test(live, uuid_of_an_ending_stream_is_refused_until_its_final_answer_is_out)
{
    e2e_use_own_redis();
    /* No tick: the only enrol webhook is the old stream's final answer. */
    start((const char *const[]){"CALLPRINT_VERIFY_INTERVAL_MS", "60000", NULL});
    char ext[64], uuid[37], old_hook[256], new_hook[256];
    e2e_id("cust-reuse", ext, sizeof ext);
    e2e_uuid(uuid);
    snprintf(old_hook, sizeof old_hook, "%s/ok/reuse-old", e2e_receiver_url());
    snprintf(new_hook, sizeof new_hook, "%s/ok/reuse-new", e2e_receiver_url());
    size_t n_enrol;
    int16_t *enrol = e2e_audio(ENROL_A, &n_enrol);
    const char *const old_params[] = {"uuid", uuid, "external_id", ext, "mode", "enroll",
                                      "webhook", old_hook, NULL};
    const char *const new_params[] = {"uuid", uuid, "external_id", ext, "mode", "enroll",
                                      "webhook", new_hook, NULL};
    e2e_call *c = e2e_call_open(&G, old_params);
    e2e_call_send(c, enrol, n_enrol);
    e2e_pump(500); /* the existence check is answered */

    /* Redis stops answering: the old stream's final enrolment write stays in flight. */
    e2e_redis_signal(SIGSTOP);
    e2e_call_stop(c);
    e2e_pump(300);
    e2e_call *again = e2e_call_open(&G, new_params);
    int code = e2e_call_wait_closed(again, 2000);
    cr_expect_eq(code, 4409, "the uuid of a stream still ending is refused (close %d)", code);
    e2e_call_stop(again);
    e2e_redis_signal(SIGCONT);

    cr_assert_gt(e2e_wait_hook("/ok/reuse-old", is_created, 10000), 0,
                 "the old stream's final answer reaches its own subscriber");
    e2e_pump(300);
    /* Released: the uuid is free again, and the new stream keeps its subscription. */
    e2e_call *fresh = e2e_call_open(&G, new_params);
    cr_expect_eq(e2e_call_wait_closed(fresh, 500), -1, "accepted once the old stream is gone");
    cJSON *o = NULL;
    cr_assert_eq(e2e_http(G.port, "GET", "/api/v2/subscription", TOKEN, NULL, &o), 200);
    cr_expect_eq(jnum(o, "count"), 1, "the new stream's implicit subscription is there");
    cJSON_Delete(o);
    cr_expect_eq(count_hooks("/ok/reuse-new", NULL), 0,
                 "no answer of the old stream reached the new stream's subscriber");
    cr_expect_eq(count_hooks("/ok/reuse-old", NULL), 1, "one final answer, to the old one");
    e2e_call_stop(fresh);
    free(enrol);
    stop_gateway();
}

/* ---- secure defaults: the generated webhook secret, enrolment only on authenticated streams ---- */

static bool is_any(const cJSON *b) { (void)b; return true; }

/* The secret from GET /api/v2/admin/webhook-secret into out; asserts it is the generated one. */
static void api_webhook_secret(char *out, size_t cap, char *fp, size_t fpcap)
{
    cJSON *o = NULL;
    cr_assert_eq(e2e_http(G.port, "GET", "/api/v2/admin/webhook-secret", TOKEN, NULL, &o), 200);
    cr_assert_str_eq(jstr(o, "source"), "generated");
    snprintf(out, cap, "%s", jstr(o, "webhook_secret"));
    snprintf(fp, fpcap, "%s", jstr(o, "fingerprint"));
    cJSON_Delete(o);
    cr_assert_eq(strlen(out), 64, "32 random bytes in hex: \"%s\"", out);
}

Test(live, without_a_configured_secret_webhooks_are_signed_with_a_generated_one)
{
    const char *const no_secret[] = {"CALLPRINT_WEBHOOK_SECRET", "", NULL};
    start(no_secret);
    for (int i = 0; i < 100 && !e2e_log_has(&G, "webhook secret generated"); i++)
        e2e_pump(50);
    cr_assert(e2e_log_has(&G, "webhook secret generated and stored in Redis"));
    char secret[80], fp[40], line[96];
    api_webhook_secret(secret, sizeof secret, fp, sizeof fp);
    snprintf(line, sizeof line, "\"fingerprint\":\"%s\"", fp);
    cr_expect(e2e_log_has(&G, line), "the start-up line shows the fingerprint %s", fp);
    cr_expect(!e2e_log_has(&G, secret), "the secret itself is never logged");

    /* A zero-integration verification: every webhook is signed with it. */
    char ext[64], uuid[37];
    e2e_id("cust-gen", ext, sizeof ext);
    e2e_call *c = zero_call(uuid, ext, "verify", "/ok/generated");
    cr_assert_gt(e2e_wait_hook("/ok/generated", is_any, 10000), 0);
    e2e_call_stop(c);
    cr_expect_gt(expect_signed("/ok/generated", secret), 0);

    /* `callprint --check-config` shows it to the operator; a restart keeps it. */
    char bin[512], out[600];
    e2e_bin("callprint", bin, sizeof bin);
    char url_env[600], prefix_env[300];
    snprintf(url_env, sizeof url_env, "CALLPRINT_REDIS_URL=%s", e2e_redis_url());
    snprintf(prefix_env, sizeof prefix_env, "CALLPRINT_REDIS_PREFIX=%s", e2e_redis_prefix());
    const char *env[] = {url_env, prefix_env, NULL};
    char *argv[] = {bin, "--check-config", NULL};
    e2e_proc p;
    snprintf(out, sizeof out, "%s.check", G.log);
    cr_assert_eq(e2e_spawn(&p, argv, env, out), 0);
    cr_expect_eq(e2e_wait(&p, 20000), 0);
    cr_expect(e2e_file_has(out, secret), "--check-config prints the generated secret");
    stop_gateway();
    start(no_secret);
    for (int i = 0; i < 100 && !e2e_log_has(&G, "webhook secret loaded from Redis"); i++)
        e2e_pump(50);
    cr_expect(e2e_log_has(&G, line), "the same secret after a restart");
    stop_gateway();
}

#define CALL_TOKEN_SECRET "call-token-secret-for-the-test-0123"

/* A Twilio-style callSid: "CA" + 32 hex digits. */
static void call_sid(char out[35])
{
    char u[37];
    e2e_uuid(u);
    size_t k = (size_t)snprintf(out, 35, "CA");
    for (const char *p = u; *p && k < 34; p++)
        if (*p != '-')
            out[k++] = *p;
    out[k] = '\0';
}

/* A zero-integration enrolment of ENROL_A as ext with this call_token (NULL: none) for the
 * callSid sid; the call is closed afterwards. Returns the gateway's close code (-1: kept open). */
static int enrol_call(const char *sid, const char *token, const char *ext, const char *path)
{
    char uuid[37], hook[256];
    size_t n;
    int16_t *pcm = e2e_audio(ENROL_A, &n);
    e2e_uuid(uuid);
    snprintf(hook, sizeof hook, "%s%s", e2e_receiver_url(), path);
    const char *params[] = {"uuid", uuid, "external_id", ext, "mode", "enroll", "webhook", hook,
                            token ? "call_token" : NULL, token, NULL};
    e2e_call *c = e2e_call_open_ex(&G, sid, NULL, 0, params);
    int code = e2e_call_wait_closed(c, 300);
    if (code < 0) {
        e2e_call_send(c, pcm, n);
        e2e_pump(2500);
        code = e2e_call_wait_closed(c, 10);
    }
    e2e_call_stop(c);
    free(pcm);
    return code;
}

Test(live, zero_integration_enrolment_needs_a_signed_upgrade_or_a_call_token)
{
    start((const char *const[]){"CALLPRINT_ALLOW_UNSIGNED_ENROLL", "false",
                                "CALLPRINT_CALL_TOKEN_SECRET", CALL_TOKEN_SECRET, NULL});
    char ext[64], sid[35], other[35], token[80];

    /* Unsigned, no token: the stream runs, but nobody is enrolled. */
    e2e_id("cust-unsigned", ext, sizeof ext);
    call_sid(sid);
    cr_expect_eq(enrol_call(sid, NULL, ext, "/ok/unsigned"), -1, "the stream itself is served");
    cr_expect(!e2e_voiceprint_exists(ext), "no enrolment from an unauthenticated stream");
    cr_expect(e2e_log_has(&G, "mode=enroll needs an authenticated stream"));
    cr_expect_eq(count_hooks("/ok/unsigned", NULL), 0);

    /* A valid call token (HMAC of this call's CallSid): enrolled. */
    e2e_id("cust-token", ext, sizeof ext);
    call_sid(sid);
    cr_assert_eq(twsig_call_token(CALL_TOKEN_SECRET, sid, token, sizeof token), 0);
    cr_expect_eq(enrol_call(sid, token, ext, "/ok/token"), -1);
    cr_expect_gt(e2e_wait_hook("/ok/token", is_created, 10000), 0, "enrolled with a call token");
    cr_expect(e2e_voiceprint_exists(ext));

    /* Another call's token is refused outright (close 4403). */
    e2e_id("cust-replayed", ext, sizeof ext);
    call_sid(other);
    cr_expect_eq(enrol_call(other, token, ext, "/ok/replayed"), 4403, "a token of another call");
    cr_expect(!e2e_voiceprint_exists(ext));
    stop_gateway();

    /* Signed upgrades (X-Twilio-Signature) are authenticated without a token. */
    start((const char *const[]){"CALLPRINT_ALLOW_UNSIGNED_ENROLL", "false",
                                "CALLPRINT_TWILIO_AUTH_TOKEN", "twilio-token-1",
                                "CALLPRINT_PUBLIC_URL", "wss://gw.example.com", NULL});
    e2e_id("cust-signed", ext, sizeof ext);
    char sig[TWSIG_LEN + 1], uuid[37], hook[256];
    cr_assert_eq(twsig_compute("twilio-token-1", "wss://gw.example.com/stream", NULL, 0, sig,
                               sizeof sig), 0);
    const char *headers[] = {"X-Twilio-Signature", sig};
    size_t n;
    int16_t *pcm = e2e_audio(ENROL_A, &n);
    e2e_uuid(uuid);
    snprintf(hook, sizeof hook, "%s/ok/signed", e2e_receiver_url());
    e2e_call *c = e2e_call_open_ex(&G, NULL, headers, 1,
                                   (const char *const[]){"uuid", uuid, "external_id", ext, "mode",
                                                         "enroll", "webhook", hook, NULL});
    e2e_call_send(c, pcm, n);
    cr_expect_gt(e2e_wait_hook("/ok/signed", is_created, 10000), 0, "enrolled on a signed upgrade");
    e2e_call_stop(c);
    free(pcm);
    stop_gateway();

    /* require_call_token: a stream without one is refused. */
    start((const char *const[]){"CALLPRINT_CALL_TOKEN_SECRET", CALL_TOKEN_SECRET,
                                "CALLPRINT_REQUIRE_CALL_TOKEN", "true", NULL});
    e2e_id("cust-required", ext, sizeof ext);
    call_sid(sid);
    cr_expect_eq(enrol_call(sid, NULL, ext, "/ok/required"), 4403, "no token, no stream");
    stop_gateway();
}

/* ---- graceful shutdown: the final answers are awaited, within the grace period ---- */

static double mono_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Enrol speaker A as ext through a call and the REST API (polls until "created"). */
static void enrol_a(const char *ext)
{
    size_t n;
    int16_t *enrol = e2e_audio(ENROL_A, &n);
    char u[37];
    e2e_uuid(u);
    e2e_call *c = e2e_call_open(&G, (const char *const[]){"uuid", u, NULL});
    e2e_call_send(c, enrol, n);
    cJSON *o = NULL;
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(job(u, "enroll", ext, &o), 200);
        bool created = strcmp(jstr(o, "detail"), "created") == 0;
        cJSON_Delete(o);
        if (created)
            break;
        cr_assert_lt(i, 5, "enrolment of %s not created", ext);
    }
    e2e_call_stop(c);
    free(enrol);
}

/* A zero-integration verification of ext, webhooks to the receiver's path, carrying files
 * (sent at once) and the parameter min_speech unless NULL; the call stays open. */
static e2e_call *verify_call(const char *ext, const char *const *files, const char *min_speech,
                             const char *path)
{
    char uuid[37], hook[256];
    size_t n;
    int16_t *pcm = e2e_audio(files, &n);
    e2e_uuid(uuid);
    snprintf(hook, sizeof hook, "%s%s", e2e_receiver_url(), path);
    e2e_call *c = e2e_call_open(&G, (const char *const[]){"uuid", uuid, "external_id", ext, "mode",
                                                        "verify", "webhook", hook,
                                                        min_speech ? "min_speech" : NULL,
                                                        min_speech, NULL});
    e2e_call_send(c, pcm, n);
    free(pcm);
    return c;
}

/* The same with speaker A's test audio and the gateway's minimum. */
static e2e_call *verify_call_a(const char *ext, const char *path)
{
    return verify_call(ext, TEST_A, NULL, path);
}

/* SIGTERM, then the time until the gateway exited (asserts exit status 0). */
static double sigterm_and_time_exit(void)
{
    double t0 = mono_now();
    kill(G.pid, SIGTERM);
    int rc = e2e_wait(&G, 30000);
    double secs = mono_now() - t0;
    cr_log_info("SIGTERM -> exit in %.2f s", secs);
    cr_expect_eq(rc, 0, "the gateway exits cleanly (see %s)", G.log);
    return secs;
}

Test(live, sigterm_mid_call_delivers_the_final_verdict_before_exit)
{
    /* No tick (60 s): the only webhook the call can get is its final answer. The call is
     * still running when the 2 s grace period ends, so the gateway ends it itself. */
    start((const char *const[]){"CALLPRINT_VERIFY_INTERVAL_MS", "60000",
                                "CALLPRINT_SHUTDOWN_GRACE_S", "2", NULL});
    char ext[64];
    e2e_id("cust-sigterm", ext, sizeof ext);
    enrol_a(ext);
    e2e_call *c = verify_call_a(ext, "/ok/sigterm-verify");
    e2e_pump(500); /* the worker has every audio block */
    cr_assert_eq(count_hooks("/ok/sigterm-verify", NULL), 0, "no tick, no webhook yet");

    double secs = sigterm_and_time_exit();
    cr_expect(e2e_log_has(&G, "grace period over: ending 1 running stream(s)"));
    cr_expect_leq(secs, 2.0 + 1.5, "the graceful stop stays within the grace period");
    /* The receiver logged the request before answering it, and the gateway exited after the
     * answer: the final verdict was delivered before the exit. */
    e2e_hook *h;
    size_t n = e2e_hooks("/ok/sigterm-verify", &h);
    cr_assert_eq(n, 1, "the final webhook arrived before the exit");
    cr_expect_eq(jnum(h[0].json, "status"), 200);
    cr_expect_str_eq(jstr(h[0].json, "result"), "verified");
    cr_expect_float_eq(jnum(h[0].json, "speech_length"), net_speech_a(), 0.3, "over all the audio");
    e2e_hooks_free(h, n);
    expect_signed("/ok/sigterm-verify", ZSECRET);
    e2e_call_stop(c); /* closed by the gateway: only freed */
}

Test(live, sigterm_a_stuck_receiver_does_not_hold_shutdown_beyond_the_grace_period)
{
    start((const char *const[]){"CALLPRINT_SHUTDOWN_GRACE_S", "2", NULL});
    char ext[64];
    e2e_id("cust-stuck", ext, sizeof ext);
    /* The receiver hangs 30 s on every request: deliveries queue behind the first. */
    e2e_call *c = verify_call_a(ext, "/slow/30000/stuck");
    cr_assert_gt(e2e_wait_hook("/slow/30000/stuck", NULL, 5000), 0, "a delivery is hanging");
    e2e_pump(1200); /* and another tick's webhook queued behind it */

    double secs = sigterm_and_time_exit();
    cr_expect_leq(secs, 2.0 + 1.5, "a stuck receiver is given up at the end of the grace period");
    cr_expect(e2e_log_has(&G, "flush timed out"), "the undelivered webhooks are reported");
    e2e_call_stop(c);
}

/* ---- a voiceprint deleted or replaced during a call ---- */

static const char *const ENROL_B[] = {
    "fixtures/bio/speechocean762_1027/enroll/010270117.wav",
    "fixtures/bio/speechocean762_1027/enroll/010270124.wav",
    "fixtures/bio/speechocean762_1027/enroll/010270131.wav",
    "fixtures/bio/speechocean762_1027/enroll/010270140.wav",
    "fixtures/bio/speechocean762_1027/enroll/010270170.wav",
    "fixtures/bio/speechocean762_1027/enroll/010270198.wav",
    "fixtures/bio/speechocean762_1027/enroll/010270226.wav",
    "fixtures/bio/speechocean762_1027/enroll/010270238.wav",
    "fixtures/bio/speechocean762_1027/enroll/010270265.wav",
    "fixtures/bio/speechocean762_1027/enroll/010270268.wav",
    "fixtures/bio/speechocean762_1027/enroll/010270294.wav",
    "fixtures/bio/speechocean762_1027/enroll/010270301.wav",
    "fixtures/bio/speechocean762_1027/enroll/010270306.wav",
    NULL};

static void put_le(uint8_t *p, uint32_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* An /api/v2/import body: files as one 8 kHz 16-bit mono WAV recording for ext, overwriting. */
static char *import_body(const char *const *files, const char *ext)
{
    size_t n;
    int16_t *pcm = e2e_audio(files, &n);
    size_t len = 44 + 2 * n;
    uint8_t *wav = malloc(len);
    memcpy(wav, "RIFF\0\0\0\0WAVEfmt ", 16);
    put_le(wav + 4, (uint32_t)(len - 8), 4);
    put_le(wav + 16, 16, 4);
    put_le(wav + 20, 1, 2);        /* PCM */
    put_le(wav + 22, 1, 2);        /* mono */
    put_le(wav + 24, 8000, 4);
    put_le(wav + 28, 16000, 4);
    put_le(wav + 32, 2, 2);
    put_le(wav + 34, 16, 2);
    memcpy(wav + 36, "data", 4);
    put_le(wav + 40, (uint32_t)(2 * n), 4);
    for (size_t i = 0; i < n; i++)
        put_le(wav + 44 + 2 * i, (uint16_t)pcm[i], 2);
    size_t cap = 4 * (len / 3 + 1) + 1, blen = 4 * ((len + 2) / 3);
    char *b64 = malloc(cap);
    cr_assert_eq(b64_encode(wav, len, b64, cap), blen);
    b64[blen] = '\0';
    char *body = malloc(blen + 512);
    snprintf(body, blen + 512, "{\"recordings\":[{\"external_id\":\"%s\",\"audio\":\"%s\","
             "\"overwrite\":true}]}", ext, b64);
    free(b64);
    free(wav);
    free(pcm);
    return body;
}

static bool is_not_verified(const cJSON *b)
{
    return strcmp(jstr(b, "result"), "not verified") == 0;
}

/* Hooks on prefix received after t (receiver clock): how many, and how many satisfy pred. */
static size_t hooks_after(const char *prefix, double t, bool (*pred)(const cJSON *), size_t *ok)
{
    e2e_hook *h;
    size_t n = e2e_hooks(prefix, &h), k = 0;
    *ok = 0;
    for (size_t i = 0; i < n; i++)
        if (h[i].t > t) {
            k++;
            *ok += pred(h[i].json);
        }
    e2e_hooks_free(h, n);
    return k;
}

Test(live, voiceprint_replaced_or_deleted_mid_call)
{
    /* Two gateways on one Redis: the call runs on G; the voiceprint is replaced through the
     * other process (only Redis can tell G: the stamp), then deleted through G itself. */
    start(NULL);
    e2e_proc g2;
    e2e_gateway_start(&g2, (const char *const[]){"CALLPRINT_ADMIN_PASSWORD", PASSWORD, NULL});
    char token2[128];
    cr_assert(e2e_login(g2.port, PASSWORD, token2, sizeof token2));
    char ext[64], path[512];
    e2e_id("cust-swap", ext, sizeof ext);
    enrol_a(ext);
    e2e_call *c = verify_call_a(ext, "/ok/swap-verify");
    cr_assert_gt(e2e_wait_hook("/ok/swap-verify", is_verdict, 10000), 0);
    size_t ok;
    e2e_pump(1500);
    cr_assert_gt(hooks_after("/ok/swap-verify", 0, is_verdict, &ok), 0);
    cr_expect_gt(ok, 0);

    /* Replaced by speaker B's voiceprint through the other gateway. */
    char *body = import_body(ENROL_B, ext);
    cJSON *o = NULL;
    cr_assert_eq(e2e_http(g2.port, "POST", "/api/v2/import", token2, body, &o), 200);
    cr_assert_eq(jnum(o, "created"), 1, "B imported over A");
    cJSON_Delete(o);
    free(body);
    double t_swap = wall_now();
    e2e_pump(3500);
    size_t n = hooks_after("/ok/swap-verify", t_swap + 1.2, is_not_verified, &ok);
    cr_expect_geq(n, 2, "ticks after the replacement: %zu", n);
    cr_expect_eq(ok, n, "A's voice against B's voiceprint: not verified (%zu of %zu)", ok, n);

    /* Deleted through G: the next ticks say the voiceprint does not exist. */
    snprintf(path, sizeof path, "/api/v2/voiceprint/%s", ext);
    cr_assert_eq(e2e_http(G.port, "DELETE", path, TOKEN, NULL, NULL), 200);
    double t_del = wall_now();
    e2e_pump(3500);
    n = hooks_after("/ok/swap-verify", t_del + 0.2, is_no_voiceprint, &ok);
    cr_expect_geq(n, 3, "ticks after the delete: %zu", n);
    cr_expect_eq(ok, n, "every tick after the delete reports 404 (%zu of %zu)", ok, n);
    e2e_hook *h;
    n = e2e_hooks("/ok/swap-verify", &h);
    cr_expect_str_eq(jstr(h[n - 1].json, "result"), "voiceprint with external_id does not exist");
    e2e_hooks_free(h, n);

    e2e_call_stop(c);
    cr_expect_eq(e2e_stop(&g2), 0);
    cr_expect_eq(e2e_validate_hooks(5), 0);
    stop_gateway();
}

/* ---- spoofing countermeasure: a spoofed enrolment is refused, verdicts carry spoof ---- */

/* Replayed and synthetic speech (tests/fixtures/spoof), ~9.7 s of net speech; the replay the
 * countermeasure flags comes first, because an enrolment is decided on its first 6 s. */
static const char *const SPOOFED[] = {"fixtures/spoof/replay_phone_0120.wav",
                                      "fixtures/spoof/tts_espeak-ng.wav",
                                      "fixtures/spoof/replay_laptop.wav", NULL};

/* Speaker A's own test utterances replayed through a loudspeaker into a phone. */
static const char *const REPLAY_A[] = {"fixtures/spoof/replay_0120.wav", NULL};

static bool is_refused_spoof(const cJSON *b) { return jnum(b, "status") == 403; }

/* Enrol real speech (zero-integration) under ext; waits for "created". */
static void enrol_real(const char *ext, const int16_t *audio, size_t n)
{
    char uuid[37], path[128];
    snprintf(path, sizeof path, "/ok/s-enrol-%s", ext);
    e2e_call *c = zero_call(uuid, ext, "enroll", path);
    e2e_call_send(c, audio, n);
    cr_assert_gt(e2e_wait_hook(path, is_created, 20000), 0, "no 'created' webhook");
    e2e_call_stop(c);
}

/* Verify audio against ext on a call whose webhooks go to path: every verdict carries spoof
 * (as expected) and a spoof_score, with the expected result. */
static void verify_expect(const char *ext, const char *path, const int16_t *audio, size_t n,
                          const char *spoof, const char *result)
{
    char uuid[37];
    e2e_call *c = zero_call(uuid, ext, "verify", path);
    e2e_call_send(c, audio, n);
    cr_assert_gt(e2e_wait_hook(path, is_verdict, 10000), 0, "no verdict on %s", path);
    e2e_hook *h;
    size_t k = e2e_hooks(path, &h);
    for (size_t i = 0; i < k; i++) {
        if (!is_verdict(h[i].json))
            continue;
        double sc = jnum(h[i].json, "spoof_score");
        cr_expect(sc >= 0 && sc <= 100, "%s: spoof_score %f", path, sc);
        cr_expect_str_eq(jstr(h[i].json, "spoof"), spoof);
        cr_expect_str_eq(jstr(h[i].json, "result"), result);
        /* the fraud risk counts a spoof verdict as evidence, and only then */
        const cJSON *rr = cJSON_GetObjectItem(cJSON_GetObjectItem(h[i].json, "payload"), "risk_reasons");
        bool has = false;
        for (const cJSON *r = rr ? rr->child : NULL; r; r = r->next)
            has |= cJSON_IsString(r) && !strcmp(r->valuestring, "VOICE_SPOOFING");
        cr_expect(!rr || has == !strcmp(spoof, "spoof"), "%s: VOICE_SPOOFING %s in risk_reasons",
                  path, has ? "present" : "absent");
        cr_log_info("%s: speaker score %.1f, spoof %s %.1f", path, jnum(h[i].json, "score"),
                    jstr(h[i].json, "spoof"), sc);
    }
    e2e_hooks_free(h, k);
    e2e_call_stop(c);
}

Test(live, spoofed_enrolment_refused_and_verdicts_carry_spoof)
{
    start((const char *const[]){"CALLPRINT_MIN_ENROLL_SPEECH", "6", NULL});
    char ext[64], uuid[37];
    size_t n_fake, n_enrol, n_test, n_replay;
    int16_t *fake = e2e_audio(SPOOFED, &n_fake);
    int16_t *replay = e2e_audio(REPLAY_A, &n_replay);
    int16_t *enrol = e2e_audio(ENROL_A, &n_enrol);
    int16_t *ta = e2e_audio(TEST_A, &n_test);

    /* 1. A spoofed zero-integration enrolment: refused (403), nothing written. */
    e2e_id("mallory", ext, sizeof ext);
    e2e_call *c = zero_call(uuid, ext, "enroll", "/ok/s-enrol");
    e2e_call_send(c, fake, n_fake);
    cr_assert_gt(e2e_wait_hook("/ok/s-enrol", is_refused_spoof, 20000), 0, "no refusal webhook");
    e2e_hook *h;
    size_t n = e2e_hooks("/ok/s-enrol", &h);
    for (size_t i = 0; i < n; i++) {
        cr_expect(!is_created(h[i].json), "a spoofed enrolment is never created");
        if (is_refused_spoof(h[i].json)) {
            cr_expect_str_eq(jstr(h[i].json, "detail"),
                             "enrollment refused: the audio was judged spoofed (synthetic or "
                             "replayed speech)");
            cr_expect_str_eq(jstr(h[i].json, "spoof"), "spoof");
            cr_expect_geq(jnum(h[i].json, "speech_length"), 6.0);
        }
    }
    e2e_hooks_free(h, n);
    cr_expect(!e2e_voiceprint_exists(ext), "no voiceprint for spoofed audio");
    e2e_call_stop(c);

    /* 2. Real speech enrols; verifications carry spoof and spoof_score: bona fide for the
     * caller's own voice (verified), spoof for a replay of it (never verified: policy reject,
     * although the speaker model alone verifies that replay). */
    e2e_id("alice", ext, sizeof ext);
    enrol_real(ext, enrol, n_enrol);
    verify_expect(ext, "/ok/s-ver-real", ta, n_test, "bonafide", "verified");
    verify_expect(ext, "/ok/s-ver-fake", replay, n_replay, "spoof", "not verified");
    free(fake);
    free(replay);
    free(enrol);
    free(ta);
    stop_gateway();
}

Test(live, spoof_policy_flag_keeps_the_verdict_and_reports_spoof)
{
    start((const char *const[]){"CALLPRINT_SPOOF_POLICY", "flag", NULL});
    char ext[64];
    size_t n_enrol, n_replay;
    int16_t *enrol = e2e_audio(ENROL_A, &n_enrol);
    int16_t *replay = e2e_audio(REPLAY_A, &n_replay);
    e2e_id("alice-flag", ext, sizeof ext);
    enrol_real(ext, enrol, n_enrol);
    verify_expect(ext, "/ok/f-ver-fake", replay, n_replay, "spoof", "verified");
    free(enrol);
    free(replay);
    stop_gateway();
}

/* ---- a job's own minimum of net speech: zero-integration min_speech, REST min_speech ---- */

/* verify_call, and the call ends right after the audio; returns after its final answer. */
static void verify_with_min(const char *ext, const char *const *files, const char *min_speech,
                            const char *path)
{
    e2e_call *c = verify_call(ext, files, min_speech, path);
    e2e_pump(300);
    e2e_call_stop(c);
    e2e_pump(1500); /* the final answer over all the audio */
}

/* The hooks on path: all "not enough net speech" (want_verdict false) or a verdict among them
 * that is verified or not sure (true). */
static void expect_min_speech_hooks(const char *path, bool want_verdict)
{
    e2e_hook *h;
    size_t n = e2e_hooks(path, &h), verdicts = 0;
    cr_expect_gt(n, 0, "%s: no webhook", path);
    for (size_t i = 0; i < n; i++) {
        if (!is_verdict(h[i].json))
            continue;
        verdicts++;
        const char *r = jstr(h[i].json, "result");
        cr_expect(!strcmp(r, "verified") || !strcmp(r, "not sure"), "%s: %s", path, r);
    }
    if (want_verdict)
        cr_expect_gt(verdicts, 0, "%s: no verdict", path);
    else
        cr_expect_eq(verdicts, 0, "%s: a verdict despite min_speech", path);
    e2e_hooks_free(h, n);
}

Test(live, min_speech_per_job_zero_integration_and_rest)
{
    start(NULL);
    char ext[64];
    e2e_id("cust-minspeech", ext, sizeof ext);
    enrol_a(ext);
    double all = net_speech_a(); /* ~6 s */
    /* zero-integration: 20 s asked, ~6 s given: not enough, even in the final answer */
    verify_with_min(ext, TEST_A, "20", "/ok/min-high");
    expect_min_speech_hooks("/ok/min-high", false);
    /* 1 s asked, the first file's ~2 s given: a verdict, and not a confident wrong one */
    static const char *const first[] = {"fixtures/bio/speechocean762_0120/test/001200209.wav",
                                        NULL};
    verify_with_min(ext, first, "1", "/ok/min-low");
    expect_min_speech_hooks("/ok/min-low", true);
    /* a bad value is logged and ignored: the gateway's minimum applies (all of A verifies) */
    verify_with_min(ext, TEST_A, "soon", "/ok/min-bad");
    expect_min_speech_hooks("/ok/min-bad", true);
    cr_expect(e2e_log_has(&G, "must be seconds of net speech from 0.5 to 3600"));

    /* REST: the field sets the job's minimum; changing it gives a fresh answer */
    char uuid[37], path[128], body[256];
    size_t n;
    int16_t *ta = e2e_audio(TEST_A, &n);
    e2e_uuid(uuid);
    e2e_call *c = e2e_call_open(&G, (const char *const[]){"uuid", uuid, NULL});
    e2e_call_send(c, ta, n);
    free(ta);
    e2e_pump(300);
    snprintf(path, sizeof path, "/api/v2/stream/%s/verify", uuid);
    cJSON *o = NULL;
    snprintf(body, sizeof body, "{\"external_id\":\"%s\",\"min_speech\":%.2f}", ext, all + 1);
    cr_assert_eq(post(path, body, &o), 200);
    cr_expect_str_eq(jstr(o, "result"), "insufficient_speech");
    cr_expect_float_eq(jnum(o, "speech_length"), all, 0.3);
    cJSON_Delete(o);
    snprintf(body, sizeof body, "{\"external_id\":\"%s\",\"min_speech\":1.5}", ext);
    cr_assert_eq(post(path, body, &o), 200);
    cr_expect_str_eq(jstr(o, "result"), "verified");
    cJSON_Delete(o);
    snprintf(body, sizeof body, "{\"external_id\":\"%s\",\"min_speech\":0.1}", ext);
    expect_400(path, body, "min_speech");
    snprintf(body, sizeof body, "{\"external_id\":\"%s\",\"min_speech\":\"2\"}", ext);
    expect_400(path, body, "min_speech");
    snprintf(path, sizeof path, "/api/v2/stream/%s/enroll", uuid);
    snprintf(body, sizeof body, "{\"external_id\":\"%s-x\",\"min_speech\":2}", ext);
    expect_400(path, body, "min_speech");
    e2e_call_stop(c);
    stop_gateway();
}
