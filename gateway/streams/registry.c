/* registry.c -- stream indexes, admission and sink dispatch. See registry.h. */
#include "streams/registry.h"

#include "common/hash.h"
#include "common/list.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

enum { IX_UUID = 0, IX_SSID, IX_CSID, IX_N };

struct registry {
    int max_streams;
    size_t count;
    bool maintenance;
    size_t mask; /* buckets - 1 */
    stream **buckets[IX_N];
    stream *head; /* doubly linked list of all streams, newest first */
    const audio_sink *sinks[STREAM_SINKS_MAX];
    size_t n_sinks;
    registry_stats stats;
};

static const char *key_of(const stream *s, int ix)
{
    return ix == IX_UUID ? s->uuid : ix == IX_SSID ? s->stream_sid : s->call_sid;
}

/* Short keys, no adversarial concern beyond bounded chain length (max_streams). */
static size_t hash(const char *k)
{
    return (size_t)hash_fnv_str(HASH_FNV_SEED, k);
}

registry *registry_new(int max_streams)
{
    registry *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    size_t n = 16;
    while (n < (size_t)max_streams && n < (1u << 20))
        n <<= 1;
    r->mask = n - 1;
    r->max_streams = max_streams;
    for (int i = 0; i < IX_N; i++) {
        r->buckets[i] = calloc(n, sizeof(stream *));
        if (!r->buckets[i]) {
            registry_free(r);
            return NULL;
        }
    }
    return r;
}

void registry_free(registry *r)
{
    if (!r)
        return;
    assert(r->count == 0);
    for (int i = 0; i < IX_N; i++)
        free(r->buckets[i]);
    free(r);
}

int registry_add_sink(registry *r, const audio_sink *sink)
{
    if (r->n_sinks == STREAM_SINKS_MAX)
        return -1;
    r->sinks[r->n_sinks] = sink;
    return (int)r->n_sinks++;
}

static void index_add(registry *r, stream *s)
{
    for (int ix = 0; ix < IX_N; ix++) {
        const char *k = key_of(s, ix);
        if (!*k)
            continue;
        stream **b = &r->buckets[ix][hash(k) & r->mask];
        s->hnext[ix] = *b;
        *b = s;
    }
    LIST_PUSH_AS(r->head, s, reg_);
    r->count++;
}

static void index_del(registry *r, stream *s)
{
    for (int ix = 0; ix < IX_N; ix++) {
        const char *k = key_of(s, ix);
        if (!*k)
            continue;
        for (stream **p = &r->buckets[ix][hash(k) & r->mask]; *p; p = &(*p)->hnext[ix])
            if (*p == s) {
                *p = s->hnext[ix];
                break;
            }
    }
    LIST_UNLINK_AS(r->head, s, reg_);
    r->count--;
}

static stream *lookup(const registry *r, int ix, const char *k)
{
    if (!k || !*k)
        return NULL;
    for (stream *s = r->buckets[ix][hash(k) & r->mask]; s; s = s->hnext[ix])
        if (strcmp(key_of(s, ix), k) == 0)
            return s;
    return NULL;
}

/* A sink still finishing an ended stream of this uuid. */
static bool uuid_busy(const registry *r, const char *uuid)
{
    for (size_t i = 0; i < r->n_sinks; i++)
        if (r->sinks[i]->uuid_busy && r->sinks[i]->uuid_busy(r->sinks[i]->ud, uuid))
            return true;
    return false;
}

registry_status registry_admit(registry *r, stream *s)
{
    registry_status st = REG_OK;
    if (r->maintenance)
        st = REG_MAINTENANCE;
    else if (lookup(r, IX_UUID, s->uuid) || uuid_busy(r, s->uuid))
        st = REG_DUPLICATE;
    else if (r->count >= (size_t)r->max_streams)
        st = REG_NO_SLOT;
    for (size_t i = 0; st == REG_OK && i < r->n_sinks; i++) {
        const audio_sink *k = r->sinks[i];
        if (k->on_start && k->on_start(k->ud, s, &s->sink_state[i]) != 0) {
            /* Undo the sinks that accepted, newest first, so each sees start/stop pairs. */
            while (i-- > 0)
                if (r->sinks[i]->on_stop)
                    r->sinks[i]->on_stop(r->sinks[i]->ud, s, s->sink_state[i],
                                         STREAM_END_FORCED);
            st = REG_NO_CAPACITY;
        }
    }
    if (st != REG_OK) {
        r->stats.refused++;
        return st;
    }
    index_add(r, s);
    r->stats.started++;
    return REG_OK;
}

void registry_remove(registry *r, stream *s, stream_end_reason why)
{
    for (size_t i = r->n_sinks; i-- > 0;)
        if (r->sinks[i]->on_stop)
            r->sinks[i]->on_stop(r->sinks[i]->ud, s, s->sink_state[i], why);
    index_del(r, s);
    r->stats.ended++;
    if ((unsigned)why <= STREAM_END_FORCED)
        r->stats.ended_by[why]++;
}

void registry_audio(registry *r, stream *s, const int16_t *pcm, size_t n, uint64_t ts_ms)
{
    for (size_t i = 0; i < r->n_sinks; i++)
        if (r->sinks[i]->on_audio)
            r->sinks[i]->on_audio(r->sinks[i]->ud, s, s->sink_state[i], pcm, n, ts_ms);
}

void registry_dtmf(registry *r, stream *s, char digit)
{
    for (size_t i = 0; i < r->n_sinks; i++)
        if (r->sinks[i]->on_dtmf)
            r->sinks[i]->on_dtmf(r->sinks[i]->ud, s, s->sink_state[i], digit);
}

void registry_mark(registry *r, stream *s, const char *name)
{
    for (size_t i = 0; i < r->n_sinks; i++)
        if (r->sinks[i]->on_mark)
            r->sinks[i]->on_mark(r->sinks[i]->ud, s, s->sink_state[i], name);
}

stream *registry_by_uuid(const registry *r, const char *uuid)
{
    return lookup(r, IX_UUID, uuid);
}

stream *registry_by_stream_sid(const registry *r, const char *sid)
{
    return lookup(r, IX_SSID, sid);
}

stream *registry_by_call_sid(const registry *r, const char *sid)
{
    return lookup(r, IX_CSID, sid);
}

size_t registry_count(const registry *r)
{
    return r->count;
}

int registry_max(const registry *r)
{
    return r->max_streams;
}

stream *registry_first(const registry *r)
{
    return r->head;
}

stream *registry_next(const stream *s)
{
    return s->reg_next;
}

void registry_set_maintenance(registry *r, bool on)
{
    r->maintenance = on;
}

bool registry_maintenance(const registry *r)
{
    return r->maintenance;
}

const registry_stats *registry_get_stats(const registry *r)
{
    return &r->stats;
}
