/* lathist.h -- a latency histogram with bounded relative error (log-linear buckets).
 *
 * Values are microseconds (uint64). Below 32 us every value has its own bucket; above, each
 * power of two is split into 16 equal buckets, so a bucket is at most 1/16 (6.25%) of its
 * value wide whatever the scale, up to 2^40 us (12 days; larger values land in the last
 * bucket). That is HdrHistogram's idea at a fixed precision: ~5 KB per histogram, O(1)
 * insertion, percentiles from cumulative counts.
 *
 * The counters are C11 atomics updated with relaxed load + store, not read-modify-write:
 * exactly ONE thread may add to a histogram (a worker thread, the load generator's loop),
 * while any thread may read it (snapshot by lathist_merge). A reader can see a count one
 * sample behind; it never sees a torn value. Used by the worker pool (media-to-worker and
 * request latency, exposed on GET /debug/latency) and by the load generator.
 */
#ifndef CALLPRINT_LATHIST_H
#define CALLPRINT_LATHIST_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define LATHIST_SUB 16      /* buckets per power of two */
#define LATHIST_LINEAR 32   /* values below this are exact */
#define LATHIST_MAX_EXP 40  /* 2^40 us: the last bucket holds everything above */
#define LATHIST_BUCKETS (LATHIST_LINEAR + (LATHIST_MAX_EXP - 5) * LATHIST_SUB)

typedef struct {
    atomic_uint_fast64_t counts[LATHIST_BUCKETS];
    atomic_uint_fast64_t count, sum_us, max_us;
} lathist;

void lathist_init(lathist *h);
/* Single writer: see the header comment. */
void lathist_add(lathist *h, uint64_t us);
/* dst += src (dst must not be written concurrently). */
void lathist_merge(lathist *dst, const lathist *src);
/* dst = a - b, for two snapshots of one histogram taken before/after a run (b <= a). The
 * max is a's max when the difference holds any sample in a's top bucket, else the upper
 * bound of the difference's top bucket. */
void lathist_diff(lathist *dst, const lathist *a, const lathist *b);

uint64_t lathist_count(const lathist *h);
/* The p-th percentile (0 < p <= 100) in us: the upper bound of the bucket holding the
 * sample of rank ceil(p/100 * count), capped at the max; 0 when empty. */
uint64_t lathist_percentile(const lathist *h, double p);
uint64_t lathist_max(const lathist *h);
double lathist_mean(const lathist *h);

/* Bucket geometry: index of a value, and the [low, high] values a bucket holds. */
size_t lathist_index(uint64_t us);
uint64_t lathist_bucket_low(size_t i);
uint64_t lathist_bucket_high(size_t i);

/* JSON: {"count":N,"sum_us":S,"max_us":M,"buckets":[[index,count],...]} (non-zero buckets
 * only) -- what GET /debug/latency serves -- and back. Returns the length written, or -1
 * when cap is too small; parse returns 0 or -1 on malformed input. */
int lathist_to_json(const lathist *h, char *buf, size_t cap);
struct cJSON;
int lathist_from_json(lathist *h, const struct cJSON *obj);

#endif
