/* e2e.h -- the end-to-end test harness shared by tests/e2e/live and tests/e2e/sessions: real processes
 * over loopback, no mocks.
 *
 * Processes. The gateway is the real <bin>/callprint started as a child (CALLPRINT_LISTEN=
 * 127.0.0.1:0, its log parsed for the port); webhook and org-API receivers are
 * tests/support/receiver.py (plain HTTP, or TLS with a CA made by the openssl CLI, optionally
 * mutual TLS), which logs every request as a JSON line; calls are either callprint-call
 * processes or WebSocket clients held open in the test (tools/wsclient.h, speaking Twilio's
 * messages) for as long as the test wants. Children get only the environment the test gives
 * them (the test's own CALLPRINT_* variables are not inherited) and die with the test
 * (PR_SET_PDEATHSIG). REST requests are blocking libcurl calls.
 *
 * Two worlds, one per suite style:
 *   - the live world (e2e_setup/e2e_teardown): a client loop for held calls, Redis (the
 *     shared CALLPRINT_TEST_REDIS_URL with a per-test key prefix, or a private redis-server),
 *     one receiver; the loop is pumped whenever the test waits (e2e_pump, e2e_wait);
 *   - the sessions world (e2e_world_open/close): a fresh directory and a private
 *     redis-server that a test may kill and restart, with a client.
 */
#ifndef CALLPRINT_TEST_E2E_H
#define CALLPRINT_TEST_E2E_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "redis_proc.h"

/* A child process: its pid, the port it listens on (gateway, receiver), its output file. */
typedef struct {
    pid_t pid;
    int port;
    char log[512];
} e2e_proc;

/* ---- files and processes ---- */

/* "<source dir>/<rel>" and "<bin dir>/<rel>" (CALLPRINT_SOURCE_DIR, CALLPRINT_BIN_DIR). */
const char *e2e_src(const char *rel, char *out, size_t cap);
const char *e2e_bin(const char *rel, char *out, size_t cap);
/* The whole file (NUL-terminated, caller frees), NULL if unreadable. */
char *e2e_read(const char *path, size_t *len);
bool e2e_file_has(const char *path, const char *needle);
/* A fresh /tmp directory (out[0] == 0 on failure); e2e_rmdir removes only such a directory. */
void e2e_tmpdir(char *out, size_t cap);
void e2e_rmdir(const char *dir);

/* Start argv (argv[0] searched in PATH) with extra "NAME=value" environment entries
 * (NULL-terminated), stdout + stderr appended to log. 0 or -1. */
int e2e_spawn(e2e_proc *p, char *const argv[], const char *const *env, const char *log);
/* Wait up to timeout_ms for the child to exit (pumping the live world's loop meanwhile, when
 * there is one); then SIGKILL. The exit status, or -1 (signal, timeout). A non-zero exit
 * prints the tail of the child's log. */
int e2e_wait(e2e_proc *p, int timeout_ms);
/* SIGTERM, then e2e_wait up to 60 s. */
int e2e_stop(e2e_proc *p);

/* The gateway with these "NAME=value" settings, output to <dir>/gateway-N.log; waits until
 * it listens. CALLPRINT_TEST_WRAPPER="valgrind ..." runs it under a tool. 0 or -1. */
int e2e_gateway(e2e_proc *p, const char *dir, const char *const *env);
/* receiver.py in dir (requests logged to <dir>/received.jsonl); with cert and key it serves
 * TLS, with client_ca too it requires a client certificate signed by it. 0 or -1. */
int e2e_receiver(e2e_proc *p, const char *dir, const char *cert, const char *key,
                 const char *client_ca);
/* Requests the receiver logged, as a JSON array (caller deletes). */
cJSON *e2e_received(const e2e_proc *r);
/* A header of one request the receiver logged (names compared without case), NULL if absent. */
const char *e2e_header(const cJSON *req, const char *name);
/* CA + server certificate for 127.0.0.1 + a client certificate, in dir (ca.pem, srv.pem,
 * srv.key, cli.pem, cli.key). 0 or -1. */
int e2e_make_certs(const char *dir);
/* callprint-call against the gateway on gw_port with extra args (NULL-terminated), output to
 * <dir>/call-N.out. Starts it and returns; e2e_wait() for the end. 0 or -1. */
int e2e_call_start(e2e_proc *p, int gw_port, const char *dir, const char *const *args);

/* ---- HTTP ---- */

/* A request to 127.0.0.1:port; token may be NULL. The status (0 on transport error); *out
 * (if not NULL) is the parsed JSON body or NULL. */
long e2e_http(int port, const char *method, const char *path, const char *token,
              const char *body, cJSON **out);
/* Log in as admin (retrying while the gateway answers 503: Redis still connecting); the
 * token in out. True on success. */
bool e2e_login(int port, const char *password, char *out, size_t cap);
/* n identical POSTs at once (libcurl multi); how many answered `want`, and the slowest
 * answer's seconds in *slowest. */
