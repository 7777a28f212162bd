/* auth.c -- admin password (PBKDF2), tokens (SHA-256 at rest), login rate limit.
 * See auth.h for the contract.
 *
 * Every slow operation is split in three phases so that the same code serves the
 * synchronous and the thread-pool paths:
 *   begin  (caller's thread): disabled? rate limited? too many KDF jobs? snapshot the record;
 *   kdf    (any thread):      PBKDF2 over copies only -- touches no shared state;
 *   finish (caller's thread): constant-time compare against the snapshot, and only if the
 *                             record did not change meanwhile (generation counter), issue a
 *                             token / install the new record / count the failure.
 * Passwords are copied into the job and wiped (OPENSSL_cleanse) as soon as the KDF has run.
 *
 * Tables are small fixed arrays scanned linearly: at most max_tokens (64) tokens and
 * max_addresses rate-limit slots; logins are rare, so simplicity beats a hash table.
 */
#include "api/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

#define SALT_LEN 16
#define HASH_LEN 32
#define PASSWORD_MAX 1024
#define ADDR_MAX 64

typedef struct {
    bool set;
    uint32_t iterations;
    uint8_t salt[SALT_LEN];
    uint8_t hash[HASH_LEN];
} auth_record;

typedef struct {
    uint8_t digest[SHA256_DIGEST_LENGTH]; /* SHA-256 of the token's hex text */
    int64_t created, expires;
    bool live;
} auth_token;

typedef struct {
    char addr[ADDR_MAX];
    int64_t window_start;
    int failures;
    bool used;
} auth_addr;

struct auth {
    auth_options opt;
    auth_record rec;
    uint64_t generation; /* bumped on every record change */
    auth_token *tokens;
    auth_addr *addrs;
    int kdf_jobs;        /* async jobs in flight, early answers included */
    int hashing;         /* of those, the ones running the KDF (at most opt.max_kdf_jobs) */
    int64_t user_window_start; /* the account's failure budget (see auth.h) */
    int user_failures;
    bool dying;          /* auth_free called while jobs run */
};

typedef enum { OP_LOGIN, OP_CHANGE } auth_op;

/* One login or password change, across the three phases. */
typedef struct {
    uv_work_t work;
    auth *a;
    auth_op op;
    auth_status early;    /* != AUTH_OK: answered without running the KDF */
    char addr[ADDR_MAX];
    bool user_ok;
    uint64_t generation;
    auth_record snap;     /* record as it was at begin */
    char *password, *new_password;
    uint8_t derived[HASH_LEN];
    bool hashing;         /* counted in auth.hashing */
    auth_record fresh;    /* new record (change) */
    auth_cb cb;
    void *cb_arg;
} auth_job;

/* ---------- helpers ---------- */

static int64_t default_now(void *arg)
{
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_ms(const auth *a)
{
    return a->opt.now_ms(a->opt.clock_arg);
}

static void to_hex(const uint8_t *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int from_hex(const char *in, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char c = in[2 * i + k];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0)
                return -1;
            v = v * 16 + d;
        }
        out[i] = (uint8_t)v;
    }
    return 0;
}

static int kdf(const char *password, const auth_record *r, uint8_t out[HASH_LEN])
{
    return PKCS5_PBKDF2_HMAC(password, (int)strlen(password), r->salt, SALT_LEN,
                             (int)r->iterations, EVP_sha256(), HASH_LEN, out) == 1
               ? 0
               : -1;
}

static int make_record(auth_record *r, const char *password, uint32_t iterations)
{
    r->iterations = iterations;
    if (RAND_bytes(r->salt, SALT_LEN) != 1 || kdf(password, r, r->hash) != 0)
        return -1;
    r->set = true;
    return 0;
}

