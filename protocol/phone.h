/* phone.h -- caller numbers to E.164.
 *
 * Telephony platforms hand us caller numbers in many shapes: Twilio's "From" ("+442079460958",
 * "anonymous", or one of its placeholder numbers for withheld callers), Amazon Connect's
 * CustomerEndpoint.Address, SIP URIs ("sip:+4420...@host"), and numbers typed by operators into
 * the customer directory ("+44 20 7946 0958", "00442079460958", "(415) 555-0100"). The customer
 * directory is keyed by E.164, so every number goes through phone_normalise() first.
 *
 * Result: PHONE_E164 ("+" and 8-15 digits, a country calling code ITU has assigned), or
 * PHONE_ANONYMOUS (empty, "anonymous", "restricted", "private", "unknown", "unavailable",
 * "withheld", "blocked", and Twilio's placeholder numbers for those), or PHONE_INVALID with a
 * reason. Accepted separators: spaces, '-', '.', '/', parentheses. International prefixes: '+',
 * the IDD prefix (default "00"; "011" too when the default country code is 1). A national number
 * (trunk prefix "0", or no prefix at all) needs phone_options.default_cc; North American numbers
 * must have 10 digits after the +1.
 *
 * Why not libphonenumber here: normalisation needs only syntax checks and the country-code
 * table, and keeping it in C11 keeps protocol/ free of the C++ runtime and ICU. The numbering
 * plans (validity, line type, region) are asked of libphonenumber by fraud screening
 * (callerid/callerid.h), which flags a normalised number that no plan assigns.
 *
 * Pure code: no I/O, no globals beyond const tables.
 */
#ifndef CALLPRINT_PHONE_H
#define CALLPRINT_PHONE_H

#include <stddef.h>

#define PHONE_E164_MAX 17 /* '+', 15 digits, NUL */

typedef enum {
    PHONE_E164 = 0,  /* normalised into out */
    PHONE_ANONYMOUS, /* the caller withheld the number (out = "anonymous") */
    PHONE_INVALID    /* not a phone number; reason says why (out = "") */
} phone_kind;

typedef struct {
    const char *default_cc;  /* country calling code for national numbers, digits only ("44");
                                NULL or "" = national numbers are invalid */
    const char *idd_prefix;  /* international dialling prefix; NULL = "00" */
    const char *trunk_prefix; /* national trunk prefix dropped after the country code;
                                 NULL = "0", "" = keep every digit (e.g. Italy) */
} phone_options;

/* Normalise `in` into `out` (capacity PHONE_E164_MAX). `opt` may be NULL (no default country).
 * *reason (if `reason` is not NULL) is set to a static English sentence for PHONE_INVALID and
 * to NULL otherwise. */
phone_kind phone_normalise(const char *in, const phone_options *opt, char out[PHONE_E164_MAX],
                           const char **reason);

/* 1 if `digits` (no '+') starts with an assigned country calling code; its length in *cc_len. */
int phone_country_code(const char *digits, size_t *cc_len);

const char *phone_kind_name(phone_kind k); /* "e164", "anonymous", "invalid" */

#endif
