/* test_console.c -- the console's event stream (GET /api/v2/console/events) at the socket
 * level, against the real gateway and Redis (tests/support/e2e.h):
 *
 *   - no, malformed or unknown token: 401 and nothing more; such requests never count as
 *     console clients (authentication comes before anything is kept for them);
 *   - a good token: 200 text/event-stream, a snapshot at once and one a second after, with
 *     the calls (held Twilio calls: caller masked) and the health figures; revoking the token
 *     (logout) ends the stream;
 *   - the cap: with console_clients_max = 2 a third client gets 503 + Retry-After;
 *   - the per-client bound: a client that stops reading (small receive buffer) is skipped
 *     while the other keeps getting a snapshot a second, then dropped after the stall limit
 *     (its connection closed), and its slot is free again; the calls are not disturbed;
 *   - at most CONSOLE_CALLS_MAX calls listed; when listed calls end, running calls not listed
 *     yet take their places at once (not after the ended ones' minute on screen).
 *
 * Clients are raw loopback sockets, so the test controls exactly what is read and when.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "console/console.h"
#include "console/console_int.h"
#include "e2e.h"

#define PASSWORD "console-test-password-1"
#define HELD_CALLS 55 /* more than the console lists (CONSOLE_CALLS_MAX) */

static e2e_proc G;
static char TOKEN[128];

typedef struct {
    int fd;
    char *buf; /* what was read and not consumed yet */
    size_t len, cap;
    bool eof;
} client;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void setup(void)
{
    e2e_setup();
    e2e_gateway_start(&G, (const char *const[]){"CALLPRINT_ADMIN_PASSWORD", PASSWORD,
                                                "CALLPRINT_CONSOLE_CLIENTS_MAX", "2",
                                                "CALLPRINT_STREAM_TIMEOUT_MS", "120000", NULL});
    cr_assert(e2e_login(G.port, PASSWORD, TOKEN, sizeof TOKEN));
}

static void teardown(void)
{
    if (G.pid)
        e2e_stop(&G);
    e2e_teardown();
}

TestSuite(console, .init = setup, .fini = teardown, .timeout = 110);

/* Connect (with a receive buffer of rcvbuf bytes when > 0) and send the GET. */
static client cli_open(const char *auth, int rcvbuf)
{
    client c = {.fd = socket(AF_INET, SOCK_STREAM, 0)};
    cr_assert(c.fd >= 0);
    if (rcvbuf > 0)
        setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)G.port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(c.fd, (struct sockaddr *)&sa, sizeof sa), 0);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET /api/v2/console/events HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s\r\n",
                     auth ? "Authorization: " : "", auth ? auth : "", auth ? "\r\n" : "");
    cr_assert_eq(write(c.fd, req, (size_t)n), n);
    return c;
}

static void cli_close(client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    *c = (client){.fd = -1};
}

/* Read what is there within timeout_ms (false on timeout or EOF). */
static bool cli_fill(client *c, int timeout_ms)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    if (c->eof || poll(&p, 1, timeout_ms) <= 0)
        return false;
    if (c->len + 65536 + 1 > c->cap) {
        c->cap = (c->len + 65536 + 1) * 2;
        c->buf = realloc(c->buf, c->cap);
        cr_assert(c->buf);
    }
    ssize_t n = read(c->fd, c->buf + c->len, 65536);
    if (n <= 0) {
        c->eof = true;
        return false;
    }
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    return true;
}

static void consume(client *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
    c->buf[c->len] = '\0';
}

/* The response head (status line and headers) into head; the status code. */
static int cli_head(client *c, char *head, size_t cap)
{
    double end = now_s() + 10;
    while (!(c->buf && strstr(c->buf, "\r\n\r\n")) && now_s() < end)
        cli_fill(c, 200);
    cr_assert(c->buf && strstr(c->buf, "\r\n\r\n"), "no response head");
    size_t n = (size_t)(strstr(c->buf, "\r\n\r\n") - c->buf) + 4;
    snprintf(head, cap, "%.*s", (int)n, c->buf);
    consume(c, n);
    int status = 0;
    sscanf(head, "HTTP/1.1 %d", &status);
    return status;
}

/* The next snapshot event's JSON (caller deletes), NULL after timeout_ms. */
static cJSON *cli_snapshot(client *c, int timeout_ms)
{
    double end = now_s() + timeout_ms / 1000.0;
    for (;;) {
        char *sep = c->buf ? strstr(c->buf, "\n\n") : NULL;
        if (sep) {
            size_t n = (size_t)(sep - c->buf) + 2;
            *sep = '\0';
            cr_assert(strncmp(c->buf, "event: snapshot\ndata: ", 22) == 0, "bad event: %.80s", c->buf);
            cJSON *j = cJSON_Parse(c->buf + 22);
            cr_assert(j, "snapshot is not JSON");
            consume(c, n);
            return j;
        }
        if (now_s() >= end || (!cli_fill(c, 100) && c->eof))
            return NULL;
    }
}

