/* test_forward.c -- the org-API forwarder (gateway/sessions/forward.h) on a libuv loop in the test,
 * against real HTTPS receivers (tests/support/receiver.py) with a CA made by the openssl CLI:
 * final vs retried statuses, transport errors, certificate verification (an unknown CA fails),
 * mutual TLS, the bearer token, duplicate suppression, shutdown during a backoff. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sessions/forward.h"
#include "redis_proc.h"
#include "e2e.h"

static char dir[256], ca[300], cert[300], key[300], ccert[300], ckey[300];
static e2e_proc rx;
static uv_loop_t loop;
static uv_timer_t tick; /* keeps run_for()'s UV_RUN_ONCE from sleeping until a backoff */

typedef struct {
    int done;
    bool ok;
    long status;
    int attempts;
    char text[256];
} outcome;

static void on_done(void *arg, const char *session_id, bool ok, long http_status, int attempts,
                    const char *status)
{
    outcome *o = arg;
    (void)session_id;
    o->done = 1;
    o->ok = ok;
    o->status = http_status;
    o->attempts = attempts;
    snprintf(o->text, sizeof o->text, "%s", status);
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
}

static void setup(void)
{
    e2e_tmpdir(dir, sizeof dir);
    cr_assert_eq(e2e_make_certs(dir), 0);
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(cert, sizeof cert, "%s/srv.pem", dir);
    snprintf(key, sizeof key, "%s/srv.key", dir);
    snprintf(ccert, sizeof ccert, "%s/cli.pem", dir);
    snprintf(ckey, sizeof ckey, "%s/cli.key", dir);
    cr_assert_eq(e2e_receiver(&rx, dir, cert, key, NULL), 0);
    uv_loop_init(&loop);
    uv_timer_init(&loop, &tick);
    uv_timer_start(&tick, on_tick, 5, 5);
}

static void teardown(void)
{
    e2e_stop(&rx);
    uv_close((uv_handle_t *)&tick, NULL);
    for (int i = 0; i < 100 && uv_run(&loop, UV_RUN_NOWAIT); i++)
        usleep(1000);
    cr_expect_eq(uv_loop_close(&loop), 0, "a handle was left open");
    e2e_rmdir(dir);
}

TestSuite(forward, .init = setup, .fini = teardown, .timeout = 60);

static forward *make(const char *path, int port, const forward_options *extra)
{
    char url[256], err[256];
    snprintf(url, sizeof url, "https://127.0.0.1:%d%s", port ? port : rx.port, path);
    forward_options o = extra ? *extra : (forward_options){0};
    o.url = url;
    if (!o.ca_file)
        o.ca_file = ca;
    o.backoff_ms = 50;
    o.timeout_ms = o.timeout_ms ? o.timeout_ms : 3000;
    forward *f = forward_new(&loop, &o, err, sizeof err);
    cr_assert_not_null(f, "%s", err);
    return f;
}

static void set_int(void *p)
{
    *(int *)p = 1;
}

static void close_forward(forward *f)
{
    int closed = 0;
    forward_close(f, 1000, set_int, &closed);
    cr_expect(run_until(&loop, &closed, 3000), "the forwarder did not close");
    forward_free(f);
}

static outcome submit(forward *f, const char *session, const char *ext)
{
    outcome o = {0};
    cr_assert_eq(forward_submit(f, session, ext, "verified", "{\"x\":1}", on_done, &o), 0);
    cr_assert(run_until(&loop, &o.done, 20000), "no outcome");
    return o;
}

static cJSON *request(int i)
{
    cJSON *all = e2e_received(&rx);
    cJSON *r = cJSON_Duplicate(cJSON_GetArrayItem(all, i), true);
    cJSON_Delete(all);
    return r;
}


static int received(void)
{
    cJSON *all = e2e_received(&rx);
    int n = cJSON_GetArraySize(all);
    cJSON_Delete(all);
    return n;
}

Test(forward, retried_until_delivered_with_one_idempotency_key_and_bearer)
{
    forward_options o = {.bearer_token = "tok-123", .attempts = 3};
    forward *f = make("/flaky/a", 0, &o);
    cr_expect(forward_wants(f, "verified"));
    cr_expect(!forward_wants(f, "not_sure"));
    outcome r = submit(f, "s-1", "ext-1");
    cr_expect(r.ok);
    cr_expect_eq(r.status, 200);
    cr_expect_eq(r.attempts, 2);
    cr_expect_str_eq(r.text, "200");
    cr_assert_eq(received(), 2);
    for (int i = 0; i < 2; i++) {
        cJSON *q = request(i);
        cr_expect_str_eq(e2e_header(q, "Idempotency-Key") ?: "", "s-1:ext-1");
        cr_expect_str_eq(e2e_header(q, "Authorization") ?: "", "Bearer tok-123");
        cr_expect_null(e2e_header(q, "X-API-Key"));
        cr_expect_str_eq(e2e_header(q, "Content-Type") ?: "", "application/json");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(q, "body")), "{\"x\":1}");
        cJSON_Delete(q);
    }
    /* The same session and verdict is never forwarded twice. */
    cr_expect_eq(forward_submit(f, "s-1", "ext-1", "verified", "{}", on_done, NULL), 1);
    close_forward(f);
}

