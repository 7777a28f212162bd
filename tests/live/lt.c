/* lt.c -- end-to-end helpers for tests/live. See lt.h. */
#include "lt.h"

#include <uv.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audio.h"
#include "g711.h"
#include "redis_proc.h"
#include "stream.h"
#include "twilio.h"
#include "wsclient.h"

static struct {
    uv_loop_t loop;
    wsc_ctx *ws;
    rproc redis;
    redisContext *rc;
    char redis_url[512];
    char prefix[64];
    lt_proc recv;
    char recv_url[64];
    char dir[256];
    int ids;
} W;

static void pump_once(int ms)
{
    uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000u;
    while (uv_hrtime() < end) {
        uv_run(&W.loop, UV_RUN_NOWAIT);
        usleep(2000);
    }
}

void lt_pump(int ms) { pump_once(ms); }

static const char *src_dir(void)
{
    const char *s = getenv("CALLPRINT_SOURCE_DIR");
    return s ? s : ".";
}

static const char *bin_dir(void)
{
    const char *s = getenv("CALLPRINT_BIN_DIR");
    return s ? s : "./bin";
}

/* Fork a child with stdout+stderr to log; env pairs set in the child. */
static pid_t spawn(const char *const *argv, const char *const *env, const char *log)
{
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        for (size_t i = 0; env && env[i]; i += 2)
            setenv(env[i], env[i + 1], 1);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

void lt_setup(void)
{
    memset(&W, 0, sizeof W);
    cr_assert_eq(uv_loop_init(&W.loop), 0);
    W.ws = wsc_new(&W.loop);
    cr_assert_not_null(W.ws);
    W.rc = test_redis(&W.redis, W.redis_url, sizeof W.redis_url);
    cr_assert_not_null(W.rc, "no redis");
    snprintf(W.prefix, sizeof W.prefix, "lt%d:", (int)getpid());
    snprintf(W.dir, sizeof W.dir, "/tmp/callprint-live-XXXXXX");
    cr_assert_not_null(mkdtemp(W.dir));
    snprintf(W.recv.log, sizeof W.recv.log, "%s/hooks.jsonl", W.dir);
    char script[1024], out[512];
    snprintf(script, sizeof script, "%s/tests/webhook/receiver.py", src_dir());
    snprintf(out, sizeof out, "%s/receiver.out", W.dir);
    const char *argv[] = {"python3", script, W.recv.log, NULL};
    W.recv.pid = spawn(argv, NULL, out);
    for (int i = 0; i < 200 && !W.recv.port; i++) {
        char *t = slurp(out);
        if (t && *t)
            W.recv.port = atoi(t);
        free(t);
        if (!W.recv.port)
            usleep(25000);
    }
    cr_assert_gt(W.recv.port, 0, "webhook receiver did not start");
    snprintf(W.recv_url, sizeof W.recv_url, "http://127.0.0.1:%d", W.recv.port);
}

void lt_use_own_redis(void)
{
    if (W.redis.pid > 0)
        return; /* test_redis() started a private one already */
    test_redis_flush_prefix(W.rc, W.prefix);
    redisFree(W.rc);
    cr_assert_eq(rproc_start(&W.redis, NULL), 0, "cannot start redis-server");
    snprintf(W.redis_url, sizeof W.redis_url, "%s", W.redis.url);
    W.rc = rproc_client("127.0.0.1", W.redis.port, NULL, 0);
    cr_assert_not_null(W.rc);
}

void lt_redis_kill(void)
{
    cr_assert(W.redis.pid > 0, "only a private redis can be killed");
    redisFree(W.rc);
    W.rc = NULL;
    rproc_signal(&W.redis, SIGKILL);
}

void lt_redis_restart(void)
{
    cr_assert_eq(rproc_start(&W.redis, NULL), 0, "cannot restart redis-server");
    W.rc = rproc_client("127.0.0.1", W.redis.port, NULL, 0);
    cr_assert_not_null(W.rc);
}

void lt_teardown(void)
{
    if (W.recv.pid > 0) {
        kill(W.recv.pid, SIGTERM);
        waitpid(W.recv.pid, NULL, 0);
    }
    if (W.ws) { /* lws on a foreign loop: destroy in rounds (TOOLCHAIN.md pitfall 1) */
        wsc_close_all(W.ws);
        uv_run(&W.loop, UV_RUN_DEFAULT);
        for (int round = 0; round < 3 && !wsc_is_closed(W.ws); round++) {
            wsc_close_all(W.ws);
            uv_run(&W.loop, UV_RUN_DEFAULT);
        }
        cr_expect(wsc_is_closed(W.ws));
        wsc_free(W.ws);
        cr_expect_eq(uv_loop_close(&W.loop), 0, "client loop closed with open handles");
    }
    if (W.rc) {
        test_redis_flush_prefix(W.rc, W.prefix);
        redisFree(W.rc);
    }
    if (W.redis.pid)
        rproc_cleanup(&W.redis);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", W.dir);
    if (W.dir[0] && system(cmd) != 0)
        cr_log_warn("could not remove %s", W.dir);
}

const char *lt_receiver_url(void) { return W.recv_url; }

const char *lt_id(const char *prefix, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s-%d-%d", prefix, (int)getpid(), ++W.ids);
    return buf;
}

void lt_uuid(char out[37])
{
    cr_assert_eq(stream_uuid4(out), 0);
}

/* ---------- the gateway ---------- */

void lt_gateway_start(lt_proc *g, const char *const *env)
{
    memset(g, 0, sizeof *g);
    static int n;
    snprintf(g->log, sizeof g->log, "%s/gateway%d.log", W.dir, ++n);
    char bin[1024], model[1024];
    snprintf(bin, sizeof bin, "%s/callprint", bin_dir());
    snprintf(model, sizeof model, "%s/biometrics/models/callprint.model", src_dir());
    const char *base[] = {"CALLPRINT_LISTEN", "127.0.0.1:0",
                          "CALLPRINT_REDIS_URL", W.redis_url,
                          "CALLPRINT_REDIS_PREFIX", W.prefix,
                          "CALLPRINT_MODEL", model,
                          "CALLPRINT_WORKERS", "2",
                          "CALLPRINT_LOG_FILE", "-",
                          NULL};
    /* The test's pairs are applied after the base ones and win. */
    const char *all[64];
    size_t k = 0;
    for (size_t i = 0; base[i]; i++)
        all[k++] = base[i];
    for (size_t i = 0; env && env[i] && k < 62; i++)
        all[k++] = env[i];
    all[k] = NULL;
    /* CALLPRINT_TEST_WRAPPER="valgrind --error-exitcode=99 --leak-check=full" runs the
     * gateway under a tool (by hand: too slow for the suite). */
    char wrap[512] = "";
    const char *argv[16];
    size_t na = 0;
    if (getenv("CALLPRINT_TEST_WRAPPER"))
        snprintf(wrap, sizeof wrap, "%s", getenv("CALLPRINT_TEST_WRAPPER"));
    for (char *tok = strtok(wrap, " "); tok && na < 14; tok = strtok(NULL, " "))
        argv[na++] = tok;
    argv[na++] = bin;
    argv[na] = NULL;
    g->pid = spawn(argv, all, g->log);
    for (int i = 0; i < 4000 && !g->port; i++) {
        char *t = slurp(g->log);
        const char *p = t ? strstr(t, "listening on http://127.0.0.1:") : NULL;
        if (p)
            g->port = atoi(p + strlen("listening on http://127.0.0.1:"));
        free(t);
        if (!g->port) {
            int st;
            cr_assert_eq(waitpid(g->pid, &st, WNOHANG), 0, "the gateway exited at start (%s)",
                         g->log);
            usleep(25000);
        }
    }
    cr_assert_gt(g->port, 0, "the gateway did not listen (see %s)", g->log);
}

int lt_gateway_stop(lt_proc *g)
{
    if (g->pid <= 0)
        return -1;
    kill(g->pid, SIGTERM);
    return lt_gateway_wait(g, 60000);
}

int lt_gateway_wait(lt_proc *g, int timeout_ms)
{
    if (g->pid <= 0)
        return -1;
    int st = 0;
    pid_t r = 0;
    /* Pump the clients' loop meanwhile: the gateway waits for their close handshakes. */
    for (int i = 0; i < timeout_ms / 10 && (r = waitpid(g->pid, &st, WNOHANG)) == 0; i++)
        pump_once(10);
    if (r == 0) {
        kill(g->pid, SIGKILL);
        waitpid(g->pid, &st, 0);
        g->pid = 0;
        return -1;
    }
    g->pid = 0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) { /* keep the whole log for the reader */
        char *t = slurp(g->log);
        size_t n = t ? strlen(t) : 0;
        char keep[128];
        snprintf(keep, sizeof keep, "/tmp/callprint-live-failed-%d.log", (int)getpid());
        FILE *f = fopen(keep, "w");
        if (f && t)
            fputs(t, f);
        if (f)
            fclose(f);
        cr_log_error("gateway log (whole: %s) tail:\n%s", keep,
                     t ? t + (n > 3000 ? n - 3000 : 0) : "");
        free(t);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

bool lt_gateway_log_has(const lt_proc *g, const char *needle)
{
    char *t = slurp(g->log);
    bool found = t && strstr(t, needle);
    free(t);
    return found;
}

/* ---------- REST ---------- */

typedef struct {
    char *buf;
    size_t n;
} membuf;

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
    membuf *m = ud;
    size_t k = sz * nm;
    char *b = realloc(m->buf, m->n + k + 1);
    if (!b)
        return 0;
    memcpy(b + m->n, p, k);
    m->buf = b;
    m->n += k;
    m->buf[m->n] = '\0';
    return k;
}

long lt_http(const lt_proc *g, const char *method, const char *path, const char *token,
             const char *body, cJSON **out)
{
    char url[2048], auth[600];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", g->port, path);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Token %s", token);
        h = curl_slist_append(h, auth);
    }
    membuf m = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &m);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, getenv("CALLPRINT_TEST_WRAPPER") ? 300000L : 20000L);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (out)
        *out = m.buf ? cJSON_Parse(m.buf) : NULL;
    free(m.buf);
    return status;
}