static double num(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItem(o, a);
    return cJSON_GetNumberValue(b ? cJSON_GetObjectItem(x, b) : x);
}

static void expect_refused(const char *auth, int want, const char *what)
{
    client c = cli_open(auth, 0);
    char head[2048];
    cr_assert_eq(cli_head(&c, head, sizeof head), want, "%s: %s", what, head);
    if (want == 401)
        cr_assert(strstr(head, "WWW-Authenticate: Token"), "%s", head);
    while (!strstr(c.buf ? c.buf : "", "}") && cli_fill(&c, 500))
        ;
    cr_assert(c.buf && strstr(c.buf, "\"error\""), "%s: a JSON error body", what);
    cr_assert_null(strstr(c.buf, "event:"), "%s: no event", what);
    cli_close(&c);
}

Test(console, authentication_comes_first_then_snapshots_every_second)
{
    /* The page itself is public (it holds no data): /console redirects to it. */
    cr_assert_eq(e2e_http(G.port, "GET", "/console", NULL, NULL, NULL), 301);
    cr_assert_eq(e2e_http(G.port, "GET", "/console/", NULL, NULL, NULL), 200);
    cr_assert_eq(e2e_http(G.port, "GET", "/console/console.js", NULL, NULL, NULL), 200);
    cr_assert_eq(e2e_http(G.port, "GET", "/console/nothing.js", NULL, NULL, NULL), 404);

    expect_refused(NULL, 401, "no token");
    expect_refused("Bearer abc", 401, "not a Token header");
    expect_refused("Token 0000000000000000000000000000000000000000000000000000000000000000", 401,
                   "unknown token");

    char uuid[37];
    e2e_uuid(uuid);
    e2e_call *call = e2e_call_open(&G, (const char *const[]){"uuid", uuid, "caller",
                                                             "+447911123456", NULL});
    char auth[160], head[2048];
    snprintf(auth, sizeof auth, "Token %s", TOKEN);
    client c = cli_open(auth, 0);
    cr_assert_eq(cli_head(&c, head, sizeof head), 200, "%s", head);
    cr_assert(strstr(head, "content-type: text/event-stream"), "%s", head);
    double t0 = now_s();
    cJSON *s1 = cli_snapshot(&c, 3000);
    cr_assert(s1, "a snapshot at once");
    cr_assert_lt(now_s() - t0, 2.0);
    /* The three refused requests never became clients. */
    cr_assert_eq(num(s1, "console", "clients"), 1);
    cr_assert_eq(num(s1, "calls_total", NULL), 1);
    const cJSON *call0 = cJSON_GetArrayItem(cJSON_GetObjectItem(s1, "calls"), 0);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(call0, "uuid")), uuid);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(call0, "caller")), "+4479******56");
    cr_assert(cJSON_IsObject(cJSON_GetObjectItem(s1, "health")));
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(
                         cJSON_GetObjectItem(cJSON_GetObjectItem(s1, "health"), "redis"), "state")),
                     "connected");
    /* Then one a second. */
    for (int i = 0; i < 3; i++) {
        double t = now_s();
        cJSON *s = cli_snapshot(&c, 3000);
        cr_assert(s, "snapshot %d", i + 2);
        cr_assert_lt(now_s() - t, 2.0, "snapshots at least every second (ASan slack)");
        cr_assert_geq(num(s, "time_ms", NULL) - num(s1, "time_ms", NULL), 900.0 * (i + 1) - 100);
        cJSON_Delete(s);
    }
    cJSON_Delete(s1);
    /* Signing out (revoking the token) ends the stream within a tick. */
    cr_assert_eq(e2e_http(G.port, "POST", "/api/v2/auth/logout", TOKEN, "{}", NULL), 200);
    double t1 = now_s();
    while (!c.eof && now_s() - t1 < 5) {
        cli_fill(&c, 200);
        c.len = 0;
    }
    cr_assert(c.eof, "the stream of a revoked token was closed");
    cr_assert_lt(now_s() - t1, 3.0);
    cli_close(&c);
    e2e_call_stop(call);
}

static bool listed(const cJSON *snap, const char *uuid, bool *ended)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(snap, "calls")) {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(c, "uuid")), uuid) == 0) {
            *ended = cJSON_IsTrue(cJSON_GetObjectItem(c, "ended"));
            return true;
        }
    }
    return false;
}

