/* test_twilio_build.c -- the builders: exact shapes (byte for byte, as documented), JSON
 * escaping, buffer limits, and build -> tw_parse round trips of the inbound messages. */
#include "base64.h"
#include "twilio.h"
#include "voiceverify.h"
#include "twilio_expect.h"

#include <criterion/criterion.h>
#include <string.h>

#define SID "MZ18ad3ab5a668481ce02b83e7395059f0"
#define UUID "3f1c7a52-9b8e-4d21-a6f0-5c2e8b7d9a14"

static char buf[4096];

Test(twilio_build, twilio_replies_exact)
{
    const uint8_t audio[] = {0x9e, 0x8f, 0x89, 0x86, 0x86, 0x89, 0x8e, 0x9c, 0xd2};
    int n = tw_build_media(buf, sizeof(buf), SID, audio, sizeof(audio));
    cr_assert_str_eq(buf, "{\"event\":\"media\",\"streamSid\":\"" SID
                          "\",\"media\":{\"payload\":\"no+JhoaJjpzS\"}}");
    cr_assert_eq(n, (int)strlen(buf));
    tw_build_mark(buf, sizeof(buf), SID, "my label");
    cr_assert_str_eq(buf, "{\"event\":\"mark\",\"streamSid\":\"" SID
                          "\",\"mark\":{\"name\":\"my label\"}}");
    tw_build_clear(buf, sizeof(buf), SID);
    cr_assert_str_eq(buf, "{\"event\":\"clear\",\"streamSid\":\"" SID "\"}");
}

Test(twilio_build, voice_verify_exact)
{
    vv_build_connected(buf, sizeof(buf));
    cr_assert_str_eq(buf, "{\"version\":\"1.0.0\",\"event\":\"connected\","
                          "\"msg\":\"Connection established.\",\"status\":200}");
    vv_build_ping(buf, sizeof(buf));
    cr_assert_str_eq(buf, "{\"event\":\"ping\",\"msg\":\"Ping.\",\"status\":100}");
    vv_build_reply(buf, sizeof(buf), SID, UUID, "start", 201, NULL);
    cr_assert_str_eq(buf, "{\"id\":\"" SID "\",\"uuid\":\"" UUID "\",\"retries\":0,"
                          "\"event\":\"start\",\"msg\":\"Stream started.\",\"status\":201}");
    vv_build_reply(buf, sizeof(buf), SID, UUID, "media", 408, NULL);
    cr_assert_str_eq(buf, "{\"id\":\"" SID "\",\"uuid\":\"" UUID "\",\"event\":\"media\","
                          "\"msg\":\"Request timeout.\",\"status\":408}");
    vv_build_reply(buf, sizeof(buf), NULL, NULL, "start", 400, "start.tracks is required");
    cr_assert_str_eq(buf, "{\"id\":\"\",\"uuid\":\"\",\"event\":\"start\","
                          "\"msg\":\"start.tracks is required\",\"status\":400}");
}

Test(twilio_build, status_messages_of_the_manual)
{
    static const struct {
        int status;
        const char *msg;
    } table[] = {{201, "Stream started."},       {204, "Stream stopped."},
                 {403, "Resource is unavailable."}, {404, "Stream not found."},
                 {408, "Request timeout."},      {409, "Stream already exists."},
                 {423, "Maintenance mode set."}, {500, "Internal server error."},
                 {502, "Connection error."},     {503, "Resource is unavailable."},
                 {200, "Connection established."}, {100, "Ping."},
                 {400, "Bad request."},          {413, "Message too large."},
                 {999, "Unknown status."}};
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        cr_expect_str_eq(vv_status_msg(table[i].status), table[i].msg, "%d", table[i].status);
}

Test(twilio_build, escaping)
{
    tw_build_mark(buf, sizeof(buf), "a\"b", "q\"\\/\n\r\t\b\f\x01\x1f\x7f é");
    cr_assert_str_eq(buf, "{\"event\":\"mark\",\"streamSid\":\"a\\\"b\",\"mark\":{\"name\":"
                          "\"q\\\"\\\\/\\n\\r\\t\\b\\f\\u0001\\u001f\x7f é\"}}");
    /* and the parser reads back exactly what was escaped */
    tw_msg m;
    tw_build_mark_in(buf, sizeof(buf), 1, "a\"b", "q\"\\\n\x01 é");
    cr_assert_eq(tw_parse(buf, strlen(buf), &m, NULL, 0, NULL), TW_OK, "%s", buf);
    cr_assert_str_eq(m.stream_sid, "a\"b");
    cr_assert_str_eq(m.u.mark.name, "q\"\\\n\x01 é");
}

