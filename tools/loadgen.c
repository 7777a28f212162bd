/* loadgen.c -- the load generator's run: streams, sampling, webhooks. See loadgen.h.
 *
 * One 5 ms repeating timer (tick) drives the run: it starts the streams that are due, takes
 * the samples at the window's two ends, enforces the deadline, and, once every stream has
 * ended (and webhooks have had a grace period to arrive), closes everything. Callbacks only
 * count; the report is computed at the end from the samples.
 */
#include "tools/loadgen.h"

#include "common/hash.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "g711.h"
#include "http/http_client.h"
#include "tools/loadgen_hook.h"
#include "tools/loadgen_proc.h"
#include "tools/loadgen_ws.h"
#include "twilio_sig.h"

#define MS 1000000ull
#define TICK_MS 5
#define SETTLE_MS 1000      /* after the ramp, before the window opens */
#define WINDOW_END_MS 300   /* the window closes this long before the first stream's end */
#define HOOK_GRACE_MS 1500  /* after the last stream, for the last webhooks */
#define DEADLINE_EXTRA_MS 10000
#define FRAME_SAMPLES 160
#define PARAMS_MAX 32
#define RSS_EVERY_TICKS 20  /* the RSS peak is sampled every 100 ms */

typedef struct {
    uint64_t last_hook_us, hooks;
} lg_stream;

typedef struct {
    lathist media, request;
    uint64_t dropped, hooks_dropped, hooks_failed;
    bool ok, pending;
} lg_snapshot;

typedef struct lg {
    uv_loop_t loop;
    uv_timer_t tick;
    lgws *ws;
    http_client *http;
    lg_hook *hook;
    const loadgen_opts *o;
    loadgen_report *r;
    uint8_t *ulaw; /* the audio looped to the duration, G.711 u-law */
    size_t n;
    lg_stream *st;  /* by index (per-stream URLs) or by uuid slot (one URL) */
    char (*uuids)[48];
    size_t n_slots; /* a power of two >= 2 * streams */
    int next_start, running; /* running: connections */
    int per_conn;
    uint64_t ticks;
    uint64_t t0_ns, deadline_ns, all_done_ns, from_ns, to_ns;
    int phase; /* 0 before the window, 1 in it, 2 after it */
    lgproc_sample idle, p1, p2;
    double self1, self2;
    int open1, open2;
    lg_snapshot s1, s2;
    bool closing;
    char url[2048], stats_url[512], host[300], sig[64];
    const char *path;
    struct sockaddr_in addr;
    tw_param tp[LGWS_PER_CONN_MAX][PARAMS_MAX];
} lg;

/* ---------- pure helpers ---------- */

uint64_t loadgen_start_offset_ns(int i, int n, int ramp_ms)
{
    if (n <= 1 || ramp_ms <= 0 || i <= 0)
        return 0;
    return (uint64_t)ramp_ms * MS * (uint64_t)i / (uint64_t)n;
}

int loadgen_window(int ramp_ms, int duration_ms, uint64_t *from, uint64_t *to)
{
    if (ramp_ms < 0 || duration_ms <= ramp_ms + SETTLE_MS + WINDOW_END_MS + 500)
        return -1;
    *from = (uint64_t)(ramp_ms + SETTLE_MS) * MS;
    *to = (uint64_t)(duration_ms - WINDOW_END_MS) * MS;
    return 0;
}

int16_t *loadgen_loop_pcm(const int16_t *pcm, size_t n, int ms, size_t *out_n)
{
    if (!pcm || n == 0 || ms <= 0)
        return NULL;
    size_t total = (size_t)ms * 8;
    int16_t *out = malloc(total * sizeof *out);
    if (!out)
        return NULL;
    for (size_t off = 0; off < total; off += n)
        memcpy(out + off, pcm, (total - off < n ? total - off : n) * sizeof *pcm);
    *out_n = total;
    return out;
}

static void set_error(loadgen_report *r, const char *msg)
{
    r->errors++;
    if (!r->error[0])
        snprintf(r->error, sizeof r->error, "%s", msg);
}

/* ---------- gateway latency snapshots (GET /debug/latency) ---------- */

