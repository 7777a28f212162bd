/* webhook_payload.c -- the Voice Verify manual's webhook bodies and their HMAC-SHA256 signature.
 *
 * Bodies are built with cJSON so that every string is escaped correctly (an external_id is
 * client-chosen text); keys are added in the manual's order because some receivers compare
 * payloads textually. See webhook_payload.h for the exact shapes and the signature format.
 */
#include "webhook_payload.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const stream_actions[] = {"added", "removed"};
static const char *const enroll_details[] = {
    "there is not enough net speech to create the enrollment yet",
    "enrollment created successfully",
    "enrollment with this external_id already exists",
    "enrollment refused: the audio was judged spoofed (synthetic or replayed speech)",
    "enrollment refused: the speaker opted out",
};
static const char *const verify_results[] = {
    "there is not enough net speech to make the verification yet",
    "voiceprint with external_id does not exist",
    "verified",
    "not verified",
    "not sure",
};

#define NAME_OF(table, i) \
    ((unsigned)(i) < sizeof(table) / sizeof((table)[0]) ? (table)[(unsigned)(i)] : NULL)

const char *whp_stream_action_name(whp_stream_action a) { return NAME_OF(stream_actions, a); }
const char *whp_enroll_detail_text(whp_enroll_detail d) { return NAME_OF(enroll_details, d); }
const char *whp_verify_result_text(whp_verify_result r) { return NAME_OF(verify_results, r); }

/* Two decimals: "12.34" rather than 12.340000000000002 in the JSON. */
static double round2(double x)
{
    if (!isfinite(x) || (x > 1e12 || x < -1e12))
        return 0.0;
    /* no round(): protocol/ does not link libm */
    long long c = (long long)(x * 100.0 + (x >= 0 ? 0.5 : -0.5));
    return (double)c / 100.0;
}

/* A body under construction: the root object and its "payload" object. */
typedef struct {
    cJSON *root, *payload;
    bool ok;
} body;

static body begin(const char *channel_uuid, const char *type)
{
    body b = {cJSON_CreateObject(), cJSON_CreateObject(), true};
    b.ok = b.root && b.payload;
    b.ok = b.ok && cJSON_AddStringToObject(b.root, "channel_uuid", channel_uuid);
    b.ok = b.ok && cJSON_AddStringToObject(b.root, "type", type);
    return b;
}

static void add_str(body *b, bool to_payload, const char *key, const char *v)
{
    b->ok = b->ok && cJSON_AddStringToObject(to_payload ? b->payload : b->root, key, v);
}

static void add_num(body *b, bool to_payload, const char *key, double v)
{
    b->ok = b->ok && cJSON_AddNumberToObject(to_payload ? b->payload : b->root, key, v);
}

/* Append the payload object to the root at this point of the key order. */
static void attach_payload(body *b)
{
    if (b->ok && cJSON_AddItemToObject(b->root, "payload", b->payload))
        b->payload = NULL;
    else
        b->ok = false;
}

/* Print and free; NULL if any step failed. */
static char *finish(body *b)
{
    char *s = b->ok ? cJSON_PrintUnformatted(b->root) : NULL;
    cJSON_Delete(b->payload);
    cJSON_Delete(b->root);
    return s;
}

char *whp_stream(const char *channel_uuid, int status, const char *action, const char *stream_uuid)
{
    if (!channel_uuid || !action || !stream_uuid)
        return NULL;
    body b = begin(channel_uuid, "stream");
    add_num(&b, false, "status", status);
    add_str(&b, true, "action", action);
    add_str(&b, true, "stream_uuid", stream_uuid);
    attach_payload(&b);
    return finish(&b);
}

static void add_spoof(body *b, const whp_spoof *sp)
{
    if (!sp)
        return;
    add_num(b, true, "spoof_score", round2(sp->score));
    add_str(b, true, "spoof", sp->result ? sp->result : "insufficient_speech");
}