Test(twilio_build, buffer_too_small)
{
    const char *want = "{\"event\":\"clear\",\"streamSid\":\"" SID "\"}";
    size_t len = strlen(want);
    cr_assert_eq(tw_build_clear(buf, len, SID), -1); /* no room for the NUL */
    cr_assert_eq(tw_build_clear(buf, len + 1, SID), (int)len);
    cr_assert_eq(tw_build_clear(NULL, 0, SID), -1);
    uint8_t audio[160] = {0};
    char small[100];
    cr_assert_eq(tw_build_media(small, sizeof(small), SID, audio, sizeof(audio)), -1);
    cr_assert_eq(tw_build_media_in(small, sizeof(small), 1, SID, TW_TRACK_INBOUND, 1, 1, audio,
                                   sizeof(audio)),
                 -1);
    int ping = (int)strlen("{\"event\":\"ping\",\"msg\":\"Ping.\",\"status\":100}");
    for (size_t cap = 0; cap < 60; cap++) /* every cut point is refused, never overrun */
        cr_assert_eq(vv_build_ping(small, cap), (int)cap > ping ? ping : -1, "cap %zu", cap);
}

Test(twilio_build, inbound_round_trip)
{
    uint8_t audio[160], back[200];
    for (size_t i = 0; i < sizeof(audio); i++)
        audio[i] = (uint8_t)(255 - i);
    tw_msg m;
    tw_error e;

    tw_build_connected(buf, sizeof(buf));
    cr_assert_str_eq(buf, "{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"1.0.0\"}");

    tw_param params[] = {{"uuid", UUID}, {"note", "a \"quoted\" value"}};
    tw_start_info info = {1, SID, "", "", TW_TRACK_INBOUND | TW_TRACK_OUTBOUND, true, params, 2};
    cr_assert_gt(tw_build_start(buf, sizeof(buf), &info), 0);
    cr_assert_eq(tw_parse(buf, strlen(buf), &m, NULL, 0, &e), TW_OK, "%s", e.message);
    cr_assert_eq(m.sequence_number, 1);
    cr_assert_str_eq(m.u.start.stream_sid, SID);
    cr_assert_eq(m.u.start.tracks, TW_TRACK_INBOUND | TW_TRACK_OUTBOUND);
    cr_assert_str_eq(m.u.start.format.encoding, "audio/x-alaw");
    cr_assert_str_eq(tw_param_get(&m, "note"), "a \"quoted\" value");

    cr_assert_gt(tw_build_media_in(buf, sizeof(buf), 7, SID, TW_TRACK_OUTBOUND, 6, 120, audio,
                                   sizeof(audio)),
                 0);
    cr_assert_eq(tw_parse(buf, strlen(buf), &m, back, sizeof(back), &e), TW_OK, "%s", e.message);
    tw_expect_media(&m, 7, TW_TRACK_OUTBOUND, 6, 120, sizeof(audio));
    cr_assert_arr_eq(back, audio, sizeof(audio));

    tw_build_dtmf(buf, sizeof(buf), 8, SID, '*');
    cr_assert_eq(tw_parse(buf, strlen(buf), &m, NULL, 0, &e), TW_OK, "%s", e.message);
    cr_assert_str_eq(m.u.dtmf.digit, "*");
    cr_assert_eq(m.u.dtmf.track, TW_TRACK_INBOUND);

    tw_build_stop(buf, sizeof(buf), 9, SID, "AC1", NULL);
    cr_assert_str_eq(buf, "{\"event\":\"stop\",\"sequenceNumber\":\"9\",\"stop\":{\"accountSid\":"
                          "\"AC1\",\"callSid\":\"\"},\"streamSid\":\"" SID "\"}");
    cr_assert_eq(tw_parse(buf, strlen(buf), &m, NULL, 0, &e), TW_OK, "%s", e.message);
    cr_assert_eq(m.event, TW_EV_STOP);
}
