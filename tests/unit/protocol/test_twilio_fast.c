/* test_twilio_fast.c -- the media fast path (protocol/twilio_fast.c) against the cJSON path.
 *
 * Two promises: real media messages take the fast path (else it would be dead weight), and
 * whatever it accepts the cJSON path accepts with the same fields and payload bytes. The
 * tricky inputs -- JSON that jsmn tokenizes but is not JSON, escapes, types Twilio never
 * sends -- must be declined, and tw_parse must then still give the cJSON path's answer. */
#include "twilio_internal.h"
#include "twilio_expect.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define SID "MZ18ad3ab5a668481ce02b83e7395059f0"
#define PAYLOAD "AAECAwQFBgc=" /* bytes 0..7 */

static tw_msg fast, full;
static uint8_t fast_pl[256], full_pl[256];

static bool take_fast(const char *json)
{
    memset(&fast, 0x5A, sizeof fast);
    return tw_fast_media(json, strlen(json), &fast, fast_pl, sizeof fast_pl);
}

static tw_status take_full(const char *json)
{
    memset(&full, 0xA5, sizeof full);
    return tw_parse_full(json, strlen(json), &full, full_pl, sizeof full_pl, NULL);
}

/* Accepted by both, with the same result. */
static void assert_same(const char *json)
{
    cr_assert(take_fast(json), "fast path declined: %s", json);
    cr_assert_eq(take_full(json), TW_OK, "cJSON path refused: %s", json);
    cr_assert_eq(fast.event, TW_EV_MEDIA);
    cr_assert_eq(full.event, TW_EV_MEDIA);
    cr_assert_str_eq(fast.stream_sid, full.stream_sid);
    cr_assert_eq(fast.has_sequence, full.has_sequence);
    cr_assert_eq(fast.sequence_number, full.sequence_number);
    cr_assert_eq(fast.u.media.track, full.u.media.track);
    cr_assert_eq(fast.u.media.chunk, full.u.media.chunk);
    cr_assert_eq(fast.u.media.timestamp_ms, full.u.media.timestamp_ms);
    cr_assert_eq(fast.u.media.payload_len, full.u.media.payload_len);
    cr_assert_eq(memcmp(fast_pl, full_pl, fast.u.media.payload_len), 0);
}

/* Declined, *out untouched, and tw_parse still answers as the cJSON path does. */
static void assert_declined(const char *json)
{
    cr_assert_not(take_fast(json), "fast path accepted: %s", json);
    tw_msg untouched;
    memset(&untouched, 0x5A, sizeof untouched);
    cr_assert_eq(memcmp(&fast, &untouched, sizeof fast), 0, "declined but wrote: %s", json);
    tw_status want = take_full(json);
    static tw_msg via;
    cr_assert_eq(tw_parse(json, strlen(json), &via, fast_pl, sizeof fast_pl, NULL), want);
}

static const char *MEDIA = "{\"event\":\"media\",\"sequenceNumber\":\"3\",\"media\":{\"track\":"
                           "\"inbound\",\"chunk\":\"1\",\"timestamp\":\"5\",\"payload\":\"" PAYLOAD
                           "\"},\"streamSid\":\"" SID "\"}";

Test(twilio_fast, twilios_media_message_takes_the_fast_path)
{
    assert_same(MEDIA);
    tw_expect_media(&fast, 3, TW_TRACK_INBOUND, 1, 5, 8);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(fast_pl[i], i);
    cr_assert_str_eq(fast.stream_sid, SID);
}

Test(twilio_fast, the_builders_output_takes_the_fast_path)
{
    char buf[1024];
    uint8_t ulaw[160];
    for (int i = 0; i < 160; i++)
        ulaw[i] = (uint8_t)(i * 37);
    int n = tw_build_media_in(buf, sizeof buf, 18446744073709551615u, SID, TW_TRACK_OUTBOUND,
                              77, 1540, ulaw, sizeof ulaw);
    cr_assert_gt(n, 0);
    assert_same(buf);
    cr_assert_eq(fast.sequence_number, 18446744073709551615u);
    cr_assert_eq(fast.u.media.payload_len, 160);
}