static char *dup_secret(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void wipe_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* ---------- rate limit ---------- */

static auth_addr *addr_find(auth *a, const char *addr, bool create)
{
    auth_addr *oldest = NULL, *free_slot = NULL;
    int64_t now = now_ms(a), window = (int64_t)a->opt.failure_window_s * 1000;
    for (size_t i = 0; i < a->opt.max_addresses; i++) {
        auth_addr *s = &a->addrs[i];
        if (s->used && now - s->window_start >= window)
            s->used = false; /* window over: forget */
        if (!s->used) {
            if (!free_slot)
                free_slot = s;
            continue;
        }
        if (strcmp(s->addr, addr) == 0)
            return s;
        if (!oldest || s->window_start < oldest->window_start)
            oldest = s;
    }
    auth_addr *s = free_slot ? free_slot : oldest;
    if (!create || !s) /* s is NULL only if max_addresses were 0, which auth_new prevents */
        return NULL;
    memset(s, 0, sizeof *s);
    snprintf(s->addr, sizeof s->addr, "%s", addr);
    s->window_start = now;
    s->used = true;
    return s;
}

/* The account's budget: the window restarts at the first failure after it ended. */
static bool user_limited(auth *a)
{
    if (now_ms(a) - a->user_window_start >= (int64_t)a->opt.user_window_s * 1000)
        a->user_failures = 0;
    return a->user_failures >= a->opt.max_user_failures;
}

static void user_failure(auth *a)
{
    if (!user_limited(a) && a->user_failures == 0)
        a->user_window_start = now_ms(a);
    if (++a->user_failures == a->opt.max_user_failures)
        log_warn("login failure budget of the account reached: logins refused for up to %ld s",
                 a->opt.user_window_s);
}

static bool rate_limited(auth *a, const char *addr, bool user_ok)
{
    const auth_addr *s = addr_find(a, addr, false);
    return (s && s->failures >= a->opt.max_failures) || (user_ok && user_limited(a));
}

static void record_failure(auth *a, const char *addr, bool user_ok)
{
    if (user_ok)
        user_failure(a);
    auth_addr *s = addr_find(a, addr, true);
    if (s && ++s->failures == a->opt.max_failures) {
        log_write(LOG_WARN, NULL, NULL, LOG_KV("client", addr), "login rate limit reached");
    }
}

static void clear_failures(auth *a, const char *addr)
{
    auth_addr *s = addr_find(a, addr, false);
    if (s)
        s->used = false;
}

/* ---------- tokens ---------- */

static void token_digest(const char *token, uint8_t out[SHA256_DIGEST_LENGTH])
{
    SHA256((const unsigned char *)token, AUTH_TOKEN_LEN, out);
}

static bool token_wellformed(const char *token)
{
    if (!token || strlen(token) != AUTH_TOKEN_LEN)
        return false;
    for (size_t i = 0; i < AUTH_TOKEN_LEN; i++)
        if (!((token[i] >= '0' && token[i] <= '9') || (token[i] >= 'a' && token[i] <= 'f')))
            return false;
    return true;
}

static void purge_expired(auth *a)
{
    int64_t now = now_ms(a);
    for (size_t i = 0; i < a->opt.max_tokens; i++)
        if (a->tokens[i].live && now >= a->tokens[i].expires)
            a->tokens[i].live = false;
}

static auth_status token_issue(auth *a, char *out)
{
    uint8_t raw[32];
    auth_token *slot = NULL;
    purge_expired(a);
    for (size_t i = 0; i < a->opt.max_tokens; i++) {
        auth_token *t = &a->tokens[i];
        if (!t->live) {
            slot = t;
            break;
        }
        if (!slot || t->created < slot->created)
            slot = t; /* full: the oldest makes room */
    }
    if (RAND_bytes(raw, sizeof raw) != 1)
        return AUTH_ERROR;
    to_hex(raw, sizeof raw, out);
    OPENSSL_cleanse(raw, sizeof raw);
    token_digest(out, slot->digest);
    slot->created = now_ms(a);
    slot->expires = slot->created + (int64_t)a->opt.token_ttl_s * 1000;
    slot->live = true;
    return AUTH_OK;
}

/* The live token matching `token`, compared in constant time against every slot. */
static auth_token *token_find(auth *a, const char *token)
{
    uint8_t d[SHA256_DIGEST_LENGTH];
    auth_token *hit = NULL;
    if (!token_wellformed(token))
        return NULL;
    purge_expired(a);
    token_digest(token, d);
    for (size_t i = 0; i < a->opt.max_tokens; i++)
        if (a->tokens[i].live && CRYPTO_memcmp(a->tokens[i].digest, d, sizeof d) == 0)
            hit = &a->tokens[i];
    return hit;
}

auth_status auth_check(auth *a, const char *token)
{
    if (!a || !a->rec.set)
        return a ? AUTH_DISABLED : AUTH_ERROR;
    return token_find(a, token) ? AUTH_OK : AUTH_INVALID_TOKEN;
}

auth_status auth_logout(auth *a, const char *token)
{
    auth_token *t = a ? token_find(a, token) : NULL;
    if (!t)
        return AUTH_INVALID_TOKEN;
    t->live = false;
    return AUTH_OK;
}

void auth_revoke_all(auth *a)
{
    for (size_t i = 0; a && i < a->opt.max_tokens; i++)
        a->tokens[i].live = false;
}

int auth_jobs_running(const auth *a)
{
    return a ? a->kdf_jobs : 0;
}

size_t auth_live_tokens(auth *a)
{
    size_t n = 0;
    if (!a)
        return 0;
    purge_expired(a);
    for (size_t i = 0; i < a->opt.max_tokens; i++)
        n += a->tokens[i].live;
    return n;
}

/* ---------- the three phases ---------- */

static auth_job *job_begin(auth *a, auth_op op, const char *addr, const char *user,
                           const char *password, const char *new_password)
{
    auth_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->a = a;
    j->op = op;
    snprintf(j->addr, sizeof j->addr, "%s", addr ? addr : "-");
    j->user_ok = user && strcmp(user, AUTH_USER) == 0;
    j->generation = a->generation;
    j->snap = a->rec;
    if (!a->rec.set)
        j->early = AUTH_DISABLED;
    else if (rate_limited(a, j->addr, j->user_ok))
        j->early = AUTH_RATE_LIMITED;
    else if (!password || strlen(password) > PASSWORD_MAX)
        j->early = AUTH_BAD_CREDENTIALS;
    else if (op == OP_CHANGE && (!new_password || strlen(new_password) < a->opt.min_password_len
                                 || strlen(new_password) > PASSWORD_MAX))
        j->early = AUTH_WEAK_PASSWORD;
    if (j->early == AUTH_OK) {
        j->password = dup_secret(password);
        j->new_password = dup_secret(new_password);
        if (!j->password || (op == OP_CHANGE && !j->new_password))
            j->early = AUTH_ERROR;
    }
    return j;
}

/* Thread-safe: reads and writes only the job. Runs the KDF even for a wrong user name so
 * that timing does not tell which part was wrong. */
static void job_kdf(auth_job *j)
{
    if (j->early != AUTH_OK)
        return;
    if (kdf(j->password, &j->snap, j->derived) != 0)
        j->early = AUTH_ERROR;
    else if (j->op == OP_CHANGE && make_record(&j->fresh, j->new_password, j->snap.iterations))
        j->early = AUTH_ERROR;
    wipe_free(j->password);
    wipe_free(j->new_password);
    j->password = j->new_password = NULL;
}

static auth_status job_finish(auth_job *j, char *token_out)
{
    auth *a = j->a;
    auth_status st = j->early;
    if (st == AUTH_OK) {
        bool match = CRYPTO_memcmp(j->derived, j->snap.hash, HASH_LEN) == 0;
        if (!match || !j->user_ok || j->generation != a->generation) {
            record_failure(a, j->addr, j->user_ok);
            st = AUTH_BAD_CREDENTIALS;
        } else if (j->op == OP_LOGIN) {
            clear_failures(a, j->addr);
            st = token_issue(a, token_out);
        } else {
            clear_failures(a, j->addr);
            a->rec = j->fresh;
            a->generation++;
            auth_revoke_all(a);
            log_info("admin password changed; all tokens revoked");
            if (a->opt.on_record) {
                char rec[AUTH_RECORD_MAX];
                if (auth_export_record(a, rec, sizeof rec) == 0)
                    a->opt.on_record(rec, a->opt.record_arg);
            }
        }
    }
    OPENSSL_cleanse(j->derived, sizeof j->derived);
    OPENSSL_cleanse(&j->fresh, sizeof j->fresh);
    wipe_free(j->password);
    wipe_free(j->new_password);
    return st;
}

static auth_status run_sync(auth *a, auth_op op, const char *addr, const char *user,
                            const char *pw, const char *new_pw, char *token_out)
{
    if (!a)
        return AUTH_ERROR;
    auth_job *j = job_begin(a, op, addr, user, pw, new_pw);
    if (!j)
        return AUTH_ERROR;
    job_kdf(j);
    auth_status st = job_finish(j, token_out);
    free(j);
    return st;
}

auth_status auth_login(auth *a, const char *client_addr, const char *user, const char *password,
                       char *token_out)
{
    if (!token_out)
        return AUTH_ERROR;
    return run_sync(a, OP_LOGIN, client_addr, user, password, NULL, token_out);
}

auth_status auth_change_password(auth *a, const char *client_addr, const char *old_password,
                                 const char *new_password)
{
    return run_sync(a, OP_CHANGE, client_addr, AUTH_USER, old_password, new_password, NULL);
}

/* ---------- async ---------- */

static void destroy(auth *a)
{
    OPENSSL_cleanse(&a->rec, sizeof a->rec);
    free(a->tokens);
    free(a->addrs);
    free(a);
}

static void on_work(uv_work_t *w)
{
    job_kdf(w->data);
    /* libuv's pool threads outlive the loop; free OpenSSL's per-thread state now so that it
     * is not left allocated (and reported by valgrind) when the process exits. */
    OPENSSL_thread_stop();
}

static void on_after_work(uv_work_t *w, int status)
{
    auth_job *j = w->data;
    auth *a = j->a;
    char token[AUTH_TOKEN_LEN + 1] = "";
    if (status != 0 || a->dying)
        j->early = AUTH_ERROR;
    a->hashing -= j->hashing;
    auth_status st = job_finish(j, token);
    a->kdf_jobs--;
    j->cb(st, st == AUTH_OK && j->op == OP_LOGIN ? token : NULL, j->cb_arg);
    OPENSSL_cleanse(token, sizeof token);
    free(j);
    if (a->dying && a->kdf_jobs == 0)
        destroy(a);
}

static int run_async(auth *a, uv_loop_t *loop, auth_op op, const char *addr, const char *user,
                     const char *pw, const char *new_pw, auth_cb cb, void *arg)
{
    if (!a || !loop || !cb || a->dying)
        return -1;
    auth_job *j = job_begin(a, op, addr, user, pw, new_pw);
    if (!j)
        return -1;
    if (j->early == AUTH_OK && a->hashing >= a->opt.max_kdf_jobs)
        j->early = AUTH_BUSY;
    j->hashing = j->early == AUTH_OK;
    j->cb = cb;
    j->cb_arg = arg;
    j->work.data = j;
    /* Early answers go through the pool too (a no-op there) so that cb never runs inside
     * the caller's stack. */
    if (uv_queue_work(loop, &j->work, on_work, on_after_work) != 0) {
        j->early = AUTH_ERROR;
        job_finish(j, NULL);
        free(j);
        return -1;
    }
    a->kdf_jobs++;
    a->hashing += j->hashing;
    return 0;
}

int auth_login_async(auth *a, uv_loop_t *loop, const char *client_addr, const char *user,
                     const char *password, auth_cb cb, void *arg)
{
    return run_async(a, loop, OP_LOGIN, client_addr, user, password, NULL, cb, arg);
}

int auth_change_password_async(auth *a, uv_loop_t *loop, const char *client_addr,
                               const char *old_password, const char *new_password, auth_cb cb,
                               void *arg)
{
    return run_async(a, loop, OP_CHANGE, client_addr, AUTH_USER, old_password, new_password, cb,
                     arg);
}

/* ---------- lifecycle and persistence ---------- */

auth *auth_new(const auth_options *opt)
{
    auth *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    if (opt)
        a->opt = *opt;
    auth_options *o = &a->opt;
    if (o->iterations < AUTH_MIN_ITERATIONS)
        o->iterations = o->iterations ? AUTH_MIN_ITERATIONS : 310000;
    if (o->token_ttl_s <= 0)
        o->token_ttl_s = 12 * 3600;
    if (!o->max_tokens)
        o->max_tokens = 64;
    if (!o->min_password_len)
        o->min_password_len = 12;
    if (o->max_failures <= 0)
        o->max_failures = 10;
    if (o->failure_window_s <= 0)
        o->failure_window_s = 60;
    if (!o->max_addresses)
        o->max_addresses = 4096;
    if (o->max_user_failures <= 0)
        o->max_user_failures = 100;
    if (o->user_window_s <= 0)
        o->user_window_s = 900;
    if (o->max_kdf_jobs <= 0)
        o->max_kdf_jobs = 4;
    if (!o->now_ms)
        o->now_ms = default_now;
    const char *initial = o->initial_password;
    o->initial_password = NULL; /* never kept */
    a->tokens = calloc(o->max_tokens, sizeof *a->tokens);
    a->addrs = calloc(o->max_addresses, sizeof *a->addrs);
    if (!a->tokens || !a->addrs) {
        destroy(a);
        return NULL;
    }
    if (initial && *initial) {
        if (strlen(initial) > PASSWORD_MAX || make_record(&a->rec, initial, o->iterations)) {
            destroy(a);
            return NULL;
        }
    }
    return a;
}

void auth_free(auth *a)
{
    if (!a)
        return;
    if (a->kdf_jobs) {
        a->dying = true;
        return;
    }
    destroy(a);
}

bool auth_enabled(const auth *a)
{
    return a && a->rec.set;
}

const char *auth_status_text(auth_status st)
{
    switch (st) {
    case AUTH_OK: return "ok";
    case AUTH_DISABLED: return "REST API disabled: no admin password configured";
    case AUTH_BAD_CREDENTIALS: return "invalid username or password";
    case AUTH_RATE_LIMITED: return "too many failed attempts, try again later";
    case AUTH_INVALID_TOKEN: return "invalid or expired token";
    case AUTH_WEAK_PASSWORD: return "new password too short or too long";
    case AUTH_BUSY: return "too many concurrent logins, try again";
    case AUTH_ERROR: return "internal error";
    }
    return "unknown";
}

int auth_export_record(const auth *a, char *out, size_t cap)
{
    char salt[2 * SALT_LEN + 1], hash[2 * HASH_LEN + 1];
    if (!a || !a->rec.set || !out)
        return -1;
    to_hex(a->rec.salt, SALT_LEN, salt);
    to_hex(a->rec.hash, HASH_LEN, hash);
    int n = snprintf(out, cap, "pbkdf2-sha256$%u$%s$%s", a->rec.iterations, salt, hash);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

int auth_import_record(auth *a, const char *record)
{
    static const char prefix[] = "pbkdf2-sha256$";
    auth_record r = {.set = true};
    char *end;
    if (!a || !record || strncmp(record, prefix, sizeof prefix - 1) != 0)
        return -1;
    const char *p = record + sizeof prefix - 1;
    if (*p < '1' || *p > '9')
        return -1;
    unsigned long it = strtoul(p, &end, 10);
    if (*end != '$' || it < AUTH_MIN_ITERATIONS || it > 100000000UL)
        return -1;
    p = end + 1;
    if (strlen(p) != 2 * SALT_LEN + 1 + 2 * HASH_LEN || p[2 * SALT_LEN] != '$' ||
        from_hex(p, SALT_LEN, r.salt) || from_hex(p + 2 * SALT_LEN + 1, HASH_LEN, r.hash))
        return -1;
    r.iterations = (uint32_t)it;
    a->rec = r;
    a->generation++;
    auth_revoke_all(a);
    return 0;
}
