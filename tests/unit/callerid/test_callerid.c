/* test_callerid.c -- callerid/ against the real libphonenumber: numbers of several countries
 * and every type the fraud screening cares about, national input, garbage, attestation and the
 * signals. The expected answers are facts of the numbering plans (a London 020 number is a
 * fixed line in GB; UK 056 is VoIP, 09 premium rate), not output captured from the code. */
#include <criterion/criterion.h>
#include <string.h>

#include "callerid.h"

static callerid *cid;

static void setup(void) { cid = callerid_new(); cr_assert_not_null(cid); }
static void teardown(void) { callerid_free(cid); }

TestSuite(callerid, .init = setup, .fini = teardown);

typedef struct {
    const char *number;
    callerid_type type;
    int cc;
    const char *region;
    const char *description; /* NULL: not checked */
} case_t;

static void check(const case_t *k)
{
    callerid_info in;
    cr_assert_eq(callerid_lookup(cid, k->number, NULL, &in), CID_OK, "%s", k->number);
    cr_expect(in.valid, "%s valid", k->number);
    cr_expect_eq(in.type, k->type, "%s: %s", k->number, callerid_type_name(in.type));
    cr_expect_eq(in.country_code, k->cc, "%s cc %d", k->number, in.country_code);
    cr_expect_str_eq(in.region, k->region, "%s", k->number);
    cr_expect_str_eq(in.e164, k->number);
    if (k->description)
        cr_expect_str_eq(in.description, k->description, "%s", k->number);
}

