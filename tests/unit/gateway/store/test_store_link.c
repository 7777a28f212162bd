/* test_store_link.c -- the store's Redis link under failure, against private redis-server
 * processes: SIGKILL and restart mid-stream of writes (nothing acknowledged lost, everything
 * unacknowledged re-sent), a closed port and a silent listener (the connect watchdog), a stalled
 * server (the reply watchdog), the bounded queue, password auth, unix sockets, draining on close.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "redis_proc.h"
#include "store/store.h"
#include "store/store_redis.h"

static uv_loop_t loop;
static rproc srv;

static void setup(void) {
    uv_loop_init(&loop);
    memset(&srv, 0, sizeof srv);
}

static void teardown(void) {
    rproc_cleanup(&srv);
    cr_expect_eq(uv_loop_close(&loop), 0, "handles left open");
}

typedef struct {
    int done;
    store_status st;
    int phase; /* when it was acknowledged */
    char err[256];
} result;

static int phase;

static void on_done(void *arg, store_status s, const char *err) {
    result *r = arg;
    r->done = 1;
    r->st = s;
    r->phase = phase;
    snprintf(r->err, sizeof r->err, "%s", err ? err : "");
}

static store *open_url(const char *url, store_options o) {
    o.url = url;
    o.prefix = "cplink:";
    if (!o.connect_timeout_ms) o.connect_timeout_ms = 500;
    if (!o.backoff_min_ms) o.backoff_min_ms = 50;
    if (!o.backoff_max_ms) o.backoff_max_ms = 200;
    char err[256];
    store *s = store_open(&loop, &o, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    return s;
}

static int wait_state(store *s, store_link_state want, unsigned ms) {
    for (unsigned t = 0; t < ms; t += 20) {
        if (store_state(s) == want) return 1;
        run_for(&loop, 20);
    }
    return store_state(s) == want;
}

static void closed(void *arg) { *(int *)arg = 1; }

static void close_store(store *s) {
    int done = 0;
    store_close(s, closed, &done);
    cr_assert(run_until(&loop, &done, 5000));
}

static void put(store *s, int i, result *r) {
    char id[32];
    snprintf(id, sizeof id, "k-%d", i);
    store_voiceprint vp = {.external_id = id, .blob = (const uint8_t *)&i, .len = sizeof i};
    *r = (result){0};
    store_voiceprint_put(s, &vp, STORE_PUT_OVERWRITE, on_done, r);
}

static int count_done(const result *r, int n, int *ok) {
    int d = 0;
    *ok = 0;
    for (int i = 0; i < n; i++) d += r[i].done, *ok += r[i].done && r[i].st == STORE_OK;
    return d;
}

#define N_WRITES 300

Test(store_link, redis_killed_and_restarted_loses_no_acknowledged_write, .init = setup,
     .fini = teardown, .timeout = 60) {
    cr_assert_eq(rproc_start(&srv, NULL), 0, "cannot start redis-server");
    store *s = open_url(srv.url, (store_options){.command_timeout_ms = 1000});
    cr_assert(wait_state(s, STORE_LINK_CONNECTED, 3000));
    static result r[N_WRITES];
    int ok, i = 0;

    /* phase 0: connected, writes acknowledged */
    phase = 0;
    for (; i < 100; i++) put(s, i, &r[i]);
    for (int t = 0; t < 200 && count_done(r, 100, &ok) < 60; t++) run_for(&loop, 10);
    int acked_before = count_done(r, N_WRITES, &ok);
    cr_assert_gt(ok, 0);
    /* 50 more handed to hiredis, then the server dies before any of them is answered */
    for (; i < 150; i++) put(s, i, &r[i]);
    rproc_signal(&srv, SIGKILL);

    /* phase 1: down; writes queue up, reads fail fast */
    phase = 1;
    cr_assert(wait_state(s, STORE_LINK_DOWN, 3000), "state %s", store_state_name(store_state(s)));
    for (; i < N_WRITES; i++) put(s, i, &r[i]);
    run_for(&loop, 300);
    store_stats stats;
    store_get_stats(s, &stats);
    cr_expect_geq(stats.queued_ops, N_WRITES - acked_before, "queued %zu", stats.queued_ops);
    cr_expect_neq(store_state(s), STORE_LINK_CONNECTED);
    result rd = {0};
    store_voiceprint_exists(s, "k-0", on_done, &rd);
    cr_expect(rd.done, "a read while down must fail at once");
    cr_expect_eq(rd.st, STORE_UNAVAILABLE);

    /* phase 2: restarted on the same port and AOF; the queue drains */
    phase = 2;
    cr_assert_eq(rproc_start(&srv, NULL), 0, "cannot restart redis-server");
    for (int t = 0; t < 1000 && count_done(r, N_WRITES, &ok) < N_WRITES; t++) run_for(&loop, 10);
    cr_assert_eq(count_done(r, N_WRITES, &ok), N_WRITES, "not every write answered");
    cr_expect_eq(ok, N_WRITES, "some writes failed");
    int in_flight_resent = 0;
    for (int k = 100; k < 150; k++) in_flight_resent += r[k].phase == 2;
    cr_expect_eq(in_flight_resent, 50, "writes in flight at the kill must be re-sent");
    store_get_stats(s, &stats);
    cr_expect_geq(stats.connects, 2);
    cr_expect_eq(stats.queued_ops, 0);
    cr_expect_eq(stats.writes_failed, 0);

    /* every acknowledged write is in Redis, including those acknowledged before the kill */
    redisContext *c = rproc_client("127.0.0.1", srv.port, NULL, 0);
    cr_assert_not_null(c);
    redisReply *n = redisCommand(c, "SCARD cplink:voiceprints");
    cr_expect_eq(n->integer, N_WRITES);
    freeReplyObject(n);
    for (int k = 0; k < N_WRITES; k++) {
        redisReply *b = redisCommand(c, "HGET cplink:voiceprint:k-%d blob", k);
        cr_expect(b->type == REDIS_REPLY_STRING && b->len == sizeof k && memcmp(b->str, &k, sizeof k) == 0,
                  "write %d (acknowledged in phase %d) missing", k, r[k].phase);
        freeReplyObject(b);
    }
    redisFree(c);
    close_store(s);
}

Test(store_link, closed_port_reads_fail_fast_writes_queue_and_fail_on_close, .init = setup,
     .fini = teardown) {
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", free_port());
    store *s = open_url(url, (store_options){0});
    run_for(&loop, 700);
    cr_expect_neq(store_state(s), STORE_LINK_CONNECTED);
    result rd = {0};
    store_voiceprint_exists(s, "x", on_done, &rd);
    cr_expect(rd.done);
    cr_expect_eq(rd.st, STORE_UNAVAILABLE);
    cr_expect(strstr(rd.err, "not connected"), "%s", rd.err);
    result w = {0};
    store_audit(s, "stream_start", "u", "s", NULL, on_done, &w);
    run_for(&loop, 200);
    cr_expect_not(w.done, "a write must wait in the queue, not fail");
    store_stats st;
    store_get_stats(s, &st);
    cr_expect_eq(st.queued_ops, 1);
    cr_expect_eq(st.connects, 0);
    close_store(s);
    cr_expect(w.done);
    cr_expect_eq(w.st, STORE_CLOSED);
}

/* A listener that accepts connections and never says a word: the TCP connect succeeds, the
 * handshake never completes, and only the watchdog can tell. */
typedef struct {
    uv_tcp_t server;
    uv_tcp_t clients[64];
    int accepted;
} silent;

static void silent_conn(uv_stream_t *srvh, int status) {
    silent *sl = srvh->data;
    if (status || sl->accepted == 64) return;
    uv_tcp_init(&loop, &sl->clients[sl->accepted]);
    if (uv_accept(srvh, (uv_stream_t *)&sl->clients[sl->accepted]) == 0) sl->accepted++;
}

static void noop_close(uv_handle_t *h) { (void)h; }

Test(store_link, watchdog_abandons_a_silent_server_and_retries, .init = setup, .fini = teardown) {
    static silent sl;
    memset(&sl, 0, sizeof sl);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    uv_tcp_init(&loop, &sl.server);
    sl.server.data = &sl;
    cr_assert_eq(uv_tcp_bind(&sl.server, (const struct sockaddr *)&a, 0), 0);
    cr_assert_eq(uv_listen((uv_stream_t *)&sl.server, 16, silent_conn), 0);
    int len = sizeof a;
    uv_tcp_getsockname(&sl.server, (struct sockaddr *)&a, &len);
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", ntohs(a.sin_port));
    store *s = open_url(url, (store_options){.connect_timeout_ms = 300});
    run_for(&loop, 150);
    cr_expect_eq(store_state(s), STORE_LINK_CONNECTING);
    run_for(&loop, 1850);
    /* 300 ms watchdog + 50..200 ms backoff: 4 or 5 attempts in 2 s, never connected */
    cr_expect_geq(sl.accepted, 3, "only %d connection attempts", sl.accepted);
    store_stats st;
    store_get_stats(s, &st);
    cr_expect_eq(st.connects, 0);
    cr_expect_neq(store_state(s), STORE_LINK_CONNECTED);
    close_store(s);
    for (int i = 0; i < sl.accepted; i++) uv_close((uv_handle_t *)&sl.clients[i], noop_close);
    uv_close((uv_handle_t *)&sl.server, noop_close);
    uv_run(&loop, UV_RUN_DEFAULT);
}

Test(store_link, stalled_server_trips_the_reply_watchdog, .init = setup, .fini = teardown,
     .timeout = 30) {
    cr_assert_eq(rproc_start(&srv, NULL), 0);
    store *s = open_url(srv.url, (store_options){.command_timeout_ms = 400, .connect_timeout_ms = 300});
    cr_assert(wait_state(s, STORE_LINK_CONNECTED, 3000));
    rproc_signal(&srv, SIGSTOP);
    result w;
    put(s, 1, &w);
    cr_assert(wait_state(s, STORE_LINK_DOWN, 2000), "a stalled server must be detected");
    cr_expect_not(w.done);
    rproc_signal(&srv, SIGCONT);
    cr_assert(run_until(&loop, &w.done, 5000));
    cr_expect_eq(w.st, STORE_OK, "%s", w.err);
    cr_expect_eq(store_state(s), STORE_LINK_CONNECTED);
    close_store(s);
}

Test(store_link, bounded_queue_reports_overflow, .init = setup, .fini = teardown) {
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", free_port());
    store *s = open_url(url, (store_options){.queue_max_ops = 3});
    result r[4];
    for (int i = 0; i < 4; i++) put(s, i, &r[i]);
    cr_expect_not(r[0].done || r[1].done || r[2].done);
    cr_expect(r[3].done, "overflow must be reported at once");
    cr_expect_eq(r[3].st, STORE_OVERFLOW);
    store_stats st;
    store_get_stats(s, &st);
    cr_expect_eq(st.overflows, 1);
    cr_expect_eq(st.queued_ops, 3);
    close_store(s);
    cr_expect_eq(r[0].st, STORE_CLOSED);
}

Test(store_link, password_auth, .init = setup, .fini = teardown, .timeout = 30) {
    cr_assert_eq(rproc_start(&srv, "s3cret pass"), 0);
    char url[128];
    snprintf(url, sizeof url, "redis://:s3cret%%20pass@127.0.0.1:%d/3", srv.port);
    store *s = open_url(url, (store_options){0});
    cr_assert(wait_state(s, STORE_LINK_CONNECTED, 3000), "did not authenticate");
    result w = {0};
    store_directory_set(s, "+442079460958", "cust-9", on_done, &w);
    cr_assert(run_until(&loop, &w.done, 3000));
    cr_expect_eq(w.st, STORE_OK, "%s", w.err);
    close_store(s);
    redisContext *c = rproc_client("127.0.0.1", srv.port, "s3cret pass", 3);
    cr_assert_not_null(c);
    redisReply *v = redisCommand(c, "HGET cplink:directory +442079460958");
    cr_expect_str_eq(v->str, "cust-9", "written to db 3");
    freeReplyObject(v);
    redisFree(c);

    /* wrong password (query form): never connected, writes wait, no crash */
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/0?password=wrong", srv.port);
    s = open_url(url, (store_options){0});
    run_for(&loop, 800);
    cr_expect_neq(store_state(s), STORE_LINK_CONNECTED);
    store_stats st;
    store_get_stats(s, &st);
    cr_expect_eq(st.connects, 0);
    close_store(s);

    /* no password at all */
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", srv.port);
    s = open_url(url, (store_options){0});
    run_for(&loop, 500);
    cr_expect_neq(store_state(s), STORE_LINK_CONNECTED);
    close_store(s);
}

Test(store_link, unix_socket_url, .init = setup, .fini = teardown, .timeout = 30) {
    cr_assert_eq(rproc_start(&srv, NULL), 0);
    char url[400];
    snprintf(url, sizeof url, "unix://%s?db=2", srv.sock);
    store *s = open_url(url, (store_options){0});
    cr_assert(wait_state(s, STORE_LINK_CONNECTED, 3000));
    result w = {0};
    store_audit(s, "auth_failure", NULL, NULL, "bad token", on_done, &w);
    cr_assert(run_until(&loop, &w.done, 3000));
    cr_expect_eq(w.st, STORE_OK, "%s", w.err);
    close_store(s);
    redisContext *c = rproc_client("127.0.0.1", srv.port, NULL, 2);
    redisReply *n = redisCommand(c, "XLEN cplink:audit");
    cr_expect_eq(n->integer, 1, "written to db 2 through the socket");
    freeReplyObject(n);
    redisFree(c);
}

Test(store_link, hostname_is_resolved_off_the_loop, .init = setup, .fini = teardown, .timeout = 30) {
    cr_assert_eq(rproc_start(&srv, NULL), 0);
    char url[128];
    snprintf(url, sizeof url, "redis://localhost:%d", srv.port); /* no /db: db 0 */
    store *s = open_url(url, (store_options){0});
    cr_expect_neq(store_state(s), STORE_LINK_CONNECTED, "connected before the loop ran");
    cr_assert(wait_state(s, STORE_LINK_CONNECTED, 3000));
    result w = {0};
    store_directory_set(s, "+14155550100", "cust-1", on_done, &w);
    cr_assert(run_until(&loop, &w.done, 3000));
    cr_expect_eq(w.st, STORE_OK, "%s", w.err);
    close_store(s);

    /* a name that does not resolve: down, retrying, closable */
    s = open_url("redis://no-such-host.invalid:6379/0", (store_options){0});
    run_for(&loop, 300);
    cr_expect_neq(store_state(s), STORE_LINK_CONNECTED);
    close_store(s);
}

/* ---- a scripted RESP server: answers "-LOADING" and "-READONLY" the way a restarting Redis or
 * a demoted replica does, to exercise the transient-error paths deterministically. */

typedef struct {
    uv_tcp_t server;
    uv_tcp_t conn[32];
    char buf[32][4096];
    size_t len[32];
    int nconn;
    int loading_pings; /* answer this many PINGs with -LOADING */
    int readonly_hsets; /* answer this many HSETs with -READONLY */
    int hsets_applied;
} fake;

static fake fk;

static void fake_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b) {
    (void)hint;
    int i = (int)(intptr_t)h->data;
    *b = uv_buf_init(fk.buf[i] + fk.len[i], (unsigned)(sizeof fk.buf[i] - fk.len[i]));
}

