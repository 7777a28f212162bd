/* store_fixture.c -- see store_fixture.h. */
#include "store_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

void store_answer_done(void *arg, store_status st, const char *err)
{
    store_answer *r = arg;
    r->done = 1;
    r->st = st;
    snprintf(r->err, sizeof r->err, "%s", err ? err : "");
}

void store_answer_id(void *arg, store_status st, const char *id, const char *err)
{
    store_answer *r = arg;
    store_answer_done(arg, st, err);
    snprintf(r->id, sizeof r->id, "%s", id ? id : "");
}

void store_answer_count(void *arg, store_status st, uint64_t n, const char *err)
{
    store_answer *r = arg;
    store_answer_done(arg, st, err);
    r->count = n;
}

void store_fixture_init(store_fixture *f, const char *tag)
{
    uv_loop_init(&f->loop);
    f->rc = test_redis(&f->own, f->url, sizeof f->url);
    cr_assert_not_null(f->rc, "no redis-server");
    snprintf(f->prefix, sizeof f->prefix, "%s:%d:", tag, (int)getpid());
}

store *store_fixture_open(store_fixture *f, const store_options *o)
{
    store_options with = *o;
    with.url = f->url;
    with.prefix = f->prefix;
    char err[256];
    store *s = store_open(&f->loop, &with, err, sizeof err);
    cr_assert_not_null(s, "store_open: %s", err);
    for (int i = 0; i < 150 && store_state(s) != STORE_LINK_CONNECTED; i++)
        run_for(&f->loop, 20);
    cr_assert_eq(store_state(s), STORE_LINK_CONNECTED, "store did not connect to %s", f->url);
    return s;
}

static void closed(void *arg)
{
    *(int *)arg = 1;
}

bool store_fixture_close(store_fixture *f, store *s)
{
    int done = 0;
    store_close(s, closed, &done);
    return run_until(&f->loop, &done, 5000);
}

void store_fixture_fini(store_fixture *f)
{
    if (f->rc) {
        test_redis_flush_prefix(f->rc, f->prefix);
        redisFree(f->rc);
        f->rc = NULL;
    }
    rproc_cleanup(&f->own);
    cr_expect_eq(uv_loop_close(&f->loop), 0, "handles left open");
}
