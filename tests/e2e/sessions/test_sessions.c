/* test_sessions.c -- call sessions end to end: the real gateway process, real calls from
 * callprint-call, a private redis-server read back with a synchronous client.
 *
 *   - a streamed call's session: identity, caller normalised and looked up (known / anonymous /
 *     invalid), custom parameters, DTMF (coalesced, final value kept), end; audit entries; logs
 *     carry the session id and never the caller's number in clear;
 *   - the MoCaaS paper's contact event through POST /api/v2/connect/contact, and a stream joined to
 *     it by ContactId; a stream joined by caller to a contact waiting for its stream; "NA"
 *     defaults; malformed events -> 400 naming the field; no token -> 401; Redis down -> 503;
 *   - the customer directory API;
 *   - Redis killed and restarted in the middle of a call: the session is complete afterwards.
 *
 * These tests run the gateway without a biometric model (they do not need one, and start
 * faster); test_bio.c covers verdicts, forwarding, restarts and encryption with the engine.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "redis_proc.h"
#include "e2e.h"

#define PW "sessions-test-password"

static e2e_world W;
static e2e_proc gw;
static char token[256];

static void start_gateway(void)
{
    char redis[512], schemas[512], s1[600];
    snprintf(redis, sizeof redis, "CALLPRINT_REDIS_URL=%s", W.rp.url);
    snprintf(s1, sizeof s1, "CALLPRINT_SCHEMAS_DIR=%s", e2e_src("schemas", schemas, sizeof schemas));
    const char *env[] = {"CALLPRINT_LISTEN=127.0.0.1:0",
                         redis,
                         "CALLPRINT_ADMIN_PASSWORD=" PW,
                         "CALLPRINT_MODEL=/nonexistent/no-model",
                         "CALLPRINT_WORKERS=1",
                         "CALLPRINT_DEFAULT_COUNTRY_CODE=44",
                         s1,
                         NULL};
    cr_assert_eq(e2e_gateway(&gw, W.dir, env), 0, "the gateway did not start (see %s)", gw.log);
    e2e_login(gw.port, PW, token, sizeof token);
    cr_assert(token[0], "login failed");
}

static void setup(void)
{
    cr_assert_eq(e2e_world_open(&W), 0, "no temp dir or redis-server");
    start_gateway();
}

static void teardown(void)
{
    if (gw.pid > 0)
        cr_expect_eq(e2e_stop(&gw), 0, "the gateway did not stop cleanly (see %s)", gw.log);
    e2e_world_close(&W);
}

TestSuite(sessions, .init = setup, .fini = teardown, .timeout = 60);

/* ---- helpers --------------------------------------------------------------------------------- */

/* A field of a session (static buffer; "" when absent). Reconnects after a Redis restart. */
static const char *field(const char *session_id, const char *name)
{
    static char out[1024];
    out[0] = '\0';
    redisReply *r = redisCommand(W.rc, "HGET callprint:session:%s %s", session_id, name);
    if (!r) {
        redisFree(W.rc);
        W.rc = rproc_client("127.0.0.1", W.rp.port, NULL, 0);
        return out;
    }
    if (r->type == REDIS_REPLY_STRING)
        snprintf(out, sizeof out, "%s", r->str);
    freeReplyObject(r);
    return out;
}

/* Wait until the session's status is `status` (the gateway writes asynchronously). */
static bool wait_status(const char *session_id, const char *status, int timeout_ms)
{
    for (int t = 0; t < timeout_ms; t += 20) {
        if (strcmp(field(session_id, "status"), status) == 0)
            return true;
        usleep(20000);
    }
    return false;
}

static const char *index_get(const char *kind, const char *id)
{
    static char out[300];
    out[0] = '\0';
    redisReply *r = redisCommand(W.rc, "GET callprint:session:by-%s:%s", kind, id);
    if (r && r->type == REDIS_REPLY_STRING)
        snprintf(out, sizeof out, "%s", r->str);
    if (r)
        freeReplyObject(r);
    return out;
}

static long long hset_calls(void)
{
    redisReply *r = redisCommand(W.rc, "INFO commandstats");
    long long n = 0;
    const char *at =
        r && r->type == REDIS_REPLY_STRING ? strstr(r->str, "cmdstat_hset:calls=") : NULL;
    if (at)
        n = atoll(at + strlen("cmdstat_hset:calls="));
    if (r)
        freeReplyObject(r);
    return n;
}

