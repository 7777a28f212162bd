/* test_connect.c -- connect_parse() on the MoCaaS paper's example event, a full contact-flow event and
 * one malformed variant per defect; connect_build_response() within and over 32 KB. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect.h"
#include "fixture.h"

static char *fixture(const char *name, size_t *len) {
    char rel[256];
    snprintf(rel, sizeof rel, "connect/%s", name);
    return test_fixture(rel, CONNECT_MAX_EVENT, len);
}

static connect_status parse_fixture(const char *name, connect_event *ev, connect_error *err) {
    size_t len;
    char *json = fixture(name, &len);
    connect_status st = connect_parse(json, len, ev, err);
    free(json);
    return st;
}

Test(connect, seed001_example_event) {
    connect_event ev;
    connect_error err;
    cr_assert_eq(parse_fixture("seed001_event.json", &ev, &err), CONNECT_OK, "%s", err.msg);
    cr_expect_str_eq(ev.contact_id, "unique-call-id");
    cr_expect_str_eq(ev.customer.address, "+213XXXXXXXXX");
    cr_expect_str_eq(ev.customer.type, "TELEPHONE_NUMBER");
    cr_expect_str_eq(ev.system.address, "AmazonConnectNumber");
    cr_expect_str_eq(ev.system.type, "TELEPHONE NUMBER");
    cr_expect_str_eq(ev.initiation_timestamp, "2025-05-21T16:14:22Z");
    cr_expect_str_eq(ev.channel, "VOICE");
    cr_expect_eq(ev.n_attributes, 3);
    cr_expect_str_eq(connect_attribute(&ev, "session_id"), "uuid-abc-123");
    cr_expect_str_eq(connect_attribute(&ev, "network_type"), "landline");
    cr_expect_str_eq(connect_attribute(&ev, "location"), "Oran, DZ");
    cr_expect_null(connect_attribute(&ev, "missing"));
    cr_expect_null(ev.name);
    cr_expect_null(ev.customer_audio.stream_arn);
    cr_expect_eq(ev.n_parameters, 0);
    connect_event_free(&ev);
}

Test(connect, missing_optional_members_are_absent_not_errors) {
    connect_event ev;
    connect_error err;
    cr_assert_eq(parse_fixture("seed001_missing_optional.json", &ev, &err), CONNECT_OK, "%s",
                 err.msg);
    cr_expect_null(connect_attribute(&ev, "location"));
    cr_expect_null(connect_attribute(&ev, "network_type"));
    cr_expect_null(ev.system.address); /* "SystemEndpoint": null */
    cr_expect_str_eq(ev.customer.address, "anonymous");
    connect_event_free(&ev);
}

Test(connect, full_contact_flow_event) {
    connect_event ev;
    connect_error err;
    cr_assert_eq(parse_fixture("full_event.json", &ev, &err), CONNECT_OK, "%s", err.msg);
    cr_expect_str_eq(ev.name, "ContactFlowEvent");
    cr_expect_str_eq(ev.contact_id, "4a573372-1f28-4e26-b97b-1c6b3f0d2a11");
    cr_expect_str_eq(ev.initial_contact_id, ev.contact_id);
    cr_expect_null(ev.previous_contact_id);
    cr_expect_str_eq(ev.initiation_method, "INBOUND");
    cr_expect(strstr(ev.instance_arn, "arn:aws:connect:eu-west-2"));
    cr_expect(strstr(ev.customer_audio.stream_arn, "kinesisvideo"));
    cr_expect_str_eq(ev.customer_audio.start_timestamp, "1571360125131");
    cr_expect_null(ev.customer_audio.stop_timestamp);
    cr_expect_str_eq(ev.customer_audio.start_fragment_number,
                     "91343852333181432392682062607743920146264440144");
    cr_expect_eq(ev.n_attributes, 4);
    cr_expect_str_eq(ev.attributes[3].key, "customer_tier"); /* event order kept */
    cr_expect_eq(ev.n_parameters, 2);
    cr_expect_str_eq(connect_parameter(&ev, "mode"), "verify");
    cr_expect_str_eq(connect_parameter(&ev, "external_id"), "cust-0042");
    connect_event_free(&ev);
}

static void expect_bad(const char *name, connect_status want, const char *field) {
    connect_event ev;
    connect_error err;
    connect_status st = parse_fixture(name, &ev, &err);
    cr_expect_eq(st, want, "%s: status %s (%s)", name, connect_strerror(st), err.msg);
    cr_expect_eq(err.status, want, "%s", name);
    cr_expect_str_eq(err.field, field, "%s", name);
    cr_expect_neq(err.msg[0], '\0', "%s has no message", name);
    if (*field) cr_expect(strstr(err.msg, field), "%s: message '%s' does not name the field", name, err.msg);
    cr_expect_null(ev.contact_id);
    connect_event_free(&ev);
}

