/* Webhook payload builders (seed 003 shapes, byte for byte) and the signature format. */
#include <criterion/criterion.h>
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

Test(payload, signature_rfc4231_style_vector)
{
    const char *body = "The quick brown fox jumps over the lazy dog";
    char sig[WHP_SIGNATURE_LEN + 1];
    cr_assert_eq(whp_sign("key", body, strlen(body), sig, sizeof sig), 0);
    cr_expect_str_eq(sig,
                     "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
    cr_expect(whp_signature_check("key", body, strlen(body), sig));
    sig[10] ^= 1;
    cr_expect(!whp_signature_check("key", body, strlen(body), sig));
    cr_expect(!whp_signature_check("other", body, strlen(body), sig));
    cr_expect(!whp_signature_check("key", body, strlen(body), "sha256=abc"));
    cr_expect_eq(whp_sign("key", body, strlen(body), sig, 10), -1);
}