/* Audit entries as "event|stream|session|detail" lines, joined with '\n' (caller frees). */
static char *audit(void)
{
    redisReply *r = redisCommand(W.rc, "XRANGE callprint:audit - +");
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap);
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply *kv = r->element[i]->element[1];
        const char *ev = "", *st = "", *se = "", *de = "";
        for (size_t k = 0; k + 1 < kv->elements; k += 2) {
            const char *key = kv->element[k]->str, *v = kv->element[k + 1]->str;
            if (!strcmp(key, "event"))
                ev = v;
            else if (!strcmp(key, "stream"))
                st = v;
            else if (!strcmp(key, "session"))
                se = v;
            else if (!strcmp(key, "detail"))
                de = v;
        }
        int w = snprintf(out + len, cap - len, "%s|%s|%s|%s\n", ev, st, se, de);
        if (w > 0 && (size_t)w < cap - len)
            len += (size_t)w;
    }
    if (r)
        freeReplyObject(r);
    return out;
}

static const char *fixture(const char *rel)
{
    static char path[512];
    return e2e_src(rel, path, sizeof path);
}

/* One fast call with the given arguments (then the audio file); asserts it succeeded. */
static void call(const char *const *args)
{
    const char *argv[40];
    size_t n = 0;
    argv[n++] = "--fast";
    for (; *args; args++)
        argv[n++] = *args;
    argv[n++] = fixture("tests/fixtures/audio/fsdd-0_george_10.wav");
    argv[n] = NULL;
    e2e_proc c;
    cr_assert_eq(e2e_call_start(&c, gw.port, W.dir, argv), 0);
    cr_assert_eq(e2e_wait(&c, 20000), 0, "callprint-call failed (see %s)", c.log);
}

static long post_file(const char *path, const char *tok, cJSON **out)
{
    char *body = e2e_read(path, NULL);
    cr_assert_not_null(body, "%s", path);
    long st = e2e_http(gw.port, "POST", "/api/v2/connect/contact", tok, body, out);
    free(body);
    return st;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
    return v ? v : "(absent)";
}

/* ---- a streamed call's session --------------------------------------------------------------- */

