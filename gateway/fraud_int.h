/* fraud_int.h -- what fraud.c (the sink, caller ID, risk, session writes) and fraud_watch.c
 * (watchlists, screening, registration) share. Not an interface: include fraud.h elsewhere. */
#ifndef CALLPRINT_FRAUD_INT_H
#define CALLPRINT_FRAUD_INT_H

#include <stdint.h>

#include "app.h"
#include "fraud.h"
#include "live.h"
#include "stream.h"

#define FRAUD_WL_MAX FRAUD_WL_NAME_MAX

#define FRAUD_TICK_MS 1000
#define FRAUD_KEEP_MS (LIVE_WAIT_MAX_MS + 2000)
#define FRAUD_ID_MAX 257

typedef struct fcall {
    struct fcall *prev, *next; /* f->calls (live and ended) */
    struct fraud *f;
    struct stream *s; /* NULL once ended */
    char uuid[STREAM_UUID_LEN + 1];
    char session_id[FRAUD_ID_MAX];
    int pending; /* store callbacks that still use this fcall */
    bool stopped;
    uint64_t stopped_ms;

    bool have_number, session_asked;
    callerid_status cst;
    callerid_info info;
    callerid_attestation att;
    bool denied;

    char claimed[FRAUD_ID_MAX];    /* the customer a verify job claims */
    char claimed_region[CALLERID_REGION_MAX];
    bool voice_mismatch;

    int risk;
    unsigned reasons;
    bool honeypot, honeypot_written; /* sent to the honeypot; the session says so */
    bool cid_written;
    int written_risk; /* -1: none yet */
    unsigned written_reasons;

    /* Fraudster screening (fraud_watch.c). */
    bool screen;                   /* screen=true, the setting, or a verify job */
    uint64_t id_tag;               /* the identify request in flight (0: none) */
    struct fgal *id_gal;           /* the gallery it searches */
    unsigned next_wl;              /* the watchlist to search next (round robin) */
    bool known;                    /* a match at or above the threshold */
    double known_score;
    char known_watchlist[FRAUD_WL_MAX + 1], known_id[FRAUD_ID_MAX];
    bool known_written;

    /* Registration as a fraudster from this stream (fraud_reg.c). */
    bool reg_open, reg_storing;
    int reg_status;                /* 0 none, 202 waiting, 201, 409, 422, 503 */
    char reg_wl[FRAUD_WL_MAX + 1], reg_id[FRAUD_ID_MAX], reg_url[1024];
    char reg_match[FRAUD_ID_MAX];
    double reg_score, reg_speech;
    uint8_t *reg_blob;
    size_t reg_len;
    uint64_t reg_tag;
    struct fgal *reg_gal;
} fcall;

struct fraud {
    app *a;
    callerid *cid;
    char default_region[CALLERID_REGION_MAX];
    int threshold;
    audio_sink sink;
    int slot;
    uv_timer_t tick;
    bool tick_open;
    fcall *calls;
    struct fwl *lists;    /* watchlists (fraud_watch.c) */
    struct fgal *retired; /* replaced galleries still searched by a worker */
    uint64_t next_tag;
    double match_threshold; /* a fraudster match counts from this score (bio thr_verified) */
    bool closing;
    bool watch_loading, watch_loaded; /* watchlists read from Redis (retried each tick) */
};

/* fraud.c */
void fraud_call_recompute(fcall *c);
void fraud_call_release(fcall *c); /* pending--, free when released and unused */

/* fraud_watch.c */
void fraud_watch_visit(fraud *f, fcall *c); /* each tick: post the next identify */
void fraud_watch_load(fraud *f);            /* at start: every watchlist from Redis */
void fraud_watch_free(fraud *f);

/* fraud_reg.c */
void fraud_reg_zero(fraud *f, struct stream *s); /* at start: mode=register_fraudster */
void fraud_reg_visit(fraud *f, fcall *c);         /* each tick */
void fraud_reg_result(fraud *f, fcall *c, const workers_result *r);
cJSON *fraud_reg_json(const fcall *c);

#endif
