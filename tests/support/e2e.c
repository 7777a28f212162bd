/* e2e.c -- see e2e.h. */
#include "e2e.h"

#include <uv.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audio/audio.h"
#include "g711.h"
#include "streams/stream.h"
#include "twilio.h"
#include "tools/wsclient.h"

extern char **environ;

#define E2E_ENV_MAX 256
#define E2E_TMP "/tmp/callprint-e2e-"
/* P-256 keys: generated at once, where RSA keys cost seconds under a loaded machine. */
#define E2E_EC_KEY "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"

/* The live world; `up` while e2e_setup has run (e2e_pump only sleeps otherwise). */
static struct {
    uv_loop_t loop;
    bool up;
    wsc_ctx *ws;
    rproc redis;
    redisContext *rc;
    char redis_url[512];
    char prefix[64];
    e2e_proc recv;
    char recv_url[64];
    char hooks[600]; /* the receiver's request log */
    char dir[256];
    int ids;
} W;

/* ---- files ---------------------------------------------------------------------------------- */

const char *e2e_src(const char *rel, char *out, size_t cap)
{
    const char *d = getenv("CALLPRINT_SOURCE_DIR");
    snprintf(out, cap, "%s/%s", d ? d : ".", rel);
    return out;
}

const char *e2e_bin(const char *rel, char *out, size_t cap)
{
    const char *d = getenv("CALLPRINT_BIN_DIR");
    snprintf(out, cap, "%s/%s", d ? d : "bin", rel);
    return out;
}

static const char *src_dir(void)
{
    const char *d = getenv("CALLPRINT_SOURCE_DIR");
    return d ? d : ".";
}

char *e2e_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t k;
    while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}


bool e2e_file_has(const char *path, const char *needle)
{
    char *t = e2e_read(path, NULL);
    bool has = t && strstr(t, needle);
    free(t);
    return has;
}

bool e2e_log_has(const e2e_proc *p, const char *needle) { return e2e_file_has(p->log, needle); }

void e2e_tmpdir(char *out, size_t cap)
{
    snprintf(out, cap, E2E_TMP "XXXXXX");
    if (!mkdtemp(out))
        out[0] = '\0';
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

void e2e_rmdir(const char *dir)
{
    if (dir[0] && strncmp(dir, E2E_TMP, strlen(E2E_TMP)) == 0)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- processes ------------------------------------------------------------------------------ */

void e2e_pump(int ms)
{
    uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000u;
    while (uv_hrtime() < end) {
        if (W.up)
            uv_run(&W.loop, UV_RUN_NOWAIT);
        usleep(2000);
    }
}

int e2e_spawn(e2e_proc *p, char *const argv[], const char *const *env, const char *log)
{
    const char *envp[E2E_ENV_MAX];
    size_t n = 0;
    for (char **e = environ; *e && n + 1 < E2E_ENV_MAX; e++)
        if (strncmp(*e, "CALLPRINT_", 10) != 0)
            envp[n++] = *e;
    for (; env && *env && n + 1 < E2E_ENV_MAX; env++)
        envp[n++] = *env;
    envp[n] = NULL;
    snprintf(p->log, sizeof p->log, "%s", log);
    p->port = 0;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int devnull = open("/dev/null", O_RDONLY);
        if (fd < 0 || devnull < 0)
            _exit(127);
        dup2(devnull, 0), dup2(fd, 1), dup2(fd, 2);
        execvpe(argv[0], argv, (char *const *)envp);
        _exit(127);
    }
    p->pid = pid;
    return 0;
}

/* A child that failed: the tail of its log, the whole of it kept for the reader. */
static void report_failure(const e2e_proc *p)
{
    char *t = e2e_read(p->log, NULL);
    size_t n = t ? strlen(t) : 0;
    char keep[128];
    snprintf(keep, sizeof keep, "/tmp/callprint-e2e-failed-%d.log", (int)getpid());
    FILE *f = fopen(keep, "w");
    if (f && t)
        fputs(t, f);
    if (f)
        fclose(f);
    cr_log_error("%s (whole: %s) tail:\n%s", p->log, keep, t ? t + (n > 3000 ? n - 3000 : 0) : "");
    free(t);
}

int e2e_wait(e2e_proc *p, int timeout_ms)
{
    if (p->pid <= 0)
        return -1;
    int st = 0;
    pid_t r = 0;
    /* Pump the held calls meanwhile: a stopping gateway waits for their close handshakes. */
    for (int waited = 0; waited < timeout_ms && (r = waitpid(p->pid, &st, WNOHANG)) == 0;
         waited += 10)
        e2e_pump(10);
    if (r == 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &st, 0);
    }
    p->pid = 0;
    if (r == 0 || (WIFEXITED(st) && WEXITSTATUS(st) != 0))
        report_failure(p);
    return r != 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int e2e_stop(e2e_proc *p)
{
    if (p->pid <= 0)
        return -1;
    kill(p->pid, SIGTERM);
    return e2e_wait(p, 60000);
}

/* Wait until the output has `key` followed by a number; that number (-1: exited, timeout). */
static int wait_number(e2e_proc *p, const char *key, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        char *text = e2e_read(p->log, NULL);
        const char *at = text ? strstr(text, key) : NULL;
        int v = at ? atoi(at + strlen(key)) : 0;
        free(text);
        if (v > 0)
            return v;
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
            p->pid = 0;
            return -1;
        }
        usleep(20000);
    }
    return -1;
}

