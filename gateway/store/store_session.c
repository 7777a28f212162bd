/* store_session.c -- call sessions in Redis (data model in store.h).
 *
 * A save is one MULTI/EXEC: HSET of the fields given, HSETNX of a default for every field not
 * given (so "NA" fills only what nobody has set yet), EXPIRE, and the index keys of the ids
 * given. All of it is idempotent, so re-sending a save after a lost reply is harmless. Index
 * keys get their expiry refreshed only when their id is part of the save; since the gateway
 * repeats the ids it knows, in practice they live as long as the session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#include "common/time.h"

#define SESSION_EXTRA_MAX 512 /* Connect attributes + parameters (256 each) */

enum { F_SESSION_ID, F_STREAM_UUID, F_STREAM_SID, F_CALL_SID, F_CALLER, F_CALLER_STATUS,
       F_EXTERNAL_ID, F_DIALLED, F_CONTACT_ID, F_CHANNEL, F_NETWORK_TYPE, F_LOCATION,
       F_START_TIME, F_END_TIME, F_STATUS, F_DTMF, F_FORWARD_STATUS, F_COUNT };

static const char *const session_names[F_COUNT] = {
    "session_id", "stream_uuid", "stream_sid", "call_sid", "caller", "caller_status",
    "external_id", "dialled", "contact_id", "channel", "network_type", "location",
    "start_time", "end_time", "status", "dtmf", "forward_status",
};

/* Written by store_session_add_verdict() only; extra pairs may not use them either. */
static const char *const session_reserved[] = {"last_verdict", "last_score", "spoof", "spoof_score"};

static void session_values(const store_session *ss, const char *v[F_COUNT]) {
    const char *src[F_COUNT] = {
        ss->session_id, ss->stream_uuid, ss->stream_sid, ss->call_sid, ss->caller,
        ss->caller_status, ss->external_id, ss->dialled, ss->contact_id, ss->channel,
        ss->network_type, ss->location, ss->start_time, ss->end_time, ss->status, ss->dtmf,
        ss->forward_status,
    };
    memcpy(v, src, sizeof src);
}

static int session_name_taken(const char *key) {
    for (size_t i = 0; i < F_COUNT; i++)
        if (strcmp(key, session_names[i]) == 0) return 1;
    for (size_t i = 0; i < sizeof session_reserved / sizeof *session_reserved; i++)
        if (strcmp(key, session_reserved[i]) == 0) return 1;
    return 0;
}

static const char *session_check(const store_session *ss) {
    if (!store_id_ok(ss->session_id)) return "session_id must be 1-1024 printable bytes";
    if (ss->n_extra > SESSION_EXTRA_MAX) return "too many extra session fields (max 512)";
    for (size_t i = 0; i < ss->n_extra; i++) {
        const char *k = ss->extra[2 * i];
        if (!k || !*k || session_name_taken(k)) return "extra session field has an empty or reserved name";
    }
    return NULL;
}

/* Default of a field nobody has set. */
static const char *session_default(int f, const char *now) {
    switch (f) {
    case F_START_TIME: return now;
    case F_STATUS: return "created";
    case F_DTMF: return "";
    default: return "NA";
    }
}

static void session_index(sb *b, const store *s, const char *kind, const char *id,
                          const char *session_id) {
    if (!id || strcmp(id, "NA") == 0 || !store_id_ok(id)) return;
    sb_cmd(b), sb_arg(b, "SET"), sb_key(b, s, "session:by-%s:%s", kind, id);
    sb_arg(b, session_id), sb_arg(b, "EX"), sb_argf(b, "%u", s->ttl_s);
}

int store_session_save(store *s, const store_session *ss, store_done_cb *cb, void *arg) {
    const char *why = session_check(ss), *v[F_COUNT];
    STORE_BEGIN_DONE(s, NULL, !why, why, cb, arg, c, b);
    session_values(ss, v);
    char now[32];
    time_rfc3339(time_now_ms(), now);
    sb_cmd(b), sb_arg(b, "HSET"), sb_key(b, s, "session:%s", ss->session_id);
    for (int f = 0; f < F_COUNT; f++)
        if (v[f]) sb_arg(b, session_names[f]), sb_arg(b, v[f]);
    for (size_t i = 0; i < 2 * ss->n_extra; i++) sb_arg(b, ss->extra[i] ? ss->extra[i] : "");
    for (int f = 0; f < F_COUNT; f++) {
        if (v[f]) continue;
        sb_cmd(b), sb_arg(b, "HSETNX"), sb_key(b, s, "session:%s", ss->session_id);
        sb_arg(b, session_names[f]), sb_arg(b, session_default(f, now));
    }
    sb_cmd(b), sb_arg(b, "HSETNX"), sb_key(b, s, "session:%s", ss->session_id);
    sb_arg(b, "last_verdict"), sb_arg(b, "NA");
    sb_cmd(b), sb_arg(b, "EXPIRE"), sb_key(b, s, "session:%s", ss->session_id);
    sb_argf(b, "%u", s->ttl_s);
    session_index(b, s, "contact", ss->contact_id, ss->session_id);
    session_index(b, s, "callsid", ss->call_sid, ss->session_id);
    session_index(b, s, "stream", ss->stream_uuid, ss->session_id);
    if (ss->caller && ss->caller[0] == '+') session_index(b, s, "caller", ss->caller, ss->session_id);
    return sb_write(s, b, store_reply_done, c);
}

