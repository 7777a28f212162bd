/* live.c -- the live biometrics controller: per-stream jobs, the tick, worker and Redis
 * answers, observers. See live.h for the behaviour; this comment is about the mechanics.
 *
 * Dependencies. Everything outside the controller is reached through the live_deps copied at
 * live_new: the worker pool and the store as tables of functions (so the unit tests drive
 * the controller with fakes), the settings as values. Results leave only through observers:
 * the webhooks to subscribers are the live_webhooks observer's, which gets each job's report
 * of the tick (on_report) and the stream events (on_stream).
 *
 * Ownership. A live_stream (ls) is the sink state of one stream, created in on_start and
 * freed in on_stop. It owns its jobs through one reference each. A Redis operation in flight
 * holds a further reference on its job, because store callbacks always come (store_close
 * fails what is left with STORE_CLOSED) and must find the job alive; when the stream ended
 * meanwhile (job->ls == NULL) the callback only drops its reference. Worker answers hold no
 * reference: the worker pool may drop them at shutdown, so they are routed by tag through a
 * hash table (tag -> job) that only holds attached jobs; an answer whose tag is gone is
 * ignored.
 *
 * The single-flight rule: a job has at most one worker request (worker_busy) and one Redis
 * operation (store_busy) in flight. `due` means this tick's webhooks are owed and will go out
 * with the next published state, or at the next tick, whichever is first.
 *
 * The tick is spread over the interval. One global timer posting every stream's job at the
 * same instant made a burst each second: the scoring of every verified stream queued at once
 * in front of the audio arriving just after (docs/performance.md, finding 6). So each
 * stream has a phase: the interval is cut into n_phases slots (config verify_slots, 50:
 * 20 ms at 1 s), the streams are kept in one list per slot, and a timer armed for each slot
 * boundary visits only the list that is due (common/slots.h, shared with the load
 * generator). A stream joins the slot visited last when it starts, so its jobs tick one interval
 * after its start and every interval after that: exactly once per interval, as before, and calls
 * starting at random times spread the work evenly (calls that all start within one slot still share
 * it). Slots are absolute (loop time / slot_ms): a late wake-up visits the slots it missed, each
 * once. Ended streams waiting for answers are checked once per interval, at slot 0.
 *
 * Stream end: on_stop unlinks the ls from `streams` (and from the stream's sink slot: the
 * stream itself is freed by its owner right after), posts each job's final request, closes the
 * worker stream behind it (the pool runs a stream's jobs in order), and moves the ls to
 * `ending`. A job whose final request must wait (for the voiceprint of a call that ended
 * before Redis answered, or for the answer to a request posted before the end, which saw only
 * part of the audio) keeps the worker stream open until it is posted (close_worker). Every
 * answer on an ending stream checks whether it was the last one in flight (maybe_finish); the
 * tick gives up on stragglers after LIVE_WAIT_MAX_MS, and live_close releases whatever is
 * left since the workers close right after it.
 */
#include "live/live.h"

#include "common/list.h"
#include "common/slots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

#define LIVE_TAG_BUCKETS 1024
#define LIVE_SLOTS_MAX 1000 /* config verify_slots at most */

typedef struct live_waiter {
    struct live_waiter *next;
    live_state_cb cb;
    void *arg;
    uint64_t since_ms;
} live_waiter;

typedef struct live_stream live_stream;

typedef struct live_job {
    struct live_job *next;  /* the stream's jobs */
    struct live_job *tnext; /* tag hash chain */
    live *l;
    live_stream *ls; /* NULL once the stream ended */
    int refs;
    uint64_t tag;
    live_kind kind;
    live_origin origin;
    char external_id[SUBS_EXTERNAL_ID_MAX + 1];
    char uuid[STREAM_UUID_LEN + 1]; /* the stream's, kept for outcomes after it ended */
    /* Published state. */
    int status;
    whp_enroll_detail detail;
    live_verdict result;
    bio_verdict verdict;
    double score, speech;
    bool spoof_scored;
    bio_spoof_verdict spoof;
    double spoof_score;
    speaker_status speaker; /* verify: the voiceprint's lifecycle status */
    bool replace_expired;   /* enrol: the existing voiceprint expired: overwrite it */
    uint64_t state_ms; /* loop time of the last answer (0: none yet) */
    /* Work in flight. */
    bool worker_busy, store_busy, due;
    bool final_owed; /* the stream ended while a request was in flight: post again after it */
    bool stale; /* the published state came from a dropped voiceprint: not sent again */
    uint64_t posted_ms;
    /* verify: the cached voiceprint, its store stamp, and an epoch bumped whenever the cache is
     * dropped (a worker answer posted under an older epoch was scored against a voiceprint
     * that is gone); enrol: checked for existence, done. */
    uint8_t *print;
    size_t print_len;
    char stamp[64];
    unsigned print_epoch, posted_epoch;
    bool checked, done;
    double min_speech;     /* verify: the job's minimum net speech, < 0 = the gateway's */
    double pending_speech; /* enrol: speech of the blob being written */
    live_waiter *waiters;
    size_t n_waiters;
} live_job;

struct live_stream {
    live_stream *next, *prev; /* l->streams[phase], or l->ending once the stream ended */
    stream *s;                /* NULL once the stream ended */
    unsigned phase;           /* the slot of the interval its jobs tick in */
    char uuid[STREAM_UUID_LEN + 1];
    uint64_t wid; /* worker stream id; 0 without workers, or once closed */
    live_job *jobs;
    size_t n_jobs;
    bool ending;        /* ended: waiting for the final answers */
    uint64_t ended_ms;
};

/* The stream's session id for log lines (NULL while unknown or after the stream ended). */
static const char *ls_session(const live_stream *ls)
{
    return ls && ls->s ? stream_session_id(ls->s) : NULL;
}

typedef struct {
    live_observer_ops ops;
    void *arg;
} live_observer;

