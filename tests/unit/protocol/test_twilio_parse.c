/* test_twilio_parse.c -- tw_parse on every path: each event good, each required field
 * missing, each wrong type and value, payload limits, malformed JSON, limits on strings and
 * custom parameters, and the fixture files (Twilio's documented examples, the Voice Verify
 * manual's examples, the invalid cases shared with the schema test). */
#include "twilio.h"
#include "twilio_expect.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SID "MZ18ad3ab5a668481ce02b83e7395059f0"

static tw_msg msg;
static tw_error err;
static uint8_t payload[400];

static tw_status parse(const char *json)
{
    memset(&err, 0x5A, sizeof(err)); /* tw_parse must clear it */
    return tw_parse(json, strlen(json), &msg, payload, sizeof(payload), &err);
}

/* ---- good messages ----------------------------------------------------------------- */

Test(twilio_parse, connected)
{
    cr_assert_eq(parse("{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"1.0.0\"}"),
                 TW_OK, "%s", err.message);
    cr_assert_eq(msg.event, TW_EV_CONNECTED);
    cr_assert_str_eq(msg.u.connected.protocol, "Call");
    cr_assert_str_eq(msg.u.connected.version, "1.0.0");
    cr_assert_str_eq(msg.stream_sid, "");
    cr_assert_not(msg.has_sequence);
    cr_assert_eq(err.status, TW_OK);
    cr_assert_str_eq(err.message, "");
}

static const char *START =
    "{\"event\":\"start\",\"sequenceNumber\":\"1\",\"start\":{\"accountSid\":\"AC123\","
    "\"streamSid\":\"" SID "\",\"callSid\":\"CA123\",\"tracks\":[\"inbound\",\"outbound\"],"
    "\"customParameters\":{\"FirstName\":\"Jane\",\"LastName\":\"Doe\",\"RemoteParty\":\"Bob\"},"
    "\"mediaFormat\":{\"encoding\":\"audio/x-mulaw\",\"sampleRate\":8000,\"channels\":1}},"
    "\"streamSid\":\"" SID "\"}";

Test(twilio_parse, start)
{
    cr_assert_eq(parse(START), TW_OK, "%s", err.message);
    cr_assert_eq(msg.event, TW_EV_START);
    cr_assert(msg.has_sequence);
    cr_assert_eq(msg.sequence_number, 1);
    cr_assert_str_eq(msg.stream_sid, SID);
    cr_assert_str_eq(msg.u.start.stream_sid, SID);
    cr_assert_str_eq(msg.u.start.account_sid, "AC123");
    cr_assert_str_eq(msg.u.start.call_sid, "CA123");
    cr_assert_eq(msg.u.start.tracks, TW_TRACK_INBOUND | TW_TRACK_OUTBOUND);
    cr_assert_str_eq(msg.u.start.format.encoding, "audio/x-mulaw");
    cr_assert_eq(msg.u.start.format.sample_rate, 8000);
    cr_assert_eq(msg.u.start.format.channels, 1);
    cr_assert_eq(msg.u.start.n_params, 3);
    cr_assert_str_eq(tw_param_get(&msg, "FirstName"), "Jane");
    cr_assert_str_eq(tw_param_get(&msg, "RemoteParty"), "Bob");
    cr_assert_null(tw_param_get(&msg, "firstname")); /* case-sensitive */
    cr_assert_null(tw_param_get(&msg, NULL));
}

Test(twilio_parse, start_voice_verify_dialect_blank_sids_and_alaw)
{
    const char *j = "{\"event\":\"start\",\"sequenceNumber\":\"1\",\"start\":{\"accountSid\":\"\","
                    "\"streamSid\":\"" SID "\",\"callSid\":\"\",\"tracks\":[\"inbound\"],"
                    "\"mediaFormat\":{\"encoding\":\"audio/x-alaw\",\"sampleRate\":8000.0,"
                    "\"channels\":1},\"customParameters\":{\"uuid\":\"x\"}},\"streamSid\":\"" SID
                    "\"}";
    cr_assert_eq(parse(j), TW_OK, "%s", err.message);
    cr_assert_str_eq(msg.u.start.account_sid, "");
    cr_assert_str_eq(msg.u.start.format.encoding, "audio/x-alaw");
    cr_assert_eq(msg.u.start.tracks, TW_TRACK_INBOUND);
}

Test(twilio_parse, start_optional_fields_absent)
{
    const char *j = "{\"event\":\"start\",\"start\":{\"tracks\":[\"outbound\"],\"mediaFormat\":"
                    "{\"encoding\":\"audio/x-mulaw\",\"sampleRate\":8000,\"channels\":1}},"
                    "\"streamSid\":\"MZ1\"}";
    /* a previous start's parameters must not leak into this one */
    cr_assert_eq(parse(START), TW_OK);
    cr_assert_eq(parse(j), TW_OK, "%s", err.message);
    cr_assert_not(msg.has_sequence);
    cr_assert_eq(msg.u.start.n_params, 0);
    cr_assert_null(tw_param_get(&msg, "FirstName"));
    cr_assert_str_eq(msg.u.start.call_sid, "");
    cr_assert_str_eq(msg.u.start.stream_sid, "");
    cr_assert_eq(msg.u.start.tracks, TW_TRACK_OUTBOUND);
}