static void fake_written(uv_write_t *w, int status) {
    (void)status;
    free(w);
}

static void fake_reply(uv_stream_t *s, const char *text) {
    uv_write_t *w = malloc(sizeof *w);
    uv_buf_t b = uv_buf_init((char *)text, (unsigned)strlen(text));
    uv_write(w, s, &b, 1, fake_written);
}

/* Parse complete "*N\r\n$len\r\narg\r\n..." commands from the buffer; answer each. */
static void fake_serve(uv_stream_t *s, int i) {
    char *p = fk.buf[i], *end = fk.buf[i] + fk.len[i];
    for (;;) {
        char *q = p, name[16] = "";
        long n;
        if (q >= end || *q != '*' || !memchr(q, '\n', (size_t)(end - q))) break;
        n = strtol(q + 1, &q, 10), q += 2;
        int complete = 1;
        for (long a = 0; a < n && complete; a++) {
            long len;
            if (q >= end || !memchr(q, '\n', (size_t)(end - q))) { complete = 0; break; }
            len = strtol(q + 1, &q, 10), q += 2;
            if (end - q < len + 2) { complete = 0; break; }
            if (a == 0) snprintf(name, sizeof name, "%.*s", (int)len, q);
            q += len + 2;
        }
        if (!complete) break;
        if (!strcmp(name, "PING"))
            fake_reply(s, fk.loading_pings-- > 0 ? "-LOADING Redis is loading the dataset in memory\r\n" : "+PONG\r\n");
        else if (!strcmp(name, "HSET") && fk.readonly_hsets-- > 0)
            fake_reply(s, "-READONLY You can't write against a read only replica.\r\n");
        else if (!strcmp(name, "HSET"))
            fk.hsets_applied++, fake_reply(s, ":1\r\n");
        else
            fake_reply(s, "+OK\r\n");
        p = q;
    }
    memmove(fk.buf[i], p, (size_t)(end - p));
    fk.len[i] = (size_t)(end - p);
}

