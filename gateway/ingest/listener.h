/* listener.h -- the plain-TCP accept loop that keeps each connection's raw request target.
 *
 * libwebsockets decodes the request target before anyone sees it (%xx, '+' to space, ';' as
 * an argument separator, "//" and "/./" collapsed), but X-Twilio-Signature is computed over
 * the URL exactly as Twilio requested it. So on a plain listener the gateway accepts the
 * sockets itself: it peeks (MSG_PEEK, nothing consumed) until the request line is in (at most
 * LISTENER_HEAD_MAX bytes, within LISTENER_TIMEOUT_MS), takes the target from it, and hands
 * the socket to lws (lws_adopt_socket_vhost), which then reads and serves it as if it had
 * accepted it. A request line that does not fit or does not come in time is handed over
 * without a target (or dropped when nothing came): the signature check then fails closed.
 * Over TLS the bytes are ciphertext, so lws keeps its own listener (server.c).
 *
 * Bounded for strangers: at most LISTENER_PENDING_MAX connections wait for their request line
 * (more are closed at once), each with one LISTENER_HEAD_MAX buffer. Loop thread only.
 */
#ifndef CALLPRINT_LISTENER_H
#define CALLPRINT_LISTENER_H

#include <uv.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LISTENER_HEAD_MAX 4096
#define LISTENER_TIMEOUT_MS 10000
#define LISTENER_PENDING_MAX 1024

typedef struct listener listener;

/* A connection ready for lws: fd (now the callee's, nothing read from it yet) and the raw
 * request target (NUL-terminated; NULL when the request line did not fit or come). */
typedef void listener_ready_cb(void *ud, int fd, const char *target);

/* True when host is an IPv4 or IPv6 literal (or empty: every IPv4 interface), which the
 * listener can bind; names are left to lws. */
bool listener_can_bind(const char *host);
/* Bind host:port (port 0: ephemeral) and accept. NULL on out of memory or a host that is not
 * an address; when binding fails, err says why and listener_port() is -1 (close and free it
 * as usual). */
listener *listener_open(uv_loop_t *loop, const char *host, int port, listener_ready_cb *cb,
                        void *ud, char *err, size_t errcap);
int listener_port(const listener *l);
/* Look again at connections whose request line came in pieces, and hand over or close those
 * that are late (call every few hundred ms). */
void listener_tick(listener *l);
/* Stop accepting and drop the waiting connections; listener_free once listener_closed(). */
void listener_close(listener *l);
bool listener_closed(const listener *l);
void listener_free(listener *l);

/* The target of an HTTP request line ("GET /stream?x=1 HTTP/1.1\r\n"): a malloc'd copy, or
 * NULL when head holds no complete request line. */
char *listener_target(const char *head, size_t len);

#endif