int lt_http_storm(const lt_proc *g, const char *path, const char *token, const char *body,
                  int n, long want, double *slowest)
{
    char url[1024], auth[600];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", g->port, path);
    snprintf(auth, sizeof auth, "Authorization: Token %s", token);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, auth);
    CURLM *m = curl_multi_init();
    CURL **e = calloc((size_t)n, sizeof *e);
    membuf *bufs = calloc((size_t)n, sizeof *bufs);
    for (int i = 0; i < n; i++) {
        e[i] = curl_easy_init();
        curl_easy_setopt(e[i], CURLOPT_URL, url);
        curl_easy_setopt(e[i], CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(e[i], CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(e[i], CURLOPT_WRITEDATA, &bufs[i]);
        curl_easy_setopt(e[i], CURLOPT_TIMEOUT_MS, 20000L);
        curl_multi_add_handle(m, e[i]);
    }
    int running = 1;
    while (running) {
        curl_multi_perform(m, &running);
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    int ok = 0;
    *slowest = 0;
    for (int i = 0; i < n; i++) {
        long st = 0;
        double secs = 0;
        curl_easy_getinfo(e[i], CURLINFO_RESPONSE_CODE, &st);
        curl_easy_getinfo(e[i], CURLINFO_TOTAL_TIME, &secs);
        ok += st == want;
        if (secs > *slowest)
            *slowest = secs;
        curl_multi_remove_handle(m, e[i]);
        curl_easy_cleanup(e[i]);
        free(bufs[i].buf);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(h);
    free(e);
    free(bufs);
    return ok;
}

double lt_metric(const lt_proc *g, const char *family)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", g->port);
    CURL *c = curl_easy_init();
    membuf m = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &m);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    long st = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    curl_easy_cleanup(c);
    cr_assert_eq(st, 200, "GET /metrics: %ld", st);
    double sum = 0;
    size_t fl = strlen(family);
    for (char *line = strtok(m.buf, "\n"); line; line = strtok(NULL, "\n"))
        if (strncmp(line, family, fl) == 0 && (line[fl] == '{' || line[fl] == ' '))
            sum += strtod(strrchr(line, ' ') + 1, NULL);
    free(m.buf);
    return sum;
}

char *lt_login(const lt_proc *g, const char *password)
{
    char body[256];
    snprintf(body, sizeof body, "{\"username\":\"admin\",\"password\":\"%s\"}", password);
    cJSON *o = NULL;
    long st = 0;
    /* 503 until the gateway has reached Redis (the stored password record): retry. */
    for (int i = 0; i < 100; i++) {
        cJSON_Delete(o);
        o = NULL;
        st = lt_http(g, "POST", "/api/v2/auth/login", NULL, body, &o);
        if (st != 503)
            break;
        usleep(50000);
    }
    cr_assert_eq(st, 200, "login: %ld", st);
    const cJSON *t = cJSON_GetObjectItem(o, "token");
    cr_assert(cJSON_IsString(t));
    char *tok = strdup(t->valuestring);
    cJSON_Delete(o);
    return tok;
}

/* ---------- webhooks received ---------- */

size_t lt_hooks(const char *prefix, lt_hook **out)
{
    *out = NULL;
    char *t = slurp(W.recv.log);
    if (!t)
        return 0;
    size_t n = 0, cap = 0;
    lt_hook *v = NULL;
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        const cJSON *path = cJSON_GetObjectItem(o, "path");
        if (!cJSON_IsString(path) || strncmp(path->valuestring, prefix, strlen(prefix)) != 0) {
            cJSON_Delete(o);
            continue;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            v = realloc(v, cap * sizeof *v);
        }
        lt_hook *k = &v[n++];
        memset(k, 0, sizeof *k);
        snprintf(k->path, sizeof k->path, "%s", path->valuestring);
        k->t = cJSON_GetObjectItem(o, "t")->valuedouble;
        k->body = strdup(cJSON_GetObjectItem(o, "body")->valuestring);
        k->json = cJSON_Parse(k->body);
        const cJSON *hd = cJSON_GetObjectItem(o, "headers");
        for (const cJSON *x = hd ? hd->child : NULL; x; x = x->next)
            if (strcasecmp(x->string, "X-Callprint-Signature") == 0 && cJSON_IsString(x))
                snprintf(k->sig, sizeof k->sig, "%s", x->valuestring);
        cJSON_Delete(o);
    }
    free(t);
    *out = v;
    return n;
}

