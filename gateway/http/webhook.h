/* webhook.h -- webhook delivery engine (HTTP POST of JSON bodies to subscribers).
 *
 * A subscriber ("target") is a URL + secret pair, optionally split further by a queue key
 * (webhook_send_keyed). Each target has its own bounded FIFO of bodies and at most one
 * delivery in flight, so a receiver sees the messages of one target in the order they were
 * sent, and a slow or dead receiver only ever delays its own queues: other targets have their
 * own queues, and every attempt has a timeout. The key says where order matters: live
 * biometrics key by subscription, so the webhooks of many calls to one receiver URL go out
 * side by side (up to max_inflight in total) while each call's own webhooks stay in order.
 *
 * Delivery: POST <url> with
 *     Content-Type: application/json
 *     User-Agent: callprint/<version>
 *     X-Callprint-Signature: t=<unix s>,sha256=<hex HMAC-SHA256(secret, "<t>." body)>
 *                                      (per attempt; omitted if no secret)
 *     X-Callprint-Delivery: <id>   (same id on every retry of one message)
 *     X-Callprint-Attempt: <n>     (1-based)
 *     X-Callprint-Sent-At: <s.us>  (wall clock, Unix seconds, when webhook_send queued it)
 * A 2xx answer is delivered. Connection errors, timeouts, 408, 429 and 5xx are retried up to
 * max_attempts in total with exponential backoff (base, 2*base, 4*base, ... capped); other
 * answers (3xx, 4xx) fail at once. When a target's queue is full the oldest waiting body is
 * dropped and counted. Targets are created on first send and freed when idle.
 *
 * Everything runs on the loop thread; webhook_send never blocks. The engine owns its own
 * http_client, so webhook traffic cannot starve other HTTP users (the org-API forwarder).
 */
#ifndef CALLPRINT_WEBHOOK_H
#define CALLPRINT_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "http/http_client.h"

typedef struct webhook webhook;

/* Outcome of one message, for logs and tests (optional). */
typedef struct {
    const char *url;
    uint64_t id;        /* delivery id */
    bool delivered;
    int attempts;
    long status;        /* last HTTP status (0 = none) */
    const char *error;  /* last error text, "" if none */
    double latency;     /* seconds from webhook_send to the final outcome */
    const char *key;    /* webhook_send_keyed's key ("" for webhook_send) */
} webhook_result;

typedef void (*webhook_result_cb)(const webhook_result *r, void *arg);

typedef struct {
    size_t queue_max;          /* bodies per target (default 64); oldest dropped beyond */
    size_t max_targets;        /* distinct targets at once (default 10000) */
    int max_attempts;          /* attempts per message, first included (default 3) */
    long backoff_base_ms;      /* delay before the 2nd attempt (default 500), doubled after */
    long backoff_max_ms;       /* cap of the delay (default 10000) */
    long timeout_ms;           /* total time of one attempt (default 5000) */
    long connect_timeout_ms;   /* (default 2000) */
    size_t max_inflight;       /* concurrent deliveries across targets (default 256) */
    http_tls_options tls;      /* CA file / client cert for every target; verify on */
    webhook_result_cb on_result; /* optional, called on the loop thread */
    void *on_result_arg;
} webhook_options;

/* Latency histogram (seconds from webhook_send to delivery), Prometheus-style upper bounds;
 * the last bucket is +Inf. Counts are per bucket (not cumulative). */
#define WEBHOOK_LATENCY_BUCKETS 12
extern const double webhook_latency_bounds[WEBHOOK_LATENCY_BUCKETS];

typedef struct {
    uint64_t sent;       /* accepted by webhook_send */
    uint64_t delivered;
    uint64_t failed;     /* gave up (attempts exhausted or non-retryable answer) */
    uint64_t dropped;    /* pushed out of a full queue, or pending at close */
    uint64_t retries;    /* attempts beyond the first */
    uint64_t latency_count[WEBHOOK_LATENCY_BUCKETS];
    double latency_sum;
    size_t targets;      /* live targets */
    size_t queued;       /* bodies waiting or in flight, all targets */
    size_t max_depth;    /* deepest target queue now */
    size_t inflight;
} webhook_stats;

webhook *webhook_new(uv_loop_t *loop, const webhook_options *opt);

/* Queue `body` (JSON, copied) for POST to url signed with secret (NULL/"" = unsigned).
 * Returns 0, or -1 for a bad URL, too many targets, or a closing engine. */
int webhook_send(webhook *w, const char *url, const char *secret, const char *body, size_t len);
/* The same on the FIFO named by key (NULL/"" = webhook_send's): order is kept per
 * (url, secret, key), and bodies of different keys are delivered concurrently. */
int webhook_send_keyed(webhook *w, const char *url, const char *secret, const char *key,
                       const char *body, size_t len);

void webhook_get_stats(const webhook *w, webhook_stats *out);
/* Bodies queued (incl. in flight) for one unkeyed target; 0 if it has none. */
size_t webhook_queue_depth(const webhook *w, const char *url, const char *secret);

/* Stop: waiting bodies are dropped (counted), in-flight deliveries get up to drain_ms, then
 * everything is freed and closed(arg) runs. Keep running the loop until then. */
void webhook_close(webhook *w, long drain_ms, void (*closed)(void *arg), void *arg);

#endif
