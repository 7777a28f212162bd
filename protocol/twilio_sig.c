/* twilio_sig.c -- X-Twilio-Signature: HMAC-SHA1(auth token, URL + sorted POST params).
 *
 * Twilio's algorithm (https://www.twilio.com/docs/usage/webhooks/webhooks-security): take
 * the full URL Twilio requested, append each POST parameter's name immediately followed by
 * its value, in the byte order of the names, MAC the string with HMAC-SHA1 keyed by the auth
 * token, and base64 the 20-byte result. A WebSocket upgrade is a GET: only the URL is signed.
 * The MAC is streamed into OpenSSL 3's EVP_MAC piece by piece, so no concatenated copy is
 * built. The check compares in constant time (CRYPTO_memcmp) so a forger learns nothing from
 * timing; an empty auth token is refused rather than used as a key.
 */
#include "twilio_sig.h"

#include "base64.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TWSIG_MAC_LEN 20

static int twsig_param_cmp(const void *a, const void *b)
{
    const twsig_param *x = *(const twsig_param *const *)a, *y = *(const twsig_param *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

static int twsig_update(EVP_MAC_CTX *ctx, const char *s)
{
    return EVP_MAC_update(ctx, (const unsigned char *)s, strlen(s)) == 1 ? 0 : -1;
}

/* Feed the URL and the params, sorted by name, into the MAC. */
static int twsig_feed(EVP_MAC_CTX *ctx, const char *url, const twsig_param *params, size_t n)
{
    if (twsig_update(ctx, url) < 0)
        return -1;
    if (n == 0)
        return 0;
    const twsig_param **sorted = malloc(n * sizeof(*sorted));
    if (!sorted)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        sorted[i] = &params[i];
        if (!params[i].name || !params[i].value)
            rc = -1;
    }
    if (rc == 0)
        qsort(sorted, n, sizeof(*sorted), twsig_param_cmp);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = twsig_update(ctx, sorted[i]->name) < 0 || twsig_update(ctx, sorted[i]->value) < 0;
    free(sorted);
    return rc ? -1 : 0;
}

/* HMAC-<digest> of the URL and params under key, mac_len bytes. */
static int twsig_mac_with(const char *digest_name, const char *key, const char *url,
                          const twsig_param *params, size_t n, unsigned char *mac, size_t mac_len)
{
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    char digest[16];
    snprintf(digest, sizeof digest, "%s", digest_name);
    OSSL_PARAM opts[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    size_t len = 0;
    int rc = -1;
    if (ctx && EVP_MAC_init(ctx, (const unsigned char *)key, strlen(key), opts) == 1 &&
        twsig_feed(ctx, url, params, n) == 0 && EVP_MAC_final(ctx, mac, &len, mac_len) == 1 &&
        len == mac_len)
        rc = 0;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(hmac);
    return rc;
}

static int twsig_mac(const char *token, const char *url, const twsig_param *params, size_t n,
                     unsigned char mac[TWSIG_MAC_LEN])
{
    return twsig_mac_with("SHA1", token, url, params, n, mac, TWSIG_MAC_LEN);
}

int twsig_compute(const char *auth_token, const char *url, const twsig_param *params,
                  size_t n_params, char *out, size_t out_cap)
{
    unsigned char mac[TWSIG_MAC_LEN];
    if (!auth_token || !*auth_token || !url || !out || out_cap < TWSIG_LEN + 1 ||
        (n_params && !params))
        return -1;
    if (twsig_mac(auth_token, url, params, n_params, mac) < 0)
        return -1;
    return b64_encode(mac, sizeof(mac), out, out_cap) == TWSIG_LEN ? 0 : -1;
}

bool twsig_check(const char *auth_token, const char *url, const twsig_param *params,
                 size_t n_params, const char *signature)
{
    char expected[TWSIG_LEN + 1];
    if (!signature || strlen(signature) != TWSIG_LEN)
        return false;
    if (twsig_compute(auth_token, url, params, n_params, expected, sizeof(expected)) < 0)
        return false;
    return CRYPTO_memcmp(expected, signature, TWSIG_LEN) == 0;
}

int twsig_call_token(const char *secret, const char *call_sid, char *out, size_t out_cap)
{
    unsigned char mac[32];
    if (!secret || !*secret || !call_sid || !*call_sid || !out || out_cap < TWSIG_CALL_TOKEN_LEN + 1)
        return -1;
    if (twsig_mac_with("SHA256", secret, call_sid, NULL, 0, mac, sizeof mac) < 0)
        return -1;
    for (size_t i = 0; i < sizeof mac; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
    return 0;
}

bool twsig_call_token_check(const char *secret, const char *call_sid, const char *token)
{
    char want[TWSIG_CALL_TOKEN_LEN + 1];
    if (!token || strlen(token) != TWSIG_CALL_TOKEN_LEN ||
        twsig_call_token(secret, call_sid, want, sizeof want) != 0)
        return false;
    return CRYPTO_memcmp(want, token, TWSIG_CALL_TOKEN_LEN) == 0;
}
