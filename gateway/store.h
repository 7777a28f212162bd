/* store.h -- call sessions, voiceprints, the customer directory and the audit trail, in Redis.
 *
 * Every gateway node shares one Redis, so a session started on one node can be read on another
 * and every node can verify every customer. The store runs on the loop thread through hiredis
 * async (store_redis.c): nothing blocks, every call answers through a callback.
 *
 * Durability contract (store_redis.h has the mechanics):
 *   - A write's callback runs only after Redis acknowledged it. Report "voiceprint created" from
 *     that callback, never before.
 *   - While Redis is down or restarting, writes wait in a bounded queue and are re-sent on
 *     reconnect, in order. A full queue fails the write at once (STORE_OVERFLOW, counted).
 *   - Reads while Redis is down fail at once with STORE_UNAVAILABLE; callers degrade (e.g. a
 *     verify without a voiceprint reports "not_sure") instead of waiting.
 *   - store_state() is STORE_LINK_CONNECTED / _CONNECTING / _DOWN; health reports anything but
 *     connected as degraded.
 *
 * Keys (P = options.prefix, default "callprint:"):
 *   P session:<session_id>            hash: the session fields below (+ any extra pairs)
 *   P session:<session_id>:verdicts   stream, capped (MAXLEN ~ verdict_history_max): one entry per
 *                                     verdict {verdict, score, speech_s, mode}
 *   P session:by-contact:<ContactId>  string -> session_id
 *   P session:by-callsid:<callSid>    string -> session_id
 *   P session:by-stream:<stream uuid> string -> session_id
 *   P session:by-caller:<E.164>       string -> the caller's most recently saved session_id
 *       Every session key expires session_ttl_s after the session was last written.
 *   P voiceprint:<external_id>        hash: blob, enc ("none" | "aes-256-gcm"), kid, created_ms,
 *                                     stream_uuid, speech_s, stamp (random, new at each write),
 *                                     last_accessed_ms (store_speaker.h)
 *   P voiceprints                     set of every external_id with a voiceprint (count, scan)
 *   P directory                       hash: E.164 phone number -> external_id
 *   P audit                           stream, capped (MAXLEN ~ audit_max): {event, stream,
 *                                     session, detail}
 *
 * Session fields: session_id, stream_uuid, stream_sid, call_sid, caller, caller_status
 * ("known" / "anonymous" / "invalid" / "unknown"), external_id, dialled, contact_id, channel,
 * network_type, location, start_time, end_time, status, dtmf, forward_status, last_verdict,
 * last_score. store_session_save() is an upsert: given fields overwrite, and a field given
 * neither now nor before is stored as "NA" (the MoCaaS paper: missing optional attributes default to
 * "NA"); dtmf defaults to "" and status to "created". So a Connect event and the stream start can
 * arrive in either order and both fill the same session.
 *
 * Voiceprint encryption: with options.voiceprint_key (32 bytes as 64 hex digits or base64), blobs
 * are sealed with AES-256-GCM (OpenSSL EVP), a random 12-byte IV per write, the external_id as
 * additional authenticated data (a blob copied to another customer's key fails to open), and the
 * key id (first 8 hex digits of SHA-256(key)) stored beside it. Reading an encrypted blob with no
 * key, another key, or after tampering fails with STORE_CRYPTO and a sentence saying which. With
 * a key configured, a plaintext blob is refused too (re-import it to encrypt it).
 */
#ifndef CALLPRINT_STORE_H
#define CALLPRINT_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct store store;

typedef enum { STORE_LINK_DOWN = 0, STORE_LINK_CONNECTING, STORE_LINK_CONNECTED } store_link_state;

