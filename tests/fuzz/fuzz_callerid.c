/* fuzz_callerid.c -- libFuzzer target for callerid/ (caller numbers and StirVerstat values are
 * outside input: Twilio <Parameter>s, Amazon Connect events).
 *
 * The first byte picks a default region (none, GB, US, DE); the rest is the number, also read
 * as an attestation. Checked: no crash or leak in the library for any bytes; an answer is
 * either CID_OK with an E.164 number ('+' then digits, at most 15) and a country code, or an
 * error with a zeroed answer; a number longer than the bound is refused before parsing. */
#include "callerid.h"
#include "fuzz_check.h"

#include <string.h>

static callerid *cid;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const regions[] = {NULL, "GB", "US", "DE"};
    if (size < 1 || size > 512)
        return 0;
    if (!cid)
        cid = callerid_new(); /* kept for the process: the geocoder tables are built once */
    CHECK(cid);
    char text[513];
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    callerid_info in;
    callerid_status st = callerid_lookup(cid, text, regions[data[0] % 4], &in);
    if (st == CID_OK) {
        size_t n = strlen(in.e164);
        CHECK(n >= 2 && n <= 16 && in.e164[0] == '+');
        for (size_t i = 1; i < n; i++)
            CHECK(in.e164[i] >= '0' && in.e164[i] <= '9');
        CHECK(in.country_code > 0);
        CHECK(strlen(text) <= CALLERID_NUMBER_MAX);
        CHECK(strlen(callerid_type_name(in.type)) > 0);
    } else {
        CHECK(in.e164[0] == '\0' && in.country_code == 0 && in.description[0] == '\0');
        CHECK(strlen(callerid_strerror(st)) > 0);
    }
    callerid_attestation a = callerid_attestation_parse(text);
    CHECK(strlen(callerid_attestation_name(a)) > 0);
    unsigned sig = callerid_signals(st == CID_OK ? &in : NULL, a, "GB");
    CHECK(st == CID_OK || (sig & CID_SIG_INVALID));
    return 0;
}
