/* workers.c -- biometric worker threads fed by per-worker job queues. See workers.h.
 *
 * Hand-over: each worker has a singly linked FIFO of heap jobs under a mutex + condvar. The
 * loop thread only ever try-pushes (the lock is held for a pointer swap by either side, never
 * across engine work); the worker takes the whole list at once and processes it unlocked.
 * `depth` is an atomic counter of jobs pushed and not yet processed, so the bound check and
 * the stats need no lock.
 *
 * Batching: enrol/verify requests are deferred into a batch of up to WK_BATCH, and the batch
 * runs with one engine embed_batch call (when the engine has it: the i-vector engine then
 * reads its ~9 MB of extraction matrices once per batch instead of once per request) followed
 * by the requests in their original order. The live tick queues a slot's verifies together,
 * so they arrive side by side. A request answers on the audio fed before it, so the batch
 * runs before any later audio, open or close of a stream it holds, and when full: per-stream
 * order and results are what they were one job at a time; only requests of other streams
 * move ahead of it. The batch also runs at the end of the taken list: letting it wait up to
 * 20 ms for the next lists' requests while the worker was behind was tried and not kept: it
 * added media-to-worker latency for no CPU saved (docs/performance.md, finding 10).
 *
 * Engine state: a worker keeps its streams in a small chained hash table (id -> engine
 * stream) that only it touches. Results go to one shared list (mutex) and an uv_async_t
 * wakes the loop, which drains the list and calls on_result; uv_async_send coalesces
 * wake-ups, so draining takes everything present.
 *
 * Wake-ups are deferred for audio: a worker asleep on an empty queue is not signalled for
 * each 20 ms block (at a few hundred streams that was a futex wake and two context switches
 * per block, for ~10 us of engine work), but by a loop timer WK_WAKE_MS after the first block
 * it missed, or at once when WK_WAKE_BATCH jobs wait; every other job (open, close, enrol,
 * verify: one per stream or per second) signals at once. A worker that is running picks up whatever
 * was pushed when it next looks at its queue, so no job waits longer than WK_WAKE_MS for a wake-up.
 *
 * Latency: every job carries the uv_hrtime of its push. A worker records, for audio, the
 * time from the push to the moment it starts that block (media-to-worker: the queueing the
 * loop's hand-over adds, in its own single-writer lathist); the loop records, for enrol and
 * verify, the time from the request's push to its result arriving back on the loop.
 *
 * Threads: the pool IS the parallelism, so OpenBLAS is told to use one thread
 * (openblas_set_num_threads(1), process-wide). Left to itself it starts a thread per core and
 * lets each engine call fan out to them; with every worker doing so, those threads spin in
 * sched_yield waiting for work, costing ten times the CPU per verified stream
 * (docs/performance.md, finding 1).
 *
 * Shutdown (workers_close, loop thread): set `stop`, wake and join every thread, then free
 * what is left -- jobs, streams, results -- and close the async handle; the memory goes in
 * its close callback.
 */
#include "live/workers.h"

#include <cblas.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/lathist.h"
#include "common/log.h"

#define WK_BUCKETS 256
#define WK_WAKE_MS 2     /* the longest an audio block waits for its sleeping worker */
#define WK_WAKE_BATCH 32 /* ...or until this many jobs wait */
#define WK_EXTERNAL_ID_MAX 1024 /* bytes: 256 UTF-8 characters */
#define WK_BATCH 16 /* enrol/verify requests run together (the engine's batch) */

typedef enum { JOB_OPEN, JOB_AUDIO, JOB_ENROLL, JOB_VERIFY, JOB_IDENTIFY, JOB_CLOSE } job_type;

/* What only enrol/verify requests carry. Kept out of the job header: audio jobs (50 a second
 * per stream, the whole backlog when a worker lags) are a 56-byte header + 320 bytes. */
typedef struct {
    bio_config cfg;
    const void *gallery; /* identify */
    char external_id[WK_EXTERNAL_ID_MAX + 1];
} wk_req;