static void on_stats(const http_response *res, void *arg)
{
    lg_snapshot *s = arg;
    s->pending = false;
    if (res->status != 200 || !res->body)
        return;
    cJSON *j = cJSON_ParseWithLength(res->body, res->body_len);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "dropped_audio");
    s->ok = j && lathist_from_json(&s->media, cJSON_GetObjectItemCaseSensitive(j,
                                                                   "media_to_worker")) == 0 &&
            lathist_from_json(&s->request, cJSON_GetObjectItemCaseSensitive(j, "request")) == 0;
    s->dropped = cJSON_IsNumber(d) ? (uint64_t)d->valuedouble : 0;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "webhooks");
    const cJSON *wd = cJSON_GetObjectItemCaseSensitive(w, "dropped");
    const cJSON *wf = cJSON_GetObjectItemCaseSensitive(w, "failed");
    s->hooks_dropped = cJSON_IsNumber(wd) ? (uint64_t)wd->valuedouble : 0;
    s->hooks_failed = cJSON_IsNumber(wf) ? (uint64_t)wf->valuedouble : 0;
    cJSON_Delete(j);
}

static void snapshot(lg *g, lg_snapshot *s)
{
    http_request req = {.url = g->stats_url, .timeout_ms = 5000, .max_response = 1 << 20};
    s->pending = http_client_request(g->http, &req, on_stats, s) == 0;
}

/* ---------- webhooks ---------- */

static void count_result(loadgen_report *r, const char *full)
{
    char name[sizeof r->results[0].name]; /* compared as stored: truncated */
    size_t len = strnlen(full, sizeof name - 1);
    memcpy(name, full, len);
    name[len] = '\0';
    for (size_t i = 0; i < r->n_results; i++)
        if (strcmp(r->results[i].name, name) == 0) {
            r->results[i].count++;
            return;
        }
    if (r->n_results < LOADGEN_RESULTS_MAX) {
        memcpy(r->results[r->n_results].name, name, len + 1);
        r->results[r->n_results++].count = 1;
    }
}

/* A Voice Verify webhook body by "<status> <payload.result>" (else its type, else "other"). */
static void classify(loadgen_report *r, const cJSON *j)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "payload");
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(p, "result");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "type");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
    char name[128];
    snprintf(name, sizeof name, "%.0f %s", cJSON_IsNumber(st) ? st->valuedouble : 0.0,
             cJSON_IsString(res)    ? res->valuestring
             : cJSON_IsString(type) ? type->valuestring
                                    : "other");
    count_result(r, name);
}

/* With one receiver URL for every stream, a webhook's stream is its payload.stream_uuid (else
 * channel_uuid): an open-addressing table of those uuids gives each stream a slot. */
static lg_stream *stream_by_uuid(lg *g, const cJSON *j)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "payload");
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(p, "stream_uuid");
    if (!cJSON_IsString(u))
        u = cJSON_GetObjectItemCaseSensitive(j, "channel_uuid");
    if (!cJSON_IsString(u) || !u->valuestring[0])
        return NULL;
    uint64_t h = hash_fnv_str(HASH_FNV_SEED, u->valuestring);
    for (size_t n = 0; n < g->n_slots; n++) {
        size_t i = (h + n) & (g->n_slots - 1);
        if (!g->uuids[i][0]) {
            snprintf(g->uuids[i], sizeof g->uuids[i], "%s", u->valuestring);
            return &g->st[i];
        }
        if (strncmp(g->uuids[i], u->valuestring, sizeof g->uuids[i] - 1) == 0)
            return &g->st[i];
    }
    return NULL; /* more uuids than slots: not counted per stream */
}

static void on_hook(void *ud, const char *path, const char *sent_at, const char *body, size_t len,
                    uint64_t arrival_us)
{
    lg *g = ud;
    loadgen_report *r = g->r;
    r->webhooks++;
    uint64_t sent = lg_parse_sent_at(sent_at);
    if (sent)
        lathist_add(&r->webhook_delivery, arrival_us > sent ? arrival_us - sent : 0);
    else
        r->webhooks_no_sent_at++;
    cJSON *j = cJSON_ParseWithLength(body, len);
    if (!j)
        r->webhooks_bad++;
    lg_stream *s = NULL;
    if (g->o->webhook_per_stream) {
        int i = strncmp(path, "/s/", 3) == 0 ? atoi(path + 3) : -1;
        s = i >= 0 && i < g->o->streams ? &g->st[i] : NULL;
    } else
        s = stream_by_uuid(g, j);
    if (s) {
        if (s->hooks++ == 0)
            r->webhook_streams++;
        else
            lathist_add(&r->webhook_interval, arrival_us - s->last_hook_us);
        s->last_hook_us = arrival_us;
    }
    classify(r, j);
    cJSON_Delete(j);
}