struct live {
    uv_loop_t *loop;
    live_deps deps;           /* its tables point into wk and store below */
    live_workers_ops wk;      /* valid when deps.workers */
    live_store_ops store;
    audio_sink sink;
    int sink_index;  /* our slot in stream.sink_state, given by registry_add_sink */
    uv_timer_t tick; /* every slot_ms */
    bool tick_started;
    uint64_t slot_ms;  /* verify_interval_ms / n_phases */
    unsigned n_phases; /* verify_slots, or the largest divisor of the interval below it */
    uint64_t slot;     /* the last slot visited: loop time / slot_ms */
    subs *subs;
    live_stream *streams[LIVE_SLOTS_MAX]; /* live streams, by phase (n_phases used) */
    size_t n_streams;
    live_stream *ending; /* ended streams whose final answers are on their way */
    bool closing;
    live_job *tags[LIVE_TAG_BUCKETS];
    uint64_t next_tag;
    live_observer obs[LIVE_OBSERVERS_MAX];
    size_t n_obs;
    struct {
        live_decorate_cb cb;
        void *arg;
    } deco[LIVE_OBSERVERS_MAX];
    size_t n_deco;
    live_stats st;
};

static const char *const kind_names[] = {"enroll", "verify"};
static const char *const origin_names[] = {"api", "subscription", "zero-integration"};

const char *live_kind_name(live_kind k) { return (unsigned)k < 2 ? kind_names[k] : "unknown"; }
const char *live_origin_name(live_origin o)
{
    return (unsigned)o < 3 ? origin_names[o] : "unknown";
}

const char *live_verdict_name(live_verdict v)
{
    static const char *const names[LIVE_VERDICTS] = {
        [LIVE_VERDICT_NOT_ENOUGH_SPEECH] = "not_enough_speech",
        [LIVE_VERDICT_NO_VOICEPRINT] = "no_voiceprint",
        [LIVE_VERDICT_VERIFIED] = "verified",
        [LIVE_VERDICT_NOT_VERIFIED] = "not_verified",
        [LIVE_VERDICT_NOT_SURE] = "not_sure",
    };
    return (unsigned)v < LIVE_VERDICTS ? names[v] : "unknown";
}

const char *live_verdict_rest(live_verdict v)
{
    static const char *const names[LIVE_VERDICTS] = {
        [LIVE_VERDICT_NOT_ENOUGH_SPEECH] = "insufficient_speech",
        [LIVE_VERDICT_VERIFIED] = "verified",
        [LIVE_VERDICT_NOT_VERIFIED] = "not_verified",
        [LIVE_VERDICT_NOT_SURE] = "not_sure",
    };
    if (v == LIVE_VERDICT_NO_VOICEPRINT) /* answered 404, worded as the webhook words it */
        return whp_verify_result_text(WHP_VERIFY_NO_VOICEPRINT);
    return (unsigned)v < LIVE_VERDICTS ? names[v] : "not_sure";
}

whp_verify_result live_verdict_webhook(live_verdict v)
{
    static const whp_verify_result values[LIVE_VERDICTS] = {
        [LIVE_VERDICT_NOT_ENOUGH_SPEECH] = WHP_VERIFY_NOT_ENOUGH_SPEECH,
        [LIVE_VERDICT_NO_VOICEPRINT] = WHP_VERIFY_NO_VOICEPRINT,
        [LIVE_VERDICT_VERIFIED] = WHP_VERIFY_VERIFIED,
        [LIVE_VERDICT_NOT_VERIFIED] = WHP_VERIFY_NOT_VERIFIED,
        [LIVE_VERDICT_NOT_SURE] = WHP_VERIFY_NOT_SURE,
    };
    return (unsigned)v < LIVE_VERDICTS ? values[v] : WHP_VERIFY_NOT_SURE;
}

bool live_external_id_ok(const char *id)
{
    size_t n = 0, chars = 0;
    if (!id)
        return false;
    for (; id[n]; n++) {
        if ((unsigned char)id[n] < 0x20 || id[n] == 0x7f || n >= SUBS_EXTERNAL_ID_MAX)
            return false;
        chars += ((unsigned char)id[n] & 0xC0) != 0x80; /* 256 characters, not bytes */
    }
    return n > 0 && chars <= LIVE_EXTERNAL_ID_CHARS;
}

static uint64_t now_ms(const live *l) { return uv_now(l->loop); }

/* ---------- tags ---------- */

static void tag_add(live *l, live_job *j)
{
    size_t b = j->tag % LIVE_TAG_BUCKETS;
    j->tnext = l->tags[b];
    l->tags[b] = j;
}

static void tag_del(live *l, live_job *j)
{
    for (live_job **p = &l->tags[j->tag % LIVE_TAG_BUCKETS]; *p; p = &(*p)->tnext)
        if (*p == j) {
            *p = j->tnext;
            return;
        }
}

static live_job *tag_find(live *l, uint64_t tag)
{
    live_job *j = l->tags[tag % LIVE_TAG_BUCKETS];
    while (j && j->tag != tag)
        j = j->tnext;
    return j;
}

/* ---------- stream lists (live streams, ended ones) ---------- */

static void list_del(live_stream **head, live_stream *ls)
{
    LIST_UNLINK(*head, ls);
    ls->next = ls->prev = NULL;
}

static void list_push(live_stream **head, live_stream *ls)
{
    LIST_PUSH(*head, ls);
}

/* ---------- state, observers, waiters ---------- */

static void state_of(const live_job *j, live_state *out)
{
    *out = (live_state){
        .kind = j->kind,
        .origin = j->origin,
        .stream = j->ls ? j->ls->s : NULL,
        .stream_uuid = j->ls ? j->ls->uuid : j->uuid,
        .external_id = j->external_id,
        .status = j->status,
        .detail = j->detail,
        .result = j->result,
        .verdict = j->verdict,
        .score = j->score,
        .speech_seconds = j->speech,
        .spoof_scored = j->spoof_scored,
        .spoof = j->spoof,
        .spoof_score = j->spoof_score,
        .speaker = j->speaker,
    };
}

