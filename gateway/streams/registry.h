/* registry.h -- every live stream of the process, indexed by uuid, streamSid and callSid.
 *
 * The registry is the one place that decides whether a stream may start (capacity, duplicate
 * uuid, maintenance, sink capacity) and the one place that ends it, so that every sink sees
 * exactly one on_stop per accepted on_start whatever ended the stream. Loop thread only.
 *
 * Indexes are chained hash tables sized from max_streams (fixed, no rehash: the bound is
 * known at start). streamSid and callSid need not be unique (several forwarders, or one call
 * with an inbound and an outbound stream): a lookup returns the most recent. uuid is unique.
 */
#ifndef CALLPRINT_REGISTRY_H
#define CALLPRINT_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "streams/audio_sink.h"
#include "streams/stream.h"

typedef struct registry registry;

/* Why a stream could not start; the values are the Voice Verify status codes. */
typedef enum {
    REG_OK = 201,
    REG_NO_SLOT = 403,     /* max_streams reached (stream slots) */
    REG_DUPLICATE = 409,   /* uuid already live, or its ended stream still finishing */
    REG_MAINTENANCE = 423, /* maintenance lock */
    REG_NO_CAPACITY = 503, /* a sink refused: no technology slot (e.g. workers full) */
} registry_status;

typedef struct {
    uint64_t started, ended, refused;
    uint64_t ended_by[STREAM_END_FORCED + 1];
} registry_stats;

registry *registry_new(int max_streams);
/* The caller ends every stream first (registry_remove); free asserts none is left. */
void registry_free(registry *r);

/* Up to STREAM_SINKS_MAX sinks, in call order. The sink struct must outlive the registry.
 * Returns the sink's slot, -1 when all are taken: the sink keeps it and reaches its state on
 * any stream with stream_sink_state(s, slot) (the same pointer its callbacks receive). */
int registry_add_sink(registry *r, const audio_sink *sink);

/* Admit a new stream: checks, indexes, sinks' on_start. On failure the stream is not kept
 * (the caller frees it). */
registry_status registry_admit(registry *r, stream *s);
/* Sinks' on_stop, unindex. Does not free s. */
void registry_remove(registry *r, stream *s, stream_end_reason why);

/* Sink dispatch. */
void registry_audio(registry *r, stream *s, const int16_t *pcm, size_t n, uint64_t ts_ms);
void registry_dtmf(registry *r, stream *s, char digit);
void registry_mark(registry *r, stream *s, const char *name);

stream *registry_by_uuid(const registry *r, const char *uuid);
stream *registry_by_stream_sid(const registry *r, const char *sid);
stream *registry_by_call_sid(const registry *r, const char *sid);

size_t registry_count(const registry *r);
int registry_max(const registry *r);
/* Iterate: first, then next(s) until NULL. Do not remove while iterating (collect first). */
stream *registry_first(const registry *r);
stream *registry_next(const stream *s);

void registry_set_maintenance(registry *r, bool on);
bool registry_maintenance(const registry *r);
const registry_stats *registry_get_stats(const registry *r);

#endif