/* ---------- streams ---------- */

static void on_lag(void *arg, uint64_t lag_ns)
{
    lg *g = arg;
    lathist_add(&g->r->send_lag, lag_ns / 1000);
}

static void on_stream_done(void *ud, int index, int k, const lgws_summary *sum)
{
    lg *g = ud;
    loadgen_report *r = g->r;
    size_t frames = sum->frames;
    (void)index;
    if (sum->max_pending > r->max_pending_bytes)
        r->max_pending_bytes = sum->max_pending;
    r->messages_sent += sum->sent_messages;
    r->media_sent += sum->sent_media;
    if (sum->opened && !sum->http_status)
        r->connected += k;
    if (sum->http_status) {
        r->refused += k;
        set_error(r, "the gateway refused an upgrade");
    } else if (!sum->opened) {
        r->failed_connect += k;
        set_error(r, "a connection failed");
    } else if (sum->sent_media < frames || sum->server_closed ||
               (sum->close_code && sum->close_code != 1000)) {
        r->ended_early += k;
        set_error(r, "a stream ended before its audio did");
    } else
        r->completed += k;
    if (--g->running == 0 && g->next_start >= g->o->streams)
        g->all_done_ns = uv_hrtime();
}

/* Stream i's customParameters into tp (the user's, then external_id, mode, webhook). */
static int stream_params(lg *g, int i, tw_param *tp, size_t *n)
{
    const loadgen_opts *o = g->o;
    const char *kv[2 * PARAMS_MAX];
    size_t np = 0;
    char ext[256], hook[128];
    for (size_t k = 0; k < o->n_params && np < PARAMS_MAX - 3; k++, np++) {
        kv[2 * np] = o->params[2 * k];
        kv[2 * np + 1] = o->params[2 * k + 1];
    }
    if (o->external_id || o->external_id_prefix) {
        if (o->external_id)
            snprintf(ext, sizeof ext, "%s", o->external_id);
        else
            snprintf(ext, sizeof ext, "%s%d", o->external_id_prefix, i);
        kv[2 * np] = "external_id";
        kv[2 * np++ + 1] = ext;
    }
    if (o->mode) {
        kv[2 * np] = "mode";
        kv[2 * np++ + 1] = o->mode;
    }
    if (g->hook && o->webhook_per_stream)
        snprintf(hook, sizeof hook, "http://127.0.0.1:%d/s/%d", lg_hook_port(g->hook), i);
    else if (g->hook)
        snprintf(hook, sizeof hook, "http://127.0.0.1:%d/hook", lg_hook_port(g->hook));
    if (g->hook) {
        kv[2 * np] = "webhook";
        kv[2 * np++ + 1] = hook;
    }
    for (size_t k = 0; k < np; k++) {
        if (strlen(kv[2 * k]) >= TW_PARAM_KEY_MAX || strlen(kv[2 * k + 1]) >= TW_PARAM_VALUE_MAX)
            return -1;
        snprintf(tp[k].key, sizeof tp[k].key, "%s", kv[2 * k]);
        snprintf(tp[k].value, sizeof tp[k].value, "%s", kv[2 * k + 1]);
    }
    *n = np;
    return 0;
}

/* One connection carrying streams i..i+k-1. */
static int start_conn(lg *g, int i, int k)
{
    const tw_param *params[LGWS_PER_CONN_MAX];
    size_t np[LGWS_PER_CONN_MAX];
    for (int j = 0; j < k; j++) {
        if (stream_params(g, i + j, g->tp[j], &np[j]) != 0) {
            g->r->failed_connect += k;
            set_error(g->r, "a custom parameter is too long");
            return -1;
        }
        params[j] = g->tp[j];
    }
    if (lgws_start(g->ws, i, k, params, np) != 0) {
        g->r->failed_connect += k;
        set_error(g->r, "cannot start a connection (out of memory)");
        return -1;
    }
    g->running++;
    return 0;
}

static int count_open(lg *g)
{
    return lgws_open(g->ws);
}

