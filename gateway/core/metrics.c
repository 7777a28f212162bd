/* metrics.c -- /metrics and /readyz from the modules' own counters. See metrics.h.
 *
 * A scrape renders into one growing buffer: a family is its HELP and TYPE lines followed by
 * its samples (text format 0.0.4). Counters that a module keeps per bucket (the webhook
 * latency histogram) are made cumulative here, as Prometheus expects. Label values are
 * fixed names from the code (reasons, kinds, results), never user input, so they need no
 * escaping.
 */
#include "core/metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/app.h"
#include "live/live.h"
#include "common/log.h"
#include "sessions/sessions.h"
#include "http/wsecret.h"

typedef struct {
    char *buf;
    size_t len, cap;
    bool oom;
} mbuf;

static void put(mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(mbuf *b, const char *fmt, ...)
{
    for (;;) {
        if (b->oom)
            return;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *nb = realloc(b->buf, cap);
        if (!nb) {
            b->oom = true;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
}

/* Integers exactly (counters), fractions with microsecond precision. */
static void value(mbuf *b, double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        put(b, "%.0f\n", v);
    else
        put(b, "%.6f\n", v);
}

/* HELP and TYPE of a family. */
static void family(mbuf *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP callprint_%s %s\n# TYPE callprint_%s %s\n", name, help, name, type);
}

static void one(mbuf *b, const char *name, const char *type, const char *help, double v)
{
    family(b, name, type, help);
    put(b, "callprint_%s ", name);
    value(b, v);
}

/* Resident set size from /proc/self/statm (pages); 0 when unknown. */
static double rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (!f)
        return 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return n == 2 ? (double)resident * (double)sysconf(_SC_PAGESIZE) : 0;
}

static void render_process(mbuf *b, app *a)
{
    family(b, "build_info", "gauge", "Version of the running gateway (value 1).");
    put(b, "callprint_build_info{version=\"%s\"} 1\n", CALLPRINT_VERSION);
    one(b, "uptime_seconds", "gauge", "Seconds since the gateway started.",
        (double)app_uptime_ms(a) / 1000.0);
    one(b, "resident_memory_bytes", "gauge", "Resident set size of the process.", rss_bytes());
    one(b, "ready", "gauge", "1 when /readyz answers 200.", metrics_not_ready(a) ? 0 : 1);
    one(b, "maintenance", "gauge", "1 while new streams are refused (maintenance or stopping).",
        registry_maintenance(a->reg) ? 1 : 0);
    one(b, "model_loaded", "gauge", "1 when the biometric model is loaded.", a->model ? 1 : 0);
}

static void render_streams(mbuf *b, app *a)
{
    const registry_stats *rs = registry_get_stats(a->reg);
    one(b, "streams_active", "gauge", "Streams running now.", (double)registry_count(a->reg));
    one(b, "streams_max", "gauge", "Configured stream capacity (max_streams).",
        (double)registry_max(a->reg));
    one(b, "streams_started_total", "counter", "Streams admitted.", (double)rs->started);
    one(b, "streams_refused_total", "counter",
        "Stream starts refused (capacity, duplicate, maintenance).", (double)rs->refused);
    family(b, "streams_ended_total", "counter", "Streams ended, by reason.");
    for (int r = STREAM_END_STOP; r <= STREAM_END_FORCED; r++)
        put(b, "callprint_streams_ended_total{reason=\"%s\"} %llu\n",
            stream_end_reason_name((stream_end_reason)r), (unsigned long long)rs->ended_by[r]);
}

static void render_media(mbuf *b, app *a)
{
    const media_stats *m = media_get_stats(a->media);
    one(b, "ws_connections_total", "counter", "WebSocket connections opened on /stream.",
        (double)m->connections);
    one(b, "ws_messages_total", "counter", "WebSocket messages received on /stream.",
        (double)m->messages);
    one(b, "media_messages_total", "counter", "Media messages accepted (all tracks).",
        (double)m->media);
    one(b, "media_bytes_total", "counter", "Decoded G.711 audio bytes received (8000 a second).",
        (double)m->media_bytes);
    one(b, "media_gaps_total", "counter", "Timestamp gaps in media.", (double)m->gaps);
    one(b, "media_gap_seconds_total", "counter", "Total length of the gaps.",
        (double)m->gap_ms / 1000.0);
    one(b, "media_out_of_order_total", "counter", "Media messages out of order.",
        (double)m->out_of_order);
    one(b, "messages_refused_total", "counter", "Messages answered with an error.",
        (double)m->bad_messages);
    one(b, "stream_timeouts_total", "counter", "Streams ended by inactivity.",
        (double)m->timeouts);
    one(b, "replies_dropped_total", "counter", "Replies dropped on a full outbound queue.",
        (double)m->replies_dropped);
    family(b, "decode_errors_total", "counter", "Messages that could not be decoded, by kind.");
    for (int k = 0; k < MEDIA_DECODE_KINDS; k++)
        put(b, "callprint_decode_errors_total{kind=\"%s\"} %llu\n",
            k == MEDIA_DECODE_BINARY ? "binary_frame" : tw_status_name((tw_status)k),
            (unsigned long long)m->decode_errors[k]);
}

static void render_workers(mbuf *b, app *a)
{
    int n = a->workers ? workers_count(a->workers) : 0;
    static const struct {
        const char *name, *type, *help;
    } fam[] = {
        {"worker_queue_depth", "gauge", "Audio jobs waiting, per worker."},
        {"worker_queue_max_depth", "gauge", "Deepest the queue has been, per worker."},
        {"worker_streams", "gauge", "Streams pinned to the worker."},
        {"worker_audio_dropped_total", "counter", "Audio blocks dropped on a full queue."},
        {"worker_requests_refused_total", "counter", "Enrol/verify requests refused (full)."},
        {"worker_jobs_total", "counter", "Jobs the worker finished."},
        {"worker_samples_total", "counter", "PCM samples fed to the engine."},
    };
    for (size_t f = 0; f < sizeof fam / sizeof fam[0]; f++) {
        family(b, fam[f].name, fam[f].type, fam[f].help);
        for (int w = 0; w < n; w++) {
            workers_stats st;
            workers_get_stats(a->workers, w, &st);
            const double v[] = {(double)st.depth, (double)st.max_depth, (double)st.streams,
                                (double)st.dropped, (double)st.refused, (double)st.jobs_done,
                                (double)st.samples};
            put(b, "callprint_%s{worker=\"%d\"} ", fam[f].name, w);
            value(b, v[f]);
        }
    }
}

static void render_webhooks(mbuf *b, app *a)
{
    webhook_stats w = {0};
    webhook_get_stats(a->webhooks, &w);
    one(b, "webhooks_sent_total", "counter", "Webhook bodies queued.", (double)w.sent);
    one(b, "webhooks_delivered_total", "counter", "Webhooks delivered (2xx).",
        (double)w.delivered);
    one(b, "webhooks_failed_total", "counter", "Webhooks given up after their attempts.",
        (double)w.failed);
    one(b, "webhooks_dropped_total", "counter", "Webhooks dropped (full queue, shutdown).",
        (double)w.dropped);
    one(b, "webhook_retries_total", "counter", "Delivery attempts beyond the first.",
        (double)w.retries);
    one(b, "webhooks_queued", "gauge", "Webhook bodies waiting or in flight.", (double)w.queued);
    one(b, "webhook_targets", "gauge", "Webhook receivers with a queue.", (double)w.targets);
    family(b, "webhook_latency_seconds", "histogram", "From queued to delivered.");
    uint64_t cum = 0;
    for (int i = 0; i < WEBHOOK_LATENCY_BUCKETS; i++) {
        cum += w.latency_count[i];
        if (i == WEBHOOK_LATENCY_BUCKETS - 1)
            put(b, "callprint_webhook_latency_seconds_bucket{le=\"+Inf\"} %llu\n",
                (unsigned long long)cum);
        else
            put(b, "callprint_webhook_latency_seconds_bucket{le=\"%g\"} %llu\n",
                webhook_latency_bounds[i], (unsigned long long)cum);
    }
    put(b, "callprint_webhook_latency_seconds_sum ");
    value(b, w.latency_sum);
    put(b, "callprint_webhook_latency_seconds_count %llu\n", (unsigned long long)cum);
}

static void render_redis(mbuf *b, app *a)
{
    store_stats s = {0};
    store_get_stats(a->store, &s);
    one(b, "redis_up", "gauge", "1 when the Redis link is connected.",
        s.state == STORE_LINK_CONNECTED ? 1 : 0);
    family(b, "redis_state", "gauge", "The Redis link's state (1 for the current one).");
    for (int st = STORE_LINK_DOWN; st <= STORE_LINK_CONNECTED; st++)
        put(b, "callprint_redis_state{state=\"%s\"} %d\n", store_state_name((store_link_state)st),
            s.state == (store_link_state)st);
    one(b, "redis_queued_writes", "gauge", "Writes not yet acknowledged by Redis.",
        (double)s.queued_ops);
    one(b, "redis_queued_bytes", "gauge", "Bytes of those writes.", (double)s.queued_bytes);
    one(b, "redis_connects_total", "counter", "Successful Redis handshakes.", (double)s.connects);
    one(b, "redis_writes_acked_total", "counter", "Writes acknowledged.", (double)s.writes_acked);
    one(b, "redis_writes_failed_total", "counter", "Writes failed.", (double)s.writes_failed);
    one(b, "redis_queue_overflows_total", "counter", "Writes refused on a full queue.",
        (double)s.overflows);
    one(b, "redis_reads_failed_total", "counter", "Reads failed.", (double)s.reads_failed);
}

static void render_live(mbuf *b, app *a)
{
    live_stats l = {0};
    if (a->live)
        live_get_stats(a->live, &l);
    family(b, "verdicts_total", "counter", "Verification states published, by result.");
    for (int r = 0; r < LIVE_VERDICTS; r++)
        put(b, "callprint_verdicts_total{result=\"%s\"} %llu\n", live_verdict_name(r),
            (unsigned long long)l.verdicts[r]);
    family(b, "enrolments_total", "counter", "Enrolments, by outcome.");
    put(b, "callprint_enrolments_total{outcome=\"created\"} %llu\n",
        (unsigned long long)l.enrol_created);
    put(b, "callprint_enrolments_total{outcome=\"exists\"} %llu\n",
        (unsigned long long)l.enrol_exists);
    put(b, "callprint_enrolments_total{outcome=\"spoofed\"} %llu\n",
        (unsigned long long)l.enrol_spoofed);
    family(b, "spoof_results_total", "counter",
           "Verification states published, by spoofing-countermeasure result.");
    for (int r = BIO_SPOOF_INSUFFICIENT_SPEECH; r <= BIO_SPOOF_SPOOF; r++)
        put(b, "callprint_spoof_results_total{result=\"%s\"} %llu\n",
            bio_spoof_verdict_name((bio_spoof_verdict)r), (unsigned long long)l.spoof_results[r]);
    one(b, "enrol_write_failures_total", "counter", "Voiceprint writes Redis refused.",
        (double)l.enrol_write_failed);
    one(b, "live_jobs_started_total", "counter", "Enrol/verify jobs started.",
        (double)l.jobs_started);
    one(b, "live_jobs_active", "gauge", "Enrol/verify jobs running.", (double)l.jobs_active);
    one(b, "subscriptions", "gauge", "Webhook subscriptions.", (double)l.subscriptions);
}

static void render_forwards(mbuf *b, app *a)
{
    forward_stats f;
    sessions_forward_stats(a->sessions, &f);
    family(b, "forwards_total", "counter", "Org-API forwards, by outcome.");
    put(b, "callprint_forwards_total{outcome=\"delivered\"} %llu\n",
        (unsigned long long)f.delivered);
    put(b, "callprint_forwards_total{outcome=\"failed\"} %llu\n", (unsigned long long)f.failed);
    put(b, "callprint_forwards_total{outcome=\"duplicate\"} %llu\n",
        (unsigned long long)f.duplicates);
    one(b, "forward_retries_total", "counter", "Org-API forward attempts beyond the first.",
        (double)f.retries);
    one(b, "forwards_in_progress", "gauge", "Org-API forwards not finished.",
        (double)f.in_progress);
}

char *metrics_render(app *a, size_t *len)
{
    mbuf b = {0};
    render_process(&b, a);
    render_streams(&b, a);
    render_media(&b, a);
    render_workers(&b, a);
    render_webhooks(&b, a);
    render_redis(&b, a);
    render_live(&b, a);
    render_forwards(&b, a);
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    *len = b.len;
    return b.buf;
}

const char *metrics_not_ready(const app *a)
{
    if (a->closing || (a->srv && server_draining(a->srv)))
        return "shutting down";
    if (!a->model)
        return "model not loaded";
    if (store_state(a->store) != STORE_LINK_CONNECTED)
        return store_state(a->store) == STORE_LINK_CONNECTING ? "redis connecting"
                                                                : "redis down";
    if (registry_maintenance(a->reg))
        return "maintenance";
    if (!wsecret_get(a->wsecret)) /* zero-integration webhooks would not be subscribed */
        return "webhook secret loading";
    return NULL;
}

static http_result get_metrics(http_req *req, void *ud)
{
    size_t len;
    char *text = metrics_render(ud, &len);
    if (!text) {
        http_reply_error(req, 500, "out of memory");
        return HTTP_DONE;
    }
    http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
    return HTTP_DONE;
}

static http_result get_readyz(http_req *req, void *ud)
{
    const char *why = metrics_not_ready(ud);
    char body[160];
    if (why)
        snprintf(body, sizeof body, "{\"ready\":false,\"reason\":\"%s\"}", why);
    else
        snprintf(body, sizeof body, "{\"ready\":true}");
    http_reply_json(req, why ? 503 : 200, body);
    return HTTP_DONE;
}

void metrics_register(app *a)
{
    http_route(a->router, "GET", "/metrics", get_metrics, a);
    http_route(a->router, "GET", "/readyz", get_readyz, a);
}
