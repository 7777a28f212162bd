/* store_redis.c -- one resilient Redis connection on the libuv loop (see store_redis.h).
 *
 * State machine:
 *
 *   DOWN --retry timer--> CONNECTING --PING answered--> CONNECTED
 *     ^                        |                            |
 *     +---- failure, watchdog, +---- link lost, error ------+
 *           refused connect          reply timeout
 *
 * On entering CONNECTING we resolve the host off the loop (uv_getaddrinfo: hiredis would call
 * getaddrinfo() itself, blocking), open the hiredis context and queue AUTH / SELECT / PING at
 * once; hiredis writes them when the socket connects. The 100 ms tick timer is the watchdog for
 * both the handshake deadline and the oldest unanswered command; it is also where a connection
 * we decided to abandon is freed, because redisAsyncFree() must not run inside a hiredis
 * callback. Whenever a context goes away, hiredis calls every pending callback with a NULL reply
 * first: an unanswered write just becomes "unsent" again and stays at its place in the queue; a
 * read fails. On the next CONNECTED the queue is sent again from its head, so order is kept.
 *
 * An operation (rop) is one request: its commands are formatted once, at submission, into one
 * buffer (RESP), and sent as separate hiredis commands so that each gets its own reply; the
 * rop completes on the last reply. A rop is freed only when hiredis holds no more callbacks for
 * it (`outstanding`), so a late NULL reply never touches freed memory.
 */
#include "store/store_redis.h"

#include <arpa/inet.h>
#include <hiredis/async.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* Defines a static on_close(): this file must not define one. */
#include <hiredis/adapters/libuv.h>

#include "common/list.h"
#include "common/log.h"

#define RD_TICK_MS 100   /* watchdog resolution */
#define RD_PROBE_MS 1000 /* PING an idle connection this often */

typedef struct rop rop;
struct rop {
    rop *prev, *next;
    store_redis *r;
    int write;            /* queued until acknowledged (else a read: fails when the link drops) */
    int sent;             /* sent on the current connection, replies pending */
    int done;             /* callback ran; freed once outstanding == 0 */
    unsigned outstanding; /* hiredis callbacks still to come for this rop */
    size_t ncmds, replies;
    uint64_t sent_at;
    char *first_err; /* first error reply to a queued command (explains EXECABORT) */
    size_t *cmd_len;
    char *buf;
    size_t len;
    store_redis_cb *cb;
    void *arg;
};

typedef struct {
    rop *head, *tail;
    size_t n;
} rop_list;

struct store_redis {
    uv_loop_t *loop;
    store_redis_options opt;
    store_url url;
    char target[320];

    redisAsyncContext *ac;
    store_link_state state;
    uint64_t connect_deadline, last_reply;
    int drop;                /* abandon the connection on the next tick, because of drop_why */
    char drop_why[128];      /* copied: reasons often live in a reply about to be freed */
    char why[128];           /* room for a formatted connect error */
    unsigned backoff_ms, failures;
    uv_timer_t tick, retry;
    uv_getaddrinfo_t gai;
    int resolving;
    size_t addr_turn; /* which resolved address the next attempt uses */

    rop_list writes, reads;
    size_t queued_bytes;
    store_stats stats;

    int closing, handles_open;
    uint64_t drain_deadline;
    void (*done)(void *);
    void *done_arg;
};

/* ---- operations ---------------------------------------------------------------------------- */

static void rop_list_push(rop_list *l, rop *op) {
    LIST_APPEND(l->head, l->tail, op);
    l->n++;
}

static void rop_list_remove(rop_list *l, rop *op) {
    LIST_UNLINK_TAIL(l->head, l->tail, op);
    op->prev = op->next = NULL;
    l->n--;
}

static void rop_free(rop *op) {
    free(op->first_err);
    free(op->cmd_len);
    free(op->buf);
    free(op);
}

/* Append one formatted command to op->buf. The buffer stays NUL-terminated: hiredis scans
 * the command name with strchr() in redisAsyncFormattedCommand. */
static int rop_append(rop *op, size_t i, int argc, const char **argv, const size_t *lens) {
    char *cmd = NULL;
    int n = redisFormatCommandArgv(&cmd, argc, argv, lens);
    if (n < 0) return -1;
    char *buf = realloc(op->buf, op->len + (size_t)n + 1);
    if (!buf) {
        redisFreeCommand(cmd);
        return -1;
    }
    memcpy(buf + op->len, cmd, (size_t)n);
    buf[op->len + (size_t)n] = '\0';
    redisFreeCommand(cmd);
    op->buf = buf;
    op->len += (size_t)n;
    op->cmd_len[i] = (size_t)n;
    return 0;
}

