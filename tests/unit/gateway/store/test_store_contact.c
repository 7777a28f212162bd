/* test_store_contact.c -- Amazon Connect contact events become sessions: the MoCaaS paper's example
 * event, the same event without its optional attributes (NA, anonymous caller), a full event
 * from a caller in the customer directory (known, external_id), a retried Lambda call (same
 * session), and Redis down (fails fast). Real redis-server; responses checked as JSON. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect.h"
#include "fixture.h"
#include "store/store.h"
#include "store_fixture.h"

static store_fixture F;
static store *st;

typedef struct {
    int done;
    store_status st;
    char err[256];
    char session_id[128];
    cJSON *response;
} reg_result;

static void on_reg(void *arg, store_status s, const char *response, const char *session_id,
                   const char *err) {
    reg_result *r = arg;
    r->done = 1;
    r->st = s;
    snprintf(r->err, sizeof r->err, "%s", err ? err : "");
    snprintf(r->session_id, sizeof r->session_id, "%s", session_id ? session_id : "");
    if (response) {
        cr_expect_lt(strlen(response), CONNECT_MAX_RESPONSE);
        r->response = cJSON_Parse(response);
    }
}

static void setup(void) {
    store_fixture_init(&F, "cpcontact");
    st = store_fixture_open(&F, &(store_options){0});
}

static void teardown(void) {
    if (st) store_fixture_close(&F, st);
    store_fixture_fini(&F);
}

static void load_event(const char *name, connect_event *ev) {
    char rel[256];
    snprintf(rel, sizeof rel, "connect/%s", name);
    size_t n;
    char *buf = test_fixture(rel, 65536, &n);
    connect_error err;
    cr_assert_eq(connect_parse(buf, n, ev, &err), CONNECT_OK, "%s", err.msg);
    free(buf);
}

static reg_result reg(const char *fixture, const store_contact_options *opt) {
    connect_event ev;
    load_event(fixture, &ev);
    reg_result r = {0};
    store_contact_register(st, &ev, opt, on_reg, &r);
    connect_event_free(&ev); /* the registration must not need the event any more */
    cr_assert(run_until(&F.loop, &r.done, 5000));
    return r;
}

static const char *rstr(const reg_result *r, const char *key) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(r->response, key);
    cr_assert(cJSON_IsString(j), "response has no string %s", key);
    return j->valuestring;
}