typedef struct wk_job {
    struct wk_job *next;
    job_type type;
    uint64_t id, tag;
    uint64_t pushed_ns; /* uv_hrtime at push */
    wk_req *req;        /* enrol/verify: in this allocation, after data; NULL otherwise */
    size_t n;           /* samples (audio) or bytes (verify voiceprint) in data */
    _Alignas(double) uint8_t data[]; /* wk_req holds doubles */
} wk_job;

typedef struct wk_stream {
    struct wk_stream *next;
    uint64_t id;
    void *st;
    bio_spoof_stream *spoof; /* NULL without a spoofing model */
} wk_stream;

typedef struct wk_result {
    struct wk_result *next;
    workers_result r;
    uint64_t pushed_ns; /* of the request */
    char external_id[WK_EXTERNAL_ID_MAX + 1];
    size_t blob_len;
    uint8_t blob[];
} wk_result;

typedef struct {
    workers *pool;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    wk_job *head, *tail;
    bool sleeping; /* in pthread_cond_wait (under lock) */
    atomic_bool stop;
    atomic_size_t depth, max_depth, streams;
    atomic_uint_fast64_t dropped, refused, done, samples, wakeups;
    wk_stream *table[WK_BUCKETS]; /* worker thread only */
    lathist media_lat;            /* written by this worker only */
} worker;

struct workers {
    uv_loop_t *loop;
    workers_options opt;
    int n;
    worker *w;
    uint64_t next_id;
    bool closing;
    uv_async_t async;
    uv_timer_t wake;  /* deferred wake-ups of sleeping workers */
    int handles_open; /* async + wake: p is freed when both are closed */
    pthread_mutex_t res_lock;
    wk_result *res_head, *res_tail;
    lathist request_lat; /* written by the loop thread only */
    void (*closed_cb)(void *);
    void *closed_arg;
};

/* ---------- worker-side stream table ---------- */

static wk_stream **stream_slot(worker *k, uint64_t id)
{
    wk_stream **pp = &k->table[(id * 0x9E3779B97F4A7C15ull) >> 56];
    while (*pp && (*pp)->id != id)
        pp = &(*pp)->next;
    return pp;
}

static void *stream_get(worker *k, uint64_t id)
{
    wk_stream *s = *stream_slot(k, id);
    return s ? s->st : NULL;
}

static bio_spoof_stream *spoof_get(worker *k, uint64_t id)
{
    wk_stream *s = *stream_slot(k, id);
    return s ? s->spoof : NULL;
}

static void stream_open(worker *k, uint64_t id)
{
    const bio_engine *e = k->pool->opt.engine;
    wk_stream **pp = stream_slot(k, id);
    if (*pp)
        return;
    wk_stream *s = malloc(sizeof *s);
    void *st = s ? e->stream_new(k->pool->opt.model) : NULL;
    const bio_spoof_model *sm = k->pool->opt.spoof_model;
    bio_spoof_stream *sp = st && sm ? bio_spoof_stream_new(sm) : NULL;
    if (!st || (sm && !sp)) {
        if (st)
            e->stream_free(st);
        free(s);
        log_error("worker: cannot create engine stream (out of memory)");
        return; /* later jobs see an unknown stream */
    }
    s->id = id;
    s->st = st;
    s->spoof = sp;
    s->next = NULL;
    *pp = s;
    atomic_fetch_add(&k->streams, 1);
}

static void stream_close(worker *k, uint64_t id)
{
    wk_stream **pp = stream_slot(k, id), *s = *pp;
    if (!s)
        return;
    *pp = s->next;
    k->pool->opt.engine->stream_free(s->st);
    bio_spoof_stream_free(s->spoof);
    free(s);
    atomic_fetch_sub(&k->streams, 1);
}

/* ---------- results (worker -> loop) ---------- */

static void result_post(workers *p, wk_result *res)
{
    pthread_mutex_lock(&p->res_lock);
    if (p->res_tail)
        p->res_tail->next = res;
    else
        p->res_head = res;
    p->res_tail = res;
    pthread_mutex_unlock(&p->res_lock);
    uv_async_send(&p->async);
}

