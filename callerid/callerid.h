/* callerid.h -- what a caller's number says about the caller: libphonenumber behind a C API.
 *
 * A call centre's fraud screening starts with the number the network presents. Google's
 * libphonenumber (Debian's libphonenumber8 and libgeocoding8, C++) knows every country's
 * numbering plan: whether a number is valid, its type (fixed line, mobile, VoIP, toll free,
 * premium rate, ...), the region it belongs to and a geocoded description ("London",
 * "Paris", "California"). This module is the small C shim over it (callerid.cc) so that the
 * C gateway can ask without seeing C++.
 *
 * What Debian's C++ build does not have: carrier names and time zones. Upstream ships those
 * mappers only in the Java library (Debian's libphonenumber8-java, as serialised Java data);
 * the C++ library and libgeocoding8 carry the numbering plans and the geocoder only. So
 * callerid_info has no carrier and no time-zone fields rather than empty ones that would
 * suggest a lookup happened.
 *
 * STIR/SHAKEN: Twilio tells a <Stream> nothing about attestation by itself; the TwiML passes
 * the call's StirVerstat as a <Parameter>. callerid_attestation_parse() reads its documented
 * values (TN-Validation-Passed-A/-B/-C, TN-Validation-Failed-A/-B/-C or TN-Validation-Failed,
 * No-TN-Validation); anything else is CID_ATTEST_UNKNOWN, absent is CID_ATTEST_MISSING.
 *
 * callerid_signals() turns a lookup into the fraud signals the gateway scores: invalid
 * number, VoIP line, premium-rate line, a region different from the claimed customer's
 * registered number, and failed or missing attestation (a full "A" attestation is the only
 * one that vouches for the number; "B" and "C" do not).
 *
 * Pure: no I/O. A callerid context holds the geocoder (a few hundred KB of tables, built once);
 * lookups on one context are not thread-safe, separate contexts are. libphonenumber's
 * PhoneNumberUtil is a process-wide singleton of the library (immutable after construction).
 */
#ifndef CALLPRINT_CALLERID_H
#define CALLPRINT_CALLERID_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CALLERID_NUMBER_MAX 64     /* longest input looked at (longer: CID_ERR_TOO_LONG) */
#define CALLERID_E164_MAX 17       /* '+', 15 digits, NUL */
#define CALLERID_REGION_MAX 4      /* "GB", "001" (non-geographic), NUL */
#define CALLERID_DESCRIPTION_MAX 128

/* libphonenumber's number types, in its order. */
typedef enum {
    CID_FIXED_LINE = 0,
    CID_MOBILE,
    CID_FIXED_LINE_OR_MOBILE,
    CID_TOLL_FREE,
    CID_PREMIUM_RATE,
    CID_SHARED_COST,
    CID_VOIP,
    CID_PERSONAL_NUMBER,
    CID_PAGER,
    CID_UAN,
    CID_VOICEMAIL,
    CID_UNKNOWN,
} callerid_type;

typedef enum {
    CID_OK = 0,          /* parsed (it may still be invalid: see callerid_info.valid) */
    CID_ERR_EMPTY,       /* NULL or "" */
    CID_ERR_TOO_LONG,    /* over CALLERID_NUMBER_MAX bytes */
    CID_ERR_PARSE,       /* libphonenumber could not read a number (letters, no country) */
    CID_ERR_NOMEM,
} callerid_status;

typedef struct {
    bool possible; /* the length fits the country's plan */
    bool valid;    /* an assigned range of the country's plan */
    callerid_type type;
    int country_code;                    /* e.g. 44 */
    char region[CALLERID_REGION_MAX];    /* CLDR region ("GB"), "001" non-geographic, "" unknown */
    char e164[CALLERID_E164_MAX];        /* "+442079460958" */
    char description[CALLERID_DESCRIPTION_MAX]; /* geocoded, English; "" if none */
} callerid_info;

typedef enum {
    CID_ATTEST_MISSING = 0, /* no StirVerstat parameter */
    CID_ATTEST_A,           /* TN-Validation-Passed-A: the carrier vouches for caller + number */
    CID_ATTEST_B,           /* ...-Passed-B: knows the caller, not that they own the number */
    CID_ATTEST_C,           /* ...-Passed-C: only where the call entered the network */
    CID_ATTEST_FAILED,      /* TN-Validation-Failed[-A/B/C]: the signature did not verify */
    CID_ATTEST_NONE,        /* No-TN-Validation: the call carried no usable identity header */
    CID_ATTEST_UNKNOWN,     /* any other value */
} callerid_attestation;

/* Signals, a bit set. */
enum {
    CID_SIG_INVALID = 1u << 0,         /* not a valid number of any plan */
    CID_SIG_VOIP = 1u << 1,            /* a VoIP range */
    CID_SIG_PREMIUM = 1u << 2,         /* a premium-rate range */
    CID_SIG_REGION_MISMATCH = 1u << 3, /* another region than the claimed customer's number */
    CID_SIG_UNATTESTED = 1u << 4,      /* attestation failed, missing, none, B, C or unknown */
};

typedef struct callerid callerid;

/* The context (geocoder tables). NULL when out of memory. */
callerid *callerid_new(void);
void callerid_free(callerid *c);

/* Look `number` up. `default_region` (CLDR, "GB"; NULL or "" = none) lets a national number
 * ("020 7946 0958") be read; numbers with '+' or an IDD prefix need none. *out is filled
 * on CID_OK and zeroed otherwise. */
callerid_status callerid_lookup(callerid *c, const char *number, const char *default_region,
                                callerid_info *out);

/* The region (CLDR) that the country calling code cc is the main country of ("GB" for 44,
 * "US" for 1); "" for an unknown code. For setting a default region from a country code. */
void callerid_region_for_cc(int cc, char out[CALLERID_REGION_MAX]);

callerid_attestation callerid_attestation_parse(const char *stir_verstat);

/* Signals of a lookup (info NULL = the number could not be read: invalid). registered_region is
 * the region of the claimed customer's registered number (NULL or "" = no claim, no check). */
unsigned callerid_signals(const callerid_info *info, callerid_attestation att,
                          const char *registered_region);

/* Names: "FIXED_LINE", "MOBILE", ... (libphonenumber's); "A", "B", "C", "FAILED",
 * "NO_VALIDATION", "MISSING", "UNKNOWN"; a status as an English sentence. */
const char *callerid_type_name(callerid_type t);
const char *callerid_attestation_name(callerid_attestation a);
const char *callerid_strerror(callerid_status st);

#ifdef __cplusplus
}
#endif

#endif
