/* Webhook payload builders (the Voice Verify manual's shapes, byte for byte) and the signature format. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "webhook_payload.h"

static void expect_json(char *got, const char *want)
{
    cr_assert_not_null(got);
    cr_expect_str_eq(got, want);
    free(got);
}

Test(payload, stream_added_removed)
{
    expect_json(whp_stream("src-1", 200, whp_stream_action_name(WHP_STREAM_ADDED), "u-1"),
                "{\"channel_uuid\":\"src-1\",\"type\":\"stream\",\"status\":200,"
                "\"payload\":{\"action\":\"added\",\"stream_uuid\":\"u-1\"}}");
    expect_json(whp_stream("src-1", 200, whp_stream_action_name(WHP_STREAM_REMOVED), "u-1"),
                "{\"channel_uuid\":\"src-1\",\"type\":\"stream\",\"status\":200,"
                "\"payload\":{\"action\":\"removed\",\"stream_uuid\":\"u-1\"}}");
}

Test(payload, enroll_key_order_and_rounding)
{
    expect_json(whp_enroll("u-1", 200, "u-1", "cust \"42\"",
                           whp_enroll_detail_text(WHP_ENROLL_CREATED), 21.456),
                "{\"channel_uuid\":\"u-1\",\"type\":\"enroll\",\"payload\":{\"stream_uuid\":\"u-1\","
                "\"external_id\":\"cust \\\"42\\\"\",\"detail\":\"enrollment created successfully\","
                "\"speech_length\":21.46},\"status\":200}");
}

Test(payload, verify_shape)
{
    expect_json(whp_verify("u-2", 200, "u-2", "c1", whp_verify_result_text(WHP_VERIFY_NOT_SURE),
                           7.5, 61.234),
                "{\"channel_uuid\":\"u-2\",\"type\":\"verify\",\"status\":200,\"payload\":{"
                "\"stream_uuid\":\"u-2\",\"external_id\":\"c1\",\"result\":\"not sure\","
                "\"speech_length\":7.5,\"score\":61.23}}");
}

Test(payload, spoof_fields_follow_the_manual_fields)
{
    whp_spoof sp = {.score = 97.456, .result = "spoof"};
    expect_json(whp_verify_spoof("u-2", 200, "u-2", "c1",
                                 whp_verify_result_text(WHP_VERIFY_NOT_VERIFIED), 7.5, 91.2, &sp),
                "{\"channel_uuid\":\"u-2\",\"type\":\"verify\",\"status\":200,\"payload\":{"
                "\"stream_uuid\":\"u-2\",\"external_id\":\"c1\",\"result\":\"not verified\","
                "\"speech_length\":7.5,\"score\":91.2,\"spoof_score\":97.46,\"spoof\":\"spoof\"}}");
    expect_json(whp_enroll_spoof("u-1", 403, "u-1", "c1",
                                 whp_enroll_detail_text(WHP_ENROLL_SPOOFED), 21.456, &sp),
                "{\"channel_uuid\":\"u-1\",\"type\":\"enroll\",\"payload\":{\"stream_uuid\":\"u-1\","
                "\"external_id\":\"c1\",\"detail\":\"enrollment refused: the audio was judged "
                "spoofed (synthetic or replayed speech)\",\"speech_length\":21.46,"
                "\"spoof_score\":97.46,\"spoof\":\"spoof\"},\"status\":403}");
    /* NULL: exactly the manual's payloads */
    char *a = whp_verify_spoof("u", 200, "u", "e", "verified", 3, 90, NULL);
    char *b = whp_verify("u", 200, "u", "e", "verified", 3, 90);
    cr_expect_str_eq(a, b);
    free(a);
    free(b);
}

Test(payload, bad_arguments)
{
    cr_expect_null(whp_stream(NULL, 200, "added", "u"));
    cr_expect_null(whp_enroll("u", 200, "u", NULL, "d", 1));
    cr_expect_null(whp_verify("u", 200, "u", "e", NULL, 1, 2));
    cr_expect_null(whp_verify_result_text((whp_verify_result)99));
    cr_expect_null(whp_enroll_detail_text((whp_enroll_detail)-1));
    char *s = whp_verify("u", 200, "u", "e", "verified", NAN, 1e300);
    cr_assert_not_null(s); /* non-finite / absurd numbers never produce invalid JSON */
    cr_expect(strstr(s, "\"speech_length\":0") && strstr(s, "\"score\":0"), "%s", s);
    free(s);
}

Test(payload, signature_covers_the_timestamp_and_the_body)
{
    const char *body = "The quick brown fox jumps over the lazy dog";
    const long long t = 1700000000;
    char sig[WHP_SIGNATURE_MAX + 1];
    cr_assert_eq(whp_sign("key", t, body, strlen(body), sig, sizeof sig), 0);
    /* printf '1700000000.The quick brown fox jumps over the lazy dog' |
     *     openssl dgst -sha256 -hmac key */
    cr_expect_str_eq(sig, "t=1700000000,sha256="
                          "2f658d6aef4f246e91cd741bbcded7479e9605f9d41c9e248122a117e0e1765b");
    cr_expect(whp_signature_check("key", body, strlen(body), sig, t, 300));
    cr_expect(whp_signature_check("key", body, strlen(body), sig, t + 300, 300));
    /* A replay later than the window, or a timestamp changed to fit it, fails. */
    cr_expect(!whp_signature_check("key", body, strlen(body), sig, t + 301, 300));
    char moved[sizeof sig];
    snprintf(moved, sizeof moved, "t=1700000400%s", strchr(sig, ','));
    cr_expect(!whp_signature_check("key", body, strlen(body), moved, t + 400, 300));
    cr_expect(!whp_signature_check("key", "x", 1, sig, t, 300));
    cr_expect(!whp_signature_check("other", body, strlen(body), sig, t, 300));
    sig[25] ^= 1;
    cr_expect(!whp_signature_check("key", body, strlen(body), sig, t, 300));
    cr_expect(!whp_signature_check("key", body, strlen(body), "sha256=abc", t, 300));
    cr_expect(!whp_signature_check("key", body, strlen(body), "t=,sha256=abc", t, 300));
    cr_expect_eq(whp_sign("key", t, body, strlen(body), sig, 10), -1);
}