static void on_async(uv_async_t *h)
{
    workers *p = h->data;
    pthread_mutex_lock(&p->res_lock);
    wk_result *list = p->res_head;
    p->res_head = p->res_tail = NULL;
    pthread_mutex_unlock(&p->res_lock);
    while (list) {
        wk_result *next = list->next;
        list->r.external_id = list->external_id;
        list->r.voiceprint = list->blob_len ? list->blob : NULL;
        list->r.voiceprint_len = list->blob_len;
        lathist_add(&p->request_lat, (uv_hrtime() - list->pushed_ns) / 1000);
        if (p->opt.on_result && !p->closing)
            p->opt.on_result(&list->r, p->opt.on_result_arg);
        free(list);
        list = next;
    }
}

static void run_request(worker *k, wk_job *j)
{
    const bio_engine *e = k->pool->opt.engine;
    void *st = stream_get(k, j->id);
    size_t cap = j->type == JOB_ENROLL && st ? BIO_VOICEPRINT_MAX : 0;
    wk_result *res = calloc(1, sizeof *res + cap);
    if (!res) {
        log_error("worker: out of memory for a result");
        return;
    }
    workers_result *r = &res->r;
    r->kind = j->type == JOB_ENROLL   ? WORKERS_ENROLL
              : j->type == JOB_VERIFY ? WORKERS_VERIFY
                                      : WORKERS_IDENTIFY;
    r->stream_id = j->id;
    r->tag = j->tag;
    res->pushed_ns = j->pushed_ns;
    memcpy(res->external_id, j->req->external_id, sizeof res->external_id);
    if (!st) {
        r->unknown_stream = true;
        r->status = BIO_ERR_FORMAT;
    } else if (j->type == JOB_ENROLL) {
        r->status = e->enroll(st, &j->req->cfg, res->blob, cap, &res->blob_len);
        if (r->status != BIO_OK)
            res->blob_len = 0;
    } else if (j->type == JOB_VERIFY) {
        r->status = e->verify(st, &j->req->cfg, j->data, j->n, &r->verify);
    } else {
        size_t n = 0;
        r->status = e->identify(st, &j->req->cfg, j->req->gallery, 1, &r->match, &n);
        r->has_match = r->status == BIO_OK && n == 1;
    }
    if (st)
        r->speech_seconds = e->speech_seconds(st);
    bio_spoof_stream *sp = spoof_get(k, j->id);
    if (sp) { /* same audio as the request's, scored at the model's threshold */
        double thr = k->pool->opt.spoof_threshold;
        bio_spoof_stream_score(sp, thr > 0 ? thr : -1, &r->spoof);
        r->spoof_scored = true;
    }
    result_post(k->pool, res);
}

static void run_job(worker *k, wk_job *j)
{
    switch (j->type) {
    case JOB_OPEN:
        stream_open(k, j->id);
        break;
    case JOB_AUDIO: {
        lathist_add(&k->media_lat, (uv_hrtime() - j->pushed_ns) / 1000);
        void *st = stream_get(k, j->id);
        bio_spoof_stream *sp = spoof_get(k, j->id);
        if (sp)
            bio_spoof_stream_feed(sp, (const int16_t *)(const void *)j->data, j->n);
        if (st) {
            k->pool->opt.engine->feed(st, (const int16_t *)(const void *)j->data, j->n);
            atomic_fetch_add(&k->samples, j->n);
        }
        break;
    }
    case JOB_ENROLL:
    case JOB_VERIFY:
    case JOB_IDENTIFY: /* run_list batches them: batch_run */
        break;
    case JOB_CLOSE:
        stream_close(k, j->id);
        break;
    }
}

/* ---------- request batches (worker thread) ---------- */

typedef struct {
    wk_job *job[WK_BATCH];
    size_t n;
} wk_batch;

static bool job_is_request(const wk_job *j)
{
    return j->type == JOB_ENROLL || j->type == JOB_VERIFY || j->type == JOB_IDENTIFY;
}

static bool batch_holds(const wk_batch *b, uint64_t id)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->job[i]->id == id)
            return true;
    return false;
}

static void job_done(worker *k, wk_job *j)
{
    free(j);
    atomic_fetch_sub(&k->depth, 1);
    atomic_fetch_add(&k->done, 1);
}

/* Prepare the embeddings of the streams that will need one (enough speech for the request)
 * in one engine call, then answer every request in order. */