Test(sessions, streamed_call_session_contents)
{
    cJSON *o = NULL;
    cr_assert_eq(e2e_http(gw.port, "PUT", "/api/v2/directory", token,
                         "{\"phone\":\"020 7946 0958\",\"external_id\":\"cust-1\"}", &o),
                 200);
    cr_expect_str_eq(jstr(o, "phone"), "+442079460958"); /* national, default country 44 */
    cJSON_Delete(o);

    long long hsets = hset_calls();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *known[] = {"--stream-sid",
                           "MZ11111111111111111111111111111111",
                           "--call-sid",
                           "CA11111111111111111111111111111111",
                           "-p",
                           "session_id=sess-known",
                           "-p",
                           "caller=+44 20 7946 0958",
                           "-p",
                           "dialled=+15550100",
                           "-p",
                           "network_type=gsm",
                           "-p",
                           "location=Oran, DZ",
                           "-p",
                           "order=A-17",
                           "--dtmf",
                           "1234567890",
                           NULL};
    call(known);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long call_s = (long)(t1.tv_sec - t0.tv_sec) + 1; /* whole seconds, rounded up */
    cr_assert(wait_status("sess-known", "ended", 5000), "status %s", field("sess-known", "status"));
    cr_expect_str_eq(field("sess-known", "session_id"), "sess-known");
    cr_expect_str_eq(field("sess-known", "stream_sid"), "MZ11111111111111111111111111111111");
    cr_expect_str_eq(field("sess-known", "call_sid"), "CA11111111111111111111111111111111");
    cr_expect_str_eq(field("sess-known", "caller"), "+442079460958");
    cr_expect_str_eq(field("sess-known", "caller_status"), "known");
    cr_expect_str_eq(field("sess-known", "external_id"), "cust-1");
    cr_expect_str_eq(field("sess-known", "dialled"), "+15550100");
    cr_expect_str_eq(field("sess-known", "network_type"), "gsm");
    cr_expect_str_eq(field("sess-known", "location"), "Oran, DZ");
    cr_expect_str_eq(field("sess-known", "contact_id"), "NA");
    cr_expect_str_eq(field("sess-known", "param.order"), "A-17");
    cr_expect_str_eq(field("sess-known", "dtmf"), "1234567890");
    cr_expect_str_eq(field("sess-known", "end_reason"), "stop");
    cr_expect_str_eq(field("sess-known", "forward_status"), "NA");
    cr_expect_eq(strlen(field("sess-known", "start_time")), 24, "%s",
                 field("sess-known", "start_time"));
    cr_expect_eq(strlen(field("sess-known", "end_time")), 24);
    char uuid[64];
    snprintf(uuid, sizeof uuid, "%s", field("sess-known", "stream_uuid"));
    cr_expect_eq(strlen(uuid), 36);
    cr_expect_str_eq(index_get("stream", uuid), "sess-known");
    cr_expect_str_eq(index_get("callsid", "CA11111111111111111111111111111111"), "sess-known");
    /* Ten digits in a call of about half a second: the first save and the stop's save carry
     * them, with at most one coalesced DTMF write per second in between (not one per digit). */
    cr_expect_leq(hset_calls() - hsets, 2 + call_s, "%lld HSETs in %ld s", hset_calls() - hsets,
                  call_s);

    const char *anon[] = {"-p", "session_id=sess-anon", "-p", "From=+12025550123", NULL};
    call(anon);
    cr_assert(wait_status("sess-anon", "ended", 5000));
    cr_expect_str_eq(field("sess-anon", "caller"), "+12025550123");
    cr_expect_str_eq(field("sess-anon", "caller_status"), "anonymous");
    cr_expect_str_eq(field("sess-anon", "external_id"), "NA");
    cr_expect_str_eq(field("sess-anon", "dtmf"), "");
    cr_expect_str_eq(field("sess-anon", "location"), "NA"); /* the MoCaaS paper: missing -> NA */

    const char *bad[] = {"-p", "session_id=sess-invalid", "-p", "caller=call me maybe", NULL};
    call(bad);
    cr_assert(wait_status("sess-invalid", "ended", 5000));
    cr_expect_str_eq(field("sess-invalid", "caller_status"), "invalid");

    /* No session_id: a new session with a UUID4 id, found through the callSid index. */
    const char *plain[] = {"--call-sid", "CA22222222222222222222222222222222", "-p",
                           "caller=anonymous", NULL};
    call(plain);
    char sid[300] = "";
    for (int t = 0; t < 5000 && !sid[0]; t += 20, usleep(20000))
        snprintf(sid, sizeof sid, "%s", index_get("callsid", "CA22222222222222222222222222222222"));
    cr_assert_eq(strlen(sid), 36, "session id \"%s\"", sid);
    cr_assert(wait_status(sid, "ended", 5000));
    cr_expect_str_eq(field(sid, "caller_status"), "anonymous");

    char *a = audit();
    char want[200];
    snprintf(want, sizeof want, "stream_start|%s|sess-known|known\n", uuid);
    cr_expect(strstr(a, want), "audit:\n%s", a);
    snprintf(want, sizeof want, "stream_stop|%s|sess-known|stop\n", uuid);
    cr_expect(strstr(a, want), "audit:\n%s", a);
    free(a);

    cr_expect(e2e_file_has(gw.log, "\"session\":\"sess-known\""), "no log line has the session");
    /* The stream endpoint's own lines carry the session too once it is known. */
    char *log = e2e_read(gw.log, NULL);
    bool ended_with_session = false;
    for (char *line = log ? strtok(log, "\n") : NULL; line; line = strtok(NULL, "\n"))
        ended_with_session |= strstr(line, "\"msg\":\"stream ended\"") &&
                              strstr(line, "\"session\":\"sess-known\"");
    free(log);
    cr_expect(ended_with_session, "the \"stream ended\" line has no session id");
    cr_expect(!e2e_file_has(gw.log, "+442079460958"), "a caller number was logged in clear");
}

/* ---- Amazon Connect -------------------------------------------------------------------------- */

