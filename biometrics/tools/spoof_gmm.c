/* spoof_gmm.c -- the ASVspoof baseline, for comparison: two diagonal-covariance GMMs (bona fide,
 * spoof) on the countermeasure's own LFCC + delta + delta-delta speech frames; an utterance's
 * score is the mean frame log-likelihood ratio. Held-out figures come from the same protocol
 * as the shipped classifier (bio_spoof_heldout), so the two are compared like for like. Frames
 * are decimated (one in GMM_DECIMATE) to keep memory and EM time small; EM starts from frames
 * drawn at random and runs a fixed number of iterations. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio.h"
#include "metrics.h"
#include "spoof_train.h"

#define FD BIO_SPOOF_FRAME_DIM
#define GMM_C 32
#define GMM_ITERS 12
#define GMM_DECIMATE 3
#define GMM_MAX_EM_FRAMES 120000

typedef struct {
    float mean[GMM_C][FD], ivar[GMM_C][FD], logw[GMM_C], g[GMM_C];
} dgmm;

typedef struct {
    float *f;
    size_t n, cap;
    unsigned tick;
} frame_buf;

static void keep_frame(void *ctx, const float *frame)
{
    frame_buf *b = ctx;
    if (b->tick++ % GMM_DECIMATE) return;
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 1 << 16;
        float *nf = realloc(b->f, cap * FD * sizeof *nf);
        if (!nf) return;
        b->f = nf, b->cap = cap;
    }
    memcpy(b->f + b->n++ * FD, frame, FD * sizeof *frame);
}

static void gmm_prepare(dgmm *g)
{
    for (int c = 0; c < GMM_C; c++) {
        double s = g->logw[c] - 0.5 * FD * log(2 * M_PI);
        for (int d = 0; d < FD; d++) s += 0.5 * log(g->ivar[c][d]) - 0.5 * g->mean[c][d] * g->mean[c][d] * g->ivar[c][d];
        g->g[c] = (float)s;
    }
}

/* log p(x) and the posteriors (post may be NULL). */
static double gmm_loglik(const dgmm *g, const float *x, double *post)
{
    double l[GMM_C], mx = -1e300;
    for (int c = 0; c < GMM_C; c++) {
        double s = g->g[c];
        for (int d = 0; d < FD; d++) s += x[d] * g->ivar[c][d] * (g->mean[c][d] - 0.5 * x[d]);
        l[c] = s;
        if (s > mx) mx = s;
    }
    double z = 0;
    for (int c = 0; c < GMM_C; c++) z += exp(l[c] - mx);
    double lz = mx + log(z);
    if (post)
        for (int c = 0; c < GMM_C; c++) post[c] = exp(l[c] - lz);
    return lz;
}

static void gmm_train(dgmm *g, const float **x, size_t n, uint64_t seed)
{
    uint64_t r = seed * 0x9E3779B97F4A7C15ULL + 7;
    double gm[FD] = {0}, gv[FD] = {0};
    for (size_t t = 0; t < n; t++)
        for (int d = 0; d < FD; d++) gm[d] += x[t][d] / n, gv[d] += (double)x[t][d] * x[t][d] / n;
    for (int c = 0; c < GMM_C; c++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        const float *pick = x[r % n];
        for (int d = 0; d < FD; d++)
            g->mean[c][d] = pick[d], g->ivar[c][d] = (float)(1 / fmax(gv[d] - gm[d] * gm[d], 1e-4));
        g->logw[c] = (float)-log(GMM_C);
    }
    static double N[GMM_C], F[GMM_C][FD], S[GMM_C][FD];
    for (int it = 0; it < GMM_ITERS; it++) {
        gmm_prepare(g);
        memset(N, 0, sizeof N), memset(F, 0, sizeof F), memset(S, 0, sizeof S);
        double post[GMM_C];
        for (size_t t = 0; t < n; t++) {
            gmm_loglik(g, x[t], post);
            for (int c = 0; c < GMM_C; c++) {
                if (post[c] < 1e-6) continue;
                N[c] += post[c];
                for (int d = 0; d < FD; d++) F[c][d] += post[c] * x[t][d], S[c][d] += post[c] * x[t][d] * x[t][d];
            }
        }
        for (int c = 0; c < GMM_C; c++) {
            double nc = N[c] + 1e-3;
            g->logw[c] = (float)log(nc / n);
            for (int d = 0; d < FD; d++) {
                double mu = F[c][d] / nc, var = S[c][d] / nc - mu * mu;
                g->mean[c][d] = (float)mu;
                g->ivar[c][d] = (float)(1 / fmax(var, 1e-3));
            }
        }
    }
    gmm_prepare(g);
}

/* Frames of the items in use (at most GMM_MAX_EM_FRAMES, evenly spread). */
static size_t pick_frames(const bio_spoof_set *set, const size_t *off, const size_t *cnt, const float *all,
                          const unsigned char *use, const float **out)
{
    size_t total = 0, n = 0;
    for (size_t i = 0; i < set->n; i++) total += use[i] ? cnt[i] : 0;
    size_t step = total / GMM_MAX_EM_FRAMES + 1, k = 0;
    for (size_t i = 0; i < set->n; i++)
        for (size_t t = 0; use[i] && t < cnt[i]; t++, k++)
            if (k % step == 0) out[n++] = all + (off[i] + t) * FD;
    return n;
}