void lt_hooks_free(lt_hook *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(h[i].body);
        cJSON_Delete(h[i].json);
    }
    free(h);
}

size_t lt_wait_hook(const char *prefix, bool (*pred)(const cJSON *), int timeout_ms)
{
    uint64_t end = uv_hrtime() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        lt_hook *h;
        size_t n = lt_hooks(prefix, &h);
        bool ok = false;
        for (size_t i = 0; i < n && !ok; i++)
            ok = !pred || (h[i].json && pred(h[i].json));
        lt_hooks_free(h, n);
        if (ok || uv_hrtime() >= end)
            return ok ? n : 0;
        pump_once(50);
    }
}

/* ---------- calls ---------- */

struct lt_call {
    wsc_conn *c;
    bool open, closed;
    char sid[TW_SID_MAX];
    uint64_t seq, chunk, ts_ms;
    char buf[4096];
};

static void c_open(wsc_conn *c, void *ud)
{
    (void)c;
    ((lt_call *)ud)->open = true;
}

static void c_close(wsc_conn *c, void *ud, int http_status, int close_code)
{
    (void)c;
    (void)http_status;
    (void)close_code;
    ((lt_call *)ud)->closed = true;
}

static const wsc_callbacks call_cb = {.on_open = c_open, .on_close = c_close};

