/* test_phone.c -- phone_normalise(): every accepted form, every anonymous spelling, every
 * reason a number is flagged invalid. */
#include <criterion/criterion.h>
#include <string.h>

#include "phone.h"

static const phone_options uk = {.default_cc = "44"};
static const phone_options us = {.default_cc = "1"};

static void expect_e164(const char *in, const phone_options *opt, const char *want) {
    char out[PHONE_E164_MAX];
    const char *why = "unset";
    phone_kind k = phone_normalise(in, opt, out, &why);
    cr_expect_eq(k, PHONE_E164, "%s: kind %s (%s)", in, phone_kind_name(k), why ? why : "");
    cr_expect_str_eq(out, want, "%s", in);
    cr_expect_null(why);
}

static void expect_kind(const char *in, const phone_options *opt, phone_kind want,
                        const char *reason_part) {
    char out[PHONE_E164_MAX];
    const char *why = NULL;
    phone_kind k = phone_normalise(in, opt, out, &why);
    cr_expect_eq(k, want, "%s: kind %s", in ? in : "(null)", phone_kind_name(k));
    if (want == PHONE_INVALID) {
        cr_expect_not_null(why);
        cr_expect_str_eq(out, "");
        if (why && reason_part) cr_expect(strstr(why, reason_part), "%s: reason '%s'", in, why);
    } else if (want == PHONE_ANONYMOUS) {
        cr_expect_str_eq(out, "anonymous");
        cr_expect_null(why);
    }
}

Test(phone, international_forms) {
    expect_e164("+442079460958", NULL, "+442079460958");
    expect_e164("+44 20 7946 0958", NULL, "+442079460958");
    expect_e164("00442079460958", NULL, "+442079460958");
    expect_e164("  +1 (415) 555-0100 ", NULL, "+14155550100");
    expect_e164("+213.55.12.34.567", NULL, "+213551234567");
    expect_e164("011 44 20 7946 0958", &us, "+442079460958");
}

Test(phone, national_forms_use_default_country) {
    expect_e164("(415) 555-0100", &us, "+14155550100");
    expect_e164("1-415-555-0100", &us, "+14155550100");
    expect_e164("020 7946 0958", &uk, "+442079460958");
    phone_options it = {.default_cc = "39", .trunk_prefix = ""};
    expect_e164("06 1234 5678", &it, "+390612345678");
    phone_options dz = {.default_cc = "213", .idd_prefix = "00"};
    expect_e164("0551234567", &dz, "+213551234567");
}

Test(phone, uri_forms) {
    expect_e164("tel:+1-415-555-0100", NULL, "+14155550100");
    expect_e164("sip:+442079460958@trunk.example.com;transport=tls", NULL, "+442079460958");
    expect_e164("SIP:+442079460958", NULL, "+442079460958");
}

Test(phone, anonymous_spellings) {
    expect_kind(NULL, NULL, PHONE_ANONYMOUS, NULL);
    expect_kind("", NULL, PHONE_ANONYMOUS, NULL);
    expect_kind("   ", NULL, PHONE_ANONYMOUS, NULL);
    expect_kind("anonymous", NULL, PHONE_ANONYMOUS, NULL);
    expect_kind("Anonymous", NULL, PHONE_ANONYMOUS, NULL);
    expect_kind("RESTRICTED", NULL, PHONE_ANONYMOUS, NULL);
    expect_kind("private", NULL, PHONE_ANONYMOUS, NULL);
    expect_kind("Unavailable", NULL, PHONE_ANONYMOUS, NULL);
    expect_kind("sip:anonymous@anonymous.invalid", NULL, PHONE_ANONYMOUS, NULL);
    expect_kind("+266696687", NULL, PHONE_ANONYMOUS, NULL); /* Twilio's anonymous placeholder */
    expect_kind("+7378742833", NULL, PHONE_ANONYMOUS, NULL);
}

Test(phone, invalid_numbers_are_flagged_with_a_reason) {
    expect_kind("(415) 555-0100", NULL, PHONE_INVALID, "no default country code");
    expect_kind("+1 415 555 01", NULL, PHONE_INVALID, "North American");
    expect_kind("+44 20", NULL, PHONE_INVALID, "too short");
    expect_kind("+44 2079 4609 5812 345", NULL, PHONE_INVALID, "too long");
    expect_kind("+0442079460958", NULL, PHONE_INVALID, "cannot start with 0");
    expect_kind("+2892079460958", NULL, PHONE_INVALID, "unassigned");
    expect_kind("+44 20 7946 0958 ext 12", NULL, PHONE_INVALID, "characters other than digits");
    expect_kind("44+2079460958", NULL, PHONE_INVALID, "only allowed at the start");
    expect_kind("++442079460958", NULL, PHONE_INVALID, "only allowed at the start");
    expect_kind("+", NULL, PHONE_INVALID, "no digits");
    expect_kind("00", NULL, PHONE_INVALID, "no digits after");
    expect_kind("()-", NULL, PHONE_INVALID, "no digits");
    expect_kind("1234567890123456789012345", &uk, PHONE_INVALID, "too many digits");
    expect_kind("AmazonConnectNumber", NULL, PHONE_INVALID, "characters other than digits");
    expect_kind("+213XXXXXXXXX", NULL, PHONE_INVALID, "characters other than digits");
}

Test(phone, country_code_table) {
    size_t n = 0;
    cr_assert(phone_country_code("442079460958", &n));
    cr_expect_eq(n, 2);
    cr_assert(phone_country_code("14155550100", &n));
    cr_expect_eq(n, 1);
    cr_assert(phone_country_code("213551234567", &n));
    cr_expect_eq(n, 3);
    cr_expect_not(phone_country_code("2812345678", &n));
    cr_expect_not(phone_country_code("999", &n));
}
