/* auth: login, token expiry (injected clock), revocation, password change, rate limit,
 * the stored record, and the thread-pool (async) paths on a real libuv loop. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "api/auth.h"

static int64_t fake_ms;
static int64_t fake_now(void *arg)
{
    (void)arg;
    return fake_ms;
}

static const char *PW = "correct horse battery";

static auth *make(auth_options o)
{
    fake_ms = 1000000;
    o.initial_password = o.initial_password ? o.initial_password : PW;
    o.iterations = AUTH_MIN_ITERATIONS;
    o.now_ms = fake_now;
    auth *a = auth_new(&o);
    cr_assert_not_null(a);
    return a;
}

Test(auth, login_ok_and_bad)
{
    auth *a = make((auth_options){0});
    char tok[AUTH_TOKEN_LEN + 1];
    cr_assert(auth_enabled(a));
    cr_expect_eq(auth_login(a, "10.0.0.1", "admin", PW, tok), AUTH_OK);
    cr_expect_eq(strlen(tok), AUTH_TOKEN_LEN);
    cr_expect_eq(strspn(tok, "0123456789abcdef"), AUTH_TOKEN_LEN);
    cr_expect_eq(auth_check(a, tok), AUTH_OK);
    char tok2[AUTH_TOKEN_LEN + 1];
    cr_expect_eq(auth_login(a, "10.0.0.1", "admin", PW, tok2), AUTH_OK);
    cr_expect_str_neq(tok, tok2, "tokens are random");

    cr_expect_eq(auth_login(a, "10.0.0.1", "admin", "correct horse batterY", tok2),
                 AUTH_BAD_CREDENTIALS);
    cr_expect_eq(auth_login(a, "10.0.0.1", "root", PW, tok2), AUTH_BAD_CREDENTIALS);
    cr_expect_eq(auth_login(a, "10.0.0.1", "admin", "", tok2), AUTH_BAD_CREDENTIALS);
    cr_expect_eq(auth_login(a, "10.0.0.1", "admin", NULL, tok2), AUTH_BAD_CREDENTIALS);
    cr_expect_eq(auth_login(a, "10.0.0.1", NULL, PW, tok2), AUTH_BAD_CREDENTIALS);

    cr_expect_eq(auth_check(a, NULL), AUTH_INVALID_TOKEN);
    cr_expect_eq(auth_check(a, "abc"), AUTH_INVALID_TOKEN);
    char bad[AUTH_TOKEN_LEN + 1];
    memcpy(bad, tok, sizeof bad);
    bad[AUTH_TOKEN_LEN - 1] = bad[AUTH_TOKEN_LEN - 1] == '0' ? '1' : '0';
    cr_expect_eq(auth_check(a, bad), AUTH_INVALID_TOKEN);
    memcpy(bad, tok, sizeof bad);
    bad[0] = 'G';
    cr_expect_eq(auth_check(a, bad), AUTH_INVALID_TOKEN);
    auth_free(a);
}

Test(auth, disabled_without_password)
{
    auth *a = auth_new(&(auth_options){.iterations = AUTH_MIN_ITERATIONS});
    cr_assert_not_null(a);
    cr_expect(!auth_enabled(a));
    char tok[AUTH_TOKEN_LEN + 1];
    cr_expect_eq(auth_login(a, "1.2.3.4", "admin", "", tok), AUTH_DISABLED);
    cr_expect_eq(auth_login(a, "1.2.3.4", "admin", "anything", tok), AUTH_DISABLED);
    cr_expect_eq(auth_check(a, "00"), AUTH_DISABLED);
    char rec[AUTH_RECORD_MAX];
    cr_expect_eq(auth_export_record(a, rec, sizeof rec), -1);
    auth_free(a);
}

Test(auth, token_expiry)
{
    auth *a = make((auth_options){.token_ttl_s = 60});
    char tok[AUTH_TOKEN_LEN + 1];
    cr_assert_eq(auth_login(a, "a", "admin", PW, tok), AUTH_OK);
    fake_ms += 59999;
    cr_expect_eq(auth_check(a, tok), AUTH_OK);
    fake_ms += 1;
    cr_expect_eq(auth_check(a, tok), AUTH_INVALID_TOKEN);
    cr_expect_eq(auth_live_tokens(a), 0);
    auth_free(a);
}

Test(auth, logout_revokes_one)
{
    auth *a = make((auth_options){0});
    char t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1];
    cr_assert_eq(auth_login(a, "a", "admin", PW, t1), AUTH_OK);
    cr_assert_eq(auth_login(a, "a", "admin", PW, t2), AUTH_OK);
    cr_expect_eq(auth_logout(a, t1), AUTH_OK);
    cr_expect_eq(auth_check(a, t1), AUTH_INVALID_TOKEN);
    cr_expect_eq(auth_check(a, t2), AUTH_OK);
    cr_expect_eq(auth_logout(a, t1), AUTH_INVALID_TOKEN);
    cr_expect_eq(auth_live_tokens(a), 1);
    auth_free(a);
}

Test(auth, bounded_tokens_evict_oldest)
{
    auth *a = make((auth_options){.max_tokens = 3});
    char t[4][AUTH_TOKEN_LEN + 1];
    for (int i = 0; i < 4; i++) {
        fake_ms += 10;
        cr_assert_eq(auth_login(a, "a", "admin", PW, t[i]), AUTH_OK);
    }
    cr_expect_eq(auth_live_tokens(a), 3);
    cr_expect_eq(auth_check(a, t[0]), AUTH_INVALID_TOKEN);
    for (int i = 1; i < 4; i++)
        cr_expect_eq(auth_check(a, t[i]), AUTH_OK);
    auth_free(a);
}

static int persisted;
static char persisted_rec[AUTH_RECORD_MAX];
static void on_record(const char *rec, void *arg)
{
    (void)arg;
    persisted++;
    snprintf(persisted_rec, sizeof persisted_rec, "%s", rec);
}

Test(auth, password_change_revokes_all_tokens)
{
    persisted = 0;
    auth *a = make((auth_options){.on_record = on_record});
    char t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1];
    const char *npw = "a much longer new passphrase";
    cr_assert_eq(auth_login(a, "a", "admin", PW, t1), AUTH_OK);
    cr_assert_eq(auth_login(a, "b", "admin", PW, t2), AUTH_OK);
    cr_expect_eq(auth_change_password(a, "a", "wrong old password", npw), AUTH_BAD_CREDENTIALS);
    cr_expect_eq(auth_change_password(a, "a", PW, "short"), AUTH_WEAK_PASSWORD);
    cr_expect_eq(auth_check(a, t1), AUTH_OK, "failed changes revoke nothing");
    cr_expect_eq(persisted, 0);
    cr_expect_eq(auth_change_password(a, "a", PW, npw), AUTH_OK);
    cr_expect_eq(auth_check(a, t1), AUTH_INVALID_TOKEN);
    cr_expect_eq(auth_check(a, t2), AUTH_INVALID_TOKEN);
    cr_expect_eq(auth_login(a, "a", "admin", PW, t1), AUTH_BAD_CREDENTIALS);
    cr_expect_eq(auth_login(a, "a", "admin", npw, t1), AUTH_OK);
    cr_expect_eq(persisted, 1);
    char rec[AUTH_RECORD_MAX];
    cr_assert_eq(auth_export_record(a, rec, sizeof rec), 0);
    cr_expect_str_eq(rec, persisted_rec);
    auth_free(a);
}

Test(auth, rate_limit_per_address)
{
    auth *a = make((auth_options){.max_failures = 3, .failure_window_s = 60});
    char tok[AUTH_TOKEN_LEN + 1];
    for (int i = 0; i < 3; i++)
        cr_expect_eq(auth_login(a, "6.6.6.6", "admin", "guess", tok), AUTH_BAD_CREDENTIALS);
    /* Locked: even the right password is refused, without running the KDF. */
    cr_expect_eq(auth_login(a, "6.6.6.6", "admin", PW, tok), AUTH_RATE_LIMITED);
    cr_expect_eq(auth_change_password(a, "6.6.6.6", PW, "another long password"),
                 AUTH_RATE_LIMITED);
    /* Another address is unaffected. */
    cr_expect_eq(auth_login(a, "7.7.7.7", "admin", PW, tok), AUTH_OK);
    /* The window passes: allowed again. */
    fake_ms += 60000;
    cr_expect_eq(auth_login(a, "6.6.6.6", "admin", PW, tok), AUTH_OK);
    /* Success clears the count. */
    cr_expect_eq(auth_login(a, "6.6.6.6", "admin", "guess", tok), AUTH_BAD_CREDENTIALS);
    cr_expect_eq(auth_login(a, "6.6.6.6", "admin", PW, tok), AUTH_OK);
    auth_free(a);
}

