/* listener.c -- accept, peek at the request line, hand the socket to lws. See listener.h.
 *
 * A connection is accepted by libuv (uv_tcp_t), its descriptor duplicated and the handle
 * closed, then watched with a uv_poll_t: on readable, recv(MSG_PEEK) looks for the end of the
 * request line without consuming anything. Found (or the buffer full): the poll handle is
 * closed and, from its close callback, when libuv no longer watches the descriptor, the socket
 * goes to lws, which reads the request itself. A request line that came only in part would
 * make the level-triggered poll fire again at once, so the poll stops and listener_tick looks
 * again later (its period: at most a few hundred ms).
 */
#include "ingest/listener.h"

#include "common/list.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct pend {
    listener *l;
    union {
        uv_tcp_t tcp;   /* while accepting */
        uv_poll_t poll; /* while peeking */
    } h;
    struct pend *prev, *next;
    uint64_t since_ms;
    int fd;           /* the duplicate; -1 once closed */
    bool polling, ready, idle;
    char *target;
    char buf[LISTENER_HEAD_MAX];
} pend;

struct listener {
    uv_loop_t *loop;
    uv_tcp_t tcp;
    bool closing;
    int open_handles; /* the listening handle and every pend's */
    pend *pending;
    size_t n_pending;
    listener_ready_cb *cb;
    void *ud;
    int port;
};

static void pend_unlink(pend *p)
{
    listener *l = p->l;
    LIST_UNLINK(l->pending, p);
    l->n_pending--;
}

/* The peeked bytes may hold more than the request line (a login's password in its body):
 * wiped, so no freed buffer keeps them. */
static void pend_free(pend *p)
{
    explicit_bzero(p->buf, sizeof p->buf);
    free(p->target);
    free(p);
}

/* The poll handle is gone: the socket goes to lws, or is closed. */
static void poll_closed(uv_handle_t *h)
{
    pend *p = h->data;
    listener *l = p->l;
    l->open_handles--;
    if (p->ready && !l->closing)
        l->cb(l->ud, p->fd, p->target);
    else if (p->fd >= 0)
        close(p->fd);
    pend_free(p);
}

/* Stop peeking: hand the socket to lws (with the target when the request line is in), or
 * close it. */
static void finish(pend *p, bool ready, bool with_target)
{
    pend_unlink(p);
    p->ready = ready;
    if (ready && with_target)
        p->target = listener_target(p->buf, LISTENER_HEAD_MAX); /* NUL-padded by calloc */
    uv_close((uv_handle_t *)&p->h.poll, poll_closed);
}

