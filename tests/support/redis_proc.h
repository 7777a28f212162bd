/* redis_proc.h -- test helpers: a private redis-server per test, a synchronous inspection
 * client, and a way to drive the libuv loop until a condition holds (bounded in time).
 *
 * rproc_start() runs redis-server on 127.0.0.1 (a free port unless one is given) with its data in
 * a fresh temp dir, AOF on with fsync on every write (so an acknowledged write survives SIGKILL),
 * no RDB snapshots, and a unix socket in the same dir. The child dies with the test process
 * (PR_SET_PDEATHSIG), so a crashing test leaves no server behind.
 */
#ifndef CALLPRINT_TEST_REDIS_PROC_H
#define CALLPRINT_TEST_REDIS_PROC_H

#include <hiredis/hiredis.h>
#include <sys/types.h>
#include <uv.h>

typedef struct {
    pid_t pid;
    int port;
    char dir[256];
    char sock[300];
    char password[64];
    char url[400]; /* redis://[:password@]127.0.0.1:port/0 */
} rproc;

/* Start (or restart, keeping dir and port when p->dir is set) a redis-server; waits until it
 * answers PING. password may be NULL. Returns 0 or -1. */
int rproc_start(rproc *p, const char *password);
/* Send sig (SIGKILL, SIGSTOP, SIGCONT, ...); SIGKILL/SIGTERM also reap the child. */
void rproc_signal(rproc *p, int sig);
/* Kill the server if running and delete its directory. */
void rproc_cleanup(rproc *p);

/* A blocking client for assertions (NULL on failure); db selected, password used. */
redisContext *rproc_client(const char *host, int port, const char *password, int db);

/* The redis to use for plain data-model tests: CALLPRINT_TEST_REDIS_URL (redis://host:port/db)
 * when set, else a private server started in *own. Fills url and returns a client. */
redisContext *test_redis(rproc *own, char *url, size_t cap);

/* Delete every key starting with prefix (SCAN + DEL). */
void test_redis_flush_prefix(redisContext *c, const char *prefix);

/* Run the loop until *flag is non-zero or timeout_ms passes. Returns *flag. */
int run_until(uv_loop_t *loop, const int *flag, unsigned timeout_ms);
/* Run the loop for ms milliseconds. */
void run_for(uv_loop_t *loop, unsigned ms);

/* A 127.0.0.1 TCP port nobody listens on right now. */
int free_port(void);

#endif
