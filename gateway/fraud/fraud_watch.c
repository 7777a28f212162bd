/* fraud_watch.c -- fraudster watchlists: galleries in memory, screening on the workers.
 *
 * A watchlist is a named set of fraudster voiceprints (Redis: store_fraud.h). In memory each
 * has its voiceprints (decrypted, to rebuild from) and a gallery -- the engine's 1:N matrix
 * (bio_gallery for the i-vector engine), searched by the worker threads with one matrix-vector
 * product per request. A gallery is never changed once a worker may read it: adding or
 * removing a fraudster builds a new one and retires the old, which is freed when the last
 * search using it has answered (`inflight`, counted on the loop thread: requests are posted
 * and answered there). Watchlist changes made through another gateway node are seen here at
 * the next start (fraud_watch_load).
 *
 * Screening: every tick, each screened stream (screen=true, the screen setting, or any verify
 * job) with its worker stream posts one identify against the next non-empty watchlist (round
 * robin: with W watchlists each is searched every W seconds). A best match at or above
 * match_threshold (the engine's "verified" threshold, about 1 % false matches on the
 * development corpus) makes the call a known fraudster: known_fraudster {risk = the match
 * score, watchlist, fraudster_id, score}, reason KNOWN_FRAUDSTER. The call keeps its best
 * match; a later weaker answer does not clear it.
 */
#include "fraud/fraud_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "common/log.h"
#include "store/store_fraud.h"
#include "live/workers.h"

struct fgal {
    struct fgal *next; /* f->retired */
    void *g;           /* the engine's gallery */
    char **ids;        /* row -> fraudster id (a snapshot of the list's ids) */
    size_t n;
    int inflight;      /* searches posted and not answered */
};

struct fwl {
    struct fwl *next;
    char name[FRAUD_WL_MAX + 1];
    char **ids;
    uint8_t **blobs;
    size_t *lens;
    size_t n, cap;
    struct fgal *cur; /* NULL while empty */
};

static void gal_free(const fraud *f, fgal *g)
{
    if (!g)
        return;
    if (g->g)
        f->a->engine->gallery_free(g->g);
    for (size_t i = 0; i < g->n; i++)
        free(g->ids[i]);
    free(g->ids);
    free(g);
}

/* The gallery is no longer the list's: free it now or when its last search answers. */
static void gal_retire(fraud *f, fgal *g)
{
    if (!g)
        return;
    if (!g->inflight) {
        gal_free(f, g);
        return;
    }
    g->next = f->retired;
    f->retired = g;
}

void fraud_gallery_drop(fraud *f, fgal *g)
{
    if (!g || --g->inflight > 0)
        return;
    for (fgal **p = &f->retired; *p; p = &(*p)->next)
        if (*p == g) {
            *p = g->next;
            gal_free(f, g);
            return;
        }
}

static bool engine_has_galleries(const fraud *f)
{
    const bio_engine *e = f->a->engine;
    return f->a->model && e && e->gallery_new && e->gallery_add && e->gallery_free && e->identify;
}

/* A new gallery of every voiceprint of the list (a voiceprint of another model is skipped). */
static void rebuild(fraud *f, fwl *w)
{
    gal_retire(f, w->cur);
    w->cur = NULL;
    if (!w->n || !engine_has_galleries(f))
        return;
    fgal *g = calloc(1, sizeof *g);
    if (g) {
        g->g = f->a->engine->gallery_new(f->a->model);
        g->ids = calloc(w->n, sizeof *g->ids);
    }
    for (size_t i = 0; g && g->g && g->ids && i < w->n; i++) {
        if (f->a->engine->gallery_add(g->g, w->blobs[i], w->lens[i]) != BIO_OK)
            continue;
        if (!(g->ids[g->n] = strdup(w->ids[i])))
            break;
        g->n++;
    }
    if (!g || !g->g || !g->ids) {
        log_error("watchlist %s: out of memory building its gallery", w->name);
        gal_free(f, g);
        return;
    }
    w->cur = g;
}

fwl *fraud_watchlist(fraud *f, const char *name)
{
    for (fwl *w = f ? f->lists : NULL; w; w = w->next)
        if (strcmp(w->name, name) == 0)
            return w;
    return NULL;
}

fwl *fraud_watchlist_add(fraud *f, const char *name)
{
    fwl *w = fraud_watchlist(f, name);
    if (w || !store_watchlist_name_ok(name) || !(w = calloc(1, sizeof *w)))
        return w;
    snprintf(w->name, sizeof w->name, "%s", name);
    fwl **p = &f->lists;
    while (*p) /* kept in creation order: listings and the round robin are stable */
        p = &(*p)->next;
    *p = w;
    return w;
}

