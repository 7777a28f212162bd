/* live.h -- live enrolment and verification on streams.
 *
 * The controller joins the stream endpoint, the worker pool and the voiceprint store. It is an
 * audio sink (audio_sink.h) registered on the registry: every accepted stream gets a worker
 * stream (workers.h) fed with its PCM, and may carry jobs. It receives what it uses as a
 * live_deps (below): the registry, the worker pool and the store as small tables of functions
 * with a context, and the settings it reads -- so it runs against fakes in its unit tests, and
 * knows nothing of the app. What it produces goes to observers (below), webhooks included.
 *
 * Jobs. A job is (stream, kind, external_id): enrol the caller as external_id, or verify the
 * caller against external_id's voiceprint. Jobs are started by the REST API (api_live.c), by
 * an enroll/verify subscription (subs.h), or by zero-integration mode (Twilio <Parameter>s
 * external_id, mode and webhook at start; live_zero.c). A job lives until its stream ends;
 * at most LIVE_JOBS_PER_STREAM per stream. Each job keeps its latest state, which is what
 * polling and webhooks report:
 *   - verify: the voiceprint is read from Redis once when the job starts and cached in the
 *     job (re-read on each tick only while it is missing or unreadable); every tick posts a
 *     verification of everything heard so far to the stream's worker and, beside it, reads
 *     the voiceprint's stamp (store_voiceprint_stamp): when it was deleted or replaced -- by
 *     the REST API of this or another process -- the cached copy is dropped, the answer in
 *     flight discarded, and the voiceprint read again (404 once deleted). In this process the
 *     API also drops the copies at once (live_voiceprint_changed).
 *   - enrol: an existence check at start (an existing voiceprint answers "already exists" at
 *     once); then every tick asks the worker for a voiceprint; once there is enough net
 *     speech the blob is written with STORE_PUT_SKIP_EXISTING and "created" is reported only
 *     from Redis's acknowledgement (STORE_EXISTS: "already exists"). The job then stays done.
 * A job has at most one worker request and one Redis operation in flight: REST polls that
 * arrive meanwhile wait for that answer (coalesced), and a poll within LIVE_POLL_FRESH_MS of
 * the last answer gets it at once, so a polling storm costs at most a few worker jobs per
 * second per job whatever its rate.
 *
 * Tick (config verify_interval_ms, 1 s): for each job, one webhook per subscription with the
 * job's state (sent when the tick's worker/Redis answer arrives, or at the next tick if it
 * has not -- so exactly one per tick), then the next request. `streams` subscriptions get
 * "added"/"removed" at stream start and end.
 *
 * Status codes (the numeric "status" of webhook payloads, and live_state.status):
 *   200 a verdict (verified / not verified / not sure)      201 voiceprint created
 *   202 not enough net speech yet (enrol and verify)        404 voiceprint does not exist
 *   409 a voiceprint with this external_id already exists
 *   410 enrolment refused: the speaker opted out (final; store_speaker.h)
 *   Verify against an opted-out or expired speaker (speaker.h) answers 404 like a missing
 *   voiceprint, with live_state.speaker saying which (Voice ID's SPEAKER_OPTED_OUT,
 *   SPEAKER_EXPIRED); an expired speaker's voiceprint is kept but never scored, and an
 *   enrolment replaces it.
 *   403 enrolment refused: the audio was judged spoofed (synthetic or replayed speech); final
 *       (no voiceprint is written for this stream and external_id)
 *   422 the stored voiceprint cannot be used (other model, corrupt, wrong encryption key):
 *       result "not sure", score 0
 *   500 engine error                                        503 Redis unavailable or the
 *       voiceprint write failed (retried next tick); verify result "not sure", score 0
 *   streams events: added 201; removed 204 (stop, hang-up), 408 (inactivity), 503 (shutdown
 *   or forced off).
 *
 * Spoofing countermeasure (the pool's spoofing model): every worker answer carries its result
 * on the same audio (spoof, spoof_score in the state and the webhook payloads). An enrolment
 * judged spoofed is refused (403) instead of written; a verification judged spoofed is "not
 * verified" when spoof_policy is reject (the default), and keeps its verdict with spoof
 * reported when it is flag.
 *
 * Stream end (stop, hang-up, inactivity): the stream is gone for the REST API at once (404)
 * and `streams` subscribers get "removed"; each job gets one final answer over all the audio
 * (the in-flight one, or a last request posted before the worker stream is closed; an enrolment
 * with enough speech is written and acknowledged), published to observers and sent once more to
 * its subscribers. Then -- at most LIVE_WAIT_MAX_MS later -- everything is released: jobs,
 * cached voiceprints, the worker's engine state, the stream's enroll/verify subscriptions. A
 * graceful shutdown waits for them (live_pending(), bounded by the grace period); live_close
 * gives up whatever is still pending.
 *
 * Observers: other modules (sessions: verdict history, org-API forwarding; metrics; the
 * webhook sender, live_webhooks.h) register with live_observe() (live_on_verdict() for the
 * states alone) and see, on the loop thread, in order: every state a job publishes (each
 * worker answer, each enrol outcome, a missing voiceprint), each job's report of the tick
 * (what subscribers are sent), and the streams starting and ending.
 *
 * Loop thread only. Without a model (no worker pool in live_deps) streams are still accepted
 * and `streams` webhooks still work; jobs are refused with LIVE_UNAVAILABLE.
 */