int store_session_add_verdict(store *s, const char *session_id, const char *verdict, double score,
                              double speech_s, const char *mode, store_done_cb *cb, void *arg) {
    STORE_BEGIN_DONE(s, NULL, store_id_ok(session_id) && store_id_ok(verdict),
                     "session_id and verdict must be 1-1024 printable bytes", cb, arg, c, b);
    sb_cmd(b), sb_arg(b, "XADD"), sb_key(b, s, "session:%s:verdicts", session_id);
    sb_arg(b, "MAXLEN"), sb_arg(b, "~"), sb_argf(b, "%zu", s->verdict_max), sb_arg(b, "*");
    sb_arg(b, "verdict"), sb_arg(b, verdict), sb_arg(b, "score"), sb_argf(b, "%.4f", score);
    sb_arg(b, "speech_s"), sb_argf(b, "%.2f", speech_s), sb_arg(b, "mode"), sb_arg(b, mode);
    sb_cmd(b), sb_arg(b, "HSET"), sb_key(b, s, "session:%s", session_id);
    sb_arg(b, "last_verdict"), sb_arg(b, verdict), sb_arg(b, "last_score"), sb_argf(b, "%.4f", score);
    sb_cmd(b), sb_arg(b, "EXPIRE"), sb_key(b, s, "session:%s", session_id), sb_argf(b, "%u", s->ttl_s);
    sb_cmd(b), sb_arg(b, "EXPIRE"), sb_key(b, s, "session:%s:verdicts", session_id);
    sb_argf(b, "%u", s->ttl_s);
    return sb_write(s, b, store_reply_done, c);
}

/* ---- reading ---------------------------------------------------------------------------------- */

/* One XRANGE entry [id, [k, v, k, v...]] into a verdict (pointers into the reply). */
static void session_verdict(const redisReply *e, store_verdict *out) {
    memset(out, 0, sizeof *out);
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2) return;
    out->id = e->element[0]->str;
    const redisReply *kv = e->element[1];
    for (size_t i = 0; kv->type == REDIS_REPLY_ARRAY && i + 1 < kv->elements; i += 2) {
        const char *k = kv->element[i]->str, *v = kv->element[i + 1]->str;
        if (!k || !v) continue;
        if (strcmp(k, "verdict") == 0) out->verdict = v;
        else if (strcmp(k, "score") == 0) out->score = v;
        else if (strcmp(k, "speech_s") == 0) out->speech_s = v;
        else if (strcmp(k, "mode") == 0) out->mode = v;
    }
}

static void session_got(void *ctx, store_status st, redisReply *rep, const char *err) {
    sctx *c = ctx;
    const redisReply *hash = NULL, *hist = NULL;
    if (st == STORE_OK && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2)
        hash = rep->element[0], hist = rep->element[1];
    if (st == STORE_OK && (!hash || hash->type != REDIS_REPLY_ARRAY || hist->type != REDIS_REPLY_ARRAY))
        st = STORE_ERROR, err = "unexpected reply to a session read";
    else if (st == STORE_OK && hash->elements == 0)
        st = STORE_NOT_FOUND, err = "no such session (unknown or expired)";
    if (st != STORE_OK) {
        c->cb.session(c->arg, st, NULL, err);
        sctx_free(c);
        return;
    }
    const char **fields = calloc(hash->elements + 1, sizeof *fields);
    store_verdict *verdicts = calloc(hist->elements + 1, sizeof *verdicts);
    if (fields && verdicts) {
        for (size_t i = 0; i < hash->elements; i++) fields[i] = hash->element[i]->str;
        for (size_t i = 0; i < hist->elements; i++) session_verdict(hist->element[i], &verdicts[i]);
        store_session_view v = {fields, hash->elements / 2, verdicts, hist->elements};
        c->cb.session(c->arg, STORE_OK, &v, NULL);
    } else {
        c->cb.session(c->arg, STORE_ERROR, NULL, "out of memory");
    }
    free(fields);
    free(verdicts);
    sctx_free(c);
}

int store_session_set_spoof(store *s, const char *session_id, const char *spoof, double score,
                            store_done_cb *cb, void *arg) {
    STORE_BEGIN_DONE(s, NULL, store_id_ok(session_id) && store_id_ok(spoof),
                     "session_id and spoof must be 1-256 printable bytes", cb, arg, c, b);
    sb_cmd(b), sb_arg(b, "HSET"), sb_key(b, s, "session:%s", session_id);
    sb_arg(b, "spoof"), sb_arg(b, spoof), sb_arg(b, "spoof_score"), sb_argf(b, "%.2f", score);
    return sb_write(s, b, store_reply_done, c);
}

int store_session_get(store *s, const char *session_id, store_session_cb *cb, void *arg) {
    STORE_BEGIN_PTR(s, NULL, store_id_ok(session_id), "session_id must be 1-1024 printable bytes",
                    cb, arg, session, c, b);
    sb_cmd(b), sb_arg(b, "HGETALL"), sb_key(b, s, "session:%s", session_id);
    sb_cmd(b), sb_arg(b, "XRANGE"), sb_key(b, s, "session:%s:verdicts", session_id);
    sb_arg(b, "-"), sb_arg(b, "+");
    return sb_read(s, b, session_got, c);
}

const char *store_view_field(const store_session_view *v, const char *name) {
    for (size_t i = 0; i < v->n_fields; i++)
        if (v->fields[2 * i] && strcmp(v->fields[2 * i], name) == 0) return v->fields[2 * i + 1];
    return NULL;
}

int store_session_find(store *s, store_index by, const char *key, store_id_cb *cb, void *arg) {
    static const char *const kinds[] = {"contact", "callsid", "stream", "caller"};
    STORE_BEGIN_PTR(s, NULL, store_id_ok(key) && (unsigned)by <= STORE_BY_CALLER,
                    "lookup key must be 1-1024 printable bytes", cb, arg, id, c, b);
    sb_cmd(b), sb_arg(b, "GET"), sb_key(b, s, "session:by-%s:%s", kinds[by], key);
    return sb_read(s, b, store_reply_id, c);
}
