/* fraud.h -- fraud screening of calls: caller-ID intelligence, the deny list, one risk score.
 *
 * The module is an audio sink (audio_sink.h) that never looks at audio. At a stream's start
 * it reads the caller's number (custom parameter "caller" or "From", as sessions.h does) and
 * Twilio's STIR/SHAKEN verdict (custom parameter "StirVerstat", which the TwiML passes as a
 * <Parameter>), asks libphonenumber about the number (callerid/callerid.h; national numbers
 * read with default_country_code's region) and Redis whether it is deny-listed. A stream
 * without a caller number (an Amazon Connect contact, whose number came with the contact
 * event) takes the number from its session once the session is known.
 *
 * Risk. Every verify answer -- webhook payload, REST poll answer, the stream's details --
 * gains
 *     "risk": 0-100, "risk_reasons": [...], "risk_threshold": N, "caller_id": {...}
 * through live_on_decorate(). The reasons, each with a weight p (fraud_risk.c), are combined
 * as independent evidence: risk = 100 * (1 - prod(1 - p)):
 *     DENY_LISTED 0.95, VOICE_MISMATCH 0.70 (verdict "not verified"), CALLER_ID_INVALID 0.35,
 *     CALLER_ID_VOIP 0.25 (VoIP or premium-rate range), CALLER_ID_REGION_MISMATCH 0.30 (the
 *     number's region differs from the claimed customer's registered number in the
 *     directory), CALLER_ID_UNATTESTED 0.35 when attestation failed, 0.10 when it is
 *     missing, absent or only B/C; KNOWN_FRAUDSTER and VOICE_SPOOFING with their own 0-100.
 * Beside them, "decision": Amazon Connect Voice ID's name for the verdict (ACCEPT, REJECT,
 * NOT_ENOUGH_SPEECH, SPEAKER_NOT_ENROLLED, SPEAKER_OPTED_OUT, SPEAKER_EXPIRED -- speaker.h),
 * for integrations migrating from it; "honeypot": true once the call is in the honeypot.
 * risk_threshold (setting, default 50) is where a call counts as risky: any one strong signal
 * crosses it alone, weak caller-ID signals only when three agree (docs/fraud.md explains).
 *
 * Session fields (written once the session id is known, and again when the risk changes):
 * caller_id.valid, .type, .region, .country_code, .e164, .description, .attestation,
 * .signals; deny_listed; risk, risk_reasons, risk_threshold.
 *
 * Loop thread only.
 */
#ifndef CALLPRINT_FRAUD_H
#define CALLPRINT_FRAUD_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "callerid.h"
#include "workers.h"

struct app;
struct stream;
typedef struct fraud fraud;

/* Risk reasons, in the order they are listed. */
typedef enum {
    RISK_KNOWN_FRAUDSTER = 0,
    RISK_VOICE_MISMATCH,
    RISK_CALLER_ID_INVALID,
    RISK_CALLER_ID_VOIP,
    RISK_CALLER_ID_REGION_MISMATCH,
    RISK_CALLER_ID_UNATTESTED,
    RISK_DENY_LISTED,
    RISK_VOICE_SPOOFING,
    RISK_REASONS
} risk_reason;

/* What the risk is computed from (fraud_risk.c; pure). */
typedef struct {
    unsigned callerid_signals;  /* CID_SIG_* (0 when no number was given at all) */
    callerid_attestation attestation;
    bool denied;
    bool voice_mismatch;        /* the verify verdict is "not verified" */
    double fraudster_risk;      /* 0-100, 0 = no watchlist match */
    double spoof_risk;          /* 0-100, 0 = no countermeasure verdict */
} risk_input;

#define FRAUD_RISK_THRESHOLD_DEFAULT 50

/* Risk 0-100 (rounded) and the reasons as a bit set (1u << risk_reason). */
int fraud_risk(const risk_input *in, unsigned *reasons);
const char *fraud_reason_name(risk_reason r);
/* The reasons as a JSON array of names. */
cJSON *fraud_reasons_json(unsigned reasons);
/* A lookup as the "caller_id" object. */
cJSON *fraud_callerid_json(const callerid_info *info, callerid_status st,
                           callerid_attestation att, unsigned signals);

/* Create the module, register its sink (after sessions') and its live decorator. NULL on
 * out of memory. */
fraud *fraud_new(struct app *a);
void fraud_close(fraud *f); /* stop the tick */
void fraud_free(fraud *f);

/* The stream's caller ID and risk for its details: {"caller_id", "risk", "risk_reasons",
 * "risk_threshold", "deny_listed"}; NULL when unknown. */
cJSON *fraud_stream_json(fraud *f, const struct stream *s);

/* libphonenumber's answer for a number (national numbers in default_country_code's region). */
callerid_status fraud_lookup(fraud *f, const char *number, callerid_info *out);

/* ---- fraudster watchlists (fraud_watch.c) ---- */

#define FRAUD_WATCHLIST_DEFAULT "default"
#define FRAUD_WL_NAME_MAX 64
typedef struct fwl fwl;   /* a watchlist */
typedef struct fgal fgal; /* a gallery snapshot of one */

/* Worker requests of fraud screening carry tags with this bit (registration enrolments), or
 * are identify requests: app.c routes those answers here. */
#define FRAUD_TAG_BIT (UINT64_C(1) << 63)
/* A worker's answer to one of our requests. */
void fraud_worker_result(fraud *f, const workers_result *r);
fwl *fraud_watchlist(fraud *f, const char *name);     /* NULL if none */
fwl *fraud_watchlist_add(fraud *f, const char *name); /* existing or new; NULL on bad name */
void fraud_watchlist_remove(fraud *f, const char *name);
fwl *fraud_watchlist_first(fraud *f);
fwl *fraud_watchlist_next(fwl *w);
const char *fraud_watchlist_name(const fwl *w);
size_t fraud_watchlist_size(const fwl *w);
const char *fraud_watchlist_id(const fwl *w, size_t i);
bool fraud_fraudster_exists(const fwl *w, const char *id);
/* Add or replace a fraudster's voiceprint (after Redis acknowledged it). 0 or -1. */
int fraud_fraudster_add(fraud *f, fwl *w, const char *id, const uint8_t *blob, size_t len);
void fraud_fraudster_remove(fraud *f, fwl *w, const char *id);
/* The list's current gallery held for a search off the loop (NULL when empty): the engine's
 * gallery and its row -> fraudster id; give it back with fraud_gallery_drop on the loop. */
fgal *fraud_gallery_take(fwl *w);
const void *fraud_gallery_engine(const fgal *g);
const char *fraud_gallery_id(const fgal *g, size_t row);
void fraud_gallery_drop(fraud *f, fgal *g);
/* Register the caller of live stream s as fraudster id on watchlist (created if needed) once
 * there is enough net speech, after checking the list for the same voice (fraud_reg.c);
 * url (NULL: none) gets the outcome webhooks. 0, or -1 (no model, bad name or id, another
 * registration running on the stream). */
int fraud_reg_start(fraud *f, struct stream *s, const char *watchlist, const char *id,
                    const char *url);
/* The score from which a match counts (the engine's verified threshold). */
double fraud_match_threshold(const fraud *f);

/* REST: /api/v2/watchlists (api_watchlists.c). */
void api_watchlists_register(struct app *a);
/* REST: /api/v2/denylist and /api/v2/callerid/{number} (api_fraud.c). */
void api_fraud_register(struct app *a);

#endif
