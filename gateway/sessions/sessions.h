/* sessions.h -- every call gets a session in Redis that outlives its socket.
 *
 * The sessions module is an audio sink (audio_sink.h) that never looks at audio. For each
 * stream it finds or creates the call's session (store.h has the data model) and keeps it up
 * to date: identity at start, DTMF digits while the call runs, end time and reason at stop,
 * and every live verdict in the session's history. It also asks the org-API forwarder
 * (forward.h) to forward the caller's request once the session reaches the configured verdict.
 *
 * Joining a stream to its session, from the start message's custom parameters, in order:
 *   1. session_id                -- the session named directly (e.g. the Connect endpoint's
 *                                   answer put into the stream's <Parameter>s);
 *   2. ContactId / contact_id    -- the session a Connect contact event registered;
 *   3. callSid                   -- another stream of the same call (a reconnect, a second track);
 *   4. caller / From (E.164)     -- the caller's latest session, only while it is still
 *                                   "created" (registered by Connect, no stream yet), so a
 *                                   caller's call from yesterday is never reopened;
 *   else a new session with a UUID4 id. Lookups are asynchronous; a lookup that fails because
 * Redis is down counts as "not found", so a call always gets a session and audio never waits.
 *
 * Session fields written from the stream: stream_uuid, stream_sid, call_sid, caller (custom
 * parameter "caller" or "From", normalised to E.164; caller_status "invalid" when it is not a
 * phone number, "anonymous" when withheld), dialled ("dialled" or "To"), contact_id,
 * network_type, location, start_time, status "streaming" then "ended" with end_time and
 * end_reason, dtmf, every custom parameter as "param.<key>". A caller number found in the
 * customer directory makes the caller "known" with its external_id; otherwise "anonymous".
 * Fields the stream does not carry are left as they are (a Connect event may have filled them)
 * or "NA".
 *
 * Writes: DTMF is coalesced to at most one write per second per session; the final digits
 * always go out with the stop. Writes go through the store's bounded queue, so a Redis restart
 * mid-call loses nothing that was queued. The audit stream gets stream_start, stream_stop,
 * verify / enroll verdicts and forward outcomes.
 *
 * Loop thread only.
 */
#ifndef CALLPRINT_SESSIONS_H
#define CALLPRINT_SESSIONS_H

#include "sessions/forward.h"

#include <stdbool.h>

struct app;
struct stream;
typedef struct sessions sessions;

/* A live verdict (enrol or verify) on a stream, as the live controller reports it. */
typedef struct {
    const char *mode;        /* "verify" or "enroll" */
    const char *verdict;     /* "verified", "not_sure", "not_verified", "enrolled", ... */
    double score;            /* 0-100 (verify) */
    double speech_s;         /* net speech seconds so far */
    const char *external_id; /* the identity claimed / enrolled; NULL if none */
    const char *spoof;       /* countermeasure result ("bonafide", "spoof", ...); NULL: none */
    double spoof_score;      /* 0-100 */
} sessions_verdict;

/* Create the module (and its org-API forwarder from a->cfg's forward_* settings) and register
 * its sink on a->reg -- after the other sinks, so their final verdicts at stop still find the
 * session. NULL with err set on bad forwarding settings. */
sessions *sessions_new(struct app *a, char *err, size_t errcap);
/* Begin closing, just before the store closes: no more writes from outside store callbacks;
 * forwards in flight get SESSIONS_DRAIN_MS (their outcome is then only logged). done(arg)
 * runs once every handle is closed. */
#define SESSIONS_DRAIN_MS 2000
void sessions_close(sessions *ss, void (*done)(void *arg), void *arg);
/* After the store has closed (every store callback has run). */
void sessions_free(sessions *ss);

/* The session id of a live stream, for logs and stream details; NULL while it is still being
 * looked up (a few milliseconds after start) or when sessions is NULL. */
const char *sessions_stream_session_id(const sessions *ss, const struct stream *s);
/* The org-API forwarder's counters (zero when forwarding is off). */
void sessions_forward_stats(const sessions *ss, forward_stats *out);

/* Record a verdict of the stream with this uuid: appended to the session's verdict history,
 * audited, and forwarded to the org API when it is the configured verdict (once per session).
 * Works after the stream has ended too (the session is then found through its stream index). */
void sessions_on_verdict(sessions *ss, const char *stream_uuid, const sessions_verdict *v);

#endif
