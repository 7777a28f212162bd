/* test_http.c -- the HTTP router (http.h) over a real socket with libcurl.
 *
 * Synchronous and deferred replies, timeout of a deferred reply, headers,
 * query, body, the body limit (413), prefix routes, 404/405, a large chunked response.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "http/http.h"

static http_result echo(http_req *req, void *ud)
{
    (void)ud;
    size_t len;
    const char *body = http_req_body(req, &len);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "body", body);
    cJSON_AddNumberToObject(j, "len", (double)len);
    const char *q = http_req_query(req, "a"), *x = http_req_header(req, "x-test"),
               *ct = http_req_header(req, "content-type");
    cJSON_AddStringToObject(j, "q", q ? q : "(none)");
    cJSON_AddStringToObject(j, "x", x ? x : "(none)");
    cJSON_AddStringToObject(j, "ct", ct ? ct : "(none)");
    cJSON_AddStringToObject(j, "method", http_req_method(req));
    char *text = cJSON_PrintUnformatted(j);
    http_add_header(req, "x-reply", "yes");
    http_reply_json(req, 200, text);
    free(text);
    cJSON_Delete(j);
    return HTTP_DONE;
}

typedef struct {
    uv_timer_t timer;
    http_req *req;
    bool aborted, replied;
} slow_state;

static void slow_fire(uv_timer_t *t)
{
    slow_state *s = t->data;
    s->replied = true;
    http_reply(s->req, 202, "text/plain", "late", 4);
    s->req = NULL;
}

static void slow_abort(http_req *req, void *ud)
{
    slow_state *s = ud;
    s->aborted = true;
    uv_timer_stop(&s->timer);
    http_reply(req, 500, "text/plain", "", 0); /* frees the request */
    s->req = NULL;
}

static http_result slow(http_req *req, void *ud)
{
    slow_state *s = ud;
    s->req = req;
    http_req_on_abort(req, slow_abort, s);
    const char *ms = http_req_query(req, "ms");
    uv_timer_start(&s->timer, slow_fire, ms ? (uint64_t)atoi(ms) : 50, 0);
    return HTTP_DEFERRED;
}

static http_result item(http_req *req, void *ud)
{
    (void)ud;
    http_reply(req, 200, "text/plain", http_req_path_rest(req), strlen(http_req_path_rest(req)));
    return HTTP_DONE;
}

static http_result big(http_req *req, void *ud)
{
    (void)ud;
    size_t n = 100000;
    char *b = malloc(n);
    for (size_t i = 0; i < n; i++)
        b[i] = (char)('a' + i % 26);
    http_reply(req, 200, "text/plain", b, n);
    free(b);
    return HTTP_DONE;
}

static void small_body(config *c)
{
    c->http_body_max = 1024;
}

static slow_state slow_st;

static void routes(harness *h)
{
    http_router *r = server_router(h->srv);
    cr_assert_eq(http_route(r, "POST", "/echo", echo, NULL), 0);
    cr_assert_eq(http_route(r, "GET", "/slow", slow, &slow_st), 0);
    cr_assert_eq(http_route(r, "GET", "/items/*", item, NULL), 0);
    cr_assert_eq(http_route(r, "GET", "/big", big, NULL), 0);
    uv_timer_init(&h->loop, &slow_st.timer);
    slow_st.timer.data = &slow_st;
}

/* GET path answers status with exactly `want` as its body. */
static void expect_get(harness *h, const char *path, int status, const char *want)
{
    char *body;
    cr_assert_eq(h_http(h, "GET", path, NULL, 0, NULL, 0, &body, 3000), status);
    cr_assert_str_eq(body, want);
    free(body);
}

static void unroute(harness *h)
{
    (void)h;
    uv_close((uv_handle_t *)&slow_st.timer, NULL);
}