/* ---------- the run ---------- */

static void sample(lg *g, lgproc_sample *p, double *self, int *open, lg_snapshot *s)
{
    if (lgproc_read(g->r->gateway_pid, p) != 0)
        set_error(g->r, "cannot read the gateway's /proc entries");
    *self = lgproc_self_cpu();
    *open = count_open(g);
    snapshot(g, s);
}

static void close_all(lg *g)
{
    if (g->closing)
        return;
    g->closing = true;
    lgws_hangup_all(g->ws);
    lgws_close(g->ws);
    uv_timer_stop(&g->tick);
    uv_close((uv_handle_t *)&g->tick, NULL);
    http_client_close(g->http, 0, NULL, NULL);
    if (g->hook) {
        g->r->webhooks_bad += lg_hook_bad_requests(g->hook);
        lg_hook_close(g->hook);
    }
}

static void on_tick(uv_timer_t *t)
{
    lg *g = t->data;
    uint64_t now = uv_hrtime(), el = now - g->t0_ns;
    while (g->next_start < g->o->streams &&
           loadgen_start_offset_ns(g->next_start, g->o->streams, g->o->ramp_ms) <= el) {
        int k = g->o->streams - g->next_start < g->per_conn ? g->o->streams - g->next_start
                                                           : g->per_conn;
        start_conn(g, g->next_start, k);
        g->next_start += k;
    }
    if (g->phase == 0 && el >= g->from_ns) {
        g->phase = 1;
        sample(g, &g->p1, &g->self1, &g->open1, &g->s1);
    } else if (g->phase == 1 && el >= g->to_ns) {
        g->phase = 2;
        sample(g, &g->p2, &g->self2, &g->open2, &g->s2);
        g->r->window_s = (double)(el - g->from_ns) / 1e9; /* the actual window */
    }
    if (g->next_start >= g->o->streams && g->running == 0 && !g->all_done_ns)
        g->all_done_ns = now; /* also when the last streams could not even start */
    lgproc_sample p;
    if (++g->ticks % RSS_EVERY_TICKS == 0 && lgproc_read(g->r->gateway_pid, &p) == 0 &&
        p.rss_kb > g->r->gw_rss_max_kb)
        g->r->gw_rss_max_kb = p.rss_kb;
    bool snaps_pending = g->s1.pending || g->s2.pending;
    if (now >= g->deadline_ns) {
        set_error(g->r, "deadline reached: streams hung up");
        close_all(g);
    } else if (g->all_done_ns && g->phase == 2 && !snaps_pending &&
               now >= g->all_done_ns + (g->hook ? HOOK_GRACE_MS : 0) * MS)
        close_all(g);
    else if (g->all_done_ns && g->phase < 2) {
        set_error(g->r, "every stream ended before the measurement window closed");
        close_all(g);
    }
}

static void snap_diff(lathist *out, const lg_snapshot *a, const lg_snapshot *b, bool media)
{
    lathist_diff(out, media ? &b->media : &b->request, media ? &a->media : &a->request);
}

