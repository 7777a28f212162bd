/* speaker.h -- Amazon Connect Voice ID's speaker lifecycle: ENROLLED, OPTED_OUT, EXPIRED.
 *
 * A speaker is an external_id. ENROLLED: a voiceprint exists and was enrolled or successfully
 * verified within speaker_expiry_days (setting; fractional days allowed, 0 = never expires).
 * EXPIRED: its voiceprint is older than that by last access -- kept, never scored (verify
 * answers SPEAKER_EXPIRED), replaced by the next enrolment. OPTED_OUT: the voiceprint was
 * deleted and a tombstone refuses every enrolment (live, REST import, snapshot import) until
 * an administrator removes it (store_speaker.h has the Redis side).
 *
 * The module watches live verify answers (live_on_verdict) and records the last access of a
 * speaker verified on a call: at most once a minute per speaker (a small table of the speakers
 * touched last), so a verified call costs one Redis write, not one a second. Loop thread only.
 */
#ifndef CALLPRINT_SPEAKER_H
#define CALLPRINT_SPEAKER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "store/store.h"

struct app;
typedef struct speaker speaker;

typedef enum {
    SPEAKER_ENROLLED = 0,
    SPEAKER_OPTED_OUT,
    SPEAKER_EXPIRED,
    SPEAKER_NONE, /* no voiceprint, no tombstone */
} speaker_status;

/* "ENROLLED", "OPTED_OUT", "EXPIRED", "NOT_ENROLLED". */
const char *speaker_status_name(speaker_status st);
/* The rules take config speaker_expiry_days (<= 0: never), not the whole config, so that live
 * (which gets only the settings it reads) applies them too. */
/* True when a voiceprint last accessed at last_accessed_ms (wall clock) has expired. */
bool speaker_expired(double expiry_days, int64_t last_accessed_ms);
/* When it expires (0: never). */
int64_t speaker_expires_ms(double expiry_days, int64_t last_accessed_ms);
/* The status a voiceprint read (store_voiceprint_get) implies. */
speaker_status speaker_of(double expiry_days, store_status st, const store_voiceprint *vp);

/* Start watching verify answers (after live_new). NULL on out of memory. */
speaker *speaker_new(struct app *a);
void speaker_free(speaker *sp);

/* The REST routes (api_speakers.c). */
void api_speakers_register(struct app *a);

#endif
