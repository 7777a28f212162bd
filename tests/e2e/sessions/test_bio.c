/* test_bio.c -- sessions with the real biometric engine: verdicts, org-API forwarding, a
 * voiceprint that survives a gateway restart, encryption at rest.
 *
 * Speaker A (speechocean762 0120, tests/fixtures/bio) is enrolled through the REST import
 * (POST /api/v2/import: one WAV of A's enrolment utterances, built at test time) on a gateway
 * whose voiceprints are encrypted (CALLPRINT_VOICEPRINT_KEY). Then:
 *
 *   - the raw blob in Redis is marked aes-256-gcm and does not contain the plaintext voiceprint
 *     (the engine CLI's voiceprint of the same audio, callprint-bio enroll);
 *   - the gateway is restarted: the voiceprint is still there, and a real-time call of A's
 *     held-out utterances (zero-integration verify) is verified;
 *   - the session of that call holds the verdict history, its custom parameters and DTMF, and
 *     was forwarded ONCE to a real HTTPS receiver (self-signed CA made by the openssl CLI)
 *     that answers 500 first and 200 after: two attempts, the same Idempotency-Key, the API
 *     key header, the body with verdict/score/DTMF/parameters, forward_status "200", audit
 *     entries "verify" and "forward"; neither the API key nor the voiceprint key is logged;
 *   - a gateway with another voiceprint key cannot verify A (the REST poll of the call's
 *     verify job answers 422, and no "verified" verdict reaches the session).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio/audio.h"
#include "base64.h"
#include "redis_proc.h"
#include "e2e.h"

#define PW "sessions-bio-password"
#define KEY1 "0101010101010101010101010101010101010101010101010101010101010101"
#define KEY2 "0202020202020202020202020202020202020202020202020202020202020202"
#define API_KEY "org-api-key-7f3a9c"

static const char *const ENROL_A[] = {
    "001200015", "001200016", "001200050", "001200081", "001200098", "001200103", "001200114",
    "001200121", "001200126", "001200145", "001200146", "001200159", "001200161", NULL};
static const char *const TEST_A[] = {"001200209", "001200210", "001200306", NULL};

static e2e_world W;
static char wav[512];
static e2e_proc gw, org;

static void setup(void)
{
    cr_assert_eq(e2e_world_open(&W), 0, "no temp dir or redis-server");
}

static void teardown(void)
{
    if (gw.pid > 0)
        e2e_stop(&gw);
    if (org.pid > 0)
        e2e_stop(&org);
    e2e_world_close(&W);
}

TestSuite(sessions_bio, .init = setup, .fini = teardown, .timeout = 120);

/* ---- helpers --------------------------------------------------------------------------------- */

static const char *bio_file(const char *speaker_set, const char *id, char *out, size_t cap)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/fixtures/bio/speechocean762_0120/%s/%s.wav", speaker_set, id);
    return e2e_src(rel, out, cap);
}

static void put_le(FILE *f, uint32_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        fputc((int)((v >> (8 * i)) & 0xff), f);
}

/* A's enrolment utterances as one 8 kHz 16-bit WAV in `wav`. */
static void build_enrol_wav(void)
{
    snprintf(wav, sizeof wav, "%s/enrol-a.wav", W.dir);
    FILE *f = fopen(wav, "wb");
    cr_assert_not_null(f);
    int16_t *all = NULL;
    size_t total = 0;
    for (const char *const *id = ENROL_A; *id; id++) {
        char path[512], err[256];
        int16_t *pcm;
        size_t n;
        cr_assert_eq(bio_audio_read(bio_file("enroll", *id, path, sizeof path), &pcm, &n, err,
                                       sizeof err),
                     0, "%s", err);
        all = realloc(all, (total + n) * sizeof *all);
        memcpy(all + total, pcm, n * sizeof *pcm);
        total += n;
        free(pcm);
    }
    uint32_t bytes = (uint32_t)(total * 2);
    fwrite("RIFF", 1, 4, f), put_le(f, 36 + bytes, 4), fwrite("WAVEfmt ", 1, 8, f);
    put_le(f, 16, 4), put_le(f, 1, 2), put_le(f, 1, 2), put_le(f, 8000, 4), put_le(f, 16000, 4);
    put_le(f, 2, 2), put_le(f, 16, 2), fwrite("data", 1, 4, f), put_le(f, bytes, 4);
    for (size_t i = 0; i < total; i++)
        put_le(f, (uint16_t)all[i], 2);
    fclose(f);
    free(all);
}

