/* harness.h -- test helpers: a real HTTP(S) receiver process and loop-running utilities. */
#ifndef CALLPRINT_TEST_WEBHOOK_HARNESS_H
#define CALLPRINT_TEST_WEBHOOK_HARNESS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

typedef struct {
    pid_t pid;
    int port;
    char log[512];
} receiver;

/* Start tests/support/receiver.py (TLS when cert and key are given; client certificates
 * signed by client_ca required when it is given); 0 on success. */
int receiver_start(receiver *r, const char *dir, const char *cert, const char *key);
int receiver_start_mtls(receiver *r, const char *dir, const char *cert, const char *key,
                        const char *client_ca);
void receiver_stop(receiver *r);
/* All requests logged so far, as a cJSON array (caller deletes). */
cJSON *receiver_requests(const receiver *r);
/* Requests whose path starts with prefix. */
int receiver_count(const receiver *r, const char *prefix);

/* A fresh temporary directory (mkdtemp) in out; removed with tmpdir_remove. */
void tmpdir_make(char *out, size_t cap);
void tmpdir_remove(const char *dir);

/* A port on 127.0.0.1 where nothing listens (bound, then closed). */
int dead_port(void);

/* Callbacks for "closed" notifications: set_flag(&b) sets the bool b; flag_is_set reads it. */
void set_flag(void *flag);
bool flag_is_set(void *flag);

/* Run the loop until pred(arg) is true or timeout_ms passes; returns pred's final value. */
bool run_until(uv_loop_t *loop, bool (*pred)(void *), void *arg, long timeout_ms);
/* Run the loop for ms milliseconds. */
void run_for(uv_loop_t *loop, long ms);
/* Run the loop until it has no more active handles (after closing everything); 0 = closed. */
int loop_finish(uv_loop_t *loop);

#endif
