/* test_voiceverify.c -- the Voice Verify dialect (the manual's "WebSockets") end to end.
 *
 * Every status the gateway can send is triggered over a real WebSocket and the replies are
 * validated against schemas/stream (vv-connected-ack, vv-ping, vv-reply).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "g711.h"
#include "harness.h"

#define VV "dialect=voiceverify"

static void assert_reply(const tconn *t, size_t i, const char *event, int status,
                         const char *sid)
{
    char buf[128];
    cr_assert_lt(i, t->n_msgs, "reply %zu missing (have %zu)", i, t->n_msgs);
    cr_assert_eq(tc_status(t, i), status, "reply %zu: %s", i, t->msgs[i]);
    cr_assert_str_eq(tc_field(t, i, "event", buf, sizeof buf), event, "%s", t->msgs[i]);
    if (sid)
        cr_assert_str_eq(tc_field(t, i, "id", buf, sizeof buf), sid, "%s", t->msgs[i]);
}

/* The manual's error replies name the refused start's uuid and use its texts. */
static void assert_uuid_msg(const tconn *t, size_t i, const char *uuid, const char *msg)
{
    char buf[128];
    cr_assert_str_eq(tc_field(t, i, "uuid", buf, sizeof buf), uuid, "%s", t->msgs[i]);
    cr_assert_str_eq(tc_field(t, i, "msg", buf, sizeof buf), msg, "%s", t->msgs[i]);
}

Test(voiceverify, connected_start_media_stop_acks)
{
    harness h;
    h_init(&h, NULL);
    tconn *t = tc_connect(&h, VV, NULL, 0);
    char sid[35], uuid[37], buf[64];
    h_sid(sid, "MZ", 1);
    h_uuid(uuid, 1);
    tc_send(t, "{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"1.0.0\"}");
    cr_assert(tc_wait_msgs(t, 1, 2000));
    cr_assert_eq(tc_status(t, 0), 200);
    cr_assert_str_eq(tc_field(t, 0, "version", buf, sizeof buf), "1.0.0");
    tc_start(t, sid, uuid, false);
    cr_assert(tc_wait_msgs(t, 2, 2000));
    assert_reply(t, 1, "start", 201, sid);
    cr_assert_str_eq(tc_field(t, 1, "uuid", buf, sizeof buf), uuid);
    cr_assert(strstr(t->msgs[1], "\"retries\":0"), "%s", t->msgs[1]);
    uint8_t g[160];
    memset(g, 0x55, sizeof g);
    for (unsigned i = 1; i <= 10; i++)
        tc_media(t, sid, i, (i - 1) * 20, g, 160);
    tc_stop(t, sid);
    cr_assert(tc_wait_msgs(t, 3, 2000));
    assert_reply(t, 2, "stop", 204, sid);
    h_run_for(&h, 50);
    cr_assert_eq(t->n_msgs, 3, "media must not be acknowledged");
    h_cap *c = h_cap_by_sid(&h, sid);
    cr_assert_str_eq(c->uuid, uuid, "customParameters.uuid is the stream's uuid");
    cr_assert_eq(c->n, 1600);
    h_assert_schemas(t);
    h_fini(&h);
}

static void fast_timers(config *c)
{
    c->ping_interval_ms = 100;
    c->stream_timeout_ms = 250;
}

Test(voiceverify, ping_and_408_timeout)
{
    harness h;
    h_init(&h, fast_timers);
    tconn *t = tc_connect(&h, VV, NULL, 0);
    char sid[35], uuid[37];
    tc_start(t, h_sid(sid, "MZ", 2), h_uuid(uuid, 2), false);
    cr_assert(h_wait_stopped(&h, sid, 3000));
    cr_assert_eq(h_cap_by_sid(&h, sid)->why, STREAM_END_TIMEOUT);
    h_run_for(&h, 50);
    size_t pings = 0, r408 = 0;
    for (size_t i = 0; i < t->n_msgs; i++) {
        pings += tc_status(t, i) == 100;
        if (tc_status(t, i) == 408) {
            assert_reply(t, i, "media", 408, sid);
            r408++;
        }
    }
    cr_assert_eq(r408, 1);
    cr_assert_geq(pings, 2, "pings in ~300 ms at 100 ms: %zu", pings);
    cr_assert_leq(pings, 5);
    cr_assert(t->open, "a timeout ends the stream, not the connection");
    h_assert_schemas(t);
    h_fini(&h);
}

