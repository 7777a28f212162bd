/* Webhook engine against real receiver processes over loopback: signed bodies, order,
 * retries, a dead and a slow receiver next to a healthy one, queue overflow, and HTTPS with
 * a CA made at test time. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "http/webhook.h"
#include "webhook_payload.h"

#define MAXR 64
typedef struct {
    int n;
    webhook_result r[MAXR];
    char url[MAXR][160];
} results;

static results res;
static bool closed_flag;
static char dir[256];
static receiver rx;

static void on_result(const webhook_result *r, void *arg)
{
    (void)arg;
    if (res.n < MAXR) {
        res.r[res.n] = *r;
        res.r[res.n].error = "";
        snprintf(res.url[res.n], sizeof res.url[0], "%s", r->url);
        res.r[res.n].url = res.url[res.n];
        res.n++;
    }
}

static int count_for(const char *url_part, bool delivered)
{
    int n = 0;
    for (int i = 0; i < res.n; i++)
        if (strstr(res.url[i], url_part) && res.r[i].delivered == delivered)
            n++;
    return n;
}

typedef struct {
    int want;
} want_n;
static bool have_results(void *arg) { return res.n >= ((want_n *)arg)->want; }

static void setup(void)
{
    memset(&res, 0, sizeof res);
    closed_flag = false;
    tmpdir_make(dir, sizeof dir);
    cr_assert(dir[0]);
    cr_assert_eq(receiver_start(&rx, dir, NULL, NULL), 0);
}
static void teardown(void)
{
    receiver_stop(&rx);
    tmpdir_remove(dir);
}

TestSuite(webhook, .init = setup, .fini = teardown, .timeout = 30);

static webhook *engine(uv_loop_t *loop, webhook_options o)
{
    uv_loop_init(loop);
    o.on_result = on_result;
    webhook *w = webhook_new(loop, &o);
    cr_assert_not_null(w);
    return w;
}

static void shutdown_engine(uv_loop_t *loop, webhook *w)
{
    webhook_close(w, 0, set_flag, &closed_flag);
    cr_assert(run_until(loop, flag_is_set, &closed_flag, 3000));
    cr_expect_eq(loop_finish(loop), 0);
}

static const char *hdr(cJSON *req, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(req, "headers"), name));
}

Test(webhook, signed_json_delivery)
{
    uv_loop_t loop;
    webhook *w = engine(&loop, (webhook_options){0});
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ok/sig", rx.port);
    char *body = whp_verify("u-1", 200, "u-1", "cust-7", "verified", 12.5, 87.25);
    cr_assert_eq(webhook_send(w, url, "s3cret", body, strlen(body)), 0);
    cr_assert(run_until(&loop, have_results, &(want_n){1}, 5000));
    cr_expect(res.r[0].delivered);
    cr_expect_eq(res.r[0].attempts, 1);

    cJSON *reqs = receiver_requests(&rx);
    cr_assert_eq(cJSON_GetArraySize(reqs), 1);
    cJSON *q = cJSON_GetArrayItem(reqs, 0);
    const char *got = cJSON_GetStringValue(cJSON_GetObjectItem(q, "body"));
    cr_expect_str_eq(got, body);
    /* Signed at delivery time: within a few seconds of now. */
    long long now = (long long)time(NULL);
    const char *sig = hdr(q, "X-Callprint-Signature");
    cr_expect(whp_signature_check("s3cret", got, strlen(got), sig, now, 5), "%s", sig);
    cr_expect(!whp_signature_check("wrong", got, strlen(got), sig, now, 5));
    cr_expect_str_eq(hdr(q, "Content-Type"), "application/json");
    cr_expect(strncmp(hdr(q, "User-Agent"), "callprint/", 10) == 0);
    cr_expect_str_eq(hdr(q, "X-Callprint-Attempt"), "1");
    cJSON_Delete(reqs);
    free(body);

    webhook_stats st;
    webhook_get_stats(w, &st);
    cr_expect_eq(st.sent, 1);
    cr_expect_eq(st.delivered, 1);
    cr_expect_eq(st.failed + st.dropped + st.retries, 0);
    uint64_t hist = 0;
    for (int i = 0; i < WEBHOOK_LATENCY_BUCKETS; i++)
        hist += st.latency_count[i];
    cr_expect_eq(hist, 1);
    cr_expect_eq(st.queued, 0);
    shutdown_engine(&loop, w);
}