static void fake_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
    (void)b;
    int i = (int)(intptr_t)s->data;
    if (n < 0) {
        uv_read_stop(s);
        return;
    }
    fk.len[i] += (size_t)n;
    fake_serve(s, i);
}

static void fake_conn(uv_stream_t *srvh, int status) {
    if (status || fk.nconn == 32) return;
    int i = fk.nconn++;
    uv_tcp_init(&loop, &fk.conn[i]);
    fk.conn[i].data = (void *)(intptr_t)i;
    if (uv_accept(srvh, (uv_stream_t *)&fk.conn[i]) == 0)
        uv_read_start((uv_stream_t *)&fk.conn[i], fake_alloc, fake_read);
}

static void fake_start(char *url, size_t cap) {
    memset(&fk, 0, sizeof fk);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    uv_tcp_init(&loop, &fk.server);
    cr_assert_eq(uv_tcp_bind(&fk.server, (const struct sockaddr *)&a, 0), 0);
    cr_assert_eq(uv_listen((uv_stream_t *)&fk.server, 16, fake_conn), 0);
    int len = sizeof a;
    uv_tcp_getsockname(&fk.server, (struct sockaddr *)&a, &len);
    snprintf(url, cap, "redis://127.0.0.1:%d/0", ntohs(a.sin_port));
}