static void batch_run(worker *k, wk_batch *b)
{
    const bio_engine *e = k->pool->opt.engine;
    bool stopping = atomic_load_explicit(&k->stop, memory_order_relaxed);
    if (e->embed_batch && b->n > 1 && !stopping) {
        void *st[WK_BATCH];
        size_t n = 0;
        for (size_t i = 0; i < b->n; i++) {
            wk_job *j = b->job[i];
            void *s = stream_get(k, j->id);
            double need = j->type == JOB_ENROLL ? j->req->cfg.min_enroll_speech
                                                : j->req->cfg.min_verify_speech;
            if (s && e->speech_seconds(s) >= need)
                st[n++] = s;
        }
        if (n > 1)
            e->embed_batch(st, n); /* a hint: on failure each request extracts on its own */
    }
    for (size_t i = 0; i < b->n; i++) {
        if (!stopping) /* shutdown: discard */
            run_request(k, b->job[i]);
        job_done(k, b->job[i]);
    }
    b->n = 0;
}

/* One taken list, in order; requests wait in the batch until something about their streams
 * (or the end of the list) needs them answered. */
static void run_list(worker *k, wk_job *list)
{
    wk_batch b = {.n = 0};
    while (list) {
        wk_job *next = list->next;
        if (job_is_request(list)) {
            if (b.n == WK_BATCH)
                batch_run(k, &b);
            b.job[b.n++] = list;
        } else {
            if (batch_holds(&b, list->id))
                batch_run(k, &b);
            if (!atomic_load_explicit(&k->stop, memory_order_relaxed)) /* shutdown: discard */
                run_job(k, list);
            job_done(k, list);
        }
        list = next;
    }
    batch_run(k, &b);
}

static void *worker_main(void *arg)
{
    worker *k = arg;
    for (;;) {
        pthread_mutex_lock(&k->lock);
        while (!k->head && !atomic_load(&k->stop)) {
            k->sleeping = true;
            pthread_cond_wait(&k->cond, &k->lock);
            k->sleeping = false;
            atomic_fetch_add_explicit(&k->wakeups, 1, memory_order_relaxed);
        }
        if (atomic_load(&k->stop)) {
            pthread_mutex_unlock(&k->lock);
            return NULL;
        }
        wk_job *list = k->head;
        k->head = k->tail = NULL;
        pthread_mutex_unlock(&k->lock);
        run_list(k, list);
    }
}

/* ---------- loop side ---------- */

static worker *worker_of(workers *p, uint64_t id)
{
    return &p->w[(id * 0x9E3779B97F4A7C15ull >> 32) % (uint64_t)p->n];
}

/* Append a job unless the queue holds `limit` jobs (0 = no limit). */
/* Loop timer: signal every worker asleep with jobs waiting. */
static void on_wake(uv_timer_t *t)
{
    workers *p = t->data;
    for (int i = 0; i < p->n; i++) {
        worker *k = &p->w[i];
        pthread_mutex_lock(&k->lock);
        if (k->sleeping && k->head)
            pthread_cond_signal(&k->cond);
        pthread_mutex_unlock(&k->lock);
    }
}

/* Append a job; urgent ones wake a sleeping worker at once, audio within WK_WAKE_MS (see
 * the header comment). */
static int push(worker *k, wk_job *j, size_t limit, bool urgent)
{
    size_t d = atomic_load(&k->depth);
    if (limit && d >= limit) {
        free(j);
        return -1;
    }
    j->next = NULL;
    j->pushed_ns = uv_hrtime();
    pthread_mutex_lock(&k->lock);
    if (k->tail)
        k->tail->next = j;
    else
        k->head = j;
    k->tail = j;
    d = atomic_fetch_add(&k->depth, 1) + 1;
    bool later = k->sleeping && !urgent && d < WK_WAKE_BATCH;
    if (k->sleeping && !later)
        pthread_cond_signal(&k->cond);
    pthread_mutex_unlock(&k->lock);
    workers *p = k->pool;
    if (later && !uv_is_active((uv_handle_t *)&p->wake))
        uv_timer_start(&p->wake, on_wake, WK_WAKE_MS, 0);
    size_t m = atomic_load(&k->max_depth);
    while (d > m && !atomic_compare_exchange_weak(&k->max_depth, &m, d))
        ;
    return 0;
}

