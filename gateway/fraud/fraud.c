/* fraud.c -- the fraud-screening sink: caller ID, deny list, claimed customer, risk; session
 * writes. See fraud.h for the contract; fraud_risk.c has the score itself.
 *
 * Each stream gets an fcall at start. It lives past the stream's end for FRAUD_KEEP_MS, so the
 * final verify answers (published up to LIVE_WAIT_MAX_MS after the stop) are still decorated
 * with the call's risk, and until no store callback holds it (`pending`). Ended fcalls sit on
 * a list searched by stream uuid; live ones are reached through the stream's sink slot.
 *
 * Lookups are asynchronous and at most one of each kind runs per call: the deny list at start
 * (and again if the number only arrives from the session), the claimed customer's registered
 * number whenever a verify job names a new customer. Until they answer the risk is computed
 * without them; Redis down counts as "not found" (screening must never block a call).
 *
 * The tick (1 s) writes the session: the caller-ID fields once the session id is known, and
 * the risk fields whenever they changed since the last write.
 */
#include "fraud/fraud_int.h"

#include "common/list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/app.h"
#include "fraud/honeypot.h"
#include "live/live.h"
#include "common/log.h"
#include "streams/registry.h"
#include "store/store_fraud.h"
#include "streams/stream.h"

/* ---- calls ----------------------------------------------------------------------------------- */

static void call_free(fcall *c)
{
    fraud *f = c->f;
    LIST_UNLINK(f->calls, c);
    free(c->reg_blob);
    free(c);
}

void fraud_call_release(fcall *c)
{
    if (--c->pending == 0 && c->stopped && !c->s && c->stopped_ms == UINT64_MAX)
        call_free(c);
}

static fcall *call_of(const fraud *f, const stream *s, const char *uuid)
{
    if (s && f->slot >= 0)
        return stream_sink_state(s, f->slot);
    for (fcall *c = f->calls; uuid && c; c = c->next)
        if (strcmp(c->uuid, uuid) == 0)
            return c;
    return NULL;
}

static unsigned signals(const fcall *c)
{
    if (!c->have_number)
        return c->att != CID_ATTEST_A ? CID_SIG_UNATTESTED : 0;
    return callerid_signals(c->cst == CID_OK ? &c->info : NULL, c->att, c->claimed_region);
}

void fraud_call_recompute(fcall *c)
{
    risk_input in = {
        .callerid_signals = signals(c),
        .attestation = c->att,
        .denied = c->denied,
        .voice_mismatch = c->voice_mismatch,
        .fraudster_risk = c->known ? c->known_score : 0,
    };
    c->risk = fraud_risk(&in, &c->reasons);
    if (c->s && !c->honeypot && (c->denied || c->risk >= c->f->a->cfg->honeypot_threshold)) {
        c->honeypot = true;
        honeypot_enter(c->f->a->honeypot, c->s, c->denied ? "DENY_LISTED" : "RISK", c->risk);
    }
}

/* ---- lookups --------------------------------------------------------------------------------- */

static void on_deny(void *arg, store_status st, const char *reason, const char *err)
{
    fcall *c = arg;
    (void)reason;
    if (st == STORE_OK)
        c->denied = true;
    else if (st != STORE_NOT_FOUND)
        log_write(LOG_WARN, c->uuid, NULL, NULL, 0, "deny-list lookup failed: %s",
                  err ? err : store_strerror(st));
    fraud_call_recompute(c);
    fraud_call_release(c);
}

/* The number is known: ask libphonenumber, then Redis's deny list. */
static void take_number(fcall *c, const char *raw)
{
    c->have_number = true;
    c->cid_written = false; /* the session gets the new answer at the next tick */
    c->cst = callerid_lookup(c->f->cid, raw, c->f->default_region, &c->info);
    fraud_call_recompute(c);
    if (c->cst == CID_OK && c->info.e164[0]) {
        c->pending++;
        store_deny_get(c->f->a->store, c->info.e164, on_deny, c);
    }
}

static void on_session(void *arg, store_status st, const store_session_view *v, const char *err)
{
    fcall *c = arg;
    (void)err;
    const char *caller = st == STORE_OK ? store_view_field(v, "caller") : NULL;
    if (!c->have_number && caller && caller[0] == '+')
        take_number(c, caller);
    fraud_call_release(c);
}

