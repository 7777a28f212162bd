/* speaker.c -- the speaker lifecycle's rules and the last-access recorder. See speaker.h.
 *
 * The recorder keeps SPEAKER_TOUCH_SLOTS recently touched external_ids, indexed by a hash of
 * the id: a collision only costs an extra write, never a missed one, since an id not found in
 * its slot is written and takes the slot.
 */
#include "speaker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "live.h"
#include "store_speaker.h"

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

int64_t speaker_expires_ms(const config *cfg, int64_t last_accessed_ms)
{
    if (cfg->speaker_expiry_days <= 0 || last_accessed_ms <= 0)
        return 0;
    return last_accessed_ms + (int64_t)(cfg->speaker_expiry_days * DAY_MS);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool speaker_expired(const config *cfg, int64_t last_accessed_ms)
{
    int64_t end = speaker_expires_ms(cfg, last_accessed_ms);
    return end > 0 && wall_ms() >= end;
}

speaker_status speaker_of(const config *cfg, store_status st, const store_voiceprint *vp)
{
    if (st == STORE_OPTED_OUT)
        return SPEAKER_OPTED_OUT;
    if (st != STORE_OK || !vp)
        return st == STORE_NOT_FOUND ? SPEAKER_NONE : SPEAKER_ENROLLED;
    int64_t last = vp->last_accessed_ms ? vp->last_accessed_ms : vp->created_ms;
    return speaker_expired(cfg, last) ? SPEAKER_EXPIRED : SPEAKER_ENROLLED;
}

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* A successful verification is an access (Voice ID's LastAccessedAt). */
static void on_verdict(const live_state *st, void *arg)
{
    speaker *sp = arg;
    if (st->kind != LIVE_VERIFY || st->status != LIVE_ST_VERDICT ||
        st->result != WHP_VERIFY_VERIFIED || !st->external_id)
        return;
    touch_slot *t = &sp->slots[fnv1a(st->external_id) % SPEAKER_TOUCH_SLOTS];
    int64_t now = wall_ms();
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
