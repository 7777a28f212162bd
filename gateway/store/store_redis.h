/* store_redis.h -- one resilient Redis connection on the libuv loop (internal to store.c).
 *
 * hiredis 0.14's async client does the protocol; this layer adds what the store needs and
 * hiredis lacks:
 *
 *   - URLs: redis://[[user]:password@]host[:port][/db] and unix:///path[?db=N&password=P].
 *     AUTH and SELECT run on every (re)connect, then PING; the link is "connected" only once the
 *     PING is answered, so a Redis that is still loading its AOF (-LOADING) counts as down.
 *   - A connect watchdog: the libuv adapter never reports a refused or hanging connect, so a
 *     timer frees the context when the handshake has not completed in connect_timeout_ms.
 *   - A reply watchdog: hiredis has no command timeouts, so when the oldest unanswered command
 *     is older than command_timeout_ms the connection is dropped and re-established.
 *   - A keep-alive: an idle link is PINGed every second, so a dead peer is noticed (the libuv
 *     adapter ignores poll errors) and health does not report a dead link as connected.
 *   - Reconnection forever, with exponential backoff between backoff_min_ms and backoff_max_ms.
 *   - Writes are durable-until-acknowledged: every write joins a FIFO queue, is sent when the link
 *     is up, and stays queued until Redis answers it. When the link drops, unanswered writes are
 *     re-sent in order on the next connection (at-least-once: an append may be applied twice if
 *     Redis executed it but the reply was lost). The queue is bounded (ops and bytes); a write
 *     that does not fit fails at once with STORE_OVERFLOW and is counted, never dropped silently.
 *     Its callback runs only after Redis acknowledged it (or it failed for good).
 *   - Reads are not queued: while the link is not connected they fail at once (STORE_UNAVAILABLE),
 *     and a read in flight when the link drops fails with STORE_UNAVAILABLE too.
 *   - Transient server errors (LOADING, BUSY, TRYAGAIN, MASTERDOWN, READONLY, NOAUTH) on a write
 *     re-queue it and recycle the connection; any other error reply fails the write for good.
 *
 * A "request" is one command or several (sent as MULTI ... EXEC, so they apply atomically); the
 * callback gets the reply of the single command, or the EXEC array.
 *
 * Threading: loop thread only. Nothing here blocks.
 */
#ifndef CALLPRINT_STORE_REDIS_H
#define CALLPRINT_STORE_REDIS_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "store/store.h"

typedef struct store_redis store_redis;

/* A parsed URL (store_url.c). */
typedef struct {
    char *host, *path, *user, *password; /* path set for unix:, host otherwise; NULL = absent */
    int port, db;
} store_url;

/* NULL on success (free with store_url_free even then), else why the URL is unusable. */
const char *store_url_parse(const char *url, store_url *out);
void store_url_free(store_url *u);

typedef struct {
    const char *url;
    unsigned connect_timeout_ms; /* 0 = 2000 */
    unsigned command_timeout_ms; /* 0 = 3000 */
    unsigned backoff_min_ms;     /* 0 = 100 */
    unsigned backoff_max_ms;     /* 0 = 5000 */
    size_t queue_max_ops;        /* 0 = 10000 */
    size_t queue_max_bytes;      /* 0 = 64 MiB */
} store_redis_options;

/* reply is valid only during the call; NULL unless st == STORE_OK (or STORE_ERROR with an error
 * reply). err is a sentence for every st != STORE_OK. */
typedef void store_redis_cb(void *arg, store_status st, redisReply *reply, const char *err);

/* A command as argv (binary-safe lengths; lens NULL = strlen). */
typedef struct {
    int argc;
    const char **argv;
    const size_t *lens;
} store_redis_cmd;

/* Parse the URL and start connecting. NULL with err filled on a bad URL. */
store_redis *store_redis_open(uv_loop_t *loop, const store_redis_options *opt, char *err,
                              size_t errcap);

/* Give queued writes up to drain_ms to be acknowledged (while connected), then fail the rest
 * with STORE_CLOSED, drop the connection and close the handles; `done` runs (from the loop) once
 * everything is released. */
void store_redis_close(store_redis *r, void (*done)(void *), void *arg, unsigned drain_ms);

/* Queue a write of n commands (n > 1: MULTI/EXEC). Returns 0, or -1 after calling cb with
 * STORE_OVERFLOW / STORE_CLOSED / STORE_ERROR (out of memory). cb may be NULL. */
int store_redis_write(store_redis *r, const store_redis_cmd *cmds, size_t n, store_redis_cb *cb,
                      void *arg);

/* Send a read now; fails at once (through cb) when the link is not connected. */
int store_redis_read(store_redis *r, const store_redis_cmd *cmds, size_t n, store_redis_cb *cb,
                     void *arg);

store_link_state store_redis_state(const store_redis *r);
void store_redis_stats(const store_redis *r, store_stats *out);
/* Human-readable target without the password ("127.0.0.1:6379/0", "unix:/run/redis.sock"). */
const char *store_redis_target(const store_redis *r);

#endif