int e2e_gateway(e2e_proc *p, const char *dir, const char *const *env)
{
    char bin[512], log[512], wrap[512] = "";
    static int serial;
    e2e_bin("callprint", bin, sizeof bin);
    snprintf(log, sizeof log, "%s/gateway-%d.log", dir, ++serial);
    /* CALLPRINT_TEST_WRAPPER="valgrind --error-exitcode=99 --leak-check=full" runs the
     * gateway under a tool (by hand: too slow for the suite). */
    char *argv[16];
    size_t na = 0;
    if (getenv("CALLPRINT_TEST_WRAPPER"))
        snprintf(wrap, sizeof wrap, "%s", getenv("CALLPRINT_TEST_WRAPPER"));
    for (char *tok = strtok(wrap, " "); tok && na < 14; tok = strtok(NULL, " "))
        argv[na++] = tok;
    argv[na++] = bin;
    argv[na] = NULL;
    if (e2e_spawn(p, argv, env, log) != 0)
        return -1;
    p->port = wait_number(p, "listening on http://127.0.0.1:", 60000);
    return p->port > 0 ? 0 : -1;
}

int e2e_receiver(e2e_proc *p, const char *dir, const char *cert, const char *key,
                 const char *client_ca)
{
    char script[512], log[512], out[512];
    e2e_src("tests/support/receiver.py", script, sizeof script);
    snprintf(log, sizeof log, "%s/received.jsonl", dir);
    snprintf(out, sizeof out, "%s/receiver.out", dir);
    char *argv[] = {"python3", script, log, (char *)cert, (char *)key, (char *)client_ca, NULL};
    if (e2e_spawn(p, argv, NULL, out) != 0)
        return -1;
    p->port = wait_number(p, "", 10000);
    return p->port > 0 ? 0 : -1;
}

/* The receiver's request log: received.jsonl beside its output. */
static void received_path(const e2e_proc *r, char *out, size_t cap)
{
    snprintf(out, cap, "%s", r->log);
    char *slash = strrchr(out, '/');
    if (slash)
        snprintf(slash + 1, cap - (size_t)(slash + 1 - out), "received.jsonl");
}

cJSON *e2e_received(const e2e_proc *r)
{
    char log[600];
    received_path(r, log, sizeof log);
    cJSON *arr = cJSON_CreateArray();
    char *text = e2e_read(log, NULL);
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        if (o)
            cJSON_AddItemToArray(arr, o);
    }
    free(text);
    return arr;
}

const char *e2e_header(const cJSON *req, const char *name)
{
    const cJSON *h;
    cJSON_ArrayForEach(h, cJSON_GetObjectItem(req, "headers"))
        if (strcasecmp(h->string, name) == 0)
            return cJSON_GetStringValue(h);
    return NULL;
}

static int run(char *const argv[])
{
    e2e_proc p;
    if (e2e_spawn(&p, argv, NULL, "/dev/null") != 0)
        return -1;
    return e2e_wait(&p, 30000);
}