static void on_registered(void *arg, store_status st, const char *phone, const char *err)
{
    fcall *c = arg;
    (void)err;
    callerid_info reg;
    if (st == STORE_OK && callerid_lookup(c->f->cid, phone, NULL, &reg) == CID_OK)
        snprintf(c->claimed_region, sizeof c->claimed_region, "%s", reg.region);
    fraud_call_recompute(c);
    fraud_call_release(c);
}

/* A verify job claims external_id: find the region of that customer's registered number.
 * The call's first claim is its claimed identity (a later job for another id -- an operator's
 * lookup -- does not change whose number the caller pretends to be). */
static void claim(fcall *c, const char *external_id)
{
    if (!external_id || c->claimed[0])
        return;
    snprintf(c->claimed, sizeof c->claimed, "%s", external_id);
    c->claimed_region[0] = '\0';
    c->pending++;
    store_directory_phone_of(c->f->a->store, c->claimed, on_registered, c);
}

/* ---- session writes -------------------------------------------------------------------------- */

static void on_written(void *arg, store_status st, const char *err)
{
    fcall *c = arg;
    if (st != STORE_OK)
        log_write(LOG_WARN, c->uuid, c->session_id, NULL, 0, "fraud fields not saved: %s",
                  err ? err : store_strerror(st));
    fraud_call_release(c);
}

#define FRAUD_PAIRS_MAX 16

static void save(fcall *c)
{
    const char *kv[2 * FRAUD_PAIRS_MAX];
    char risk[8], thr[8], cc[8], reasons[256] = "";
    size_t n = 0;
    if (!c->cid_written) {
        bool ok = c->cst == CID_OK;
        snprintf(cc, sizeof cc, "%d", c->info.country_code);
        const char *pairs[] = {
            "caller_id.valid", ok && c->info.valid ? "true" : "false",
            "caller_id.type", ok ? callerid_type_name(c->info.type) : "UNKNOWN",
            "caller_id.region", ok && c->info.region[0] ? c->info.region : "NA",
            "caller_id.country_code", ok ? cc : "NA",
            "caller_id.e164", ok ? c->info.e164 : "NA",
            "caller_id.description", ok && c->info.description[0] ? c->info.description : "NA",
            "caller_id.attestation", callerid_attestation_name(c->att),
            "deny_listed", c->denied ? "true" : "false",
        };
        memcpy(kv, pairs, sizeof pairs);
        n = sizeof pairs / sizeof pairs[0] / 2;
    }
    for (int i = 0; i < RISK_REASONS; i++)
        if (c->reasons & (1u << i))
            snprintf(reasons + strlen(reasons), sizeof reasons - strlen(reasons), "%s%s",
                     reasons[0] ? "," : "", fraud_reason_name(i));
    snprintf(risk, sizeof risk, "%d", c->risk);
    snprintf(thr, sizeof thr, "%d", c->f->threshold);
    const char *tail[] = {"risk", risk, "risk_reasons", reasons, "risk_threshold", thr};
    memcpy(kv + 2 * n, tail, sizeof tail);
    n += 3;
    if (c->honeypot) { /* org-API forwarding refuses the session from now on */
        kv[2 * n] = "honeypot", kv[2 * n + 1] = "true";
        n++;
        c->honeypot_written = true;
    }
    char score[16];
    if (c->known && !c->known_written) {
        snprintf(score, sizeof score, "%.2f", c->known_score);
        const char *kf[] = {"known_fraudster.watchlist", c->known_watchlist,
                            "known_fraudster.fraudster_id", c->known_id,
                            "known_fraudster.score", score};
        memcpy(kv + 2 * n, kf, sizeof kf);
        n += 3;
        c->known_written = true;
    }
    store_session u = {.session_id = c->session_id, .extra = kv, .n_extra = n};
    c->cid_written = true;
    c->written_risk = c->risk;
    c->written_reasons = c->reasons;
    c->pending++;
    store_session_save(c->f->a->store, &u, on_written, c);
}

static void visit(fraud *f, fcall *c, uint64_t now)
{
    if (!c->session_id[0] && c->s && stream_session_id(c->s))
        snprintf(c->session_id, sizeof c->session_id, "%s", stream_session_id(c->s));
    if (!c->session_id[0])
        return;
    if (!c->have_number && !c->session_asked) { /* e.g. a Connect contact's number */
        c->session_asked = true;
        c->pending++;
        store_session_get(f->a->store, c->session_id, on_session, c);
    }
    if (!c->cid_written || c->risk != c->written_risk || c->reasons != c->written_reasons ||
        (c->known && !c->known_written) || (c->honeypot && !c->honeypot_written))
        save(c);
    if (c->stopped && c->stopped_ms != UINT64_MAX && now - c->stopped_ms >= FRAUD_KEEP_MS) {
        c->stopped_ms = UINT64_MAX; /* released: freed now or by the last callback */
        c->pending++;
        fraud_call_release(c);
    }
}