#ifndef CALLPRINT_LIVE_H
#define CALLPRINT_LIVE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "streams/registry.h"
#include "streams/stream.h"
#include "live/subs.h"
#include "webhook_payload.h"
#include "fraud/speaker.h"
#include "live/workers.h"
#include "store/store.h"
#include "store/store_speaker.h"

typedef struct live live;

#define LIVE_JOBS_PER_STREAM 32
#define LIVE_OBSERVERS_MAX 8
#define LIVE_POLL_FRESH_MS 250 /* a poll this soon after an answer reuses it */
#define LIVE_WAIT_MAX_MS 5000  /* a poll waiting longer is answered with the current state */
#define LIVE_WAITERS_MAX 64    /* polls waiting on one job; more are answered at once */

/* Status codes: see the header comment. */
#define LIVE_ST_VERDICT 200
#define LIVE_ST_CREATED 201
#define LIVE_ST_PENDING 202
#define LIVE_ST_SPOOFED 403
#define LIVE_ST_NO_VOICEPRINT 404
#define LIVE_ST_EXISTS 409
#define LIVE_ST_OPTED_OUT 410
#define LIVE_ST_UNUSABLE 422
#define LIVE_ST_ERROR 500
#define LIVE_ST_UNAVAILABLE 503

typedef enum { LIVE_ENROLL = 0, LIVE_VERIFY } live_kind;

/* A verify job's result: the engine's verdict (bio_verdict), or why there is none yet. Live's
 * own type; each external contract spells it in one table of its own -- live_verdict_name
 * (the /metrics label and the console), live_verdict_rest (the REST answers' "result"), and the
 * webhook payloads (live_verdict_webhook: protocol/'s wire names, which the REST answers'
 * "detail" also uses). */
typedef enum {
    LIVE_VERDICT_NOT_ENOUGH_SPEECH = 0,
    LIVE_VERDICT_NO_VOICEPRINT,
    LIVE_VERDICT_VERIFIED,
    LIVE_VERDICT_NOT_VERIFIED,
    LIVE_VERDICT_NOT_SURE,
} live_verdict;
#define LIVE_VERDICTS (LIVE_VERDICT_NOT_SURE + 1)
typedef enum { LIVE_BY_API = 0, LIVE_BY_SUBSCRIPTION, LIVE_BY_ZERO } live_origin;

/* A job's state as published (valid during the callback). `stream` is NULL for the final
 * answers that arrive after the stream ended (see "Stream end"); stream_uuid is always set. */
typedef struct {
    live_kind kind;
    live_origin origin;           /* who started the job */
    const struct stream *stream;
    const char *stream_uuid;
    const char *external_id;
    int status;                   /* LIVE_ST_* */
    whp_enroll_detail detail;     /* enrol */
    live_verdict result;          /* verify */
    bio_verdict verdict;          /* verify: the engine's verdict (status 200) */
    double score;                 /* verify: 0-100 (0 unless status 200) */
    double speech_seconds;        /* net speech (enrol: in the voiceprint once created) */
    bool spoof_scored;            /* the countermeasure ran (a model is configured) */
    bio_spoof_verdict spoof;      /* its result on the same audio */
    double spoof_score;           /* 0-100, higher = more likely spoofed */
    speaker_status speaker;       /* verify 404: why there is no usable voiceprint */
} live_state;

typedef void (*live_state_cb)(const live_state *st, void *arg);

typedef enum {
    LIVE_OK = 0,
    LIVE_UNAVAILABLE,   /* no model / workers: biometrics unavailable */
    LIVE_TOO_MANY_JOBS, /* LIVE_JOBS_PER_STREAM reached on this stream */
    LIVE_INVALID,       /* external_id empty, too long or with control characters */
    LIVE_NOMEM,
} live_err;

/* ---- dependencies (built by app_live.c from the real pool and store; fakes in tests) ---- */

/* The worker pool operations live uses; each has the meaning of its workers.h namesake, on
 * the pool behind ctx. */
