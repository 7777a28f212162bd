/* spoof_train.c -- countermeasure training and held-out evaluation (design in spoof_train.h). */
#include "spoof_train.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio.h"
#include "metrics.h"

#define D BIO_SPOOF_DIM
#define BATCH 64

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void bio_spoof_train_defaults(bio_spoof_train_opts *o)
{
    *o = (bio_spoof_train_opts){.hidden = 4, .epochs = 30, .lr = 0.003, .l2 = 0.05, .seed = 1,
                                .max_bona_flagged = 0.01};
}

/* ------------------------------------------------------------------ list and vectors */

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
    return h;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0, r;
    char *b = malloc(cap + 1);
    while (b && (r = fread(b + n, 1, cap - n, f)) > 0)
        if ((n += r) == cap) {
            char *nb = realloc(b, (cap *= 2) + 1);
            if (!nb) free(b);
            b = nb;
        }
    fclose(f);
    if (b) b[n] = 0;
    *len = n;
    return b;
}

static int kind_index(bio_spoof_set *set, const char *attack)
{
    for (int i = 0; i < set->nkinds; i++)
        if (!strcmp(set->kinds[i], attack)) return i;
    if (set->nkinds == 64) return -1;
    snprintf(set->kinds[set->nkinds], sizeof set->kinds[0], "%s", attack);
    return set->nkinds++;
}

static int vector_of(const bio_spoof_model *fe, const char *path, float *vec, char *err, size_t errlen)
{
    int16_t *pcm;
    size_t n;
    if (bio_audio_read(path, &pcm, &n, err, errlen) != 0) return -1;
    bio_spoof_stream *s = bio_spoof_stream_new(fe);
    if (!s) {
        free(pcm);
        return seterr(err, errlen, "out of memory"), -1;
    }
    for (size_t k = 0; k < n; k += 160) bio_spoof_stream_feed(s, pcm + k, n - k < 160 ? n - k : 160);
    bio_spoof_stream_vector(s, vec);
    bio_spoof_stream_free(s);
    free(pcm);
    return 0;
}

static int cache_load(const char *cache, uint64_t key, bio_spoof_set *set)
{
    FILE *f = cache ? fopen(cache, "rb") : NULL;
    if (!f) return -1;
    uint64_t hdr[3];
    int ok = fread(hdr, sizeof hdr, 1, f) == 1 && hdr[0] == key && hdr[1] == set->n && hdr[2] == D;
    for (size_t i = 0; ok && i < set->n; i++) ok = fread(set->items[i].vec, sizeof(float), D, f) == D;
    fclose(f);
    return ok ? 0 : -1;
}

static void cache_save(const char *cache, uint64_t key, const bio_spoof_set *set)
{
    FILE *f = cache ? fopen(cache, "wb") : NULL;
    if (!f) return;
    uint64_t hdr[3] = {key, set->n, D};
    fwrite(hdr, sizeof hdr, 1, f);
    for (size_t i = 0; i < set->n; i++) fwrite(set->items[i].vec, sizeof(float), D, f);
    fclose(f);
}

/* Split a TSV line in place into at most max fields. */
static int fields(char *line, char **f, int max)
{
    int n = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        p = strchr(p, '\t');
        if (!p) break;
        *p++ = 0;
    }
    return n;
}