Test(webhook, order_is_kept)
{
    uv_loop_t loop;
    webhook *w = engine(&loop, (webhook_options){0});
    char url[128], body[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ok/order", rx.port);
    for (int i = 0; i < 20; i++) {
        int n = snprintf(body, sizeof body, "{\"seq\":%d}", i);
        cr_assert_eq(webhook_send(w, url, "k", body, (size_t)n), 0);
    }
    cr_expect_eq(webhook_queue_depth(w, url, "k"), 20);
    cr_assert(run_until(&loop, have_results, &(want_n){20}, 10000));
    cJSON *reqs = receiver_requests(&rx), *q;
    cr_assert_eq(cJSON_GetArraySize(reqs), 20);
    int i = 0;
    cJSON_ArrayForEach(q, reqs)
    {
        snprintf(body, sizeof body, "{\"seq\":%d}", i++);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(q, "body")), body);
    }
    cJSON_Delete(reqs);
    cr_expect_eq(webhook_queue_depth(w, url, "k"), 0);
    webhook_stats st;
    webhook_get_stats(w, &st);
    cr_expect_eq(st.targets, 0, "idle targets are freed");
    shutdown_engine(&loop, w);
}

/* Keyed queues: order holds per key, keys interleave freely. */
Test(webhook, order_is_kept_per_key)
{
    uv_loop_t loop;
    webhook *w = engine(&loop, (webhook_options){0});
    char url[128], body[64], key[8];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/slow/20/keys", rx.port);
    for (int i = 0; i < 15; i++) {
        snprintf(key, sizeof key, "k%d", i % 3);
        int n = snprintf(body, sizeof body, "{\"key\":\"%s\",\"seq\":%d}", key, i / 3);
        cr_assert_eq(webhook_send_keyed(w, url, "s", key, body, (size_t)n), 0);
    }
    webhook_stats st;
    webhook_get_stats(w, &st);
    cr_expect_eq(st.targets, 3);
    cr_expect_eq(st.inflight, 3, "one delivery in flight per key");
    cr_expect_eq(webhook_queue_depth(w, url, "s"), 0, "the unkeyed queue is another one");
    cr_assert(run_until(&loop, have_results, &(want_n){15}, 10000));
    cJSON *reqs = receiver_requests(&rx), *q;
    cr_assert_eq(cJSON_GetArraySize(reqs), 15);
    int next[3] = {0, 0, 0};
    cJSON_ArrayForEach(q, reqs)
    {
        cJSON *b = cJSON_Parse(cJSON_GetStringValue(cJSON_GetObjectItem(q, "body")));
        cr_assert_not_null(b);
        int k = cJSON_GetStringValue(cJSON_GetObjectItem(b, "key"))[1] - '0';
        cr_assert(k >= 0 && k < 3);
        cr_expect_eq(cJSON_GetObjectItem(b, "seq")->valueint, next[k]++, "key %d in order", k);
        cJSON_Delete(b);
    }
    cJSON_Delete(reqs);
    shutdown_engine(&loop, w);
}

static int delivered_n;
static double latency_max;
static void count_result(const webhook_result *r, void *arg)
{
    (void)arg;
    delivered_n += r->delivered;
    if (r->latency > latency_max)
        latency_max = r->latency;
}
static bool all_delivered(void *arg) { return delivered_n >= *(int *)arg; }

/* The contact-centre case: every call's subscription posts to one CRM URL. A tick queues one
 * webhook per subscription at once; each subscription is its own queue, so none waits behind
 * the others (serially, 200 answers of 100 ms would take 20 s) and none is dropped even with
 * a per-queue bound of 4. */
