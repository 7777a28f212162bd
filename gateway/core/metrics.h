/* metrics.h -- GET /metrics (Prometheus text format 0.0.4) and GET /readyz.
 *
 * Nothing is counted here: every module keeps its own counters (registry_get_stats,
 * media_get_stats, workers_get_stats, webhook_get_stats, store_get_stats, live_get_stats)
 * and this module only reads them when Prometheus scrapes, so the hot paths pay one
 * increment and no lock. The names, all prefixed callprint_, are listed with their meaning
 * in docs/ops.md; counters end in _total, histograms are cumulative (le buckets, _sum,
 * _count) as the format requires.
 *
 * Readiness (/readyz) is what a load balancer needs to send new calls here: 200 {"ready":
 * true} only when the model is loaded, Redis is connected, the gateway is not in
 * maintenance and not stopping; otherwise 503 with {"ready": false, "reason": "..."}.
 * Liveness (/healthz, server.c) stays 200 in all those states: restarting the process would
 * not fix any of them.
 */
#ifndef CALLPRINT_METRICS_H
#define CALLPRINT_METRICS_H

#include <stddef.h>

struct app;

/* Register GET /metrics and GET /readyz on the app's router. */
void metrics_register(struct app *a);

/* The metrics text (malloc'd, NUL-terminated; *len without the NUL). NULL when out of memory. */
char *metrics_render(struct app *a, size_t *len);

/* NULL when ready; otherwise a short reason ("model not loaded", "redis connecting", ...). */
const char *metrics_not_ready(const struct app *a);

#endif