static void fake_stop(void) {
    for (int i = 0; i < fk.nconn; i++)
        if (!uv_is_closing((uv_handle_t *)&fk.conn[i])) uv_close((uv_handle_t *)&fk.conn[i], noop_close);
    uv_close((uv_handle_t *)&fk.server, noop_close);
    uv_run(&loop, UV_RUN_DEFAULT);
}

Test(store_link, loading_server_is_not_connected_and_readonly_write_is_retried, .init = setup,
     .fini = teardown, .timeout = 30) {
    char url[64];
    fake_start(url, sizeof url);
    fk.loading_pings = 2;
    fk.readonly_hsets = 1;
    store *s = open_url(url, (store_options){0});
    result w = {0};
    store_directory_set(s, "+442079460958", "cust-1", on_done, &w);
    run_for(&loop, 100);
    cr_expect_neq(store_state(s), STORE_LINK_CONNECTED, "-LOADING must not count as connected");
    cr_assert(run_until(&loop, &w.done, 5000), "write never acknowledged");
    cr_expect_eq(w.st, STORE_OK, "%s", w.err);
    cr_expect_eq(fk.hsets_applied, 1);
    store_stats st;
    store_get_stats(s, &st);
    /* connect 1 and 2: LOADING; 3: HSET refused READONLY -> dropped; 4: HSET applied */
    cr_expect_eq(st.connects, 2, "connects %llu", (unsigned long long)st.connects);
    cr_expect_geq(fk.nconn, 4);
    cr_expect_eq(st.writes_failed, 0);
    close_store(s);
    fake_stop();
}