Test(twilio_parse, media_decodes_payload)
{
    const char *j = "{\"event\":\"media\",\"sequenceNumber\":\"424\",\"media\":{\"track\":"
                    "\"inbound\",\"chunk\":\"423\",\"timestamp\":\"8585\",\"payload\":"
                    "\"no+JhoaJjpzS\"},\"streamSid\":\"" SID "\"}";
    static const uint8_t want[] = {0x9e, 0x8f, 0x89, 0x86, 0x86, 0x89, 0x8e, 0x9c, 0xd2};
    cr_assert_eq(parse(j), TW_OK, "%s", err.message);
    tw_expect_media(&msg, 424, TW_TRACK_INBOUND, 423, 8585, sizeof(want));
    cr_assert_arr_eq(payload, want, sizeof(want));
}

Test(twilio_parse, media_outbound_empty_payload_and_max_counters)
{
    const char *j = "{\"event\":\"media\",\"sequenceNumber\":\"18446744073709551615\","
                    "\"media\":{\"track\":\"outbound\",\"chunk\":\"007\",\"timestamp\":\"0\","
                    "\"payload\":\"\"},\"streamSid\":\"" SID "\"}";
    cr_assert_eq(parse(j), TW_OK, "%s", err.message);
    tw_expect_media(&msg, UINT64_MAX, TW_TRACK_OUTBOUND, 7, 0, 0);
}

Test(twilio_parse, dtmf_mark_stop)
{
    cr_assert_eq(parse("{\"event\":\"dtmf\",\"streamSid\":\"" SID "\",\"sequenceNumber\":\"5\","
                       "\"dtmf\":{\"track\":\"inbound_track\",\"digit\":\"#\"}}"),
                 TW_OK, "%s", err.message);
    cr_assert_eq(msg.event, TW_EV_DTMF);
    cr_assert_eq(msg.u.dtmf.track, TW_TRACK_INBOUND);
    cr_assert_str_eq(msg.u.dtmf.digit, "#");

    cr_assert_eq(parse("{\"event\":\"mark\",\"sequenceNumber\":\"4\",\"streamSid\":\"" SID
                       "\",\"mark\":{\"name\":\"my label\"}}"),
                 TW_OK, "%s", err.message);
    cr_assert_eq(msg.event, TW_EV_MARK);
    cr_assert_str_eq(msg.u.mark.name, "my label");

    cr_assert_eq(parse("{\"event\":\"stop\",\"sequenceNumber\":\"5\",\"stop\":{\"accountSid\":"
                       "\"AC1\",\"callSid\":\"CA1\"},\"streamSid\":\"" SID "\"}"),
                 TW_OK, "%s", err.message);
    cr_assert_eq(msg.event, TW_EV_STOP);
    cr_assert_str_eq(msg.u.stop.account_sid, "AC1");
    cr_assert_str_eq(msg.u.stop.call_sid, "CA1");

    cr_assert_eq(parse("{\"event\":\"stop\",\"streamSid\":\"" SID "\"}"), TW_OK);
    cr_assert_str_eq(msg.u.stop.call_sid, "");
}

Test(twilio_parse, unknown_fields_are_ignored)
{
    cr_assert_eq(parse("{\"event\":\"mark\",\"future\":{\"x\":[1,2]},\"sequenceNumber\":\"4\","
                       "\"streamSid\":\"" SID "\",\"mark\":{\"name\":\"a\",\"extra\":null}}"),
                 TW_OK, "%s", err.message);
}

Test(twilio_parse, not_nul_terminated_input)
{
    char buf[128];
    const char *j = "{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"1.0.0\"}";
    size_t n = strlen(j);
    memcpy(buf, j, n);
    memset(buf + n, '}', sizeof(buf) - n); /* garbage after the frame must not be read */
    cr_assert_eq(tw_parse(buf, n, &msg, NULL, 0, &err), TW_OK, "%s", err.message);
    cr_assert_eq(tw_parse(buf, n - 1, &msg, NULL, 0, &err), TW_ERR_JSON);
}

Test(twilio_parse, err_may_be_null)
{
    cr_assert_eq(tw_parse("[]", 2, &msg, NULL, 0, NULL), TW_ERR_JSON);
    cr_assert_eq(tw_parse("{\"event\":1}", 11, &msg, NULL, 0, NULL), TW_ERR_TYPE);
}

/* ---- bad messages: one table, each row names the field the error must name ------------ */

#define MEDIA(seq, media, sid)                                                                 \
    "{\"event\":\"media\",\"sequenceNumber\":" seq ",\"media\":" media ",\"streamSid\":" sid "}"
#define M_OK(track, chunk, ts, pl)                                                             \
    "{\"track\":" track ",\"chunk\":" chunk ",\"timestamp\":" ts ",\"payload\":" pl "}"
#define GOOD_MEDIA M_OK("\"inbound\"", "\"1\"", "\"20\"", "\"AAAA\"")
#define START_WITH(tracks, fmt, params)                                                        \
    "{\"event\":\"start\",\"sequenceNumber\":\"1\",\"start\":{\"streamSid\":\"MZ1\",\"tracks\":" \
    tracks ",\"mediaFormat\":" fmt ",\"customParameters\":" params "},\"streamSid\":\"MZ1\"}"
