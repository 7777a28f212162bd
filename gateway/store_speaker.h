/* store_speaker.h -- the speaker lifecycle in Redis: last access, opt-out tombstones.
 *
 *   P voiceprint:<external_id>   field last_accessed_ms: set by every enrolment (store.h's
 *                                voiceprint writes) and by store_speaker_touch() after a
 *                                successful verification
 *   P optouts                    hash: external_id -> opted-out time (ms since the epoch)
 *
 * An opt-out deletes the voiceprint and writes the tombstone in one script, so no enrolment
 * can slip in between. While the tombstone exists every voiceprint write for that id is
 * refused with STORE_OPTED_OUT (store_voiceprint_put) and reads answer STORE_OPTED_OUT
 * instead of STORE_NOT_FOUND. Only store_speaker_optout_remove() (an administrator, through
 * the REST API) lifts it. Expiry is not stored: it is last_accessed_ms (created_ms for older
 * voiceprints) plus the speaker_expiry_days setting, judged by the reader.
 */
#ifndef CALLPRINT_STORE_SPEAKER_H
#define CALLPRINT_STORE_SPEAKER_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

typedef struct {
    bool enrolled;            /* a voiceprint exists */
    bool opted_out;           /* a tombstone exists */
    int64_t opted_out_ms;     /* when (0 unless opted_out) */
    int64_t created_ms;       /* the voiceprint's (0 unless enrolled) */
    int64_t last_accessed_ms; /* 0 unless enrolled; created_ms for voiceprints older than it */
} store_speaker;

/* sp valid during the call; STORE_NOT_FOUND when neither a voiceprint nor a tombstone exists. */
typedef void store_speaker_cb(void *arg, store_status st, const store_speaker *sp,
                              const char *err);

int store_speaker_get(store *s, const char *external_id, store_speaker_cb *cb, void *arg);
/* last_accessed_ms = now, when the voiceprint exists (a write; cb may be NULL). */
int store_speaker_touch(store *s, const char *external_id, store_done_cb *cb, void *arg);
/* Delete the voiceprint (if any) and write the tombstone. The answer is STORE_OK when a
 * voiceprint was deleted, STORE_NOT_FOUND when there was none (the tombstone is written in
 * both cases). */
int store_speaker_optout(store *s, const char *external_id, store_done_cb *cb, void *arg);
/* Remove the tombstone: STORE_NOT_FOUND when there was none. */
int store_speaker_optout_remove(store *s, const char *external_id, store_done_cb *cb, void *arg);

#endif
