/* harness.c -- in-process gateway for integration tests. See harness.h. */
#include "harness.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio/audio.h"
#include "g711.h"
#include "common/log.h"
#include "twilio.h"

/* ---- capture sink ---- */

static int cap_start(void *ud, stream *s, void **state)
{
    harness *h = ud;
    if (h->refuse || h->n_caps == H_CAPS_MAX)
        return -1;
    h_cap *c = &h->caps[h->n_caps++];
    memset(c, 0, sizeof *c);
    snprintf(c->uuid, sizeof c->uuid, "%s", s->uuid);
    snprintf(c->sid, sizeof c->sid, "%s", s->stream_sid);
    c->live = s;
    *state = c;
    return 0;
}

static void cap_audio(void *ud, stream *s, void *state, const int16_t *pcm, size_t n,
                      uint64_t ts)
{
    (void)ud, (void)s, (void)ts;
    h_cap *c = state;
    if (c->n + n > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8000;
        while (cap < c->n + n)
            cap *= 2;
        c->pcm = realloc(c->pcm, cap * sizeof *c->pcm);
        cr_assert_not_null(c->pcm);
        c->cap = cap;
    }
    memcpy(c->pcm + c->n, pcm, n * sizeof *pcm);
    c->n += n;
}

static void cap_dtmf(void *ud, stream *s, void *state, char digit)
{
    (void)ud, (void)s;
    h_cap *c = state;
    size_t l = strlen(c->dtmf);
    if (l + 1 < sizeof c->dtmf)
        c->dtmf[l] = digit;
}

static void cap_mark(void *ud, stream *s, void *state, const char *name)
{
    (void)ud, (void)s;
    h_cap *c = state;
    if (c->n_marks < 16)
        snprintf(c->marks[c->n_marks++], TW_NAME_MAX, "%s", name);
}

static void cap_stop(void *ud, stream *s, void *state, stream_end_reason why)
{
    (void)ud;
    h_cap *c = state;
    c->stopped = true;
    c->why = why;
    c->live = NULL;
    c->in = s->track[0];
    c->out = s->track[1];
    c->errors = s->errors;
    c->messages = s->messages;
}

/* ---- lifecycle ---- */

static void on_guard(uv_timer_t *t)
{
    (void)t; /* wakes uv_run(UV_RUN_ONCE) so deadlines are checked */
}

void h_init(harness *h, void (*tweak)(config *cfg))
{
    memset(h, 0, sizeof *h);
    log_open("-", getenv("H_DEBUG") ? LOG_DEBUG : LOG_WARN);
    cr_assert_eq(uv_loop_init(&h->loop), 0);
    config_defaults(&h->cfg);
    char err[256];
    cr_assert_eq(config_set(&h->cfg, "listen", "127.0.0.1:0", err, sizeof err), 0);
    if (tweak)
        tweak(&h->cfg);
    h->srv = server_new(&h->loop, &h->cfg, err, sizeof err);
    cr_assert_not_null(h->srv, "server_new: %s", err);
    h->port = server_port(h->srv);
    cr_assert_gt(h->port, 0);
    h->sink = (audio_sink){"capture", h, cap_start, cap_audio, cap_dtmf, cap_mark, cap_stop, NULL};
    cr_assert_eq(registry_add_sink(server_registry(h->srv), &h->sink), 0);
    h->ws = wsc_new(&h->loop);
    cr_assert_not_null(h->ws);
    uv_timer_init(&h->loop, &h->guard);
    uv_timer_start(&h->guard, on_guard, 5, 5);
}

void h_fini(harness *h)
{
    server_close(h->srv);
    wsc_close_all(h->ws);
    uv_timer_stop(&h->guard);
    uv_close((uv_handle_t *)&h->guard, NULL);
    uv_run(&h->loop, UV_RUN_DEFAULT);
    for (int round = 0; round < 3 && (!server_is_closed(h->srv) || !wsc_is_closed(h->ws));
         round++) {
        if (!server_is_closed(h->srv))
            server_close(h->srv);
        if (!wsc_is_closed(h->ws))
            wsc_close_all(h->ws);
        uv_run(&h->loop, UV_RUN_DEFAULT);
    }
    cr_assert(server_is_closed(h->srv));
    cr_assert(wsc_is_closed(h->ws));
    server_free(h->srv);
    wsc_free(h->ws);
    cr_assert_eq(uv_loop_close(&h->loop), 0, "loop closed with open handles");
    for (size_t i = 0; i < h->n_caps; i++)
        free(h->caps[i].pcm);
    for (size_t i = 0; i < h->n_conns; i++) {
        for (size_t k = 0; k < h->conns[i]->n_msgs; k++)
            free(h->conns[i]->msgs[k]);
        free(h->conns[i]);
    }
}

