/* sx.c -- see sx.h. Children are fork+exec'd with PR_SET_PDEATHSIG so that a test that
 * crashes leaves no gateway, call or receiver behind. */
#include "sx.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define SX_ENV_MAX 256
/* P-256 keys: generated at once, where RSA keys cost seconds under a loaded machine. */
#define SX_EC_KEY "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"

void sx_tmpdir(char *out, size_t cap)
{
    snprintf(out, cap, "/tmp/callprint-sx-XXXXXX");
    if (!mkdtemp(out))
        out[0] = '\0';
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

void sx_rmdir(const char *dir)
{
    if (dir[0] && strncmp(dir, "/tmp/callprint-sx-", 18) == 0)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int sx_world_open(sx_world *w)
{
    memset(w, 0, sizeof *w);
    sx_tmpdir(w->dir, sizeof w->dir);
    if (!w->dir[0] || rproc_start(&w->rp, NULL) != 0)
        return -1;
    w->rc = rproc_client("127.0.0.1", w->rp.port, NULL, 0);
    return w->rc ? 0 : -1;
}

void sx_world_close(sx_world *w)
{
    if (w->rc)
        redisFree(w->rc);
    w->rc = NULL;
    rproc_cleanup(&w->rp);
    sx_rmdir(w->dir);
}

const char *sx_src(const char *rel, char *out, size_t cap)
{
    const char *d = getenv("CALLPRINT_SOURCE_DIR");
    snprintf(out, cap, "%s/%s", d ? d : ".", rel);
    return out;
}

const char *sx_bin(const char *rel, char *out, size_t cap)
{
    const char *d = getenv("CALLPRINT_BIN_DIR");
    snprintf(out, cap, "%s/%s", d ? d : "bin", rel);
    return out;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- processes ------------------------------------------------------------------------------- */

int sx_spawn(sx_proc *p, char *const argv[], const char *const *env, const char *out)
{
    const char *envp[SX_ENV_MAX];
    size_t n = 0;
    for (char **e = environ; *e && n + 1 < SX_ENV_MAX; e++)
        if (strncmp(*e, "CALLPRINT_", 10) != 0)
            envp[n++] = *e;
    for (; env && *env && n + 1 < SX_ENV_MAX; env++)
        envp[n++] = *env;
    envp[n] = NULL;
    snprintf(p->out, sizeof p->out, "%s", out);
    p->port = 0;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int devnull = open("/dev/null", O_RDONLY);
        if (fd < 0 || devnull < 0)
            _exit(127);
        dup2(devnull, 0), dup2(fd, 1), dup2(fd, 2);
        execve(argv[0], argv, (char *const *)envp);
        _exit(127);
    }
    p->pid = pid;
    return 0;
}

int sx_wait(sx_proc *p, int timeout_ms)
{
    if (p->pid <= 0)
        return -1;
    int status = 0;
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            p->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        sleep_ms(20);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    p->pid = 0;
    return -1;
}

int sx_stop(sx_proc *p)
{
    if (p->pid <= 0)
        return -1;
    kill(p->pid, SIGTERM);
    return sx_wait(p, 10000);
}

/* Wait until the output has a line containing `key` followed by a number; that number. */
static int wait_number(sx_proc *p, const char *key, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        char *text = sx_read(p->out, NULL);
        const char *at = text ? strstr(text, key) : NULL;
        int v = at ? atoi(at + strlen(key)) : 0;
        free(text);
        if (v > 0)
            return v;
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
            p->pid = 0;
            return -1;
        }
        sleep_ms(20);
    }
    return -1;
}

int sx_gateway(sx_proc *p, const char *dir, const char *const *env)
{
    char bin[512], out[512];
    static int serial;
    sx_bin("callprint", bin, sizeof bin);
    snprintf(out, sizeof out, "%s/gateway-%d.log", dir, ++serial);
    char *argv[] = {bin, NULL};
    if (sx_spawn(p, argv, env, out) != 0)
        return -1;
    p->port = wait_number(p, "listening on http://127.0.0.1:", 30000);
    return p->port > 0 ? 0 : -1;
}

int sx_receiver(sx_proc *p, const char *dir, const char *cert, const char *key)
{
    return sx_receiver_mtls(p, dir, cert, key, NULL);
}

int sx_receiver_mtls(sx_proc *p, const char *dir, const char *cert, const char *key,
                     const char *client_ca)
{
    char script[512], log[512], out[512];
    sx_src("tests/webhook/receiver.py", script, sizeof script);
    snprintf(log, sizeof log, "%s/received.jsonl", dir);
    snprintf(out, sizeof out, "%s/receiver.out", dir);
    char *argv[] = {"/usr/bin/python3", script, log, (char *)cert, (char *)key,
                    (char *)client_ca,  NULL};
    if (sx_spawn(p, argv, NULL, out) != 0)
        return -1;
    p->port = wait_number(p, "", 10000);
    return p->port > 0 ? 0 : -1;
}