Test(twilio_fast, whitespace_order_extras_and_duplicates_agree)
{
    /* Whitespace everywhere, another key order, no sequenceNumber, unknown fields (strings and
     * a nested object), an empty payload, and duplicate keys: the first one counts. */
    assert_same(" \r\n{ \"streamSid\" : \"" SID "\" ,\t\"event\":\"media\", \"media\" : {"
                "\"payload\":\"\",\"timestamp\":\"0\",\"chunk\":\"0\",\"track\":\"outbound\"},"
                "\"extra\":\"x\", \"more\":{}, \"\":\"\"}\n ");
    cr_assert_not(fast.has_sequence);
    cr_assert_eq(fast.u.media.payload_len, 0);
    assert_same("{\"event\":\"media\",\"streamSid\":\"A\",\"streamSid\":\"B\",\"media\":{\"track\":"
                "\"inbound\",\"chunk\":\"1\",\"chunk\":\"x\",\"timestamp\":\"2\",\"payload\":\"\"}"
                ",\"media\":\"second\"}");
    cr_assert_str_eq(fast.stream_sid, "A");
    /* Bytes above 0x7f are copied as they are, by both. */
    assert_same("{\"event\":\"media\",\"streamSid\":\"\xc3\xa9\",\"media\":{\"track\":\"inbound\","
                "\"chunk\":\"1\",\"timestamp\":\"2\",\"payload\":\"\"}}");
}

