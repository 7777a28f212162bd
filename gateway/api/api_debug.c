/* api_debug.c -- GET /debug/latency: the raw latency histograms the load generator reads.
 *
 * The benchmarks' media-to-worker and verdict latencies are measured inside the gateway
 * (workers.h, webhook.h); the load generator (loadgen.h) fetches them before and after a
 * run and subtracts. The body is JSON so it can carry the exact histogram (lathist.h's
 * buckets), which Prometheus buckets on /metrics would round:
 *
 *   {"uptime_ms":..,"workers":N,"streams":N,"dropped_audio":N,
 *    "media_to_worker":{lathist},"request":{lathist},
 *    "webhooks":{"sent":..,"delivered":..,"failed":..,"dropped":..,"queued":..}}
 *
 * Like /metrics it needs no token: it holds counters only (no ids, no audio, no secrets).
 * The histograms are empty when the gateway runs without a model (no workers).
 */
#include <stdio.h>
#include <stdlib.h>

#include "api/api.h"
#include "core/app.h"
#include "common/lathist.h"

#define DEBUG_BODY_MAX (2 * 32 * LATHIST_BUCKETS + 1024)

static int write_hist(char *buf, size_t cap, size_t *len, const char *name, const lathist *h)
{
    int n = snprintf(buf + *len, cap - *len, ",\"%s\":", name);
    if (n < 0 || (size_t)n >= cap - *len)
        return -1;
    *len += (size_t)n;
    n = lathist_to_json(h, buf + *len, cap - *len);
    if (n < 0)
        return -1;
    *len += (size_t)n;
    return 0;
}

static http_result get_latency(http_req *req, void *ud)
{
    app *a = ud;
    static lathist media, request; /* loop thread only; 10 KB kept off the stack */
    lathist_init(&media);
    lathist_init(&request);
    uint64_t dropped = 0;
    int nw = workers_count(a->workers);
    for (int i = 0; i < nw; i++) {
        workers_stats st;
        workers_get_stats(a->workers, i, &st);
        dropped += st.dropped;
    }
    workers_get_latency(a->workers, &media, &request);
    webhook_stats ws = {0};
    webhook_get_stats(a->webhooks, &ws);
    char *buf = malloc(DEBUG_BODY_MAX);
    if (!buf) {
        http_reply_error(req, 500, "out of memory");
        return HTTP_DONE;
    }
    int n = snprintf(buf, DEBUG_BODY_MAX,
                     "{\"uptime_ms\":%llu,\"workers\":%d,\"streams\":%zu,\"dropped_audio\":%llu",
                     (unsigned long long)app_uptime_ms(a), nw, registry_count(a->reg),
                     (unsigned long long)dropped);
    size_t len = n > 0 ? (size_t)n : 0;
    if (n < 0 || write_hist(buf, DEBUG_BODY_MAX, &len, "media_to_worker", &media) != 0 ||
        write_hist(buf, DEBUG_BODY_MAX, &len, "request", &request) != 0 ||
        (n = snprintf(buf + len, DEBUG_BODY_MAX - len,
                      ",\"webhooks\":{\"sent\":%llu,\"delivered\":%llu,\"failed\":%llu,"
                      "\"dropped\":%llu,\"queued\":%zu}}",
                      (unsigned long long)ws.sent, (unsigned long long)ws.delivered,
                      (unsigned long long)ws.failed, (unsigned long long)ws.dropped, ws.queued)) <
            0 ||
        (size_t)n >= DEBUG_BODY_MAX - len) {
        free(buf);
        http_reply_error(req, 500, "latency report too large");
        return HTTP_DONE;
    }
    http_reply_json(req, 200, buf);
    free(buf);
    return HTTP_DONE;
}

void api_debug_register(struct app *a)
{
    http_route(a->router, "GET", "/debug/latency", get_latency, a);
}