static void answer_waiters(live_job *j)
{
    live_state st;
    state_of(j, &st);
    live_waiter *w = j->waiters;
    j->waiters = NULL;
    j->n_waiters = 0;
    while (w) {
        live_waiter *next = w->next;
        w->cb(&st, w->arg);
        free(w);
        w = next;
    }
}

/* Every observer's on_state. */
static void notify_state(live *l, const live_state *st)
{
    for (size_t i = 0; i < l->n_obs; i++)
        if (l->obs[i].ops.on_state)
            l->obs[i].ops.on_state(st, l->obs[i].arg);
}

/* The job's report of the tick: every observer's on_report (the webhooks to its
 * subscribers). */
static void send_job(live_job *j)
{
    live *l = j->l;
    if (j->stale) /* a verdict against a deleted or replaced voiceprint: wait for the next */
        return;
    live_state st;
    state_of(j, &st);
    for (size_t i = 0; i < l->n_obs; i++)
        if (l->obs[i].ops.on_report)
            l->obs[i].ops.on_report(&st, l->obs[i].arg);
}

/* A new state: observers, waiting polls, and the webhooks owed for this tick. */
static void publish(live_job *j)
{
    live *l = j->l;
    j->state_ms = now_ms(l);
    j->stale = false;
    if (j->kind == LIVE_VERIFY && (unsigned)j->result < LIVE_VERDICTS) {
        l->st.verdicts[j->result]++;
        if (j->spoof_scored)
            l->st.spoof_results[j->spoof]++;
    }
    live_state st;
    state_of(j, &st);
    notify_state(l, &st);
    answer_waiters(j);
    if (j->due && j->ls) {
        j->due = false;
        send_job(j);
    }
}

/* Nothing new will come for now: release the polls and the owed webhooks as they are. */
static void settle(live_job *j)
{
    answer_waiters(j);
    if (j->due && j->ls) {
        j->due = false;
        send_job(j);
    }
}

/* ---------- job lifecycle ---------- */

static void job_unref(live_job *j)
{
    if (--j->refs > 0)
        return;
    free(j->print);
    free(j);
}

static live_stream *ls_of(const live *l, const stream *s)
{
    return stream_sink_state(s, l->sink_index);
}

static live_job *job_find(live_stream *ls, live_kind k, const char *external_id)
{
    for (live_job *j = ls->jobs; j; j = j->next)
        if (j->kind == k && strcmp(j->external_id, external_id) == 0)
            return j;
    return NULL;
}

static bool refresh(live_job *j);
static void maybe_finish(live *l, live_stream *ls);
static void finish(live *l, live_stream *ls);
static void close_worker(live *l, live_stream *ls, bool force);

/* After an answer: an ended stream is released once its last answer is in. The job may be
 * freed by this (callers hold their own reference or do not touch it afterwards). */
static void answered(live_job *j)
{
    if (j->ls && j->ls->ending)
        maybe_finish(j->l, j->ls);
}

/* Worker answers. */
static bool post_worker(live_job *j)
{
    live *l = j->l;
    if (j->worker_busy)
        return true;
    if (!j->ls->wid)
        return false; /* the worker stream is closed */
    bio_config own = l->deps.cfg.bio;
    own.min_verify_speech = j->min_speech;
    int rc = j->kind == LIVE_ENROLL
                 ? l->wk.enroll(l->wk.ctx, j->ls->wid, j->tag, j->external_id)
                 : l->wk.verify(l->wk.ctx, j->ls->wid, j->tag, j->external_id, j->print,
                                j->print_len, j->min_speech >= 0 ? &own : NULL);
    if (rc != 0) {
        l->st.worker_refused++;
        return false;
    }
    j->worker_busy = true;
    j->posted_ms = now_ms(l);
    j->posted_epoch = j->print_epoch;
    return true;
}

/* The stream ended: the request that sees all of its audio. With one in flight (the
 * single-flight rule), it is owed and posted when that answer comes. */
static void post_final(live_job *j)
{
    /* verify: a stamp check may be in flight (store_busy) beside the final request */
    bool ready = j->kind == LIVE_VERIFY ? j->print != NULL
                                        : !j->store_busy && j->checked && !j->done;
    if (ready && j->worker_busy)
        j->final_owed = true;
    else if (ready)
        post_worker(j);
}

static double expiry_days(const live_job *j) { return j->l->deps.cfg.speaker_expiry_days; }

/* Enrol: the speaker opted out; final, nothing is written (published by the caller). */
static void opted_out(live_job *j)
{
    j->done = true;
    j->status = LIVE_ST_OPTED_OUT;
    j->detail = WHP_ENROLL_OPTED_OUT;
    log_write(LOG_INFO, j->ls ? j->ls->uuid : NULL, ls_session(j->ls), NULL, 0,
              "enrolment refused: the speaker opted out");
}