/* JSON that jsmn tokenizes without complaint, or nearly, but that is not JSON. */
Test(twilio_fast, grammar_errors_are_declined)
{
    const char *bad[] = {
        "{\"event\" \"media\",\"streamSid\":\"S\",\"media\":{}}",        /* missing colon */
        "{\"event\":\"media\" \"streamSid\":\"S\",\"media\":{}}",        /* missing comma */
        "{\"event\":\"media\",\"streamSid\":\"S\",\"media\":{},}",       /* trailing comma */
        "{,\"event\":\"media\"}",                                        /* leading comma */
        "{\"event\"::\"media\"}",                                        /* double colon */
        "{\"event\":\"media\"}}",                                        /* extra brace */
        "{\"event\":\"media\"} {}",                                      /* two documents */
        "{\"event\":\"media\"} \"x\"",                                   /* trailing string */
        "{\"event\":\"media\"",                                          /* truncated */
        "\"event\"",                                                     /* not an object */
        "",                                                              /* empty */
        "{\"a\":\"b\" , , \"c\":\"d\"}",                                 /* empty member */
        "{\"event\":\"media\",\"a\":[\"x\"]}",                           /* array */
        "{\"event\":\"media\",\"a\":1}",                                 /* number */
        "{\"event\":\"media\",\"a\":true}",                              /* literal */
        "{\"event\":\"media\",\"a\":{\"b\":{\"c\":\"d\"}}}",             /* too deep */
        "\xef\xbb\xbf{\"event\":\"media\"}",                             /* byte order mark */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_declined(bad[i]);
}

/* Valid JSON the cJSON path must handle: escapes, control characters, wrong fields. */
Test(twilio_fast, everything_but_a_plain_valid_media_message_is_declined)
{
    char json[1024];
    const char *variants[][2] = {
        {"\\\"event\\\":\\\"media\\\"", "escaped key"},
        {"\"event\":\"med\\u0069a\"", "escape in the event"},
        {"\"event\":\"start\"", "another event"},
        {"\"event\":\"media\",\"event\":\"stop\"", "duplicate event, first wins"},
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        snprintf(json, sizeof json,
                 "{%s,\"streamSid\":\"S\",\"media\":{\"track\":\"inbound\",\"chunk\":\"1\","
                 "\"timestamp\":\"2\",\"payload\":\"\"}}",
                 variants[i][0]);
        if (strstr(variants[i][1], "first wins"))
            assert_same(json);
        else
            assert_declined(json);
    }
    const char *media[] = {
        "\"track\":\"both\",\"chunk\":\"1\",\"timestamp\":\"2\",\"payload\":\"\"",
        "\"track\":\"inbound\",\"chunk\":\"1x\",\"timestamp\":\"2\",\"payload\":\"\"",
        "\"track\":\"inbound\",\"chunk\":\"\",\"timestamp\":\"2\",\"payload\":\"\"",
        "\"track\":\"inbound\",\"chunk\":\"18446744073709551616\",\"timestamp\":\"2\","
        "\"payload\":\"\"",
        "\"track\":\"inbound\",\"chunk\":\"1\",\"payload\":\"\"",
        "\"track\":\"inbound\",\"chunk\":\"1\",\"timestamp\":\"2\",\"payload\":\"AAE\"",
        "\"track\":\"inbound\",\"chunk\":\"1\",\"timestamp\":\"2\",\"payload\":\"AA\\u0041=\"",
        "\"track\":\"inbound\",\"chunk\":\"1\",\"timestamp\":\"2\",\"payload\":{}",
        "\"track\":\"inbound\",\"chunk\":\"1\",\"timestamp\":\"2\",\"payload\":\"A\tA=\"",
    };
    for (size_t i = 0; i < sizeof media / sizeof media[0]; i++) {
        snprintf(json, sizeof json, "{\"event\":\"media\",\"streamSid\":\"S\",\"media\":{%s}}",
                 media[i]);
        assert_declined(json);
    }
    assert_declined("{\"event\":\"media\",\"media\":{\"track\":\"inbound\",\"chunk\":\"1\","
                    "\"timestamp\":\"2\",\"payload\":\"\"}}"); /* no streamSid */
    assert_declined("{\"event\":\"media\",\"streamSid\":\"S\",\"media\":\"x\"}");
    assert_declined("{\"event\":\"media\",\"sequenceNumber\":\"-1\",\"streamSid\":\"S\","
                    "\"media\":{\"track\":\"inbound\",\"chunk\":\"1\",\"timestamp\":\"2\","
                    "\"payload\":\"\"}}");
    /* A streamSid that does not fit, and a NUL inside a string. */
    snprintf(json, sizeof json, "{\"event\":\"media\",\"streamSid\":\"%0*d\",\"media\":{}}",
             TW_SID_MAX, 0);
    assert_declined(json);
    static const char nul[] = "{\"event\":\"media\",\"streamSid\":\"S\0\"}";
    cr_assert_not(tw_fast_media(nul, sizeof nul - 1, &fast, fast_pl, sizeof fast_pl));
}

Test(twilio_fast, a_payload_larger_than_the_buffer_is_left_to_the_full_path)
{
    cr_assert_not(tw_fast_media(MEDIA, strlen(MEDIA), &fast, fast_pl, 4));
    cr_assert_not(tw_fast_media(MEDIA, strlen(MEDIA), &fast, NULL, 0));
    tw_error err;
    cr_assert_eq(tw_parse(MEDIA, strlen(MEDIA), &full, fast_pl, 4, &err), TW_ERR_PAYLOAD_SIZE);
    cr_assert_str_eq(err.field, "media.payload");
}

Test(twilio_decimal, counters)
{
    uint64_t v;
    cr_assert(tw_decimal("0", 1, &v) && v == 0);
    cr_assert(tw_decimal("18446744073709551615", 20, &v) && v == UINT64_MAX);
    cr_assert_not(tw_decimal("18446744073709551616", 20, &v));
    cr_assert_not(tw_decimal("000000000000000000001", 21, &v), "more than 20 digits");
    cr_assert_not(tw_decimal("", 0, &v));
    cr_assert_not(tw_decimal("1 ", 2, &v));
    cr_assert_not(tw_decimal("+1", 2, &v));
}
