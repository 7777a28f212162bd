/* sx.h -- helpers for the sessions tests: real processes over loopback.
 *
 * The gateway under test is the real build/bin/callprint, started as a child process with
 * CALLPRINT_* settings in its environment (it logs "listening on http://127.0.0.1:PORT"); the
 * calls are real callprint-call processes; the org API is tests/webhook/receiver.py behind TLS
 * with a CA made by the openssl CLI at test time; Redis is a private redis-server
 * (tests/store/redis_proc.h) so a test may kill and restart it. Every child dies with the
 * test (PR_SET_PDEATHSIG). HTTP requests are blocking libcurl calls.
 */
#ifndef CALLPRINT_TEST_SX_H
#define CALLPRINT_TEST_SX_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <sys/types.h>

#include "redis_proc.h"

typedef struct {
    pid_t pid;
    int port;
    char out[512]; /* its stdout + stderr */
} sx_proc;

/* A test's world: a fresh /tmp directory and a private redis-server with a client. */
typedef struct {
    char dir[256];
    rproc rp;
    redisContext *rc;
} sx_world;

/* 0, or -1 when the directory or Redis could not be made. */
int sx_world_open(sx_world *w);
/* Kill Redis, remove the directory. */
void sx_world_close(sx_world *w);

/* A fresh /tmp directory (removed by sx_rmdir). */
void sx_tmpdir(char *out, size_t cap);
void sx_rmdir(const char *dir);
/* "<source dir>/<rel>" and "<bin dir>/<rel>". */
const char *sx_src(const char *rel, char *out, size_t cap);
const char *sx_bin(const char *rel, char *out, size_t cap);

/* Start a child with argv and extra "NAME=value" environment entries (NULL-terminated; the
 * test's own CALLPRINT_* variables are not inherited), output to p->out. 0 or -1. */
int sx_spawn(sx_proc *p, char *const argv[], const char *const *env, const char *out);
/* SIGTERM, wait up to 10 s, then SIGKILL. Returns the exit status (-1 if killed). */
int sx_stop(sx_proc *p);
/* Wait for the child to exit by itself (up to timeout_ms; then killed). Exit status or -1. */
int sx_wait(sx_proc *p, int timeout_ms);

/* The gateway (bin/callprint) with these settings; waits until it listens. 0 or -1. */
int sx_gateway(sx_proc *p, const char *dir, const char *const *env);
/* An HTTPS receiver (receiver.py) with cert/key; port from its first line. 0 or -1. With
 * client_ca, it requires a client certificate signed by that CA (mutual TLS). One per dir. */
int sx_receiver(sx_proc *p, const char *dir, const char *cert, const char *key);
int sx_receiver_mtls(sx_proc *p, const char *dir, const char *cert, const char *key,
                     const char *client_ca);
/* Requests the receiver logged, as a JSON array (caller deletes). */
cJSON *sx_received(const sx_proc *r);

/* CA + server certificate for 127.0.0.1 + a client certificate, in dir (ca.pem, srv.pem,
 * srv.key, cli.pem, cli.key). 0 or -1. */
int sx_make_certs(const char *dir);

/* HTTP to 127.0.0.1:port; token may be NULL. Returns the status (0 on transport error);
 * *out (if not NULL) is the parsed JSON body or NULL. */
long sx_http(int port, const char *method, const char *path, const char *token, const char *body,
             cJSON **out);
/* Log in as admin with password; the token (static buffer). */
const char *sx_login(int port, const char *password);

/* Run callprint-call against the gateway with extra args (NULL-terminated); files follow the
 * args. Starts it and returns; sx_wait() for the end. */
int sx_call_start(sx_proc *p, int gw_port, const char *dir, const char *const *args);

/* The whole file (NUL-terminated, caller frees), NULL if unreadable. */
char *sx_read(const char *path, size_t *len);
/* True when the file contains needle. */
bool sx_file_has(const char *path, const char *needle);

#endif