char *whp_enroll_spoof(const char *channel_uuid, int status, const char *stream_uuid,
                       const char *external_id, const char *detail, double speech_length,
                       const whp_spoof *spoof)
{
    if (!channel_uuid || !stream_uuid || !external_id || !detail)
        return NULL;
    body b = begin(channel_uuid, "enroll");
    add_str(&b, true, "stream_uuid", stream_uuid);
    add_str(&b, true, "external_id", external_id);
    add_str(&b, true, "detail", detail);
    add_num(&b, true, "speech_length", round2(speech_length));
    add_spoof(&b, spoof);
    attach_payload(&b);
    add_num(&b, false, "status", status); /* after the payload, as in the manual */
    return finish(&b);
}

char *whp_enroll(const char *channel_uuid, int status, const char *stream_uuid,
                 const char *external_id, const char *detail, double speech_length)
{
    return whp_enroll_spoof(channel_uuid, status, stream_uuid, external_id, detail, speech_length,
                            NULL);
}

char *whp_register_fraudster(const char *channel_uuid, int status, const char *stream_uuid,
                             const char *watchlist, const char *fraudster_id, const char *detail,
                             double speech_length, const char *matched_fraudster_id,
                             double score)
{
    if (!channel_uuid || !stream_uuid || !watchlist || !fraudster_id || !detail)
        return NULL;
    body b = begin(channel_uuid, "register_fraudster");
    add_num(&b, false, "status", status);
    add_str(&b, true, "stream_uuid", stream_uuid);
    add_str(&b, true, "watchlist", watchlist);
    add_str(&b, true, "fraudster_id", fraudster_id);
    add_str(&b, true, "detail", detail);
    add_num(&b, true, "speech_length", round2(speech_length));
    if (matched_fraudster_id) {
        add_str(&b, true, "matched_fraudster_id", matched_fraudster_id);
        add_num(&b, true, "score", round2(score));
    }
    attach_payload(&b);
    return finish(&b);
}

struct cJSON *whp_honeypot_record(const whp_honeypot_call *c)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL;
    ok = ok && cJSON_AddStringToObject(o, "stream_uuid", c->stream_uuid ? c->stream_uuid : "");
    ok = ok && cJSON_AddStringToObject(o, "call_sid", c->call_sid ? c->call_sid : "");
    ok = ok && cJSON_AddStringToObject(o, "reason", c->reason ? c->reason : "");
    ok = ok && cJSON_AddNumberToObject(o, "risk", c->risk);
    ok = ok && cJSON_AddBoolToObject(o, "ivr", c->ivr);
    ok = ok && cJSON_AddStringToObject(o, "dtmf", c->dtmf ? c->dtmf : "");
    ok = ok && cJSON_AddStringToObject(o, "menu_path", c->menu_path ? c->menu_path : "");
    ok = ok && cJSON_AddNumberToObject(o, "speech_seconds", round2(c->speech_seconds));
    ok = ok && cJSON_AddNumberToObject(o, "barge_ins", c->barge_ins);
    ok = ok && cJSON_AddNumberToObject(o, "prompts_sent", c->prompts_sent);
    ok = ok && cJSON_AddNumberToObject(o, "prompts_heard", c->prompts_heard);
    ok = ok && cJSON_AddNumberToObject(o, "duration_seconds", round2(c->duration_seconds));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

char *whp_honeypot(const char *channel_uuid, const whp_honeypot_call *c)
{
    if (!channel_uuid)
        return NULL;
    body b = begin(channel_uuid, "honeypot");
    cJSON_Delete(b.payload);
    b.payload = whp_honeypot_record(c);
    b.ok = b.ok && b.payload;
    attach_payload(&b);
    return finish(&b);
}

/* Copies of extra's members, after the manual's fields (whose names are not taken twice). */
static void add_extra(body *b, const cJSON *extra)
{
    for (const cJSON *m = extra ? extra->child : NULL; b->ok && m; m = m->next) {
        if (!m->string || cJSON_HasObjectItem(b->payload, m->string))
            continue;
        cJSON *dup = cJSON_Duplicate(m, 1);
        b->ok = dup && cJSON_AddItemToObject(b->payload, m->string, dup);
        if (!b->ok)
            cJSON_Delete(dup);
    }
}

