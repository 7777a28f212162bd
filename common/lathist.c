/* lathist.c -- log-linear latency histogram. See lathist.h. */
#include "common/lathist.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define RELAXED memory_order_relaxed

static uint64_t get(const atomic_uint_fast64_t *a)
{
    return atomic_load_explicit(a, RELAXED);
}

static void set(atomic_uint_fast64_t *a, uint64_t v)
{
    atomic_store_explicit(a, v, RELAXED);
}

void lathist_init(lathist *h)
{
    for (size_t i = 0; i < LATHIST_BUCKETS; i++)
        set(&h->counts[i], 0);
    set(&h->count, 0);
    set(&h->sum_us, 0);
    set(&h->max_us, 0);
}

size_t lathist_index(uint64_t us)
{
    if (us < LATHIST_LINEAR)
        return (size_t)us;
    int e = 63 - __builtin_clzll(us); /* >= 5 */
    if (e >= LATHIST_MAX_EXP)
        return LATHIST_BUCKETS - 1;
    uint64_t sub = (us >> (e - 4)) - LATHIST_SUB;
    return LATHIST_LINEAR + (size_t)(e - 5) * LATHIST_SUB + (size_t)sub;
}

uint64_t lathist_bucket_low(size_t i)
{
    if (i < LATHIST_LINEAR)
        return i;
    size_t e = (i - LATHIST_LINEAR) / LATHIST_SUB + 5, sub = (i - LATHIST_LINEAR) % LATHIST_SUB;
    return (uint64_t)(LATHIST_SUB + sub) << (e - 4);
}

uint64_t lathist_bucket_high(size_t i)
{
    if (i < LATHIST_LINEAR)
        return i;
    if (i >= LATHIST_BUCKETS - 1)
        return UINT64_MAX;
    size_t e = (i - LATHIST_LINEAR) / LATHIST_SUB + 5;
    return lathist_bucket_low(i) + (1ull << (e - 4)) - 1;
}

void lathist_add(lathist *h, uint64_t us)
{
    size_t i = lathist_index(us);
    set(&h->counts[i], get(&h->counts[i]) + 1);
    set(&h->count, get(&h->count) + 1);
    set(&h->sum_us, get(&h->sum_us) + us);
    if (us > get(&h->max_us))
        set(&h->max_us, us);
}

void lathist_merge(lathist *dst, const lathist *src)
{
    for (size_t i = 0; i < LATHIST_BUCKETS; i++)
        set(&dst->counts[i], get(&dst->counts[i]) + get(&src->counts[i]));
    set(&dst->count, get(&dst->count) + get(&src->count));
    set(&dst->sum_us, get(&dst->sum_us) + get(&src->sum_us));
    if (get(&src->max_us) > get(&dst->max_us))
        set(&dst->max_us, get(&src->max_us));
}

void lathist_diff(lathist *dst, const lathist *a, const lathist *b)
{
    size_t top = 0;
    uint64_t n = 0;
    for (size_t i = 0; i < LATHIST_BUCKETS; i++) {
        uint64_t ca = get(&a->counts[i]), cb = get(&b->counts[i]);
        uint64_t d = ca > cb ? ca - cb : 0;
        set(&dst->counts[i], d);
        n += d;
        if (d)
            top = i;
    }
    set(&dst->count, n);
    uint64_t sa = get(&a->sum_us), sb = get(&b->sum_us);
    set(&dst->sum_us, sa > sb ? sa - sb : 0);
    uint64_t hi = lathist_bucket_high(top), ma = get(&a->max_us);
    set(&dst->max_us, n == 0 ? 0 : ma < hi ? ma : hi);
}

uint64_t lathist_count(const lathist *h)
{
    return get(&h->count);
}

uint64_t lathist_max(const lathist *h)
{
    return get(&h->max_us);
}

double lathist_mean(const lathist *h)
{
    uint64_t n = get(&h->count);
    return n ? (double)get(&h->sum_us) / (double)n : 0.0;
}

uint64_t lathist_percentile(const lathist *h, double p)
{
    /* The counts, not h->count: a concurrent writer may have bumped one but not the other. */
    uint64_t n = 0;
    for (size_t i = 0; i < LATHIST_BUCKETS; i++)
        n += get(&h->counts[i]);
    if (n == 0 || !(p > 0))
        return 0;
    if (p > 100)
        p = 100;
    uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)n);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0, max = get(&h->max_us);
    for (size_t i = 0; i < LATHIST_BUCKETS; i++) {
        seen += get(&h->counts[i]);
        if (seen >= rank) {
            uint64_t hi = lathist_bucket_high(i);
            return hi < max ? hi : max;
        }
    }
    return max;
}

int lathist_to_json(const lathist *h, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "{\"count\":%llu,\"sum_us\":%llu,\"max_us\":%llu,\"buckets\":[",
                     (unsigned long long)get(&h->count), (unsigned long long)get(&h->sum_us),
                     (unsigned long long)get(&h->max_us));
    if (n < 0 || (size_t)n >= cap)
        return -1;
    size_t len = (size_t)n;
    bool first = true;
    for (size_t i = 0; i < LATHIST_BUCKETS; i++) {
        uint64_t c = get(&h->counts[i]);
        if (!c)
            continue;
        n = snprintf(buf + len, cap - len, "%s[%zu,%llu]", first ? "" : ",", i,
                     (unsigned long long)c);
        if (n < 0 || (size_t)n >= cap - len)
            return -1;
        len += (size_t)n;
        first = false;
    }
    if (len + 3 > cap)
        return -1;
    memcpy(buf + len, "]}", 3);
    return (int)len + 2;
}

static int number(const cJSON *obj, const char *name, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0)
        return -1;
    *out = (uint64_t)v->valuedouble;
    return 0;
}

int lathist_from_json(lathist *h, const cJSON *obj)
{
    uint64_t count, sum, max;
    lathist_init(h);
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(obj, "buckets");
    if (!cJSON_IsObject(obj) || number(obj, "count", &count) || number(obj, "sum_us", &sum) ||
        number(obj, "max_us", &max) || !cJSON_IsArray(b))
        return -1;
    const cJSON *e;
    cJSON_ArrayForEach(e, b)
    {
        const cJSON *i = cJSON_GetArrayItem(e, 0), *c = cJSON_GetArrayItem(e, 1);
        if (cJSON_GetArraySize(e) != 2 || !cJSON_IsNumber(i) || !cJSON_IsNumber(c) ||
            i->valuedouble < 0 || i->valuedouble >= LATHIST_BUCKETS || c->valuedouble < 0)
            return -1;
        set(&h->counts[(size_t)i->valuedouble], (uint64_t)c->valuedouble);
    }
    set(&h->count, count);
    set(&h->sum_us, sum);
    set(&h->max_us, max);
    return 0;
}