cJSON *sx_received(const sx_proc *r)
{
    char log[600];
    snprintf(log, sizeof log, "%s", r->out);
    char *slash = strrchr(log, '/');
    if (slash)
        snprintf(slash + 1, sizeof log - (size_t)(slash + 1 - log), "received.jsonl");
    cJSON *arr = cJSON_CreateArray();
    char *text = sx_read(log, NULL);
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        if (o)
            cJSON_AddItemToArray(arr, o);
    }
    free(text);
    return arr;
}

static int run(char *const argv[])
{
    sx_proc p;
    if (sx_spawn(&p, argv, NULL, "/dev/null") != 0)
        return -1;
    return sx_wait(&p, 30000);
}

int sx_make_certs(const char *dir)
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
    char *mk_ca[] = {"/usr/bin/openssl", "req", "-x509", SX_EC_KEY, "-nodes", "-keyout", cakey,
                     "-out", ca, "-days", "2", "-subj", "/CN=callprint test CA", NULL};
    char *mk_csr[] = {"/usr/bin/openssl", "req", SX_EC_KEY, "-nodes", "-keyout", key, "-out", csr,
                      "-subj", "/CN=127.0.0.1", NULL};
    char *sign[] = {"/usr/bin/openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", cakey,
                    "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext, NULL};
    char ckey[300], ccsr[300], ccrt[300];
    snprintf(ckey, sizeof ckey, "%s/cli.key", dir);
    snprintf(ccsr, sizeof ccsr, "%s/cli.csr", dir);
    snprintf(ccrt, sizeof ccrt, "%s/cli.pem", dir);
    char *mk_ccsr[] = {"/usr/bin/openssl", "req", SX_EC_KEY, "-nodes", "-keyout", ckey, "-out",
                       ccsr, "-subj", "/CN=callprint gateway", NULL};
    char *csign[] = {"/usr/bin/openssl", "x509", "-req", "-in", ccsr, "-CA", ca, "-CAkey", cakey,
                     "-CAcreateserial", "-out", ccrt, "-days", "2", NULL};
    /* clang-format on */
    return run(mk_ca) == 0 && run(mk_csr) == 0 && run(sign) == 0 && run(mk_ccsr) == 0 &&
                   run(csign) == 0
               ? 0
               : -1;
}

/* ---- HTTP ------------------------------------------------------------------------------------ */

typedef struct {
    char *buf;
    size_t len;
} sx_buf;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    sx_buf *b = ud;
    char *nb = realloc(b->buf, b->len + size * n + 1);
    if (!nb)
        return 0;
    memcpy(nb + b->len, p, size * n);
    b->buf = nb;
    b->len += size * n;
    b->buf[b->len] = '\0';
    return size * n;
}

long sx_http(int port, const char *method, const char *path, const char *token, const char *body,
             cJSON **out)
{
    CURL *c = curl_easy_init();
    char url[1024], auth[600];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Token %s", token);
        h = curl_slist_append(h, auth);
    }
    sx_buf b = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (out)
        *out = b.buf ? cJSON_Parse(b.buf) : NULL;
    free(b.buf);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

const char *sx_login(int port, const char *password)
{
    static char token[256];
    char body[256];
    snprintf(body, sizeof body, "{\"username\":\"admin\",\"password\":\"%s\"}", password);
    cJSON *o = NULL;
    token[0] = '\0';
    /* Right after start the gateway may still be connecting to Redis (where the password
     * record lives): it answers 503 "retry", and so do we, for up to 10 s. */
    long st = 0;
    for (int t = 0; t < 10000; t += 100) {
        cJSON_Delete(o);
        o = NULL;
        st = sx_http(port, "POST", "/api/v2/auth/login", NULL, body, &o);
        if (st != 503)
            break;
        sleep_ms(100);
    }
    if (st != 200) {
        char *t = o ? cJSON_PrintUnformatted(o) : NULL;
        fprintf(stderr, "login: HTTP %ld %s\n", st, t ? t : "");
        free(t);
    }
    if (st == 200)
        snprintf(token, sizeof token, "%s",
                 cJSON_GetStringValue(cJSON_GetObjectItem(o, "token")) ?: "");
    cJSON_Delete(o);
    return token;
}

/* ---- calls and files ------------------------------------------------------------------------- */

int sx_call_start(sx_proc *p, int gw_port, const char *dir, const char *const *args)
{
    char bin[512], url[128], out[512];
    static int serial;
    sx_bin("callprint-call", bin, sizeof bin);
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/stream", gw_port);
    snprintf(out, sizeof out, "%s/call-%d.out", dir, ++serial);
    char *argv[64] = {bin, "--url", url};
    size_t n = 3;
    for (; args && *args && n + 1 < 64; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
    return sx_spawn(p, argv, NULL, out);
}

char *sx_read(const char *path, size_t *len)
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

bool sx_file_has(const char *path, const char *needle)
{
    char *t = sx_read(path, NULL);
    bool has = t && strstr(t, needle);
    free(t);
    return has;
}