static void fwl_clear(fraud *f, fwl *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->ids[i]), free(w->blobs[i]);
    free(w->ids), free(w->blobs), free(w->lens);
    w->ids = NULL, w->blobs = NULL, w->lens = NULL;
    w->n = w->cap = 0;
    gal_retire(f, w->cur);
    w->cur = NULL;
}

void fraud_watchlist_remove(fraud *f, const char *name)
{
    for (fwl **p = &f->lists; *p; p = &(*p)->next)
        if (strcmp((*p)->name, name) == 0) {
            fwl *w = *p;
            *p = w->next;
            fwl_clear(f, w);
            free(w);
            return;
        }
}

const char *fraud_watchlist_name(const fwl *w) { return w->name; }
size_t fraud_watchlist_size(const fwl *w) { return w->n; }
const char *fraud_watchlist_id(const fwl *w, size_t i) { return i < w->n ? w->ids[i] : NULL; }
fwl *fraud_watchlist_first(fraud *f) { return f ? f->lists : NULL; }
fwl *fraud_watchlist_next(fwl *w) { return w->next; }

static ssize_t find_id(const fwl *w, const char *id)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->ids[i], id) == 0)
            return (ssize_t)i;
    return -1;
}

bool fraud_fraudster_exists(const fwl *w, const char *id) { return find_id(w, id) >= 0; }

/* Add (or replace) without rebuilding. */
static int put(fwl *w, const char *id, const uint8_t *blob, size_t len)
{
    ssize_t at = find_id(w, id);
    uint8_t *copy = malloc(len);
    if (!copy)
        return -1;
    memcpy(copy, blob, len);
    if (at >= 0) {
        free(w->blobs[at]);
        w->blobs[at] = copy;
        w->lens[at] = len;
        return 0;
    }
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        char **ids = realloc(w->ids, cap * sizeof *ids);
        if (ids)
            w->ids = ids;
        uint8_t **blobs = realloc(w->blobs, cap * sizeof *blobs);
        if (blobs)
            w->blobs = blobs;
        size_t *lens = realloc(w->lens, cap * sizeof *lens);
        if (lens)
            w->lens = lens;
        if (!ids || !blobs || !lens) {
            free(copy);
            return -1;
        }
        w->cap = cap;
    }
    if (!(w->ids[w->n] = strdup(id))) {
        free(copy);
        return -1;
    }
    w->blobs[w->n] = copy;
    w->lens[w->n++] = len;
    return 0;
}

int fraud_fraudster_add(fraud *f, fwl *w, const char *id, const uint8_t *blob, size_t len)
{
    if (put(w, id, blob, len) != 0)
        return -1;
    rebuild(f, w);
    return 0;
}

void fraud_fraudster_remove(fraud *f, fwl *w, const char *id)
{
    ssize_t at = find_id(w, id);
    if (at < 0)
        return;
    free(w->ids[at]), free(w->blobs[at]);
    w->n--;
    w->ids[at] = w->ids[w->n], w->blobs[at] = w->blobs[w->n], w->lens[at] = w->lens[w->n];
    rebuild(f, w);
}

fgal *fraud_gallery_take(fwl *w)
{
    if (w && w->cur)
        w->cur->inflight++;
    return w ? w->cur : NULL;
}

const void *fraud_gallery_engine(const fgal *g) { return g->g; }
const char *fraud_gallery_id(const fgal *g, size_t row) { return row < g->n ? g->ids[row] : NULL; }

/* ---- screening ------------------------------------------------------------------------------- */

void fraud_watch_visit(fraud *f, fcall *c)
{
    if (!c->screen || c->id_tag || !c->s || !f->a->workers || !f->lists)
        return;
    uint64_t wid = live_stream_worker(f->a->live, c->s);
    if (!wid)
        return;
    size_t n = 0;
    for (fwl *w = f->lists; w; w = w->next)
        n++;
    fwl *w = f->lists;
    for (size_t tries = 0; tries < n; tries++) {
        w = f->lists;
        for (unsigned i = c->next_wl++ % n; i; i--)
            w = w->next;
        if (w->cur && w->cur->n)
            break;
        w = NULL;
    }
    if (!w)
        return;
    uint64_t tag = ++f->next_tag;
    if (workers_identify(f->a->workers, wid, tag, w->name, w->cur->g, &f->a->bio) != 0)
        return; /* a full queue: next tick */
    c->id_tag = tag;
    c->id_gal = fraud_gallery_take(w);
    c->pending++; /* until the answer: it names this call */
}

