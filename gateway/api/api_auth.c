/* api_auth.c -- login, logout and password change for the one `admin` account.
 *
 *   POST /api/v2/auth/login     {"username":"admin","password":"..."} -> {"token",...}
 *   POST /api/v2/auth/logout    revokes the token of the request
 *   POST /api/v2/auth/password  {"old_password","new_password"} -> every token revoked
 *
 * The password KDF is slow on purpose, so login and password change run it on the libuv
 * thread pool (auth_login_async) and reply from its callback; the rate limit is per client
 * address (http_req_peer). A changed password is persisted as auth.h's record string (never
 * the password) in Redis under P kv:admin_password, and the reply waits for Redis's
 * acknowledgement. The stored record wins over CALLPRINT_ADMIN_PASSWORD.
 *
 * Several gateways may share the Redis, and a password changed on one must hold on all: the
 * record is read before every login and password change (retried for up to 3 s while Redis
 * is still connecting, as right after start), and again at most a second after the last read
 * when a token is checked (api_record_refresh). A record that differs from the one in use is
 * imported, which revokes every token; the same record is not imported again, so that two
 * logins reading it at once do not revoke each other's tokens. While Redis cannot be read,
 * logins use the record last read, or answer 503 when none was ever read (rather than fall
 * back to the initial password, which a change may have retired). To reset a forgotten
 * password an operator deletes that key and restarts with a new CALLPRINT_ADMIN_PASSWORD.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "common/log.h"
#include "store/store_kv.h"

#define RECORD_KEY "admin_password"
#define PASSWORD_MAX 1024
#define RECORD_RETRY_MS 100
#define RECORD_TRIES 30 /* 3 s of a connecting Redis */
#define RECORD_RECHECK_MS 1000 /* token checks re-read the record at most this often */

typedef enum { OP_LOGIN, OP_PASSWORD } auth_op;

typedef struct {
    app *a;
    http_req *req;
    auth_op op;
    char peer[64];
    char *user, *secret, *secret2; /* copies; wiped when freed */
    uv_timer_t retry;   /* record lookup retries while Redis is connecting */
    bool retry_open;
    int tries;
    unsigned seq; /* api->record_seq when the record read was issued */
} auth_job;

static void job_closed(uv_handle_t *h)
{
    free(h->data);
}

static void job_free(auth_job *j)
{
    char *secrets[] = {j->secret, j->secret2};
    for (size_t i = 0; i < 2; i++)
        if (secrets[i])
            OPENSSL_cleanse(secrets[i], strlen(secrets[i]));
    free(j->secret);
    free(j->secret2);
    free(j->user);
    if (j->retry_open)
        uv_close((uv_handle_t *)&j->retry, job_closed); /* frees j */
    else
        free(j);
}

static int status_code(auth_status st, auth_op op)
{
    switch (st) {
    case AUTH_OK: return 200;
    case AUTH_DISABLED: return 503;
    case AUTH_BAD_CREDENTIALS: return op == OP_LOGIN ? 401 : 403;
    case AUTH_RATE_LIMITED: return 429;
    case AUTH_INVALID_TOKEN: return 401;
    case AUTH_WEAK_PASSWORD: return 400;
    case AUTH_BUSY: return 503;
    default: return 500;
    }
}

static void reply_failure(auth_job *j, auth_status st)
{
    if ((st == AUTH_BAD_CREDENTIALS || st == AUTH_RATE_LIMITED) && api_failure_admit(j->a)) {
        log_write(LOG_WARN, NULL, NULL, LOG_KV("client", j->peer), "%s refused: %s",
                  j->op == OP_LOGIN ? "login" : "password change", auth_status_text(st));
        api_failure_audit(j->a, "auth_failure", j->op == OP_LOGIN ? "login" : "password change");
    }
    if (st == AUTH_RATE_LIMITED)
        http_add_header(j->req, "Retry-After", "60");
    http_reply_error(j->req, status_code(st, j->op), auth_status_text(st));
}