bool h_run_until(harness *h, bool (*pred)(void *arg), void *arg, int timeout_ms)
{
    uint64_t end = uv_hrtime() + (uint64_t)timeout_ms * 1000000ULL;
    while (!pred(arg)) {
        if (uv_hrtime() >= end)
            return false;
        uv_run(&h->loop, UV_RUN_ONCE);
    }
    return true;
}

static bool never(void *arg)
{
    (void)arg;
    return false;
}

void h_run_for(harness *h, int ms)
{
    h_run_until(h, never, NULL, ms);
}

const char *h_url(harness *h, const char *query)
{
    snprintf(h->url, sizeof h->url, "ws://127.0.0.1:%d/stream%s%s", h->port,
             query && *query ? "?" : "", query ? query : "");
    return h->url;
}

h_cap *h_cap_by_sid(harness *h, const char *sid)
{
    for (size_t i = h->n_caps; i-- > 0;)
        if (strcmp(h->caps[i].sid, sid) == 0)
            return &h->caps[i];
    return NULL;
}

typedef struct {
    harness *h;
    const char *sid;
} sid_wait;

static bool cap_exists(void *arg)
{
    sid_wait *w = arg;
    return h_cap_by_sid(w->h, w->sid) != NULL;
}

static bool cap_stopped(void *arg)
{
    sid_wait *w = arg;
    h_cap *c = h_cap_by_sid(w->h, w->sid);
    return c && c->stopped;
}

h_cap *h_wait_cap(harness *h, const char *sid, int timeout_ms)
{
    sid_wait w = {h, sid};
    h_run_until(h, cap_exists, &w, timeout_ms);
    return h_cap_by_sid(h, sid);
}

bool h_wait_stopped(harness *h, const char *sid, int timeout_ms)
{
    sid_wait w = {h, sid};
    return h_run_until(h, cap_stopped, &w, timeout_ms);
}

/* ---- raw connections ---- */

static void tc_on_open(wsc_conn *c, void *ud)
{
    (void)c;
    ((tconn *)ud)->open = true;
}

static void tc_on_text(wsc_conn *c, void *ud, const char *msg, size_t len)
{
    (void)c;
    tconn *t = ud;
    if (t->n_msgs < H_MSGS_MAX)
        t->msgs[t->n_msgs++] = strndup(msg, len);
}

static void tc_on_close(wsc_conn *c, void *ud, int http_status, int close_code)
{
    (void)c;
    tconn *t = ud;
    t->closed = true;
    t->open = false;
    t->c = NULL;
    t->http_status = http_status;
    t->close_code = close_code;
}

static const wsc_callbacks tc_cb = {tc_on_open, tc_on_text, tc_on_close};

static bool tc_settled(void *arg)
{
    tconn *t = arg;
    return t->open || t->closed;
}

tconn *tc_connect(harness *h, const char *query, const char *const *hdrs, size_t nh)
{
    return tc_connect_url(h, h_url(h, query), hdrs, nh);
}

tconn *tc_connect_url(harness *h, const char *url, const char *const *hdrs, size_t nh)
{
    cr_assert_lt(h->n_conns, 64);
    tconn *t = calloc(1, sizeof *t);
    cr_assert_not_null(t);
    t->h = h;
    h->conns[h->n_conns++] = t;
    t->c = wsc_connect(h->ws, url, hdrs, nh, &tc_cb, t);
    cr_assert_not_null(t->c);
    cr_assert(h_run_until(h, tc_settled, t, 5000), "connection neither opened nor closed");
    return t;
}

void tc_send(tconn *t, const char *text)
{
    cr_assert_not_null(t->c, "send on a closed connection");
    cr_assert_eq(wsc_send(t->c, text, strlen(text)), 0);
}

void tc_sendf(tconn *t, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    tc_send(t, buf);
}

