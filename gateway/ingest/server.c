/* server.c -- lws context, the single protocol callback, the upgrade check, the tick.
 *
 * One protocol at protocols[0] handles both HTTP and WebSocket callbacks: Twilio opens its
 * WebSocket without a subprotocol, which lws binds to protocols[0],
 * and HTTP is served by protocols[0] too. Per-connection state is two pointers, one for the
 * media connection and one for the HTTP request in flight; the modules own what they point
 * to.
 */
#include <uv.h>

#include "ingest/server.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ingest/listener.h"
#include "common/log.h"
#include "core/lwslog.h"
#include "twilio_sig.h"

#define STREAM_PATH "/stream"
/* lws keeps an rx buffer of this size per WebSocket for the whole call. A Twilio media frame
 * is ~350 bytes; bigger messages (a start with many customParameters) arrive in pieces and
 * are put together by media.c. 4096 cost ~3 KB more per stream (docs/performance.md). */
#define SERVER_RX_BUFFER 1024

typedef struct {
    media_conn *ws;
    http_req *req;
} session;

struct server {
    uv_loop_t *loop;
    const config *cfg;
    struct lws_context *ctx; /* NULLed by lws when fully destroyed (info.pcontext) */
    struct lws_protocols protocols[2];
    void *foreign_loops[1];
    uv_timer_t tick;
    bool tick_open, closing, draining, streams_stopped;
    /* True between the loop's prepare and check phases, i.e. while I/O callbacks run. */
    uv_prepare_t before_io;
    uv_check_t after_io;
    bool io_phase, phase_open;
    int port;
    registry *reg;
    http_router *router;
    media_ctx *media;
    listener *lis;  /* our own accept loop (plain listeners), NULL when lws listens */
    char *adopting; /* raw target of the socket being handed to lws right now */
};

/* Twilio announces itself on every upgrade: it signs it and names itself in User-Agent. */
static bool from_twilio(struct lws *wsi)
{
    char buf[64];
    if (lws_hdr_custom_copy(wsi, buf, sizeof buf, "x-twilio-signature:", 19) > 0)
        return true;
    return lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_USER_AGENT) > 0 &&
           strncasecmp(buf, "Twilio", 6) == 0;
}

/* The Voice Verify manual sends every WebSocket message to the server's root URL; a
 * deployment may name one more path (voiceverify_path). */
static bool voiceverify_path(const server *srv, const char *path)
{
    const char *extra = srv->cfg->voiceverify_path;
    return strcmp(path, "/") == 0 || (*extra && strcmp(path, extra) == 0);
}

/* The dialect of an upgrade; -1 when the query names an unknown one. The query wins; on the
 * Voice Verify paths the default is Voice Verify, except for Twilio itself, which must never
 * receive a message it does not know (a <Stream url> pointed at the root still works). */
static int dialect_of(const server *srv, struct lws *wsi)
{
    char buf[64], path[256];
    const char *v = lws_get_urlarg_by_name(wsi, "dialect=", buf, sizeof buf);
    if (v && strcmp(v, "twilio") == 0)
        return DIALECT_TWILIO;
    if (v && strcmp(v, "voiceverify") == 0)
        return DIALECT_VOICEVERIFY;
    if (v)
        return -1;
    if (lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI) > 0 &&
        voiceverify_path(srv, path) && !from_twilio(wsi))
        return DIALECT_VOICEVERIFY;
    return DIALECT_TWILIO;
}

/* The connection's raw request target, taken (the caller frees): only its first request
 * has one. */
static char *take_target(struct lws *wsi)
{
    char *t = lws_get_opaque_user_data(wsi);
    lws_set_opaque_user_data(wsi, NULL);
    return t;
}

/* Characters that lws's decoding leaves as they came (no escape, '+' or ';' could hide
 * behind them): only a decoded URL made of these is the URL Twilio signed. */