static void on_tick(uv_timer_t *t)
{
    fraud *f = t->data;
    uint64_t now = uv_now(f->a->loop);
    fraud_watch_load(f);
    for (fcall *c = f->calls, *next; c; c = next) {
        next = c->next;
        fraud_watch_visit(f, c);
        fraud_reg_visit(f, c);
        visit(f, c, now);
    }
}

/* ---- the sink -------------------------------------------------------------------------------- */

static const char *param(const stream *s, const char *k1, const char *k2)
{
    const char *v = stream_param(s, k1);
    if ((!v || !*v) && k2)
        v = stream_param(s, k2);
    return v && *v ? v : NULL;
}

static int on_start(void *ud, stream *s, void **state)
{
    fraud *f = ud;
    fcall *c = calloc(1, sizeof *c);
    *state = c;
    if (!c) {
        log_write(LOG_ERROR, s->uuid, NULL, NULL, 0, "fraud screening: out of memory");
        return 0; /* the call goes on unscreened */
    }
    c->f = f;
    c->s = s;
    c->written_risk = -1;
    c->cst = CID_ERR_EMPTY; /* until a number arrives */
    snprintf(c->uuid, sizeof c->uuid, "%s", s->uuid);
    c->att = callerid_attestation_parse(param(s, "StirVerstat", NULL));
    const char *screen = param(s, "screen", NULL);
    c->screen = screen ? strcmp(screen, "true") == 0 : f->a->cfg->screen_calls;
    LIST_PUSH(f->calls, c);
    fraud_reg_zero(f, s);
    const char *raw = param(s, "caller", "From");
    if (raw)
        take_number(c, raw);
    else
        fraud_call_recompute(c);
    return 0;
}

static void on_stop(void *ud, stream *s, void *state, stream_end_reason why)
{
    fraud *f = ud;
    fcall *c = state;
    (void)why;
    if (!c)
        return;
    if (!c->session_id[0] && stream_session_id(s))
        snprintf(c->session_id, sizeof c->session_id, "%s", stream_session_id(s));
    c->s = NULL;
    c->stopped = true;
    c->stopped_ms = uv_now(f->a->loop);
}

/* ---- live: verdicts and decorations ---------------------------------------------------------- */

static void on_verdict(const live_state *st, void *arg)
{
    fcall *c = call_of(arg, st->stream, st->stream_uuid);
    if (!c || st->kind != LIVE_VERIFY)
        return;
    claim(c, st->external_id);
    c->screen = true; /* every verification is screened */
    if (st->status == LIVE_ST_VERDICT)
        c->voice_mismatch = st->result == LIVE_VERDICT_NOT_VERIFIED;
    fraud_call_recompute(c);
}

static void add_risk(cJSON *o, const fcall *c, int risk, unsigned reasons, int threshold)
{
    cJSON_AddNumberToObject(o, "risk", risk);
    cJSON_AddItemToObject(o, "risk_reasons", fraud_reasons_json(reasons));
    cJSON_AddNumberToObject(o, "risk_threshold", threshold);
    if (!c->known)
        return;
    cJSON *k = cJSON_AddObjectToObject(o, "known_fraudster");
    cJSON_AddNumberToObject(k, "risk", (int)(c->known_score + 0.5));
    cJSON_AddStringToObject(k, "watchlist", c->known_watchlist);
    cJSON_AddStringToObject(k, "fraudster_id", c->known_id);
    cJSON_AddNumberToObject(k, "score", (double)(long long)(c->known_score * 100 + 0.5) / 100);
}

/* Amazon Connect Voice ID's AuthenticationDecision for a verify state (NULL: none -- an
 * engine, Redis or voiceprint error, for which Voice ID has no decision). */
static const char *voice_id_decision(const live_state *st)
{
    switch (st->status) {
    case LIVE_ST_VERDICT: return st->result == LIVE_VERDICT_VERIFIED ? "ACCEPT" : "REJECT";
    case LIVE_ST_PENDING: return "NOT_ENOUGH_SPEECH";
    case LIVE_ST_NO_VOICEPRINT:
        return st->speaker == SPEAKER_OPTED_OUT ? "SPEAKER_OPTED_OUT"
               : st->speaker == SPEAKER_EXPIRED ? "SPEAKER_EXPIRED"
                                                : "SPEAKER_NOT_ENROLLED";
    default: return NULL;
    }
}