static void on_record_saved(void *arg, store_status st, const char *err)
{
    auth_job *j = arg;
    if (st != STORE_OK)
        log_error("the new admin password could not be saved in Redis (%s); it holds until "
                  "restart", err ? err : store_strerror(st));
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "password changed; every token was revoked");
    cJSON_AddBoolToObject(o, "persisted", st == STORE_OK);
    api_send(j->req, 200, o);
    job_free(j);
}

static void on_auth_done(auth_status st, const char *token, void *arg)
{
    auth_job *j = arg;
    if (st != AUTH_OK) {
        reply_failure(j, st);
        job_free(j);
        return;
    }
    if (j->op == OP_LOGIN) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "token", token);
        cJSON_AddStringToObject(o, "token_type", "Token");
        cJSON_AddNumberToObject(o, "expires_in", j->a->cfg->token_ttl_s);
        api_send(j->req, 200, o);
        job_free(j);
        return;
    }
    log_info("admin password changed; all API tokens revoked");
    j->a->api->record_seq++;
    char rec[AUTH_RECORD_MAX];
    if (!j->a->store || auth_export_record(j->a->auth, rec, sizeof rec) != 0) {
        on_record_saved(j, STORE_ERROR, "no store");
        return;
    }
    store_kv_set(j->a->store, RECORD_KEY, rec, on_record_saved, j);
}

static void job_run(auth_job *j)
{
    app *a = j->a;
    int rc = j->op == OP_LOGIN
                 ? auth_login_async(a->auth, a->loop, j->peer, j->user, j->secret, on_auth_done, j)
                 : auth_change_password_async(a->auth, a->loop, j->peer, j->secret, j->secret2,
                                              on_auth_done, j);
    if (rc != 0) {
        http_reply_error(j->req, 503, "the password check could not be started; retry");
        job_free(j);
    }
}

static void on_record_loaded(void *arg, store_status st, const char *record, const char *err);

static void on_retry(uv_timer_t *t)
{
    auth_job *j = t->data;
    if (j->a->closing) {
        http_reply_error(j->req, 503, "shutting down");
        job_free(j);
        return;
    }
    j->seq = j->a->api->record_seq;
    store_kv_get(j->a->store, RECORD_KEY, on_record_loaded, j);
}

/* Right after start Redis is still connecting and reads fail fast: retry for a while. */
static bool retry_later(auth_job *j)
{
    if (j->a->closing || store_state(j->a->store) == STORE_LINK_DOWN ||
        ++j->tries > RECORD_TRIES)
        return false;
    if (!j->retry_open) {
        uv_timer_init(j->a->loop, &j->retry);
        j->retry.data = j;
        j->retry_open = true;
    }
    uv_timer_start(&j->retry, on_retry, RECORD_RETRY_MS, 0);
    return true;
}

/* Use the stored record when it differs from the one in use (importing revokes every token).
 * A read issued before a password change here may return the record the change replaced:
 * such a read (seq no longer current) is not applied. */
static void apply_record(app *a, const char *record, unsigned seq)
{
    char cur[AUTH_RECORD_MAX];
    if (seq != a->api->record_seq)
        return;
    if (auth_export_record(a->auth, cur, sizeof cur) == 0 && strcmp(cur, record) == 0)
        return;
    if (auth_import_record(a->auth, record) == 0)
        log_info("admin password record loaded from Redis; tokens issued before revoked");
    else
        log_error("the admin password record in Redis is malformed; ignored");
}

static void on_refresh(void *arg, store_status st, const char *record, const char *err)
{
    app *a = arg;
    (void)err;
    a->api->record_reading = false;
    if (st == STORE_OK)
        apply_record(a, record, a->api->refresh_seq);
}

void api_record_refresh(app *a)
{
    api *p = a->api;
    uint64_t now = uv_now(a->loop);
    if (!a->store || a->closing || p->record_reading || !p->record_checked ||
        now - p->record_read_ms < RECORD_RECHECK_MS)
        return;
    p->record_reading = true;
    p->record_read_ms = now;
    p->refresh_seq = p->record_seq;
    store_kv_get(a->store, RECORD_KEY, on_refresh, a);
}