/* Verify: the voiceprint read from Redis. */
static void on_print(void *arg, store_status st, const store_voiceprint *vp, const char *err)
{
    live_job *j = arg;
    j->store_busy = false;
    if (j->ls) {
        j->speaker = speaker_of(expiry_days(j), st, vp);
        if (j->speaker != SPEAKER_ENROLLED)
            st = STORE_NOT_FOUND; /* opted out, or expired: nothing to score against */
        if (st == STORE_OK && vp->len) {
            free(j->print);
            j->print = malloc(vp->len);
            if (j->print) {
                memcpy(j->print, vp->blob, vp->len);
                j->print_len = vp->len;
                snprintf(j->stamp, sizeof j->stamp, "%s", vp->stamp ? vp->stamp : "");
            }
        }
        if (j->print) {
            if (!post_worker(j))
                settle(j);
        } else {
            j->status = st == STORE_NOT_FOUND ? LIVE_ST_NO_VOICEPRINT
                        : st == STORE_CRYPTO  ? LIVE_ST_UNUSABLE
                                              : LIVE_ST_UNAVAILABLE;
            j->result = st == STORE_NOT_FOUND ? LIVE_VERDICT_NO_VOICEPRINT : LIVE_VERDICT_NOT_SURE;
            j->score = 0;
            if (st != STORE_NOT_FOUND)
                log_write(LOG_WARN, j->ls->uuid, ls_session(j->ls), NULL, 0,
                          "verify: cannot read the voiceprint: %s", err ? err : "error");
            publish(j);
        }
        if (j->ls->ending)
            close_worker(j->l, j->ls, false);
        answered(j);
    }
    job_unref(j);
}

/* Enrol: does a voiceprint exist already (an expired one is replaced), has the speaker opted
 * out? */
static void on_exists(void *arg, store_status st, const store_speaker *sp, const char *err)
{
    (void)err;
    live_job *j = arg;
    j->store_busy = false;
    if (j->ls) {
        j->checked = true; /* on errors, the skip-existing write decides later */
        if (st == STORE_OK && sp->opted_out) {
            opted_out(j);
            publish(j);
        } else if (st == STORE_OK && sp->enrolled &&
                   speaker_expired(expiry_days(j), sp->last_accessed_ms)) {
            j->replace_expired = true;
            if (!post_worker(j))
                settle(j);
        } else if (st == STORE_OK && sp->enrolled) {
            j->done = true;
            j->status = LIVE_ST_EXISTS;
            j->detail = WHP_ENROLL_EXISTS;
            j->l->st.enrol_exists++;
            publish(j);
        } else if (!post_worker(j)) {
            settle(j);
        }
        if (j->ls->ending)
            close_worker(j->l, j->ls, false);
        answered(j);
    }
    job_unref(j);
}

/* Enrol: Redis acknowledged (or refused) the new voiceprint. */
static void on_written(void *arg, store_status st, const char *err)
{
    live_job *j = arg;
    live *l = j->l;
    j->store_busy = false;
    if (st == STORE_OPTED_OUT) {
        opted_out(j);
    } else if (st == STORE_OK || st == STORE_EXISTS) {
        j->done = true;
        j->status = st == STORE_OK ? LIVE_ST_CREATED : LIVE_ST_EXISTS;
        j->detail = st == STORE_OK ? WHP_ENROLL_CREATED : WHP_ENROLL_EXISTS;
        if (st == STORE_OK)
            j->speech = j->pending_speech;
        st == STORE_OK ? l->st.enrol_created++ : l->st.enrol_exists++;
        if (st == STORE_OK)
            log_write(LOG_INFO, j->ls ? j->ls->uuid : NULL, ls_session(j->ls), NULL, 0,
                      "voiceprint enrolled (%.1f s of net speech)", j->speech);
    } else {
        l->st.enrol_write_failed++;
        j->status = LIVE_ST_UNAVAILABLE;
        log_write(LOG_WARN, j->ls ? j->ls->uuid : NULL, ls_session(j->ls), NULL, 0,
                  "enrol: voiceprint write failed, retrying: %s", err ? err : "error");
    }
    if (j->ls) {
        publish(j);
        answered(j);
    } else if (j->done) { /* released before the ack (shutdown): observers still learn of it */
        live_state s;
        state_of(j, &s);
        notify_state(l, &s);
    }
    job_unref(j);
}

static void start_fetch(live_job *j)
{
    j->store_busy = true;
    j->refs++;
    j->l->store.voiceprint_get(j->l->store.ctx, j->external_id, on_print, j);
}

static void start_check(live_job *j)
{
    j->store_busy = true;
    j->refs++;
    j->l->store.speaker_get(j->l->store.ctx, j->external_id, on_exists, j);
}

/* The cached voiceprint was deleted or replaced: forget it; the next request reads it again
 * (and reports 404 if it is gone). A poll must not reuse the last verdict either. */
static void drop_print(live_job *j)
{
    free(j->print);
    j->print = NULL;
    j->print_len = 0;
    j->stamp[0] = '\0';
    j->print_epoch++;
    j->state_ms = 0;
    j->stale = true;
}

/* A worker answer was scored against a dropped voiceprint, or the stamp check dropped it:
 * ask again with the current one (read first). Nothing to do while a Redis answer is due:
 * it carries on. */
static void verify_again(live_job *j)
{
    if (j->store_busy)
        return;
    if (!j->print)
        start_fetch(j);
    else if (!post_worker(j))
        settle(j);
}

/* Verify: the stamp of the voiceprint in Redis, checked beside each verification. */
static void on_stamp(void *arg, store_status st, const char *stamp, const char *err)
{
    (void)err;
    live_job *j = arg;
    j->store_busy = false;
    if (j->ls) {
        /* Redis unreachable: keep verifying against the cached copy. */
        bool changed = st == STORE_NOT_FOUND || (st == STORE_OK && strcmp(stamp, j->stamp) != 0);
        if (changed && j->print) {
            log_write(LOG_INFO, j->ls->uuid, ls_session(j->ls), NULL, 0,
                      "verify: the voiceprint was %s; reading it again",
                      st == STORE_NOT_FOUND ? "deleted" : "replaced");
            drop_print(j);
        }
        if (!j->worker_busy) {
            if (changed)
                verify_again(j);
            else
                settle(j);
        }
        answered(j);
    }
    job_unref(j);
}

static void start_stamp(live_job *j)
{
    j->store_busy = true;
    j->refs++;
    j->l->store.voiceprint_stamp(j->l->store.ctx, j->external_id, on_stamp, j);
}

