/* fuzz_http.c -- libFuzzer target for the HTTP request path: raw bytes from a TCP client
 * through libwebsockets' parser, the router (http.c) and its limits to handlers.
 *
 * The real server (server.c) listens on 127.0.0.1 with an ephemeral port, once per process;
 * its router gets a few handlers that use every request accessor (body, path rest, headers,
 * query arguments, a deferred reply) and a token gate with small pre-authentication and
 * in-flight limits, so that 401/413/503/411 paths are reached too. Each input is written on a
 * fresh connection, the write side is shut, and the loop runs until the server has closed
 * it (or two seconds passed). Checked: no crash or sanitizer report, handlers see
 * NUL-terminated bodies no longer than the route allows, every connection ends, and the
 * bytes charged to bodies in flight return to zero once it has.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "core/config.h"
#include "fuzz_check.h"
#include "http/http.h"
#include "common/log.h"
#include "ingest/server.h"

#define SMALL_MAX 100
#define PREAUTH_MAX 256

static uv_loop_t loop;
static server *srv;
static config cfg;

static bool gate(http_req *req, void *ud)
{
    (void)ud;
    const char *h = http_req_header(req, "authorization");
    return h && strcmp(h, "Token good") == 0;
}

static http_result echo(http_req *req, void *ud)
{
    size_t n;
    const char *b = http_req_body(req, &n);
    CHECK(b[n] == '\0' && n <= (size_t)(uintptr_t)ud);
    http_add_header(req, "X-Peer", http_req_peer(req));
    http_reply(req, 200, "application/octet-stream", b, n);
    return HTTP_DONE;
}

static http_result item(http_req *req, void *ud)
{
    (void)ud;
    const char *rest = http_req_path_rest(req), *q = http_req_query(req, "x");
    const char *h = http_req_header(req, "x-test");
    char out[1200];
    snprintf(out, sizeof out, "%.400s|%.400s|%.300s", rest, q ? q : "-", h ? h : "-");
    http_reply_error(req, 200, out);
    return HTTP_DONE;
}

typedef struct {
    uv_timer_t t;
    http_req *req;
} later;

static void later_closed(uv_handle_t *h) { free(h->data); }

static void later_fire(uv_timer_t *t)
{
    later *l = t->data;
    http_reply_json(l->req, http_req_aborted(l->req) ? 500 : 202, "{\"later\":true}");
    uv_close((uv_handle_t *)&l->t, later_closed);
}

static http_result deferred(http_req *req, void *ud)
{
    (void)ud;
    later *l = calloc(1, sizeof *l);
    CHECK(l);
    l->req = req;
    uv_timer_init(&loop, &l->t);
    l->t.data = l;
    uv_timer_start(&l->t, later_fire, 1, 0);
    return HTTP_DEFERRED;
}

static void init(void)
{
    char err[256];
    log_set_level(getenv("FUZZ_HTTP_SHOW") ? LOG_DEBUG : LOG_ERROR);
    CHECK(uv_loop_init(&loop) == 0);
    config_defaults(&cfg);
    CHECK(config_set(&cfg, "listen", "127.0.0.1:0", err, sizeof err) == 0);
    cfg.http_header_timeout_s = 2;
    srv = server_new(&loop, &cfg, err, sizeof err);
    CHECK(srv);
    http_router *r = server_router(srv);
    http_limits lim = {PREAUTH_MAX, 64 << 10, 32 << 10, 2, "127.0.0.1"};
    CHECK(http_router_limits(r, &lim, err, sizeof err) == 0);
    http_router_gate(r, gate, NULL);
    CHECK(http_route(r, "POST", "/echo", echo, (void *)(uintptr_t)cfg.http_body_max) == 0);
    CHECK(http_route(r, "PUT", "/small", echo, (void *)(uintptr_t)SMALL_MAX) == 0);
    CHECK(http_route_body_max(r, "PUT", "/small", SMALL_MAX) == 0);
    CHECK(http_route(r, "GET", "/item/*", item, NULL) == 0);
    CHECK(http_route(r, "DELETE", "/item/*", item, NULL) == 0);
    CHECK(http_route(r, "POST", "/later", deferred, NULL) == 0);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the loop, reading fd, until the server closed it (true), or until the deadline, or
 * -- when quiet_ms > 0 -- until the server answered something and then was quiet that long. */
static bool run_until_closed(int fd, int64_t deadline, int quiet_ms)
{
    char buf[16384];
    int64_t last = 0;
    while (now_ms() < deadline) {
        struct pollfd p[2] = {{fd, POLLIN, 0}, {uv_backend_fd(&loop), POLLIN, 0}};
        poll(p, 2, 2);
        uv_run(&loop, UV_RUN_NOWAIT);
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            return true;
        if (n > 0) {
            last = now_ms();
            if (getenv("FUZZ_HTTP_SHOW"))
                fwrite(buf, 1, (size_t)n, stderr);
        } else if (quiet_ms > 0 && last && now_ms() - last >= quiet_ms) {
            return false;
        }
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!srv)
        init();
    if (size > 65536)
        return 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)server_port(srv)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    size_t off = 0;
    int64_t deadline = now_ms() + 2000;
    while (off < size && now_ms() < deadline) { /* the server may stop reading: don't block */
        ssize_t n = send(fd, data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0)
            off += (size_t)n;
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    /* Answers first (a half-closed client may be dropped before it is answered), then the
     * end of the connection. */
    bool closed = run_until_closed(fd, now_ms() + 100, 5);
    shutdown(fd, SHUT_WR);
    closed = closed || run_until_closed(fd, now_ms() + 4000, 0);
    close(fd);
    for (int i = 0; i < 20; i++) /* let lws see the close and free the request */
        uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(closed);
    CHECK(http_router_inflight(server_router(srv)) == 0);
    return 0;
}
