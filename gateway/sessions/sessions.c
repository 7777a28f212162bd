/* sessions.c -- the session sink: joining streams to sessions, and the writes of a call's life.
 * See sessions.h for the contract.
 *
 * on_start copies what the stream says about the call into a scall and starts the join chain
 * (join_step): each step is one index lookup in Redis; a miss moves to the next step, a hit
 * (or the last step, a new UUID4) settles the session id. Then the caller's number, if it is a
 * phone number, is looked up in the customer directory, and the first save goes out with
 * everything known so far -- including a stop, DTMF or verdicts that arrived while the lookups
 * ran (a few milliseconds normally; at most the store's command timeout).
 *
 * DTMF: each digit marks the scall dirty; it is written at once when the last DTMF write of
 * this session is a second old, else by the 250 ms tick once it is. The stop's save carries
 * the final digits, so coalescing never loses the last value.
 */
#include "sessions/sessions_int.h"

#include "common/list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/app.h"
#include "sessions/forward.h"
#include "common/log.h"
#include "common/time.h"
#include "streams/registry.h"

#define SS_TICK_MS 250
#define SS_DTMF_EVERY_MS 1000

enum { JOIN_SESSION_ID, JOIN_CONTACT, JOIN_CALL_SID, JOIN_CALLER, JOIN_NEW };

static void join_step(scall *c, int step);
static void save_first(scall *c);

/* ---- small helpers --------------------------------------------------------------------------- */

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static const char *or_null(const char *s)
{
    return s && *s ? s : NULL;
}

const char *ss_param(const struct stream *s, const char *k1, const char *k2)
{
    const char *v = stream_param(s, k1);
    if ((!v || !*v) && k2)
        v = stream_param(s, k2);
    return v && *v ? v : NULL;
}

/* An id we can store and index: 1-256 bytes, no control characters (store.h ids). */
static bool id_ok(const char *id)
{
    size_t n = 0;
    for (; id && id[n]; n++)
        if ((unsigned char)id[n] < 0x20 || id[n] == 0x7f)
            return false;
    return n > 0 && n < SS_ID_MAX;
}

static void call_free(scall *c)
{
    sessions *ss = c->ss;
    LIST_UNLINK(ss->calls, c);
    for (size_t i = 0; i < 2 * c->n_extra; i++)
        free(c->extra[i]);
    free(c->extra);
    free(c);
}

void ss_call_release(scall *c)
{
    if (--c->pending == 0 && c->stopped)
        call_free(c);
}

static scall *call_of(const sessions *ss, const struct stream *s)
{
    return ss ? stream_sink_state(s, ss->slot) : NULL;
}

const char *sessions_stream_session_id(const sessions *ss, const struct stream *s)
{
    scall *c = call_of(ss, s);
    return c && c->resolved ? c->session_id : NULL;
}

void sessions_forward_stats(const sessions *ss, forward_stats *out)
{
    forward_get_stats(ss ? ss->fwd : NULL, out);
}

/* ---- writes ---------------------------------------------------------------------------------- */

/* The session as this stream knows it; fields it does not know stay NULL (kept in Redis). */
static void fill(const scall *c, store_session *out)
{
    *out = (store_session){
        .session_id = c->session_id,
        .stream_uuid = c->stream_uuid,
        .stream_sid = or_null(c->stream_sid),
        .call_sid = or_null(c->call_sid),
        .caller = or_null(c->caller),
        .caller_status = c->caller_status,
        .external_id = or_null(c->external_id),
        .dialled = or_null(c->dialled),
        .contact_id = or_null(c->contact_id),
        .network_type = or_null(c->network_type),
        .location = or_null(c->location),
        .start_time = c->created ? c->start_time : NULL, /* a joined one keeps its own */
        .status = c->stopped ? "ended" : "streaming",
        .end_time = c->stopped ? c->end_time : NULL,
        .dtmf = c->dtmf,
        .extra = (const char *const *)c->extra,
        .n_extra = c->n_extra,
    };
}

static void save_dtmf(scall *c)
{
    store_session u = {.session_id = c->session_id, .dtmf = c->dtmf};
    c->dtmf_dirty = false;
    c->dtmf_written_ms = uv_now(c->ss->loop);
    store_session_save(c->ss->st, &u, ss_write_done, c->ss);
}

