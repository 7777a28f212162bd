/* twilio_sig.h -- Twilio request signatures (X-Twilio-Signature).
 *
 * Twilio signs a request with HMAC-SHA1 keyed by the account's auth token over the full
 * public URL (scheme, host, path and query string as Twilio requested them) followed, for
 * form POSTs, by each parameter name and value sorted by name. A WebSocket upgrade is a GET,
 * so only the URL is signed. The signature is base64 of the 20-byte MAC. Comparison is
 * constant-time. Pure: OpenSSL's HMAC, no I/O.
 */
#ifndef CALLPRINT_TWILIO_SIG_H
#define CALLPRINT_TWILIO_SIG_H

#include <stdbool.h>
#include <stddef.h>

#define TWSIG_LEN 28 /* base64 of 20 bytes */

typedef struct {
    const char *name;
    const char *value;
} twsig_param;

/* Compute the signature of `url` (+ POST params, may be NULL/0) into out (>= TWSIG_LEN+1).
 * Returns 0 on success, -1 on error. */
int twsig_compute(const char *auth_token, const char *url, const twsig_param *params,
                  size_t n_params, char *out, size_t out_cap);

/* True when `signature` is the valid signature of `url` under `auth_token`. */
bool twsig_check(const char *auth_token, const char *url, const twsig_param *params,
                 size_t n_params, const char *signature);

#endif