static bool decoded_unambiguous(const char *s)
{
    for (; *s; s++)
        if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') || ('0' <= *s && *s <= '9') ||
              strchr("-._~/=&", *s)))
            return false;
    return true;
}

/* Path and query as lws decoded them, into out; false when they do not fit or are ambiguous
 * (fail closed: a query is never dropped from the signed URL). */
static bool decoded_target(struct lws *wsi, const char *path, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s", path);
    for (int i = 0; n >= 0 && (size_t)n < cap; i++) {
        char frag[1024];
        if (lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) < 0) {
            if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i) > 0)
                return false; /* a fragment too long to copy */
            break;
        }
        n += snprintf(out + n, cap - (size_t)n, "%s%s", i ? "&" : "?", frag);
    }
    return n >= 0 && (size_t)n < cap && decoded_unambiguous(out);
}

static bool signature_ok(server *srv, struct lws *wsi, const char *path, const char *raw)
{
    char sig[128], host[256], target[LISTENER_HEAD_MAX], url[LISTENER_HEAD_MAX + 300];
    if (lws_hdr_custom_copy(wsi, sig, sizeof sig, "x-twilio-signature:", 19) <= 0)
        return false;
    const char *base = srv->cfg->public_url;
    char derived[300];
    if (!*base) { /* no public URL configured: trust the Host header (warned at start) */
        if (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) <= 0)
            return false;
        snprintf(derived, sizeof derived, "wss://%s", host);
        base = derived;
    }
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/') /* "wss://host/" + "/stream" */
        bl--;
    if (raw ? raw[0] != '/' : !decoded_target(wsi, path, target, sizeof target))
        return false;
    int n = snprintf(url, sizeof url, "%.*s%s", (int)bl, base, raw ? raw : target);
    if (n < 0 || (size_t)n >= sizeof url)
        return false;
    return twsig_check(srv->cfg->twilio_auth_token, url, NULL, 0, sig);
}

static int refuse_upgrade(struct lws *wsi, int status, const char *why);

/* The checks of an upgrade whose raw request target is raw (NULL: unknown). */
static int check_upgrade_target(server *srv, struct lws *wsi, const char *raw)
{
    char path[256];
    if (lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI) <= 0)
        return refuse_upgrade(wsi, 400, "no request path");
    if (strcmp(path, STREAM_PATH) != 0 && strcmp(path, STREAM_PATH "/") != 0 &&
        !voiceverify_path(srv, path))
        return refuse_upgrade(wsi, 404, "WebSocket only on " STREAM_PATH " and /");
    if (dialect_of(srv, wsi) < 0)
        return refuse_upgrade(wsi, 400, "unknown dialect (twilio or voiceverify)");
    if (srv->closing || srv->draining)
        return refuse_upgrade(wsi, 503, "shutting down");
    if (srv->cfg->twilio_auth_token[0] && !signature_ok(srv, wsi, path, raw))
        return refuse_upgrade(wsi, 403, "missing or invalid X-Twilio-Signature");
    return 0;
}

static int refuse_upgrade(struct lws *wsi, int status, const char *why)
{
    log_write(LOG_WARN, NULL, NULL, LOG_KV("reason", why), "WebSocket upgrade refused (%d)",
              status);
    lws_return_http_status(wsi, (unsigned)status, why);
    return -1;
}

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: path, dialect, signature. */
static int check_upgrade(server *srv, struct lws *wsi)
{
    char *raw = take_target(wsi);
    int rc = check_upgrade_target(srv, wsi, raw);
    free(raw);
    return rc;
}

/* A socket from listener.c for lws (nothing read from it yet). */
static void on_accepted(void *ud, int fd, const char *target)
{
    server *srv = ud;
    struct lws_vhost *vh = srv->ctx ? lws_get_vhost_by_name(srv->ctx, "callprint") : NULL;
    if (!vh || srv->closing) {
        close(fd);
        return;
    }
    srv->adopting = target ? strdup(target) : NULL;
    struct lws *wsi = lws_adopt_socket_vhost(vh, fd); /* closes fd on error */
    if (wsi && srv->adopting) /* not claimed at instantiation */
        lws_set_opaque_user_data(wsi, srv->adopting);
    else
        free(srv->adopting);
    srv->adopting = NULL;
}

