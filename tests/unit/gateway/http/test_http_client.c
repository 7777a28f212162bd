/* http_client against a real receiver process: status codes, request body, bounds,
 * timeouts, and shutdown that cancels and frees everything (run under ASan). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "http/http_client.h"

typedef struct {
    int done;
    long status;
    int curl_code;
    bool cancelled, timed_out;
    char body[128];
} outcome;

static void on_done(const http_response *res, void *arg)
{
    outcome *o = arg;
    o->done++;
    o->status = res->status;
    o->curl_code = res->curl_code;
    o->cancelled = res->cancelled;
    o->timed_out = res->timed_out;
    snprintf(o->body, sizeof o->body, "%s", res->body);
}

static bool all_done(void *arg)
{
    outcome *o = arg;
    for (int i = 0; i < 4; i++)
        if (!o[i].done)
            return false;
    return true;
}

static bool one_done(void *arg) { return ((outcome *)arg)->done > 0; }

static bool closed_flag;

static char dir[256];
static receiver rx;
static void setup(void)
{
    tmpdir_make(dir, sizeof dir);
    cr_assert(dir[0]);
    cr_assert_eq(receiver_start(&rx, dir, NULL, NULL), 0);
    closed_flag = false;
}
static void teardown(void)
{
    receiver_stop(&rx);
    tmpdir_remove(dir);
}

TestSuite(http_client, .init = setup, .fini = teardown, .timeout = 30);

/* Close without draining, wait for the close, and expect no handle left on the loop. */
static void close_at_once(http_client *c, uv_loop_t *loop)
{
    http_client_close(c, 0, set_flag, &closed_flag);
    cr_assert(run_until(loop, flag_is_set, &closed_flag, 2000));
    cr_expect_eq(loop_finish(loop), 0);
}

Test(http_client, statuses_body_and_bounds)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    http_client *c = http_client_new(&loop, &(http_client_options){.max_inflight = 2,
                                                                   .max_queued = 2});
    cr_assert_not_null(c);
    char url[4][128];
    snprintf(url[0], 128, "http://127.0.0.1:%d/ok/a", rx.port);
    snprintf(url[1], 128, "http://127.0.0.1:%d/status/503", rx.port);
    snprintf(url[2], 128, "http://127.0.0.1:%d/status/404", rx.port);
    snprintf(url[3], 128, "http://127.0.0.1:%d/slow/200/x", rx.port);
    outcome o[4] = {0}, extra = {0};
    const char *hdr[] = {"X-Test: yes", NULL};
    for (int i = 0; i < 4; i++) {
        http_request r = {.method = "POST", .url = url[i], .headers = hdr, .body = "{\"n\":1}",
                          .body_len = 7};
        cr_assert_eq(http_client_request(c, &r, on_done, &o[i]), 0);
    }
    cr_expect_eq(http_client_inflight(c), 2);
    cr_expect_eq(http_client_queued(c), 2);
    /* Both bounds reached: refused, not grown. */
    http_request r5 = {.url = url[0]};
    cr_expect_eq(http_client_request(c, &r5, on_done, &extra), HTTP_EBUSY);
    cr_expect_eq(http_client_request(c, &(http_request){.url = "ftp://x/"}, on_done, &extra),
                 HTTP_EINVAL);
    cr_assert(run_until(&loop, all_done, o, 10000));
    cr_expect_eq(o[0].status, 200);
    cr_expect_str_eq(o[0].body, "{\"ok\":true}");
    cr_expect_eq(o[1].status, 503);
    cr_expect_eq(o[2].status, 404);
    cr_expect_eq(o[3].status, 200);
    cr_expect_eq(extra.done, 0);

    cJSON *reqs = receiver_requests(&rx);
    cr_assert_eq(cJSON_GetArraySize(reqs), 4);
    cJSON *first = cJSON_GetArrayItem(reqs, 0);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(first, "body")), "{\"n\":1}");
    cJSON *h = cJSON_GetObjectItem(first, "headers");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(h, "X-Test")), "yes");
    cr_expect(strncmp(cJSON_GetStringValue(cJSON_GetObjectItem(h, "User-Agent")), "callprint/",
                      10) == 0);
    cJSON_Delete(reqs);

    close_at_once(c, &loop);
}

Test(http_client, timeout_and_refused)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    http_client *c = http_client_new(&loop, NULL);
    char slow[128], dead[128];
    snprintf(slow, sizeof slow, "http://127.0.0.1:%d/slow/3000/t", rx.port);
    snprintf(dead, sizeof dead, "http://127.0.0.1:%d/ok", dead_port());
    outcome a = {0}, b = {0};
    cr_assert_eq(http_client_request(c, &(http_request){.url = slow, .timeout_ms = 300}, on_done,
                                     &a), 0);
    cr_assert_eq(http_client_request(c, &(http_request){.url = dead}, on_done, &b), 0);
    uv_update_time(&loop);
    uint64_t t0 = uv_now(&loop);
    cr_assert(run_until(&loop, one_done, &a, 5000));
    cr_expect(uv_now(&loop) - t0 < 1500, "timeout took %llu ms",
              (unsigned long long)(uv_now(&loop) - t0));
    cr_expect(a.timed_out);
    cr_expect_eq(a.status, 0);
    cr_assert(run_until(&loop, one_done, &b, 5000));
    cr_expect_eq(b.curl_code, 7 /* CURLE_COULDNT_CONNECT */);
    close_at_once(c, &loop);
}

Test(http_client, close_cancels_inflight_and_queued)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    http_client *c = http_client_new(&loop, &(http_client_options){.max_inflight = 1});
    char slow[128];
    snprintf(slow, sizeof slow, "http://127.0.0.1:%d/slow/2000/c", rx.port);
    outcome a = {0}, b = {0};
    cr_assert_eq(http_client_request(c, &(http_request){.url = slow}, on_done, &a), 0);
    cr_assert_eq(http_client_request(c, &(http_request){.url = slow}, on_done, &b), 0);
    run_for(&loop, 200); /* the first is on the wire */
    http_client_close(c, 100, set_flag, &closed_flag);
    cr_expect_eq(http_client_request(c, &(http_request){.url = slow}, on_done, &b), HTTP_EINVAL);
    cr_assert(run_until(&loop, flag_is_set, &closed_flag, 2000));
    cr_expect(a.done == 1 && a.cancelled);
    cr_expect(b.done == 1 && b.cancelled);
    cr_expect_eq(loop_finish(&loop), 0);
}

Test(http_client, drain_lets_inflight_finish)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    http_client *c = http_client_new(&loop, NULL);
    char slow[128];
    snprintf(slow, sizeof slow, "http://127.0.0.1:%d/slow/200/d", rx.port);
    outcome a = {0};
    cr_assert_eq(http_client_request(c, &(http_request){.url = slow}, on_done, &a), 0);
    http_client_close(c, 3000, set_flag, &closed_flag);
    cr_assert(run_until(&loop, flag_is_set, &closed_flag, 4000));
    cr_expect(a.done == 1 && !a.cancelled && a.status == 200);
    cr_expect_eq(loop_finish(&loop), 0);
}
