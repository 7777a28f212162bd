/* twilio_internal.h -- what twilio.c and its fast path (twilio_fast.c) share, and what the
 * tests reach to check that the two agree. Not part of the protocol module's interface:
 * the gateway only calls tw_parse (twilio.h).
 *
 * tw_parse = tw_fast_media, and when it declines, tw_parse_full (cJSON). The fast path
 * answers only for a media message it is certain the cJSON path would accept with the very
 * same result; tests/fuzz/fuzz_twilio.c checks that on every input it runs.
 */
#ifndef CALLPRINT_TWILIO_INTERNAL_H
#define CALLPRINT_TWILIO_INTERNAL_H

#include "twilio.h"

/* Twilio's counters (sequenceNumber, chunk, timestamp): 1..20 decimal digits, n bytes at s,
 * whose value fits a uint64_t. false otherwise. */
bool tw_decimal(const char *s, size_t n, uint64_t *out);

/* The cJSON parser: every event, every error. Same contract as tw_parse. */
tw_status tw_parse_full(const char *json, size_t len, tw_msg *out, uint8_t *payload,
                        size_t payload_cap, tw_error *err);

/* A valid media message parsed without allocating: true and *out filled exactly as
 * tw_parse_full would fill it, payload decoded (payload NULL: capacity 0). false when it
 * cannot be certain (anything but a plain, valid media message); *out is then untouched. */
bool tw_fast_media(const char *json, size_t len, tw_msg *out, uint8_t *payload,
                   size_t payload_cap);

#endif