/* Start the job's next piece of work. True when an answer will publish or settle the job. */
static bool refresh(live_job *j)
{
    if (j->kind == LIVE_VERIFY && j->print) {
        /* The stamp read goes beside the verification, not before it: a verdict is not
         * delayed by Redis, and a change seen by the stamp discards the answer in flight. */
        if (!j->store_busy)
            start_stamp(j);
        return post_worker(j) || j->store_busy;
    }
    if (j->worker_busy || j->store_busy)
        return true;
    if (j->kind == LIVE_VERIFY) {
        start_fetch(j);
        return true;
    }
    if (j->done)
        return false;
    if (!j->checked) {
        start_check(j);
        return true;
    }
    return post_worker(j);
}

static live_job *job_new(live *l, live_stream *ls, live_kind k, const char *external_id,
                         live_origin o)
{
    live_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->l = l;
    j->ls = ls;
    j->refs = 1;
    j->tag = ++l->next_tag;
    j->kind = k;
    j->origin = o;
    snprintf(j->external_id, sizeof j->external_id, "%s", external_id);
    j->status = LIVE_ST_PENDING;
    j->detail = WHP_ENROLL_NOT_ENOUGH_SPEECH;
    j->result = LIVE_VERDICT_NOT_ENOUGH_SPEECH;
    j->verdict = BIO_INSUFFICIENT_SPEECH;
    j->min_speech = -1;
    j->next = ls->jobs;
    ls->jobs = j;
    ls->n_jobs++;
    tag_add(l, j);
    l->st.jobs_started++;
    l->st.jobs_active++;
    snprintf(j->uuid, sizeof j->uuid, "%s", ls->uuid);
    log_write(LOG_INFO, ls->uuid, ls_session(ls), NULL, 0, "%s job started (%s)", live_kind_name(k),
              live_origin_name(o));
    refresh(j); /* read the voiceprint / check existence now, not at the next tick */
    return j;
}

/* The stream ended: answer polls, detach (Redis callbacks may still hold a reference). */
static void job_release(live *l, live_job *j)
{
    j->due = false;
    answer_waiters(j);
    tag_del(l, j);
    j->ls = NULL;
    l->st.jobs_active--;
    job_unref(j);
}

static live_err ensure(live *l, stream *s, live_kind k, const char *external_id, live_origin o,
                       live_job **out)
{
    *out = NULL;
    if (!l->deps.workers)
        return LIVE_UNAVAILABLE;
    if (!live_external_id_ok(external_id))
        return LIVE_INVALID;
    live_stream *ls = ls_of(l, s);
    if (!ls)
        return LIVE_UNAVAILABLE;
    live_job *j = job_find(ls, k, external_id);
    if (!j) {
        if (ls->n_jobs >= LIVE_JOBS_PER_STREAM)
            return LIVE_TOO_MANY_JOBS;
        if (!(j = job_new(l, ls, k, external_id, o)))
            return LIVE_NOMEM;
    }
    *out = j;
    return LIVE_OK;
}

live_err live_job_start(live *l, stream *s, live_kind k, const char *external_id, live_origin o)
{
    live_job *j;
    return ensure(l, s, k, external_id, o, &j);
}

live_err live_job_min_speech(live *l, stream *s, const char *external_id, live_origin o,
                             double seconds)
{
    if (!(seconds >= LIVE_MIN_SPEECH_LO && seconds <= LIVE_MIN_SPEECH_HI))
        return LIVE_INVALID;
    live_job *j;
    live_err e = ensure(l, s, LIVE_VERIFY, external_id, o, &j);
    if (e == LIVE_OK && j->min_speech != seconds) {
        j->min_speech = seconds;
        j->state_ms = 0; /* the published answer was judged against the old minimum */
    }
    return e;
}

live_err live_poll(live *l, stream *s, live_kind k, const char *external_id, live_state_cb cb,
                   void *arg)
{
    live_job *j;
    live_err e = ensure(l, s, k, external_id, LIVE_BY_API, &j);
    if (e != LIVE_OK)
        return e;
    l->st.polls++;
    bool busy = j->worker_busy || j->store_busy;
    bool fresh = j->state_ms && now_ms(l) - j->state_ms < LIVE_POLL_FRESH_MS;
    bool wait = busy || (!fresh && !(k == LIVE_ENROLL && j->done) && refresh(j));
    if (busy || fresh)
        l->st.polls_coalesced++;
    live_waiter *w = wait && j->n_waiters < LIVE_WAITERS_MAX ? malloc(sizeof *w) : NULL;
    if (!w) {
        live_state st;
        state_of(j, &st);
        cb(&st, arg);
        return LIVE_OK;
    }
    *w = (live_waiter){.next = j->waiters, .cb = cb, .arg = arg, .since_ms = now_ms(l)};
    j->waiters = w;
    j->n_waiters++;
    return LIVE_OK;
}

/* ---------- worker answers ---------- */

/* The countermeasure's result on the answer's audio. */
static void spoof_of(live_job *j, const workers_result *r)
{
    j->spoof_scored = r->spoof_scored;
    j->spoof = r->spoof.result;
    j->spoof_score = r->spoof.score;
}