/* POST /api/v2/import of `wav` as external_id. */
static void import_voiceprint(const char *token, const char *external_id)
{
    size_t len;
    char *data = e2e_read(wav, &len);
    cr_assert_not_null(data);
    size_t cap = B64_ENCODED_LEN(len) + 1;
    char *b64 = malloc(cap);
    cr_assert_gt(b64_encode((const uint8_t *)data, len, b64, cap), 0);
    size_t bcap = cap + 256;
    char *body = malloc(bcap);
    snprintf(body, bcap, "{\"recordings\":[{\"external_id\":\"%s\",\"audio\":\"%s\"}]}",
             external_id, b64);
    cJSON *o = NULL;
    long st = e2e_http(gw.port, "POST", "/api/v2/import", token, body, &o);
    char *txt = o ? cJSON_PrintUnformatted(o) : NULL;
    cr_assert_eq(st, 200, "import: %ld %s", st, txt ? txt : "");
    cr_assert(txt && strstr(txt, "\"created\""), "import: %s", txt ? txt : "");
    free(txt);
    cJSON_Delete(o);
    free(body);
    free(b64);
    free(data);
}

static void start_gateway(const char *key, const char *forward_url, const char *ca)
{
    static char e[8][600];
    char p[512];
    snprintf(e[0], sizeof e[0], "CALLPRINT_REDIS_URL=%s", W.rp.url);
    snprintf(e[1], sizeof e[1], "CALLPRINT_VOICEPRINT_KEY=%s", key);
    snprintf(e[2], sizeof e[2], "CALLPRINT_FORWARD_URL=%s", forward_url ? forward_url : "");
    snprintf(e[3], sizeof e[3], "CALLPRINT_FORWARD_CA_FILE=%s", ca ? ca : "");
    snprintf(e[4], sizeof e[4], "CALLPRINT_MODEL=%s",
             e2e_src("biometrics/models/callprint.model", p, sizeof p));
    snprintf(e[5], sizeof e[5], "CALLPRINT_SCHEMAS_DIR=%s", e2e_src("schemas", p, sizeof p));
    const char *env[] = {"CALLPRINT_LISTEN=127.0.0.1:0",
                         "CALLPRINT_ADMIN_PASSWORD=" PW,
                         "CALLPRINT_WORKERS=1",
                         /* room for a whole --fast call: the test is about where answers
                          * land, not about drops when a call outruns a busy worker */
                         "CALLPRINT_WORKER_QUEUE_LEN=4096",
                         "CALLPRINT_FORWARD_API_KEY=" API_KEY,
                         "CALLPRINT_FORWARD_ATTEMPTS=3",
                         "CALLPRINT_HTTP_BODY_MAX=8388608",
                         e[0],
                         e[1],
                         e[2],
                         e[3],
                         e[4],
                         e[5],
                         NULL};
    cr_assert_eq(e2e_gateway(&gw, W.dir, env), 0, "the gateway did not start (see %s)", gw.log);
}

static const char *hget(const char *key, const char *name, size_t *len)
{
    static char out[65536];
    out[0] = '\0';
    if (len)
        *len = 0;
    redisReply *r = redisCommand(W.rc, "HGET %s %s", key, name);
    if (r && r->type == REDIS_REPLY_STRING && r->len < sizeof out) {
        memcpy(out, r->str, r->len);
        out[r->len] = '\0';
        if (len)
            *len = r->len;
    }
    if (r)
        freeReplyObject(r);
    return out;
}

/* Verdicts in the session's history, as "v1,v2,...". */
static void verdicts(const char *session_id, char *out, size_t cap)
{
    redisReply *r = redisCommand(W.rc, "XRANGE callprint:session:%s:verdicts - +", session_id);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply *kv = r->element[i]->element[1];
        for (size_t k = 0; k + 1 < kv->elements; k += 2)
            if (!strcmp(kv->element[k]->str, "verdict")) {
                int w = snprintf(out + len, cap - len, "%s,", kv->element[k + 1]->str);
                if (w > 0 && (size_t)w < cap - len)
                    len += (size_t)w;
            }
    }
    if (r)
        freeReplyObject(r);
}