Test(sessions, connect_contact_then_stream_joins)
{
    cJSON *o = NULL;
    cr_assert_eq(post_file(fixture("tests/fixtures/connect/seed001_event.json"), token, &o), 200);
    cr_assert_not_null(o);
    cr_expect_str_eq(jstr(o, "session_id"), "uuid-abc-123");
    cr_expect_str_eq(jstr(o, "contact_id"), "unique-call-id");
    cr_expect_str_eq(jstr(o, "caller_status"), "invalid"); /* "+213XXXXXXXXX" is no number */
    cr_expect_str_eq(jstr(o, "caller_known"), "false");
    cr_expect_null(cJSON_GetObjectItem(o, "stream_url"), "no public_url, no stream_url");
    const cJSON *it;
    cJSON_ArrayForEach(it, o) cr_expect(cJSON_IsString(it), "%s is not a string", it->string);
    cJSON_Delete(o);
    cr_expect_str_eq(field("uuid-abc-123", "status"), "created");

    const char *args[] = {"--stream-sid",
                          "MZ33333333333333333333333333333333",
                          "-p",
                          "ContactId=unique-call-id",
                          "--dtmf",
                          "7",
                          NULL};
    call(args);
    cr_assert(wait_status("uuid-abc-123", "ended", 5000));
    cr_expect_str_eq(field("uuid-abc-123", "stream_sid"), "MZ33333333333333333333333333333333");
    cr_expect_str_eq(field("uuid-abc-123", "contact_id"), "unique-call-id");
    cr_expect_str_eq(field("uuid-abc-123", "network_type"), "landline"); /* from Connect */
    cr_expect_str_eq(field("uuid-abc-123", "location"), "Oran, DZ");
    cr_expect_str_eq(field("uuid-abc-123", "start_time"), "2025-05-21T16:14:22Z");
    cr_expect_str_eq(field("uuid-abc-123", "dtmf"), "7");

    /* Optional attributes missing: "NA"; withheld caller: anonymous. */
    cr_assert_eq(
        post_file(fixture("tests/fixtures/connect/seed001_missing_optional.json"), token, &o), 200);
    cr_expect_str_eq(jstr(o, "session_id"), "uuid-def-456");
    cr_expect_str_eq(jstr(o, "caller_status"), "anonymous");
    cJSON_Delete(o);
    cr_expect_str_eq(field("uuid-def-456", "location"), "NA");
    cr_expect_str_eq(field("uuid-def-456", "network_type"), "NA");

    /* A known caller's contact; the stream carries only the caller's number (as Twilio's From
     * after a SIP trunk would): it joins the contact's session, which waits for its stream. */
    cr_assert_eq(e2e_http(gw.port, "PUT", "/api/v2/directory", token,
                         "{\"phone\":\"+442079460958\",\"external_id\":\"cust-9\"}", NULL),
                 200);
    cr_assert_eq(post_file(fixture("tests/fixtures/connect/full_event.json"), token, &o), 200);
    char sid[128];
    snprintf(sid, sizeof sid, "%s", jstr(o, "session_id"));
    cr_expect_str_eq(jstr(o, "caller_status"), "known");
    cr_expect_str_eq(jstr(o, "caller_known"), "true");
    cr_expect_str_eq(jstr(o, "external_id"), "cust-9");
    cJSON_Delete(o);
    const char *by_caller[] = {"-p", "From=+442079460958", NULL};
    call(by_caller);
    cr_assert(wait_status(sid, "ended", 5000), "status %s", field(sid, "status"));
    cr_expect_str_eq(field(sid, "location"), "Leeds, GB");
    cr_expect_eq(strlen(field(sid, "stream_uuid")), 36);
    /* A second call from the same number does not reopen that (ended) session. */
    call(by_caller);
    usleep(300000);
    cr_expect_str_eq(field(sid, "status"), "ended");
}