Test(voiceverify, duplicate_uuid_and_duplicate_sid_are_409)
{
    harness h;
    h_init(&h, NULL);
    tconn *a = tc_connect(&h, VV, NULL, 0);
    tconn *b = tc_connect(&h, VV, NULL, 0);
    char s1[35], s2[35], u[37], u2[37];
    h_uuid(u, 3);
    tc_start(a, h_sid(s1, "MZ", 31), u, false);
    cr_assert(tc_wait_msgs(a, 1, 2000));
    assert_reply(a, 0, "start", 201, s1);
    tc_start(b, h_sid(s2, "MZ", 32), u, false); /* same uuid, other connection */
    cr_assert(tc_wait_msgs(b, 1, 2000));
    assert_reply(b, 0, "start", 409, s2);
    assert_uuid_msg(b, 0, u, "Stream already exists.");
    tc_start(a, s1, h_uuid(u2, 4), false); /* same streamSid on the same connection */
    cr_assert(tc_wait_msgs(a, 2, 2000));
    assert_reply(a, 1, "start", 409, s1);
    assert_uuid_msg(a, 1, u2, "Stream already exists.");
    cr_assert_eq(registry_count(server_registry(h.srv)), 1);
    h_assert_schemas(a);
    h_assert_schemas(b);
    h_fini(&h);
}

Test(voiceverify, maintenance_is_423)
{
    harness h;
    h_init(&h, NULL);
    registry_set_maintenance(server_registry(h.srv), true);
    tconn *t = tc_connect(&h, VV, NULL, 0);
    char s[35], u[37];
    tc_start(t, h_sid(s, "MZ", 5), h_uuid(u, 5), false);
    cr_assert(tc_wait_msgs(t, 1, 2000));
    assert_reply(t, 0, "start", 423, s);
    assert_uuid_msg(t, 0, u, "Maintenance mode set.");
    registry_set_maintenance(server_registry(h.srv), false);
    tc_start(t, s, u, false);
    cr_assert(tc_wait_msgs(t, 2, 2000));
    assert_reply(t, 1, "start", 201, s);
    h_assert_schemas(t);
    h_fini(&h);
}

static void one_stream(config *c)
{
    c->max_streams = 1;
}

Test(voiceverify, no_stream_slot_is_403_no_technology_slot_is_503)
{
    harness h;
    h_init(&h, one_stream);
    tconn *a = tc_connect(&h, VV, NULL, 0);
    tconn *b = tc_connect(&h, VV, NULL, 0);
    char s1[35], s2[35], s3[35], u1[37], u2[37], u3[37];
    tc_start(a, h_sid(s1, "MZ", 61), h_uuid(u1, 61), false);
    cr_assert(tc_wait_msgs(a, 1, 2000));
    assert_reply(a, 0, "start", 201, s1);
    tc_start(b, h_sid(s2, "MZ", 62), h_uuid(u2, 62), false);
    cr_assert(tc_wait_msgs(b, 1, 2000));
    assert_reply(b, 0, "start", 403, s2);
    assert_uuid_msg(b, 0, u2, "Resource is unavailable.");
    tc_stop(a, s1);
    cr_assert(tc_wait_msgs(a, 2, 2000));
    h.refuse = true; /* the audio consumer has no capacity */
    tc_start(b, h_sid(s3, "MZ", 63), h_uuid(u3, 63), false);
    cr_assert(tc_wait_msgs(b, 2, 2000));
    assert_reply(b, 1, "start", 503, s3);
    cr_assert_eq(registry_count(server_registry(h.srv)), 0);
    h_assert_schemas(a);
    h_assert_schemas(b);
    h_fini(&h);
}

static void two_per_conn(config *c)
{
    c->max_streams_per_conn = 2;
}

Test(voiceverify, several_streams_per_connection_keyed_by_stream_sid)
{
    harness h;
    h_init(&h, two_per_conn);
    size_t n1, n2;
    int16_t *p1 = h_fixture("fsdd-0_george_10.wav", &n1);
    int16_t *p2 = h_fixture("speechocean762-0001-000010035.wav", &n2);
    tconn *t = tc_connect(&h, VV, NULL, 0);
    char s1[35], s2[35], s3[35], u1[37], u2[37], u3[37];
    tc_start(t, h_sid(s1, "MZ", 71), h_uuid(u1, 71), false);
    tc_start(t, h_sid(s2, "MZ", 72), h_uuid(u2, 72), false);
    tc_start(t, h_sid(s3, "MZ", 73), h_uuid(u3, 73), false);
    cr_assert(tc_wait_msgs(t, 3, 2000));
    assert_reply(t, 0, "start", 201, s1);
    assert_reply(t, 1, "start", 201, s2);
    assert_reply(t, 2, "start", 403, s3); /* over max_streams_per_conn */
    assert_uuid_msg(t, 2, u3, "Resource is unavailable.");
    for (size_t f = 0;; f++) { /* interleaved */
        bool more = tc_frame(t, s1, p1, n1, f);
        more |= tc_frame(t, s2, p2, n2, f);
        if (!more)
            break;
    }
    tc_stop(t, s1);
    tc_stop(t, s2);
    cr_assert(tc_wait_msgs(t, 5, 3000));
    h_cap *c1 = h_cap_by_sid(&h, s1), *c2 = h_cap_by_sid(&h, s2);
    cr_assert_eq(c1->n, n1);
    cr_assert_eq(c2->n, n2);
    cr_assert_arr_eq(c1->pcm, p1, n1 * sizeof *p1);
    cr_assert_arr_eq(c2->pcm, p2, n2 * sizeof *p2);
    h_assert_schemas(t);
    free(p1);
    free(p2);
    h_fini(&h);
}