static bool has_verdict(const char *list, const char *verdict)
{
    char want[64];
    snprintf(want, sizeof want, ",%s,", verdict);
    char buf[8200];
    snprintf(buf, sizeof buf, ",%s", list);
    return strstr(buf, want) != NULL;
}

static bool audit_has(const char *event, const char *session)
{
    redisReply *r = redisCommand(W.rc, "XRANGE callprint:audit - +");
    bool found = false;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements && !found; i++) {
        redisReply *kv = r->element[i]->element[1];
        bool ev = false, se = false;
        for (size_t k = 0; k + 1 < kv->elements; k += 2) {
            ev |= !strcmp(kv->element[k]->str, "event") && !strcmp(kv->element[k + 1]->str, event);
            se |= !strcmp(kv->element[k]->str, "session") &&
                  !strcmp(kv->element[k + 1]->str, session);
        }
        found = ev && se;
    }
    if (r)
        freeReplyObject(r);
    return found;
}

/* Start a real-time call of A's held-out utterances with these parameters. */
static void start_call(e2e_proc *c, const char *call_sid, const char *const *params)
{
    char files[3][512];
    const char *argv[40] = {"--call-sid", call_sid};
    size_t n = 2;
    for (; *params; params++)
        argv[n++] = "-p", argv[n++] = *params;
    argv[n++] = "--dtmf", argv[n++] = "42";
    for (int i = 0; TEST_A[i]; i++)
        argv[n++] = bio_file("test", TEST_A[i], files[i], sizeof files[i]);
    argv[n] = NULL;
    cr_assert_eq(e2e_call_start(c, gw.port, W.dir, argv), 0);
}

/* Stream cust-A's test recordings faster than real time as a mode=verify call and expect its
 * final answer, `verified`, in the session's verdicts and the audit stream. */
static void fast_call_verified(const char *call_sid, const char *session_id)
{
    char files[3][512], sess[96], v[8192];
    snprintf(sess, sizeof sess, "session_id=%s", session_id);
    const char *argv[] = {"--fast", "--call-sid", call_sid, "-p", "external_id=cust-A",
                          "-p", "mode=verify", "-p", sess,
                          bio_file("test", TEST_A[0], files[0], sizeof files[0]),
                          bio_file("test", TEST_A[1], files[1], sizeof files[1]),
                          bio_file("test", TEST_A[2], files[2], sizeof files[2]), NULL};
    e2e_proc c;
    cr_assert_eq(e2e_call_start(&c, gw.port, W.dir, argv), 0);
    cr_assert_eq(e2e_wait(&c, 60000), 0, "the fast call failed (see %s)", c.log);
    /* The final answer is scored after the end on a worker: under ASan on a loaded machine
     * that can take several seconds, so wait up to 30 s (it usually lands within one). */
    for (int t = 0; t < 30000 && !audit_has("verify", session_id); t += 50)
        usleep(50000);
    verdicts(session_id, v, sizeof v);
    cr_expect(has_verdict(v, "verified"), "%s: final answer not in the session: %s", session_id,
              v);
    cr_expect(audit_has("verify", session_id));
}

/* ---- the test -------------------------------------------------------------------------------- */