static void save_stop(scall *c)
{
    store_session u;
    fill(c, &u);
    const char *extra[] = {"end_reason", c->end_reason};
    u.extra = extra;
    u.n_extra = 1;
    c->dtmf_dirty = false;
    store_session_save(c->ss->st, &u, ss_write_done, c->ss);
    store_audit(c->ss->st, "stream_stop", c->stream_uuid, c->session_id, c->end_reason, NULL, NULL);
    log_write(LOG_INFO, c->stream_uuid, c->session_id, NULL, 0, "session %s (%s)", "ended",
              c->end_reason);
}

/* First save: everything known, then what happened meanwhile. */
static void save_first(scall *c)
{
    sessions *ss = c->ss;
    store_session u;
    c->resolved = true;
    if (c->created && !c->caller_status)
        c->caller_status = c->caller[0] ? NULL : "unknown";
    fill(c, &u);
    u.status = "streaming";
    u.end_time = NULL;
    store_session_save(ss->st, &u, ss_write_done, ss);
    store_audit(ss->st, "stream_start", c->stream_uuid, c->session_id,
                c->caller_status ? c->caller_status : "NA", NULL, NULL);
    c->dtmf_written_ms = uv_now(ss->loop);
    c->dtmf_dirty = false;
    log_write(LOG_INFO, c->stream_uuid, c->session_id, LOG_KV("caller_status", c->caller_status),
              "session %s", c->created ? "created" : "joined");
    for (int i = 0; i < c->n_held; i++)
        ss_verdict_record(c, &c->held[i]);
    c->n_held = 0;
    if (c->stopped)
        save_stop(c);
}

/* ---- joining --------------------------------------------------------------------------------- */

static void on_directory(void *arg, store_status st, const char *id, const char *err)
{
    scall *c = arg;
    if (st == STORE_OK && id) {
        c->caller_status = "known";
        copy(c->external_id, sizeof c->external_id, id);
    } else if (st == STORE_NOT_FOUND) {
        c->caller_status = "anonymous";
    } else {
        log_write(LOG_WARN, c->stream_uuid, c->session_id, NULL, 0, "caller lookup failed: %s",
                  err ? err : store_strerror(st));
    }
    save_first(c);
    ss_call_release(c);
}

/* The session id is settled: look the caller up, then save. */
/* The session id is settled: from now on the stream's log lines carry it. */
static void joined(scall *c)
{
    if (c->s)
        snprintf(c->s->session_id, sizeof c->s->session_id, "%s", c->session_id);
    if (c->caller[0] == '+') {
        c->pending++;
        store_directory_get(c->ss->st, c->caller, on_directory, c);
        return;
    }
    save_first(c);
}

static void on_caller_session(void *arg, store_status st, const store_session_view *v,
                              const char *err)
{
    scall *c = arg;
    (void)err;
    const char *status = st == STORE_OK ? store_view_field(v, "status") : NULL;
    const char *id = st == STORE_OK ? store_view_field(v, "session_id") : NULL;
    if (status && id && strcmp(status, "created") == 0) {
        copy(c->session_id, sizeof c->session_id, id);
        joined(c);
    } else {
        join_step(c, JOIN_NEW);
    }
    ss_call_release(c);
}

static void on_found(void *arg, store_status st, const char *id, const char *err)
{
    scall *c = arg;
    (void)err;
    if (st != STORE_OK || !id || !*id || strlen(id) >= sizeof c->session_id) {
        join_step(c, c->step + 1);
    } else if (c->step == JOIN_CALLER) {
        /* Only a session still waiting for its stream is the caller's current call. */
        copy(c->session_id, sizeof c->session_id, id);
        c->pending++;
        store_session_get(c->ss->st, c->session_id, on_caller_session, c);
    } else {
        copy(c->session_id, sizeof c->session_id, id);
        joined(c);
    }
    ss_call_release(c);
}

static void find(scall *c, int step, store_index by, const char *key)
{
    c->step = step;
    c->pending++;
    store_session_find(c->ss->st, by, key, on_found, c);
}

