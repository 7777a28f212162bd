/* wsclient.h -- WebSocket client connections on the libuv loop (libwebsockets client).
 *
 * The other side of /stream, for callprint-call, the tests and the load generator: one
 * wsc_ctx (an lws client-only context on a foreign uv loop) carries any number of
 * connections. Each connection has an unbounded-by-count but byte-capped outbound queue
 * (WSC_QUEUE_MAX_BYTES) drained one frame per writable callback, and reports open, text
 * messages and close through callbacks. Extra upgrade headers (X-Twilio-Signature) are
 * given at connect. Shutdown follows the same two-round destroy as the server (server.h).
 */
#ifndef CALLPRINT_WSCLIENT_H
#define CALLPRINT_WSCLIENT_H

#include <uv.h>

#include <stdbool.h>
#include <stddef.h>

#define WSC_QUEUE_MAX_BYTES (64u << 20)
#define WSC_HEADERS_MAX 4

typedef struct wsc_ctx wsc_ctx;
typedef struct wsc_conn wsc_conn;

typedef struct {
    void (*on_open)(wsc_conn *c, void *ud);
    void (*on_text)(wsc_conn *c, void *ud, const char *msg, size_t len);
    /* Always called once, also when the connection never opened. http_status: the upgrade
     * response's status when the server refused it (0 otherwise); close_code: the
     * WebSocket close code received (0 when none). */
    void (*on_close)(wsc_conn *c, void *ud, int http_status, int close_code);
} wsc_callbacks;

wsc_ctx *wsc_new(uv_loop_t *loop);
/* The same, trusting ca_file (PEM) for wss:// peers instead of the system store (NULL =
 * system store). wss:// works with either. */
wsc_ctx *wsc_new_tls(uv_loop_t *loop, const char *ca_file);
/* Close every connection and destroy (call again after uv_run until wsc_is_closed). */
void wsc_close_all(wsc_ctx *x);
bool wsc_is_closed(const wsc_ctx *x);
void wsc_free(wsc_ctx *x);

/* url: ws[s]://host:port/path?query. headers: n name/value pairs (names without colon). */
wsc_conn *wsc_connect(wsc_ctx *x, const char *url, const char *const *headers, size_t n,
                      const wsc_callbacks *cb, void *ud);
/* Queue a text message; -1 when the queue is over its byte cap or the connection is gone. */
int wsc_send(wsc_conn *c, const char *text, size_t len);
/* Queue a text message sent as several WebSocket fragments of at most frag bytes. */
int wsc_send_fragmented(wsc_conn *c, const char *text, size_t len, size_t frag);
/* Close once the queue is drained. */
void wsc_close(wsc_conn *c);
bool wsc_is_open(const wsc_conn *c);
size_t wsc_queued(const wsc_conn *c);

#endif