Test(store_link, close_drains_queued_writes, .init = setup, .fini = teardown, .timeout = 30) {
    cr_assert_eq(rproc_start(&srv, NULL), 0);
    store *s = open_url(srv.url, (store_options){0});
    cr_assert(wait_state(s, STORE_LINK_CONNECTED, 3000));
    static result r[200];
    for (int i = 0; i < 200; i++) put(s, i, &r[i]);
    close_store(s);
    int ok;
    cr_expect_eq(count_done(r, 200, &ok), 200);
    cr_expect_eq(ok, 200, "close must wait for acknowledgements");
}

Test(store_url, accepted_forms) {
    store_url u;
    cr_assert_null(store_url_parse("redis://alice:p%40ss%3Aw@10.0.0.5:6380/7", &u));
    cr_expect_str_eq(u.host, "10.0.0.5");
    cr_expect_eq(u.port, 6380);
    cr_expect_eq(u.db, 7);
    cr_expect_str_eq(u.user, "alice");
    cr_expect_str_eq(u.password, "p@ss:w");
    store_url_free(&u);
    cr_assert_null(store_url_parse("redis://:secret@[::1]", &u));
    cr_expect_str_eq(u.host, "::1");
    cr_expect_eq(u.port, 6379);
    cr_expect_eq(u.db, 0);
    cr_expect_null(u.user);
    cr_expect_str_eq(u.password, "secret");
    store_url_free(&u);
    cr_assert_null(store_url_parse("redis://redis:6379/0?password=x%26y&db=3", &u));
    cr_expect_str_eq(u.host, "redis");
    cr_expect_eq(u.db, 3);
    cr_expect_str_eq(u.password, "x&y");
    store_url_free(&u);
    cr_assert_null(store_url_parse("unix:///run/redis/redis.sock?db=2&password=pw", &u));
    cr_expect_str_eq(u.path, "/run/redis/redis.sock");
    cr_expect_null(u.host);
    cr_expect_eq(u.db, 2);
    cr_expect_str_eq(u.password, "pw");
    store_url_free(&u);
    cr_assert_null(store_url_parse("unix:/tmp/r.sock", &u));
    cr_expect_str_eq(u.path, "/tmp/r.sock");
    store_url_free(&u);
    const char *why = store_url_parse("redis://:hunter2@h:99999/0", &u);
    cr_assert_not_null(why);
    cr_expect_null(strstr(why, "hunter2"), "the password must not be echoed");
    store_url_free(&u);
}