/* Format n commands (wrapped in MULTI/EXEC when n > 1) into a new rop. */
static rop *rop_new(store_redis *r, const store_redis_cmd *cmds, size_t n) {
    static const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"};
    rop *op = calloc(1, sizeof *op);
    if (!op) return NULL;
    op->r = r;
    op->ncmds = n > 1 ? n + 2 : n;
    if (!(op->cmd_len = calloc(op->ncmds, sizeof *op->cmd_len))) goto fail;
    size_t k = 0;
    if (n > 1 && rop_append(op, k++, 1, multi, NULL)) goto fail;
    for (size_t i = 0; i < n; i++)
        if (rop_append(op, k++, cmds[i].argc, cmds[i].argv, cmds[i].lens)) goto fail;
    if (n > 1 && rop_append(op, k++, 1, exec, NULL)) goto fail;
    return op;
fail:
    rop_free(op);
    return NULL;
}

/* ---- logging ------------------------------------------------------------------------------ */

static void rd_log(store_redis *r, log_level lvl, const char *msg, const char *why) {
    /* A NULL reason is left out of the line. */
    log_write(lvl, NULL, NULL, LOG_KV("redis", r->target, "reason", why), "%s", msg);
}

/* ---- link state ---------------------------------------------------------------------------- */

static void rd_connect(store_redis *r);
static void rd_retry(uv_timer_t *t) { rd_connect(t->data); }
static void rd_complete(store_redis *r, rop *op, store_status st, redisReply *reply,
                        const char *err);

/* The current connection is unusable from now on (its context may still be alive). Logs the
 * first reason; connect failures are logged at attempts 1, 2, 4, 8, ... to keep logs calm. */
static void rd_set_down(store_redis *r, const char *why) {
    if (r->state == STORE_LINK_DOWN) return;
    if (r->closing) {
        /* quiet: closing is not a failure */
    } else if (r->state == STORE_LINK_CONNECTED) {
        rd_log(r, LOG_WARN, "redis connection lost; writes are queued until it is back", why);
    } else if (++r->failures, (r->failures & (r->failures - 1)) == 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "redis connect failed (attempt %u); retrying", r->failures);
        rd_log(r, LOG_WARN, msg, why);
    }
    r->state = STORE_LINK_DOWN;
}

/* The context is gone (freed by hiredis or by us): schedule the next attempt. Idempotent. */
static void rd_link_lost(store_redis *r) {
    r->ac = NULL;
    r->drop = 0;
    r->state = STORE_LINK_DOWN;
    if (r->closing || uv_is_active((uv_handle_t *)&r->retry)) return;
    uv_timer_start(&r->retry, rd_retry, r->backoff_ms, 0);
    r->backoff_ms = r->backoff_ms * 2 > r->opt.backoff_max_ms ? r->opt.backoff_max_ms
                                                              : r->backoff_ms * 2;
}

/* Abandon the current connection on the next tick (safe inside hiredis callbacks). */
static void rd_request_drop(store_redis *r, const char *why) {
    rd_set_down(r, why);
    if (r->ac && !r->drop) {
        r->drop = 1;
        snprintf(r->drop_why, sizeof r->drop_why, "%s", why);
    }
}

/* Free the context now (never from inside a hiredis callback). */
static void rd_drop(store_redis *r, const char *why) {
    redisAsyncContext *ac = r->ac;
    rd_set_down(r, why);
    if (ac) redisAsyncFree(ac); /* NULL replies, maybe the disconnect callback */
    rd_link_lost(r);
}

/* ---- sending ------------------------------------------------------------------------------- */

static void rd_reply_cb(redisAsyncContext *ac, void *reply, void *privdata);

/* Hand op's commands to hiredis. 0, or -1 when the context refused (it is going away). */
static int rd_send(store_redis *r, rop *op) {
    size_t off = 0;
    op->replies = 0;
    for (size_t i = 0; i < op->ncmds; i++) {
        if (redisAsyncFormattedCommand(r->ac, rd_reply_cb, op, op->buf + off, op->cmd_len[i]) !=
            REDIS_OK) {
            op->sent = i > 0; /* a partial send is undone by the NULL replies to come */
            rd_request_drop(r, "hiredis refused a command");
            return -1;
        }
        op->outstanding++;
        off += op->cmd_len[i];
    }
    op->sent = 1;
    op->sent_at = uv_now(r->loop);
    return 0;
}