/* "MZ" + 32 hex digits (a UUID4 without its dashes): 34 characters, as Twilio's sids. */
static void random_sid(char *out, const char *pfx)
{
    char u[37];
    lt_uuid(u);
    size_t k = (size_t)snprintf(out, TW_SID_MAX, "%s", pfx);
    for (const char *p = u; *p; p++)
        if (*p != '-')
            out[k++] = *p;
    out[k] = '\0';
}

lt_call *lt_call_open(const lt_proc *g, const char *const *params)
{
    lt_call *c = calloc(1, sizeof *c);
    random_sid(c->sid, "MZ");
    char url[128];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/stream", g->port);
    c->c = wsc_connect(W.ws, url, NULL, 0, &call_cb, c);
    cr_assert_not_null(c->c);
    for (int i = 0; i < 250 && !c->open && !c->closed; i++)
        pump_once(20);
    cr_assert(c->open, "WebSocket did not open");
    tw_param pv[16];
    size_t np = 0;
    for (size_t i = 0; params && params[i] && np < 16; i += 2, np++) {
        snprintf(pv[np].key, sizeof pv[np].key, "%s", params[i]);
        snprintf(pv[np].value, sizeof pv[np].value, "%s", params[i + 1]);
    }
    char call[TW_SID_MAX], acc[TW_SID_MAX];
    random_sid(call, "CA");
    random_sid(acc, "AC");
    tw_start_info info = {.sequence_number = 1, .stream_sid = c->sid, .account_sid = acc,
                          .call_sid = call, .tracks = TW_TRACK_INBOUND, .params = pv,
                          .n_params = np};
    int n = tw_build_connected(c->buf, sizeof c->buf);
    cr_assert_gt(n, 0);
    wsc_send(c->c, c->buf, (size_t)n);
    n = tw_build_start(c->buf, sizeof c->buf, &info);
    cr_assert_gt(n, 0);
    wsc_send(c->c, c->buf, (size_t)n);
    c->seq = 1;
    lt_call_flush(c);
    return c;
}