typedef struct {
    void *ctx;
    uint64_t (*open)(void *ctx); /* a new worker stream id; 0 when the pool is closing */
    int (*audio)(void *ctx, uint64_t wid, const int16_t *pcm, size_t n);
    int (*enroll)(void *ctx, uint64_t wid, uint64_t tag, const char *external_id);
    /* cfg NULL: the pool's own configuration */
    int (*verify)(void *ctx, uint64_t wid, uint64_t tag, const char *external_id,
                  const uint8_t *voiceprint, size_t len, const bio_config *cfg);
    void (*close)(void *ctx, uint64_t wid);
} live_workers_ops;

/* The store operations live uses (store.h, store_speaker.h). Each callback comes exactly
 * once, later or at once, also when the store fails or closes. */
typedef struct {
    void *ctx;
    void (*voiceprint_get)(void *ctx, const char *external_id, store_voiceprint_cb *cb,
                           void *arg);
    void (*speaker_get)(void *ctx, const char *external_id, store_speaker_cb *cb, void *arg);
    void (*voiceprint_put)(void *ctx, const store_voiceprint *vp, store_put_mode mode,
                           store_done_cb *cb, void *arg);
    void (*voiceprint_stamp)(void *ctx, const char *external_id, store_id_cb *cb, void *arg);
} live_store_ops;

/* The settings live reads (config.h has their meaning). */
typedef struct {
    uint64_t verify_interval_ms;
    unsigned verify_slots;
    size_t max_subscriptions;
    bio_config bio;            /* effective thresholds: a job's min_speech overrides its own */
    bool spoof_reject;         /* spoof_policy = reject */
    double speaker_expiry_days;
    bool allow_unsigned_enroll;
} live_config;

typedef struct {
    uv_loop_t *loop;
    registry *reg;                  /* live registers its audio sink on it */
    const live_workers_ops *workers; /* NULL: no model, jobs are refused */
    const live_store_ops *store;
    live_config cfg;
    /* zero-integration's webhook secret, NULL while unknown (wsecret.h) */
    const char *(*webhook_secret)(void *ctx);
    void *webhook_secret_ctx;
} live_deps;

/* ---- for app.c ---- */

/* Create the controller on loop and register its audio sink on deps->reg. The tables deps
 * points to are copied; their contexts must outlive the controller. NULL on failure. */
live *live_new(uv_loop_t *loop, const live_deps *deps);
/* A worker result, on the loop thread (app.c forwards workers' on_result here). */
void live_worker_result(live *l, const workers_result *r);
/* Ended streams whose final answers (worker verdicts, enrolment writes) are still on their
 * way. A graceful shutdown waits for 0 before closing the workers (app.c), so the last webhook
 * of each call goes out; each stream waits at most LIVE_WAIT_MAX_MS. */
size_t live_pending(const live *l);
/* Stop the tick; streams are ended by the server before this. Final answers still pending are
 * given up (the workers close next). */
void live_close(live *l);
void live_free(live *l);

/* ---- jobs (api_live.c, subscriptions, zero-integration) ---- */

/* True when jobs can run (a model is loaded). */
bool live_available(const live *l);
/* Start the job if it is not running. s must be a live stream of the registry. */
live_err live_job_start(live *l, struct stream *s, live_kind k, const char *external_id,
                        live_origin o);
/* A verify job's own minimum of net speech (seconds), instead of the gateway's
 * min_verify_speech: short answers (a digit string) can be verified sooner, long ones held to
 * more. The engine holds a short test to stricter thresholds (bio.h), so a low minimum gives
 * more not_sure answers, not more wrong ones. */
#define LIVE_MIN_SPEECH_LO 0.5
#define LIVE_MIN_SPEECH_HI 3600.0
/* Start the verify job if needed and set its minimum (LIVE_MIN_SPEECH_LO..HI, else
 * LIVE_INVALID). A changed minimum makes the next poll wait for a new answer. */
live_err live_job_min_speech(live *l, struct stream *s, const char *external_id, live_origin o,
                             double seconds);
/* Start the job if needed and report its state through cb: at once (before returning) when
 * it is known and fresh, else when the in-flight worker/Redis answer arrives (at most
 * LIVE_WAIT_MAX_MS later, or when the stream ends). cb is called exactly once on LIVE_OK
 * and never otherwise. */
live_err live_poll(live *l, struct stream *s, live_kind k, const char *external_id,
                   live_state_cb cb, void *arg);
/* external_id's voiceprint was deleted or replaced (REST API): every job verifying against it
 * drops its cached copy; the next request reads Redis again (404 once it is gone), and an
 * answer already in flight from the worker is discarded. Other processes notice through the
 * voiceprint's stamp, checked beside each verification. */
void live_voiceprint_changed(live *l, const char *external_id);
/* True when external_id is acceptable: 1-256 characters (UTF-8 code points), no control
 * characters. */
