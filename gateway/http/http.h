/* http.h -- the HTTP side of the port: a small router for REST handlers.
 *
 * Handlers register a method and a path: an exact path ("/healthz") or a prefix, written as
 * a path ending in a slash and a star, e.g. "/api/v2/streams/" "*" (what follows the slash
 * is http_req_path_rest()). A handler runs on the loop
 * thread once the whole body is in (bodies over the router's limit get 413 without running
 * the handler). It either replies at once (http_reply, then return HTTP_DONE) or returns
 * HTTP_DEFERRED and calls http_reply later from another callback (a Redis reply, a worker
 * result). Headers and query arguments can only be read during the handler call: a
 * deferred handler copies what it needs before returning.
 *
 * Ownership: the server owns the request. Every request gets exactly one http_reply; after
 * it the request pointer is dead. A deferred reply has timeout_s: after it the connection
 * is closed. When the connection goes away while a reply is deferred (that timeout, or a
 * client that hung up: lws notices that when it next touches the socket), the on_abort
 * callback (if set) tells the handler, which still calls http_reply (it then only frees).
 *
 * Strangers get little (http_router_limits): a body larger than preauth_body_max is read only
 * when the gate (the REST API's token check) accepts the request's headers, else 401 before
 * a byte of it is buffered; the body bytes buffered at once are capped in total and per
 * client (503 with Retry-After beyond); a body must arrive whole within body_timeout_s.
 * http_req_peer is the client's address: the TCP peer, or the X-Forwarded-For client when
 * the peer is a trusted proxy (proxy.h).
 */
#ifndef CALLPRINT_HTTP_H
#define CALLPRINT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct http_router http_router;
typedef struct http_req http_req;

typedef enum { HTTP_DONE = 0, HTTP_DEFERRED = 1 } http_result;
typedef http_result (*http_handler)(http_req *req, void *ud);

http_router *http_router_new(size_t body_max, int timeout_s);
void http_router_free(http_router *r);

/* Decides from the headers alone whether a request may send a large body. */
typedef bool (*http_gate)(http_req *req, void *ud);
typedef struct {
    size_t preauth_body_max;    /* bodies up to this need no gate (0: every body is gated) */
    size_t inflight_max;        /* body bytes buffered at once, all requests (0: no cap) */
    size_t inflight_per_client; /* the same per client address (0: no cap) */
    int body_timeout_s;         /* a body not complete by then: connection closed (0: none) */
    const char *trusted_proxies;/* proxy.h list; "" or NULL: X-Forwarded-For ignored */
} http_limits;
/* 0, or -1 when the trusted proxy list is malformed (err says why). */
int http_router_limits(http_router *r, const http_limits *lim, char *err, size_t errcap);
void http_router_gate(http_router *r, http_gate gate, void *ud);
/* Body bytes buffered right now (for /metrics and tests). */
size_t http_router_inflight(const http_router *r);

/* method: "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS". 0, or -1 when full. */
int http_route(http_router *r, const char *method, const char *path, http_handler h, void *ud);
/* A body limit of its own for a registered route (e.g. a bulk upload), instead of the
 * router's: bodies declared or grown beyond it get 413 without being buffered. 0, or -1 when
 * the route is not registered. */
int http_route_body_max(http_router *r, const char *method, const char *path, size_t body_max);

const char *http_req_method(const http_req *req);
/* The client's IP address as text ("127.0.0.1"), "unknown" if lws could not tell; behind a
 * trusted proxy, the client it forwarded for. */
const char *http_req_peer(const http_req *req);
const char *http_req_path(const http_req *req);
/* For prefix routes: what follows the prefix's "/" ("" when nothing). */
const char *http_req_path_rest(const http_req *req);
/* Header by lowercase name without colon ("authorization"). Copied into the request; NULL
 * when absent. Only during the handler call. */
const char *http_req_header(http_req *req, const char *name);
/* URL query argument by name (decoded). Only during the handler call. */
const char *http_req_query(http_req *req, const char *name);
/* The request body (NUL-terminated for convenience; len excludes the NUL). */
const char *http_req_body(const http_req *req, size_t *len);

/* Add a response header (before http_reply). */
int http_add_header(http_req *req, const char *name, const char *value);
/* The reply: status, content type, body (copied). Frees the request once sent. */
void http_reply(http_req *req, int status, const char *content_type, const char *body,
                size_t len);
/* Shorthands: JSON text, and {"error": msg} with status. */
void http_reply_json(http_req *req, int status, const char *json);
void http_reply_error(http_req *req, int status, const char *msg);

/* ---- Aliases: one implementation, several routings ----
 * A handler registered under another path (the Voice Verify manual's) adapts the request and
 * serves it through the canonical route: http_redispatch runs the route of method + path now
 * (its handler's result is returned; 404/405 replied when none) and may be called once per
 * request, during a handler call. http_req_set_body replaces the body (takes ownership of a
 * malloc'd buffer). A reply filter sees the status and body of the request's reply before it
 * is sent and returns a malloc'd replacement body (NUL-terminated), or NULL to keep it. */
http_result http_redispatch(http_req *req, const char *method, const char *path);
int http_req_set_body(http_req *req, char *body, size_t len);
typedef char *(*http_reply_filter)(int *status, const char *body, size_t len, void *ud);
void http_req_filter(http_req *req, http_reply_filter f, void *ud);

/* For deferred handlers: called if the client disconnects before http_reply. */
void http_req_on_abort(http_req *req, void (*cb)(http_req *req, void *ud), void *ud);
bool http_req_aborted(const http_req *req);

/* Streamed replies (server-sent events): instead of http_reply, the handler calls
 * http_stream_begin (the headers go out without a length, with "Connection: close") and
 * returns HTTP_DEFERRED; no reply timeout applies. The owner then sends one piece at a time:
 * http_stream_send copies it and refuses (returns 1) while the previous piece is still being
 * written, so at most one piece per client is ever held here and the owner decides what a
 * slow client gets (skip, coalesce, drop). -1: the client is gone or out of memory.
 * http_stream_end closes the connection once the last piece is out; after it the request is
 * dead. A client that goes away is reported through on_abort (set it); the owner still calls
 * http_stream_end, which then only frees. sndbuf > 0 fixes the socket's kernel send buffer
 * (the system would grow it to megabytes for a client that does not read), so that what one
 * slow client holds is bounded in the kernel too. */
int http_stream_begin(http_req *req, int status, const char *content_type, int sndbuf);
int http_stream_send(http_req *req, const char *data, size_t len);
void http_stream_end(http_req *req);

/* ---- Server side (server.c): the lws HTTP callbacks, one request per transaction. `slot`
 * is where the connection keeps its current request; these functions clear it when the
 * request is done. ---- */
struct lws;
/* LWS_CALLBACK_HTTP. Returns -1 to close the connection. */
int http_on_request(http_router *r, struct lws *wsi, const char *path, http_req **slot);
/* LWS_CALLBACK_HTTP_BODY / _BODY_COMPLETION. */
int http_on_body(http_req **slot, const void *in, size_t len);
int http_on_body_done(http_req **slot);
/* LWS_CALLBACK_HTTP_WRITEABLE. Returns -1 to close the connection. */
int http_on_writable(http_req **slot);
/* LWS_CALLBACK_CLOSED_HTTP (and HTTP_DROP_PROTOCOL). */
void http_on_closed(http_req **slot);

#endif
