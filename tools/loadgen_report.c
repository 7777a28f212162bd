/* loadgen_report.c -- the load generator's report as JSON and as text. See loadgen.h. */
#include <stdio.h>

#include "tools/loadgen.h"

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

static void hist_json(FILE *f, const char *name, const lathist *h, const char *sep)
{
    fprintf(f, "\"%s\":{\"count\":%llu,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
               "\"mean_ms\":%.3f}%s",
            name, (unsigned long long)lathist_count(h), ms(lathist_percentile(h, 50)),
            ms(lathist_percentile(h, 99)), ms(lathist_max(h)), lathist_mean(h) / 1000.0, sep);
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", (unsigned char)*s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

void loadgen_report_json(const loadgen_report *r, FILE *f)
{
    fprintf(f,
            "{\"streams\":{\"requested\":%d,\"connected\":%d,\"held\":%d,\"completed\":%d,"
            "\"ended_early\":%d,\"refused\":%d,\"failed_connect\":%d},"
            "\"messages_sent\":%llu,\"media_sent\":%llu,\"media_expected\":%llu,",
            r->requested, r->connected, r->held, r->completed, r->ended_early, r->refused,
            r->failed_connect, (unsigned long long)r->messages_sent,
            (unsigned long long)r->media_sent, (unsigned long long)r->media_expected);
    hist_json(f, "send_lag", &r->send_lag, ",");
    fprintf(f, "\"max_pending_bytes\":%zu,", r->max_pending_bytes);
    fprintf(f,
            "\"window_s\":%.3f,\"wall_s\":%.3f,\"gateway\":{\"pid\":%d,\"cpu_s\":%.3f,"
            "\"cores\":%.4f,\"cpu_per_stream_s\":%.6f,\"rss_idle_kb\":%llu,\"rss_kb\":%llu,"
            "\"rss_max_kb\":%llu,\"rss_per_stream_kb\":%.2f,\"latency_available\":%s,"
            "\"dropped_audio\":%llu,\"webhooks_lost\":%llu,",
            r->window_s, r->wall_s, (int)r->gateway_pid, r->gw_cpu_s, r->gw_cores,
            r->gw_cpu_per_stream_s, (unsigned long long)r->gw_rss_idle_kb,
            (unsigned long long)r->gw_rss_kb, (unsigned long long)r->gw_rss_max_kb,
            r->gw_rss_per_stream_kb, r->latency_available ? "true" : "false",
            (unsigned long long)r->gw_dropped_audio, (unsigned long long)r->gw_webhooks_lost);
    hist_json(f, "media_to_worker", &r->media_to_worker, ",");
    hist_json(f, "request", &r->request, "},");
    fprintf(f, "\"webhooks\":{\"received\":%llu,\"bad\":%llu,\"without_sent_at\":%llu,"
               "\"streams\":%llu,\"results\":{",
            (unsigned long long)r->webhooks, (unsigned long long)r->webhooks_bad,
            (unsigned long long)r->webhooks_no_sent_at, (unsigned long long)r->webhook_streams);
    for (size_t i = 0; i < r->n_results; i++) {
        json_string(f, r->results[i].name);
        fprintf(f, ":%llu%s", (unsigned long long)r->results[i].count,
                i + 1 < r->n_results ? "," : "");
    }
    fprintf(f, "},");
    hist_json(f, "delivery", &r->webhook_delivery, ",");
    hist_json(f, "interval", &r->webhook_interval, ",");
    fprintf(f, "\"verdict_p99_ms\":%.3f},\"generator\":{\"cpu_s\":%.3f,\"cpu_per_stream_s\":%.6f},"
               "\"errors\":%llu,\"error\":",
            r->verdict_p99_ms, r->self_cpu_s, r->self_cpu_per_stream_s,
            (unsigned long long)r->errors);
    json_string(f, r->error);
    fprintf(f, ",\"pass\":%s,\"why\":", r->pass ? "true" : "false");
    json_string(f, r->why);
    fprintf(f, "}\n");
    fflush(f);
}

static void hist_text(FILE *f, const char *name, const lathist *h)
{
    if (!lathist_count(h)) {
        fprintf(f, "  %-22s no samples\n", name);
        return;
    }
    fprintf(f, "  %-22s p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms  (%llu samples)\n", name,
            ms(lathist_percentile(h, 50)), ms(lathist_percentile(h, 99)), ms(lathist_max(h)),
            (unsigned long long)lathist_count(h));
}

void loadgen_report_text(const loadgen_report *r, FILE *f)
{
    fprintf(f, "load: %d streams requested, %d connected, %d held in the window, %d completed, "
               "%d ended early, %d refused\n",
            r->requested, r->connected, r->held, r->completed, r->ended_early, r->refused);
    fprintf(f, "  messages sent %llu (media %llu of %llu expected); window %.1f s of %.1f s\n",
            (unsigned long long)r->messages_sent, (unsigned long long)r->media_sent,
            (unsigned long long)r->media_expected, r->window_s, r->wall_s);
    hist_text(f, "send lag", &r->send_lag);
    fprintf(f, "  most bytes waiting on one connection's socket: %zu\n", r->max_pending_bytes);
    fprintf(f, "  gateway pid %d: %.3f CPU s in the window = %.3f cores, %.3f ms CPU per "
               "stream-second\n",
            (int)r->gateway_pid, r->gw_cpu_s, r->gw_cores, r->gw_cpu_per_stream_s * 1000.0);
    fprintf(f, "  gateway RSS %llu kB (idle %llu kB, peak %llu kB): %.1f kB per stream\n",
            (unsigned long long)r->gw_rss_kb, (unsigned long long)r->gw_rss_idle_kb,
            (unsigned long long)r->gw_rss_max_kb, r->gw_rss_per_stream_kb);
    if (r->latency_available) {
        hist_text(f, "media-to-worker", &r->media_to_worker);
        hist_text(f, "enrol/verify request", &r->request);
        fprintf(f, "  audio blocks dropped by the workers: %llu; webhooks dropped or failed: %llu\n",
                (unsigned long long)r->gw_dropped_audio, (unsigned long long)r->gw_webhooks_lost);
    } else
        fprintf(f, "  gateway latency: GET /debug/latency did not answer\n");
    if (r->webhooks) {
        fprintf(f, "  webhooks: %llu from %llu streams (%llu without X-Callprint-Sent-At)\n",
                (unsigned long long)r->webhooks, (unsigned long long)r->webhook_streams,
                (unsigned long long)r->webhooks_no_sent_at);
        for (size_t i = 0; i < r->n_results; i++)
            fprintf(f, "    %-20s %llu\n", r->results[i].name,
                    (unsigned long long)r->results[i].count);
        hist_text(f, "webhook delivery", &r->webhook_delivery);
        hist_text(f, "webhook interval", &r->webhook_interval);
        fprintf(f, "  verdict latency p99 (request p99 + delivery p99): %.2f ms\n",
                r->verdict_p99_ms);
    }
    fprintf(f, "  generator: %.3f CPU s in the window, %.3f ms per stream-second\n",
            r->self_cpu_s, r->self_cpu_per_stream_s * 1000.0);
    if (r->errors)
        fprintf(f, "  errors: %llu (first: %s)\n", (unsigned long long)r->errors, r->error);
    fprintf(f, "%s%s\n", r->pass ? "PASS" : "FAIL: ", r->pass ? "" : r->why);
}