Test(forward, final_status_is_not_retried_and_transport_errors_are)
{
    forward_options o = {.api_key = "k-9", .attempts = 3};
    forward *f = make("/status/404", 0, &o);
    outcome r = submit(f, "s-2", NULL);
    cr_expect(!r.ok);
    cr_expect_eq(r.attempts, 1);
    cr_expect_str_eq(r.text, "failed: HTTP 404 after 1 attempt");
    cJSON *q = request(0);
    cr_expect_str_eq(e2e_header(q, "X-API-Key") ?: "", "k-9");
    cr_expect_str_eq(e2e_header(q, "Idempotency-Key") ?: "", "s-2:NA");
    cJSON_Delete(q);
    close_forward(f);

    f = make("/status/503", 0, &o);
    r = submit(f, "s-3", "e");
    cr_expect_eq(r.attempts, 3);
    cr_expect_str_eq(r.text, "failed: HTTP 503 after 3 attempts");
    close_forward(f);

    int dead = free_port();
    f = make("/ok", dead, &o);
    r = submit(f, "s-4", "e");
    cr_expect(!r.ok);
    cr_expect_eq(r.status, 0);
    cr_expect_eq(r.attempts, 3);
    cr_expect(strstr(r.text, "after 3 attempts"), "%s", r.text);
    close_forward(f);
}

Test(forward, certificates_are_verified_and_mutual_tls_works)
{
    /* No CA file: the self-signed CA is unknown, so the TLS handshake fails (not retried into
     * success), and nothing reaches the receiver. */
    forward_options o = {.ca_file = "/etc/ssl/certs/ca-certificates.crt", .attempts = 1};
    forward *f = make("/ok/x", 0, &o);
    outcome r = submit(f, "s-5", "e");
    cr_expect(!r.ok);
    cr_expect_eq(r.status, 0);
    cr_expect_eq(received(), 0);
    close_forward(f);

    char sub[300];
    snprintf(sub, sizeof sub, "%s/mtls", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    e2e_proc m;
    cr_assert_eq(e2e_receiver(&m, sub, cert, key, ca), 0);
    forward_options none = {.attempts = 1};
    f = make("/ok/m", m.port, &none);
    r = submit(f, "s-6", "e");
    cr_expect(!r.ok, "a receiver requiring a client certificate accepted none");
    close_forward(f);
    forward_options with = {.attempts = 1, .client_cert = ccert, .client_key = ckey};
    f = make("/ok/m", m.port, &with);
    r = submit(f, "s-7", "e");
    cr_expect(r.ok, "%s", r.text);
    close_forward(f);
    e2e_stop(&m);
}

Test(forward, shutdown_during_backoff_and_bad_options)
{
    forward_options o = {.attempts = 5};
    char url[128], err[256];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/status/500", rx.port);
    o.url = url;
    o.ca_file = ca;
    o.backoff_ms = 5000; /* the retry would come long after the close */
    forward *f = forward_new(&loop, &o, err, sizeof err);
    cr_assert_not_null(f);
    outcome r = {0};
    cr_assert_eq(forward_submit(f, "s-8", "e", "verified", "{}", on_done, &r), 0);
    for (int i = 0; i < 400 && received() < 1; i++)
        run_for(&loop, 10);
    run_for(&loop, 100); /* the 500 has come back: the job sleeps */
    cr_assert(!r.done);
    int closed = 0;
    forward_close(f, 1000, set_int, &closed);
    cr_expect(r.done);
    cr_expect(!r.ok);
    cr_expect(strstr(r.text, "shutdown"), "%s", r.text);
    cr_expect(run_until(&loop, &closed, 3000));
    forward_free(f);

    forward_options bad = {.url = "ftp://x"};
    cr_expect_null(forward_new(&loop, &bad, err, sizeof err));
    cr_expect(strstr(err, "forward_url"), "%s", err);
    forward_options half = {.url = "https://x", .client_cert = ccert};
    cr_expect_null(forward_new(&loop, &half, err, sizeof err));
    forward_options off = {0};
    f = forward_new(&loop, &off, err, sizeof err);
    cr_assert_not_null(f);
    cr_expect(!forward_enabled(f));
    cr_expect_eq(forward_submit(f, "s", "e", "verified", "{}", on_done, NULL), -1);
    forward_close(f, 0, NULL, NULL);
    forward_free(f);
}
