/* sessions_int.h -- what sessions.c (the sink, joining, writes) and sessions_verdict.c
 * (verdict history, forwarding) share. Not an interface: include sessions.h elsewhere.
 *
 * A `scall` is one stream's view of its session. It lives from on_start until the stream has
 * stopped AND no store callback still holds it (`pending`), because lookups answer after the
 * socket may be gone. Every scall is on the module's list, so sessions_free() releases what a
 * callback never came back for.
 */
#ifndef CALLPRINT_SESSIONS_INT_H
#define CALLPRINT_SESSIONS_INT_H

#include <uv.h>

#include <stdbool.h>
#include <stdint.h>

#include "live/live.h"
#include "phone.h"
#include "sessions/sessions.h"
#include "store/store.h"
#include "streams/stream.h"

#define SS_ID_MAX 257     /* session ids: 1-256 bytes */
#define SS_EXT_MAX 1025   /* external_id: 256 UTF-8 characters */
#define SS_TEXT_MAX 129   /* dialled, network_type, location, raw caller */
#define SS_VERDICTS_MAX 8 /* verdicts held while the session is being looked up */

typedef struct {
    char mode[16], verdict[32];
    double score, speech_s;
    char external_id[SS_EXT_MAX];
    char spoof[24]; /* "" when the countermeasure did not run */
    double spoof_score;
} ss_verdict;

typedef struct scall {
    struct sessions *ss;
    struct stream *s; /* NULL once the stream has stopped */
    char session_id[SS_ID_MAX];
    bool resolved; /* session_id known and the first save sent */
    bool created;  /* a new session (not joined) */
    bool stopped, forwarded;
    int step;    /* join step in progress (sessions.c) */
    int pending; /* store callbacks that will still use this scall */

    char stream_uuid[STREAM_UUID_LEN + 1], stream_sid[TW_SID_MAX], call_sid[TW_SID_MAX];
    char caller[SS_TEXT_MAX];  /* E.164, "anonymous", or the raw text when invalid */
    const char *caller_status; /* static string, NULL = leave as stored */
    char external_id[SS_EXT_MAX];
    char dialled[SS_TEXT_MAX], contact_id[SS_ID_MAX], network_type[SS_TEXT_MAX],
        location[SS_TEXT_MAX];
    char start_time[32], end_time[32];
    const char *end_reason;
    char **extra; /* "param.<key>", value pairs */
    size_t n_extra;

    char dtmf[STREAM_DTMF_KEEP + 1];
    bool dtmf_dirty;
    uint64_t dtmf_written_ms;

    char last_verdict[32]; /* last one audited */
    ss_verdict held[SS_VERDICTS_MAX];
    int n_held;

    struct scall *prev, *next;
} scall;

struct sessions {
    struct app *a;
    store *st;
    struct forward *fwd;
    uv_loop_t *loop;
    phone_options phone;
    audio_sink sink;
    int slot; /* our sink's slot in stream.sink_state (registry_add_sink) */
    uv_timer_t tick;
    bool tick_open;
    bool closing; /* no more writes from outside store callbacks (the store may be gone) */
    int closes_pending;
    void (*closed)(void *arg);
    void *closed_arg;
    scall *calls;
};

/* sessions.c */
void ss_call_release(scall *c); /* pending--, free when stopped and unused */
const char *ss_param(const struct stream *s, const char *k1, const char *k2);

/* sessions_verdict.c */
void ss_verdict_record(scall *c, const ss_verdict *v); /* resolved call */
void ss_write_done(void *arg, store_status st, const char *err);
void ss_on_live_state(const live_state *st, void *arg); /* live_on_verdict observer */

#endif