/* lws 4.1 serves a request that arrived behind another one in the same read (pipelining)
 * from its own buffer, outside the loop's I/O phase, and its body handling there is broken:
 * it hands out pointers into a buffer it has just freed, or reports an incomplete body as
 * complete over and over without returning to the loop (one 90-byte request hung the
 * gateway). Such a request with a body closes the connection; the client's earlier requests
 * have been answered, and clients that wait for each answer never see this. */
static bool pipelined_body(const server *srv, struct lws *wsi)
{
    return !srv->io_phase && (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 ||
                              lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0);
}

static void on_before_io(uv_prepare_t *p) { ((server *)p->data)->io_phase = true; }
static void on_after_io(uv_check_t *c) { ((server *)c->data)->io_phase = false; }

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    server *srv = lws_context_user(lws_get_context(wsi));
    session *ss = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return check_upgrade(srv, wsi);
    case LWS_CALLBACK_ESTABLISHED: {
        int d = dialect_of(srv, wsi);
        ss->ws = media_conn_open(srv->media, wsi, d < 0 ? DIALECT_TWILIO : (stream_dialect)d);
        return ss->ws ? 0 : -1;
    }
    case LWS_CALLBACK_RECEIVE:
        return ss && ss->ws ? media_conn_receive(ss->ws, in, len) : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return ss && ss->ws ? media_conn_writable(ss->ws) : 0;
    case LWS_CALLBACK_CLOSED:
        if (ss && ss->ws) {
            media_conn_closed(ss->ws);
            ss->ws = NULL;
        }
        return 0;
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
        if (srv->adopting) { /* before lws parses the bytes handed over with the socket */
            lws_set_opaque_user_data(wsi, srv->adopting);
            srv->adopting = NULL;
        }
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        free(take_target(wsi));
        return 0;
    case LWS_CALLBACK_HTTP:
        free(take_target(wsi)); /* only an upgrade uses it, and only the first request has it */
        if (pipelined_body(srv, wsi)) {
            log_warn("pipelined HTTP request with a body: connection closed");
            return -1;
        }
        return http_on_request(srv->router, wsi, in, &ss->req);
    case LWS_CALLBACK_HTTP_BODY:
        return http_on_body(&ss->req, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return http_on_body_done(&ss->req);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return http_on_writable(&ss->req);
    case LWS_CALLBACK_CLOSED_HTTP:
        if (ss)
            http_on_closed(&ss->req);
        return 0;
    default:
        return 0;
    }
}

static http_result healthz(http_req *req, void *ud)
{
    server *srv = ud;
    char body[128];
    snprintf(body, sizeof body, "{\"status\":\"ok\",\"streams\":%zu,\"maintenance\":%s}",
             registry_count(srv->reg), registry_maintenance(srv->reg) ? "true" : "false");
    http_reply_json(req, 200, body);
    return HTTP_DONE;
}

static http_result stream_without_upgrade(http_req *req, void *ud)
{
    (void)ud;
    http_add_header(req, "upgrade", "websocket");
    http_reply_error(req, 426, "/stream is a WebSocket endpoint");
    return HTTP_DONE;
}

static void on_tick(uv_timer_t *t)
{
    server *srv = t->data;
    media_tick(srv->media);
    if (srv->lis)
        listener_tick(srv->lis);
}

static uint64_t tick_interval(const config *cfg)
{
    int ms = cfg->stream_timeout_ms < cfg->ping_interval_ms ? cfg->stream_timeout_ms
                                                           : cfg->ping_interval_ms;
    ms /= 4;
    return (uint64_t)(ms < 5 ? 5 : ms > 250 ? 250 : ms);
}