Test(webhook, many_subscriptions_one_receiver)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    delivered_n = 0;
    latency_max = 0;
    webhook *w = webhook_new(&loop, &(webhook_options){.queue_max = 4,
                                                       .on_result = count_result});
    cr_assert_not_null(w);
    char url[128], key[16], body[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/slow/100/crm", rx.port);
    enum { SUBS = 200 };
    for (int i = 0; i < SUBS; i++) {
        snprintf(key, sizeof key, "sub-%d", i);
        int n = snprintf(body, sizeof body, "{\"sub\":%d}", i);
        cr_assert_eq(webhook_send_keyed(w, url, "secret", key, body, (size_t)n), 0);
    }
    int want = SUBS;
    cr_assert(run_until(&loop, all_delivered, &want, 10000), "%d of %d delivered", delivered_n,
              SUBS);
    cr_expect(latency_max < 1.0, "every subscription within a second: slowest %.3f s",
              latency_max);
    webhook_stats st;
    webhook_get_stats(w, &st);
    cr_expect_eq(st.delivered, SUBS);
    cr_expect_eq(st.dropped + st.failed + st.retries, 0);
    cr_expect_eq(receiver_count(&rx, "/slow/100/crm"), SUBS);
    webhook_close(w, 0, set_flag, &closed_flag);
    cr_assert(run_until(&loop, flag_is_set, &closed_flag, 3000));
    cr_expect_eq(loop_finish(&loop), 0);
}

Test(webhook, retry_after_500_then_success)
{
    uv_loop_t loop;
    webhook *w = engine(&loop, (webhook_options){.backoff_base_ms = 200});
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/flaky/r1", rx.port);
    cr_assert_eq(webhook_send(w, url, "k", "{}", 2), 0);
    cr_assert(run_until(&loop, have_results, &(want_n){1}, 5000));
    cr_expect(res.r[0].delivered);
    cr_expect_eq(res.r[0].attempts, 2);
    cr_expect(res.r[0].latency >= 0.19, "backoff respected: %.3f s", res.r[0].latency);
    cJSON *reqs = receiver_requests(&rx);
    cr_assert_eq(cJSON_GetArraySize(reqs), 2);
    cJSON *a = cJSON_GetArrayItem(reqs, 0), *b = cJSON_GetArrayItem(reqs, 1);
    cr_expect_str_eq(hdr(a, "X-Callprint-Delivery"), hdr(b, "X-Callprint-Delivery"));
    cr_expect_str_eq(hdr(b, "X-Callprint-Attempt"), "2");
    cJSON_Delete(reqs);
    webhook_stats st;
    webhook_get_stats(w, &st);
    cr_expect_eq(st.retries, 1);
    cr_expect_eq(st.delivered, 1);
    shutdown_engine(&loop, w);
}

Test(webhook, client_error_is_not_retried)
{
    uv_loop_t loop;
    webhook *w = engine(&loop, (webhook_options){.backoff_base_ms = 50});
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/status/400", rx.port);
    cr_assert_eq(webhook_send(w, url, NULL, "{}", 2), 0);
    cr_assert(run_until(&loop, have_results, &(want_n){1}, 5000));
    cr_expect(!res.r[0].delivered);
    cr_expect_eq(res.r[0].status, 400);
    cr_expect_eq(res.r[0].attempts, 1);
    cJSON *reqs = receiver_requests(&rx);
    cr_expect_null(hdr(cJSON_GetArrayItem(reqs, 0), "X-Callprint-Signature"), "no secret: unsigned");
    cJSON_Delete(reqs);
    shutdown_engine(&loop, w);
}

/* A dead receiver is retried a bounded number of times while a healthy one, fed at the same
 * time, gets every message promptly. */
Test(webhook, dead_receiver_does_not_delay_others)
{
    uv_loop_t loop;
    webhook *w = engine(&loop, (webhook_options){.max_attempts = 3, .backoff_base_ms = 300});
    char dead[128], good[128];
    snprintf(dead, sizeof dead, "http://127.0.0.1:%d/dead", dead_port());
    snprintf(good, sizeof good, "http://127.0.0.1:%d/ok/good", rx.port);
    cr_assert_eq(webhook_send(w, dead, "k", "{\"d\":1}", 7), 0);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(webhook_send(w, good, "k", "{\"g\":1}", 7), 0);
    cr_assert(run_until(&loop, have_results, &(want_n){5}, 3000));
    cr_expect_eq(count_for("/ok/good", true), 5, "healthy receiver served first");
    for (int i = 0; i < 5; i++)
        cr_expect(res.r[i].latency < 0.5, "good delivery %d took %.3f s", i, res.r[i].latency);
    cr_assert(run_until(&loop, have_results, &(want_n){6}, 5000));
    cr_expect_eq(count_for("/dead", false), 1);
    cr_expect_eq(res.r[5].attempts, 3);
    cr_expect(res.r[5].latency >= 0.85, "backoff 0.3 + 0.6 s: %.3f", res.r[5].latency);
    webhook_stats st;
    webhook_get_stats(w, &st);
    cr_expect_eq(st.failed, 1);
    cr_expect_eq(st.retries, 2);
    cr_expect_eq(st.delivered, 5);
    shutdown_engine(&loop, w);
}