int e2e_make_certs(const char *dir)
{
    char ca[300], cakey[300], key[300], csr[300], crt[300], ext[300];
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(cakey, sizeof cakey, "%s/ca.key", dir);
    snprintf(key, sizeof key, "%s/srv.key", dir);
    snprintf(csr, sizeof csr, "%s/srv.csr", dir);
    snprintf(crt, sizeof crt, "%s/srv.pem", dir);
    snprintf(ext, sizeof ext, "%s/ext.cnf", dir);
    FILE *f = fopen(ext, "w");
    if (!f)
        return -1;
    fprintf(f, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    fclose(f);
    /* clang-format off */
    char *mk_ca[] = {"/usr/bin/openssl", "req", "-x509", E2E_EC_KEY, "-nodes", "-keyout", cakey,
                     "-out", ca, "-days", "2", "-subj", "/CN=callprint test CA", NULL};
    char *mk_csr[] = {"/usr/bin/openssl", "req", E2E_EC_KEY, "-nodes", "-keyout", key, "-out", csr,
                      "-subj", "/CN=127.0.0.1", NULL};
    char *sign[] = {"/usr/bin/openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", cakey,
                    "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext, NULL};
    char ckey[300], ccsr[300], ccrt[300];
    snprintf(ckey, sizeof ckey, "%s/cli.key", dir);
    snprintf(ccsr, sizeof ccsr, "%s/cli.csr", dir);
    snprintf(ccrt, sizeof ccrt, "%s/cli.pem", dir);
    char *mk_ccsr[] = {"/usr/bin/openssl", "req", E2E_EC_KEY, "-nodes", "-keyout", ckey, "-out",
                       ccsr, "-subj", "/CN=callprint gateway", NULL};
    char *csign[] = {"/usr/bin/openssl", "x509", "-req", "-in", ccsr, "-CA", ca, "-CAkey", cakey,
                     "-CAcreateserial", "-out", ccrt, "-days", "2", NULL};
    /* clang-format on */
    return run(mk_ca) == 0 && run(mk_csr) == 0 && run(sign) == 0 && run(mk_ccsr) == 0 &&
                   run(csign) == 0
               ? 0
               : -1;
}


int e2e_call_start(e2e_proc *p, int gw_port, const char *dir, const char *const *args)
{
    char bin[512], url[128], out[512];
    static int serial;
    e2e_bin("callprint-call", bin, sizeof bin);
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/stream", gw_port);
    snprintf(out, sizeof out, "%s/call-%d.out", dir, ++serial);
    char *argv[64] = {bin, "--url", url};
    size_t n = 3;
    for (; args && *args && n + 1 < 64; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
    return e2e_spawn(p, argv, NULL, out);
}

/* ---- HTTP ----------------------------------------------------------------------------------- */

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

long e2e_http(int port, const char *method, const char *path, const char *token,
              const char *body, cJSON **out)
{
    char url[2048], auth[600];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
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
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
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

bool e2e_login(int port, const char *password, char *out, size_t cap)
{
    char body[256];
    snprintf(body, sizeof body, "{\"username\":\"admin\",\"password\":\"%s\"}", password);
    cJSON *o = NULL;
    long st = 0;
    out[0] = '\0';
    /* Right after start the gateway may still be connecting to Redis (where the password
     * record lives): it answers 503 "retry", and so do we, for up to 10 s. */
    for (int t = 0; t < 10000; t += 100) {
        cJSON_Delete(o);
        o = NULL;
        st = e2e_http(port, "POST", "/api/v2/auth/login", NULL, body, &o);
        if (st != 503)
            break;
        usleep(100000);
    }
    const char *tok = cJSON_GetStringValue(cJSON_GetObjectItem(o, "token"));
    if (st == 200 && tok)
        snprintf(out, cap, "%s", tok);
    else
        cr_log_error("login: HTTP %ld", st);
    cJSON_Delete(o);
    return out[0] != '\0';
}

int e2e_http_storm(int port, const char *path, const char *token, const char *body,
                  int n, long want, double *slowest)
{
    char url[1024], auth[600];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
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

double e2e_metric(int port, const char *family)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", port);
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

/* ---- the sessions world ---------------------------------------------------------------- */

int e2e_world_open(e2e_world *w)
{
    memset(w, 0, sizeof *w);
    e2e_tmpdir(w->dir, sizeof w->dir);
    if (!w->dir[0] || rproc_start(&w->rp, NULL) != 0)
        return -1;
    w->rc = rproc_client("127.0.0.1", w->rp.port, NULL, 0);
    return w->rc ? 0 : -1;
}

void e2e_world_close(e2e_world *w)
{
    if (w->rc)
        redisFree(w->rc);
    w->rc = NULL;
    rproc_cleanup(&w->rp);
    e2e_rmdir(w->dir);
}

/* ---- the live world ------------------------------------------------------------------------- */

void e2e_setup(void)
{
    memset(&W, 0, sizeof W);
    cr_assert_eq(uv_loop_init(&W.loop), 0);
    W.up = true;
    W.ws = wsc_new(&W.loop);
    cr_assert_not_null(W.ws);
    W.rc = test_redis(&W.redis, W.redis_url, sizeof W.redis_url);
    cr_assert_not_null(W.rc, "no redis");
    snprintf(W.prefix, sizeof W.prefix, "lt%d:", (int)getpid());
    e2e_tmpdir(W.dir, sizeof W.dir);
    cr_assert(W.dir[0]);
    cr_assert_eq(e2e_receiver(&W.recv, W.dir, NULL, NULL, NULL), 0, "no webhook receiver");
    received_path(&W.recv, W.hooks, sizeof W.hooks);
    snprintf(W.recv_url, sizeof W.recv_url, "http://127.0.0.1:%d", W.recv.port);
}

void e2e_use_own_redis(void)
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

void e2e_redis_kill(void)
{
    cr_assert(W.redis.pid > 0, "only a private redis can be killed");
    redisFree(W.rc);
    W.rc = NULL;
    rproc_signal(&W.redis, SIGKILL);
}

const char *e2e_redis_url(void) { return W.redis_url; }
const char *e2e_redis_prefix(void) { return W.prefix; }

void e2e_redis_signal(int sig)
{
    cr_assert(W.redis.pid > 0, "only a private redis can be signalled");
    rproc_signal(&W.redis, sig);
}

void e2e_redis_restart(void)
{
    cr_assert_eq(rproc_start(&W.redis, NULL), 0, "cannot restart redis-server");
    W.rc = rproc_client("127.0.0.1", W.redis.port, NULL, 0);
    cr_assert_not_null(W.rc);
}

void e2e_teardown(void)
{
    if (W.recv.pid > 0) {
        kill(W.recv.pid, SIGTERM);
        waitpid(W.recv.pid, NULL, 0);
    }
    if (W.ws) { /* lws on a foreign loop: destroy in rounds */
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
    W.up = false;
    if (W.rc) {
        test_redis_flush_prefix(W.rc, W.prefix);
        redisFree(W.rc);
    }
    if (W.redis.pid)
        rproc_cleanup(&W.redis);
    e2e_rmdir(W.dir);
}

const char *e2e_receiver_url(void) { return W.recv_url; }

const char *e2e_id(const char *prefix, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s-%d-%d", prefix, (int)getpid(), ++W.ids);
    return buf;
}

void e2e_uuid(char out[37])
{
    cr_assert_eq(stream_uuid4(out), 0);
}

void e2e_gateway_start(e2e_proc *g, const char *const *env)
{
    memset(g, 0, sizeof *g);
    char model[1024];
    e2e_src("biometrics/models/callprint.model", model, sizeof model);
    const char *base[] = {"CALLPRINT_LISTEN", "127.0.0.1:0",
                          "CALLPRINT_REDIS_URL", W.redis_url,
                          "CALLPRINT_REDIS_PREFIX", W.prefix,
                          "CALLPRINT_MODEL", model,
                          "CALLPRINT_WORKERS", "2",
                          "CALLPRINT_LOG_FILE", "-",
                          /* Test calls are not signed; the refusal has its own test. */
                          "CALLPRINT_ALLOW_UNSIGNED_ENROLL", "true",
                          NULL};
    /* As "NAME=value" entries; a test's pair replaces the base one of the same name (getenv
     * would see the first of two). */
    static char kv[64][1100];
    const char *all[65];
    size_t k = 0;
    for (size_t i = 0; base[i]; i += 2, k++)
        snprintf(kv[k], sizeof kv[k], "%s=%s", base[i], base[i + 1]);
    for (size_t i = 0; env && env[i] && k < 64; i += 2) {
        size_t at = 0, nl = strlen(env[i]);
        while (at < k && !(strncmp(kv[at], env[i], nl) == 0 && kv[at][nl] == '='))
            at++;
        snprintf(kv[at], sizeof kv[at], "%s=%s", env[i], env[i + 1]);
        k += at == k;
    }
    for (size_t i = 0; i < k; i++)
        all[i] = kv[i];
    all[k] = NULL;
    cr_assert_eq(e2e_gateway(g, W.dir, all), 0, "the gateway did not listen (see %s)", g->log);
    /* Listening comes before ready (Redis connected, webhook secret loaded): a call made in
     * between would get no zero-integration webhook, as it would in production without a
     * readiness probe. Tests that start a gateway without Redis go on after 10 s. */
    for (int i = 0; i < 200 && e2e_http(g->port, "GET", "/readyz", NULL, NULL, NULL) != 200; i++)
        e2e_pump(50);
}

size_t e2e_hooks(const char *prefix, e2e_hook **out)
{
    *out = NULL;
    char *t = e2e_read(W.hooks, NULL);
    if (!t)
        return 0;
    size_t n = 0, cap = 0;
    e2e_hook *v = NULL;
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
        e2e_hook *k = &v[n++];
        memset(k, 0, sizeof *k);
        snprintf(k->path, sizeof k->path, "%s", path->valuestring);
        k->t = cJSON_GetObjectItem(o, "t")->valuedouble;
        k->body = strdup(cJSON_GetObjectItem(o, "body")->valuestring);
        k->json = cJSON_Parse(k->body);
        const char *sig = e2e_header(o, "X-Callprint-Signature");
        if (sig)
            snprintf(k->sig, sizeof k->sig, "%s", sig);
        cJSON_Delete(o);
    }
    free(t);
    *out = v;
    return n;
}

void e2e_hooks_free(e2e_hook *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(h[i].body);
        cJSON_Delete(h[i].json);
    }
    free(h);
}

size_t e2e_wait_hook(const char *prefix, bool (*pred)(const cJSON *), int timeout_ms)
{
    uint64_t end = uv_hrtime() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        e2e_hook *h;
        size_t n = e2e_hooks(prefix, &h);
        bool ok = false;
        for (size_t i = 0; i < n && !ok; i++)
            ok = !pred || (h[i].json && pred(h[i].json));
        e2e_hooks_free(h, n);
        if (ok || uv_hrtime() >= end)
            return ok ? n : 0;
        e2e_pump(50);
    }
}

int e2e_validate_hooks(int min)
{
    char cmd[2048];
    const char *src = src_dir();
    snprintf(cmd, sizeof cmd, "python3 '%s/tests/support/validate_hooks.py' '%s/schemas' '%s' %d",
             src, src, W.hooks, min);
    return system(cmd);
}

cJSON *e2e_redis_stream(const char *key)
{
    cJSON *out = cJSON_CreateArray();
    redisReply *r = redisCommand(W.rc, "XRANGE %s%s - +", W.prefix, key);
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const redisReply *e = r->element[i], *kv = e->elements == 2 ? e->element[1] : NULL;
        cJSON *o = cJSON_CreateObject();
        for (size_t k = 0; kv && k + 1 < kv->elements; k += 2)
            cJSON_AddStringToObject(o, kv->element[k]->str, kv->element[k + 1]->str);
        cJSON_AddItemToArray(out, o);
    }
    freeReplyObject(r);
    return out;
}

bool e2e_voiceprint_exists(const char *external_id)
{
    redisReply *r = redisCommand(W.rc, "EXISTS %svoiceprint:%s", W.prefix, external_id);
    bool yes = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);
    return yes;
}

char *e2e_session_field(const char *stream_uuid, const char *field)
{
    redisReply *id = redisCommand(W.rc, "GET %ssession:by-stream:%s", W.prefix, stream_uuid);
    redisReply *v = id && id->type == REDIS_REPLY_STRING
                        ? redisCommand(W.rc, "HGET %ssession:%s %s", W.prefix, id->str, field)
                        : NULL;
    char *out = v && v->type == REDIS_REPLY_STRING ? strdup(v->str) : NULL;
    freeReplyObject(v);
    freeReplyObject(id);
    return out;
}

/* ---------- calls ---------- */

struct e2e_call {
    wsc_conn *c;
    bool open, closed;
    int close_code;
    char sid[TW_SID_MAX];
    uint64_t seq, chunk, ts_ms;
    char buf[4096];
};

static void c_open(wsc_conn *c, void *ud)
{
    (void)c;
    ((e2e_call *)ud)->open = true;
}

static void c_close(wsc_conn *c, void *ud, int http_status, int close_code)
{
    (void)c;
    (void)http_status;
    ((e2e_call *)ud)->close_code = close_code;
    ((e2e_call *)ud)->closed = true;
}

static const wsc_callbacks call_cb = {.on_open = c_open, .on_close = c_close};

/* "MZ" + 32 hex digits (a UUID4 without its dashes): 34 characters, as Twilio's sids. */
static void random_sid(char *out, const char *pfx)
{
    char u[37];
    e2e_uuid(u);
    size_t k = (size_t)snprintf(out, TW_SID_MAX, "%s", pfx);
    for (const char *p = u; *p; p++)
        if (*p != '-')
            out[k++] = *p;
    out[k] = '\0';
}

e2e_call *e2e_call_open(const e2e_proc *g, const char *const *params)
{
    return e2e_call_open_ex(g, NULL, NULL, 0, params);
}

e2e_call *e2e_call_open_ex(const e2e_proc *g, const char *call_sid, const char *const *headers,
                           size_t n_headers, const char *const *params)
{
    e2e_call *c = calloc(1, sizeof *c);
    random_sid(c->sid, "MZ");
    char url[128];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/stream", g->port);
    c->c = wsc_connect(W.ws, url, headers, n_headers, &call_cb, c);
    cr_assert_not_null(c->c);
    for (int i = 0; i < 250 && !c->open && !c->closed; i++)
        e2e_pump(20);
    cr_assert(c->open, "WebSocket did not open");
    tw_param pv[16];
    size_t np = 0;
    for (size_t i = 0; params && params[i] && np < 16; i += 2, np++) {
        snprintf(pv[np].key, sizeof pv[np].key, "%s", params[i]);
        snprintf(pv[np].value, sizeof pv[np].value, "%s", params[i + 1]);
    }
    char call[TW_SID_MAX], acc[TW_SID_MAX];
    if (call_sid)
        snprintf(call, sizeof call, "%s", call_sid);
    else
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
    e2e_call_flush(c);
    return c;
}

static void send_frame(e2e_call *c, const int16_t *pcm, size_t k)
{
    uint8_t ulaw[160];
    g711_encode(G711_ULAW, pcm, k, ulaw);
    int n = tw_build_media_in(c->buf, sizeof c->buf, ++c->seq, c->sid, TW_TRACK_INBOUND,
                              ++c->chunk, c->ts_ms, ulaw, k);
    cr_assert_gt(n, 0);
    cr_assert_eq(wsc_send(c->c, c->buf, (size_t)n), 0);
    c->ts_ms += k / 8;
}

void e2e_call_send(e2e_call *c, const int16_t *pcm, size_t n)
{
    for (size_t off = 0; off < n; off += 160)
        send_frame(c, pcm + off, n - off < 160 ? n - off : 160);
    e2e_call_flush(c);
}

void e2e_calls_realtime(e2e_call **calls, const int16_t *const *pcm, size_t k, size_t n)
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
        e2e_call_flush(calls[j]);
}