#define LIVE_EXTERNAL_ID_CHARS 256
bool live_external_id_ok(const char *external_id);

/* The subscription table (subs.h); the REST API adds and removes, the controller sends. */
subs *live_subs(live *l);

/* ---- observers (sessions, metrics, webhooks) ---- */

/* What an observer is told; any member may be NULL. */
typedef struct {
    /* every state a job publishes */
    live_state_cb on_state;
    /* a job's report to its subscribers: once per interval (when the tick's answer comes, or
     * at the next tick if it has not), and its final answer after the stream ended; never a
     * verdict against a voiceprint since deleted or replaced */
    live_state_cb on_report;
    /* a stream started (added, status 201) or ended (204 stop or hang-up, 408 inactivity,
     * 503 shutdown or forced off) */
    void (*on_stream)(const struct stream *s, bool added, int status, void *arg);
} live_observer_ops;

/* Register an observer (ops is copied). 0, or -1 when full (LIVE_OBSERVERS_MAX). */
int live_observe(live *l, const live_observer_ops *ops, void *arg);
/* Call cb(state, arg) for every state a job publishes. 0, or -1 when full. */
int live_on_verdict(live *l, live_state_cb cb, void *arg);

/* Decorators (fraud screening): cb adds members to the JSON object `o` describing a job's
 * state -- the verify webhook's payload, the REST poll answer, the job in the stream
 * details. 0, or -1 when full (LIVE_OBSERVERS_MAX). */
typedef void (*live_decorate_cb)(const live_state *st, cJSON *o, void *arg);
int live_on_decorate(live *l, live_decorate_cb cb, void *arg);
/* Run every decorator on o (for answers built outside live.c). */
void live_decorate(live *l, const live_state *st, cJSON *o);
/* The stream's worker stream id (workers.h), 0 when it has none; for other requests on the
 * same engine state (fraudster screening). */
uint64_t live_stream_worker(const live *l, const struct stream *s);

typedef struct {
    uint64_t verdicts[LIVE_VERDICTS]; /* verify states published, by result */
    uint64_t enrol_created, enrol_exists;
    uint64_t enrol_spoofed;       /* enrolments refused: audio judged spoofed */
    uint64_t spoof_results[BIO_SPOOF_SPOOF + 1]; /* verify states published, by spoof result */
    uint64_t enrol_write_failed;  /* voiceprint writes Redis refused (retried) */
    uint64_t jobs_started;
    size_t jobs_active, streams, subscriptions;
    uint64_t ticks;
    uint64_t worker_refused;      /* enrol/verify requests a full worker queue refused */
    uint64_t polls, polls_coalesced; /* REST polls; answered from a shared answer */
    uint64_t results;             /* worker answers received */
    double result_seconds_sum, result_seconds_max; /* request -> answer latency */
} live_stats;

void live_get_stats(const live *l, live_stats *out);

/* The stream's jobs for the stream details JSON (H7):
 * {"jobs":[{"type","external_id","origin","status","detail"|"result","score",
 *   "speech_length","subscribers"}]}; NULL when s is not known to the controller. */
cJSON *live_stream_json(live *l, const struct stream *s);

/* Text forms: "enroll"/"verify"; "api"/"subscription"/"zero-integration". */
const char *live_kind_name(live_kind k);
const char *live_origin_name(live_origin o);
/* The verify result's name for the operator's contracts -- the /metrics label and the
 * console -- one spelling, snake_case: "not_enough_speech", "no_voiceprint", "verified",
 * "not_verified", "not_sure" ("unknown" beyond). The REST API (live_verdict_rest) and the
 * webhook payloads (live_verdict_webhook) have their own documented spellings, one table each. */
const char *live_verdict_name(live_verdict v);
/* The result in the REST contract ("result" of the enrol/verify answers and of the stream
 * details' jobs): "verified", "not_sure", "not_verified", "insufficient_speech"; a missing
 * voiceprint (answered 404) in the webhook wording. "not_sure" beyond the range. */
const char *live_verdict_rest(live_verdict v);
/* The result in the webhook contract: its value there (whp_verify_result_text spells it,
 * protocol/webhook_payload.c); also the REST answers' human-readable "detail".
 * WHP_VERIFY_NOT_SURE beyond the range. */
whp_verify_result live_verdict_webhook(live_verdict v);

/* ---- internal: zero-integration mode (live_zero.c), run by the sink at stream start ---- */

/* Read the stream's external_id / mode / webhook parameters; start the job and its implicit
 * subscription (signed with the deployment's webhook secret, none until it is known). Invalid
 * parameters are logged and ignored: a Twilio client must never get an error. */
void live_zero_start(live *l, const live_deps *deps, struct stream *s);

#endif