int bio_spoof_set_load(const char *list, const char *root, const char *cache, bio_spoof_set *set,
                       char *err, size_t errlen)
{
    memset(set, 0, sizeof *set);
    size_t len;
    char *text = slurp(list, &len);
    if (!text) return seterr(err, errlen, "cannot read list %s", list), -1;
    uint64_t key = fnv1a(text, len);
    size_t cap = 1;
    for (size_t i = 0; i < len; i++) cap += text[i] == '\n';
    set->items = calloc(cap, sizeof *set->items);
    char **paths = calloc(cap, sizeof *paths);
    int rc = set->items && paths ? 0 : -1;
    if (rc) seterr(err, errlen, "out of memory");
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    for (line = rc ? NULL : strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[6];
        if (fields(line, f, 6) != 6) {
            rc = -1;
            seterr(err, errlen, "list %s: a line without 6 tab-separated fields", list);
            break;
        }
        bio_spoof_item *it = &set->items[set->n];
        it->spoof = !strcmp(f[1], "spoof");
        it->test = !strcmp(f[5], "test");
        snprintf(it->attack, sizeof it->attack, "%s", f[2]);
        snprintf(it->source, sizeof it->source, "%s", f[4]);
        if ((it->kind = kind_index(set, f[2])) < 0) {
            rc = -1;
            seterr(err, errlen, "list %s: more than 64 attack kinds", list);
            break;
        }
        paths[set->n++] = f[0];
    }
    if (rc == 0 && cache_load(cache, key, set) != 0) {
        bio_spoof_model *fe = bio_spoof_model_new(NULL);
        char dir[4096], path[8192];
        const char *slash = strrchr(list, '/');
        snprintf(dir, sizeof dir, "%.*s", root ? (int)strlen(root) : slash ? (int)(slash - list) : 1,
                 root ? root : slash ? list : ".");
        for (size_t i = 0; fe && rc == 0 && i < set->n; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, paths[i]);
            rc = vector_of(fe, path, set->items[i].vec, err, errlen);
        }
        if (!fe) rc = -1, seterr(err, errlen, "out of memory");
        bio_spoof_model_free(fe);
        if (rc == 0) cache_save(cache, key, set);
    }
    free(paths);
    free(text);
    if (rc) bio_spoof_set_free(set);
    return rc;
}

void bio_spoof_set_free(bio_spoof_set *set)
{
    free(set->items);
    memset(set, 0, sizeof *set);
}

/* ------------------------------------------------------------------ the network */

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