static int create_context(server *srv, char *err, size_t errcap)
{
    const config *cfg = srv->cfg;
    srv->protocols[0] = (struct lws_protocols){
        .name = "callprint", .callback = callback, .per_session_data_size = sizeof(session),
        .rx_buffer_size = SERVER_RX_BUFFER};
    srv->foreign_loops[0] = srv->loop;
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_VALIDATE_UTF8;
    info.foreign_loops = srv->foreign_loops;
    info.pcontext = &srv->ctx;
    /* Plain and an address: listener.c accepts (raw request targets); else lws listens. */
    bool own = !cfg->tls_cert[0] && listener_can_bind(cfg->listen_host);
    info.port = own ? CONTEXT_PORT_NO_LISTEN_SERVER : cfg->listen_port;
    info.iface = strcmp(cfg->listen_host, "0.0.0.0") == 0 || !cfg->listen_host[0]
                     ? NULL
                     : cfg->listen_host;
    /* lws 4.1 built with IPv6 binds an IPv4 address as the dual-stack wildcard, i.e. on every
     * interface (a libwebsockets limitation): IPv4 hosts get an IPv4-only socket. */
    if (!strchr(cfg->listen_host, ':'))
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    info.protocols = srv->protocols;
    info.user = srv;
    info.alpn = "http/1.1"; /* over TLS, h2 would hide custom headers (pitfall 4) */
    info.vhost_name = "callprint";
    /* A client whose request headers are not complete by then is dropped (slowloris). */
    info.timeout_secs_ah_idle = (unsigned)cfg->http_header_timeout_s;
    if (cfg->tls_cert[0]) {
        /* One port, TLS only: lws refuses plain HTTP on it (no redirect, no fallback). */
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cfg->tls_cert;
        info.ssl_private_key_filepath = cfg->tls_key;
    }
    srv->ctx = lws_create_context(&info);
    if (!srv->ctx) {
        snprintf(err, errcap, "cannot listen on %s%s", cfg->listen,
                 cfg->tls_cert[0] ? " (or cannot load tls_cert / tls_key)" : "");
        return -1;
    }
    struct lws_vhost *vh = lws_get_vhost_by_name(srv->ctx, "callprint");
    if (own) {
        srv->lis = listener_open(srv->loop, cfg->listen_host, cfg->listen_port, on_accepted, srv,
                                 err, errcap);
        srv->port = srv->lis ? listener_port(srv->lis) : -1;
        if (srv->port <= 0)
            return -1;
    } else {
        srv->port = vh ? lws_get_vhost_listen_port(vh) : -1;
    }
    if (srv->port <= 0) {
        snprintf(err, errcap, "cannot listen on %s (no port)", cfg->listen);
        return -1;
    }
    return 0;
}