Test(auth, failure_budget_of_the_account_across_addresses)
{
    auth *a = make((auth_options){.max_failures = 3, .max_user_failures = 5,
                                  .user_window_s = 900});
    char tok[AUTH_TOKEN_LEN + 1], addr[32];
    /* Five addresses (rotating IPv6, say), each under its own limit, guess once each. */
    for (int i = 0; i < 5; i++) {
        snprintf(addr, sizeof addr, "2001:db8::%d", i);
        cr_expect_eq(auth_login(a, addr, "admin", "guess", tok), AUTH_BAD_CREDENTIALS);
    }
    /* The account's budget is spent: a sixth address is refused without a KDF run. */
    cr_expect_eq(auth_login(a, "2001:db8::99", "admin", "guess", tok), AUTH_RATE_LIMITED);
    cr_expect_eq(auth_login(a, "2001:db8::99", "admin", PW, tok), AUTH_RATE_LIMITED);
    /* Wrong user names do not spend it (they cannot succeed anyway). */
    fake_ms += 900000;
    for (int i = 0; i < 10; i++) {
        snprintf(addr, sizeof addr, "2001:db8::1:%d", i);
        cr_expect_eq(auth_login(a, addr, "root", "guess", tok), AUTH_BAD_CREDENTIALS);
    }
    cr_expect_eq(auth_login(a, "2001:db8::99", "admin", PW, tok), AUTH_OK);
    auth_free(a);
}