static void on_record_loaded(void *arg, store_status st, const char *record, const char *err)
{
    auth_job *j = arg;
    if (st == STORE_UNAVAILABLE && !j->a->api->record_checked && retry_later(j))
        return;
    if (st == STORE_OK) {
        apply_record(j->a, record, j->seq);
    } else if (st != STORE_NOT_FOUND && j->a->api->record_checked) {
        log_warn("admin password record not read (%s); using the one read before",
                 err ? err : "?");
    } else if (st != STORE_NOT_FOUND) {
        /* Not falling back to the initial password: after a change it must not work again
         * just because Redis is slow to come up. */
        log_warn("admin password record not read (%s); will look again", err ? err : "?");
        http_reply_error(j->req, 503, "the password store (Redis) is unavailable; retry");
        job_free(j);
        return;
    }
    if (st == STORE_OK || st == STORE_NOT_FOUND) {
        j->a->api->record_checked = true;
        j->a->api->record_read_ms = uv_now(j->a->loop);
    }
    job_run(j);
}

/* Read the stored record, then run the job. */
static http_result job_start(auth_job *j)
{
    app *a = j->a;
    if (!j->user || !j->secret || (j->op == OP_PASSWORD && !j->secret2)) {
        http_reply_error(j->req, 500, "out of memory");
        job_free(j);
        return HTTP_DONE;
    }
    j->seq = a->api->record_seq;
    if (a->store)
        store_kv_get(a->store, RECORD_KEY, on_record_loaded, j);
    else
        job_run(j);
    return HTTP_DEFERRED;
}

static auth_job *job_new(app *a, http_req *req, auth_op op)
{
    auth_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->a = a;
    j->req = req;
    j->op = op;
    snprintf(j->peer, sizeof j->peer, "%s", http_req_peer(req));
    return j;
}

/* The request body held passwords: wiped once parsed, so no freed buffer keeps them. */
static void wipe_body(http_req *req)
{
    size_t len;
    const char *body = http_req_body(req, &len);
    if (len)
        OPENSSL_cleanse((void *)body, len);
}

/* Login and password change: their bodies carry two strings, the second a password (the first
 * the user name or the old password), made into a job for op. Every copy of the secrets is
 * wiped before returning, whatever happened: the parsed strings and the raw body. body: the
 * request's JSON (NULL: refused, the reply sent). */
static http_result secret_request(app *a, http_req *req, cJSON *body, auth_op op,
                                  const char *first, size_t first_max, const char *second)
{
    if (!body) {
        wipe_body(req);
        return HTTP_DONE;
    }
    bool bad;
    const char *s1 = api_string(req, body, first, first_max, true, &bad);
    const char *s2 = bad ? NULL : api_string(req, body, second, PASSWORD_MAX, true, &bad);
    auth_job *j = bad ? NULL : job_new(a, req, op);
    if (j && op == OP_LOGIN) {
        j->user = strdup(s1);
        j->secret = strdup(s2);
    } else if (j) {
        j->user = strdup(AUTH_USER);
        j->secret = strdup(s1);
        j->secret2 = strdup(s2);
    } else if (!bad) {
        http_reply_error(req, 500, "out of memory");
    }
    if (s1 && op != OP_LOGIN) /* the old password; a user name is no secret */
        OPENSSL_cleanse((void *)s1, strlen(s1));
    if (s2)
        OPENSSL_cleanse((void *)s2, strlen(s2));
    cJSON_Delete(body);
    wipe_body(req);
    return j ? job_start(j) : HTTP_DONE;
}

static http_result h_login(http_req *req, void *ud)
{
    return secret_request(ud, req, api_json_body(req), OP_LOGIN, "username", 64, "password");
}

static http_result h_password(http_req *req, void *ud)
{
    app *a = ud;
    return secret_request(a, req, api_auth_body(a, req), OP_PASSWORD, "old_password", PASSWORD_MAX,
                          "new_password");
}

static http_result h_logout(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    auth_logout(a->auth, api_token(req));
    http_reply_json(req, 200, "{\"status\":\"logged out\"}");
    return HTTP_DONE;
}

void api_auth_register(app *a)
{
    api_route(a, "POST", API_PREFIX "/auth/login", h_login);
    api_route(a, "POST", API_PREFIX "/auth/logout", h_logout);
    api_route(a, "POST", API_PREFIX "/auth/password", h_password);
}
