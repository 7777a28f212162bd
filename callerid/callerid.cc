// callerid.cc -- the C shim over libphonenumber (see callerid.h for the contract).
//
// Every entry point catches every C++ exception (std::bad_alloc from the library's strings)
// and turns it into CID_ERR_NOMEM / an empty answer: a C caller must never see one unwind
// through it. The input is copied into a bounded std::string first, so a hostile caller-ID
// of any length costs at most CALLERID_NUMBER_MAX bytes of parsing.
#include "callerid.h"

#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/locid.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberOfflineGeocoder;
using i18n::phonenumbers::PhoneNumberUtil;

struct callerid {
    PhoneNumberOfflineGeocoder geocoder;
    icu::Locale english{"en"};
};

static void copy_out(char *dst, size_t cap, const std::string &src)
{
    std::snprintf(dst, cap, "%s", src.c_str());
}

extern "C" callerid *callerid_new(void)
{
    try {
        return new callerid();
    } catch (...) {
        return nullptr;
    }
}

extern "C" void callerid_free(callerid *c)
{
    delete c;
}

static callerid_type type_of(PhoneNumberUtil::PhoneNumberType t)
{
    switch (t) {
    case PhoneNumberUtil::FIXED_LINE: return CID_FIXED_LINE;
    case PhoneNumberUtil::MOBILE: return CID_MOBILE;
    case PhoneNumberUtil::FIXED_LINE_OR_MOBILE: return CID_FIXED_LINE_OR_MOBILE;
    case PhoneNumberUtil::TOLL_FREE: return CID_TOLL_FREE;
    case PhoneNumberUtil::PREMIUM_RATE: return CID_PREMIUM_RATE;
    case PhoneNumberUtil::SHARED_COST: return CID_SHARED_COST;
    case PhoneNumberUtil::VOIP: return CID_VOIP;
    case PhoneNumberUtil::PERSONAL_NUMBER: return CID_PERSONAL_NUMBER;
    case PhoneNumberUtil::PAGER: return CID_PAGER;
    case PhoneNumberUtil::UAN: return CID_UAN;
    case PhoneNumberUtil::VOICEMAIL: return CID_VOICEMAIL;
    default: return CID_UNKNOWN;
    }
}

static callerid_status lookup(callerid *c, const char *number, const char *default_region,
                              callerid_info *out)
{
    const PhoneNumberUtil &util = *PhoneNumberUtil::GetInstance();
    PhoneNumber pn;
    std::string region = default_region && *default_region ? default_region : "ZZ";
    if (util.Parse(number, region, &pn) != PhoneNumberUtil::NO_PARSING_ERROR)
        return CID_ERR_PARSE;
    out->possible = util.IsPossibleNumber(pn);
    out->valid = util.IsValidNumber(pn);
    out->type = type_of(util.GetNumberType(pn));
    out->country_code = pn.country_code();
    std::string s;
    util.GetRegionCodeForNumber(pn, &s);
    if (s != "ZZ") // libphonenumber's "unknown region"
        copy_out(out->region, sizeof out->region, s);
    s.clear();
    util.Format(pn, PhoneNumberUtil::E164, &s);
    copy_out(out->e164, sizeof out->e164, s);
    if (out->valid)
        copy_out(out->description, sizeof out->description,
                 c->geocoder.GetDescriptionForValidNumber(pn, c->english));
    return CID_OK;
}

extern "C" callerid_status callerid_lookup(callerid *c, const char *number,
                                           const char *default_region, callerid_info *out)
{
    *out = callerid_info{};
    out->type = CID_UNKNOWN;
    if (!number || !*number)
        return CID_ERR_EMPTY;
    if (std::strlen(number) > CALLERID_NUMBER_MAX)
        return CID_ERR_TOO_LONG;
    if (!c)
        return CID_ERR_NOMEM;
    callerid_status st;
    try {
        st = lookup(c, number, default_region, out);
    } catch (...) {
        st = CID_ERR_NOMEM;
    }
    if (st != CID_OK) {
        *out = callerid_info{};
        out->type = CID_UNKNOWN;
    }
    return st;
}

extern "C" void callerid_region_for_cc(int cc, char out[CALLERID_REGION_MAX])
{
    out[0] = '\0';
    try {
        std::string r;
        PhoneNumberUtil::GetInstance()->GetRegionCodeForCountryCode(cc, &r);
        if (r != "ZZ")
            copy_out(out, CALLERID_REGION_MAX, r);
    } catch (...) {
        out[0] = '\0';
    }
}

extern "C" callerid_attestation callerid_attestation_parse(const char *v)
{
    if (!v || !*v)
        return CID_ATTEST_MISSING;
    static const struct {
        const char *text;
        callerid_attestation a;
    } known[] = {
        {"TN-Validation-Passed-A", CID_ATTEST_A}, {"TN-Validation-Passed-B", CID_ATTEST_B},
        {"TN-Validation-Passed-C", CID_ATTEST_C}, {"TN-Validation-Failed-A", CID_ATTEST_FAILED},
        {"TN-Validation-Failed-B", CID_ATTEST_FAILED}, {"TN-Validation-Failed-C", CID_ATTEST_FAILED},
        {"TN-Validation-Failed", CID_ATTEST_FAILED}, {"No-TN-Validation", CID_ATTEST_NONE},
    };
    for (const auto &k : known)
        if (std::strcmp(v, k.text) == 0)
            return k.a;
    return CID_ATTEST_UNKNOWN;
}

extern "C" unsigned callerid_signals(const callerid_info *info, callerid_attestation att,
                                     const char *registered_region)
{
    unsigned sig = 0;
    if (!info || !info->valid)
        sig |= CID_SIG_INVALID;
    if (info && info->type == CID_VOIP)
        sig |= CID_SIG_VOIP;
    if (info && info->type == CID_PREMIUM_RATE)
        sig |= CID_SIG_PREMIUM;
    // Only a known region is compared: an unreadable number is already INVALID.
    if (info && info->region[0] && registered_region && *registered_region &&
        std::strcmp(info->region, registered_region) != 0)
        sig |= CID_SIG_REGION_MISMATCH;
    if (att != CID_ATTEST_A)
        sig |= CID_SIG_UNATTESTED;
    return sig;
}

extern "C" const char *callerid_type_name(callerid_type t)
{
    static const char *const names[] = {
        "FIXED_LINE", "MOBILE", "FIXED_LINE_OR_MOBILE", "TOLL_FREE", "PREMIUM_RATE", "SHARED_COST",
        "VOIP", "PERSONAL_NUMBER", "PAGER", "UAN", "VOICEMAIL", "UNKNOWN",
    };
    return (unsigned)t <= CID_UNKNOWN ? names[t] : "UNKNOWN";
}

extern "C" const char *callerid_attestation_name(callerid_attestation a)
{
    static const char *const names[] = {"MISSING", "A", "B", "C", "FAILED", "NO_VALIDATION",
                                        "UNKNOWN"};
    return (unsigned)a <= CID_ATTEST_UNKNOWN ? names[a] : "UNKNOWN";
}

extern "C" const char *callerid_strerror(callerid_status st)
{
    switch (st) {
    case CID_OK: return "ok";
    case CID_ERR_EMPTY: return "the number is empty";
    case CID_ERR_TOO_LONG: return "the number is longer than 64 bytes";
    case CID_ERR_PARSE: return "not a phone number";
    case CID_ERR_NOMEM: return "out of memory";
    }
    return "unknown error";
}