#define FMT(enc, rate, ch) "{\"encoding\":" enc ",\"sampleRate\":" rate ",\"channels\":" ch "}"
#define GOOD_FMT FMT("\"audio/x-mulaw\"", "8000", "1")
#define DTMF(d) "{\"event\":\"dtmf\",\"streamSid\":\"MZ1\",\"dtmf\":" d "}"

static const struct bad_case {
    const char *name, *json;
    tw_status status;
    const char *field;
} bad_cases[] = {
    /* framing */
    {"not json", "{\"event\":", TW_ERR_JSON, ""},
    {"empty", "", TW_ERR_JSON, ""},
    {"array", "[{\"event\":\"media\"}]", TW_ERR_JSON, ""},
    {"string", "\"media\"", TW_ERR_JSON, ""},
    {"number", "42", TW_ERR_JSON, ""},
    {"null", "null", TW_ERR_JSON, ""},
    {"trailing garbage", "{\"event\":\"stop\",\"streamSid\":\"a\"} x", TW_ERR_JSON, ""},
    {"truncated string", "{\"event\":\"stop\",\"streamSid\":\"a", TW_ERR_JSON, ""},
    {"bad escape", "{\"event\":\"st\\xop\"}", TW_ERR_JSON, ""},
    /* event */
    {"no event", "{\"streamSid\":\"a\"}", TW_ERR_EVENT, "event"},
    {"event number", "{\"event\":3}", TW_ERR_TYPE, "event"},
    {"event null", "{\"event\":null}", TW_ERR_TYPE, "event"},
    {"unknown event", "{\"event\":\"clear\",\"streamSid\":\"a\"}", TW_ERR_EVENT, "event"},
    {"event case", "{\"event\":\"Media\"}", TW_ERR_EVENT, "event"},
    /* header */
    {"seq number", MEDIA("3", GOOD_MEDIA, "\"a\""), TW_ERR_TYPE, "sequenceNumber"},
    {"seq empty", MEDIA("\"\"", GOOD_MEDIA, "\"a\""), TW_ERR_VALUE, "sequenceNumber"},
    {"seq sign", MEDIA("\"+3\"", GOOD_MEDIA, "\"a\""), TW_ERR_VALUE, "sequenceNumber"},
    {"seq hex", MEDIA("\"0x3\"", GOOD_MEDIA, "\"a\""), TW_ERR_VALUE, "sequenceNumber"},
    {"seq space", MEDIA("\"3 \"", GOOD_MEDIA, "\"a\""), TW_ERR_VALUE, "sequenceNumber"},
    {"seq overflow", MEDIA("\"18446744073709551616\"", GOOD_MEDIA, "\"a\""), TW_ERR_VALUE,
     "sequenceNumber"},
    {"seq 21 digits", MEDIA("\"000000000000000000001\"", GOOD_MEDIA, "\"a\""), TW_ERR_VALUE,
     "sequenceNumber"},
    {"no streamSid", "{\"event\":\"media\",\"sequenceNumber\":\"3\",\"media\":" GOOD_MEDIA "}",
     TW_ERR_MISSING, "streamSid"},
    {"streamSid number", MEDIA("\"3\"", GOOD_MEDIA, "7"), TW_ERR_TYPE, "streamSid"},
    {"streamSid too long", MEDIA("\"3\"", GOOD_MEDIA,
                                 "\"0123456789012345678901234567890123456789012345678901234567"
                                 "890123\""),
     TW_ERR_VALUE, "streamSid"},
    /* connected */
    {"connected no version", "{\"event\":\"connected\",\"protocol\":\"Call\"}", TW_ERR_MISSING,
     "version"},
    {"connected no protocol", "{\"event\":\"connected\",\"version\":\"1.0.0\"}", TW_ERR_MISSING,
     "protocol"},
    {"connected version number", "{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":1}",
     TW_ERR_TYPE, "version"},
    /* media */
    {"no media", "{\"event\":\"media\",\"streamSid\":\"a\"}", TW_ERR_MISSING, "media"},
    {"media string", MEDIA("\"3\"", "\"x\"", "\"a\""), TW_ERR_TYPE, "media"},
    {"media array", MEDIA("\"3\"", "[]", "\"a\""), TW_ERR_TYPE, "media"},
    {"no track", MEDIA("\"3\"", "{\"chunk\":\"1\",\"timestamp\":\"1\",\"payload\":\"\"}", "\"a\""),
     TW_ERR_MISSING, "media.track"},
    {"track number", MEDIA("\"3\"", M_OK("1", "\"1\"", "\"1\"", "\"\""), "\"a\""), TW_ERR_TYPE,
     "media.track"},
    {"track unknown", MEDIA("\"3\"", M_OK("\"both\"", "\"1\"", "\"1\"", "\"\""), "\"a\""),
     TW_ERR_VALUE, "media.track"},
    {"track too long", MEDIA("\"3\"", M_OK("\"inboundinboundinbound\"", "\"1\"", "\"1\"", "\"\""),
                             "\"a\""),
     TW_ERR_VALUE, "media.track"},
    {"no chunk", MEDIA("\"3\"", "{\"track\":\"inbound\",\"timestamp\":\"1\",\"payload\":\"\"}",
                       "\"a\""),
     TW_ERR_MISSING, "media.chunk"},
    {"chunk number", MEDIA("\"3\"", M_OK("\"inbound\"", "1", "\"1\"", "\"\""), "\"a\""),
     TW_ERR_TYPE, "media.chunk"},
    {"no timestamp", MEDIA("\"3\"", "{\"track\":\"inbound\",\"chunk\":\"1\",\"payload\":\"\"}",
                           "\"a\""),
     TW_ERR_MISSING, "media.timestamp"},
    {"timestamp number", MEDIA("\"3\"", M_OK("\"inbound\"", "\"1\"", "20", "\"\""), "\"a\""),
     TW_ERR_TYPE, "media.timestamp"},
    {"timestamp negative", MEDIA("\"3\"", M_OK("\"inbound\"", "\"1\"", "\"-20\"", "\"\""),
                                 "\"a\""),
     TW_ERR_VALUE, "media.timestamp"},
    {"timestamp float", MEDIA("\"3\"", M_OK("\"inbound\"", "\"1\"", "\"2.5\"", "\"\""), "\"a\""),
     TW_ERR_VALUE, "media.timestamp"},
    {"no payload", MEDIA("\"3\"", "{\"track\":\"inbound\",\"chunk\":\"1\",\"timestamp\":\"1\"}",
                         "\"a\""),
     TW_ERR_MISSING, "media.payload"},
    {"payload number", MEDIA("\"3\"", M_OK("\"inbound\"", "\"1\"", "\"1\"", "5"), "\"a\""),
     TW_ERR_TYPE, "media.payload"},
    {"payload null", MEDIA("\"3\"", M_OK("\"inbound\"", "\"1\"", "\"1\"", "null"), "\"a\""),
     TW_ERR_TYPE, "media.payload"},
    {"payload unpadded", MEDIA("\"3\"", M_OK("\"inbound\"", "\"1\"", "\"1\"", "\"Zg\""), "\"a\""),
     TW_ERR_BASE64, "media.payload"},
    {"payload newline", MEDIA("\"3\"", M_OK("\"inbound\"", "\"1\"", "\"1\"", "\"Zm9v\\nYmFy\""),
                              "\"a\""),
     TW_ERR_BASE64, "media.payload"},
    {"payload space", MEDIA("\"3\"", M_OK("\"inbound\"", "\"1\"", "\"1\"", "\"Zm9 \""), "\"a\""),
     TW_ERR_BASE64, "media.payload"},
    {"payload url-safe", MEDIA("\"3\"", M_OK("\"inbound\"", "\"1\"", "\"1\"", "\"Zm-_\""),
                               "\"a\""),
     TW_ERR_BASE64, "media.payload"},
    {"payload trailing bits", MEDIA("\"3\"", M_OK("\"inbound\"", "\"1\"", "\"1\"", "\"Zh==\""),
                                    "\"a\""),
     TW_ERR_BASE64, "media.payload"},
    {"payload inner padding", MEDIA("\"3\"", M_OK("\"inbound\"", "\"1\"", "\"1\"",
                                                  "\"Zg==Zg==\""),
                                    "\"a\""),
     TW_ERR_BASE64, "media.payload"},
    /* start */
    {"no start", "{\"event\":\"start\",\"streamSid\":\"a\"}", TW_ERR_MISSING, "start"},
    {"start array", "{\"event\":\"start\",\"streamSid\":\"a\",\"start\":[]}", TW_ERR_TYPE,
     "start"},
    {"no tracks", "{\"event\":\"start\",\"streamSid\":\"a\",\"start\":{\"mediaFormat\":" GOOD_FMT
                  "}}",
     TW_ERR_MISSING, "start.tracks"},
    {"tracks string", START_WITH("\"inbound\"", GOOD_FMT, "{}"), TW_ERR_TYPE, "start.tracks"},
    {"tracks empty", START_WITH("[]", GOOD_FMT, "{}"), TW_ERR_VALUE, "start.tracks"},
    {"tracks number", START_WITH("[1]", GOOD_FMT, "{}"), TW_ERR_TYPE, "start.tracks"},
    {"tracks unknown", START_WITH("[\"inbound\",\"both_tracks\"]", GOOD_FMT, "{}"), TW_ERR_VALUE,
     "start.tracks"},
    {"no mediaFormat", "{\"event\":\"start\",\"streamSid\":\"a\",\"start\":{\"tracks\":"
                       "[\"inbound\"]}}",
     TW_ERR_MISSING, "start.mediaFormat"},
    {"mediaFormat string", START_WITH("[\"inbound\"]", "\"ulaw\"", "{}"), TW_ERR_TYPE,
     "start.mediaFormat"},
    {"no encoding", START_WITH("[\"inbound\"]", "{\"sampleRate\":8000,\"channels\":1}", "{}"),
     TW_ERR_MISSING, "start.mediaFormat.encoding"},
    {"encoding unknown", START_WITH("[\"inbound\"]", FMT("\"audio/l16\"", "8000", "1"), "{}"),
     TW_ERR_VALUE, "start.mediaFormat.encoding"},
    {"sampleRate string", START_WITH("[\"inbound\"]", FMT("\"audio/x-mulaw\"", "\"8000\"", "1"),
                                     "{}"),
     TW_ERR_TYPE, "start.mediaFormat.sampleRate"},
    {"sampleRate 16000", START_WITH("[\"inbound\"]", FMT("\"audio/x-mulaw\"", "16000", "1"),
                                    "{}"),
     TW_ERR_VALUE, "start.mediaFormat.sampleRate"},
    {"no sampleRate", START_WITH("[\"inbound\"]", "{\"encoding\":\"audio/x-mulaw\",\"channels\":1}",
                                 "{}"),
     TW_ERR_MISSING, "start.mediaFormat.sampleRate"},
    {"channels 2", START_WITH("[\"inbound\"]", FMT("\"audio/x-mulaw\"", "8000", "2"), "{}"),
     TW_ERR_VALUE, "start.mediaFormat.channels"},
    {"channels 1.5", START_WITH("[\"inbound\"]", FMT("\"audio/x-mulaw\"", "8000", "1.5"), "{}"),
     TW_ERR_VALUE, "start.mediaFormat.channels"},
    {"channels bool", START_WITH("[\"inbound\"]", FMT("\"audio/x-mulaw\"", "8000", "true"), "{}"),
     TW_ERR_TYPE, "start.mediaFormat.channels"},
    {"params array", START_WITH("[\"inbound\"]", GOOD_FMT, "[]"), TW_ERR_TYPE,
     "start.customParameters"},
    {"param number", START_WITH("[\"inbound\"]", GOOD_FMT, "{\"a\":\"x\",\"n\":1}"), TW_ERR_TYPE,
     "start.customParameters.n"},
    {"param object", START_WITH("[\"inbound\"]", GOOD_FMT, "{\"o\":{}}"), TW_ERR_TYPE,
     "start.customParameters.o"},
    {"param duplicate", START_WITH("[\"inbound\"]", GOOD_FMT, "{\"a\":\"x\",\"a\":\"y\"}"),
     TW_ERR_VALUE, "start.customParameters"},
    {"accountSid number", "{\"event\":\"start\",\"streamSid\":\"a\",\"start\":{\"accountSid\":1}}",
     TW_ERR_TYPE, "start.accountSid"},
    {"callSid null", "{\"event\":\"start\",\"streamSid\":\"a\",\"start\":{\"callSid\":null}}",
     TW_ERR_TYPE, "start.callSid"},
    {"start, control row", START_WITH("[\"inbound\"]", GOOD_FMT, "{}"), TW_OK, ""},
    /* dtmf */
    {"no dtmf", "{\"event\":\"dtmf\",\"streamSid\":\"a\"}", TW_ERR_MISSING, "dtmf"},
    {"dtmf no track", DTMF("{\"digit\":\"1\"}"), TW_ERR_MISSING, "dtmf.track"},
    {"dtmf track inbound", DTMF("{\"track\":\"inbound\",\"digit\":\"1\"}"), TW_ERR_VALUE,
     "dtmf.track"},
    {"dtmf track number", DTMF("{\"track\":0,\"digit\":\"1\"}"), TW_ERR_TYPE, "dtmf.track"},
    {"dtmf no digit", DTMF("{\"track\":\"inbound_track\"}"), TW_ERR_MISSING, "dtmf.digit"},
    {"dtmf digit number", DTMF("{\"track\":\"inbound_track\",\"digit\":1}"), TW_ERR_TYPE,
     "dtmf.digit"},
    {"dtmf two digits", DTMF("{\"track\":\"inbound_track\",\"digit\":\"12\"}"), TW_ERR_VALUE,
     "dtmf.digit"},
    {"dtmf empty digit", DTMF("{\"track\":\"inbound_track\",\"digit\":\"\"}"), TW_ERR_VALUE,
     "dtmf.digit"},
    {"dtmf letter", DTMF("{\"track\":\"inbound_track\",\"digit\":\"x\"}"), TW_ERR_VALUE,
     "dtmf.digit"},
    {"dtmf long digit", DTMF("{\"track\":\"inbound_track\",\"digit\":\"0123456789\"}"),
     TW_ERR_VALUE, "dtmf.digit"},
    /* mark */
    {"no mark", "{\"event\":\"mark\",\"streamSid\":\"a\"}", TW_ERR_MISSING, "mark"},
    {"mark no name", "{\"event\":\"mark\",\"streamSid\":\"a\",\"mark\":{}}", TW_ERR_MISSING,
     "mark.name"},
    {"mark name number", "{\"event\":\"mark\",\"streamSid\":\"a\",\"mark\":{\"name\":1}}",
     TW_ERR_TYPE, "mark.name"},
    /* stop */
    {"stop string", "{\"event\":\"stop\",\"streamSid\":\"a\",\"stop\":\"x\"}", TW_ERR_TYPE,
     "stop"},
    {"stop callSid number", "{\"event\":\"stop\",\"streamSid\":\"a\",\"stop\":{\"callSid\":5}}",
     TW_ERR_TYPE, "stop.callSid"},
};