static double utt_llr(const dgmm *sp, const dgmm *bo, const float *f, size_t n)
{
    double s = 0;
    for (size_t t = 0; t < n; t++) s += gmm_loglik(sp, f + t * FD, NULL) - gmm_loglik(bo, f + t * FD, NULL);
    return n ? s / n : 0;
}

static double eer_of(const bio_spoof_set *set, const double *score, int kind, const char *pfx)
{
    double *sp = malloc(set->n * sizeof *sp), *bo = malloc(set->n * sizeof *bo);
    size_t ns = 0, nb = 0;
    for (size_t i = 0; i < set->n; i++) {
        const bio_spoof_item *it = &set->items[i];
        if (!it->test) continue;
        if (!it->spoof) bo[nb++] = score[i];
        else if (kind >= 0 ? it->kind == kind : !strncmp(it->attack, pfx, strlen(pfx))) sp[ns++] = score[i];
    }
    bio_metrics m = {0};
    if (ns && nb) bio_metrics_compute(sp, ns, bo, nb, 0.5, &m);
    free(sp), free(bo);
    return 100 * m.eer;
}

size_t bio_spoof_gmm_heldout(const bio_spoof_set *set, const char *list, const char *root, bio_spoof_figure *fig,
                             size_t cap, char *err, size_t errlen)
{
    frame_buf b = {0};
    size_t *off = calloc(set->n, sizeof *off), *cnt = calloc(set->n, sizeof *cnt), nf = 0;
    bio_spoof_model *fe = bio_spoof_model_new(NULL);
    char dir[4096], path[16384];
    const char *slash = strrchr(list, '/');
    snprintf(dir, sizeof dir, "%.*s", root ? (int)strlen(root) : slash ? (int)(slash - list) : 1,
             root ? root : slash ? list : ".");
    /* the list again, for the paths (the set keeps vectors, not frames) */
    FILE *lf = fopen(list, "r");
    char line[4096];
    int ok = fe && off && cnt && lf && fgets(line, sizeof line, lf);
    for (size_t i = 0; ok && i < set->n && fgets(line, sizeof line, lf); i++) {
        line[strcspn(line, "\t\n")] = 0;
        snprintf(path, sizeof path, "%s/%s", dir, line);
        int16_t *pcm;
        size_t n;
        if (bio_audio_read(path, &pcm, &n, err, errlen) != 0) {
            ok = 0;
            break;
        }
        bio_spoof_stream *s = bio_spoof_stream_new(fe);
        bio_spoof_stream_frames(s, keep_frame, &b);
        off[i] = b.n;
        bio_spoof_stream_feed(s, pcm, n);
        cnt[i] = b.n - off[i];
        bio_spoof_stream_free(s);
        free(pcm);
    }
    if (lf) fclose(lf);
    unsigned char *use = malloc(set->n);
    const float **x = malloc(GMM_MAX_EM_FRAMES * 2 * sizeof *x);
    double *score = malloc(set->n * sizeof *score);
    dgmm *bona = malloc(sizeof *bona), *spoof = malloc(sizeof *spoof);
    if (ok && use && x && score && bona && spoof) {
        for (size_t i = 0; i < set->n; i++) use[i] = !set->items[i].test && !set->items[i].spoof;
        gmm_train(bona, x, pick_frames(set, off, cnt, b.f, use, x), 1);
        for (int k = -1; k < set->nkinds && nf + 3 <= cap; k++) {
            if (k >= 0 && !strcmp(set->kinds[k], "bonafide")) continue;
            for (size_t i = 0; i < set->n; i++)
                use[i] = !set->items[i].test && set->items[i].spoof && set->items[i].kind != k;
            gmm_train(spoof, x, pick_frames(set, off, cnt, b.f, use, x), 2);
            for (size_t i = 0; i < set->n; i++)
                score[i] = set->items[i].test ? utt_llr(spoof, bona, b.f + off[i] * FD, cnt[i]) : 0;
            if (k >= 0) {
                snprintf(fig[nf].name, sizeof fig[nf].name, "%s", set->kinds[k]);
                fig[nf++].eer = eer_of(set, score, k, NULL);
                fprintf(stderr, "gmm baseline: held out %-24s EER %6.2f%%\n", set->kinds[k], fig[nf - 1].eer);
            } else {
                const char *names[3] = {"pooled", "pooled tts", "pooled replay"}, *pfx[3] = {"", "tts:", "replay:"};
                for (int j = 0; j < 3; j++) {
                    snprintf(fig[nf].name, sizeof fig[nf].name, "%s", names[j]);
                    fig[nf++].eer = eer_of(set, score, -1, pfx[j]);
                }
            }
        }
    } else if (ok)
        snprintf(err, errlen, "out of memory");
    free(use), free(x), free(score), free(bona), free(spoof), free(off), free(cnt), free(b.f);
    bio_spoof_model_free(fe);
    return ok ? nf : 0;
}
