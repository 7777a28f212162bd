/* test_twilio_sig.c -- X-Twilio-Signature against Twilio's documented example, a WebSocket
 * upgrade URL, and forgeries.
 *
 * Twilio's example (https://www.twilio.com/docs/usage/webhooks/webhooks-security): auth token
 * 12345, URL https://mycompany.com/myapp.php?foo=1&bar=2, POST parameters CallSid, Caller,
 * Digits, From, To -> 0/KCTR6DLpKmkAf8muzZqo1nDgQ=. Checked independently with
 *   printf '%s' 'https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDE'\
 *   'Caller+12349013030Digits1234From+12349013030To+18005551212' \
 *   | openssl dgst -sha1 -hmac 12345 -binary | base64
 * The upgrade vector below was computed the same way:
 *   printf '%s' 'wss://voice.example.com/stream?tenant=7' \
 *   | openssl dgst -sha1 -hmac 0123456789abcdef0123456789abcdef -binary | base64
 */
#include "twilio_sig.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static const char *TOKEN = "12345";
static const char *URL = "https://mycompany.com/myapp.php?foo=1&bar=2";
static const twsig_param PARAMS[] = { /* deliberately not sorted */
    {"To", "+18005551212"},       {"Digits", "1234"}, {"CallSid", "CA1234567890ABCDE"},
    {"From", "+12349013030"},     {"Caller", "+12349013030"},
};
#define N_PARAMS (sizeof(PARAMS) / sizeof(PARAMS[0]))
static const char *DOC_SIG = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

static const char *WS_TOKEN = "0123456789abcdef0123456789abcdef";
static const char *WS_URL = "wss://voice.example.com/stream?tenant=7";
static const char *WS_SIG = "gw8trwuIjFts0njcl7KSS9CUmHY=";

Test(twilio_sig, twilio_documented_example)
{
    char sig[TWSIG_LEN + 1];
    cr_assert_eq(twsig_compute(TOKEN, URL, PARAMS, N_PARAMS, sig, sizeof(sig)), 0);
    cr_assert_str_eq(sig, DOC_SIG);
    cr_assert(twsig_check(TOKEN, URL, PARAMS, N_PARAMS, DOC_SIG));
}

Test(twilio_sig, websocket_upgrade_signs_the_url_only)
{
    char sig[TWSIG_LEN + 1];
    cr_assert_eq(twsig_compute(WS_TOKEN, WS_URL, NULL, 0, sig, sizeof(sig)), 0);
    cr_assert_str_eq(sig, WS_SIG);
    cr_assert(twsig_check(WS_TOKEN, WS_URL, NULL, 0, WS_SIG));
}

Test(twilio_sig, forgeries_are_rejected)
{
    char forged[TWSIG_LEN + 1];
    strcpy(forged, DOC_SIG);
    for (size_t i = 0; i < TWSIG_LEN - 1; i++) { /* flip each character (the last is '=') */
        char saved = forged[i];
        forged[i] = saved == 'A' ? 'B' : 'A';
        cr_expect_not(twsig_check(TOKEN, URL, PARAMS, N_PARAMS, forged), "position %zu", i);
        forged[i] = saved;
    }
    cr_assert_not(twsig_check("12346", URL, PARAMS, N_PARAMS, DOC_SIG));  /* other token */
    cr_assert_not(twsig_check(TOKEN, "https://mycompany.com/myapp.php?foo=1&bar=3", PARAMS,
                              N_PARAMS, DOC_SIG));                         /* other URL */
    cr_assert_not(twsig_check(TOKEN, URL, PARAMS, N_PARAMS - 1, DOC_SIG)); /* param dropped */
    twsig_param changed[N_PARAMS];
    memcpy(changed, PARAMS, sizeof(PARAMS));
    changed[1].value = "9999";
    cr_assert_not(twsig_check(TOKEN, URL, changed, N_PARAMS, DOC_SIG));
    cr_assert_not(twsig_check(TOKEN, URL, NULL, 0, DOC_SIG)); /* params ignored */
    cr_assert_not(twsig_check(WS_TOKEN, "ws://voice.example.com/stream?tenant=7", NULL, 0, WS_SIG));
    cr_assert_not(twsig_check(WS_TOKEN, WS_URL, NULL, 0, "0/KCTR6DLpKmkAf8muzZqo1nDgQ"));
    cr_assert_not(twsig_check(WS_TOKEN, WS_URL, NULL, 0, ""));
    cr_assert_not(twsig_check(WS_TOKEN, WS_URL, NULL, 0, NULL));
    char longer[64];
    snprintf(longer, sizeof(longer), "%s ", WS_SIG);
    cr_assert_not(twsig_check(WS_TOKEN, WS_URL, NULL, 0, longer));
}

Test(twilio_sig, bad_arguments)
{
    char sig[TWSIG_LEN + 1];
    cr_assert_eq(twsig_compute("", URL, NULL, 0, sig, sizeof(sig)), -1); /* no empty key */
    cr_assert_eq(twsig_compute(NULL, URL, NULL, 0, sig, sizeof(sig)), -1);
    cr_assert_eq(twsig_compute(TOKEN, NULL, NULL, 0, sig, sizeof(sig)), -1);
    cr_assert_eq(twsig_compute(TOKEN, URL, NULL, 0, sig, TWSIG_LEN), -1); /* no room for NUL */
    cr_assert_eq(twsig_compute(TOKEN, URL, NULL, 2, sig, sizeof(sig)), -1);
    twsig_param bad[] = {{"a", NULL}};
    cr_assert_eq(twsig_compute(TOKEN, URL, bad, 1, sig, sizeof(sig)), -1);
    cr_assert_not(twsig_check("", URL, NULL, 0, DOC_SIG));
}

/* The per-call token: lowercase hex HMAC-SHA256(secret, CallSid), as
 * `printf CA0123... | openssl dgst -sha256 -hmac gateway-secret` prints it. */
Test(twilio_sig, call_token)
{
    const char *sid = "CA0123456789abcdef0123456789abcdef";
    const char *want = "aa302e9d9ad5d5f2aced1750ec744f7beb02a338a28a56bde24a10ca3c10a397";
    char tok[TWSIG_CALL_TOKEN_LEN + 1];
    cr_assert_eq(twsig_call_token("gateway-secret", sid, tok, sizeof tok), 0);
    cr_assert_str_eq(tok, want);
    cr_assert(twsig_call_token_check("gateway-secret", sid, want));
    cr_assert_not(twsig_call_token_check("gateway-secret", "CA0123456789abcdef0123456789abcdee",
                                         want));
    cr_assert_not(twsig_call_token_check("other-secret", sid, want));
    cr_assert_not(twsig_call_token_check("gateway-secret", sid, "AA302E9D"));
    cr_assert_not(twsig_call_token_check("gateway-secret", sid, NULL));
    cr_assert_not(twsig_call_token_check("gateway-secret", "", want));
    cr_assert_eq(twsig_call_token("gateway-secret", sid, tok, TWSIG_CALL_TOKEN_LEN), -1);
}