Test(sessions, connect_malformed_events)
{
    static const struct {
        const char *file, *names;
    } bad[] = {
        {"bad_no_contactid.json", "ContactId"},
        {"bad_contactid_empty.json", "ContactId"},
        {"bad_contactid_number.json", "ContactId"},
        {"bad_endpoint_string.json", "CustomerEndpoint"},
        {"bad_attribute_number.json", "Attributes.location"},
        {"bad_stream_arn_bool.json", "StreamARN"},
        {"bad_parameters_array.json", "Parameters"},
        {"bad_details_string.json", "Details"},
        {"bad_no_details.json", "Details"},
        {"bad_no_contactdata.json", "ContactData"},
        {"bad_not_json.json", "JSON"},
        {"bad_truncated.json", "JSON"},
        {"bad_array.json", "object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/fixtures/connect/%s", bad[i].file);
        cJSON *o = NULL;
        cr_expect_eq(post_file(fixture(rel), token, &o), 400, "%s", bad[i].file);
        const char *err = jstr(o, "error");
        cr_expect(strstr(err, bad[i].names), "%s: error \"%s\" does not name %s", bad[i].file, err,
                  bad[i].names);
        cJSON_Delete(o);
    }
    cr_expect_eq(e2e_http(gw.port, "POST", "/api/v2/connect/contact", token, "", NULL), 400);
    cr_expect_eq(post_file(fixture("tests/fixtures/connect/seed001_event.json"), NULL, NULL), 401);
    cr_expect_eq(post_file(fixture("tests/fixtures/connect/seed001_event.json"), "wrong", NULL),
                 401);
    /* The gateway survived all of it. */
    cr_expect_eq(post_file(fixture("tests/fixtures/connect/seed001_event.json"), token, NULL), 200);

    /* Redis down: 503 at once, and the gateway keeps serving. */
    rproc_signal(&W.rp, SIGKILL);
    long st = 0;
    for (int t = 0; t < 5000 && st != 503; t += 50, usleep(50000))
        st = post_file(fixture("tests/fixtures/connect/seed001_event.json"), token, NULL);
    cr_expect_eq(st, 503);
    cr_expect_eq(e2e_http(gw.port, "GET", "/api/v2/directory/%2B442079460958", token, NULL, NULL),
                 503);
    cr_assert_eq(rproc_start(&W.rp, NULL), 0);
    for (int t = 0; t < 10000 && st != 200; t += 50, usleep(50000))
        st = post_file(fixture("tests/fixtures/connect/seed001_event.json"), token, NULL);
    cr_expect_eq(st, 200, "no recovery after Redis came back");
}

/* ---- the directory API ----------------------------------------------------------------------- */