static void decorate(const live_state *st, cJSON *o, void *arg)
{
    fraud *f = arg;
    fcall *c = call_of(f, st->stream, st->stream_uuid);
    if (!c || st->kind != LIVE_VERIFY)
        return;
    /* This answer's own verdict, whatever the stream's latest one is. */
    risk_input in = {
        .callerid_signals = signals(c),
        .attestation = c->att,
        .denied = c->denied,
        .voice_mismatch = st->status == LIVE_ST_VERDICT && st->result == LIVE_VERDICT_NOT_VERIFIED,
        .fraudster_risk = c->known ? c->known_score : 0,
        /* the countermeasure's score counts as evidence only when it judged the audio spoofed */
        .spoof_risk = st->spoof_scored && st->spoof == BIO_SPOOF_SPOOF ? st->spoof_score : 0,
    };
    unsigned reasons;
    int risk = fraud_risk(&in, &reasons);
    const char *decision = voice_id_decision(st);
    if (decision)
        cJSON_AddStringToObject(o, "decision", decision);
    if (st->status == LIVE_ST_NO_VOICEPRINT)
        cJSON_AddStringToObject(o, "speaker_status", speaker_status_name(st->speaker));
    add_risk(o, c, risk, reasons, f->threshold);
    if (c->honeypot)
        cJSON_AddBoolToObject(o, "honeypot", true);
    cJSON_AddItemToObject(o, "caller_id",
                          fraud_callerid_json(&c->info, c->cst,
                                              c->att, signals(c)));
}

cJSON *fraud_stream_json(fraud *f, const stream *s)
{
    fcall *c = f ? call_of(f, s, s->uuid) : NULL;
    if (!c)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddItemToObject(o, "caller_id",
                          fraud_callerid_json(&c->info, c->cst,
                                              c->att, signals(c)));
    cJSON_AddBoolToObject(o, "deny_listed", c->denied);
    if (c->reg_status)
        cJSON_AddItemToObject(o, "registration", fraud_reg_json(c));
    add_risk(o, c, c->risk, c->reasons, f->threshold);
    return o;
}

double fraud_match_threshold(const fraud *f) { return f->match_threshold; }

callerid_status fraud_lookup(fraud *f, const char *number, callerid_info *out)
{
    return callerid_lookup(f ? f->cid : NULL, number, f ? f->default_region : NULL, out);
}

/* ---- lifecycle ------------------------------------------------------------------------------- */

fraud *fraud_new(app *a)
{
    fraud *f = calloc(1, sizeof *f);
    if (!f || !(f->cid = callerid_new())) {
        free(f);
        return NULL;
    }
    f->a = a;
    f->slot = -1;
    f->threshold = a->cfg->risk_threshold;
    f->match_threshold = a->bio.thr_verified;
    if (a->cfg->default_country_code[0])
        callerid_region_for_cc(atoi(a->cfg->default_country_code), f->default_region);
    f->sink = (audio_sink){.name = "fraud", .ud = f, .on_start = on_start, .on_stop = on_stop};
    if ((f->slot = registry_add_sink(a->reg, &f->sink)) < 0) {
        callerid_free(f->cid);
        free(f);
        return NULL;
    }
    if (a->live && (live_on_verdict(a->live, on_verdict, f) != 0 ||
                    live_on_decorate(a->live, decorate, f) != 0))
        log_warn("fraud: no observer slot left on live biometrics: verify answers carry no risk");
    uv_timer_init(a->loop, &f->tick);
    f->tick.data = f;
    uv_timer_start(&f->tick, on_tick, FRAUD_TICK_MS, FRAUD_TICK_MS);
    fraud_watchlist_add(f, FRAUD_WATCHLIST_DEFAULT);
    fraud_watch_load(f);
    uv_unref((uv_handle_t *)&f->tick);
    f->tick_open = true;
    return f;
}

void fraud_close(fraud *f)
{
    if (!f || !f->tick_open)
        return;
    f->tick_open = false;
    f->closing = true;
    uv_close((uv_handle_t *)&f->tick, NULL);
}

void fraud_free(fraud *f)
{
    if (!f)
        return;
    while (f->calls)
        call_free(f->calls);
    fraud_watch_free(f);
    callerid_free(f->cid);
    free(f);
}
