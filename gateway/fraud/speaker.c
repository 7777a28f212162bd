/* speaker.c -- the speaker lifecycle's rules and the last-access recorder. See speaker.h.
 *
 * The recorder keeps SPEAKER_TOUCH_SLOTS recently touched external_ids, indexed by a hash of
 * the id: a collision only costs an extra write, never a missed one, since an id not found in
 * its slot is written and takes the slot.
 */
#include "fraud/speaker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hash.h"
#include "common/time.h"
#include "core/app.h"
#include "live/live.h"
#include "store/store_speaker.h"

#define SPEAKER_TOUCH_SLOTS 1024
#define SPEAKER_TOUCH_EVERY_MS 60000
#define DAY_MS 86400000.0

typedef struct {
    char id[SUBS_EXTERNAL_ID_MAX + 1];
    int64_t ms;
} touch_slot;

struct speaker {
    struct app *a;
    touch_slot slots[SPEAKER_TOUCH_SLOTS];
};

const char *speaker_status_name(speaker_status st)
{
    switch (st) {
    case SPEAKER_ENROLLED: return "ENROLLED";
    case SPEAKER_OPTED_OUT: return "OPTED_OUT";
    case SPEAKER_EXPIRED: return "EXPIRED";
    default: return "NOT_ENROLLED";
    }
}

int64_t speaker_expires_ms(double expiry_days, int64_t last_accessed_ms)
{
    if (expiry_days <= 0 || last_accessed_ms <= 0)
        return 0;
    return last_accessed_ms + (int64_t)(expiry_days * DAY_MS);
}

bool speaker_expired(double expiry_days, int64_t last_accessed_ms)
{
    int64_t end = speaker_expires_ms(expiry_days, last_accessed_ms);
    return end > 0 && time_now_ms() >= end;
}

speaker_status speaker_of(double expiry_days, store_status st, const store_voiceprint *vp)
{
    if (st == STORE_OPTED_OUT)
        return SPEAKER_OPTED_OUT;
    if (st != STORE_OK || !vp)
        return st == STORE_NOT_FOUND ? SPEAKER_NONE : SPEAKER_ENROLLED;
    int64_t last = vp->last_accessed_ms ? vp->last_accessed_ms : vp->created_ms;
    return speaker_expired(expiry_days, last) ? SPEAKER_EXPIRED : SPEAKER_ENROLLED;
}

/* A successful verification is an access (Voice ID's LastAccessedAt). */
static void on_verdict(const live_state *st, void *arg)
{
    speaker *sp = arg;
    if (st->kind != LIVE_VERIFY || st->status != LIVE_ST_VERDICT ||
        st->result != LIVE_VERDICT_VERIFIED || !st->external_id)
        return;
    uint64_t h = hash_fnv_str(HASH_FNV_SEED, st->external_id);
    touch_slot *t = &sp->slots[h % SPEAKER_TOUCH_SLOTS];
    int64_t now = time_now_ms();
    if (strcmp(t->id, st->external_id) == 0 && now - t->ms < SPEAKER_TOUCH_EVERY_MS)
        return;
    snprintf(t->id, sizeof t->id, "%s", st->external_id);
    t->ms = now;
    store_speaker_touch(sp->a->store, st->external_id, NULL, NULL);
}

speaker *speaker_new(struct app *a)
{
    speaker *sp = calloc(1, sizeof *sp);
    if (!sp)
        return NULL;
    sp->a = a;
    if (a->live && live_on_verdict(a->live, on_verdict, sp) != 0) {
        free(sp);
        return NULL;
    }
    return sp;
}

void speaker_free(speaker *sp)
{
    free(sp);
}