server *server_new(uv_loop_t *loop, const config *cfg, char *err, size_t errcap)
{
    server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    srv->loop = loop;
    srv->cfg = cfg;
    srv->reg = registry_new(cfg->max_streams);
    srv->router = http_router_new((size_t)cfg->http_body_max, cfg->http_timeout_s);
    srv->media = srv->reg ? media_new(loop, srv->reg, cfg) : NULL;
    if (!srv->reg || !srv->router || !srv->media) {
        snprintf(err, errcap, "out of memory");
        server_free(srv);
        return NULL;
    }
    http_limits lim = {(size_t)cfg->http_preauth_body_max, (size_t)cfg->http_inflight_max,
                       (size_t)cfg->http_inflight_per_client, cfg->http_body_timeout_s,
                       cfg->trusted_proxies};
    char why[160];
    if (http_router_limits(srv->router, &lim, why, sizeof why) != 0) {
        snprintf(err, errcap, "trusted_proxies: %s", why);
        server_free(srv);
        return NULL;
    }
    http_route(srv->router, "GET", "/healthz", healthz, srv);
    http_route(srv->router, "GET", STREAM_PATH, stream_without_upgrade, srv);
    lwslog_init();
    if (create_context(srv, err, errcap) != 0) {
        /* Half-built context: two destroy rounds, without running the caller's handles. */
        for (int round = 0; round < 2 && !server_is_closed(srv); round++) {
            server_close(srv);
            uv_run(loop, UV_RUN_NOWAIT);
        }
        server_free(srv);
        return NULL;
    }
    uv_timer_init(loop, &srv->tick);
    srv->tick.data = srv;
    srv->tick_open = true;
    uv_prepare_init(loop, &srv->before_io);
    uv_check_init(loop, &srv->after_io);
    srv->before_io.data = srv->after_io.data = srv;
    uv_prepare_start(&srv->before_io, on_before_io);
    uv_check_start(&srv->after_io, on_after_io);
    uv_unref((uv_handle_t *)&srv->before_io); /* they must not keep the loop alive */
    uv_unref((uv_handle_t *)&srv->after_io);
    srv->phase_open = true;
    uint64_t iv = tick_interval(cfg);
    uv_timer_start(&srv->tick, on_tick, iv, iv);
    char port[16];
    snprintf(port, sizeof port, "%d", srv->port);
    bool tls = cfg->tls_cert[0] != '\0';
    log_write(LOG_INFO, NULL, NULL, LOG_KV("host", cfg->listen_host, "port", port),
              "listening on %s://%s:%d (WebSocket %s://...%s)", tls ? "https" : "http",
              cfg->listen_host, srv->port, tls ? "wss" : "ws", STREAM_PATH);
    if (!cfg->twilio_auth_token[0])
        log_warn("CALLPRINT_TWILIO_AUTH_TOKEN is not set: WebSocket upgrades are NOT "
                 "authenticated (X-Twilio-Signature not checked)");
    else if (!cfg->public_url[0])
        log_warn("CALLPRINT_PUBLIC_URL is not set: signatures are checked against "
                 "wss://<Host header>; set it to the URL Twilio connects to");
    return srv;
}

int server_port(const server *s) { return s->port; }
registry *server_registry(server *s) { return s->reg; }
http_router *server_router(server *s) { return s->router; }
media_ctx *server_media(server *s) { return s->media; }

void server_drain(server *s)
{
    s->draining = true;
    registry_set_maintenance(s->reg, true);
    log_info("draining: new connections and streams are refused");
}

bool server_draining(const server *s)
{
    return s->draining;
}

/* Streams that are not WebSocket streams (HTTP push streams) end through their owner. */
static void end_other_streams(registry *r)
{
    stream *s = r ? registry_first(r) : NULL;
    while (s) {
        if (!s->end_fn) {
            s = registry_next(s);
            continue;
        }
        stream_end(s, STREAM_END_SHUTDOWN); /* unlinks and frees s */
        s = registry_first(r);
    }
}

void server_stop_streams(server *s)
{
    if (s->streams_stopped)
        return;
    s->streams_stopped = true;
    s->draining = true; /* no new upgrade from here on */
    if (s->media)
        media_shutdown(s->media);
    end_other_streams(s->reg);
}

size_t server_connections(const server *s)
{
    return s->media ? media_conn_count(s->media) : 0;
}

void server_close(server *s)
{
    if (!s->closing) {
        server_stop_streams(s);
        s->closing = true;
        listener_close(s->lis);
        if (s->tick_open) {
            uv_timer_stop(&s->tick);
            uv_close((uv_handle_t *)&s->tick, NULL);
            s->tick_open = false;
        }
        if (s->phase_open) {
            uv_close((uv_handle_t *)&s->before_io, NULL);
            uv_close((uv_handle_t *)&s->after_io, NULL);
            s->phase_open = false;
        }
    }
    if (s->ctx)
        lws_context_destroy(s->ctx);
}

bool server_is_closed(const server *s)
{
    return s->ctx == NULL && listener_closed(s->lis);
}

void server_free(server *s)
{
    if (!s)
        return;
    listener_free(s->lis);
    media_free(s->media);
    http_router_free(s->router);
    registry_free(s->reg);
    free(s);
}