Test(twilio_parse, bad_messages_name_the_field)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        tw_status st = parse(c->json);
        cr_expect_eq(st, c->status, "%s: got %s (%s), want %s", c->name, tw_status_name(st),
                     err.message, tw_status_name(c->status));
        cr_expect_str_eq(err.field, c->field, "%s: field %s", c->name, err.field);
        cr_expect_eq(err.status, st, "%s", c->name);
        if (st != TW_OK) {
            cr_expect_neq(err.message[0], '\0', "%s: empty message", c->name);
            if (c->field[0])
                cr_expect(strstr(err.message, c->field), "%s: message '%s' does not name %s",
                          c->name, err.message, c->field);
        }
    }
}

Test(twilio_parse, error_message_wording)
{
    parse(MEDIA("\"3\"", M_OK("\"inbound\"", "\"1\"", "20", "\"\""), "\"a\""));
    cr_assert_str_eq(err.message, "media.timestamp must be a string of decimal digits");
    parse("{\"event\":\"mark\",\"streamSid\":\"a\",\"mark\":{}}");
    cr_assert_str_eq(err.message, "mark.name is required");
}

Test(twilio_parse, error_keeps_stream_and_event)
{
    cr_assert_eq(parse(MEDIA("3", GOOD_MEDIA, "\"" SID "\"")), TW_ERR_TYPE);
    cr_assert_str_eq(err.field, "sequenceNumber");
    cr_assert_str_eq(msg.stream_sid, SID);
    cr_assert_eq(msg.event, TW_EV_MEDIA);
    cr_assert_eq(parse(MEDIA("\"3\"", M_OK("\"inbound\"", "\"1\"", "\"1\"", "\"Zg\""),
                             "\"" SID "\"")),
                 TW_ERR_BASE64);
    cr_assert_str_eq(msg.stream_sid, SID);
    cr_assert_eq(msg.event, TW_EV_MEDIA);
    cr_assert_eq(parse("{\"event\":\"media\",\"streamSid\":5}"), TW_ERR_TYPE);
    cr_assert_str_eq(msg.stream_sid, "");
    cr_assert_eq(parse("{\"event\":\"media\",\"streamSid\":\"" SID "\"} x"), TW_ERR_JSON);
    cr_assert_str_eq(msg.stream_sid, "");
}