Test(callerid, countries_and_types)
{
    static const case_t cases[] = {
        {"+442079460958", CID_FIXED_LINE, 44, "GB", "London"},
        {"+33142685300", CID_FIXED_LINE, 33, "FR", "Paris"},
        {"+493012345678", CID_FIXED_LINE, 49, "DE", "Berlin"},
        {"+81312345678", CID_FIXED_LINE, 81, "JP", "Tokyo"},
        {"+16502530000", CID_FIXED_LINE_OR_MOBILE, 1, "US", "Mountain View, CA"},
        {"+12125550100", CID_FIXED_LINE_OR_MOBILE, 1, "US", "New York, NY"},
        {"+447400123456", CID_MOBILE, 44, "GB", "United Kingdom"},
        {"+34612345678", CID_MOBILE, 34, "ES", "Spain"},
        {"+5511987654321", CID_MOBILE, 55, "BR", NULL},
        {"+445612345678", CID_VOIP, 44, "GB", NULL},
        {"+449098765432", CID_PREMIUM_RATE, 44, "GB", NULL},
        {"+448001234567", CID_TOLL_FREE, 44, "GB", NULL},
        {"+18002530000", CID_TOLL_FREE, 1, "US", NULL},
        {"+443001234567", CID_UAN, 44, "GB", NULL},
        {"+447012345678", CID_PERSONAL_NUMBER, 44, "GB", NULL},
        {"+447640123456", CID_PAGER, 44, "GB", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check(&cases[i]);
}

Test(callerid, national_numbers_need_a_region)
{
    callerid_info in;
    cr_assert_eq(callerid_lookup(cid, "020 7946 0958", "GB", &in), CID_OK);
    cr_expect_str_eq(in.e164, "+442079460958");
    cr_expect_str_eq(in.description, "London");
    cr_expect_eq(callerid_lookup(cid, "020 7946 0958", NULL, &in), CID_ERR_PARSE);
    cr_assert_eq(callerid_lookup(cid, "(650) 253-0000", "US", &in), CID_OK);
    cr_expect_str_eq(in.e164, "+16502530000");
}

Test(callerid, invalid_and_garbage)
{
    callerid_info in;
    /* Parsed, but not an assigned range: too short for Germany / the UK. */
    cr_assert_eq(callerid_lookup(cid, "+4930", NULL, &in), CID_OK);
    cr_expect_not(in.valid);
    cr_expect_eq(in.type, CID_UNKNOWN);
    cr_expect_str_eq(in.description, "");
    cr_assert_eq(callerid_lookup(cid, "+44201234", NULL, &in), CID_OK);
    cr_expect_not(in.valid);
    cr_expect_eq(callerid_lookup(cid, "hello", NULL, &in), CID_ERR_PARSE);
    cr_expect_eq(in.country_code, 0);
    cr_expect_eq(callerid_lookup(cid, "", NULL, &in), CID_ERR_EMPTY);
    cr_expect_eq(callerid_lookup(cid, NULL, NULL, &in), CID_ERR_EMPTY);
    char longer[200];
    memset(longer, '1', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    cr_expect_eq(callerid_lookup(cid, longer, NULL, &in), CID_ERR_TOO_LONG);
    cr_expect_eq(callerid_lookup(cid, "+44\xff\xfe", NULL, &in), CID_ERR_PARSE);
    cr_expect_str_eq(callerid_strerror(CID_ERR_PARSE), "not a phone number");
}

Test(callerid, region_of_country_code)
{
    char r[CALLERID_REGION_MAX];
    callerid_region_for_cc(44, r);
    cr_expect_str_eq(r, "GB");
    callerid_region_for_cc(1, r);
    cr_expect_str_eq(r, "US");
    callerid_region_for_cc(999, r);
    cr_expect_str_eq(r, "");
}

Test(callerid, attestation)
{
    cr_expect_eq(callerid_attestation_parse("TN-Validation-Passed-A"), CID_ATTEST_A);
    cr_expect_eq(callerid_attestation_parse("TN-Validation-Passed-B"), CID_ATTEST_B);
    cr_expect_eq(callerid_attestation_parse("TN-Validation-Passed-C"), CID_ATTEST_C);
    cr_expect_eq(callerid_attestation_parse("TN-Validation-Failed"), CID_ATTEST_FAILED);
    cr_expect_eq(callerid_attestation_parse("TN-Validation-Failed-B"), CID_ATTEST_FAILED);
    cr_expect_eq(callerid_attestation_parse("No-TN-Validation"), CID_ATTEST_NONE);
    cr_expect_eq(callerid_attestation_parse(NULL), CID_ATTEST_MISSING);
    cr_expect_eq(callerid_attestation_parse(""), CID_ATTEST_MISSING);
    cr_expect_eq(callerid_attestation_parse("tn-validation-passed-a"), CID_ATTEST_UNKNOWN);
    cr_expect_str_eq(callerid_attestation_name(CID_ATTEST_NONE), "NO_VALIDATION");
}

Test(callerid, signals)
{
    callerid_info london, voip, premium, bad, paris;
    cr_assert_eq(callerid_lookup(cid, "+442079460958", NULL, &london), CID_OK);
    cr_assert_eq(callerid_lookup(cid, "+445612345678", NULL, &voip), CID_OK);
    cr_assert_eq(callerid_lookup(cid, "+449098765432", NULL, &premium), CID_OK);
    cr_assert_eq(callerid_lookup(cid, "+4930", NULL, &bad), CID_OK);
    cr_assert_eq(callerid_lookup(cid, "+33142685300", NULL, &paris), CID_OK);
    /* A valid, fully attested London number claiming a London customer: nothing. */
    cr_expect_eq(callerid_signals(&london, CID_ATTEST_A, "GB"), 0u);
    cr_expect_eq(callerid_signals(&london, CID_ATTEST_B, "GB"), (unsigned)CID_SIG_UNATTESTED);
    cr_expect_eq(callerid_signals(&london, CID_ATTEST_MISSING, NULL), (unsigned)CID_SIG_UNATTESTED);
    cr_expect_eq(callerid_signals(&voip, CID_ATTEST_A, NULL), (unsigned)CID_SIG_VOIP);
    cr_expect_eq(callerid_signals(&premium, CID_ATTEST_A, ""), (unsigned)CID_SIG_PREMIUM);
    cr_expect_eq(callerid_signals(&bad, CID_ATTEST_A, NULL), (unsigned)CID_SIG_INVALID);
    cr_expect_eq(callerid_signals(NULL, CID_ATTEST_A, "GB"), (unsigned)CID_SIG_INVALID);
    /* A Paris number claiming to be the customer whose registered number is in London. */
    cr_expect_eq(callerid_signals(&paris, CID_ATTEST_FAILED, "GB"),
                 (unsigned)(CID_SIG_REGION_MISMATCH | CID_SIG_UNATTESTED));
}

Test(callerid, contexts_are_independent)
{
    callerid *other = callerid_new();
    cr_assert_not_null(other);
    callerid_info a, b;
    cr_assert_eq(callerid_lookup(other, "+493012345678", NULL, &a), CID_OK);
    cr_assert_eq(callerid_lookup(cid, "+493012345678", NULL, &b), CID_OK);
    cr_expect_str_eq(a.description, b.description);
    callerid_free(other);
    callerid_free(NULL);
}