Test(voiceverify, bad_requests_get_400_or_404_and_the_connection_stays)
{
    harness h;
    h_init(&h, NULL);
    tconn *t = tc_connect(&h, VV, NULL, 0);
    char ok[35], u[37], acc[35];
    h_sid(ok, "MZ", 80);
    tc_start(t, ok, NULL, false); /* 1: no customParameters.uuid */
    tc_start(t, ok, "6ba7b810-9dad-11d1-80b4-00c04fd430c8", false); /* 2: UUID1, not 4 */
    tc_start(t, "MZshort", h_uuid(u, 80), false);                  /* 3: sid not 34 chars */
    tc_sendf(t, /* 4: accountSid of the wrong length */
             "{\"event\":\"start\",\"sequenceNumber\":\"1\",\"start\":{\"accountSid\":\"AC1\","
             "\"streamSid\":\"%s\",\"callSid\":\"\",\"tracks\":[\"inbound\"],\"customParameters\":"
             "{\"uuid\":\"%s\"},\"mediaFormat\":{\"encoding\":\"audio/x-mulaw\",\"sampleRate\":"
             "8000,\"channels\":1}},\"streamSid\":\"%s\"}",
             ok, u, ok);
    tc_send(t, "not json");                                 /* 5 */
    tc_media(t, h_sid(acc, "MZ", 81), 1, 0, (uint8_t *)"abc", 3); /* 6: unknown sid: 404 */
    tc_start(t, ok, u, false);                              /* 7: good: 201 */
    tc_sendf(t, /* 8: bad base64 on the live stream */
             "{\"event\":\"media\",\"sequenceNumber\":\"2\",\"streamSid\":\"%s\",\"media\":{"
             "\"track\":\"inbound\",\"chunk\":\"1\",\"timestamp\":\"0\",\"payload\":\"A===\"}}",
             ok);
    tc_send(t, "{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"2.0.0\"}"); /* 9 */
    cr_assert(tc_wait_msgs(t, 9, 3000), "got %zu replies", t->n_msgs);
    int want[] = {400, 400, 400, 400, 400, 404, 201, 400, 400};
    for (size_t i = 0; i < 9; i++)
        cr_assert_eq(tc_status(t, i), want[i], "reply %zu: %s", i, t->msgs[i]);
    char buf[64];
    cr_assert_str_eq(tc_field(t, 5, "msg", buf, sizeof buf), "Stream not found.",
                     "the manual's 404 text, also before any start");
    cr_assert_str_eq(tc_field(t, 7, "id", buf, sizeof buf), ok);
    cr_assert_str_eq(tc_field(t, 7, "uuid", buf, sizeof buf), u, "error charged to its stream");
    cr_assert(t->open);
    cr_assert_eq(h_cap_by_sid(&h, ok)->live->errors, 1);
    h_assert_schemas(t);
    h_fini(&h);
}

Test(voiceverify, oversize_message_is_413_then_close_1009)
{
    harness h;
    h_init(&h, NULL);
    tconn *t = tc_connect(&h, VV, NULL, 0);
    size_t len = TW_MAX_MESSAGE + 1;
    char *huge = malloc(len + 1);
    memset(huge, 'x', len);
    huge[len] = '\0';
    tc_send(t, huge);
    cr_assert(tc_wait_closed(t, 3000));
    cr_assert_eq(t->close_code, 1009, "close code %d, %zu msgs", t->close_code, t->n_msgs);
    cr_assert_eq(t->n_msgs, 1);
    assert_reply(t, 0, "media", 413, "");
    h_assert_schemas(t);
    free(huge);
    h_fini(&h);
}

Test(voiceverify, unknown_dialect_is_refused_at_upgrade)
{
    harness h;
    h_init(&h, NULL);
    tconn *t = tc_connect(&h, "dialect=klingon", NULL, 0);
    cr_assert(t->closed);
    cr_assert_eq(t->http_status, 400);
    h_fini(&h);
}