Test(sessions_bio, encrypted_voiceprint_restart_verify_and_forward_once)
{
    cr_assert_eq(e2e_make_certs(W.dir), 0, "openssl could not make the test CA");
    char ca[300], cert[300], key[300], url[256];
    snprintf(ca, sizeof ca, "%s/ca.pem", W.dir);
    snprintf(cert, sizeof cert, "%s/srv.pem", W.dir);
    snprintf(key, sizeof key, "%s/srv.key", W.dir);
    cr_assert_eq(e2e_receiver(&org, W.dir, cert, key, NULL), 0);
    snprintf(url, sizeof url, "https://127.0.0.1:%d/flaky/org", org.port);
    build_enrol_wav();

    /* Enrol A on an encrypting gateway. */
    start_gateway(KEY1, url, ca);
    char token[256];
    e2e_login(gw.port, PW, token, sizeof token);
    import_voiceprint(token, "cust-A");
    cr_expect_str_eq(hget("callprint:voiceprint:cust-A", "enc", NULL), "aes-256-gcm");

    /* The raw blob is not the plaintext voiceprint of the same audio. */
    char bin[512], vp[512];
    snprintf(vp, sizeof vp, "%s/a.vp", W.dir);
    char mp[512];
    char *cli[] = {(char *)e2e_bin("callprint-bio", bin, sizeof bin),
                   "--model",
                   (char *)e2e_src("biometrics/models/callprint.model", mp, sizeof mp),
                   "enroll",
                   "-o",
                   vp,
                   wav,
                   NULL};
    e2e_proc p;
    char out[600];
    snprintf(out, sizeof out, "%s/bio.out", W.dir);
    cr_assert_eq(e2e_spawn(&p, cli, NULL, out), 0);
    cr_assert_eq(e2e_wait(&p, 60000), 0, "callprint-bio enroll failed (see %s)", out);
    size_t plain_len, blob_len;
    char *plain = e2e_read(vp, &plain_len);
    const char *blob = hget("callprint:voiceprint:cust-A", "blob", &blob_len);
    cr_assert(plain && plain_len >= 32);
    cr_expect_gt(blob_len, 32);
    cr_expect_null(memmem(blob, blob_len, plain, 16), "the stored blob holds plaintext");
    cr_expect_null(memmem(blob, blob_len, plain + plain_len - 16, 16));
    free(plain);

    /* Restart: the voiceprint survives and verifies A; the session is forwarded once. */
    cr_assert_eq(e2e_stop(&gw), 0, "the gateway did not stop cleanly");
    start_gateway(KEY1, url, ca);
    e2e_login(gw.port, PW, token, sizeof token);
    cr_assert_eq(e2e_http(gw.port, "GET", "/api/v2/voiceprint/cust-A", token, NULL, NULL), 200);
    e2e_proc c;
    start_call(&c, "CA55555555555555555555555555555555",
               (const char *const[]){"external_id=cust-A", "mode=verify", "session_id=sess-fwd",
                                     "caller=+442079460958", "order=ORD-991", NULL});
    cr_assert_eq(e2e_wait(&c, 60000), 0, "the call failed (see %s)", c.log);
    char v[8192];
    for (int t = 0;
         t < 5000 && strcmp(hget("callprint:session:sess-fwd", "forward_status", NULL), "200");
         t += 50)
        usleep(50000);
    verdicts("sess-fwd", v, sizeof v);
    cr_expect(has_verdict(v, "verified"), "verdicts: %s", v);
    cr_expect_str_eq(hget("callprint:session:sess-fwd", "forward_status", NULL), "200");
    cr_expect_str_eq(hget("callprint:session:sess-fwd", "dtmf", NULL), "42");
    /* the spoofing countermeasure's latest result on the session: real speech */
    cr_expect_str_eq(hget("callprint:session:sess-fwd", "spoof", NULL), "bonafide");
    double spoof_score = atof(hget("callprint:session:sess-fwd", "spoof_score", NULL));
    cr_expect(spoof_score >= 0 && spoof_score < 100, "spoof_score %f", spoof_score);
    cr_expect(audit_has("verify", "sess-fwd"));
    cr_expect(audit_has("forward", "sess-fwd"));

    cJSON *reqs = e2e_received(&org), *r;
    cr_expect_eq(cJSON_GetArraySize(reqs), 2, "500 then 200: two attempts, one forward");
    cJSON_ArrayForEach(r, reqs)
    {
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "path")), "/flaky/org");
        const char *idem = e2e_header(r, "Idempotency-Key"), *k = e2e_header(r, "X-API-Key");
        cr_expect_str_eq(idem ? idem : "(none)", "sess-fwd:cust-A");
        cr_expect_str_eq(k ? k : "(none)", API_KEY);
        cJSON *b = cJSON_Parse(cJSON_GetStringValue(cJSON_GetObjectItem(r, "body")));
        cr_assert_not_null(b);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(b, "verdict")), "verified");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(b, "session_id")), "sess-fwd");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(b, "external_id")), "cust-A");
        cr_expect_gt(cJSON_GetNumberValue(cJSON_GetObjectItem(b, "score")), 0);
        /* the first verified answer: at least the model's minimum of net speech (1.5 s) */
        cr_expect_geq(cJSON_GetNumberValue(cJSON_GetObjectItem(b, "speech_length")), 1.5);
        const cJSON *cp = cJSON_GetObjectItem(b, "custom_parameters");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cp, "order")), "ORD-991");
        const cJSON *se = cJSON_GetObjectItem(b, "session");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(se, "caller")), "+442079460958");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(se, "call_sid")),
                         "CA55555555555555555555555555555555");
        cJSON_Delete(b);
    }
    cJSON_Delete(reqs);

    /* /metrics counts the forward: one delivered after one retry. */
    char cmd[128], metrics[65536] = "";
    snprintf(cmd, sizeof cmd, "curl -sf http://127.0.0.1:%d/metrics", gw.port);
    FILE *m = popen(cmd, "r");
    cr_assert_not_null(m);
    size_t got = fread(metrics, 1, sizeof metrics - 1, m);
    metrics[got] = '\0';
    pclose(m);
    cr_expect(strstr(metrics, "callprint_forwards_total{outcome=\"delivered\"} 1\n") != NULL);
    cr_expect(strstr(metrics, "callprint_forwards_total{outcome=\"failed\"} 0\n") != NULL);
    cr_expect(strstr(metrics, "callprint_forward_retries_total 1\n") != NULL);
    cr_expect(strstr(metrics, "callprint_forwards_in_progress 0\n") != NULL);

    /* A call streamed faster than real time ends before the first tick: its only verdict is
     * the final answer, given after the stream ended, and it still lands in the session. */
    fast_call_verified("CA77777777777777777777777777777777", "sess-fast");
    /* The same, with Redis paused for 2 s from before the call starts: the call ends before
     * its voiceprint is read, so the final request must wait for that read (the worker keeps
     * the call's audio until then) instead of being dropped. */
    redisReply *pause = redisCommand(W.rc, "CLIENT PAUSE 2000 ALL");
    cr_assert(pause && pause->type == REDIS_REPLY_STATUS, "CLIENT PAUSE refused");
    freeReplyObject(pause);
    fast_call_verified("CA78787878787878787878787878787878", "sess-fast-paused");
    cr_assert_eq(e2e_stop(&gw), 0, "the gateway did not stop cleanly");

    /* Another key: A's voiceprint cannot be opened, so A cannot be verified. */
    start_gateway(KEY2, NULL, NULL);
    e2e_login(gw.port, PW, token, sizeof token);
    start_call(&c, "CA66666666666666666666666666666666",
               (const char *const[]){"external_id=cust-A", "mode=verify",
                                     "session_id=sess-wrong-key", NULL});
    usleep(3000000);
    cJSON *o = NULL;
    long st = e2e_http(gw.port, "POST", "/api/v2/stream/CA66666666666666666666666666666666/verify",
                      token, "{\"external_id\":\"cust-A\"}", &o);
    cr_expect_eq(st, 200, "poll: %ld", st);
    cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "status")), 422);
    cJSON_Delete(o);
    cr_assert_eq(e2e_wait(&c, 60000), 0, "the call failed (see %s)", c.log);
    verdicts("sess-wrong-key", v, sizeof v);
    cr_expect(!has_verdict(v, "verified"), "verdicts with the wrong key: %s", v);
    cr_assert_eq(e2e_stop(&gw), 0, "the gateway did not stop cleanly");

    /* Secrets never reach the logs. */
    for (int i = 1; i <= 8; i++) {
        char log[600];
        snprintf(log, sizeof log, "%s/gateway-%d.log", W.dir, i);
        cr_expect(!e2e_file_has(log, API_KEY), "%s has the org API key", log);
        cr_expect(!e2e_file_has(log, KEY1), "%s has the voiceprint key", log);
    }
}