static void verify_answer(live_job *j, const workers_result *r)
{
    if (j->posted_epoch != j->print_epoch) { /* scored against a voiceprint that is gone */
        verify_again(j);
        return;
    }
    spoof_of(j, r);
    if (r->status == BIO_OK) {
        const bio_result *v = &r->verify;
        j->verdict = v->verdict;
        j->score = v->verdict == BIO_INSUFFICIENT_SPEECH ? 0 : v->score;
        j->status = v->verdict == BIO_INSUFFICIENT_SPEECH ? LIVE_ST_PENDING : LIVE_ST_VERDICT;
        j->result = v->verdict == BIO_VERIFIED       ? LIVE_VERDICT_VERIFIED
                    : v->verdict == BIO_NOT_SURE     ? LIVE_VERDICT_NOT_SURE
                    : v->verdict == BIO_NOT_VERIFIED ? LIVE_VERDICT_NOT_VERIFIED
                                                     : LIVE_VERDICT_NOT_ENOUGH_SPEECH;
        bool spoofed = j->spoof_scored && j->spoof == BIO_SPOOF_SPOOF;
        if (spoofed && j->l->deps.cfg.spoof_reject && v->verdict != BIO_INSUFFICIENT_SPEECH) {
            j->verdict = BIO_NOT_VERIFIED; /* a spoofed call is never verified */
            j->result = LIVE_VERDICT_NOT_VERIFIED;
        }
    } else {
        bool unusable = r->status == BIO_ERR_FORMAT || r->status == BIO_ERR_MODEL ||
                        r->status == BIO_ERR_VERSION;
        j->status = unusable ? LIVE_ST_UNUSABLE : LIVE_ST_ERROR;
        j->result = LIVE_VERDICT_NOT_SURE;
        j->verdict = BIO_NOT_SURE;
        j->score = 0;
        log_write(LOG_WARN, j->ls->uuid, ls_session(j->ls), NULL, 0, "verify failed: %s",
                  bio_strerror(r->status));
    }
    j->speech = r->speech_seconds;
    publish(j);
}

static void enrol_answer(live_job *j, const workers_result *r)
{
    if (j->done) { /* an answer posted before the job finished */
        settle(j);
        return;
    }
    spoof_of(j, r);
    if (r->status == BIO_OK && r->voiceprint_len && j->spoof_scored && j->spoof == BIO_SPOOF_SPOOF) {
        /* synthetic or replayed speech never becomes a voiceprint: refused for good */
        j->done = true;
        j->status = LIVE_ST_SPOOFED;
        j->detail = WHP_ENROLL_SPOOFED;
        j->speech = r->speech_seconds;
        j->l->st.enrol_spoofed++;
        log_write(LOG_WARN, j->ls->uuid, ls_session(j->ls), NULL, 0,
                  "enrolment refused: audio judged spoofed (spoof score %.1f)", j->spoof_score);
        publish(j);
        return;
    }
    if (r->status == BIO_OK && r->voiceprint_len) {
        store_voiceprint vp = {
            .external_id = j->external_id,
            .blob = r->voiceprint,
            .len = r->voiceprint_len,
            .stream_uuid = j->ls->uuid,
            .speech_s = r->speech_seconds,
        };
        j->pending_speech = r->speech_seconds;
        j->store_busy = true;
        j->refs++;
        /* "created" is published from on_written, after Redis acknowledged the write. */
        live_store_ops *so = &j->l->store;
        so->voiceprint_put(so->ctx, &vp,
                           j->replace_expired ? STORE_PUT_OVERWRITE : STORE_PUT_SKIP_EXISTING,
                           on_written, j);
        return;
    }
    j->speech = r->speech_seconds;
    j->detail = WHP_ENROLL_NOT_ENOUGH_SPEECH;
    j->status = r->status == BIO_ERR_SPEECH ? LIVE_ST_PENDING : LIVE_ST_ERROR;
    if (r->status != BIO_ERR_SPEECH)
        log_write(LOG_WARN, j->ls->uuid, ls_session(j->ls), NULL, 0, "enrol failed: %s",
                  bio_strerror(r->status));
    publish(j);
}

void live_worker_result(live *l, const workers_result *r)
{
    live_job *j = tag_find(l, r->tag);
    if (!j || r->unknown_stream || !j->ls)
        return;
    j->worker_busy = false;
    double secs = (double)(now_ms(l) - j->posted_ms) / 1000.0;
    l->st.results++;
    l->st.result_seconds_sum += secs;
    if (secs > l->st.result_seconds_max)
        l->st.result_seconds_max = secs;
    if (j->kind == LIVE_ENROLL)
        enrol_answer(j, r);
    else
        verify_answer(j, r);
    if (j->ls->ending && j->final_owed) {
        j->final_owed = false;
        post_final(j);
        close_worker(l, j->ls, false);
    }
    answered(j); /* last: may free j */
}

/* ---------- the tick ---------- */

static void tick_job(live *l, live_job *j)
{
    if (j->due) { /* last tick's answer has not come: send what we have */
        j->due = false;
        send_job(j);
    }
    const live_waiter *oldest = j->waiters;
    while (oldest && oldest->next)
        oldest = oldest->next;
    if (oldest && now_ms(l) - oldest->since_ms >= LIVE_WAIT_MAX_MS)
        answer_waiters(j); /* no answer for that long: tell every poll what we know */
    if (refresh(j))
        j->due = true;
    else
        send_job(j);
}

static void on_tick(uv_timer_t *t);

static void reap_ending(live *l)
{
    uint64_t now = now_ms(l);
    for (live_stream *ls = l->ending, *next; ls; ls = next) {
        next = ls->next;
        if (now - ls->ended_ms >= LIVE_WAIT_MAX_MS) /* a final answer was lost: give up */
            finish(l, ls);
    }
}

/* Wake at the next slot boundary (a repeating timer would drift by each wake-up's lateness). */
static void tick_arm(live *l)
{
    uv_timer_start(&l->tick, on_tick, l->slot_ms - now_ms(l) % l->slot_ms, 0);
}

/* One slot of the interval: its streams' jobs; slot 0 also checks the ended streams. */
static void visit_slot(unsigned phase, void *arg)
{
    live *l = arg;
    if (phase == 0) {
        l->st.ticks++;
        reap_ending(l);
    }
    for (live_stream *ls = l->streams[phase]; ls; ls = ls->next)
        for (live_job *j = ls->jobs; j; j = j->next)
            tick_job(l, j);
}

/* Visit the slots that came due since the last visit (normally one; at most a whole
 * interval's worth after a stalled loop, each slot once). */