static wk_job *job_new(job_type t, uint64_t id, size_t extra)
{
    wk_job *j = malloc(sizeof *j + extra);
    if (j) {
        j->type = t;
        j->id = id;
        j->tag = 0;
        j->n = 0;
        j->req = NULL;
    }
    return j;
}

uint64_t workers_open(workers *p)
{
    if (!p || p->closing)
        return 0;
    uint64_t id = ++p->next_id;
    wk_job *j = job_new(JOB_OPEN, id, 0);
    if (!j || push(worker_of(p, id), j, 0, true) != 0)
        return 0;
    return id;
}

int workers_audio(workers *p, uint64_t id, const int16_t *pcm, size_t n)
{
    if (!p || p->closing || !id || (!pcm && n))
        return -1;
    worker *k = worker_of(p, id);
    wk_job *j = atomic_load(&k->depth) < p->opt.queue_len ? job_new(JOB_AUDIO, id, n * 2) : NULL;
    if (j) {
        memcpy(j->data, pcm, n * sizeof *pcm);
        j->n = n;
        if (push(k, j, p->opt.queue_len, false) == 0)
            return 0;
    }
    atomic_fetch_add(&k->dropped, 1);
    return -1;
}

static int request(workers *p, job_type t, uint64_t id, uint64_t tag, const char *external_id,
                   const uint8_t *blob, size_t len, const bio_config *cfg, const void *gallery)
{
    if (!p || p->closing || !id || !external_id || strlen(external_id) > WK_EXTERNAL_ID_MAX ||
        (t == JOB_VERIFY && (!blob || !len || len > BIO_VOICEPRINT_MAX)))
        return -1;
    worker *k = worker_of(p, id);
    size_t at = (len + _Alignof(wk_req) - 1) / _Alignof(wk_req) * _Alignof(wk_req);
    wk_job *j = job_new(t, id, at + sizeof(wk_req));
    if (!j)
        return -1;
    j->tag = tag;
    j->req = (wk_req *)(void *)(j->data + at);
    j->req->cfg = cfg ? *cfg : p->opt.config;
    j->req->gallery = gallery;
    snprintf(j->req->external_id, sizeof j->req->external_id, "%s", external_id);
    if (len)
        memcpy(j->data, blob, len);
    j->n = len;
    if (push(k, j, p->opt.queue_len + p->opt.reserve, true) != 0) {
        atomic_fetch_add(&k->refused, 1);
        return -1;
    }
    return 0;
}

int workers_enroll(workers *p, uint64_t id, uint64_t tag, const char *external_id,
                   const bio_config *cfg)
{
    return request(p, JOB_ENROLL, id, tag, external_id, NULL, 0, cfg, NULL);
}

int workers_verify(workers *p, uint64_t id, uint64_t tag, const char *external_id,
                   const uint8_t *voiceprint, size_t len, const bio_config *cfg)
{
    return request(p, JOB_VERIFY, id, tag, external_id, voiceprint, len, cfg, NULL);
}

int workers_identify(workers *p, uint64_t id, uint64_t tag, const char *external_id,
                     const void *gallery, const bio_config *cfg)
{
    if (!p || !gallery || !p->opt.engine->identify)
        return -1;
    return request(p, JOB_IDENTIFY, id, tag, external_id, NULL, 0, cfg, gallery);
}

void workers_close_stream(workers *p, uint64_t id)
{
    if (!p || p->closing || !id)
        return;
    wk_job *j = job_new(JOB_CLOSE, id, 0);
    if (!j) {
        log_error("worker: out of memory closing a stream");
        return;
    }
    push(worker_of(p, id), j, 0, true);
}

int workers_count(const workers *p) { return p ? p->n : 0; }

void workers_get_stats(workers *p, int i, workers_stats *out)
{
    if (!p || !out || i < 0 || i >= p->n)
        return;
    worker *k = &p->w[i];
    out->depth = atomic_load(&k->depth);
    out->max_depth = atomic_load(&k->max_depth);
    out->streams = atomic_load(&k->streams);
    out->dropped = atomic_load(&k->dropped);
    out->refused = atomic_load(&k->refused);
    out->jobs_done = atomic_load(&k->done);
    out->samples = atomic_load(&k->samples);
    out->wakeups = atomic_load(&k->wakeups);
}