Test(auth, rate_limit_table_is_bounded)
{
    auth *a = make((auth_options){.max_failures = 2, .max_addresses = 4});
    char tok[AUTH_TOKEN_LEN + 1], addr[32];
    for (int i = 0; i < 8; i++) {
        snprintf(addr, sizeof addr, "10.0.0.%d", i);
        fake_ms += 1;
        cr_expect_eq(auth_login(a, addr, "admin", "x", tok), AUTH_BAD_CREDENTIALS);
    }
    /* 8 addresses through 4 slots: the newest are tracked, the table never grows. */
    cr_expect_eq(auth_login(a, "10.0.0.7", "admin", "x", tok), AUTH_BAD_CREDENTIALS);
    cr_expect_eq(auth_login(a, "10.0.0.7", "admin", PW, tok), AUTH_RATE_LIMITED);
    auth_free(a);
}

Test(auth, record_format_hides_password)
{
    auth *a = make((auth_options){0});
    char rec[AUTH_RECORD_MAX], rec2[AUTH_RECORD_MAX];
    cr_assert_eq(auth_export_record(a, rec, sizeof rec), 0);
    cr_expect(strncmp(rec, "pbkdf2-sha256$100000$", 21) == 0, "%s", rec);
    cr_expect_eq(strlen(rec), 21 + 32 + 1 + 64);
    cr_expect_null(strstr(rec, PW));
    cr_expect_null(strstr(rec, "correct"));
    /* hex of the password's first bytes must not appear either */
    cr_expect_null(strstr(rec, "636f7272656374"));
    /* Same password, new salt: a different record. */
    auth *b = make((auth_options){0});
    cr_assert_eq(auth_export_record(b, rec2, sizeof rec2), 0);
    cr_expect_str_neq(rec, rec2);

    /* Import round trip: b now accepts a's password (same) and revokes b's tokens. */
    char tok[AUTH_TOKEN_LEN + 1];
    cr_assert_eq(auth_login(b, "x", "admin", PW, tok), AUTH_OK);
    cr_expect_eq(auth_import_record(b, rec), 0);
    cr_expect_eq(auth_check(b, tok), AUTH_INVALID_TOKEN);
    cr_expect_eq(auth_export_record(b, rec2, sizeof rec2), 0);
    cr_expect_str_eq(rec, rec2);
    cr_expect_eq(auth_login(b, "x", "admin", PW, tok), AUTH_OK);

    /* Malformed records are refused and change nothing. */
    const char *bad[] = {
        "", "pbkdf2-sha256$", "pbkdf2-sha256$99999$00000000000000000000000000000000$"
        "0000000000000000000000000000000000000000000000000000000000000000",
        "pbkdf2-sha1$100000$00000000000000000000000000000000$"
        "0000000000000000000000000000000000000000000000000000000000000000",
        "pbkdf2-sha256$100000$0000000000000000000000000000000G$"
        "0000000000000000000000000000000000000000000000000000000000000000",
        "pbkdf2-sha256$100000$00000000000000000000000000000000$00",
        "pbkdf2-sha256$-100000$00000000000000000000000000000000$"
        "0000000000000000000000000000000000000000000000000000000000000000",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(auth_import_record(b, bad[i]), -1, "record %zu", i);
    cr_expect_eq(auth_check(b, tok), AUTH_OK);
    /* A record whose last hash byte differs: the same password no longer verifies
     * (the compare covers the whole hash). */
    rec[strlen(rec) - 1] = rec[strlen(rec) - 1] == '0' ? '1' : '0';
    cr_expect_eq(auth_import_record(b, rec), 0);
    cr_expect_eq(auth_login(b, "x", "admin", PW, tok), AUTH_BAD_CREDENTIALS);
    auth_free(a);
    auth_free(b);
}

/* ---------- async paths on a real loop ---------- */

typedef struct {
    int calls;
    auth_status st;
    char token[AUTH_TOKEN_LEN + 1];
} async_out;

static void on_auth(auth_status st, const char *token, void *arg)
{
    async_out *o = arg;
    o->calls++;
    o->st = st;
    snprintf(o->token, sizeof o->token, "%s", token ? token : "");
}

Test(auth, async_login_and_change_on_loop)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    auth *a = make((auth_options){.max_kdf_jobs = 2});
    async_out ok = {0}, bad = {0}, busy = {0}, chg = {0};
    cr_assert_eq(auth_login_async(a, &loop, "a", "admin", PW, on_auth, &ok), 0);
    cr_assert_eq(auth_login_async(a, &loop, "a", "admin", "nope", on_auth, &bad), 0);
    cr_assert_eq(auth_login_async(a, &loop, "a", "admin", PW, on_auth, &busy), 0);
    cr_expect_eq(ok.calls + bad.calls + busy.calls, 0, "callbacks never run inline");
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_expect(ok.calls == 1 && ok.st == AUTH_OK && strlen(ok.token) == AUTH_TOKEN_LEN);
    cr_expect(bad.calls == 1 && bad.st == AUTH_BAD_CREDENTIALS && bad.token[0] == '\0');
    cr_expect(busy.calls == 1 && busy.st == AUTH_BUSY);
    cr_expect_eq(auth_check(a, ok.token), AUTH_OK);

    cr_assert_eq(auth_change_password_async(a, &loop, "a", PW, "new password 123", on_auth,
                                            &chg), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_expect(chg.calls == 1 && chg.st == AUTH_OK);
    cr_expect_eq(auth_check(a, ok.token), AUTH_INVALID_TOKEN);

    /* Freed while a job runs: the job finishes with AUTH_ERROR, then memory is released. */
    async_out late = {0};
    cr_assert_eq(auth_login_async(a, &loop, "a", "admin", "new password 123", on_auth, &late), 0);
    auth_free(a);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_expect(late.calls == 1 && late.st == AUTH_ERROR);
    cr_expect_eq(uv_loop_close(&loop), 0);
}

Test(auth, kdf_is_slow_enough)
{
    /* 100k PBKDF2-SHA256 iterations: a login costs real CPU time (guards against someone
     * "optimising" the iteration count away). */
    auth *a = make((auth_options){0});
    char tok[AUTH_TOKEN_LEN + 1];
    uint64_t t0 = uv_hrtime();
    cr_assert_eq(auth_login(a, "a", "admin", PW, tok), AUTH_OK);
    double ms = (double)(uv_hrtime() - t0) / 1e6;
    cr_expect(ms > 5.0, "login took %.2f ms", ms);
    auth_free(a);
}