static void send_frame(lt_call *c, const int16_t *pcm, size_t k)
{
    uint8_t ulaw[160];
    g711_encode(G711_ULAW, pcm, k, ulaw);
    int n = tw_build_media_in(c->buf, sizeof c->buf, ++c->seq, c->sid, TW_TRACK_INBOUND,
                              ++c->chunk, c->ts_ms, ulaw, k);
    cr_assert_gt(n, 0);
    cr_assert_eq(wsc_send(c->c, c->buf, (size_t)n), 0);
    c->ts_ms += k / 8;
}

void lt_call_send(lt_call *c, const int16_t *pcm, size_t n)
{
    for (size_t off = 0; off < n; off += 160)
        send_frame(c, pcm + off, n - off < 160 ? n - off : 160);
    lt_call_flush(c);
}

void lt_calls_realtime(lt_call **calls, const int16_t *const *pcm, size_t k, size_t n)
{
    uint64_t t0 = uv_hrtime();
    for (size_t off = 0, i = 0; off < n; off += 160, i++) {
        for (size_t j = 0; j < k; j++)
            send_frame(calls[j], pcm[j] + off, n - off < 160 ? n - off : 160);
        uint64_t due = t0 + (uint64_t)(i + 1) * 20000000u;
        while (uv_hrtime() < due) {
            uv_run(&W.loop, UV_RUN_NOWAIT);
            usleep(1000);
        }
    }
    for (size_t j = 0; j < k; j++)
        lt_call_flush(calls[j]);
}

void lt_call_flush(lt_call *c)
{
    for (int i = 0; i < 5000 && wsc_queued(c->c) > 0 && !c->closed; i++)
        pump_once(2);
    pump_once(20);
}

void lt_call_stop(lt_call *c)
{
    if (!c)
        return;
    if (!c->closed) {
        int n = tw_build_stop(c->buf, sizeof c->buf, ++c->seq, c->sid, "", "");
        wsc_send(c->c, c->buf, (size_t)n);
        lt_call_flush(c);
        wsc_close(c->c);
        for (int i = 0; i < 250 && !c->closed; i++)
            pump_once(10);
    }
    free(c);
}

const char *lt_call_sid(const lt_call *c) { return c->sid; }

int lt_validate_hooks(int min)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "python3 '%s/tests/live/validate_hooks.py' '%s/schemas' '%s' %d",
             src_dir(), src_dir(), W.recv.log, min);
    return system(cmd);
}

bool lt_voiceprint_exists(const char *external_id)
{
    redisReply *r = redisCommand(W.rc, "EXISTS %svoiceprint:%s", W.prefix, external_id);
    bool yes = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);
    return yes;
}

/* ---------- audio ---------- */

int16_t *lt_audio(const char *const *files, size_t *n)
{
    int16_t *all = NULL;
    *n = 0;
    for (; *files; files++) {
        char path[1024], err[256];
        snprintf(path, sizeof path, "%s/tests/%s", src_dir(), *files);
        int16_t *pcm;
        size_t k;
        cr_assert_eq(bio_audio_read(path, &pcm, &k, err, sizeof err), 0, "%s: %s", path, err);
        all = realloc(all, (*n + k) * sizeof *all);
        memcpy(all + *n, pcm, k * sizeof *pcm);
        *n += k;
        free(pcm);
    }
    return all;
}