typedef enum {
    STORE_OK = 0,
    STORE_NOT_FOUND,   /* no such session / voiceprint / directory entry */
    STORE_EXISTS,      /* import in skip mode: a voiceprint is already there */
    STORE_UNAVAILABLE, /* Redis is not connected (reads), or the link dropped mid-read */
    STORE_OVERFLOW,    /* the write queue is full; nothing was written */
    STORE_CRYPTO,      /* a voiceprint cannot be decrypted with the configured key */
    STORE_INVALID,     /* bad argument (empty id, ...) */
    STORE_ERROR,       /* Redis answered with an error, out of memory */
    STORE_CLOSED,      /* the store was closed before the operation completed */
    STORE_OPTED_OUT    /* the speaker opted out: no voiceprint may be stored (store_speaker.h) */
} store_status;
#define STORE_OPTED_OUT_WHY \
    "the speaker opted out: no voiceprint is kept or enrolled until an administrator removes the opt-out"


typedef struct {
    const char *url;          /* CALLPRINT_REDIS_URL; NULL = "redis://127.0.0.1:6379/0" */
    const char *prefix;       /* NULL = "callprint:" */
    unsigned session_ttl_s;   /* 0 = 604800 (7 days) */
    size_t verdict_history_max; /* 0 = 3600 entries per session */
    size_t audit_max;         /* 0 = 100000 entries */
    const char *voiceprint_key; /* CALLPRINT_VOICEPRINT_KEY; NULL or "" = stored in clear */
    /* Link (store_redis.h); 0 = default. */
    unsigned connect_timeout_ms; /* 2000 */
    unsigned command_timeout_ms; /* 3000 */
    unsigned backoff_min_ms;     /* 100 */
    unsigned backoff_max_ms;     /* 5000 */
    size_t queue_max_ops;        /* 10000 */
    size_t queue_max_bytes;      /* 64 MiB */
    unsigned close_drain_ms;     /* 0 = 2000: store_close() waits this long for queued writes */
} store_options;

typedef struct {
    store_link_state state;
    size_t queued_ops, queued_bytes; /* writes not yet acknowledged */
    uint64_t connects;               /* successful handshakes */
    uint64_t writes_acked, writes_failed, overflows, reads_failed;
} store_stats;

/* Completion of a write or existence check. err is a sentence when st != STORE_OK. */
typedef void store_done_cb(void *arg, store_status st, const char *err);
/* A string answer (session id from an index, external_id from the directory); NULL unless OK. */
typedef void store_id_cb(void *arg, store_status st, const char *id, const char *err);
typedef void store_count_cb(void *arg, store_status st, uint64_t count, const char *err);
/* One page of a cursor listing: n strings (valid during the call). next_cursor == 0: done. */
typedef void store_page_cb(void *arg, store_status st, uint64_t next_cursor,
                           const char *const *items, size_t n, const char *err);

/* Open the store and start connecting (the first connection is not awaited). NULL with err set
 * on bad options (URL, key). */
store *store_open(uv_loop_t *loop, const store_options *opt, char *err, size_t errcap);
/* Wait up to close_drain_ms for queued writes, fail the rest with STORE_CLOSED, release
 * everything; `done` (may be NULL) runs from the loop when the last handle is closed. */
void store_close(store *s, void (*done)(void *arg), void *arg);
store_link_state store_state(const store *s);
const char *store_state_name(store_link_state st); /* "connected", "connecting", "down" */
void store_get_stats(const store *s, store_stats *out);
const char *store_strerror(store_status st);

/* ---- sessions ---------------------------------------------------------------------------- */

typedef struct {
    const char *session_id; /* required */
    const char *stream_uuid, *stream_sid, *call_sid;
    const char *caller, *caller_status, *external_id;
    const char *dialled, *contact_id, *channel;
    const char *network_type, *location;
    const char *start_time, *end_time; /* RFC 3339 UTC; start defaults to now */
    const char *status;                /* "created", "streaming", "ended", ... */
    const char *dtmf;                  /* all digits so far (the whole string each time) */
    const char *forward_status;        /* org-API forward result ("200", "failed: ...") */
    const char *const *extra;          /* n_extra key/value pairs stored as given (custom
                                          parameters, Connect attributes); keys must not be
                                          the names above */
    size_t n_extra;
} store_session;