Test(http, healthz_head_404_405_411_426)
{
    harness h;
    h_init(&h, NULL);
    char *body;
    cr_assert_eq(h_http(&h, "GET", "/healthz", NULL, 0, NULL, 0, &body, 3000), 200);
    cr_assert(strstr(body, "\"status\":\"ok\""), "%s", body);
    free(body);
    cr_assert_eq(h_http(&h, "GET", "/nothing-here", NULL, 0, NULL, 0, NULL, 3000), 404);
    cr_assert_eq(h_http(&h, "POST", "/healthz", NULL, 0, "x", 1, NULL, 3000), 405);
    cr_assert_eq(h_http(&h, "GET", "/stream", NULL, 0, NULL, 0, NULL, 3000), 426);
    cr_assert_eq(h_http(&h, "HEAD", "/healthz", NULL, 0, NULL, 0, &body, 3000), 200);
    cr_assert_null(body, "HEAD answered with a body");
    const char *chunked[] = {"transfer-encoding", "chunked"};
    cr_assert_eq(h_http(&h, "POST", "/healthz", chunked, 1, "abc", 3, NULL, 3000), 411);
    cr_assert_eq(h_http(&h, "GET", "/healthz", NULL, 0, NULL, 0, NULL, 3000), 200);
    h_fini(&h);
}

Test(http, body_headers_query_and_limit)
{
    harness h;
    h_init(&h, small_body);
    routes(&h);
    const char *hdr[] = {"x-test", "hello", "content-type", "application/json"};
    char *body;
    const char *json = "{\"k\":\"v\"}";
    cr_assert_eq(h_http(&h, "POST", "/echo?a=1%202&b=3", hdr, 2, json, strlen(json), &body, 3000),
                 200);
    cJSON *j = cJSON_Parse(body);
    cr_assert_not_null(j, "%s", body);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "body")->valuestring, json);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "x")->valuestring, "hello");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "ct")->valuestring, "application/json");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "q")->valuestring, "1 2");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "method")->valuestring, "POST");
    cJSON_Delete(j);
    free(body);
    char big_body[2000];
    memset(big_body, 'z', sizeof big_body);
    cr_assert_eq(h_http(&h, "POST", "/echo", NULL, 0, big_body, sizeof big_body, NULL, 3000), 413);
    /* the server is still fine afterwards */
    cr_assert_eq(h_http(&h, "POST", "/echo", NULL, 0, "ok", 2, NULL, 3000), 200);
    unroute(&h);
    h_fini(&h);
}

static void short_http_timeout(config *c)
{
    c->http_timeout_s = 1;
}

Test(http, deferred_reply_and_its_timeout)
{
    harness h;
    h_init(&h, short_http_timeout);
    routes(&h);
    expect_get(&h, "/slow?ms=60", 202, "late");
    cr_assert(slow_st.replied);
    /* The handler would reply after 5 s; the deferral times out after 1 s: the
     * connection is closed and the handler is told (it then frees the request). */
    slow_st.replied = false;
    uint64_t t0 = uv_hrtime();
    cr_assert_eq(h_http(&h, "GET", "/slow?ms=5000", NULL, 0, NULL, 0, NULL, 3000), 0);
    cr_assert_lt((uv_hrtime() - t0) / 1000000, 3000);
    cr_assert(slow_st.aborted, "the handler was not told that its request was dropped");
    cr_assert_not(slow_st.replied);
    cr_assert_eq(h_http(&h, "GET", "/healthz", NULL, 0, NULL, 0, NULL, 3000), 200);
    unroute(&h);
    h_fini(&h);
}

Test(http, prefix_routes_and_large_bodies)
{
    harness h;
    h_init(&h, NULL);
    routes(&h);
    expect_get(&h, "/items/abc/def", 200, "abc/def");
    char *body;
    cr_assert_eq(h_http(&h, "GET", "/big", NULL, 0, NULL, 0, &body, 3000), 200);
    cr_assert_eq(strlen(body), 100000);
    for (size_t i = 0; i < 100000; i++)
        cr_assert_eq(body[i], (char)('a' + i % 26));
    free(body);
    unroute(&h);
    h_fini(&h);
}