static void join_step(scall *c, int step)
{
    const struct stream *s = c->s;
    switch (step) {
    case JOIN_SESSION_ID:
        /* The parameters were copied into extra; the stream may be gone on later steps. */
        if (s && id_ok(ss_param(s, "session_id", NULL))) {
            copy(c->session_id, sizeof c->session_id, ss_param(s, "session_id", NULL));
            joined(c);
            return;
        }
        /* fall through */
    case JOIN_CONTACT:
        if (c->contact_id[0]) {
            find(c, JOIN_CONTACT, STORE_BY_CONTACT_ID, c->contact_id);
            return;
        }
        /* fall through */
    case JOIN_CALL_SID:
        if (c->call_sid[0]) {
            find(c, JOIN_CALL_SID, STORE_BY_CALL_SID, c->call_sid);
            return;
        }
        /* fall through */
    case JOIN_CALLER:
        if (c->caller[0] == '+') {
            find(c, JOIN_CALLER, STORE_BY_CALLER, c->caller);
            return;
        }
        /* fall through */
    default:
        if (stream_uuid4(c->session_id) != 0)
            copy(c->session_id, sizeof c->session_id, c->stream_uuid);
        c->created = true;
        joined(c);
    }
}

/* ---- the sink -------------------------------------------------------------------------------- */

static void take_caller(sessions *ss, scall *c, const char *raw)
{
    if (!raw)
        return;
    char e164[PHONE_E164_MAX];
    const char *why = NULL;
    switch (phone_normalise(raw, &ss->phone, e164, &why)) {
    case PHONE_E164:
        copy(c->caller, sizeof c->caller, e164);
        break;
    case PHONE_ANONYMOUS:
        copy(c->caller, sizeof c->caller, "anonymous");
        c->caller_status = "anonymous";
        break;
    default:
        copy(c->caller, sizeof c->caller, raw);
        c->caller_status = "invalid";
        log_write(LOG_WARN, c->stream_uuid, NULL, NULL, 0, "caller number is invalid: %s", why);
    }
}

/* Every custom parameter as "param.<key>". */
static int take_params(scall *c, const struct stream *s)
{
    if (!s->n_params)
        return 0;
    c->extra = calloc(2 * s->n_params, sizeof *c->extra);
    if (!c->extra)
        return -1;
    for (size_t i = 0; i < s->n_params; i++) {
        size_t n = strlen(s->params[i].key) + 7;
        char *k = malloc(n), *v = strdup(s->params[i].value);
        if (!k || !v) {
            free(k), free(v);
            return -1;
        }
        snprintf(k, n, "param.%s", s->params[i].key);
        c->extra[2 * c->n_extra] = k;
        c->extra[2 * c->n_extra + 1] = v;
        c->n_extra++;
    }
    return 0;
}

static int on_start(void *ud, struct stream *s, void **state)
{
    sessions *ss = ud;
    scall *c = calloc(1, sizeof *c);
    if (!c || take_params(c, s) != 0) {
        if (c) {
            c->ss = ss;
            c->stopped = true;
            c->next = ss->calls;
            ss->calls = c; /* call_free unlinks */
            call_free(c);
        }
        log_write(LOG_ERROR, s->uuid, NULL, NULL, 0, "session: out of memory");
        *state = NULL;
        return 0; /* the call goes on without a session */
    }
    c->ss = ss;
    c->s = s;
    copy(c->stream_uuid, sizeof c->stream_uuid, s->uuid);
    copy(c->stream_sid, sizeof c->stream_sid, s->stream_sid);
    copy(c->call_sid, sizeof c->call_sid, s->call_sid);
    copy(c->dialled, sizeof c->dialled, ss_param(s, "dialled", "To"));
    const char *contact = ss_param(s, "ContactId", "contact_id");
    copy(c->contact_id, sizeof c->contact_id, id_ok(contact) ? contact : NULL);
    copy(c->network_type, sizeof c->network_type, ss_param(s, "network_type", NULL));
    copy(c->location, sizeof c->location, ss_param(s, "location", NULL));
    time_rfc3339(time_now_ms(), c->start_time);
    take_caller(ss, c, ss_param(s, "caller", "From"));
    LIST_PUSH(ss->calls, c);
    *state = c;
    c->pending++; /* held by the join chain until the first save */
    join_step(c, JOIN_SESSION_ID);
    ss_call_release(c);
    return 0;
}

static void on_dtmf(void *ud, struct stream *s, void *state, char digit)
{
    sessions *ss = ud;
    scall *c = state;
    (void)s;
    if (!c)
        return;
    size_t n = strlen(c->dtmf);
    if (n + 1 < sizeof c->dtmf) {
        c->dtmf[n] = digit;
        c->dtmf[n + 1] = '\0';
    }
    c->dtmf_dirty = true;
    if (c->resolved && uv_now(ss->loop) - c->dtmf_written_ms >= SS_DTMF_EVERY_MS)
        save_dtmf(c);
}