static void on_tick(uv_timer_t *t)
{
    live *l = t->data;
    tick_arm(l);
    slots_run(&l->slot, now_ms(l) / l->slot_ms, l->n_phases, visit_slot, l);
}

/* The slots of an interval: at most `slots` (config verify_slots), as many as divide it
 * exactly, so each slot recurs exactly once per interval. The jobs of one slot reach a
 * worker at once, where they run as one engine batch (workers.c): fewer slots make bigger
 * batches, cheaper per verification, and longer bursts of scoring in front of the next audio
 * (docs/performance.md, findings 6 and 11). */
static void tick_start(live *l, uint64_t interval_ms, unsigned slots)
{
    unsigned n = slots < 1 ? 1 : slots > LIVE_SLOTS_MAX ? LIVE_SLOTS_MAX : slots;
    while (interval_ms % n)
        n--;
    l->n_phases = n;
    l->slot_ms = interval_ms / n;
    l->slot = now_ms(l) / l->slot_ms;
    uv_timer_init(l->loop, &l->tick);
    l->tick.data = l;
    tick_arm(l);
    l->tick_started = true;
}

/* ---------- the audio sink ---------- */

static void stream_event(live *l, const stream *s, bool added, int status)
{
    for (size_t i = 0; i < l->n_obs; i++)
        if (l->obs[i].ops.on_stream)
            l->obs[i].ops.on_stream(s, added, status, l->obs[i].arg);
}

static int sink_start(void *ud, stream *s, void **state)
{
    live *l = ud;
    live_stream *ls = calloc(1, sizeof *ls);
    if (!ls)
        return -1;
    if (l->deps.workers && !(ls->wid = l->wk.open(l->wk.ctx))) {
        free(ls);
        return -1; /* the pool is closing */
    }
    ls->s = s;
    snprintf(ls->uuid, sizeof ls->uuid, "%s", s->uuid);
    ls->phase = (unsigned)(l->slot % l->n_phases); /* next visited one interval from now */
    list_push(&l->streams[ls->phase], ls);
    l->n_streams++;
    *state = ls;
    stream_event(l, s, true, 201);
    live_zero_start(l, &l->deps, s);
    return 0;
}

static void sink_audio(void *ud, stream *s, void *state, const int16_t *pcm, size_t n,
                       uint64_t ts_ms)
{
    (void)s;
    (void)ts_ms;
    live *l = ud;
    live_stream *ls = state;
    if (ls->wid)
        l->wk.audio(l->wk.ctx, ls->wid, pcm, n); /* a full queue drops and counts */
}

static int removed_status(stream_end_reason why)
{
    switch (why) {
    case STREAM_END_STOP:
    case STREAM_END_CLOSED:
        return 204;
    case STREAM_END_TIMEOUT:
        return 408;
    default:
        return 503;
    }
}

/* A job whose final worker request is still to be posted: it waits for a Redis answer (the
 * voiceprint being read, or the enrolment's existence check: a call shorter than that read),
 * or for the answer to a request posted before the stream ended, which saw only part of the
 * audio. */
static bool final_pending(const live_job *j)
{
    return j->final_owed ||
           (j->store_busy && (j->kind == LIVE_VERIFY ? !j->print : !j->checked));
}

/* Close an ended stream's worker stream once no job still needs it for its final request
 * (the close is queued behind those requests, so they see all of the audio). */
static void close_worker(live *l, live_stream *ls, bool force)
{
    if (!ls->wid)
        return;
    for (const live_job *j = ls->jobs; j && !force; j = j->next)
        if (final_pending(j))
            return;
    l->wk.close(l->wk.ctx, ls->wid);
    ls->wid = 0;
}

/* Release an ended stream: its subscriptions, jobs (Redis callbacks may still hold them) and
 * memory. */
static void finish(live *l, live_stream *ls)
{
    subs_remove_channel_jobs(l->subs, ls->uuid);
    close_worker(l, ls, true);
    while (ls->jobs) {
        live_job *j = ls->jobs;
        ls->jobs = j->next;
        job_release(l, j);
    }
    list_del(&l->ending, ls);
    free(ls);
}

static void maybe_finish(live *l, live_stream *ls)
{
    for (live_job *j = ls->jobs; j; j = j->next)
        if (j->worker_busy || j->store_busy)
            return;
    finish(l, ls);
}


/* The stream ended: post each job's final request (unless one is in flight), close the worker
 * stream behind them (after the Redis reads that final requests wait for), and wait for the
 * answers on the `ending` list. */
static void sink_stop(void *ud, stream *s, void *state, stream_end_reason why)
{
    live *l = ud;
    live_stream *ls = state;
    stream_event(l, s, false, removed_status(why));
    list_del(&l->streams[ls->phase], ls);
    l->n_streams--;
    s->sink_state[l->sink_index] = NULL;
    ls->s = NULL;
    for (live_job *j = ls->jobs; j; j = j->next) {
        if (!l->closing)
            post_final(j);
        j->due = j->worker_busy || j->store_busy; /* the final answer goes to subscribers */
    }
    ls->ending = true;
    close_worker(l, ls, l->closing);
    ls->ended_ms = now_ms(l);
    list_push(&l->ending, ls);
    maybe_finish(l, ls);
}

/* An ended stream of this uuid still waits for final answers: they are routed by uuid
 * (subscriptions, sessions), so a new stream taking the uuid now would receive them and lose
 * its subscriptions when the old one is released. The registry refuses it (409). */
static bool sink_uuid_busy(void *ud, const char *uuid)
{
    const live *l = ud;
    for (const live_stream *ls = l->ending; ls; ls = ls->next)
        if (strcmp(ls->uuid, uuid) == 0)
            return true;
    return false;
}

/* ---------- lifecycle, observers, stats ---------- */