void workers_get_latency(workers *p, lathist *media, lathist *request)
{
    if (!p)
        return;
    for (int i = 0; media && i < p->n; i++)
        lathist_merge(media, &p->w[i].media_lat);
    if (request)
        lathist_merge(request, &p->request_lat);
}

/* ---------- lifecycle ---------- */

static void stop_and_join(workers *p)
{
    for (int i = 0; i < p->n; i++) {
        worker *k = &p->w[i];
        pthread_mutex_lock(&k->lock);
        atomic_store(&k->stop, true);
        pthread_cond_signal(&k->cond);
        pthread_mutex_unlock(&k->lock);
    }
    for (int i = 0; i < p->n; i++)
        if (p->w[i].started)
            pthread_join(p->w[i].thread, NULL);
}

/* After the threads are gone: free every job, stream and result. */
static void free_all(workers *p)
{
    for (int i = 0; i < p->n; i++) {
        worker *k = &p->w[i];
        while (k->head) {
            wk_job *j = k->head;
            k->head = j->next;
            free(j);
        }
        for (int b = 0; b < WK_BUCKETS; b++)
            while (k->table[b])
                stream_close(k, k->table[b]->id);
        pthread_mutex_destroy(&k->lock);
        pthread_cond_destroy(&k->cond);
    }
    while (p->res_head) {
        wk_result *r = p->res_head;
        p->res_head = r->next;
        free(r);
    }
    pthread_mutex_destroy(&p->res_lock);
    free(p->w);
}

static void on_handle_closed(uv_handle_t *h)
{
    workers *p = h->data;
    if (--p->handles_open > 0)
        return;
    void (*cb)(void *) = p->closed_cb;
    void *arg = p->closed_arg;
    free(p);
    if (cb)
        cb(arg);
}

workers *workers_new(uv_loop_t *loop, const workers_options *opt)
{
    if (!loop)
        return NULL;
    workers *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (opt)
        p->opt = *opt;
    if (!p->opt.engine)
        p->opt.engine = bio_engine_find(NULL);
    if (!p->opt.queue_len)
        p->opt.queue_len = 512;
    if (!p->opt.reserve)
        p->opt.reserve = 64;
    openblas_set_num_threads(1);
    p->n = p->opt.threads > 0 ? p->opt.threads : (int)uv_available_parallelism();
    if (p->n < 1)
        p->n = 1;
    p->loop = loop;
    p->w = calloc((size_t)p->n, sizeof *p->w);
    if (!p->w || uv_async_init(loop, &p->async, on_async) != 0) {
        free(p->w);
        free(p);
        return NULL;
    }
    uv_timer_init(loop, &p->wake);
    p->async.data = p->wake.data = p;
    p->handles_open = 2;
    lathist_init(&p->request_lat);
    pthread_mutex_init(&p->res_lock, NULL);
    bool ok = true;
    for (int i = 0; i < p->n; i++) {
        worker *k = &p->w[i];
        k->pool = p;
        lathist_init(&k->media_lat);
        pthread_mutex_init(&k->lock, NULL);
        pthread_cond_init(&k->cond, NULL);
    }
    for (int i = 0; i < p->n && ok; i++)
        ok = (p->w[i].started = pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]) == 0);
    if (!ok) {
        log_error("workers: cannot start %d threads", p->n);
        stop_and_join(p);
        free_all(p);
        uv_close((uv_handle_t *)&p->async, on_handle_closed);
        uv_close((uv_handle_t *)&p->wake, on_handle_closed);
        return NULL;
    }
    return p;
}

void workers_close(workers *p, void (*closed)(void *arg), void *arg)
{
    if (!p || p->closing)
        return;
    p->closing = true;
    p->closed_cb = closed;
    p->closed_arg = arg;
    stop_and_join(p);
    free_all(p);
    uv_close((uv_handle_t *)&p->async, on_handle_closed);
    uv_close((uv_handle_t *)&p->wake, on_handle_closed);
}
