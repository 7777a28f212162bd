/* forward.h -- the org-API forwarder: a verified caller's request, POSTed to the organisation.
 *
 * When a call's session reaches the configured verdict (forward_on, default "verified"), the
 * session layer (sessions.c) builds the request body -- session metadata, verdict, score,
 * speech length, DTMF digits, custom parameters -- and hands it here. The forwarder POSTs it to
 * the organisation's endpoint over its own http_client (so forwards never queue behind
 * webhooks), with:
 *
 *   - authentication: "X-API-Key: <key>" or "Authorization: Bearer <token>", and optionally a
 *     client certificate (mutual TLS); peer and host verification always on, with an extra CA
 *     bundle when the org runs its own CA;
 *   - an idempotency key: "Idempotency-Key: <session_id>:<external_id>", identical on every
 *     retry and on every gateway node, so the organisation can drop duplicates; and locally no
 *     second forward for the same session and verdict (a bounded ring of recent keys);
 *   - a timeout per attempt and bounded retries with exponential backoff: transport errors,
 *     408, 425, 429 and 5xx are retried; any other status is final.
 *
 * The outcome reaches the caller's callback once per submitted forward: "200" (the status) on
 * success, "failed: HTTP 500 after 3 attempts" or "failed: <transport error> ..." otherwise.
 * The key and token are never logged.
 */
#ifndef CALLPRINT_FORWARD_H
#define CALLPRINT_FORWARD_H

#include <uv.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct forward forward;

typedef struct {
    const char *url;          /* https://... of the org endpoint; NULL or "" = forwarding off */
    const char *api_key;      /* sent as X-API-Key (secret) */
    const char *bearer_token; /* sent as Authorization: Bearer (secret) */
    const char *client_cert;  /* PEM client certificate for mutual TLS */
    const char *client_key;   /* its private key */
    const char *ca_file;      /* extra trusted CA bundle (PEM); NULL = system store */
    const char *on_verdict;   /* verdict that triggers a forward; NULL = "verified" */
    long timeout_ms;          /* per attempt; 0 = 5000 */
    int attempts;             /* 0 = 3 */
    unsigned backoff_ms;      /* delay before the first retry, doubled each time; 0 = 500 */
} forward_options;

/* Outcome of one forward. status: "200"-style on success, "failed: ..." otherwise. */
typedef void forward_done_cb(void *arg, const char *session_id, bool ok, long http_status,
                             int attempts, const char *status);

/* Counters for /metrics. */
typedef struct {
    uint64_t delivered; /* answered 2xx */
    uint64_t failed;    /* gave up (final status, attempts exhausted, shutdown) */
    uint64_t retries;   /* attempts beyond the first */
    uint64_t duplicates;/* refused: this session/verdict was already forwarded */
    size_t in_progress; /* submitted, not finished */
} forward_stats;

/* NULL with err set on bad options (non-HTTP(S) URL, key without certificate). */
forward *forward_new(uv_loop_t *loop, const forward_options *opt, char *err, size_t errcap);
bool forward_enabled(const forward *f);
/* True when this verdict should be forwarded. */
bool forward_wants(const forward *f, const char *verdict);

/* Forward `json` for a session. Returns 0 when started (cb runs later, on the loop), 1 when this
 * session/verdict was already forwarded (cb not called), -1 when forwarding is off or the
 * request could not be queued (cb not called). */
int forward_submit(forward *f, const char *session_id, const char *external_id, const char *verdict,
                   const char *json, forward_done_cb *cb, void *arg);

/* Stop: pending retries complete at once as failed ("shutdown"); transfers in flight get up
 * to drain_ms. closed(arg) runs when everything is released; keep running the loop until then.
 * forward_free() after that. */
void forward_close(forward *f, long drain_ms, void (*closed)(void *arg), void *arg);
void forward_free(forward *f);
void forward_get_stats(const forward *f, forward_stats *out);

#endif
