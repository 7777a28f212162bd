/* twilio_sig.h -- Twilio request signatures (X-Twilio-Signature).
 *
 * Twilio signs a request with HMAC-SHA1 keyed by the account's auth token over the full
 * public URL (scheme, host, path and query string as Twilio requested them) followed, for
 * form POSTs, by each parameter name and value sorted by name. A WebSocket upgrade is a GET,
 * so only the URL is signed. The signature is base64 of the 20-byte MAC. Comparison is
 * constant-time. Pure: OpenSSL's HMAC, no I/O.
 *
 * The signature has no nonce: it is a static credential for its URL, valid for as long as the
 * auth token is, and anyone who sees one upgrade's headers can replay them. The per-call token
 * narrows that: the TwiML carries <Parameter name="call_token"> = lowercase hex of
 * HMAC-SHA256(gateway secret, CallSid), which only the TwiML's author can compute and which is
 * worth one call (the gateway checks it against the start message's callSid).
 */
#ifndef CALLPRINT_TWILIO_SIG_H
#define CALLPRINT_TWILIO_SIG_H

#include <stdbool.h>
#include <stddef.h>

#define TWSIG_LEN 28 /* base64 of 20 bytes */
#define TWSIG_CALL_TOKEN_LEN 64 /* hex of HMAC-SHA256 */

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

/* The call token of call_sid under secret (64 hex digits) into out (>= 65). 0 or -1. */
int twsig_call_token(const char *secret, const char *call_sid, char *out, size_t out_cap);
/* True when token is call_sid's call token under secret (constant-time compare). */
bool twsig_call_token_check(const char *secret, const char *call_sid, const char *token);

#endif
