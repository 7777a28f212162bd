/* live_zero.c -- zero-integration mode: a Twilio <Stream> that carries its own instructions.
 *
 *     <Stream url="wss://gw.example.com/stream">
 *       <Parameter name="external_id" value="customer-42"/>
 *       <Parameter name="mode" value="verify"/>
 *       <Parameter name="webhook" value="https://crm.example.com/callprint"/>
 *       <Parameter name="min_speech" value="2"/>     (optional, verify: seconds of net speech)
 *     </Stream>
 *
 * At the stream's start the controller starts the job (enrol or verify external_id) and,
 * when a webhook is given, an implicit subscription of the same type on the stream, so the
 * receiver gets the per-second payloads with no REST call at all. Its deliveries are signed
 * with the deployment's webhook secret (configured, or generated and kept in Redis: wsecret.h,
 * reached through live_deps);
 * until that is known no implicit subscription is made. The subscription and the job end
 * with the stream.
 *
 * Enrolment binds a voice to external_id for good, so mode=enroll needs a stream whose origin
 * is authenticated (a signed upgrade or a valid call_token, stream.authenticated) unless
 * allow_unsigned_enroll says otherwise; verification only reads, and is allowed on any stream.
 *
 * Twilio shows nothing the gateway says to a caller, and an error on the stream would only
 * end the call: invalid parameters are logged (naming the parameter, never the URL, which
 * may carry a token) and ignored; the stream goes on without biometrics.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live/live.h"
#include "common/log.h"

static void zero_warn(const stream *s, const char *why)
{
    log_write(LOG_WARN, s->uuid, stream_session_id(s), NULL, 0, "zero-integration ignored: %s", why);
}

/* The optional min_speech parameter of a verify job; a bad one is ignored (the job keeps the
 * gateway's minimum), like every other bad parameter. */
static void zero_min_speech(live *l, stream *s, live_kind kind, const char *ext)
{
    const char *v = stream_param(s, "min_speech");
    if (!v)
        return;
    char *end;
    double sec = strtod(v, &end);
    if (kind != LIVE_VERIFY)
        zero_warn(s, "\"min_speech\" applies to mode verify only");
    else if (end == v || *end || live_job_min_speech(l, s, ext, LIVE_BY_ZERO, sec) != LIVE_OK)
        zero_warn(s, "\"min_speech\" must be seconds of net speech from 0.5 to 3600");
}

void live_zero_start(live *l, const live_deps *deps, stream *s)
{
    const char *ext = stream_param(s, "external_id");
    const char *mode = stream_param(s, "mode");
    const char *url = stream_param(s, "webhook");
    if (!mode && !url)
        return; /* an external_id alone is for the sessions (H8), not a job */
    if (!mode) {
        zero_warn(s, "\"mode\" is missing (enroll or verify)");
        return;
    }
    live_kind kind;
    if (strcmp(mode, "register_fraudster") == 0)
        return; /* fraud screening's (fraud.h) */
    if (strcmp(mode, "enroll") == 0 || strcmp(mode, "enrol") == 0)
        kind = LIVE_ENROLL;
    else if (strcmp(mode, "verify") == 0)
        kind = LIVE_VERIFY;
    else {
        zero_warn(s, "\"mode\" must be enroll or verify");
        return;
    }
    if (!ext || !live_external_id_ok(ext)) {
        zero_warn(s, "\"external_id\" is missing, longer than 256 characters or has control "
                     "characters");
        return;
    }
    if (kind == LIVE_ENROLL && !s->authenticated && !deps->cfg.allow_unsigned_enroll) {
        zero_warn(s, "mode=enroll needs an authenticated stream (X-Twilio-Signature or "
                     "call_token; allow_unsigned_enroll = true allows it)");
        return;
    }
    const char *bad_url = url ? subs_check_url(url) : NULL;
    if (bad_url) {
        zero_warn(s, bad_url);
        return;
    }
    live_err e = live_job_start(l, s, kind, ext, LIVE_BY_ZERO);
    if (e == LIVE_OK)
        zero_min_speech(l, s, kind, ext);
    if (e != LIVE_OK) {
        zero_warn(s, e == LIVE_UNAVAILABLE ? "biometrics unavailable (no model)"
                                           : "the job could not start");
        return;
    }
    if (!url)
        return;
    const char *secret =
        deps->webhook_secret ? deps->webhook_secret(deps->webhook_secret_ctx) : NULL;
    if (!secret) { /* never unsigned: no webhook until the secret is known */
        zero_warn(s, "webhook not subscribed: the webhook secret is not loaded yet (Redis)");
        return;
    }
    sub *x;
    subs_status st = subs_add(live_subs(l), kind == LIVE_ENROLL ? SUB_ENROLL : SUB_VERIFY,
                              s->uuid, ext, url, secret, true,
                              (uint64_t)time(NULL) * 1000, &x);
    if (st == SUBS_FULL)
        zero_warn(s, "too many subscriptions (max_subscriptions)");
    else if (st == SUBS_NOMEM)
        zero_warn(s, "out of memory");
}