static void finish_report(lg *g)
{
    loadgen_report *r = g->r;
    r->held = g->open2 < g->open1 ? g->open2 : g->open1;
    r->media_expected = (uint64_t)r->requested * ((g->n + FRAME_SAMPLES - 1) / FRAME_SAMPLES);
    if (g->phase == 2 && r->window_s > 0) {
        r->gw_cpu_s = g->p2.cpu_seconds - g->p1.cpu_seconds;
        r->gw_cores = r->gw_cpu_s / r->window_s;
        double stream_s = (double)(g->open1 + g->open2) / 2.0 * r->window_s;
        r->gw_cpu_per_stream_s = stream_s > 0 ? r->gw_cpu_s / stream_s : 0;
        r->self_cpu_s = g->self2 - g->self1;
        r->self_cpu_per_stream_s = stream_s > 0 ? r->self_cpu_s / stream_s : 0;
        r->gw_rss_kb = g->p2.rss_kb;
        r->gw_rss_per_stream_kb = g->open2 > 0 && g->p2.rss_kb > r->gw_rss_idle_kb
                                      ? (double)(g->p2.rss_kb - r->gw_rss_idle_kb) / g->open2
                                      : 0;
        r->latency_available = g->s1.ok && g->s2.ok;
        if (r->latency_available) {
            snap_diff(&r->media_to_worker, &g->s1, &g->s2, true);
            snap_diff(&r->request, &g->s1, &g->s2, false);
            r->gw_dropped_audio = g->s2.dropped - g->s1.dropped;
            r->gw_webhooks_lost = g->s2.hooks_dropped + g->s2.hooks_failed -
                                  g->s1.hooks_dropped - g->s1.hooks_failed;
        }
    }
    if (lathist_count(&r->webhook_delivery))
        r->verdict_p99_ms = (double)(lathist_percentile(&r->request, 99) +
                                     lathist_percentile(&r->webhook_delivery, 99)) /
                            1000.0;
    /* Criteria. */
    char *w = r->why;
    size_t cap = sizeof r->why;
#define WHY(...)                                                                                   \
    do {                                                                                           \
        size_t l = strlen(w);                                                                      \
        snprintf(w + l, cap - l, "%s" , l ? "; " : "");                                           \
        l = strlen(w);                                                                             \
        snprintf(w + l, cap - l, __VA_ARGS__);                                                     \
    } while (0)
    if (r->completed < r->requested)
        WHY("%d of %d streams did not complete", r->requested - r->completed, r->requested);
    if (r->held < r->requested)
        WHY("held %d of %d", r->held, r->requested);
    if (lathist_percentile(&r->send_lag, 99) > 20000)
        WHY("the generator lagged (send lag p99 %.1f ms)",
            (double)lathist_percentile(&r->send_lag, 99) / 1000.0);
    if (r->gw_dropped_audio)
        WHY("the gateway dropped %llu audio blocks", (unsigned long long)r->gw_dropped_audio);
    double mp99 = (double)lathist_percentile(&r->media_to_worker, 99) / 1000.0;
    if (g->o->max_media_p99_ms > 0 && lathist_count(&r->media_to_worker) &&
        mp99 > g->o->max_media_p99_ms)
        WHY("media-to-worker p99 %.1f ms > %.1f", mp99, g->o->max_media_p99_ms);
    if (r->gw_webhooks_lost)
        WHY("the gateway dropped or failed %llu webhooks", (unsigned long long)r->gw_webhooks_lost);
    double ip99 = (double)lathist_percentile(&r->webhook_interval, 99) / 1000.0;
    if (g->o->max_verdict_p99_ms > 0 && lathist_count(&r->webhook_delivery) &&
        (r->webhook_streams < (uint64_t)r->held || ip99 > 1000.0 + g->o->max_verdict_p99_ms))
        WHY("webhooks did not come every second from every stream (%llu streams, interval "
            "p99 %.0f ms)", (unsigned long long)r->webhook_streams, ip99);
    if (g->o->max_verdict_p99_ms > 0 && !lathist_count(&r->webhook_delivery))
        WHY("no webhook arrived");
    else if (g->o->max_verdict_p99_ms > 0 && r->verdict_p99_ms > g->o->max_verdict_p99_ms)
        WHY("verdict p99 %.1f ms > %.1f", r->verdict_p99_ms, g->o->max_verdict_p99_ms);
    if (g->phase < 2)
        WHY("no measurement window");
#undef WHY
    r->pass = r->why[0] == '\0';
}