Test(sessions, directory_api)
{
    cJSON *o = NULL;
    const char *path_of = "/api/v2/directory/%2B33142685300";
    cr_expect_eq(e2e_http(gw.port, "GET", path_of, token, NULL, NULL), 404);
    cr_assert_eq(e2e_http(gw.port, "POST", "/api/v2/directory", token,
                         "{\"phone\":\"+33 1 42 68 53 00\",\"external_id\":\"fr-1\"}", &o),
                 200);
    cr_expect_str_eq(jstr(o, "phone"), "+33142685300");
    cJSON_Delete(o);
    cr_assert_eq(e2e_http(gw.port, "GET", path_of, token, NULL, &o), 200);
    cr_expect_str_eq(jstr(o, "external_id"), "fr-1");
    cJSON_Delete(o);
    /* The same number in another spelling finds the same entry; PUT overwrites. */
    cr_assert_eq(e2e_http(gw.port, "PUT", "/api/v2/directory", token,
                         "{\"phone\":\"0033142685300\",\"external_id\":\"fr-2\"}", NULL),
                 200);
    cr_assert_eq(
        e2e_http(gw.port, "GET", "/api/v2/directory/0033%201%2042%2068%2053%2000", token, NULL, &o),
        200);
    cr_expect_str_eq(jstr(o, "external_id"), "fr-2");
    cJSON_Delete(o);

    for (int i = 0; i < 25; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"phone\":\"+4420794600%02d\",\"external_id\":\"c%d\"}", i,
                 i);
        cr_assert_eq(e2e_http(gw.port, "PUT", "/api/v2/directory", token, body, NULL), 200);
    }
    /* Paged listing: every entry exactly once (SCAN may repeat; we dedupe by phone). */
    char seen[26][20] = {{0}};
    int n_seen = 0;
    char path[128] = "/api/v2/directory?count=7";
    for (int page = 0; page < 100; page++) {
        cr_assert_eq(e2e_http(gw.port, "GET", path, token, NULL, &o), 200);
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "entries"))
        {
            const char *ph = jstr(e, "phone");
            bool dup = false;
            for (int k = 0; k < n_seen; k++)
                dup |= strcmp(seen[k], ph) == 0;
            if (!dup && n_seen < 26)
                snprintf(seen[n_seen++], sizeof seen[0], "%s", ph);
        }
        const char *next = jstr(o, "next_cursor");
        bool done = strcmp(next, "0") == 0;
        snprintf(path, sizeof path, "/api/v2/directory?count=7&cursor=%s", next);
        cJSON_Delete(o);
        if (done)
            break;
    }
    cr_expect_eq(n_seen, 26);

    cr_assert_eq(e2e_http(gw.port, "DELETE", path_of, token, NULL, NULL), 200);
    cr_expect_eq(e2e_http(gw.port, "GET", path_of, token, NULL, NULL), 404);
    cr_expect_eq(e2e_http(gw.port, "DELETE", path_of, token, NULL, NULL), 404);

    /* Bad input names the problem. */
    cr_expect_eq(e2e_http(gw.port, "PUT", "/api/v2/directory", token,
                         "{\"phone\":\"not a number\",\"external_id\":\"x\"}", &o),
                 400);
    cr_expect(strstr(jstr(o, "error"), "phone"), "%s", jstr(o, "error"));
    cJSON_Delete(o);
    cr_expect_eq(
        e2e_http(gw.port, "PUT", "/api/v2/directory", token, "{\"phone\":\"+442079460958\"}", &o),
        400);
    cr_expect(strstr(jstr(o, "error"), "external_id"), "%s", jstr(o, "error"));
    cJSON_Delete(o);
    cr_expect_eq(e2e_http(gw.port, "PUT", "/api/v2/directory", token,
                         "{\"phone\":\"anonymous\",\"external_id\":\"x\"}", NULL),
                 400);
    cr_expect_eq(e2e_http(gw.port, "GET", "/api/v2/directory/12", token, NULL, NULL), 400);
    cr_expect_eq(e2e_http(gw.port, "GET", "/api/v2/directory?count=x", token, NULL, NULL), 400);
    cr_expect_eq(e2e_http(gw.port, "GET", "/api/v2/directory", NULL, NULL, NULL), 401);
}

/* ---- Redis restarted mid-call ---------------------------------------------------------------- */

Test(sessions, redis_restart_mid_call_loses_nothing)
{
    /* A 4.5 s call in real time; digits before, during and after the outage. */
    const char *args[] = {"--stream-sid",
                          "MZ44444444444444444444444444444444",
                          "-p",
                          "session_id=sess-outage",
                          "-p",
                          "caller=+442079460999",
                          "--dtmf",
                          "123",
                          "--dtmf-at",
                          "200,2200,4000",
                          fixture("tests/fixtures/workers/1688-142285-0004.wav"),
                          NULL};
    e2e_proc c;
    cr_assert_eq(e2e_call_start(&c, gw.port, W.dir, args), 0);
    /* The first save is acknowledged (AOF, fsync always) before Redis dies. */
    cr_assert(wait_status("sess-outage", "streaming", 3000));
    usleep(600000);
    rproc_signal(&W.rp, SIGKILL);
    usleep(1200000);
    cr_assert_eq(rproc_start(&W.rp, NULL), 0); /* same port and data directory */
    cr_assert_eq(e2e_wait(&c, 20000), 0, "the call failed (see %s)", c.log);
    cr_assert(wait_status("sess-outage", "ended", 10000), "status %s",
              field("sess-outage", "status"));
    cr_expect_str_eq(field("sess-outage", "dtmf"), "123");
    cr_expect_str_eq(field("sess-outage", "stream_sid"), "MZ44444444444444444444444444444444");
    cr_expect_str_eq(field("sess-outage", "caller"), "+442079460999");
    cr_expect_str_eq(field("sess-outage", "caller_status"), "anonymous");
    cr_expect_str_eq(field("sess-outage", "end_reason"), "stop");
    cr_expect_eq(strlen(field("sess-outage", "end_time")), 24);
    char *a = audit();
    cr_expect(strstr(a, "stream_stop|"), "audit:\n%s", a);
    free(a);
}
