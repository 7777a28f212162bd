/* auth.h -- the REST API's single `admin` account: password, tokens, login rate limit.
 *
 * Password: PBKDF2-HMAC-SHA256 with a 16-byte random salt and >= 100000 iterations, kept as
 * one record string (see auth_export_record) that never contains the password; verification
 * compares in constant time. Without an initial password (CALLPRINT_ADMIN_PASSWORD) and
 * without an imported record the account is disabled and every login answers AUTH_DISABLED.
 *
 * Tokens: 32 random bytes, handed out as 64 lowercase hex characters, stored only as their
 * SHA-256; each expires after token_ttl_s; logout revokes one, a password change revokes
 * all. At most max_tokens live at once (the oldest is evicted to make room).
 *
 * Rate limit: more than max_failures failed logins (or password changes) from one client
 * address within failure_window_s are refused with AUTH_RATE_LIMITED without running the KDF.
 * The account also has a failure budget of its own, whatever the addresses: once
 * max_user_failures failures for `admin` fell within user_window_s, its logins are refused
 * the same way until the window ends (many addresses guessing slowly are bounded too; the
 * price is that such an attack can lock the account for one window at a time).
 *
 * The KDF is slow on purpose (tens of milliseconds), so the loop thread must not run it:
 * the gateway uses auth_login_async / auth_change_password_async, which run the KDF on the
 * libuv thread pool and finish on the loop thread. The synchronous calls exist for startup,
 * tools and tests. All other calls are fast and must be made from one thread (the loop).
 */
#ifndef CALLPRINT_AUTH_H
#define CALLPRINT_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define AUTH_USER "admin"
#define AUTH_TOKEN_LEN 64 /* hex characters, without NUL */
#define AUTH_RECORD_MAX 192
#define AUTH_MIN_ITERATIONS 100000

typedef struct auth auth;

typedef enum {
    AUTH_OK = 0,
    AUTH_DISABLED,         /* no password configured: the REST API is off */
    AUTH_BAD_CREDENTIALS,  /* wrong user or password */
    AUTH_RATE_LIMITED,     /* too many failures from this address: retry later */
    AUTH_INVALID_TOKEN,    /* unknown, revoked, expired or malformed token */
    AUTH_WEAK_PASSWORD,    /* new password shorter than min_password_len or too long */
    AUTH_BUSY,             /* too many KDF computations already running */
    AUTH_ERROR,            /* out of memory, RNG failure, shutting down */
} auth_status;

typedef struct {
    const char *initial_password; /* NULL or "" = disabled until a record is imported */
    uint32_t iterations;          /* PBKDF2 iterations (default 310000, minimum 100000) */
    long token_ttl_s;             /* default 43200 (12 h) */
    size_t max_tokens;            /* default 64 */
    size_t min_password_len;      /* for password changes (default 12) */
    int max_failures;             /* per address per window (default 10) */
    long failure_window_s;        /* default 60 */
    size_t max_addresses;         /* addresses tracked for the rate limit (default 4096) */
    int max_user_failures;        /* failures of the account per user window (default 100) */
    long user_window_s;           /* default 900 */
    int max_kdf_jobs;             /* concurrent async KDF jobs (default 4) */
    /* Clock in milliseconds (default: CLOCK_MONOTONIC); tests inject their own. */
    int64_t (*now_ms)(void *arg);
    void *clock_arg;
    /* Called after the password changed, with the new record, to persist it (optional). */
    void (*on_record)(const char *record, void *arg);
    void *record_arg;
} auth_options;

/* Creates the account; hashing the initial password takes one KDF run (startup). */
auth *auth_new(const auth_options *opt);
/* Frees now if no async job runs, else once the last one finishes (its cb gets AUTH_ERROR). */
void auth_free(auth *a);

bool auth_enabled(const auth *a);
const char *auth_status_text(auth_status st);

/* Synchronous (slow: runs the KDF). token_out receives AUTH_TOKEN_LEN+1 bytes on success. */
auth_status auth_login(auth *a, const char *client_addr, const char *user, const char *password,
                       char *token_out);
auth_status auth_change_password(auth *a, const char *client_addr, const char *old_password,
                                 const char *new_password);

/* Fast. */
auth_status auth_check(auth *a, const char *token);
auth_status auth_logout(auth *a, const char *token);
void auth_revoke_all(auth *a);
size_t auth_live_tokens(auth *a);
/* Async jobs (KDF runs) not finished yet: their callbacks are still to come. */
int auth_jobs_running(const auth *a);

/* Asynchronous versions for the loop thread: cb runs later on the loop thread; token is NULL
 * unless st == AUTH_OK (login). Returns 0, or -1 (then cb is not called) if the job could not
 * be queued. Rate limit and disabled state are answered through cb too. */
typedef void (*auth_cb)(auth_status st, const char *token, void *arg);
int auth_login_async(auth *a, uv_loop_t *loop, const char *client_addr, const char *user,
                     const char *password, auth_cb cb, void *arg);
int auth_change_password_async(auth *a, uv_loop_t *loop, const char *client_addr,
                               const char *old_password, const char *new_password, auth_cb cb,
                               void *arg);

/* Persistence: "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>". Export returns 0, or -1
 * when disabled / too small. Import replaces the password (and revokes all tokens); -1 if
 * the record is malformed (the current state is kept). */
int auth_export_record(const auth *a, char *out, size_t cap);
int auth_import_record(auth *a, const char *record);

#endif
