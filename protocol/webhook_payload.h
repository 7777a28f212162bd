/* webhook_payload.h -- webhook bodies (the Voice Verify manual's "WebHooks") and their signature.
 *
 * The three payloads are copied field for field, in the manual's key order, from the Voice
 * Verify manual so that its integrators' receivers work unchanged:
 *   stream: {"channel_uuid","type":"stream","status","payload":{"action","stream_uuid"}}
 *   enroll: {"channel_uuid","type":"enroll","payload":{"stream_uuid","external_id","detail",
 *            "speech_length"},"status"}
 *   verify: {"channel_uuid","type":"verify","status","payload":{"stream_uuid","external_id",
 *            "result","speech_length","score"}}
 * `status` is an HTTP-like code (200, 201, 404, ...); speech_length (seconds) and score are
 * rounded to 0.01.
 *
 * Signature: every delivery attempt carries
 *     X-Callprint-Signature: t=<unix seconds>,sha256=<64 lowercase hex digits>
 * the HMAC-SHA256, keyed by the subscription's secret, of the decimal timestamp, a '.', and
 * the exact body bytes. The timestamp is inside the signed material, so a receiver that
 * refuses a t more than a few minutes from its clock refuses a captured delivery replayed
 * later; within that window it drops a header it already accepted (each attempt is signed
 * afresh, so a genuine retry never repeats one). Receivers recompute the
 * MAC over the raw body and compare in constant time (whp_signature_check).
 *
 * Pure: cJSON and OpenSSL's HMAC, no I/O, no globals. Builders return a malloc'd string
 * (free with free()), NULL on missing arguments or out of memory.
 */
#ifndef CALLPRINT_WEBHOOK_PAYLOAD_H
#define CALLPRINT_WEBHOOK_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>

#define WHP_SIGNATURE_HEADER "X-Callprint-Signature"
#define WHP_SIGNATURE_MAX (2 + 20 + 8 + 64) /* "t=" + digits + ",sha256=" + hex */
#define WHP_TOLERANCE_S 300 /* the replay window receivers are advised to use */

typedef enum { WHP_STREAM_ADDED = 0, WHP_STREAM_REMOVED } whp_stream_action;

typedef enum {
    WHP_ENROLL_NOT_ENOUGH_SPEECH = 0,
    WHP_ENROLL_CREATED,
    WHP_ENROLL_EXISTS,
    WHP_ENROLL_SPOOFED, /* callprint's own: refused, the audio was judged spoofed */
    WHP_ENROLL_OPTED_OUT, /* callprint's own: refused, the speaker opted out */
} whp_enroll_detail;

typedef enum {
    WHP_VERIFY_NOT_ENOUGH_SPEECH = 0,
    WHP_VERIFY_NO_VOICEPRINT,
    WHP_VERIFY_VERIFIED,
    WHP_VERIFY_NOT_VERIFIED,
    WHP_VERIFY_NOT_SURE,
} whp_verify_result;

/* The manual's wording: "added"/"removed"; "there is not enough net speech to create the
 * enrollment yet", "enrollment created successfully", "enrollment with this external_id
 * already exists"; "there is not enough net speech to make the verification yet",
 * "voiceprint with external_id does not exist", "verified", "not verified", "not sure".
 * NULL for an out-of-range value. */
const char *whp_stream_action_name(whp_stream_action a);
const char *whp_enroll_detail_text(whp_enroll_detail d);
const char *whp_verify_result_text(whp_verify_result r);

char *whp_stream(const char *channel_uuid, int status, const char *action, const char *stream_uuid);
char *whp_enroll(const char *channel_uuid, int status, const char *stream_uuid,
                 const char *external_id, const char *detail, double speech_length);
char *whp_verify(const char *channel_uuid, int status, const char *stream_uuid,
                 const char *external_id, const char *result, double speech_length, double score);
/* The same with every member of `extra` (an object; NULL = none) appended to the payload after
 * "score": additions beside the manual's fields (risk, caller ID), which receivers written for
 * the manual ignore. Members named like the manual's fields are skipped. */
struct cJSON;
char *whp_verify_ext(const char *channel_uuid, int status, const char *stream_uuid,
                     const char *external_id, const char *result, double speech_length,
                     double score, const struct cJSON *extra);

/* The spoofing countermeasure's result, added to enroll and verify payloads by the _spoof
 * builders as "spoof_score" (0-100) and "spoof" (result: "bonafide", "spoof",
 * "insufficient_speech") after the manual's fields; NULL adds nothing (= the plain builders). */
typedef struct {
    double score;
    const char *result;
} whp_spoof;

char *whp_enroll_spoof(const char *channel_uuid, int status, const char *stream_uuid,
                       const char *external_id, const char *detail, double speech_length,
                       const whp_spoof *spoof);
char *whp_verify_spoof(const char *channel_uuid, int status, const char *stream_uuid,
                       const char *external_id, const char *result, double speech_length,
                       double score, const whp_spoof *spoof);
/* Both: the countermeasure's fields, then extra's members. */
char *whp_verify_spoof_ext(const char *channel_uuid, int status, const char *stream_uuid,
                           const char *external_id, const char *result, double speech_length,
                           double score, const whp_spoof *spoof, const struct cJSON *extra);

/* callprint's own register_fraudster webhook (no Voice Verify counterpart): the outcome of
 * registering a live stream's caller on a watchlist. matched_fraudster_id (with score) only
 * for 409, the voice already listed; NULL otherwise. */
char *whp_register_fraudster(const char *channel_uuid, int status, const char *stream_uuid,
                             const char *watchlist, const char *fraudster_id, const char *detail,
                             double speech_length, const char *matched_fraudster_id,
                             double score);

/* What a caller did in the honeypot (callprint's own record, no Voice Verify counterpart). */
typedef struct {
    const char *stream_uuid, *call_sid;
    const char *reason;    /* "DENY_LISTED" or "RISK" */
    int risk;              /* 0-100 */
    bool ivr;              /* the dummy IVR played (bidirectional stream) */
    const char *dtmf;      /* digits pressed, in order */
    const char *menu_path; /* menus played, joined by '>' */
    double speech_seconds, duration_seconds;
    int barge_ins, prompts_sent, prompts_heard;
} whp_honeypot_call;

/* The record as a JSON object (the payload; the honeypot's Redis stream keeps it too), or
 * NULL on out of memory. */
struct cJSON *whp_honeypot_record(const whp_honeypot_call *c);
/* The honeypot webhook: {channel_uuid, type "honeypot", payload: the record}. */
char *whp_honeypot(const char *channel_uuid, const whp_honeypot_call *c);

/* "t=<t>,sha256=<hex>" for a delivery at unix time t, into out (capacity >=
 * WHP_SIGNATURE_MAX + 1). Returns 0, or -1 on error. */
int whp_sign(const char *secret, long long t, const void *body, size_t len, char *out,
             size_t cap);
/* True when `header` is a signature of body under secret (constant-time compare) whose
 * timestamp is within tolerance_s seconds of now. */
bool whp_signature_check(const char *secret, const void *body, size_t len, const char *header,
                         long long now, long long tolerance_s);

#endif