/* The verify body: the manual's fields, then the countermeasure's, then extra's. */
static char *verify_body(const char *channel_uuid, int status, const char *stream_uuid,
                         const char *external_id, const char *result, double speech_length,
                         double score, const whp_spoof *spoof, const cJSON *extra)
{
    if (!channel_uuid || !stream_uuid || !external_id || !result)
        return NULL;
    body b = begin(channel_uuid, "verify");
    add_num(&b, false, "status", status);
    add_str(&b, true, "stream_uuid", stream_uuid);
    add_str(&b, true, "external_id", external_id);
    add_str(&b, true, "result", result);
    add_num(&b, true, "speech_length", round2(speech_length));
    add_num(&b, true, "score", round2(score));
    add_spoof(&b, spoof);
    add_extra(&b, extra);
    attach_payload(&b);
    return finish(&b);
}

char *whp_verify_spoof(const char *channel_uuid, int status, const char *stream_uuid,
                       const char *external_id, const char *result, double speech_length,
                       double score, const whp_spoof *spoof)
{
    return verify_body(channel_uuid, status, stream_uuid, external_id, result, speech_length,
                       score, spoof, NULL);
}

char *whp_verify_ext(const char *channel_uuid, int status, const char *stream_uuid,
                     const char *external_id, const char *result, double speech_length,
                     double score, const cJSON *extra)
{
    return verify_body(channel_uuid, status, stream_uuid, external_id, result, speech_length,
                       score, NULL, extra);
}

char *whp_verify_spoof_ext(const char *channel_uuid, int status, const char *stream_uuid,
                           const char *external_id, const char *result, double speech_length,
                           double score, const whp_spoof *spoof, const cJSON *extra)
{
    return verify_body(channel_uuid, status, stream_uuid, external_id, result, speech_length,
                       score, spoof, extra);
}

char *whp_verify(const char *channel_uuid, int status, const char *stream_uuid,
                 const char *external_id, const char *result, double speech_length, double score)
{
    return verify_body(channel_uuid, status, stream_uuid, external_id, result, speech_length,
                       score, NULL, NULL);
}

/* HMAC-SHA256(secret, a + b), streamed (OpenSSL 3's EVP_MAC): no concatenated copy. */
static int hmac2(const char *secret, const void *a, size_t al, const void *b, size_t bl,
                 unsigned char mac[32])
{
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    char digest[] = "SHA256";
    OSSL_PARAM opts[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
    size_t n = 0;
    int ok = ctx && EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), opts) &&
             EVP_MAC_update(ctx, a, al) && EVP_MAC_update(ctx, b, bl) &&
             EVP_MAC_final(ctx, mac, &n, 32) && n == 32;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(hmac);
    return ok ? 0 : -1;
}

int whp_sign(const char *secret, long long t, const void *body, size_t len, char *out,
             size_t cap)
{
    unsigned char mac[32];
    char ts[24];
    if (!secret || (!body && len) || !out || cap < WHP_SIGNATURE_MAX + 1 || t < 0)
        return -1;
    int tl = snprintf(ts, sizeof ts, "%lld.", t);
    if (hmac2(secret, ts, (size_t)tl, body ? body : (const void *)"", len, mac) != 0)
        return -1;
    int n = snprintf(out, cap, "t=%lld,sha256=", t);
    for (unsigned i = 0; i < sizeof mac; i++)
        snprintf(out + n + 2 * i, 3, "%02x", mac[i]);
    return 0;
}

bool whp_signature_check(const char *secret, const void *body, size_t len, const char *header,
                         long long now, long long tolerance_s)
{
    char want[WHP_SIGNATURE_MAX + 1], *end;
    if (!header || strncmp(header, "t=", 2) != 0 || header[2] < '0' || header[2] > '9')
        return false;
    long long t = strtoll(header + 2, &end, 10);
    if (*end != ',' || t < 0 || (t > now ? t - now : now - t) > tolerance_s)
        return false;
    if (whp_sign(secret, t, body, len, want, sizeof want) != 0 || strlen(header) != strlen(want))
        return false;
    return CRYPTO_memcmp(want, header, strlen(want)) == 0;
}