static char *hget(const char *id, const char *field) {
    static char out[4][256];
    static int k;
    redisReply *r = redisCommand(F.rc, "HGET %ssession:%s %s", F.prefix, id, field);
    char *o = out[k++ % 4];
    snprintf(o, 256, "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "(nil)");
    freeReplyObject(r);
    return o;
}

/* The session hash of id holds these (field, value) pairs; NULL ends the list. */
static void expect_fields(const char *id, const char *const *kv) {
    for (size_t i = 0; kv[i]; i += 2)
        cr_expect_str_eq(hget(id, kv[i]), kv[i + 1], "session %s, field %s", id, kv[i]);
}

Test(contact, seed001_example_event, .init = setup, .fini = teardown) {
    reg_result r = reg("seed001_event.json", NULL);
    cr_assert_eq(r.st, STORE_OK, "%s", r.err);
    cr_expect_str_eq(r.session_id, "uuid-abc-123");
    cr_expect_str_eq(rstr(&r, "session_id"), "uuid-abc-123");
    cr_expect_str_eq(rstr(&r, "contact_id"), "unique-call-id");
    /* "+213XXXXXXXXX" is the paper's placeholder, not a number: flagged invalid */
    cr_expect_str_eq(rstr(&r, "caller_status"), "invalid");
    cr_expect_str_eq(rstr(&r, "caller_known"), "false");
    cr_expect_str_eq(rstr(&r, "external_id"), "");
    expect_fields("uuid-abc-123", (const char *const[]){
        "network_type", "landline",
        "location", "Oran, DZ",
        "contact_id", "unique-call-id",
        "dialled", "AmazonConnectNumber",
        "start_time", "2025-05-21T16:14:22Z",
        "channel", "VOICE",
        "caller", "+213XXXXXXXXX",
        "attr.location", "Oran, DZ",
        NULL});
    cJSON_Delete(r.response);
    redisReply *a = redisCommand(F.rc, "XLEN %saudit", F.prefix);
    cr_expect_eq(a->integer, 1, "one contact audit entry");
    freeReplyObject(a);
}

Test(contact, missing_optional_attributes_and_anonymous_caller, .init = setup, .fini = teardown) {
    reg_result r = reg("seed001_missing_optional.json", NULL);
    cr_assert_eq(r.st, STORE_OK, "%s", r.err);
    cr_expect_str_eq(rstr(&r, "caller_status"), "anonymous");
    cr_expect_str_eq(rstr(&r, "caller"), "anonymous");
    cr_expect_str_eq(rstr(&r, "caller_known"), "false");
    expect_fields("uuid-def-456", (const char *const[]){
        "network_type", "NA",
        "location", "NA",
        "dialled", "NA",
        "caller_status", "anonymous",
        NULL});
    cJSON_Delete(r.response);
}

Test(contact, known_caller_retried_lambda_and_response_extras, .init = setup, .fini = teardown) {
    store_answer d = {0};
    store_directory_set(st, "+442079460958", "cust-0042", store_answer_done, &d);
    cr_assert(run_until(&F.loop, &d.done, 3000));
    cr_assert_eq(d.st, STORE_OK);
    const char *extra[] = {"stream_url", "wss://gw.example.com/stream", "mode", "verify"};
    store_contact_options opt = {.default_cc = "44", .extra = extra, .n_extra = 2};
    reg_result r = reg("full_event.json", &opt);
    cr_assert_eq(r.st, STORE_OK, "%s", r.err);
    const char *sid = "0b9b6f0e-4a39-4b61-9d3e-2f6a1c3b7e55";
    cr_expect_str_eq(rstr(&r, "session_id"), sid);
    cr_expect_str_eq(rstr(&r, "caller"), "+442079460958");
    cr_expect_str_eq(rstr(&r, "caller_status"), "known");
    cr_expect_str_eq(rstr(&r, "caller_known"), "true");
    cr_expect_str_eq(rstr(&r, "external_id"), "cust-0042");
    cr_expect_str_eq(rstr(&r, "stream_url"), "wss://gw.example.com/stream");
    cr_expect_str_eq(rstr(&r, "mode"), "verify");
    cJSON_Delete(r.response);
    expect_fields(sid, (const char *const[]){
        "external_id", "cust-0042",
        "param.external_id", "cust-0042",
        "attr.customer_tier", "gold",
        NULL});

    /* the stream joins by ContactId or by caller */
    redisReply *j =
        redisCommand(F.rc, "GET %ssession:by-contact:4a573372-1f28-4e26-b97b-1c6b3f0d2a11", F.prefix);
    cr_expect_str_eq(j->str, sid);
    freeReplyObject(j);
    j = redisCommand(F.rc, "GET %ssession:by-caller:+442079460958", F.prefix);
    cr_expect_str_eq(j->str, sid);
    freeReplyObject(j);

    /* the Lambda retries: same session, still one session hash */
    r = reg("full_event.json", &opt);
    cr_assert_eq(r.st, STORE_OK);
    cr_expect_str_eq(r.session_id, sid);
    cJSON_Delete(r.response);
    redisReply *n = redisCommand(F.rc, "EVAL %s 0 %ssession:*",
                                 "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do "
                                 "if redis.call('TYPE', k).ok == 'hash' then n = n + 1 end end "
                                 "return n", F.prefix);
    cr_expect_eq(n->integer, 1);
    freeReplyObject(n);
}

Test(contact, response_over_32k_is_refused_and_redis_down_fails_fast, .init = setup,
     .fini = teardown) {
    static char big[CONNECT_MAX_RESPONSE];
    memset(big, 'x', sizeof big - 1);
    const char *extra[] = {"blob", big};
    store_contact_options opt = {.extra = extra, .n_extra = 1};
    reg_result r = reg("seed001_event.json", &opt);
    cr_expect_eq(r.st, STORE_INVALID);
    cr_expect(strstr(r.err, "32 KB"), "%s", r.err);

    store_fixture_close(&F, st);
    char down[64];
    snprintf(down, sizeof down, "redis://127.0.0.1:%d/0", free_port());
    store_options o = {.url = down};
    char err[256];
    st = store_open(&F.loop, &o, err, sizeof err);
    connect_event ev;
    load_event("seed001_event.json", &ev);
    r = (reg_result){0};
    cr_expect_eq(store_contact_register(st, &ev, NULL, on_reg, &r), -1);
    cr_expect(r.done, "must answer at once");
    cr_expect_eq(r.st, STORE_UNAVAILABLE);
    connect_event_free(&ev);
}