typedef struct {
    const char *id; /* Redis stream entry id ("<ms>-<seq>") */
    const char *verdict, *score, *speech_s, *mode;
} store_verdict;

/* A session as read back: every hash field, and the verdict history oldest first. */
typedef struct {
    const char *const *fields; /* n_fields key/value pairs */
    size_t n_fields;
    const store_verdict *verdicts;
    size_t n_verdicts;
} store_session_view;

typedef void store_session_cb(void *arg, store_status st, const store_session_view *v,
                              const char *err);

/* Upsert (see the header comment); refreshes the expiry and the indexes of the ids given. */
int store_session_save(store *s, const store_session *sess, store_done_cb *cb, void *arg);
/* Append a verdict to the history and set last_verdict / last_score. mode may be NULL. */
int store_session_add_verdict(store *s, const char *session_id, const char *verdict, double score,
                              double speech_s, const char *mode, store_done_cb *cb, void *arg);
/* The spoofing countermeasure's latest result on the session: fields spoof, spoof_score. */
int store_session_set_spoof(store *s, const char *session_id, const char *spoof, double score,
                            store_done_cb *cb, void *arg);
int store_session_get(store *s, const char *session_id, store_session_cb *cb, void *arg);
/* Value of a field in a view, NULL if absent. */
const char *store_view_field(const store_session_view *v, const char *name);

/* Joining a stream to its session: by the session_id custom parameter directly, else by
 * ContactId, else by the caller's number (the latest session saved for that E.164 number). */
typedef enum { STORE_BY_CONTACT_ID, STORE_BY_CALL_SID, STORE_BY_STREAM_UUID, STORE_BY_CALLER } store_index;
int store_session_find(store *s, store_index by, const char *key, store_id_cb *cb, void *arg);

/* ---- voiceprints --------------------------------------------------------------------------- */

typedef struct {
    const char *external_id;
    const uint8_t *blob;
    size_t len;
    int64_t created_ms;      /* 0 on save = now */
    const char *stream_uuid; /* enrolment stream, NULL = "NA" */
    double speech_s;         /* net speech in the enrolment */
    const char *stamp;       /* read: changes with every write (store_voiceprint_stamp) */
    int64_t last_accessed_ms; /* read: last enrolment or successful verification (0 = unknown) */
} store_voiceprint;

typedef enum { STORE_PUT_OVERWRITE = 0, STORE_PUT_SKIP_EXISTING } store_put_mode;

/* vp (and its blob) valid only during the call; NULL unless st == STORE_OK. */
typedef void store_voiceprint_cb(void *arg, store_status st, const store_voiceprint *vp,
                                 const char *err);
/* One page of a scan: n voiceprints with their own status (STORE_CRYPTO for one that does not
 * decrypt; its blob is then NULL). next_cursor == 0 means the scan is complete. */
typedef void store_scan_cb(void *arg, store_status st, uint64_t next_cursor,
                           const store_voiceprint *vps, const store_status *item_status,
                           size_t n, const char *err);

/* Save (enrolment: OVERWRITE; import: either). Skip mode answers STORE_EXISTS when present;
 * an opted-out speaker (store_speaker.h) gets STORE_OPTED_OUT in both modes. */
int store_voiceprint_put(store *s, const store_voiceprint *vp, store_put_mode mode,
                         store_done_cb *cb, void *arg);
/* STORE_OPTED_OUT instead of STORE_NOT_FOUND when the speaker opted out. */
int store_voiceprint_get(store *s, const char *external_id, store_voiceprint_cb *cb, void *arg);
int store_voiceprint_exists(store *s, const char *external_id, store_done_cb *cb, void *arg);
/* The current stamp of external_id's voiceprint (id = the stamp): a value that changes with
 * every write (enrolment, import, restore), STORE_NOT_FOUND once it is deleted. One small read,
 * for callers that cache a voiceprint and must notice it was replaced or deleted, also by
 * another gateway process. */
