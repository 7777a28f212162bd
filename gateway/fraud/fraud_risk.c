/* fraud_risk.c -- the risk score and the JSON of caller-ID answers (pure; see fraud.h).
 *
 * Independent evidence combines as 1 - prod(1 - p): two signals of 0.3 make 0.51, not 0.6,
 * and no pile of weak signals reaches 100. The weights say how often a call showing only that
 * signal is fraud in a typical contact centre's traffic, in the order operators rank them:
 * a deny-listed number is almost always the fraudster it was listed for; a voice that does
 * not match the claimed customer is the core biometric evidence (the engine's "not verified"
 * means below the not_sure threshold); caller-ID oddities are common among honest callers
 * too (VoIP apps, travellers, carriers that do not sign calls), so they are weak alone.
 */
#include "fraud/fraud.h"

#include <math.h>

static const char *const reason_names[RISK_REASONS] = {
    "KNOWN_FRAUDSTER",           "VOICE_MISMATCH",      "CALLER_ID_INVALID",
    "CALLER_ID_VOIP",            "CALLER_ID_REGION_MISMATCH", "CALLER_ID_UNATTESTED",
    "DENY_LISTED",               "VOICE_SPOOFING",
};

#define W_DENY 0.95
#define W_VOICE_MISMATCH 0.70
#define W_INVALID 0.35
#define W_VOIP 0.25
#define W_REGION 0.30
#define W_ATTEST_FAILED 0.35
#define W_ATTEST_WEAK 0.10

const char *fraud_reason_name(risk_reason r)
{
    return (unsigned)r < RISK_REASONS ? reason_names[r] : "UNKNOWN";
}

static void add(double *keep, unsigned *reasons, risk_reason r, double p)
{
    if (!(p > 0))
        return;
    *keep *= 1.0 - (p > 1 ? 1 : p);
    *reasons |= 1u << r;
}

int fraud_risk(const risk_input *in, unsigned *reasons)
{
    double keep = 1.0; /* probability that none of the signals means fraud */
    unsigned r = 0;
    unsigned sig = in->callerid_signals;
    add(&keep, &r, RISK_KNOWN_FRAUDSTER, in->fraudster_risk / 100.0);
    add(&keep, &r, RISK_VOICE_MISMATCH, in->voice_mismatch ? W_VOICE_MISMATCH : 0);
    add(&keep, &r, RISK_CALLER_ID_INVALID, sig & CID_SIG_INVALID ? W_INVALID : 0);
    add(&keep, &r, RISK_CALLER_ID_VOIP, sig & (CID_SIG_VOIP | CID_SIG_PREMIUM) ? W_VOIP : 0);
    add(&keep, &r, RISK_CALLER_ID_REGION_MISMATCH, sig & CID_SIG_REGION_MISMATCH ? W_REGION : 0);
    if (sig & CID_SIG_UNATTESTED)
        add(&keep, &r, RISK_CALLER_ID_UNATTESTED,
            in->attestation == CID_ATTEST_FAILED ? W_ATTEST_FAILED : W_ATTEST_WEAK);
    add(&keep, &r, RISK_DENY_LISTED, in->denied ? W_DENY : 0);
    add(&keep, &r, RISK_VOICE_SPOOFING, in->spoof_risk / 100.0);
    if (reasons)
        *reasons = r;
    return (int)lround(100.0 * (1.0 - keep));
}

cJSON *fraud_reasons_json(unsigned reasons)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < RISK_REASONS; i++)
        if (reasons & (1u << i))
            cJSON_AddItemToArray(a, cJSON_CreateString(reason_names[i]));
    return a;
}

static const char *const signal_names[] = {"invalid", "voip", "premium_rate", "region_mismatch",
                                           "unattested"};

cJSON *fraud_callerid_json(const callerid_info *info, callerid_status st,
                           callerid_attestation att, unsigned signals)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (st == CID_OK) {
        cJSON_AddStringToObject(o, "number", info->e164);
        cJSON_AddBoolToObject(o, "valid", info->valid);
        cJSON_AddStringToObject(o, "type", callerid_type_name(info->type));
        cJSON_AddStringToObject(o, "region", info->region);
        cJSON_AddNumberToObject(o, "country_code", info->country_code);
        cJSON_AddStringToObject(o, "description", info->description);
    } else {
        cJSON_AddBoolToObject(o, "valid", false);
        cJSON_AddStringToObject(o, "error", callerid_strerror(st));
    }
    cJSON_AddStringToObject(o, "attestation", callerid_attestation_name(att));
    cJSON *s = cJSON_AddArrayToObject(o, "signals");
    for (size_t i = 0; s && i < sizeof signal_names / sizeof signal_names[0]; i++)
        if (signals & (1u << i))
            cJSON_AddItemToArray(s, cJSON_CreateString(signal_names[i]));
    return o;
}
