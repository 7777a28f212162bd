/* lt.h -- end-to-end helpers for the live biometrics tests: real processes over loopback.
 *
 * The gateway is the real build/.../bin/callprint started as a child (CALLPRINT_LISTEN=
 * 127.0.0.1:0, its log parsed for the port) against a real Redis (CALLPRINT_TEST_REDIS_URL or
 * a private redis-server, tests/store/redis_proc.h) with a per-test key prefix; webhooks go to
 * tests/webhook/receiver.py, a real HTTP server that logs every request as a JSON line. Calls
 * are real WebSocket clients (gateway/wsclient.h) speaking Twilio's messages, held open as long
 * as the test wants (callprint-call always ends its stream when the audio ends). REST requests
 * use libcurl, blocking: the gateway is another process, and the loop that runs the clients is
 * pumped whenever the test waits.
 */
#ifndef CALLPRINT_TEST_LT_H
#define CALLPRINT_TEST_LT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

typedef struct {
    pid_t pid;
    int port;
    char log[512];
} lt_proc;

/* The test's world: loop + WebSocket client context, redis, receiver, gateway. */
void lt_setup(void);
/* Switch to a private redis-server even when CALLPRINT_TEST_REDIS_URL is set (tests that kill
 * it; before lt_gateway_start), then: */
void lt_use_own_redis(void);
void lt_redis_kill(void);    /* SIGKILL (acknowledged writes are on disk: AOF, fsync always) */
void lt_redis_restart(void); /* same port and data */
/* Stop everything; asserts the gateway exits with status 0 (ASan leak reports fail it). */
void lt_teardown(void);

/* Start the gateway with env pairs ("CALLPRINT_X", "v", ... NULL). Asserts it listens. */
void lt_gateway_start(lt_proc *g, const char *const *env);
/* SIGTERM, wait up to 60 s; returns the exit status (-1 on a signal or timeout). */
int lt_gateway_stop(lt_proc *g);
/* Wait up to timeout_ms for the gateway to exit by itself (after a signal the test sent),
 * pumping the client loop meanwhile; the exit status, or -1 (killed after the timeout). */
int lt_gateway_wait(lt_proc *g, int timeout_ms);
/* Whether the gateway's log contains needle. */
bool lt_gateway_log_has(const lt_proc *g, const char *needle);
/* The receiver's base URL ("http://127.0.0.1:PORT") and log path. */
const char *lt_receiver_url(void);
/* A unique id for this run ("<prefix>-<pid>-<n>"). */
const char *lt_id(const char *prefix, char *buf, size_t cap);

/* REST: returns the HTTP status (0 on transport error); *out = parsed JSON body (or NULL). */
long lt_http(const lt_proc *g, const char *method, const char *path, const char *token,
             const char *body, cJSON **out);
/* n identical requests at once (libcurl multi); returns how many answered `want`, and the
 * slowest answer's seconds in *slowest. */
int lt_http_storm(const lt_proc *g, const char *path, const char *token, const char *body,
                  int n, long want, double *slowest);
/* The sum of a Prometheus family's samples in /metrics (e.g. "callprint_worker_jobs_total"). */
double lt_metric(const lt_proc *g, const char *family);
/* Log in as admin; returns a malloc'd token. */
char *lt_login(const lt_proc *g, const char *password);

/* Webhooks received so far on paths starting with prefix: n entries, oldest first. */
typedef struct {
    char path[256];
    double t;        /* receiver's wall clock, seconds */
    char *body;
    char sig[128];   /* X-Callprint-Signature ("" if none) */
    cJSON *json;     /* parsed body */
} lt_hook;
size_t lt_hooks(const char *prefix, lt_hook **out);
void lt_hooks_free(lt_hook *h, size_t n);
/* Pump the loop until at least one hook on prefix satisfies pred (NULL: any), or timeout.
 * Returns the number of hooks on prefix at that point. */
size_t lt_wait_hook(const char *prefix, bool (*pred)(const cJSON *body), int timeout_ms);

/* A held Twilio call. params: key/value pairs, NULL-terminated; a "uuid" parameter (UUID4)
 * becomes the stream's uuid. */
typedef struct lt_call lt_call;
lt_call *lt_call_open(const lt_proc *g, const char *const *params);
/* Queue PCM as 20 ms media messages (as fast as the socket takes them). */
void lt_call_send(lt_call *c, const int16_t *pcm, size_t n);
/* Send n samples of pcm[i] to calls[i] (k calls at once), paced in real time. */
void lt_calls_realtime(lt_call **calls, const int16_t *const *pcm, size_t k, size_t n);
/* Pump until every queued message is written. */
void lt_call_flush(lt_call *c);
void lt_call_stop(lt_call *c); /* stop message, close, free */
const char *lt_call_sid(const lt_call *c);

/* Run the client loop for ms. */
void lt_pump(int ms);

/* Fixture audio: the files (paths under tests/, NULL-terminated), concatenated, 8 kHz PCM. */
int16_t *lt_audio(const char *const *files, size_t *n);
/* Run tests/live/validate_hooks.py over every webhook received: 0 when all validate against
 * schemas/webhook and at least min were checked. */
int lt_validate_hooks(int min);
/* Whether Redis holds external_id's voiceprint (under this test's key prefix). */
bool lt_voiceprint_exists(const char *external_id);
/* A fresh UUID4. */
void lt_uuid(char out[37]);

#endif