/* Send every queued write, oldest first (on entering CONNECTED). */
static void rd_flush(store_redis *r) {
    for (rop *op = r->writes.head; op && r->state == STORE_LINK_CONNECTED; op = op->next) {
        if (op->sent || op->outstanding) continue; /* cannot happen: all were reset */
        if (rd_send(r, op)) break;
    }
}

static void rd_handshake_cb(redisAsyncContext *ac, void *reply, void *privdata) {
    store_redis *r = privdata;
    redisReply *rep = reply;
    if (!rep || ac != r->ac || r->state != STORE_LINK_CONNECTING) return;
    if (rep->type == REDIS_REPLY_ERROR) {
        rd_request_drop(r, rep->str); /* wrong password, LOADING, bad db, ... */
        return;
    }
    if (rep->type != REDIS_REPLY_STATUS || strcmp(rep->str, "PONG") != 0) return; /* AUTH/SELECT */
    r->state = STORE_LINK_CONNECTED;
    r->stats.connects++;
    r->last_reply = uv_now(r->loop);
    r->backoff_ms = r->opt.backoff_min_ms;
    char msg[96];
    snprintf(msg, sizeof msg, "redis connected; re-sending %zu queued writes", r->writes.n);
    rd_log(r, r->failures ? LOG_WARN : LOG_INFO, msg, NULL);
    r->failures = 0;
    rd_flush(r);
}

static void rd_on_connect(const redisAsyncContext *ac, int status) {
    store_redis *r = ac->data;
    if (status == REDIS_OK || ac != r->ac) return; /* success: wait for the PING */
    rd_set_down(r, ac->errstr);
    rd_link_lost(r); /* hiredis frees the context after this callback */
}

static void rd_on_disconnect(const redisAsyncContext *ac, int status) {
    store_redis *r = ac->data;
    if (ac != r->ac) return;
    rd_set_down(r, status == REDIS_OK ? "disconnected" : ac->errstr);
    rd_link_lost(r); /* hiredis frees the context after this callback */
}

/* Queue the handshake; hiredis sends it once the socket is connected. */
static void rd_handshake(store_redis *r) {
    char db[16];
    snprintf(db, sizeof db, "%d", r->url.db);
    if (r->url.password) {
        const char *argv[] = {"AUTH", r->url.user ? r->url.user : r->url.password, r->url.password};
        redisAsyncCommandArgv(r->ac, rd_handshake_cb, r, r->url.user ? 3 : 2, argv, NULL);
    }
    const char *sel[] = {"SELECT", db}, *ping[] = {"PING"};
    redisAsyncCommandArgv(r->ac, rd_handshake_cb, r, 2, sel, NULL);
    redisAsyncCommandArgv(r->ac, rd_handshake_cb, r, 1, ping, NULL);
}

static void rd_open_context(store_redis *r, const char *ip) {
    redisAsyncContext *ac = r->url.path ? redisAsyncConnectUnix(r->url.path) : redisAsyncConnect(ip, r->url.port);
    if (!ac || ac->err) {
        rd_set_down(r, ac ? ac->errstr : "out of memory");
        if (ac) redisAsyncFree(ac);
        rd_link_lost(r);
        return;
    }
    ac->data = r;
    if (redisLibuvAttach(ac, r->loop) != REDIS_OK) {
        rd_set_down(r, "cannot attach to the event loop");
        redisAsyncFree(ac);
        rd_link_lost(r);
        return;
    }
    r->ac = ac;
    redisAsyncSetConnectCallback(ac, rd_on_connect);
    redisAsyncSetDisconnectCallback(ac, rd_on_disconnect);
    rd_handshake(r);
}

static void rd_free(store_redis *r) {
    store_url_free(&r->url);
    free(r);
}

/* Last step of store_redis_close(): every handle and request is gone. */
static void rd_finish(store_redis *r) {
    void (*done)(void *) = r->done;
    void *arg = r->done_arg;
    rd_free(r);
    if (done) done(arg);
}

