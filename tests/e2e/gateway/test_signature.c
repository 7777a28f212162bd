/* test_signature.c -- X-Twilio-Signature on the WebSocket upgrade.
 *
 * The test signs with twsig_compute (Twilio's algorithm: HMAC-SHA1 of the public URL, base64)
 * and connects over loopback: valid signatures open the socket, missing, forged or
 * wrong-URL signatures get HTTP 403 and no WebSocket. The token never reaches the log.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "harness.h"
#include "common/log.h"
#include "twilio_sig.h"

#define TOKEN "s3cr3t-auth-token-0123456789abcd"
#define PUBLIC "wss://gw.example.com"

static void with_token(config *c)
{
    snprintf(c->twilio_auth_token, sizeof c->twilio_auth_token, "%s", TOKEN);
    snprintf(c->public_url, sizeof c->public_url, "%s", PUBLIC);
}

static tconn *connect_signed(harness *h, const char *query, const char *token, const char *url)
{
    char sig[64];
    cr_assert_eq(twsig_compute(token, url, NULL, 0, sig, sizeof sig), 0);
    const char *hdr[] = {"x-twilio-signature", sig};
    return tc_connect(h, query, hdr, 1);
}

Test(signature, valid_signature_opens_the_stream)
{
    harness h;
    h_init(&h, with_token);
    tconn *t = connect_signed(&h, NULL, TOKEN, PUBLIC "/stream");
    cr_assert(t->open, "signed upgrade refused (status %d)", t->http_status);
    tconn *v = connect_signed(&h, "dialect=voiceverify", TOKEN,
                              PUBLIC "/stream?dialect=voiceverify");
    cr_assert(v->open, "signed upgrade with query refused (status %d)", v->http_status);
    /* callprint-call's signing path, end to end with audio. */
    size_t n;
    int16_t *pcm = h_fixture("fsdd-0_george_10.wav", &n);
    char sid[35];
    callsim_opts o = {.url = h_url(&h, NULL), .fast = true, .sign_token = TOKEN,
                      .public_url = PUBLIC, .stream_sid = h_sid(sid, "MZ", 1)};
    callsim_summary s = h_play(&h, &o, pcm, n, 10000);
    cr_assert(s.opened);
    cr_assert(h_wait_stopped(&h, sid, 2000));
    cr_assert_eq(h_cap_by_sid(&h, sid)->n, n);
    free(pcm);
    h_fini(&h);
}

Test(signature, missing_forged_or_wrong_url_is_403)
{
    harness h;
    h_init(&h, with_token);
    tconn *none = tc_connect(&h, NULL, NULL, 0);
    cr_assert(none->closed);
    cr_assert_eq(none->http_status, 403);
    tconn *forged = connect_signed(&h, NULL, "another-token", PUBLIC "/stream");
    cr_assert_eq(forged->http_status, 403);
    tconn *other_host = connect_signed(&h, NULL, TOKEN, "wss://evil.example.com/stream");
    cr_assert_eq(other_host->http_status, 403);
    /* signed without the query, used with one: the URL differs, so does the MAC */
    tconn *query = connect_signed(&h, "dialect=voiceverify", TOKEN, PUBLIC "/stream");
    cr_assert_eq(query->http_status, 403);
    const char *garbage[] = {"x-twilio-signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="};
    tconn *g = tc_connect(&h, NULL, garbage, 1);
    cr_assert_eq(g->http_status, 403);
    cr_assert_eq(h.n_caps, 0);
    cr_assert_eq(media_get_stats(server_media(h.srv))->connections, 0);
    h_fini(&h);
}

/* ---- the URL Twilio signed is the raw request target ---- */

typedef struct {
    int fd;
    char buf[512];
    size_t len;
} raw_conn;

static bool raw_answered(void *arg)
{
    raw_conn *r = arg;
    ssize_t n = recv(r->fd, r->buf + r->len, sizeof r->buf - 1 - r->len, MSG_DONTWAIT);
    if (n > 0)
        r->len += (size_t)n;
    r->buf[r->len] = '\0';
    return strstr(r->buf, "\r\n") != NULL || n == 0;
}

/* A WebSocket upgrade for target, sent byte for byte as given (no client re-encodes it),
 * signed over sign_url (NULL: no signature). Returns the HTTP status (101 = upgraded). */