static void screen_result(fraud *f, fcall *c, const workers_result *r)
{
    fgal *g = c->id_gal;
    c->id_tag = 0;
    c->id_gal = NULL;
    const char *id = r->status == BIO_OK && r->has_match ? fraud_gallery_id(g, r->match.index)
                                                          : NULL;
    if (id && r->match.score >= f->match_threshold &&
        (!c->known || r->match.score > c->known_score)) {
        c->known = true;
        c->known_score = r->match.score;
        c->known_written = false;
        snprintf(c->known_watchlist, sizeof c->known_watchlist, "%s", r->external_id);
        snprintf(c->known_id, sizeof c->known_id, "%s", id);
        log_write(LOG_WARN, c->uuid, c->session_id[0] ? c->session_id : NULL,
                  LOG_KV("watchlist", c->known_watchlist),
                  "known fraudster on the call (score %.1f)", r->match.score);
        fraud_call_recompute(c);
    }
    fraud_gallery_drop(f, g);
}

void fraud_worker_result(fraud *f, const workers_result *r)
{
    fcall *c = f ? f->calls : NULL;
    while (c && c->id_tag != r->tag && c->reg_tag != r->tag)
        c = c->next;
    if (!c)
        return;
    if (c->reg_tag == r->tag)
        fraud_reg_result(f, c, r);
    else
        screen_result(f, c, r);
    fraud_call_release(c); /* the request's hold */
}

/* ---- loading at start ------------------------------------------------------------------------ */

typedef struct {
    fraud *f;
    char name[FRAUD_WL_MAX + 1];
} wl_load;

static void on_fraudsters(void *arg, store_status st, uint64_t next, const char *const *items,
                          size_t n, const char *err)
{
    wl_load *l = arg;
    fraud *f = l->f;
    fwl *w = fraud_watchlist_add(f, l->name);
    for (size_t i = 0; st == STORE_OK && w && i + 1 < n; i += 2) {
        uint8_t *blob = NULL;
        size_t len = 0;
        if (store_fraudster_open(f->a->store, l->name, items[i], items[i + 1], &blob, &len) ==
            STORE_OK)
            put(w, items[i], blob, len);
        else
            log_warn("watchlist %s: fraudster %s cannot be read (other encryption key?)",
                     l->name, items[i]);
        free(blob);
    }
    if (st == STORE_OK && next && !f->closing) {
        store_fraudster_page(f->a->store, l->name, next, on_fraudsters, l);
        return;
    }
    if (st != STORE_OK)
        log_warn("watchlist %s not loaded: %s", l->name, err ? err : store_strerror(st));
    if (w)
        rebuild(f, w);
    free(l);
}

static void load_list(fraud *f, const char *name)
{
    wl_load *l = calloc(1, sizeof *l);
    if (!l || !fraud_watchlist_add(f, name)) {
        free(l);
        return;
    }
    l->f = f;
    snprintf(l->name, sizeof l->name, "%s", name);
    store_fraudster_page(f->a->store, name, 0, on_fraudsters, l);
}

static void on_names(void *arg, store_status st, uint64_t next, const char *const *items,
                     size_t n, const char *err)
{
    fraud *f = arg;
    for (size_t i = 0; st == STORE_OK && i < n && !f->closing; i++)
        if (store_watchlist_name_ok(items[i]))
            load_list(f, items[i]);
    if (st == STORE_OK && next && !f->closing) {
        store_watchlist_names(f->a->store, next, on_names, f);
        return;
    }
    f->watch_loading = false;
    if (st != STORE_OK) { /* Redis still connecting: the tick tries again */
        log_write(LOG_DEBUG, NULL, NULL, NULL, 0, "watchlists not loaded yet: %s",
                  err ? err : store_strerror(st));
        return;
    }
    f->watch_loaded = true;
    if (!f->closing)
        load_list(f, FRAUD_WATCHLIST_DEFAULT); /* it exists even when never stored */
}

void fraud_watch_load(fraud *f)
{
    if (f->watch_loaded || f->watch_loading || f->closing)
        return;
    f->watch_loading = true;
    store_watchlist_names(f->a->store, 0, on_names, f);
}

void fraud_watch_free(fraud *f)
{
    while (f->lists) {
        fwl *w = f->lists;
        f->lists = w->next;
        fwl_clear(f, w);
        free(w);
    }
    while (f->retired) {
        fgal *g = f->retired;
        f->retired = g->next;
        gal_free(f, g);
    }
}