int store_voiceprint_stamp(store *s, const char *external_id, store_id_cb *cb, void *arg);
int store_voiceprint_delete(store *s, const char *external_id, store_done_cb *cb, void *arg);
int store_voiceprint_count(store *s, store_count_cb *cb, void *arg);
/* Export: call with cursor 0, then with each next_cursor until it is 0. `count` is a hint for
 * the page size (Redis SSCAN COUNT). An id may appear twice across pages (SSCAN semantics). */
int store_voiceprint_scan(store *s, uint64_t cursor, size_t count, store_scan_cb *cb, void *arg);
/* Listing for the API: external_ids only (items[i]), same cursor rules. */
int store_voiceprint_list(store *s, uint64_t cursor, size_t count, store_page_cb *cb, void *arg);

/* ---- customer directory -------------------------------------------------------------------- */

/* phone must already be E.164 (protocol/phone.h). */
int store_directory_set(store *s, const char *phone, const char *external_id, store_done_cb *cb,
                        void *arg);
int store_directory_get(store *s, const char *phone, store_id_cb *cb, void *arg);
int store_directory_delete(store *s, const char *phone, store_done_cb *cb, void *arg);
/* Listing: items are n/2 pairs (items[2i] = phone, items[2i+1] = external_id). */
int store_directory_list(store *s, uint64_t cursor, size_t count, store_page_cb *cb, void *arg);

/* ---- audit trail ----------------------------------------------------------------------------- */

/* event: "stream_start", "stream_stop", "enrol", "verify", "forward", "auth_failure", ...
 * stream/session/detail may be NULL. Queued like every write; cb may be NULL. */
int store_audit(store *s, const char *event, const char *stream, const char *session,
                const char *detail, store_done_cb *cb, void *arg);
/* Read it back in time order (store_audit.c): XRANGE start end COUNT count, e.g. "-" "+" or
 * "1764806400000" "(1764806400000-3". Each entry is 4 items: id, event, stream, detail;
 * next_cursor is 1 when the page was full (ask again from "(" + the last id), 0 at the end. */
int store_audit_read(store *s, const char *start, const char *end, size_t count,
                     store_page_cb *cb, void *arg);

/* ---- Amazon Connect contacts ---------------------------------------------------------------- */

struct connect_event; /* protocol/connect.h */

typedef struct {
    const char *default_cc;  /* phone_options for the caller number (see protocol/phone.h) */
    const char *idd_prefix;
    const char *trunk_prefix;
    const char *const *extra; /* n_extra key/value pairs added to the response, e.g.
                                 {"stream_url", "wss://gw.example.com/stream"} */
    size_t n_extra;
} store_contact_options;

/* response: the flat JSON string map for the contact flow (< 32 KB), NUL-terminated; valid
 * during the call. session_id is the session created or updated. */
typedef void store_contact_cb(void *arg, store_status st, const char *response,
                              const char *session_id, const char *err);

/* POST /api/v2/connect/contact: normalise the caller (protocol/phone.h), look the number up in
 * the customer directory (known -> external_id; otherwise anonymous, or invalid when the number
 * is not a phone number), save the session -- session_id from Attributes.session_id, else
 * Parameters.session_id, else the ContactId, so a retried Lambda call updates the same session --
 * with ContactId, caller, dialled number, channel, start time, network_type and location ("NA" if
 * absent), every attribute as "attr.<key>" and every parameter as "param.<key>"; and, once Redis
 * has acknowledged it, answer {session_id, contact_id, caller, caller_status, caller_known,
 * external_id, ...extra}. Fails fast with STORE_UNAVAILABLE when Redis is not connected (answer
 * 503), STORE_INVALID when the response would exceed 32 KB. Also writes a "contact" audit entry. */
int store_contact_register(store *s, const struct connect_event *ev,
                           const store_contact_options *opt, store_contact_cb *cb, void *arg);

/* Every public function that takes a callback returns 0 when the operation was started, or -1
 * after having called cb with the reason (so callers need only handle the callback). */

#endif