Test(connect, malformed_events_name_the_field) {
    expect_bad("bad_not_json.json", CONNECT_ERR_JSON, "");
    expect_bad("bad_truncated.json", CONNECT_ERR_JSON, "");
    expect_bad("bad_array.json", CONNECT_ERR_JSON, "");
    expect_bad("bad_no_details.json", CONNECT_ERR_MISSING, "Details");
    expect_bad("bad_details_string.json", CONNECT_ERR_TYPE, "Details");
    expect_bad("bad_no_contactdata.json", CONNECT_ERR_MISSING, "Details.ContactData");
    expect_bad("bad_no_contactid.json", CONNECT_ERR_MISSING, "Details.ContactData.ContactId");
    expect_bad("bad_contactid_number.json", CONNECT_ERR_TYPE, "Details.ContactData.ContactId");
    expect_bad("bad_contactid_empty.json", CONNECT_ERR_VALUE, "Details.ContactData.ContactId");
    expect_bad("bad_attribute_number.json", CONNECT_ERR_TYPE,
               "Details.ContactData.Attributes.location");
    expect_bad("bad_endpoint_string.json", CONNECT_ERR_TYPE,
               "Details.ContactData.CustomerEndpoint");
    expect_bad("bad_parameters_array.json", CONNECT_ERR_TYPE, "Details.Parameters");
    expect_bad("bad_stream_arn_bool.json", CONNECT_ERR_TYPE,
               "Details.ContactData.MediaStreams.Customer.Audio.StreamARN");
}

Test(connect, oversize_and_empty_inputs) {
    connect_event ev;
    connect_error err;
    size_t n = CONNECT_MAX_EVENT + 1;
    char *big = malloc(n);
    memset(big, ' ', n);
    cr_expect_eq(connect_parse(big, n, &ev, &err), CONNECT_ERR_TOO_LARGE);
    cr_expect(strstr(err.msg, "exceeds"));
    free(big);
    cr_expect_eq(connect_parse("", 0, &ev, &err), CONNECT_ERR_JSON);
    /* NUL-free parsing honours len: the trailing garbage is outside it. */
    const char *ok = "{\"Details\":{\"ContactData\":{\"ContactId\":\"c1\"}}}GARBAGE";
    cr_assert_eq(connect_parse(ok, strlen(ok) - 7, &ev, &err), CONNECT_OK, "%s", err.msg);
    cr_expect_str_eq(ev.contact_id, "c1");
    connect_event_free(&ev);
    cr_expect_eq(connect_parse(ok, strlen(ok), &ev, NULL), CONNECT_ERR_JSON);
}

Test(connect, too_many_attributes) {
    size_t cap = 64 * 1024, off = 0;
    char *json = malloc(cap);
    off += (size_t)snprintf(json, cap, "{\"Details\":{\"ContactData\":{\"ContactId\":\"c\",\"Attributes\":{");
    for (int i = 0; i <= CONNECT_MAX_PAIRS; i++)
        off += (size_t)snprintf(json + off, cap - off, "%s\"k%d\":\"v\"", i ? "," : "", i);
    off += (size_t)snprintf(json + off, cap - off, "}}}}");
    connect_event ev;
    connect_error err;
    cr_expect_eq(connect_parse(json, off, &ev, &err), CONNECT_ERR_VALUE);
    cr_expect_str_eq(err.field, "Details.ContactData.Attributes");
    free(json);
}

Test(connect, response_is_a_flat_string_map) {
    connect_pair pairs[] = {
        {"session_id", "uuid-abc-123"}, {"caller_known", "true"}, {"external_id", "cust-\"42\""},
        {"skipped", NULL}, {"stream_url", "wss://gw.example.com/stream"},
    };
    char out[1024];
    connect_error err;
    long n = connect_build_response(pairs, 5, out, sizeof out, &err);
    cr_assert_gt(n, 0, "%s", err.msg);
    cr_expect_eq((size_t)n, strlen(out));
    cr_expect_str_eq(out, "{\"session_id\":\"uuid-abc-123\",\"caller_known\":\"true\","
                          "\"external_id\":\"cust-\\\"42\\\"\","
                          "\"stream_url\":\"wss://gw.example.com/stream\"}");
    connect_pair empty_key[] = {{"", "x"}};
    cr_expect_eq(connect_build_response(empty_key, 1, out, sizeof out, &err), -1);
    cr_expect_eq(err.status, CONNECT_ERR_VALUE);
    cr_expect_eq(connect_build_response(pairs, 5, out, 10, &err), -1);
    cr_expect_eq(err.status, CONNECT_ERR_TOO_LARGE);
}

Test(connect, response_over_32k_is_refused) {
    static char big[CONNECT_MAX_RESPONSE];
    memset(big, 'a', sizeof big - 1);
    connect_pair pairs[] = {{"session_id", "s"}, {"blob", big}};
    char *out = malloc(2 * CONNECT_MAX_RESPONSE);
    connect_error err;
    cr_expect_eq(connect_build_response(pairs, 2, out, 2 * CONNECT_MAX_RESPONSE, &err), -1);
    cr_expect_eq(err.status, CONNECT_ERR_TOO_LARGE);
    cr_expect(strstr(err.msg, "32 KB"), "%s", err.msg);
    big[CONNECT_MAX_RESPONSE - 100] = '\0';
    cr_expect_gt(connect_build_response(pairs, 2, out, 2 * CONNECT_MAX_RESPONSE, &err), 0);
    free(out);
}