Test(twilio_parse, json_error_offset)
{
    cr_assert_eq(parse("{\"event\":\"stop\",\"streamSid\":\"a\"} x"), TW_ERR_JSON);
    cr_assert_str_eq(err.message, "message is not valid JSON (at byte 33)");
    cr_assert_eq(parse("{\"event\":\"stop\", oops}"), TW_ERR_JSON);
    size_t at = 0; /* somewhere in the bad token, as cJSON reports it */
    cr_assert_eq(sscanf(err.message, "message is not valid JSON (at byte %zu)", &at), 1);
    cr_assert(at >= 16 && at <= 21, "%zu", at);
    cr_assert_eq(parse("{\"event\":\"stop\",\"streamSid\":\"a\"} \r\n\t"), TW_OK);
}

Test(twilio_parse, start_stream_sid_mismatch)
{
    const char *j = "{\"event\":\"start\",\"start\":{\"streamSid\":\"MZ2\",\"tracks\":[\"inbound\"],"
                    "\"mediaFormat\":" GOOD_FMT "},\"streamSid\":\"MZ1\"}";
    cr_assert_eq(parse(j), TW_ERR_VALUE);
    cr_assert_str_eq(err.field, "start.streamSid");
}

/* ---- limits ------------------------------------------------------------------------ */

