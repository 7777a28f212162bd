/* bench_floor.c -- the loopback floor: what ANY server pays on this machine to receive
 * real-time Twilio streams, one TCP connection per stream, before doing anything with them.
 *
 * A WebSocket endpoint cut to the bone: one thread, level-triggered epoll (1024 events a
 * wait), one recv of up to 64 KiB per readable socket, the bytes thrown away -- no frame
 * parsing, no JSON, no audio, no timers. It answers the opening handshake (RFC 6455 4.2.2:
 * Sec-WebSocket-Accept from OpenSSL's SHA-1 and base64), 404 to any other request (the load
 * generator's GET /debug/latency), and closes a socket when its peer has.
 *
 * The load generator is run against it exactly as against the gateway
 * (tests/bench/bench_load_ingest.sh --floor), and measures its CPU from /proc the same way.
 * That figure is the kernel's share of ingest -- epoll, recv, and on loopback the processing
 * of the peer's ACKs, which the receiving side pays for -- i.e. the floor under the gateway's
 * CPU per stream-second. 90 % of a core divided by it bounds the streams per core that any
 * server with one connection per stream could hold here.
 *
 * Usage: bench_floor   (prints "port N" on stdout once listening on 127.0.0.1; runs until
 * SIGTERM or SIGINT)
 */
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define EVENTS 1024
#define HEAD_MAX 4096 /* an opening handshake is ~250 bytes */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

typedef struct {
    int fd;
    bool open;    /* handshake answered: from now on bytes are discarded */
    size_t hlen;  /* handshake bytes so far */
    char head[HEAD_MAX + 1];
} conn;

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static void conn_close(conn *c)
{
    close(c->fd);
    free(c);
}

static void send_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        s += w, n -= (size_t)w;
    }
}

/* The Sec-WebSocket-Key header's value (case-insensitive name), or NULL. */
static const char *ws_key(char *head, size_t *len)
{
    for (char *p = head; (p = strchr(p, '\n')) != NULL;) {
        p++;
        if (strncasecmp(p, "sec-websocket-key:", 18) == 0) {
            p += 18;
            while (*p == ' ')
                p++;
            *len = strcspn(p, "\r\n ");
            return p;
        }
    }
    return NULL;
}

/* A complete request head: 101 with the accept key, or 404 and a close. false = closed. */
static bool answer(conn *c)
{
    size_t klen;
    const char *key = ws_key(c->head, &klen);
    if (!key || klen > 64) {
        static const char nf[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                                 "Connection: close\r\n\r\n";
        send_all(c->fd, nf, sizeof nf - 1);
        return false;
    }
    char in[64 + sizeof WS_GUID], accept[32], reply[256];
    unsigned char sha[SHA_DIGEST_LENGTH];
    memcpy(in, key, klen);
    memcpy(in + klen, WS_GUID, sizeof WS_GUID - 1);
    SHA1((const unsigned char *)in, klen + sizeof WS_GUID - 1, sha);
    EVP_EncodeBlock((unsigned char *)accept, sha, sizeof sha);
    int n = snprintf(reply, sizeof reply,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
    send_all(c->fd, reply, (size_t)n);
    c->open = true;
    return true;
}

/* One readable socket: one recv. false when the connection is gone. */
static bool on_readable(conn *c)
{
    static char sink[65536];
    char *dst = c->open ? sink : c->head + c->hlen;
    size_t cap = c->open ? sizeof sink : HEAD_MAX - c->hlen;
    ssize_t n = recv(c->fd, dst, cap, 0);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    if (n == 0 || (!c->open && (size_t)n == cap))
        return false; /* peer closed, or a head larger than HEAD_MAX */
    if (c->open)
        return true;
    c->hlen += (size_t)n;
    c->head[c->hlen] = '\0';
    /* Bytes after the head (the first frames) are simply dropped with it. */
    return strstr(c->head, "\r\n\r\n") ? answer(c) : true;
}

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4096) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

static void accept_all(int ep, int lfd)
{
    int fd;
    while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
        conn *c = calloc(1, sizeof *c);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (!c || (c->fd = fd, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)) {
            close(fd);
            free(c);
        }
    }
}

int main(void)
{
    int port, lfd = listen_loopback(&port), ep = epoll_create1(0);
    if (lfd < 0 || ep < 0) {
        perror("bench_floor");
        return 1;
    }
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL}, evs[EVENTS];
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("port %d\n", port);
    fflush(stdout);
    while (!stopping) {
        int n = epoll_wait(ep, evs, EVENTS, 200);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (!c)
                accept_all(ep, lfd);
            else if (!on_readable(c))
                conn_close(c); /* close() also takes it out of the epoll set */
        }
    }
    return 0;
}
