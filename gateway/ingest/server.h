/* server.h -- the listening port: libwebsockets on the process's libuv loop.
 *
 * One lws context with one vhost serves HTTP (the router, http.h) and the /stream WebSocket
 * (media.h) on one port. lws runs on the caller's uv_loop_t as a foreign loop, so Redis,
 * libcurl and timers share the one loop thread (DESIGN.md "Threads").
 *
 * Upgrade policy (checked before the WebSocket exists): only /stream upgrades; the dialect
 * comes from the query (`?dialect=voiceverify`, default twilio); when a Twilio auth token is
 * configured, X-Twilio-Signature must sign public_url + path (+ query), else HTTP 403.
 *
 * TLS: with tls_cert/tls_key the port serves https:// and wss:// only (ALPN http/1.1).
 *
 * Shutdown: server_drain() (graceful: refuse new work), server_stop_streams() (end every
 * stream, ask connections to close; the loop keeps running while they do, see
 * server_connections()), then the destroy, two-phase because lws 4.1 on a foreign loop needs
 * two rounds (its handles close asynchronously):
 *     server_close(s);            // ends what is left, closes sockets, round 1
 *     uv_run(loop, UV_RUN_DEFAULT);
 *     if (!server_is_closed(s)) { server_close(s); uv_run(loop, UV_RUN_DEFAULT); }
 *     server_free(s);
 */
#ifndef CALLPRINT_SERVER_H
#define CALLPRINT_SERVER_H

#include <uv.h>

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "http/http.h"
#include "ingest/media.h"
#include "streams/registry.h"

typedef struct server server;

/* Start listening. cfg must outlive the server. NULL on failure (err says why). */
server *server_new(uv_loop_t *loop, const config *cfg, char *err, size_t errcap);
/* The bound port (the real one when cfg->listen_port is 0). */
int server_port(const server *s);

registry *server_registry(server *s);
http_router *server_router(server *s);
media_ctx *server_media(server *s);

/* Start of a graceful stop (shutdown_grace_s bounds it): new WebSocket upgrades get
 * HTTP 503, new streams are refused as in maintenance (423); running streams go on. */
void server_drain(server *s);
bool server_draining(const server *s);

/* End every stream (STREAM_END_SHUTDOWN) and ask every connection to close, keeping the
 * context: the last replies and close frames go out while the loop runs. server_close()
 * follows. */
void server_stop_streams(server *s);
/* /stream connections still open. */
size_t server_connections(const server *s);

void server_close(server *s);
bool server_is_closed(const server *s);
void server_free(server *s);

#endif
