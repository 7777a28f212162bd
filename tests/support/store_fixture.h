/* store_fixture.h -- a store on a real Redis for the store's data-model tests.
 *
 * Each test gets a loop, a Redis (test_redis(): CALLPRINT_TEST_REDIS_URL when set, else a
 * private redis-server), a synchronous client for assertions, and a key prefix unique to the
 * test process, so that tests sharing one Redis do not see each other's keys. The end deletes
 * the keys under the prefix, stops a private server and checks that no handle was left open on
 * the loop (a store that did not close cleanly).
 */
#ifndef CALLPRINT_TEST_STORE_FIXTURE_H
#define CALLPRINT_TEST_STORE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "redis_proc.h"
#include "store/store.h"

typedef struct {
    uv_loop_t loop;
    rproc own;        /* the private server, when CALLPRINT_TEST_REDIS_URL is not set */
    redisContext *rc; /* for assertions on the keys */
    char url[400];
    char prefix[64]; /* "<tag>:<pid>:" */
} store_fixture;

/* What a store call answered through its callback, for a test to wait on (done) and check. */
typedef struct {
    int done;
    store_status st;
    char err[256];
    char id[256];   /* a store_id_cb's string ("" for none) */
    uint64_t count; /* a store_count_cb's number */
} store_answer;
/* The store callbacks that fill the store_answer they are given as arg. */
void store_answer_done(void *arg, store_status st, const char *err);
void store_answer_id(void *arg, store_status st, const char *id, const char *err);
void store_answer_count(void *arg, store_status st, uint64_t n, const char *err);

/* The loop, the Redis and the prefix; fails the test without a Redis. */
void store_fixture_init(store_fixture *f, const char *tag);
/* store_open() with o's options plus the fixture's url and prefix, waiting until it is
 * connected (fails the test after 3 s). */
store *store_fixture_open(store_fixture *f, const store_options *o);
/* store_close(), running the loop until it is done: false when it took over 5 s. */
bool store_fixture_close(store_fixture *f, store *s);
/* Delete the prefix's keys, stop the private server, close the loop (expects no handle left). */
void store_fixture_fini(store_fixture *f);

#endif
