/* gallery.c -- 1:N identification over many voiceprints.
 *
 * Voiceprints are unpacked once into a row-major n x L matrix plus their self-terms and
 * AS-norm statistics. A search is one cblas_sgemv (raw scores of the probe against every
 * row, backend.h), the AS-norm of
 * each row, and a k-sized min-heap; only the k winners are calibrated. With L = 64..200 and
 * 100,000 voiceprints the matrix is a few tens of MB and the product is memory-bound.
 */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "bio.h"
#include "voiceprint.h"

struct bio_gallery {
    const bio_model *m;
    size_t n, cap;
    float *emb;    /* n x L */
    bio_norm *norm; /* n */
    float *c;       /* n self-terms */
};

bio_gallery *bio_gallery_new(const bio_model *m)
{
    bio_gallery *g = calloc(1, sizeof *g);
    if (g) g->m = m;
    return g;
}

void bio_gallery_free(bio_gallery *g)
{
    if (!g) return;
    free(g->emb);
    free(g->norm);
    free(g->c);
    free(g);
}

size_t bio_gallery_size(const bio_gallery *g) { return g->n; }

static int gallery_grow(bio_gallery *g)
{
    size_t cap = g->cap ? 2 * g->cap : 256, L = (size_t)g->m->L;
    float *e = realloc(g->emb, cap * L * sizeof(float));
    if (!e) return -1;
    g->emb = e;
    bio_norm *nm = realloc(g->norm, cap * sizeof(bio_norm));
    if (!nm) return -1;
    g->norm = nm;
    float *c = realloc(g->c, cap * sizeof(float));
    if (!c) return -1;
    g->c = c;
    g->cap = cap;
    return 0;
}

bio_status bio_gallery_add(bio_gallery *g, const uint8_t *blob, size_t len)
{
    bio_vp vp;
    bio_status st = bio_vp_decode(g->m, blob, len, &vp);
    if (st != BIO_OK) return st;
    if (g->n == g->cap && gallery_grow(g) != 0) return BIO_ERR_NOMEM;
    memcpy(g->emb + g->n * (size_t)g->m->L, vp.emb, sizeof(float) * (size_t)g->m->L);
    g->c[g->n] = vp.c;
    g->norm[g->n++] = vp.norm;
    return BIO_OK;
}

/* Min-heap on score: heap[0] is the weakest of the current top k. */
static void heap_sift(bio_match *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, s = i;
        if (l < n && h[l].score < h[s].score) s = l;
        if (r < n && h[r].score < h[s].score) s = r;
        if (s == i) return;
        bio_match t = h[i];
        h[i] = h[s];
        h[s] = t;
        i = s;
    }
}

static int cmp_match(const void *a, const void *b)
{
    const bio_match *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return x->index < y->index ? -1 : x->index > y->index;
}

bio_status bio_stream_identify(bio_stream *s, const bio_config *cfg, const bio_gallery *g,
                               size_t k, bio_match *out, size_t *nout)
{
    *nout = 0;
    if (bio_stream_speech_seconds(s) < cfg->min_verify_speech) return BIO_ERR_SPEECH;
    const float *e;
    float pc;
    bio_norm pn;
    bio_status st = bio_stream_embedding(s, &e, &pc, &pn);
    if (st != BIO_OK) return st;
    if (k > g->n) k = g->n;
    if (k == 0) return BIO_OK;
    float *raw = malloc(sizeof(float) * g->n);
    if (!raw) return BIO_ERR_NOMEM;
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)g->n, g->m->L, 1.0f, g->emb, g->m->L, e, 1,
                0.0f, raw, 1);
    size_t h = 0;
    for (size_t i = 0; i < g->n; i++) {
        double sc = bio_backend_snorm(raw[i] + g->c[i] + pc, g->norm[i], pn);
        if (h < k) {
            out[h++] = (bio_match){i, sc};
            if (h == k)
                for (size_t j = k / 2 + 1; j-- > 0;) heap_sift(out, k, j);
        } else if (sc > out[0].score) {
            out[0] = (bio_match){i, sc};
            heap_sift(out, k, 0);
        }
    }
    free(raw);
    qsort(out, h, sizeof *out, cmp_match);
    double speech = bio_stream_speech_seconds(s);
    for (size_t i = 0; i < h; i++) out[i].score = bio_backend_calibrate(g->m, out[i].score, speech);
    *nout = h;
    return BIO_OK;
}