static int raw_upgrade(harness *h, const char *target, const char *sign_url)
{
    char sig[64] = "", req[8192];
    if (sign_url)
        cr_assert_eq(twsig_compute(TOKEN, sign_url, NULL, 0, sig, sizeof sig), 0);
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: gw.example.com\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                     target, sign_url ? "X-Twilio-Signature: " : "", sig, sign_url ? "\r\n" : "");
    cr_assert_lt((size_t)n, sizeof req);
    raw_conn r = {.fd = socket(AF_INET, SOCK_STREAM, 0)};
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)h->port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    cr_assert_eq(connect(r.fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(send(r.fd, req, (size_t)n, 0), n);
    cr_assert(h_run_until(h, raw_answered, &r, 5000), "no answer to %s", target);
    close(r.fd);
    int status = 0;
    sscanf(r.buf, "HTTP/1.%*d %d", &status); /* lws refuses in HTTP/1.0 */
    return status;
}

Test(signature, the_raw_target_is_signed_with_escapes_plus_and_semicolons)
{
    harness h;
    h_init(&h, with_token);
    /* As Twilio sends it: lws would decode %20, '+' and ';' before the check. */
    const char *t = "/stream?name=J%C3%BCrgen%20M&tag=a+b;c&next=%2Fx%3Fy";
    char url[512];
    snprintf(url, sizeof url, PUBLIC "%s", t);
    cr_expect_eq(raw_upgrade(&h, t, url), 101, "a Twilio URL with escapes must validate");
    /* The decoded form of the same URL is not what was signed. */
    cr_expect_eq(raw_upgrade(&h, t, PUBLIC "/stream?name=Jürgen M&tag=a b&c&next=/x?y"), 403);
    cr_expect_eq(raw_upgrade(&h, "/stream?a=%62", PUBLIC "/stream?a=b"), 403);
    cr_expect_eq(raw_upgrade(&h, "/stream?a=%62", PUBLIC "/stream?a=%62"), 101);
    cr_expect_eq(raw_upgrade(&h, t, NULL), 403);
    h_fini(&h);
}

Test(signature, a_long_query_is_signed_with_it_or_refused)
{
    harness h;
    h_init(&h, with_token);
    char t[2100], url[2200];
    int n = snprintf(t, sizeof t, "/stream?pad=");
    memset(t + n, 'x', 1500);
    t[n + 1500] = '\0';
    /* Signed without its query: must not pass (it did for queries of 1024 bytes or more). */
    cr_expect_eq(raw_upgrade(&h, t, PUBLIC "/stream"), 403);
    snprintf(url, sizeof url, PUBLIC "%s", t);
    cr_expect_eq(raw_upgrade(&h, t, url), 101, "the whole URL signed: accepted");
    h_fini(&h);
}

static void token_no_public_url(config *c)
{
    snprintf(c->twilio_auth_token, sizeof c->twilio_auth_token, "%s", TOKEN);
}

Test(signature, without_public_url_the_host_header_is_used)
{
    harness h;
    h_init(&h, token_no_public_url);
    char url[128];
    snprintf(url, sizeof url, "wss://127.0.0.1:%d/stream", h.port);
    tconn *t = connect_signed(&h, NULL, TOKEN, url);
    cr_assert(t->open, "status %d", t->http_status);
    h_fini(&h);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

Test(signature, token_is_never_logged_and_its_absence_is_warned)
{
    char path[] = "/tmp/callprint-gw-logXXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    harness h;
    h_init(&h, with_token);
    cr_assert_eq(log_open(path, LOG_DEBUG), 0);
    tconn *bad = connect_signed(&h, NULL, "another-token", PUBLIC "/stream");
    cr_assert_eq(bad->http_status, 403);
    tconn *ok = connect_signed(&h, NULL, TOKEN, PUBLIC "/stream");
    cr_assert(ok->open);
    h_fini(&h);
    char *log = slurp(path);
    cr_assert(strstr(log, "X-Twilio-Signature"), "refusal not logged");
    cr_assert_null(strstr(log, TOKEN), "the auth token reached the log");


    /* Without a token the server starts, and says loudly that upgrades are unchecked. */
    cr_assert_eq(truncate(path, 0), 0);
    cr_assert_eq(log_open(path, LOG_INFO), 0);
    uv_loop_t loop;
    uv_loop_init(&loop);
    config cfg;
    char err[256];
    config_defaults(&cfg);
    config_set(&cfg, "listen", "127.0.0.1:0", err, sizeof err);
    server *srv = server_new(&loop, &cfg, err, sizeof err);
    cr_assert_not_null(srv, "%s", err);
    server_close(srv);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (!server_is_closed(srv)) {
        server_close(srv);
        uv_run(&loop, UV_RUN_DEFAULT);
    }
    server_free(srv);
    cr_assert_eq(uv_loop_close(&loop), 0);
    log = slurp(path);
    cr_assert(strstr(log, "\"level\":\"warn\"") && strstr(log, "NOT authenticated"),
              "no warning about the missing token: %s", log);
    log_open("-", LOG_WARN);
    unlink(path);
}