static void peek(pend *p)
{
    ssize_t n = recv(p->fd, p->buf, LISTENER_HEAD_MAX - 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) { /* closed or failed before a request: nothing for lws */
        finish(p, false, false);
        return;
    }
    p->buf[n] = '\0';
    if (memchr(p->buf, '\n', (size_t)n) || n == LISTENER_HEAD_MAX - 1) {
        finish(p, true, true);
        return;
    }
    /* A partial line. The client may have finished sending (half-closed): a peek cannot see
     * the end behind unread bytes, so ask the socket; such a line never completes. */
    struct pollfd q = {.fd = p->fd, .events = POLLRDHUP};
    if (poll(&q, 1, 0) == 1 && (q.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
        finish(p, false, false);
        return;
    }
    uv_poll_stop(&p->h.poll); /* look again at the next tick */
    p->idle = true;
}

static void on_readable(uv_poll_t *h, int status, int events)
{
    (void)events;
    pend *p = h->data;
    if (status < 0)
        finish(p, false, false);
    else
        peek(p);
}

static void tcp_closed(uv_handle_t *h)
{
    pend *p = h->data;
    listener *l = p->l;
    if (p->fd < 0 || l->closing || uv_poll_init_socket(l->loop, &p->h.poll, p->fd) != 0) {
        l->open_handles--;
        pend_unlink(p);
        if (p->fd >= 0)
            close(p->fd);
        pend_free(p);
        return;
    }
    p->h.poll.data = p;
    p->polling = true;
    uv_poll_start(&p->h.poll, UV_READABLE, on_readable);
}

static void on_connection(uv_stream_t *server, int status)
{
    listener *l = server->data;
    if (status < 0 || l->closing)
        return;
    pend *p = calloc(1, sizeof *p);
    if (!p)
        return;
    p->l = l;
    p->fd = -1;
    uv_tcp_init(l->loop, &p->h.tcp);
    p->h.tcp.data = p;
    l->open_handles++;
    LIST_PUSH(l->pending, p);
    l->n_pending++;
    p->since_ms = uv_now(l->loop);
    uv_os_fd_t fd;
    /* The duplicate outlives the libuv handle, whose close closes only the original. More
     * than LISTENER_PENDING_MAX waiting: this one is closed at once. */
    if (uv_accept(server, (uv_stream_t *)&p->h.tcp) == 0 && l->n_pending <= LISTENER_PENDING_MAX &&
        uv_fileno((uv_handle_t *)&p->h.tcp, &fd) == 0)
        p->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    uv_close((uv_handle_t *)&p->h.tcp, tcp_closed);
}

bool listener_can_bind(const char *host)
{
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    return !*host || uv_ip4_addr(host, 0, &a4) == 0 || uv_ip6_addr(host, 0, &a6) == 0;
}

listener *listener_open(uv_loop_t *loop, const char *host, int port, listener_ready_cb *cb,
                        void *ud, char *err, size_t errcap)
{
    struct sockaddr_storage ss;
    if (uv_ip4_addr(*host ? host : "0.0.0.0", port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0) {
        snprintf(err, errcap, "cannot listen on \"%s\": not an IP address", host);
        return NULL;
    }
    listener *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    l->loop = loop;
    l->cb = cb;
    l->ud = ud;
    uv_tcp_init(loop, &l->tcp);
    l->tcp.data = l;
    l->open_handles = 1;
    int rc = uv_tcp_bind(&l->tcp, (const struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&l->tcp, SOMAXCONN, on_connection);
    struct sockaddr_storage bound;
    int blen = sizeof bound;
    if (rc == 0)
        rc = uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&bound, &blen);
    if (rc != 0) {
        snprintf(err, errcap, "cannot listen on %s:%d: %s", host, port, uv_strerror(rc));
        l->port = -1;
        listener_close(l); /* the caller runs the loop, then listener_free */
        return l;
    }
    l->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    return l;
}

int listener_port(const listener *l) { return l->port; }

void listener_tick(listener *l)
{
    uint64_t now = uv_now(l->loop);
    for (pend *p = l->pending, *next; p; p = next) {
        next = p->next;
        if (!p->polling)
            continue;
        if (now - p->since_ms >= LISTENER_TIMEOUT_MS) {
            /* Late: lws answers what came (its own timeouts apply), without a target. */
            finish(p, p->idle, false);
        } else if (p->idle) {
            p->idle = false;
            uv_poll_start(&p->h.poll, UV_READABLE, on_readable);
        }
    }
}

static void listen_closed(uv_handle_t *h)
{
    listener *l = h->data;
    l->open_handles--;
}

void listener_close(listener *l)
{
    if (!l || l->closing)
        return;
    l->closing = true;
    uv_close((uv_handle_t *)&l->tcp, listen_closed);
    for (pend *p = l->pending, *next; p; p = next) {
        next = p->next;
        if (p->polling)
            finish(p, false, false);
        /* still accepting: tcp_closed sees l->closing and releases it */
    }
}

bool listener_closed(const listener *l) { return !l || l->open_handles == 0; }

void listener_free(listener *l)
{
    free(l);
}

char *listener_target(const char *head, size_t len)
{
    const char *eol = memchr(head, '\n', len);
    const char *sp = eol ? memchr(head, ' ', (size_t)(eol - head)) : NULL;
    if (!sp)
        return NULL;
    const char *t = sp + 1, *end = t;
    while (end < eol && *end != ' ' && *end != '\r')
        end++;
    if (end == t || end == eol || *end != ' ')
        return NULL; /* no target, or no HTTP version after it */
    for (const char *c = t; c < end; c++)
        if ((unsigned char)*c <= 0x20 || *c == 0x7f)
            return NULL;
    char *out = malloc((size_t)(end - t) + 1);
    if (out) {
        memcpy(out, t, (size_t)(end - t));
        out[end - t] = '\0';
    }
    return out;
}