static int setup(lg *g, const loadgen_opts *o, loadgen_report *r)
{
    int port = 0;
    char host[256];
    if (!o->url || sscanf(o->url, "ws://%255[^:/]:%d", host, &port) != 2 || port <= 0 ||
        port > 65535) {
        set_error(r, "--url must be ws://HOST:PORT/...");
        return -1;
    }
    if (uv_ip4_addr(strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, port, &g->addr) != 0) {
        set_error(r, "--url: the load generator needs an IPv4 address (loopback)");
        return -1;
    }
    snprintf(g->url, sizeof g->url, "%s", o->url);
    snprintf(g->host, sizeof g->host, "%s:%d", host, port);
    g->path = strchr(o->url + 5, '/');
    if (!g->path)
        g->path = "/";
    if (o->sign_token && twsig_compute(o->sign_token, g->url, NULL, 0, g->sig, sizeof g->sig) != 0) {
        set_error(r, "cannot compute the Twilio signature");
        return -1;
    }
    snprintf(g->stats_url, sizeof g->stats_url, "http://%s:%d/debug/latency", host, port);
    r->gateway_pid = o->gateway_pid > 0 ? o->gateway_pid : lgproc_find_listener(port);
    if (r->gateway_pid <= 0) {
        set_error(r, "cannot find the gateway process (no single listener on the port); "
                     "give --gateway-pid");
        return -1;
    }
    if (lgproc_read(r->gateway_pid, &g->idle) != 0) {
        set_error(r, "cannot read /proc of the gateway");
        return -1;
    }
    r->gw_rss_idle_kb = g->idle.rss_kb;
    if (loadgen_window(o->ramp_ms, o->duration_ms, &g->from_ns, &g->to_ns) != 0) {
        set_error(r, "--duration must exceed --ramp by at least 2 s (the measurement window)");
        return -1;
    }
    int16_t *pcm = loadgen_loop_pcm(o->pcm, o->n, o->duration_ms, &g->n);
    g->ulaw = pcm ? malloc(g->n) : NULL;
    for (g->n_slots = 16; g->n_slots < 2 * (size_t)o->streams; g->n_slots *= 2)
        ;
    g->st = calloc(g->n_slots, sizeof *g->st);
    g->uuids = calloc(g->n_slots, sizeof *g->uuids);
    if (g->ulaw)
        g711_encode(G711_ULAW, pcm, g->n, g->ulaw);
    free(pcm);
    if (!g->ulaw || !g->st || !g->uuids) {
        set_error(r, "out of memory");
        return -1;
    }
    return 0;
}

int loadgen_run(const loadgen_opts *o, loadgen_report *r)
{
    memset(r, 0, sizeof *r);
    lathist_init(&r->send_lag);
    lathist_init(&r->media_to_worker);
    lathist_init(&r->request);
    lathist_init(&r->webhook_delivery);
    lathist_init(&r->webhook_interval);
    r->requested = o->streams;
    if (o->streams < 1 || o->streams > LOADGEN_MAX_STREAMS) {
        set_error(r, "the stream count is out of range");
        return -1;
    }
    lg *g = calloc(1, sizeof *g);
    if (!g) {
        set_error(r, "out of memory");
        return -1;
    }
    g->o = o;
    g->r = r;
    g->per_conn = o->per_conn > 0 ? o->per_conn : 1;
    if (g->per_conn > LGWS_PER_CONN_MAX) {
        set_error(r, "--streams-per-conn is above 16");
        free(g);
        return -1;
    }
    int rc = -1;
    if (setup(g, o, r) != 0)
        goto out;
    uv_loop_init(&g->loop);
    lgws_options wo = {.addr = g->addr, .host_header = g->host, .path = g->path,
                       .signature = o->sign_token ? g->sig : NULL, .ulaw = g->ulaw, .n = g->n,
                       .linger_ms = o->linger_ms, .on_lag = on_lag,
                       .on_done = on_stream_done, .ud = g};
    g->ws = lgws_new(&g->loop, &wo);
    http_client_options ho = {.max_inflight = 4};
    g->http = http_client_new(&g->loop, &ho);
    g->hook = o->webhook ? lg_hook_new(&g->loop, on_hook, g) : NULL;
    if (!g->ws || !g->http || (o->webhook && !g->hook)) {
        set_error(r, "cannot create the client, the HTTP client or the webhook receiver");
        lgws_close(g->ws);
        if (g->http)
            http_client_close(g->http, 0, NULL, NULL);
        lg_hook_close(g->hook);
        uv_run(&g->loop, UV_RUN_DEFAULT);
    } else {
        uv_timer_init(&g->loop, &g->tick);
        g->tick.data = g;
        g->t0_ns = uv_hrtime();
        g->deadline_ns = g->t0_ns + (uint64_t)(o->ramp_ms + o->duration_ms + o->linger_ms +
                                               DEADLINE_EXTRA_MS) * MS;
        uv_timer_start(&g->tick, on_tick, 0, TICK_MS);
        uv_run(&g->loop, UV_RUN_DEFAULT);
        r->wall_s = (double)(uv_hrtime() - g->t0_ns) / 1e9;
        rc = 0;
    }
    if (uv_loop_close(&g->loop) != 0)
        set_error(r, "the loop did not close cleanly");
    if (rc == 0)
        finish_report(g);
out:
    free(g->st);
    free(g->uuids);
    free(g->ulaw);
    free(g);
    return rc;
}