static void rd_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
    store_redis *r = req->data;
    char ip[64] = "";
    r->resolving = 0;
    /* Successive attempts take successive addresses, so a name with an unreachable first
     * address (say ::1 while Redis listens on 127.0.0.1 only) still gets through. */
    size_t n = 0;
    for (struct addrinfo *a = status == 0 ? res : NULL; a; a = a->ai_next) n++;
    struct addrinfo *pick = n ? res : NULL;
    for (size_t i = n ? r->addr_turn++ % n : 0; pick && i > 0; i--) pick = pick->ai_next;
    if (pick && pick->ai_family == AF_INET6)
        uv_ip6_name((const struct sockaddr_in6 *)pick->ai_addr, ip, sizeof ip);
    else if (pick)
        uv_ip4_name((const struct sockaddr_in *)pick->ai_addr, ip, sizeof ip);
    uv_freeaddrinfo(res);
    if (r->closing) {
        if (!r->handles_open) rd_finish(r); /* the close waited only for this request */
        return;
    }
    if (!*ip) {
        rd_set_down(r, status ? uv_strerror(status) : "host has no address");
        rd_link_lost(r);
        return;
    }
    rd_open_context(r, ip);
}

static int rd_is_numeric(const char *host) {
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static void rd_connect(store_redis *r) {
    if (r->closing || r->ac || r->resolving) return;
    r->state = STORE_LINK_CONNECTING;
    r->connect_deadline = uv_now(r->loop) + r->opt.connect_timeout_ms;
    if (r->url.path || rd_is_numeric(r->url.host)) {
        rd_open_context(r, r->url.host);
        return;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    r->gai.data = r;
    if (uv_getaddrinfo(r->loop, &r->gai, rd_resolved, r->url.host, NULL, &hints) == 0) {
        r->resolving = 1;
        return;
    }
    rd_set_down(r, "cannot start resolving the host");
    rd_link_lost(r);
}

/* ---- replies ------------------------------------------------------------------------------- */

/* Errors that say "not now" rather than "never": retry the write on a fresh connection. */
static int rd_transient(const char *msg) {
    static const char *const prefixes[] = {"LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN",
                                           "READONLY", "NOAUTH", "CLUSTERDOWN"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (msg && strncmp(msg, prefixes[i], strlen(prefixes[i])) == 0) return 1;
    return 0;
}

/* The op's commands died with the connection. */
static void rd_lost_reply(store_redis *r, rop *op) {
    rd_set_down(r, "connection lost with commands in flight");
    if (op->write) {
        op->sent = 0;
        op->replies = 0;
        free(op->first_err);
        op->first_err = NULL;
        return;
    }
    rd_complete(r, op, STORE_UNAVAILABLE, NULL, "the connection to Redis was lost before it answered");
}

/* First error inside an EXEC array, NULL if none. */
static const char *rd_exec_error(const redisReply *rep) {
    if (rep->type != REDIS_REPLY_ARRAY) return NULL;
    for (size_t i = 0; i < rep->elements; i++)
        if (rep->element[i]->type == REDIS_REPLY_ERROR) return rep->element[i]->str;
    return NULL;
}

/* The last reply of an op arrived. */
static void rd_final_reply(store_redis *r, rop *op, redisReply *rep) {
    const char *err = rep->type == REDIS_REPLY_ERROR ? (op->first_err ? op->first_err : rep->str)
                                                     : rd_exec_error(rep);
    if (err && rd_transient(err)) {
        if (op->write) { /* keep it queued; a fresh connection will carry it */
            rd_request_drop(r, err); /* copies err, which may be op->first_err */
            op->sent = 0;
            free(op->first_err);
            op->first_err = NULL;
            return;
        }
        rd_request_drop(r, err);
        rd_complete(r, op, STORE_UNAVAILABLE, NULL, err);
        return;
    }
    if (op->ncmds > 1 && rep->type == REDIS_REPLY_NIL) err = "transaction aborted";
    rd_complete(r, op, err ? STORE_ERROR : STORE_OK, rep, err);
}

static void rd_reply_cb(redisAsyncContext *ac, void *reply, void *privdata) {
    (void)ac;
    rop *op = privdata;
    store_redis *r = op->r;
    redisReply *rep = reply;
    op->outstanding--;
    if (rep) r->last_reply = uv_now(r->loop);
    if (op->done) {
        if (!op->outstanding) rop_free(op);
        return;
    }
    if (!rep) {
        if (op->sent) rd_lost_reply(r, op);
        return;
    }
    if (++op->replies < op->ncmds) { /* MULTI's +OK, +QUEUED */
        if (rep->type == REDIS_REPLY_ERROR && !op->first_err) op->first_err = strdup(rep->str);
        return;
    }
    rd_final_reply(r, op, rep);
}

/* Finish op: out of its list, stats, callback; freed now or after its last hiredis callback. */
static void rd_complete(store_redis *r, rop *op, store_status st, redisReply *reply,
                        const char *err) {
    if (op->write) {
        rop_list_remove(&r->writes, op);
        r->queued_bytes -= op->len;
        if (st == STORE_OK) r->stats.writes_acked++;
        else r->stats.writes_failed++;
    } else {
        rop_list_remove(&r->reads, op);
        if (st != STORE_OK && op->cb) r->stats.reads_failed++; /* probes are not reads */
    }
    op->done = 1;
    if (op->cb) op->cb(op->arg, st, reply, err);
    if (!op->outstanding) rop_free(op);
}

/* ---- timers ----------------------------------------------------------------------------------- */

static uint64_t rd_oldest_sent(const store_redis *r) {
    uint64_t t = UINT64_MAX;
    if (r->writes.head && r->writes.head->sent) t = r->writes.head->sent_at;
    if (r->reads.head && r->reads.head->sent_at < t) t = r->reads.head->sent_at;
    return t;
}

static int rd_submit(store_redis *r, int write, const store_redis_cmd *cmds, size_t n,
                     store_redis_cb *cb, void *arg);

/* The libuv adapter ignores poll errors, so a connection can die without hiredis noticing: an
 * idle link is probed with PING, which the reply watchdog then covers like any command. */
static void rd_probe(store_redis *r) {
    static const char *ping[] = {"PING"};
    store_redis_cmd cmd = {1, ping, NULL};
    rd_submit(r, 0, &cmd, 1, NULL, NULL);
}

/* Why a connect attempt timed out. The adapter never reports a failed connect, but the error
 * is still pending on the socket (SO_ERROR), so the log can say "Connection refused". */
static const char *rd_connect_error(store_redis *r) {
    int err = 0;
    socklen_t len = sizeof err;
    if (r->ac->c.flags & REDIS_CONNECTED) return "no answer to the handshake within the connect timeout";
    if (getsockopt(r->ac->c.fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err) {
        snprintf(r->why, sizeof r->why, "connect: %s", strerror(err));
        return r->why;
    }
    return "not connected within the connect timeout";
}

static void rd_tick(uv_timer_t *t) {
    store_redis *r = t->data;
    uint64_t now = uv_now(r->loop), oldest = rd_oldest_sent(r);
    if (!r->ac) return;
    if (r->drop) rd_drop(r, r->drop_why);
    else if (r->state == STORE_LINK_CONNECTING && now >= r->connect_deadline)
        rd_drop(r, rd_connect_error(r));
    else if (r->state == STORE_LINK_CONNECTED && oldest != UINT64_MAX &&
             now - oldest >= r->opt.command_timeout_ms)
        rd_drop(r, "no reply within the command timeout");
    else if (r->state == STORE_LINK_CONNECTED && oldest == UINT64_MAX &&
             now - r->last_reply >= RD_PROBE_MS)
        rd_probe(r);
}

/* ---- public ---------------------------------------------------------------------------------- */

static void rd_defaults(store_redis_options *o) {
    if (!o->connect_timeout_ms) o->connect_timeout_ms = 2000;
    if (!o->command_timeout_ms) o->command_timeout_ms = 3000;
    if (!o->backoff_min_ms) o->backoff_min_ms = 100;
    if (!o->backoff_max_ms) o->backoff_max_ms = 5000;
    if (o->backoff_max_ms < o->backoff_min_ms) o->backoff_max_ms = o->backoff_min_ms;
    if (!o->queue_max_ops) o->queue_max_ops = 10000;
    if (!o->queue_max_bytes) o->queue_max_bytes = 64u << 20;
}

store_redis *store_redis_open(uv_loop_t *loop, const store_redis_options *opt, char *err,
                              size_t errcap) {
    store_redis *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    r->loop = loop;
    r->opt = *opt;
    rd_defaults(&r->opt);
    const char *why = store_url_parse(opt->url ? opt->url : "redis://127.0.0.1:6379/0", &r->url);
    if (why) {
        snprintf(err, errcap, "CALLPRINT_REDIS_URL: %s", why);
        rd_free(r);
        return NULL;
    }
    if (r->url.path) snprintf(r->target, sizeof r->target, "unix:%s/%d", r->url.path, r->url.db);
    else snprintf(r->target, sizeof r->target, "%s:%d/%d", r->url.host, r->url.port, r->url.db);
    r->opt.url = NULL; /* not kept: the caller owns it */
    r->backoff_ms = r->opt.backoff_min_ms;
    uv_timer_init(loop, &r->tick);
    uv_timer_init(loop, &r->retry);
    r->tick.data = r->retry.data = r;
    r->handles_open = 2;
    uv_timer_start(&r->tick, rd_tick, RD_TICK_MS, RD_TICK_MS);
    rd_connect(r);
    return r;
}

static void rd_handle_closed(uv_handle_t *h) {
    store_redis *r = h->data;
    if (--r->handles_open || r->resolving) return; /* rd_resolved() finishes when it lands */
    rd_finish(r);
}

static void rd_close_step(uv_timer_t *t) {
    store_redis *r = t->data;
    if (r->state == STORE_LINK_CONNECTED && r->writes.n && uv_now(r->loop) < r->drain_deadline) {
        uv_timer_start(&r->retry, rd_close_step, 10, 0); /* let queued writes drain */
        return;
    }
    if (r->ac) rd_drop(r, "store closed");
    if (r->resolving) uv_cancel((uv_req_t *)&r->gai);
    while (r->writes.head)
        rd_complete(r, r->writes.head, STORE_CLOSED, NULL, "the store was closed before Redis acknowledged the write");
    uv_close((uv_handle_t *)&r->tick, rd_handle_closed);
    uv_close((uv_handle_t *)&r->retry, rd_handle_closed);
}

void store_redis_close(store_redis *r, void (*done)(void *), void *arg, unsigned drain_ms) {
    if (r->closing) return;
    r->closing = 1;
    r->done = done;
    r->done_arg = arg;
    r->drain_deadline = uv_now(r->loop) + drain_ms;
    uv_timer_stop(&r->retry);
    uv_timer_start(&r->retry, rd_close_step, 0, 0); /* never inside a hiredis callback */
}

static int rd_submit(store_redis *r, int write, const store_redis_cmd *cmds, size_t n,
                     store_redis_cb *cb, void *arg) {
    if (r->closing) {
        if (cb) cb(arg, STORE_CLOSED, NULL, "the store is closing");
        return -1;
    }
    if (!write && r->state != STORE_LINK_CONNECTED) {
        r->stats.reads_failed++;
        if (cb) cb(arg, STORE_UNAVAILABLE, NULL, "Redis is not connected");
        return -1;
    }
    rop *op = n ? rop_new(r, cmds, n) : NULL;
    if (!op) {
        if (cb) cb(arg, STORE_ERROR, NULL, n ? "out of memory" : "empty request");
        return -1;
    }
    if (write && (r->writes.n >= r->opt.queue_max_ops ||
                  r->queued_bytes + op->len > r->opt.queue_max_bytes)) {
        r->stats.overflows++;
        r->stats.writes_failed++;
        rop_free(op);
        if (cb) cb(arg, STORE_OVERFLOW, NULL, "the Redis write queue is full; the write was not stored");
        return -1;
    }
    op->write = write;
    op->cb = cb;
    op->arg = arg;
    if (write) {
        rop_list_push(&r->writes, op);
        r->queued_bytes += op->len;
    } else {
        rop_list_push(&r->reads, op);
    }
    if (r->state == STORE_LINK_CONNECTED && rd_send(r, op) && !write)
        rd_complete(r, op, STORE_UNAVAILABLE, NULL, "Redis is not connected");
    return 0;
}

int store_redis_write(store_redis *r, const store_redis_cmd *cmds, size_t n, store_redis_cb *cb,
                      void *arg) {
    return rd_submit(r, 1, cmds, n, cb, arg);
}

int store_redis_read(store_redis *r, const store_redis_cmd *cmds, size_t n, store_redis_cb *cb,
                     void *arg) {
    return rd_submit(r, 0, cmds, n, cb, arg);
}

store_link_state store_redis_state(const store_redis *r) { return r->state; }

void store_redis_stats(const store_redis *r, store_stats *out) {
    *out = r->stats;
    out->state = r->state;
    out->queued_ops = r->writes.n;
    out->queued_bytes = r->queued_bytes;
}

const char *store_redis_target(const store_redis *r) { return r->target; }