Test(twilio_parse, oversize_frame)
{
    size_t n = TW_MAX_MESSAGE + 1;
    char *big = malloc(n);
    cr_assert_not_null(big);
    memset(big, ' ', n);
    const char *stop = "{\"event\":\"stop\",\"streamSid\":\"a\"}";
    memcpy(big, stop, strlen(stop)); /* then whitespace up to the limit */
    cr_assert_eq(tw_parse(big, n, &msg, NULL, 0, &err), TW_ERR_TOO_LARGE);
    cr_assert(strstr(err.message, "65536"), "%s", err.message);
    cr_assert_eq(tw_parse(big, n - 1, &msg, NULL, 0, &err), TW_OK, "%s", err.message);
    free(big);
}

static char *media_with_payload_bytes(size_t bytes)
{
    size_t chars = (bytes + 2) / 3 * 4;
    char *j = malloc(chars + 200);
    int n = sprintf(j, "{\"event\":\"media\",\"streamSid\":\"a\",\"media\":{\"track\":\"inbound\","
                       "\"chunk\":\"1\",\"timestamp\":\"1\",\"payload\":\"");
    for (size_t i = 0; i < chars; i++)
        j[n + i] = 'A';
    if (bytes % 3)
        memset(j + n + chars - (3 - bytes % 3), '=', 3 - bytes % 3);
    strcpy(j + n + chars, "\"}}");
    return j;
}