typedef struct {
    tconn *t;
    size_t n;
} msg_wait;

static bool have_msgs(void *arg)
{
    msg_wait *w = arg;
    return w->t->n_msgs >= w->n;
}

bool tc_wait_msgs(tconn *t, size_t n, int timeout_ms)
{
    msg_wait w = {t, n};
    return h_run_until(t->h, have_msgs, &w, timeout_ms);
}

static bool is_closed(void *arg)
{
    return ((tconn *)arg)->closed;
}

bool tc_wait_closed(tconn *t, int timeout_ms)
{
    return h_run_until(t->h, is_closed, t, timeout_ms);
}

int tc_status(const tconn *t, size_t i)
{
    if (i >= t->n_msgs)
        return -1;
    cJSON *j = cJSON_Parse(t->msgs[i]);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "status");
    int st = cJSON_IsNumber(s) ? s->valueint : -1;
    cJSON_Delete(j);
    return st;
}

const char *tc_field(const tconn *t, size_t i, const char *name, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (i >= t->n_msgs)
        return buf;
    cJSON *j = cJSON_Parse(t->msgs[i]);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, name);
    if (cJSON_IsString(s))
        snprintf(buf, cap, "%s", s->valuestring);
    cJSON_Delete(j);
    return buf;
}

void tc_start(tconn *t, const char *sid, const char *uuid, bool alaw)
{
    char buf[4096], acc[35], call[35];
    tw_param p = {"uuid", ""};
    if (uuid)
        snprintf(p.value, sizeof p.value, "%s", uuid);
    tw_start_info info = {.sequence_number = 1, .stream_sid = sid,
                          .account_sid = h_sid(acc, "AC", 1), .call_sid = h_sid(call, "CA", 1),
                          .tracks = TW_TRACK_INBOUND, .alaw = alaw, .params = &p,
                          .n_params = uuid ? 1 : 0};
    cr_assert_gt(tw_build_start(buf, sizeof buf, &info), 0);
    tc_send(t, buf);
}

void tc_media(tconn *t, const char *sid, uint64_t chunk, uint64_t ts, const uint8_t *g711,
              size_t n)
{
    char buf[4096];
    cr_assert_gt(tw_build_media_in(buf, sizeof buf, chunk + 1, sid, TW_TRACK_INBOUND, chunk, ts,
                                   g711, n),
                 0);
    tc_send(t, buf);
}

bool tc_frame(tconn *t, const char *sid, const int16_t *pcm, size_t n, size_t f)
{
    if (f * 160 >= n)
        return false;
    size_t k = n - f * 160 < 160 ? n - f * 160 : 160;
    uint8_t g[160];
    g711_encode(G711_ULAW, pcm + f * 160, k, g);
    tc_media(t, sid, f + 1, f * 20, g, k);
    return true;
}

void tc_stop(tconn *t, const char *sid)
{
    char buf[512], acc[35], call[35];
    cr_assert_gt(tw_build_stop(buf, sizeof buf, 999, sid, h_sid(acc, "AC", 1),
                               h_sid(call, "CA", 1)),
                 0);
    tc_send(t, buf);
}

const char *h_sid(char out[35], const char *prefix, unsigned n)
{
    snprintf(out, 35, "%c%c%032u", prefix[0], prefix[1], n);
    return out;
}

const char *h_uuid(char out[37], unsigned n)
{
    snprintf(out, 37, "%08x-1234-4abc-9def-%012x", n, n);
    return out;
}

int16_t *h_fixture(const char *name, size_t *n)
{
    const char *root = getenv("CALLPRINT_SOURCE_DIR");
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/audio/%s", root ? root : ".", name);
    int16_t *pcm = NULL;
    cr_assert_eq(bio_audio_read(path, &pcm, n, err, sizeof err), 0, "%s", err);
    return pcm;
}

/* ---- callsim ---- */

typedef struct {
    bool done;
    callsim_summary sum;
} play_state;

static void on_play_done(callsim *c, void *ud)
{
    play_state *p = ud;
    p->sum = *callsim_summary_get(c);
    p->done = true;
    callsim_free(c);
}

static bool play_done(void *arg)
{
    return ((play_state *)arg)->done;
}