live *live_new(uv_loop_t *loop, const live_deps *deps)
{
    live *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->loop = loop;
    l->deps = *deps;
    if (deps->workers) {
        l->wk = *deps->workers;
        l->deps.workers = &l->wk;
    }
    l->store = *deps->store;
    l->deps.store = &l->store;
    l->sink_index = -1;
    l->subs = subs_new(deps->cfg.max_subscriptions);
    l->sink = (audio_sink){.name = "live", .ud = l, .on_start = sink_start,
                           .on_audio = sink_audio, .on_stop = sink_stop,
                           .uuid_busy = sink_uuid_busy};
    if (!l->subs || (l->sink_index = registry_add_sink(deps->reg, &l->sink)) < 0) {
        subs_free(l->subs);
        free(l);
        return NULL;
    }
    tick_start(l, deps->cfg.verify_interval_ms, deps->cfg.verify_slots);
    return l;
}

void live_close(live *l)
{
    if (!l)
        return;
    l->closing = true; /* the workers close next: final answers would never come */
    while (l->ending)
        finish(l, l->ending);
    if (!l->tick_started)
        return;
    l->tick_started = false;
    uv_timer_stop(&l->tick);
    uv_close((uv_handle_t *)&l->tick, NULL);
}

void live_free(live *l)
{
    if (!l)
        return;
    /* Streams end before this (server_close); anything left only has memory to release. */
    l->closing = true;
    for (unsigned p = 0; p < l->n_phases; p++)
        while (l->streams[p]) {
            live_stream *ls = l->streams[p];
            list_del(&l->streams[p], ls);
            ls->s->sink_state[l->sink_index] = NULL;
            list_push(&l->ending, ls);
        }
    while (l->ending)
        finish(l, l->ending);
    subs_free(l->subs);
    free(l);
}

/* Drop the cached copies of external_id's voiceprint, on live and ended streams alike. */
static void drop_prints_in(live_stream *ls, const char *external_id)
{
    for (; ls; ls = ls->next)
        for (live_job *j = ls->jobs; j; j = j->next)
            if (j->kind == LIVE_VERIFY && j->print && strcmp(j->external_id, external_id) == 0)
                drop_print(j);
}

void live_voiceprint_changed(live *l, const char *external_id)
{
    if (!l || !external_id)
        return;
    for (unsigned p = 0; p < l->n_phases; p++)
        drop_prints_in(l->streams[p], external_id);
    drop_prints_in(l->ending, external_id);
}

size_t live_pending(const live *l)
{
    size_t n = 0;
    for (const live_stream *ls = l ? l->ending : NULL; ls; ls = ls->next)
        n++;
    return n;
}

bool live_available(const live *l) { return l && l->deps.workers; }
subs *live_subs(live *l) { return l->subs; }

int live_observe(live *l, const live_observer_ops *ops, void *arg)
{
    if (!l || !ops || l->n_obs >= LIVE_OBSERVERS_MAX)
        return -1;
    l->obs[l->n_obs++] = (live_observer){*ops, arg};
    return 0;
}

int live_on_verdict(live *l, live_state_cb cb, void *arg)
{
    return cb ? live_observe(l, &(live_observer_ops){.on_state = cb}, arg) : -1;
}

uint64_t live_stream_worker(const live *l, const stream *s)
{
    const live_stream *ls = l && s ? ls_of(l, s) : NULL;
    return ls && !ls->ending ? ls->wid : 0;
}

int live_on_decorate(live *l, live_decorate_cb cb, void *arg)
{
    if (!l || !cb || l->n_deco >= LIVE_OBSERVERS_MAX)
        return -1;
    l->deco[l->n_deco].cb = cb;
    l->deco[l->n_deco++].arg = arg;
    return 0;
}

void live_decorate(live *l, const live_state *st, cJSON *o)
{
    for (size_t i = 0; l && o && i < l->n_deco; i++)
        l->deco[i].cb(st, o, l->deco[i].arg);
}

void live_get_stats(const live *l, live_stats *out)
{
    *out = l->st;
    out->streams = l->n_streams;
    out->subscriptions = subs_count(l->subs);
}

static size_t job_subscribers(live *l, const live_job *j)
{
    size_t n = 0;
    sub_type type = j->kind == LIVE_ENROLL ? SUB_ENROLL : SUB_VERIFY;
    for (sub *s = subs_channel_first(l->subs, j->ls->uuid); s; s = subs_channel_next(s))
        n += s->type == type && strcmp(s->external_id, j->external_id) == 0;
    return n;
}

cJSON *live_stream_json(live *l, const stream *s)
{
    live_stream *ls = l ? ls_of(l, s) : NULL;
    if (!ls)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON *jobs = cJSON_AddArrayToObject(o, "jobs");
    for (live_job *j = ls->jobs; jobs && j; j = j->next) {
        cJSON *x = cJSON_CreateObject();
        if (!x)
            break;
        cJSON_AddStringToObject(x, "type", live_kind_name(j->kind));
        cJSON_AddStringToObject(x, "external_id", j->external_id);
        cJSON_AddStringToObject(x, "origin", live_origin_name(j->origin));
        cJSON_AddNumberToObject(x, "status", j->status);
        if (j->kind == LIVE_ENROLL) {
            cJSON_AddStringToObject(x, "detail", whp_enroll_detail_text(j->detail));
        } else {
            cJSON_AddStringToObject(x, "result", live_verdict_rest(j->result));
            cJSON_AddNumberToObject(x, "score", j->score);
        }
        cJSON_AddNumberToObject(x, "speech_length", j->speech);
        if (j->spoof_scored) {
            cJSON_AddNumberToObject(x, "spoof_score", j->spoof_score);
            cJSON_AddStringToObject(x, "spoof", bio_spoof_verdict_name(j->spoof));
        }
        cJSON_AddNumberToObject(x, "subscribers", (double)job_subscribers(l, j));
        live_state st;
        state_of(j, &st);
        live_decorate(l, &st, x);
        cJSON_AddItemToArray(jobs, x);
    }
    return o;
}