Test(twilio_parse, payload_larger_than_buffer)
{
    char *j = media_with_payload_bytes(sizeof(payload));
    cr_assert_eq(parse(j), TW_OK, "%s", err.message);
    cr_assert_eq(msg.u.media.payload_len, sizeof(payload));
    free(j);
    j = media_with_payload_bytes(sizeof(payload) + 1);
    cr_assert_eq(parse(j), TW_ERR_PAYLOAD_SIZE);
    cr_assert_str_eq(err.field, "media.payload");
    cr_assert_eq(tw_parse(j, strlen(j), &msg, NULL, 0, &err), TW_ERR_PAYLOAD_SIZE);
    free(j);
}

static char *start_with_params(size_t n, size_t key_len, size_t value_len)
{
    char *j = malloc(1024 + n * (key_len + value_len + 16));
    char *p = j + sprintf(j, "{\"event\":\"start\",\"streamSid\":\"a\",\"start\":{\"tracks\":"
                             "[\"inbound\"],\"mediaFormat\":" GOOD_FMT ",\"customParameters\":{");
    for (size_t i = 0; i < n; i++) {
        p += sprintf(p, "%s\"%04zu", i ? "," : "", i);
        memset(p, 'k', key_len - 4);
        p += key_len - 4;
        *p++ = '"';
        *p++ = ':';
        *p++ = '"';
        memset(p, 'v', value_len);
        p += value_len;
        *p++ = '"';
    }
    strcpy(p, "}}}");
    return j;
}

Test(twilio_parse, custom_parameter_limits)
{
    char *j = start_with_params(TW_MAX_PARAMS, TW_PARAM_KEY_MAX - 1, TW_PARAM_VALUE_MAX - 1);
    cr_assert_eq(parse(j), TW_OK, "%s", err.message);
    cr_assert_eq(msg.u.start.n_params, TW_MAX_PARAMS);
    cr_assert_eq(strlen(msg.u.start.params[31].value), TW_PARAM_VALUE_MAX - 1);
    free(j);

    j = start_with_params(TW_MAX_PARAMS + 1, 8, 1);
    cr_assert_eq(parse(j), TW_ERR_VALUE);
    cr_assert_str_eq(err.field, "start.customParameters");
    cr_assert(strstr(err.message, "more than 32"), "%s", err.message);
    free(j);

    j = start_with_params(1, TW_PARAM_KEY_MAX, 1);
    cr_assert_eq(parse(j), TW_ERR_VALUE);
    cr_assert_str_eq(err.field, "start.customParameters");
    free(j);

    j = start_with_params(1, 8, TW_PARAM_VALUE_MAX);
    cr_assert_eq(parse(j), TW_ERR_VALUE);
    cr_assert_str_eq(err.field, "start.customParameters.0000kkkk");
    free(j);
}

Test(twilio_parse, over_long_strings)
{
    char name[TW_NAME_MAX + 1], j[512];
    memset(name, 'n', sizeof(name) - 1);
    name[TW_NAME_MAX] = '\0';
    snprintf(j, sizeof(j), "{\"event\":\"mark\",\"streamSid\":\"a\",\"mark\":{\"name\":\"%s\"}}",
             name);
    cr_assert_eq(parse(j), TW_ERR_VALUE);
    cr_assert_str_eq(err.field, "mark.name");
    name[TW_NAME_MAX - 1] = '\0'; /* exactly the limit fits */
    snprintf(j, sizeof(j), "{\"event\":\"mark\",\"streamSid\":\"a\",\"mark\":{\"name\":\"%s\"}}",
             name);
    cr_assert_eq(parse(j), TW_OK, "%s", err.message);
    cr_assert_str_eq(msg.u.mark.name, name);

    char sid[TW_SID_MAX + 1];
    memset(sid, 'C', TW_SID_MAX);
    sid[TW_SID_MAX] = '\0';
    snprintf(j, sizeof(j), "{\"event\":\"stop\",\"streamSid\":\"a\",\"stop\":{\"callSid\":\"%s\"}}",
             sid);
    cr_assert_eq(parse(j), TW_ERR_VALUE);
    cr_assert_str_eq(err.field, "stop.callSid");
}

Test(twilio_parse, deep_nesting_is_rejected_cleanly)
{
    char j[4096];
    size_t n = 0;
    n += (size_t)sprintf(j, "{\"event\":\"stop\",\"streamSid\":\"a\",\"x\":");
    for (int i = 0; i < 1500; i++)
        j[n++] = '[';
    j[n] = '\0';
    cr_assert_eq(parse(j), TW_ERR_JSON);
}

/* ---- fixtures ---------------------------------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    static char buf[TW_MAX_MESSAGE];
    *len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    return buf;
}

/* Run `fn` on each fixture whose name starts with `prefix` in `dir`; returns the count. */
static int each_fixture(const char *dir, const char *prefix, void (*fn)(const char *, size_t,
                                                                        const char *))
{
    const char *src = getenv("CALLPRINT_SOURCE_DIR");
    cr_assert_not_null(src, "CALLPRINT_SOURCE_DIR is not set");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/fixtures/twilio%s", src, dir);
    DIR *d = opendir(path);
    cr_assert_not_null(d, "cannot open %s", path);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || !strstr(e->d_name, ".json"))
            continue;
        char file[1400];
        size_t len;
        snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
        char *text = read_file(file, &len);
        fn(text, len, e->d_name);
        count++;
    }
    closedir(d);
    return count;
}