/* Hang up 5 of the listed calls. */
static void end_listed_calls(const cJSON *snap, e2e_call **calls, char (*uuids)[37])
{
    int n = 0;
    for (int i = 0; i < HELD_CALLS && n < 5; i++) {
        bool ended;
        if (calls[i] && listed(snap, uuids[i], &ended)) {
            e2e_call_stop(calls[i]);
            calls[i] = NULL;
            n++;
        }
    }
    cr_assert_eq(n, 5);
}

/* Within a few snapshots every running call is listed (the ended ones made room). */
static void every_running_call_listed(client *c, e2e_call **calls, char (*uuids)[37])
{
    int missing = -1;
    for (int tries = 0; tries < 6 && missing != 0; tries++) {
        cJSON *s = cli_snapshot(c, 3000);
        cr_assert(s);
        missing = 0;
        for (int i = 0; i < HELD_CALLS; i++) {
            bool ended = false;
            missing += calls[i] && (!listed(s, uuids[i], &ended) || ended);
        }
        cJSON_Delete(s);
    }
    cr_assert_eq(missing, 0, "running calls not listed: %d", missing);
}

Test(console, cap_and_a_stalled_client_is_skipped_then_dropped)
{
    e2e_call *calls[HELD_CALLS];
    static char uuids[HELD_CALLS][37];
    for (int i = 0; i < HELD_CALLS; i++) {
        e2e_uuid(uuids[i]);
        calls[i] = e2e_call_open(&G, (const char *const[]){"uuid", uuids[i], "caller",
                                                           "+33612345678", NULL});
    }
    char auth[160], head[2048];
    snprintf(auth, sizeof auth, "Token %s", TOKEN);
    client good = cli_open(auth, 0);
    cr_assert_eq(cli_head(&good, head, sizeof head), 200);
    /* The stalled client reads its response head, then nothing. */
    client slow = cli_open(auth, 2048);
    cr_assert_eq(cli_head(&slow, head, sizeof head), 200);
    expect_refused(auth, 503, "a third console");

    cJSON *s = NULL;
    double start = now_s(), last = start, worst_gap = 0;
    size_t snap_bytes = 0;
    while (now_s() - start < 60) {
        cJSON_Delete(s);
        s = cli_snapshot(&good, 4000);
        cr_assert(s, "the reading client keeps getting snapshots");
        double t = now_s();
        worst_gap = t - last > worst_gap ? t - last : worst_gap;
        last = t;
        char *text = cJSON_PrintUnformatted(s);
        snap_bytes = strlen(text);
        free(text);
        if (num(s, "console", "dropped") >= 1)
            break;
    }
    double took = now_s() - start;
    cr_assert_eq(num(s, "console", "dropped"), 1,
                 "the stalled client was dropped (%.0f skipped, snapshots of %zu bytes, %.1f s)",
                 num(s, "console", "skipped"), snap_bytes, took);
    cr_assert_eq(num(s, "console", "clients"), 1);
    cr_assert_gt(num(s, "console", "skipped"), 0, "snapshots were skipped before the drop");
    cr_assert_geq(took, CONSOLE_STALL_MS / 1000.0, "not before the stall limit");
    cr_assert_lt(worst_gap, 2.5, "the reading client was not held up (worst gap %.2f s)", worst_gap);
    cr_assert_eq(num(s, "calls_total", NULL), HELD_CALLS, "every call still running");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(s, "calls")), CONSOLE_CALLS_MAX);
    end_listed_calls(s, calls, uuids);
    cJSON_Delete(s);
    every_running_call_listed(&good, calls, uuids);
    cr_log_info("snapshot %zu bytes; stalled client dropped after %.1f s; worst gap %.2f s",
                snap_bytes, took, worst_gap);

    /* Its connection is closed: what it did not read, then EOF. */
    double end = now_s() + 10;
    while (!slow.eof && now_s() < end) {
        cli_fill(&slow, 200);
        slow.len = 0;
    }
    cr_assert(slow.eof, "the stalled client's connection was closed");
    cli_close(&slow);

    /* Its slot is free again. */
    client again = cli_open(auth, 0);
    cr_assert_eq(cli_head(&again, head, sizeof head), 200);
    cJSON *s2 = cli_snapshot(&again, 3000);
    cr_assert(s2);
    cr_assert_eq(num(s2, "console", "clients"), 2);
    cJSON_Delete(s2);
    cli_close(&again);
    cli_close(&good);
    for (int i = 0; i < HELD_CALLS; i++)
        if (calls[i])
            e2e_call_stop(calls[i]);
}