static void on_stop(void *ud, struct stream *s, void *state, stream_end_reason why)
{
    (void)ud;
    (void)s;
    scall *c = state;
    if (!c)
        return;
    c->s = NULL;
    c->stopped = true;
    c->end_reason = stream_end_reason_name(why);
    time_rfc3339(time_now_ms(), c->end_time);
    if (c->resolved)
        save_stop(c); /* otherwise save_first writes the stop too */
    c->pending++;
    ss_call_release(c); /* frees now unless a lookup still holds it */
}

static void on_tick(uv_timer_t *t)
{
    sessions *ss = t->data;
    uint64_t now = uv_now(ss->loop);
    for (scall *c = ss->calls; c; c = c->next)
        if (c->dtmf_dirty && c->resolved && !c->stopped &&
            now - c->dtmf_written_ms >= SS_DTMF_EVERY_MS)
            save_dtmf(c);
}

/* ---- lifecycle ------------------------------------------------------------------------------- */

static forward *make_forward(const config *cfg, uv_loop_t *loop, char *err, size_t errcap)
{
    forward_options fo = {
        .url = cfg->forward_url,
        .api_key = cfg->forward_api_key,
        .bearer_token = cfg->forward_bearer_token,
        .client_cert = cfg->forward_client_cert,
        .client_key = cfg->forward_client_key,
        .ca_file = cfg->forward_ca_file,
        .on_verdict = cfg->forward_on,
        .timeout_ms = cfg->forward_timeout_ms,
        .attempts = cfg->forward_attempts,
    };
    return forward_new(loop, &fo, err, errcap);
}

static void free_forward(void *f)
{
    forward_free(f);
}

sessions *sessions_new(struct app *a, char *err, size_t errcap)
{
    sessions *ss = calloc(1, sizeof *ss);
    if (!ss) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    ss->a = a;
    ss->st = a->store;
    ss->loop = a->loop;
    ss->slot = -1;
    ss->phone.default_cc = a->cfg->default_country_code[0] ? a->cfg->default_country_code : NULL;
    ss->fwd = make_forward(a->cfg, a->loop, err, errcap);
    if (!ss->fwd) {
        free(ss);
        return NULL;
    }
    ss->sink = (audio_sink){
        .name = "sessions",
        .ud = ss,
        .on_start = on_start,
        .on_dtmf = on_dtmf,
        .on_stop = on_stop,
    };
    if ((ss->slot = registry_add_sink(a->reg, &ss->sink)) < 0) {
        snprintf(err, errcap, "too many audio sinks");
        forward_close(ss->fwd, 0, free_forward, ss->fwd);
        free(ss);
        return NULL;
    }
    if (a->live && live_on_verdict(a->live, ss_on_live_state, ss) != 0)
        log_warn("sessions: no observer slot left on live biometrics: verdicts not recorded");
    uv_timer_init(ss->loop, &ss->tick);
    ss->tick.data = ss;
    uv_timer_start(&ss->tick, on_tick, SS_TICK_MS, SS_TICK_MS);
    uv_unref((uv_handle_t *)&ss->tick);
    ss->tick_open = true;
    if (forward_enabled(ss->fwd)) {
        log_write(LOG_INFO, NULL, NULL, LOG_KV("forward_on", a->cfg->forward_on),
                  "org-API forwarding on");
    }
    return ss;
}

static void closed_one(void *arg)
{
    sessions *ss = arg;
    if (--ss->closes_pending == 0 && ss->closed)
        ss->closed(ss->closed_arg);
}

static void on_tick_closed(uv_handle_t *h)
{
    closed_one(h->data);
}

void sessions_close(sessions *ss, void (*done)(void *arg), void *arg)
{
    if (!ss || ss->closing)
        return;
    ss->closing = true;
    ss->closed = done;
    ss->closed_arg = arg;
    ss->closes_pending = 2;
    ss->tick_open = false;
    uv_close((uv_handle_t *)&ss->tick, on_tick_closed);
    forward_close(ss->fwd, SESSIONS_DRAIN_MS, closed_one, ss);
}

void sessions_free(sessions *ss)
{
    if (!ss)
        return;
    while (ss->calls)
        call_free(ss->calls);
    forward_free(ss->fwd);
    free(ss);
}