int e2e_http_storm(int port, const char *path, const char *token, const char *body, int n,
                   long want, double *slowest);
/* The sum of a Prometheus family's samples in /metrics (e.g. "callprint_worker_jobs_total"). */
double e2e_metric(int port, const char *family);

/* ---- the sessions world ---- */

typedef struct {
    char dir[256];
    rproc rp;
    redisContext *rc;
} e2e_world;

/* A fresh directory and a private redis-server with a client. 0 or -1. */
int e2e_world_open(e2e_world *w);
void e2e_world_close(e2e_world *w); /* kill Redis, remove the directory */

/* ---- the live world ---- */

void e2e_setup(void);
/* Switch to a private redis-server even when CALLPRINT_TEST_REDIS_URL is set (tests that kill
 * it; before e2e_gateway_start), then: */
void e2e_use_own_redis(void);
void e2e_redis_kill(void);    /* SIGKILL (acknowledged writes are on disk: AOF, fsync always) */
void e2e_redis_restart(void); /* same port and data */
void e2e_redis_signal(int sig); /* SIGSTOP / SIGCONT: a Redis that stops answering */
const char *e2e_redis_url(void);    /* the world's Redis and this test's key prefix */
const char *e2e_redis_prefix(void);
/* Stop everything and remove the test's keys and files. */
void e2e_teardown(void);

/* The gateway on the world's Redis and key prefix, with the model and 2 workers, plus env
 * pairs ("CALLPRINT_X", "v", ... NULL) that win. Asserts it listens. */
void e2e_gateway_start(e2e_proc *g, const char *const *env);
/* Whether the process's log contains needle. */
bool e2e_log_has(const e2e_proc *p, const char *needle);
/* The receiver's base URL ("http://127.0.0.1:PORT"). */
const char *e2e_receiver_url(void);
/* A unique id for this run ("<prefix>-<pid>-<n>"). */
const char *e2e_id(const char *prefix, char *buf, size_t cap);
/* A fresh UUID4. */
void e2e_uuid(char out[37]);

/* Webhooks received so far on paths starting with prefix: n entries, oldest first. */
typedef struct {
    char path[256];
    double t;        /* receiver's wall clock, seconds */
    char *body;
    char sig[128];   /* X-Callprint-Signature ("" if none) */
    cJSON *json;     /* parsed body */
} e2e_hook;
size_t e2e_hooks(const char *prefix, e2e_hook **out);
void e2e_hooks_free(e2e_hook *h, size_t n);
/* Pump the loop until at least one hook on prefix satisfies pred (NULL: any), or timeout.
 * Returns the number of hooks on prefix at that point (0 on timeout). */
size_t e2e_wait_hook(const char *prefix, bool (*pred)(const cJSON *body), int timeout_ms);
/* Run tests/support/validate_hooks.py over every webhook received: 0 when all validate against
 * schemas/webhook and at least min were checked. */
int e2e_validate_hooks(int min);
/* Whether Redis holds external_id's voiceprint (under this test's key prefix). */
bool e2e_voiceprint_exists(const char *external_id);

/* A field of the session of the stream with this uuid (malloc'd; NULL if none). */
char *e2e_session_field(const char *stream_uuid, const char *field);
/* Every entry of the Redis stream <prefix><key> as a JSON array of {field: value} objects
 * (caller deletes). */
cJSON *e2e_redis_stream(const char *key);

/* A held Twilio call. params: key/value pairs, NULL-terminated; a "uuid" parameter (UUID4)
 * becomes the stream's uuid. */
typedef struct e2e_call e2e_call;
e2e_call *e2e_call_open(const e2e_proc *g, const char *const *params);
/* The same with a chosen callSid (NULL: random) and upgrade headers (n name/value pairs). */
e2e_call *e2e_call_open_ex(const e2e_proc *g, const char *call_sid, const char *const *headers,
                           size_t n_headers, const char *const *params);
/* Queue PCM as 20 ms media messages (as fast as the socket takes them). */
void e2e_call_send(e2e_call *c, const int16_t *pcm, size_t n);
/* Send n samples of pcm[i] to calls[i] (k calls at once), paced in real time. */
void e2e_calls_realtime(e2e_call **calls, const int16_t *const *pcm, size_t k, size_t n);
/* Pump until every queued message is written. */
void e2e_call_flush(e2e_call *c);
void e2e_call_stop(e2e_call *c); /* stop message, close, free (only free once closed) */
const char *e2e_call_sid(const e2e_call *c);
/* Pump up to ms until the gateway closed the call: its WebSocket close code, -1 if still open
 * (the call must still be freed with e2e_call_stop). */
int e2e_call_wait_closed(e2e_call *c, int ms);

/* Run the client loop for ms. */
void e2e_pump(int ms);

/* Fixture audio: the files (paths under tests/, NULL-terminated), concatenated, 8 kHz PCM. */
int16_t *e2e_audio(const char *const *files, size_t *n);

#endif