static bool inbound_fixture(const char *name)
{
    return strncmp(name, "twilio-out-", 11) != 0 && strncmp(name, "vv-connected-ack", 16) != 0 &&
           strncmp(name, "vv-ping", 7) != 0 && strncmp(name, "vv-reply", 8) != 0;
}

static void must_parse(const char *text, size_t len, const char *name)
{
    if (!inbound_fixture(name))
        return;
    cr_expect_eq(tw_parse(text, len, &msg, payload, sizeof(payload), &err), TW_OK, "%s: %s",
                 name, err.message);
}

static void must_fail(const char *text, size_t len, const char *name)
{
    if (!inbound_fixture(name))
        return;
    cr_expect_neq(tw_parse(text, len, &msg, payload, sizeof(payload), &err), TW_OK, "%s", name);
}

Test(twilio_parse, documented_examples_parse)
{
    cr_assert_geq(each_fixture("", "twilio-", must_parse), 8);
    cr_assert_geq(each_fixture("", "vv-", must_parse), 4);
}

Test(twilio_parse, invalid_fixtures_are_rejected)
{
    cr_assert_geq(each_fixture("/invalid", "twilio-", must_fail), 10);
}

Test(twilio_parse, documented_start_values)
{
    const char *src = getenv("CALLPRINT_SOURCE_DIR");
    char path[1024];
    size_t len;
    snprintf(path, sizeof(path), "%s/tests/fixtures/twilio/twilio-start.docs.json", src);
    char *text = read_file(path, &len);
    cr_assert_eq(tw_parse(text, len, &msg, NULL, 0, &err), TW_OK, "%s", err.message);
    cr_assert_str_eq(msg.stream_sid, "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"); /* as documented */
    cr_assert_eq(msg.u.start.tracks, TW_TRACK_INBOUND);
    cr_assert_str_eq(tw_param_get(&msg, "LastName"), "Doe");
}

/* ---- validators and names ---------------------------------------------------------- */

Test(twilio_parse, sid_validator)
{
    cr_assert(tw_sid_valid("MZ18ad3ab5a668481ce02b83e7395059f0"));
    cr_assert(tw_sid_valid("ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"));
    cr_assert_not(tw_sid_valid("MZ18ad3ab5a668481ce02b83e7395059f"));   /* 33 */
    cr_assert_not(tw_sid_valid("MZ18ad3ab5a668481ce02b83e7395059f00")); /* 35 */
    cr_assert_not(tw_sid_valid("MZ18ad3ab5a668481ce02b83e7395059-0"));
    cr_assert_not(tw_sid_valid("MZ18ad3ab5a668481ce02b83e7395059\xc3\xa9"));
    cr_assert_not(tw_sid_valid(""));
    cr_assert_not(tw_sid_valid(NULL));
}

Test(twilio_parse, uuid4_validator)
{
    cr_assert(tw_uuid4_valid("3f1c7a52-9b8e-4d21-a6f0-5c2e8b7d9a14"));
    cr_assert(tw_uuid4_valid("3F1C7A52-9B8E-4D21-B6F0-5C2E8B7D9A14"));
    cr_assert(tw_uuid4_valid("00000000-0000-4000-8000-000000000000"));
    cr_assert_not(tw_uuid4_valid("3f1c7a52-9b8e-1d21-a6f0-5c2e8b7d9a14")); /* version 1 */
    cr_assert_not(tw_uuid4_valid("3f1c7a52-9b8e-4d21-c6f0-5c2e8b7d9a14")); /* variant */
    cr_assert_not(tw_uuid4_valid("3f1c7a529b8e4d21a6f05c2e8b7d9a14"));     /* no dashes */
    cr_assert_not(tw_uuid4_valid("{3f1c7a52-9b8e-4d21-a6f0-5c2e8b7d9a14}"));
    cr_assert_not(tw_uuid4_valid("3f1c7a52-9b8e-4d21-a6f0-5c2e8b7d9a1g"));
    cr_assert_not(tw_uuid4_valid("3f1c7a52-9b8e-4d21-a6f0-5c2e8b7d9a14 "));
    cr_assert_not(tw_uuid4_valid("3f1c7a5-29b8e-4d21-a6f0-5c2e8b7d9a14"));
    cr_assert_not(tw_uuid4_valid(""));
    cr_assert_not(tw_uuid4_valid(NULL));
}

Test(twilio_parse, names)
{
    cr_assert_str_eq(tw_event_name(TW_EV_CONNECTED), "connected");
    cr_assert_str_eq(tw_event_name(TW_EV_STOP), "stop");
    cr_assert_str_eq(tw_event_name((tw_event)99), "unknown");
    cr_assert_str_eq(tw_status_name(TW_OK), "ok");
    cr_assert_str_eq(tw_status_name(TW_ERR_PAYLOAD_SIZE), "payload_too_large");
    cr_assert_str_eq(tw_status_name((tw_status)99), "unknown");
}