Test(webhook, slow_receiver_times_out_others_on_time)
{
    uv_loop_t loop;
    webhook *w = engine(&loop, (webhook_options){.max_attempts = 2, .backoff_base_ms = 100,
                                                 .timeout_ms = 400});
    char slow[128], good[128];
    snprintf(slow, sizeof slow, "http://127.0.0.1:%d/slow/2500/s", rx.port);
    snprintf(good, sizeof good, "http://127.0.0.1:%d/ok/g2", rx.port);
    cr_assert_eq(webhook_send(w, slow, "k", "{}", 2), 0);
    cr_assert_eq(webhook_send(w, good, "k", "{}", 2), 0);
    cr_assert(run_until(&loop, have_results, &(want_n){1}, 3000));
    cr_expect(strstr(res.url[0], "/ok/g2") && res.r[0].delivered);
    cr_expect(res.r[0].latency < 0.3, "%.3f s", res.r[0].latency);
    cr_assert(run_until(&loop, have_results, &(want_n){2}, 5000));
    cr_expect(!res.r[1].delivered);
    cr_expect_eq(res.r[1].attempts, 2);
    cr_expect(res.r[1].latency < 1.5, "two 0.4 s attempts + 0.1 s backoff: %.3f",
              res.r[1].latency);
    shutdown_engine(&loop, w);
}

Test(webhook, full_queue_drops_oldest)
{
    uv_loop_t loop;
    webhook *w = engine(&loop, (webhook_options){.queue_max = 4});
    char url[128], body[32];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/slow/300/q", rx.port);
    for (int i = 0; i < 10; i++) {
        int n = snprintf(body, sizeof body, "{\"seq\":%d}", i);
        cr_assert_eq(webhook_send(w, url, "k", body, (size_t)n), 0);
    }
    webhook_stats st;
    webhook_get_stats(w, &st);
    cr_expect_eq(st.dropped, 5);
    cr_expect_eq(st.queued, 5, "one in flight + 4 waiting");
    cr_expect_eq(st.max_depth, 5);
    cr_assert(run_until(&loop, have_results, &(want_n){5}, 8000));
    cJSON *reqs = receiver_requests(&rx);
    cr_assert_eq(cJSON_GetArraySize(reqs), 5);
    const int want[] = {0, 6, 7, 8, 9};
    for (int i = 0; i < 5; i++) {
        snprintf(body, sizeof body, "{\"seq\":%d}", want[i]);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, i),
                                                                  "body")), body);
    }
    cJSON_Delete(reqs);
    shutdown_engine(&loop, w);
}

Test(webhook, close_drops_waiting_and_frees)
{
    uv_loop_t loop;
    webhook *w = engine(&loop, (webhook_options){0});
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/slow/1500/z", rx.port);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(webhook_send(w, url, "k", "{}", 2), 0);
    run_for(&loop, 100);
    webhook_close(w, 0, set_flag, &closed_flag);
    cr_expect_eq(webhook_send(w, url, "k", "{}", 2), -1);
    cr_assert(run_until(&loop, flag_is_set, &closed_flag, 3000));
    cr_expect_eq(res.n, 1, "the in-flight one is reported (cancelled)");
    cr_expect(!res.r[0].delivered);
    cr_expect_eq(loop_finish(&loop), 0);
}

Test(webhook, bad_input)
{
    uv_loop_t loop;
    webhook *w = engine(&loop, (webhook_options){.max_targets = 1});
    cr_expect_eq(webhook_send(w, "ftp://127.0.0.1/", "k", "{}", 2), -1);
    cr_expect_eq(webhook_send(w, NULL, "k", "{}", 2), -1);
    char a[128], b[128];
    snprintf(a, sizeof a, "http://127.0.0.1:%d/slow/200/a", rx.port);
    snprintf(b, sizeof b, "http://127.0.0.1:%d/ok/b", rx.port);
    cr_expect_eq(webhook_send(w, a, "k", "{}", 2), 0);
    cr_expect_eq(webhook_send(w, b, "k", "{}", 2), -1, "max_targets bound");
    shutdown_engine(&loop, w);
}