void e2e_call_flush(e2e_call *c)
{
    for (int i = 0; i < 5000 && wsc_queued(c->c) > 0 && !c->closed; i++)
        e2e_pump(2);
    e2e_pump(20);
}

void e2e_call_stop(e2e_call *c)
{
    if (!c)
        return;
    if (!c->closed) {
        int n = tw_build_stop(c->buf, sizeof c->buf, ++c->seq, c->sid, "", "");
        wsc_send(c->c, c->buf, (size_t)n);
        e2e_call_flush(c);
        wsc_close(c->c);
        for (int i = 0; i < 250 && !c->closed; i++)
            e2e_pump(10);
    }
    free(c);
}

const char *e2e_call_sid(const e2e_call *c) { return c->sid; }

int e2e_call_wait_closed(e2e_call *c, int ms)
{
    for (int i = 0; i < ms / 10 && !c->closed; i++)
        e2e_pump(10);
    return c->closed ? c->close_code : -1;
}

/* ---------- audio ---------- */

int16_t *e2e_audio(const char *const *files, size_t *n)
{
    const char *src = src_dir();
    int16_t *all = NULL;
    *n = 0;
    for (; *files; files++) {
        char path[1024], err[256];
        snprintf(path, sizeof path, "%s/tests/%s", src, *files);
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