static double rng_gauss(uint64_t *s)
{
    double u = ((rng_next(s) >> 11) + 0.5) / 9007199254740992.0, v = ((rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

typedef struct {
    int h;
    size_t nw;
    float *w, *m, *v, *g; /* parameters (w1 | b1 | w2 | b2), Adam moments, gradient */
} net;

static int net_init(net *n, int h, uint64_t *rng)
{
    n->h = h;
    n->nw = h ? (size_t)h * D + 2 * (size_t)h + 1 : D + 1;
    n->w = calloc(4 * n->nw, sizeof(float));
    if (!n->w) return -1;
    n->m = n->w + n->nw, n->v = n->m + n->nw, n->g = n->v + n->nw;
    if (h)
        for (size_t i = 0; i < (size_t)h * D; i++) n->w[i] = (float)(rng_gauss(rng) / sqrt(D));
    if (h)
        for (int i = 0; i < h; i++) n->w[(size_t)h * D + h + i] = (float)(rng_gauss(rng) / sqrt(h));
    return 0;
}

/* Forward one standardised x; hidden activations into a (h floats). */
static double net_forward(const net *n, const float *x, float *a)
{
    if (!n->h) {
        double o = n->w[D];
        for (int i = 0; i < D; i++) o += n->w[i] * x[i];
        return o;
    }
    const float *b1 = n->w + (size_t)n->h * D, *w2 = b1 + n->h;
    double o = w2[n->h];
    for (int j = 0; j < n->h; j++) {
        const float *w = n->w + (size_t)j * D;
        double s = b1[j];
        for (int i = 0; i < D; i++) s += w[i] * x[i];
        a[j] = (float)tanh(s);
        o += w2[j] * a[j];
    }
    return o;
}

/* Add weight * d(loss)/d(params) for one example with dlogit = d(loss)/d(logit). */
static void net_backward(net *n, const float *x, const float *a, double dl)
{
    if (!n->h) {
        for (int i = 0; i < D; i++) n->g[i] += (float)(dl * x[i]);
        n->g[D] += (float)dl;
        return;
    }
    size_t off = (size_t)n->h * D;
    const float *w2 = n->w + off + n->h;
    float *gb1 = n->g + off, *gw2 = gb1 + n->h;
    gw2[n->h] += (float)dl;
    for (int j = 0; j < n->h; j++) {
        gw2[j] += (float)(dl * a[j]);
        double dz = dl * w2[j] * (1 - a[j] * a[j]);
        gb1[j] += (float)dz;
        float *g = n->g + (size_t)j * D;
        for (int i = 0; i < D; i++) g[i] += (float)(dz * x[i]);
    }
}

static void net_adam(net *n, double lr, double l2, int t)
{
    const double b1 = 0.9, b2 = 0.999;
    double c1 = 1 - pow(b1, t), c2 = 1 - pow(b2, t);
    for (size_t i = 0; i < n->nw; i++) {
        double g = n->g[i] + l2 * n->w[i];
        n->m[i] = (float)(b1 * n->m[i] + (1 - b1) * g);
        n->v[i] = (float)(b2 * n->v[i] + (1 - b2) * g * g);
        n->w[i] -= (float)(lr * (n->m[i] / c1) / (sqrt(n->v[i] / c2) + 1e-8));
        n->g[i] = 0;
    }
}

/* Balanced example weights (see spoof_train.h); returns the number of items used. */
static size_t example_weights(const bio_spoof_set *set, const unsigned char *use, double *wt)
{
    double nb = 0, per_kind[64] = {0};
    int kinds = 0;
    for (size_t i = 0; i < set->n; i++)
        if (use[i]) {
            if (!set->items[i].spoof) nb++;
            else kinds += per_kind[set->items[i].kind]++ == 0;
        }
    size_t used = 0;
    for (size_t i = 0; i < set->n; i++) {
        const bio_spoof_item *it = &set->items[i];
        wt[i] = !use[i] ? 0 : !it->spoof ? 0.5 / nb : 0.5 / kinds / per_kind[it->kind];
        used += use[i] != 0;
    }
    return used;
}

static void standardise(const bio_spoof_set *set, const unsigned char *use, bio_spoof_params *p)
{
    double s[D] = {0}, q[D] = {0}, n = 0;
    for (size_t i = 0; i < set->n; i++)
        if (use[i]) {
            n++;
            for (int k = 0; k < D; k++) s[k] += set->items[i].vec[k], q[k] += (double)set->items[i].vec[k] * set->items[i].vec[k];
        }
    for (int k = 0; k < D; k++) {
        double mu = s[k] / n, var = q[k] / n - mu * mu;
        p->mean[k] = (float)mu;
        p->sd[k] = (float)(var > 1e-8 ? sqrt(var) : 1);
    }
}

static void train_epochs(net *nt, const bio_spoof_set *set, const double *wt, size_t used,
                         const bio_spoof_params *p, const bio_spoof_train_opts *o, uint64_t *rng)
{
    size_t *order = malloc(set->n * sizeof *order), m = 0;
    float x[D], a[BIO_SPOOF_MAX_HIDDEN];
    for (size_t i = 0; i < set->n; i++)
        if (wt[i] > 0) order[m++] = i;
    int t = 0;
    for (int e = 0; e < o->epochs; e++) {
        for (size_t i = m; i > 1; i--) {
            size_t j = rng_next(rng) % i, tmp = order[i - 1];
            order[i - 1] = order[j], order[j] = tmp;
        }
        double lr = o->lr * (e < o->epochs / 2 ? 1 : 0.3);
        for (size_t b = 0; b < m; b += BATCH) {
            for (size_t k = b; k < m && k < b + BATCH; k++) {
                const bio_spoof_item *it = &set->items[order[k]];
                for (int d = 0; d < D; d++) x[d] = (it->vec[d] - p->mean[d]) / p->sd[d] + (float)(0.05 * rng_gauss(rng));
                double z = net_forward(nt, x, a), y = it->spoof;
                double pr = 1 / (1 + exp(-z));
                /* weights sum to 1 over the set; scaled so a batch's step is an average */
                net_backward(nt, x, a, (pr - y) * wt[order[k]] * (double)used / BATCH);
            }
            net_adam(nt, lr, o->l2, ++t);
        }
    }
    free(order);
}

/* One-dimensional balanced logistic fit of the training logits: score 50 = even odds. */
static void calibrate(const bio_spoof_set *set, const double *wt, bio_spoof_params *p)
{
    double a = 1, b = 0;
    for (int it = 0; it < 200; it++) {
        double ga = 0, gb = 0, haa = 1e-9, hab = 0, hbb = 1e-9;
        for (size_t i = 0; i < set->n; i++) {
            if (wt[i] <= 0) continue;
            double z = bio_spoof_logit(p, set->items[i].vec), pr = 1 / (1 + exp(-(a * z + b)));
            double r = (pr - set->items[i].spoof) * wt[i], h = pr * (1 - pr) * wt[i];
            ga += r * z, gb += r, haa += h * z * z, hab += h * z, hbb += h;
        }
        double det = haa * hbb - hab * hab;
        if (det <= 0) break;
        a -= (hbb * ga - hab * gb) / det;
        b -= (haa * gb - hab * ga) / det;
    }
    p->cal_a = (float)a, p->cal_b = (float)b;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

double bio_spoof_item_score(const bio_spoof_params *p, const float *vec)
{
    return 100.0 / (1.0 + exp(-(p->cal_a * bio_spoof_logit(p, vec) + p->cal_b)));
}

static void default_threshold(const bio_spoof_set *set, const unsigned char *use, double max_flag, bio_spoof_params *p)
{
    double *s = malloc(set->n * sizeof *s);
    size_t n = 0;
    for (size_t i = 0; i < set->n; i++)
        if (use[i] && !set->items[i].spoof) s[n++] = bio_spoof_item_score(p, set->items[i].vec);
    qsort(s, n, sizeof *s, cmp_double);
    size_t k = (size_t)floor(n * (1 - max_flag)); /* scores >= s[k] flagged: n - k of them */
    double thr = n ? (k < n ? s[k] : s[n - 1]) : 50;
    if (k < n) thr = nextafter(thr, 101); /* ties stay bona fide */
    p->threshold = (float)(thr < 50 ? 50 : thr > 99.99 ? 99.99 : thr);
    free(s);
}

int bio_spoof_fit(const bio_spoof_set *set, const unsigned char *use, const bio_spoof_train_opts *o,
                  bio_spoof_params *p)
{
    memset(p, 0, sizeof *p);
    double *wt = calloc(set->n, sizeof *wt);
    uint64_t rng = o->seed * 0x9E3779B97F4A7C15ULL + 1;
    net nt = {0};
    if (!wt || net_init(&nt, o->hidden, &rng) != 0) {
        free(wt);
        return -1;
    }
    size_t used = example_weights(set, use, wt);
    standardise(set, use, p);
    train_epochs(&nt, set, wt, used, p, o, &rng);
    int h = o->hidden;
    p->hidden = h;
    p->w1 = h ? nt.w : NULL;
    p->b1 = h ? nt.w + (size_t)h * D : NULL;
    p->w2 = h ? nt.w + (size_t)h * D + h : nt.w;
    p->b2 = h ? p->w2[h] : nt.w[D];
    p->cal_a = 1, p->min_speech = 1.5f;
    calibrate(set, wt, p);
    default_threshold(set, use, o->max_bona_flagged, p);
    free(wt);
    return 0;
}

void bio_spoof_params_free(bio_spoof_params *p)
{
    free(p->w1 ? p->w1 : p->w2);
    p->w1 = p->b1 = p->w2 = NULL;
}

/* ------------------------------------------------------------------ held-out figures */

static void figure(const bio_spoof_set *set, const bio_spoof_params *p, const char *name,
                   int (*is_spoof)(const bio_spoof_item *, const void *), const void *ctx, bio_spoof_figure *f)
{
    double *sp = malloc(set->n * sizeof *sp), *bo = malloc(set->n * sizeof *bo);
    size_t ns = 0, nb = 0, missed = 0, flagged = 0;
    for (size_t i = 0; i < set->n; i++) {
        const bio_spoof_item *it = &set->items[i];
        if (!it->test) continue;
        double s = bio_spoof_item_score(p, it->vec);
        if (!it->spoof) bo[nb++] = s, flagged += s >= p->threshold;
        else if (is_spoof(it, ctx)) sp[ns++] = s, missed += s < p->threshold;
    }
    bio_metrics m = {0};
    if (ns && nb) bio_metrics_compute(sp, ns, bo, nb, 0.5, &m);
    snprintf(f->name, sizeof f->name, "%s", name);
    f->nspoof = ns, f->nbona = nb;
    f->eer = 100 * m.eer;
    f->flagged = nb ? 100.0 * flagged / nb : 0;
    f->missed = ns ? 100.0 * missed / ns : 0;
    free(sp);
    free(bo);
}

static int of_kind(const bio_spoof_item *it, const void *ctx) { return it->kind == *(const int *)ctx; }
static int any_spoof(const bio_spoof_item *it, const void *ctx) { (void)ctx; return it->spoof; }
static int prefix(const bio_spoof_item *it, const void *ctx) { return !strncmp(it->attack, ctx, strlen(ctx)); }

size_t bio_spoof_evaluate(const bio_spoof_set *set, const bio_spoof_params *p, bio_spoof_figure *fig,
                          size_t cap)
{
    size_t nf = 0;
    for (int k = 0; k < set->nkinds && nf < cap; k++)
        if (strcmp(set->kinds[k], "bonafide") != 0) figure(set, p, set->kinds[k], of_kind, &k, &fig[nf++]);
    const char *names[3] = {"pooled", "pooled tts", "pooled replay"}, *pfx[3] = {"", "tts:", "replay:"};
    for (int j = 0; j < 3 && nf < cap; j++)
        figure(set, p, names[j], j ? prefix : any_spoof, pfx[j], &fig[nf++]);
    /* bona fide flag rate per source at the default threshold */
    for (size_t i = 0; i < set->n && nf < cap; i++) {
        const char *src = set->items[i].source;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) seen = !set->items[j].spoof && !strcmp(set->items[j].source, src);
        if (set->items[i].spoof || seen) continue;
        size_t nb = 0, fl = 0;
        for (size_t j = 0; j < set->n; j++)
            if (set->items[j].test && !set->items[j].spoof && !strcmp(set->items[j].source, src))
                nb++, fl += bio_spoof_item_score(p, set->items[j].vec) >= p->threshold;
        bio_spoof_figure *f = &fig[nf++];
        memset(f, 0, sizeof *f);
        snprintf(f->name, sizeof f->name, "bonafide:%s", src);
        f->nbona = nb, f->flagged = nb ? 100.0 * fl / nb : 0;
    }
    return nf;
}

/* Held-out scores of every fold pooled: each fold's model has its own scale, so a fold's scores
 * (calibrated log-odds) are standardised by its own bona fide test scores before pooling; one
 * EER over all folds (or over the tts:* / replay:* folds) is then what an unseen attack of any
 * kind meets. */
typedef struct {
    double *v;
    int *grp; /* 0 bona fide, else 1 + fold index */
    size_t n;
} pool_scores;

static double logodds(const bio_spoof_params *p, const float *vec)
{
    return p->cal_a * bio_spoof_logit(p, vec) + p->cal_b;
}

static void pool_fold(pool_scores *ps, const bio_spoof_set *set, const bio_spoof_params *p, int k)
{
    double s = 0, s2 = 0, nb = 0;
    for (size_t i = 0; i < set->n; i++)
        if (set->items[i].test && !set->items[i].spoof) {
            double z = logodds(p, set->items[i].vec);
            s += z, s2 += z * z, nb++;
        }
    double mu = nb ? s / nb : 0, sd = nb ? sqrt(fmax(s2 / nb - mu * mu, 1e-12)) : 1;
    for (size_t i = 0; i < set->n; i++) {
        const bio_spoof_item *it = &set->items[i];
        if (!it->test || (it->spoof && it->kind != k)) continue;
        ps->v[ps->n] = (logodds(p, it->vec) - mu) / sd;
        ps->grp[ps->n++] = it->spoof ? 1 + k : -(1 + k);
    }
}

static void pool_figure(const pool_scores *ps, const bio_spoof_set *set, const char *name, const char *pfx,
                        bio_spoof_figure *f)
{
    double *sp = malloc(ps->n * sizeof *sp), *bo = malloc(ps->n * sizeof *bo);
    size_t ns = 0, nb = 0;
    for (size_t i = 0; sp && bo && i < ps->n; i++) {
        int k = abs(ps->grp[i]) - 1;
        if (strncmp(set->kinds[k], pfx, strlen(pfx)) != 0) continue;
        if (ps->grp[i] > 0) sp[ns++] = ps->v[i];
        else bo[nb++] = ps->v[i];
    }
    bio_metrics m = {0};
    if (ns && nb) bio_metrics_compute(sp, ns, bo, nb, 0.5, &m);
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    f->nspoof = ns, f->nbona = nb, f->eer = 100 * m.eer;
    free(sp);
    free(bo);
}

/* Folds of the held-out evaluation: without a list, every spoof kind on its own; with one,
 * its comma-separated entries, each a kind or several joined by '+' that are held out
 * together (kinds made by one generator family, so none of them leaks into the training).
 * fold_of[k] is kind k's fold, -1 for bona fide and kinds not named; returns the fold count. */
static int fold_map(const bio_spoof_set *set, const char *list, int *fold_of)
{
    for (int k = 0; k < set->nkinds; k++) fold_of[k] = list || !strcmp(set->kinds[k], "bonafide") ? -1 : k;
    if (!list) return set->nkinds;
    int f = 0;
    for (const char *p = list;; p++) {
        size_t n = strcspn(p, "+,");
        for (int k = 0; k < set->nkinds; k++)
            if (strlen(set->kinds[k]) == n && !strncmp(p, set->kinds[k], n) && strcmp(set->kinds[k], "bonafide"))
                fold_of[k] = f;
        p += n;
        if (!*p) return f + 1;
        f += *p == ',';
    }
}

/* Train without fold f's kinds; the figure of each of them and its pooled scores. */
static size_t heldout_fold(const bio_spoof_set *set, const bio_spoof_train_opts *o, const int *fold_of, int f,
                           unsigned char *use, pool_scores *ps, bio_spoof_figure *fig, size_t cap, int verbose)
{
    size_t nf = 0;
    int members = 0;
    for (int k = 0; k < set->nkinds; k++) members += fold_of[k] == f;
    if (!members) return 0;
    for (size_t i = 0; i < set->n; i++) use[i] = !set->items[i].test && fold_of[set->items[i].kind] != f;
    bio_spoof_params p;
    if (bio_spoof_fit(set, use, o, &p) != 0) return 0;
    for (int k = 0; k < set->nkinds && nf < cap; k++) {
        if (fold_of[k] != f) continue;
        figure(set, &p, set->kinds[k], of_kind, &k, &fig[nf]);
        if (verbose) fprintf(stderr, "held out %-24s EER %6.2f%%\n", fig[nf].name, fig[nf].eer);
        nf++;
        pool_fold(ps, set, &p, k);
    }
    bio_spoof_params_free(&p);
    return nf;
}

size_t bio_spoof_heldout(const bio_spoof_set *set, const bio_spoof_train_opts *o, bio_spoof_figure *fig,
                         size_t cap, int verbose)
{
    unsigned char *use = malloc(set->n);
    size_t nf = 0, room = set->n * (size_t)set->nkinds;
    pool_scores ps = {malloc(room * sizeof *ps.v), malloc(room * sizeof *ps.grp), 0};
    bio_spoof_params p;
    int fold_of[64], folds = fold_map(set, o->hold_out, fold_of);
    for (int f = 0; use && ps.v && ps.grp && f < folds && nf < cap; f++)
        nf += heldout_fold(set, o, fold_of, f, use, &ps, fig + nf, cap - nf, verbose);
    const char *names[3] = {"heldout pooled", "heldout pooled tts", "heldout pooled replay"};
    const char *pfx[3] = {"", "tts:", "replay:"};
    for (int j = 0; j < 3 && ps.n && nf < cap; j++) {
        pool_figure(&ps, set, names[j], pfx[j], &fig[nf++]);
        if (verbose) fprintf(stderr, "%-33s EER %6.2f%%\n", fig[nf - 1].name, fig[nf - 1].eer);
    }
    for (size_t i = 0; use && i < set->n; i++) use[i] = !set->items[i].test;
    if (use && nf < cap && bio_spoof_fit(set, use, o, &p) == 0) {
        nf += bio_spoof_evaluate(set, &p, fig + nf, cap - nf);
        bio_spoof_params_free(&p);
    }
    free(ps.v);
    free(ps.grp);
    free(use);
    return nf;
}