/* ---------- HTTPS ---------- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static void make_pki(const char *d)
{
    char ext[512];
    snprintf(ext, sizeof ext, "%s/ext.cnf", d);
    FILE *f = fopen(ext, "w");
    cr_assert_not_null(f);
    fputs("subjectAltName=IP:127.0.0.1,DNS:localhost\n", f);
    fclose(f);
    const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    cr_assert_eq(sh("cd %s && openssl req -x509 %s -keyout ca.key -out ca.pem -days 2 "
                    "-subj /CN=callprint-test-ca 2>/dev/null", d, ec), 0);
    cr_assert_eq(sh("cd %s && openssl req %s -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 "
                    "2>/dev/null", d, ec), 0);
    cr_assert_eq(sh("cd %s && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key "
                    "-CAcreateserial -out srv.pem -days 2 -extfile ext.cnf 2>/dev/null", d), 0);
    /* A client certificate from the same CA, for mutual TLS. */
    cr_assert_eq(sh("cd %s && openssl req %s -keyout cli.key -out cli.csr -subj /CN=callprint "
                    "2>/dev/null && openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key "
                    "-CAcreateserial -out cli.pem -days 2 2>/dev/null", d, ec), 0);
}

Test(webhook, https_verifies_against_configured_ca)
{
    char cert[512], key[512], ca[512], url[128];
    make_pki(dir);
    snprintf(cert, sizeof cert, "%s/srv.pem", dir);
    snprintf(key, sizeof key, "%s/srv.key", dir);
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    receiver tls;
    cr_assert_eq(receiver_start(&tls, dir, cert, key), 0);
    snprintf(url, sizeof url, "https://127.0.0.1:%d/ok/tls", tls.port);

    uv_loop_t loop;
    webhook *w = engine(&loop, (webhook_options){.tls = {.ca_file = ca}});
    cr_assert_eq(webhook_send(w, url, "k", "{\"tls\":1}", 9), 0);
    cr_assert(run_until(&loop, have_results, &(want_n){1}, 5000));
    cr_expect(res.r[0].delivered, "delivered over TLS with the CA configured");
    shutdown_engine(&loop, w);

    /* Same receiver, verification on (the default) and no CA: refused, nothing received. */
    closed_flag = false;
    w = engine(&loop, (webhook_options){.max_attempts = 1});
    cr_assert_eq(webhook_send(w, url, "k", "{\"tls\":2}", 9), 0);
    cr_assert(run_until(&loop, have_results, &(want_n){2}, 5000));
    cr_expect(!res.r[1].delivered);
    cr_expect_eq(res.r[1].status, 0);
    shutdown_engine(&loop, w);
    cr_expect_eq(receiver_count(&tls, "/ok/tls"), 1);
    receiver_stop(&tls);
}

Test(webhook, mutual_tls_client_certificate)
{
    char cert[512], key[512], ca[512], ccert[512], ckey[512], url[128];
    make_pki(dir);
    snprintf(cert, sizeof cert, "%s/srv.pem", dir);
    snprintf(key, sizeof key, "%s/srv.key", dir);
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(ccert, sizeof ccert, "%s/cli.pem", dir);
    snprintf(ckey, sizeof ckey, "%s/cli.key", dir);
    receiver tls;
    cr_assert_eq(receiver_start_mtls(&tls, dir, cert, key, ca), 0);
    snprintf(url, sizeof url, "https://127.0.0.1:%d/ok/mtls", tls.port);

    uv_loop_t loop;
    webhook *w = engine(&loop, (webhook_options){
                                   .tls = {.ca_file = ca, .cert_file = ccert, .key_file = ckey}});
    cr_assert_eq(webhook_send(w, url, "k", "{}", 2), 0);
    cr_assert(run_until(&loop, have_results, &(want_n){1}, 5000));
    cr_expect(res.r[0].delivered, "client certificate presented and accepted");
    shutdown_engine(&loop, w);

    closed_flag = false;
    w = engine(&loop, (webhook_options){.max_attempts = 1, .tls = {.ca_file = ca}});
    cr_assert_eq(webhook_send(w, url, "k", "{}", 2), 0);
    cr_assert(run_until(&loop, have_results, &(want_n){2}, 5000));
    cr_expect(!res.r[1].delivered, "no client certificate: refused by the receiver");
    shutdown_engine(&loop, w);
    cr_expect_eq(receiver_count(&tls, "/ok/mtls"), 1);
    receiver_stop(&tls);
}