callsim_summary h_play(harness *h, const callsim_opts *o, const int16_t *pcm, size_t n,
                       int timeout_ms)
{
    play_state p = {0};
    callsim *c = callsim_start(h->ws, &h->loop, o, pcm, n, on_play_done, &p);
    cr_assert_not_null(c);
    cr_assert(h_run_until(h, play_done, &p, timeout_ms), "call did not finish in time");
    return p.sum;
}

/* ---- HTTP ---- */

typedef struct {
    harness *h;
    const char *method, *url, *req_body;
    size_t req_len;
    const char *const *hdrs;
    size_t nh;
    int timeout_ms;
    long status;
    char *body;
    size_t len;
    uv_async_t async;
    bool done;
} http_job;

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
    http_job *j = ud;
    char *b = realloc(j->body, j->len + sz * nm + 1);
    if (!b)
        return 0;
    memcpy(b + j->len, p, sz * nm);
    j->len += sz * nm;
    b[j->len] = '\0';
    j->body = b;
    return sz * nm;
}

static void http_thread(void *arg)
{
    http_job *j = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    for (size_t i = 0; i < j->nh; i++) {
        char line[1024];
        snprintf(line, sizeof line, "%s: %s", j->hdrs[2 * i], j->hdrs[2 * i + 1]);
        hl = curl_slist_append(hl, line);
    }
    curl_easy_setopt(c, CURLOPT_URL, j->url);
    if (strcmp(j->method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, j->method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)j->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (j->req_body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->req_body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)j->req_len);
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &j->status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    uv_async_send(&j->async);
}

static void on_http_done(uv_async_t *a)
{
    ((http_job *)a->data)->done = true;
}

static bool http_done(void *arg)
{
    return ((http_job *)arg)->done;
}

long h_http(harness *h, const char *method, const char *path, const char *const *hdrs,
            size_t nh, const char *req_body, size_t req_len, char **body, int timeout_ms)
{
    char url[1024];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", h->port, path);
    http_job j = {.h = h, .method = method, .url = url, .req_body = req_body,
                  .req_len = req_len, .hdrs = hdrs, .nh = nh, .timeout_ms = timeout_ms};
    uv_async_init(&h->loop, &j.async, on_http_done);
    j.async.data = &j;
    uv_thread_t th;
    cr_assert_eq(uv_thread_create(&th, http_thread, &j), 0);
    cr_assert(h_run_until(h, http_done, &j, timeout_ms + 5000));
    uv_thread_join(&th);
    uv_close((uv_handle_t *)&j.async, NULL);
    uv_run(&h->loop, UV_RUN_NOWAIT);
    if (body)
        *body = j.body;
    else
        free(j.body);
    return j.status;
}

int h_validate_schemas(const char *lines_file)
{
    const char *root = getenv("CALLPRINT_SOURCE_DIR");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/support/validate_output.py %s/schemas %s",
             root ? root : ".", root ? root : ".", lines_file);
    return system(cmd);
}

static const char *schema_of(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(j, "event");
    const char *e = cJSON_IsString(ev) ? ev->valuestring : "";
    const char *name = "unknown";
    if (cJSON_GetObjectItemCaseSensitive(j, "id"))
        name = "vv-reply"; /* acknowledgements and errors, whatever the event */
    else if (cJSON_GetObjectItemCaseSensitive(j, "status")) {
        if (strcmp(e, "connected") == 0)
            name = "vv-connected-ack";
        else if (strcmp(e, "ping") == 0)
            name = "vv-ping";
        else
            name = "vv-reply";
    } else if (strcmp(e, "media") == 0)
        name = "twilio-out-media";
    else if (strcmp(e, "mark") == 0)
        name = "twilio-out-mark";
    else if (strcmp(e, "clear") == 0)
        name = "twilio-out-clear";
    cJSON_Delete(j);
    return name;
}

void h_assert_schemas(const tconn *t)
{
    cr_assert_gt(t->n_msgs, 0, "nothing to validate");
    char path[] = "/tmp/callprint-gw-schemaXXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    for (size_t i = 0; i < t->n_msgs; i++)
        fprintf(f, "%s\t%s\n", schema_of(t->msgs[i]), t->msgs[i]);
    fclose(f);
    int rc = h_validate_schemas(path);
    unlink(path);
    cr_assert_eq(rc, 0, "gateway output does not match schemas/stream (see stderr)");
}
