/* workers.h -- the biometric worker pool: N threads, each stream pinned to one of them.
 *
 * The loop thread opens a stream (workers_open returns its id), pushes its PCM blocks,
 * asks for enrolments and verifications, and closes it. Each call only appends a job to
 * the queue of the stream's worker (chosen by a hash of the id, so a stream's audio is
 * processed in order, by one thread, without locks on its engine state). Nothing here
 * blocks the caller: a full queue drops the audio block and counts it.
 *
 * Queue bounds: audio is refused when the worker's queue holds queue_len jobs; enrol and
 * verify requests may use a further `reserve` slots (a burst of audio never starves them);
 * open and close are always accepted -- there is at most one of each per stream, so they are
 * bounded by the number of streams, and a close that could be dropped would leak a stream.
 *
 * Results of enrol/verify come back on the loop thread, through uv_async_send, to
 * on_result; their pointers are valid during the callback only. A worker answers the
 * requests it finds queued together as one batch (one engine embed_batch for all of them,
 * when the engine has it): each request still answers on exactly the audio queued before
 * it, and a stream's results keep their order.
 *
 * The engine is reached through biometrics/engine.h's `bio_engine` table (janus-style), by
 * default the i-vector engine; another engine plugs in without touching the pool.
 */
#ifndef CALLPRINT_WORKERS_H
#define CALLPRINT_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "bio.h"
#include "engine.h"
#include "common/lathist.h"
#include "spoof.h"

typedef struct workers workers;

typedef enum { WORKERS_ENROLL = 0, WORKERS_VERIFY, WORKERS_IDENTIFY } workers_job_kind;

typedef struct {
    workers_job_kind kind;
    uint64_t stream_id;
    uint64_t tag;               /* the caller's request tag, echoed */
    const char *external_id;
    bool unknown_stream;        /* the stream was closed (or never opened) */
    bio_status status;          /* BIO_OK, BIO_ERR_SPEECH (not enough speech yet), ... */
    double speech_seconds;      /* net speech of the stream so far */
    const uint8_t *voiceprint;  /* enrol, BIO_OK: the new voiceprint */
    size_t voiceprint_len;
    bio_result verify;          /* verify, BIO_OK */
    bio_match match;            /* identify, BIO_OK and has_match: the best match */
    bool has_match;
    bool spoof_scored;          /* the pool has a spoofing model: spoof is filled */
    bio_spoof_result spoof;     /* the countermeasure on the same audio (enrol and verify) */
} workers_result;

typedef void (*workers_result_cb)(const workers_result *r, void *arg);

typedef struct {
    int threads;                 /* default: uv_available_parallelism() */
    size_t queue_len;            /* jobs per worker before audio is dropped (default 512) */
    size_t reserve;              /* extra slots for enrol/verify (default 64) */
    const void *model;           /* the engine's loaded model (shared, read-only) */
    const bio_engine *engine;    /* default bio_engine_find(NULL) (i-vector) */
    const bio_spoof_model *spoof_model; /* NULL: no spoofing countermeasure */
    double spoof_threshold;      /* spoof score judged spoofed (<= 0: the model's default) */
    bio_config config;           /* used when a request passes cfg == NULL */
    workers_result_cb on_result;
    void *on_result_arg;
} workers_options;

typedef struct {
    size_t depth, max_depth;  /* jobs waiting now / the most ever waiting */
    size_t streams;           /* streams pinned to this worker */
    uint64_t dropped;         /* audio blocks refused because the queue was full */
    uint64_t refused;         /* enrol/verify refused (queue + reserve full) */
    uint64_t jobs_done;
    uint64_t samples;         /* PCM samples fed to the engine */
    uint64_t wakeups;         /* times the thread slept on an empty queue and was woken */
} workers_stats;

workers *workers_new(uv_loop_t *loop, const workers_options *opt);

/* Returns the new stream's id (never 0), or 0 when the pool is closing / out of memory. */
uint64_t workers_open(workers *w);
/* Copy n samples (8 kHz mono s16) into the stream's queue. 0, or -1 if dropped. */
int workers_audio(workers *w, uint64_t id, const int16_t *pcm, size_t n);
/* Enrol / verify on everything fed so far. cfg NULL = options.config. external_id is
 * echoed in the result (max 256 chars). 0, or -1 if refused (queue full, bad arguments). */
int workers_enroll(workers *w, uint64_t id, uint64_t tag, const char *external_id,
                   const bio_config *cfg);
int workers_verify(workers *w, uint64_t id, uint64_t tag, const char *external_id,
                   const uint8_t *voiceprint, size_t len, const bio_config *cfg);
/* 1:N: the best match of everything fed so far in `gallery` (the engine's, built with its
 * gallery_new/gallery_add; it must stay alive and unchanged until the result arrives).
 * -1 when refused or when the engine has no identify. */
int workers_identify(workers *w, uint64_t id, uint64_t tag, const char *external_id,
                     const void *gallery, const bio_config *cfg);
/* Release the stream's engine state (after the jobs queued before it). Never refused. */
void workers_close_stream(workers *w, uint64_t id);

int workers_count(const workers *w);
void workers_get_stats(workers *w, int worker, workers_stats *out);

/* Latency histograms (lathist.h, microseconds) added into media / request (either may be
 * NULL; initialise them first). media: from workers_audio handing a block over to its worker
 * starting it (all workers). request: from workers_enroll/workers_verify to the result
 * reaching the loop thread (queueing + engine time). Loop thread; safe while workers run. */
void workers_get_latency(workers *w, lathist *media, lathist *request);

/* Stop the threads (queued jobs are discarded, undelivered results dropped), join them,
 * free every stream; closed(arg) runs once the pool's handles are closed. */
void workers_close(workers *w, void (*closed)(void *arg), void *arg);

#endif
