/* train_backend.c -- LDA + WCCN projection, cohort, calibration and default thresholds.
 *
 * 1. i-vectors of every training segment (originals and telephone copies).
 * 2. LDA: generalised eigenproblem Sb v = lambda Sw v (LAPACKE_dsygv) over speakers; keep
 *    the L leading directions. WCCN: whiten the within-speaker covariance of the
 *    length-normalised LDA outputs (Cholesky). Both fold into one L x R matrix.
 *    PLDA (optional, two-covariance): between/within covariances of the unit-length
 *    projections, simultaneously diagonalised (dsygv) -- see backend.h for the scoring.
 * 3. Calibration speakers: every third speaker with at least 8 original segments is kept
 *    out of the cohort; each gets a ~20 s enrolment (summed statistics of its first
 *    segments) and its other recordings are target tests; other calibration speakers'
 *    tests are non-targets. A logistic regression on their AS-normed scores gives (a, b).
 * 4. Cohort: one mean embedding per remaining speaker (or per speaker and channel).
 * 5. Default thresholds on those trials (1% FAR, EER); `callprint-bio eval --write-thresholds`
 *    replaces them with held-out measurements.
 */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "metrics.h"
#include "train_int.h"

#define ENROLL_FRAMES 2000 /* 20 s of speech */
#define CALIB_MIN_SEGS 8

static int backend_lda(bio_model *m, const float *W, const tr_data *d, double *proj)
{
    const int R = m->iv.R, L = m->L, K = d->nspk;
    size_t S = d->nsegs;
    double *mu = calloc((size_t)K * R, sizeof(double)), *cnt = calloc((size_t)K, sizeof(double));
    double *Sb = calloc((size_t)R * R, sizeof(double)), *Sw = calloc((size_t)R * R, sizeof(double));
    double *ev = malloc(sizeof(double) * R), *x = malloc(sizeof(double) * R);
    int rc = -1;
    if (!mu || !cnt || !Sb || !Sw || !ev || !x) goto out;
    for (size_t s = 0; s < S; s++) {
        int k = d->segs[s].spk;
        cnt[k]++;
        for (int r = 0; r < R; r++) mu[(size_t)k * R + r] += W[s * R + r] - m->ivec_mean[r];
    }
    for (int k = 0; k < K; k++)
        for (int r = 0; r < R && cnt[k] > 0; r++) mu[(size_t)k * R + r] /= cnt[k];
    for (int k = 0; k < K; k++)
        cblas_dsyr(CblasColMajor, CblasUpper, R, cnt[k] / S, mu + (size_t)k * R, 1, Sb, R);
    for (size_t s = 0; s < S; s++) {
        int k = d->segs[s].spk;
        for (int r = 0; r < R; r++) x[r] = W[s * R + r] - m->ivec_mean[r] - mu[(size_t)k * R + r];
        cblas_dsyr(CblasColMajor, CblasUpper, R, 1.0 / S, x, 1, Sw, R);
    }
    for (int r = 0; r < R; r++) Sw[(size_t)r * R + r] += 1e-6;
    if (LAPACKE_dsygv(LAPACK_COL_MAJOR, 1, 'V', 'U', R, Sb, R, Sw, R, ev) != 0) goto out;
    for (int l = 0; l < L; l++) /* eigenvalues ascending; column R-1-l is the l-th best */
        memcpy(proj + (size_t)l * R, Sb + (size_t)(R - 1 - l) * R, sizeof(double) * R);
    rc = 0;
out:
    free(mu), free(cnt), free(Sb), free(Sw), free(ev), free(x);
    return rc;
}

/* WCCN on length-normalised LDA outputs; proj (L x R) becomes Lc^-1 proj. */
static int backend_wccn(bio_model *m, const float *W, const tr_data *d, double *proj)
{
    const int R = m->iv.R, L = m->L, K = d->nspk;
    size_t S = d->nsegs;
    double *Y = malloc(sizeof(double) * S * L), *mu = calloc((size_t)K * L, sizeof(double));
    double *cnt = calloc((size_t)K, sizeof(double)), *Wc = calloc((size_t)L * L, sizeof(double));
    double *c = malloc(sizeof(double) * R), *y = malloc(sizeof(double) * L);
    int rc = -1;
    if (!Y || !mu || !cnt || !Wc || !c || !y) goto out;
    for (size_t s = 0; s < S; s++) {
        for (int r = 0; r < R; r++) c[r] = W[s * R + r] - m->ivec_mean[r];
        cblas_dgemv(CblasRowMajor, CblasNoTrans, L, R, 1.0, proj, R, c, 1, 0.0, Y + s * L, 1);
        double n = cblas_dnrm2(L, Y + s * L, 1);
        if (n > 0) cblas_dscal(L, 1.0 / n, Y + s * L, 1);
        int k = d->segs[s].spk;
        cnt[k]++;
        cblas_daxpy(L, 1.0, Y + s * L, 1, mu + (size_t)k * L, 1);
    }
    for (int k = 0; k < K; k++)
        if (cnt[k] > 0) cblas_dscal(L, 1.0 / cnt[k], mu + (size_t)k * L, 1);
    for (size_t s = 0; s < S; s++) {
        int k = d->segs[s].spk;
        for (int l = 0; l < L; l++) y[l] = Y[s * L + l] - mu[(size_t)k * L + l];
        cblas_dsyr(CblasRowMajor, CblasLower, L, 1.0 / S, y, 1, Wc, L);
    }
    for (int l = 0; l < L; l++) Wc[(size_t)l * L + l] += 1e-6;
    /* Wc = Lc Lc' ; proj <- Lc^-1 proj (triangular solve with R right-hand sides). */
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', L, Wc, L) != 0) goto out;
    if (LAPACKE_dtrtrs(LAPACK_ROW_MAJOR, 'L', 'N', 'N', L, R, Wc, L, proj, R) != 0) goto out;
    rc = 0;
out:
    free(Y), free(mu), free(cnt), free(Wc), free(c), free(y);
    return rc;
}

/* Embedding (+ cohort statistics) from summed statistics. */
static int embed_stats(const bio_model *m, const float *N, const float *Fw, float *e, float *c,
                       bio_norm *norm, float *work)
{
    float w[1024];
    if (bio_ivec_extract_whitened(&m->iv, N, Fw, w, NULL, work) != 0) return -1;
    if (bio_backend_embed(m, w, e, c) != 0) return -1;
    if (norm) *norm = bio_backend_norm(m, e, *c, work);
    return 0;
}

typedef struct {
    int *calib;   /* per speaker: 1 if a calibration speaker */
    int *enroll_of; /* per speaker: index into enrolments or -1 */
    float *E;     /* enrolment embeddings */
    bio_norm *En;
    int nenroll;
    int *seg_in_enroll_file; /* per segment: its recording was used in the enrolment */
} calib_set;

static void pick_calibration(const tr_data *d, int *calib)
{
    int *orig = calloc((size_t)d->nspk, sizeof(int)), nth = 0;
    for (size_t s = 0; s < d->nsegs; s++)
        if (d->segs[s].aug == 0) orig[d->segs[s].spk]++;
    for (int k = 0; k < d->nspk; k++)
        calib[k] = orig[k] >= CALIB_MIN_SEGS && (nth++ % 3) == 0;
    free(orig);
}

#define CHAN_SLOTS 32

static int chan_slot(int chan)
{
    int k = chan >= 1000 ? 16 + (chan - 1000) : chan;
    return k < 0 ? 0 : k >= CHAN_SLOTS ? CHAN_SLOTS - 1 : k;
}

/* Cohort entry of every segment (-1: a calibration speaker's), numbered in segment order:
 * one per speaker, or with cohort_channels one per speaker and channel, so that a test from a
 * codec-coded or noisy line finds impostors on similar lines among its top cohort scores.
 * Returns the number of entries. */
static int cohort_groups(const tr_data *d, const int *calib, const bio_train_opts *o, int *grp)
{
    int *slot = malloc(sizeof(int) * (size_t)d->nspk * CHAN_SLOTS), n = 0;
    if (!slot) return -1;
    for (size_t i = 0; i < (size_t)d->nspk * CHAN_SLOTS; i++) slot[i] = -1;
    for (size_t s = 0; s < d->nsegs; s++) {
        int k = d->segs[s].spk;
        if (calib[k]) {
            grp[s] = -1;
            continue;
        }
        int *g = &slot[(size_t)k * CHAN_SLOTS + (o->cohort_channels ? chan_slot(d->segs[s].chan) : 0)];
        if (*g < 0) *g = n++;
        grp[s] = *g;
    }
    free(slot);
    return n;
}

int tr_backend_cohort_size(const tr_data *d, const bio_train_opts *o)
{
    int *calib = calloc((size_t)d->nspk, sizeof(int)), *grp = malloc(sizeof(int) * (d->nsegs + 1));
    int k = -1;
    if (calib && grp) {
        pick_calibration(d, calib);
        k = cohort_groups(d, calib, o, grp);
    }
    free(calib);
    free(grp);
    return k;
}

/* Unit-length projections y (S x L) of all segments. */
static void backend_project(const bio_model *m, const float *W, size_t S, float *Y)
{
    const int R = m->iv.R, L = m->L;
    float x[1024];
    for (size_t s = 0; s < S; s++) {
        for (int r = 0; r < R; r++) x[r] = W[s * R + r] - m->ivec_mean[r];
        float *y = Y + s * L;
        cblas_sgemv(CblasRowMajor, CblasNoTrans, L, R, 1.0f, m->proj, R, x, 1, 0.0f, y, 1);
        float n = cblas_snrm2(L, y, 1);
        if (n > 0) cblas_sscal(L, 1.0f / n, y, 1);
    }
}

/* Two-covariance PLDA on the unit-length projections: B v = psi W v. */
static int backend_plda(bio_model *m, const float *Y, const tr_data *d, int enable)
{
    const int L = m->L, K = d->nspk;
    const size_t S = d->nsegs;
    memset(m->plda_V, 0, sizeof(float) * L * L);
    memset(m->plda_mean, 0, sizeof(float) * L);
    for (int l = 0; l < L; l++) {
        m->plda_V[(size_t)l * L + l] = 1;
        m->plda_sp[l] = 1;
        m->plda_q[l] = 0;
    }
    if (!enable) return 0;
    double *mu = calloc((size_t)K * L, sizeof(double)), *cnt = calloc((size_t)K, sizeof(double));
    double *gm = calloc((size_t)L, sizeof(double)), *B = calloc((size_t)L * L, sizeof(double));
    double *Wc = calloc((size_t)L * L, sizeof(double)), *psi = malloc(sizeof(double) * L);
    double *x = malloc(sizeof(double) * L);
    int rc = -1;
    if (!mu || !cnt || !gm || !B || !Wc || !psi || !x) goto out;
    for (size_t s = 0; s < S; s++) {
        int k = d->segs[s].spk;
        cnt[k]++;
        for (int l = 0; l < L; l++) {
            mu[(size_t)k * L + l] += Y[s * L + l];
            gm[l] += Y[s * L + l] / S;
        }
    }
    for (int k = 0; k < K; k++)
        for (int l = 0; l < L && cnt[k] > 0; l++) mu[(size_t)k * L + l] /= cnt[k];
    for (int k = 0; k < K; k++) {
        for (int l = 0; l < L; l++) x[l] = mu[(size_t)k * L + l] - gm[l];
        cblas_dsyr(CblasColMajor, CblasUpper, L, cnt[k] / S, x, 1, B, L);
    }
    for (size_t s = 0; s < S; s++) {
        int k = d->segs[s].spk;
        for (int l = 0; l < L; l++) x[l] = Y[s * L + l] - mu[(size_t)k * L + l];
        cblas_dsyr(CblasColMajor, CblasUpper, L, 1.0 / S, x, 1, Wc, L);
    }
    for (int l = 0; l < L; l++) Wc[(size_t)l * L + l] += 1e-6;
    if (LAPACKE_dsygv(LAPACK_COL_MAJOR, 1, 'V', 'U', L, B, L, Wc, L, psi) != 0) goto out;
    for (int l = 0; l < L; l++) {
        double p = psi[l] > 1e-6 ? psi[l] : 1e-6;
        m->plda_mean[l] = (float)gm[l];
        m->plda_sp[l] = (float)sqrt(p / (2 * p + 1));
        m->plda_q[l] = (float)(0.5 * (1 / (p + 1) - (p + 1) / (2 * p + 1)));
        for (int j = 0; j < L; j++) m->plda_V[(size_t)l * L + j] = (float)B[(size_t)l * L + j];
    }
    rc = 0;
out:
    free(mu), free(cnt), free(gm), free(B), free(Wc), free(psi), free(x);
    return rc;
}

/* Cohort entries (cohort_groups): PLDA coordinates of each entry's mean direction. */
static int backend_cohort(bio_model *m, const tr_data *d, const float *Y, const int *calib,
                          const bio_train_opts *o)
{
    const int L = m->L;
    int *grp = malloc(sizeof(int) * (d->nsegs + 1));
    float *sum = calloc((size_t)m->K * L, sizeof(float));
    if (!grp || !sum || cohort_groups(d, calib, o, grp) != m->K) {
        free(grp), free(sum);
        return -1;
    }
    for (size_t s = 0; s < d->nsegs; s++)
        if (grp[s] >= 0) cblas_saxpy(L, 1.0f, Y + s * L, 1, sum + (size_t)grp[s] * L, 1);
    for (int k = 0; k < m->K; k++) {
        float *y = sum + (size_t)k * L, n = cblas_snrm2(L, y, 1);
        if (n > 0) cblas_sscal(L, 1.0f / n, y, 1);
        bio_backend_plda(m, y, m->cohort + (size_t)k * L, &m->cohort_c[k]);
    }
    free(grp), free(sum);
    return 0;
}

/* Logistic regression s -> P(target), classes weighted equally (Newton's method). */
static void fit_logistic(const double *tar, size_t nt, const double *non, size_t nn, float *a,
                         float *b)
{
    double A = 1, B = 0;
    for (int it = 0; it < 50; it++) {
        double g[2] = {0, 0}, H[3] = {1e-9, 0, 1e-9};
        for (int cls = 0; cls < 2; cls++) {
            const double *x = cls ? tar : non;
            size_t n = cls ? nt : nn;
            double wt = 0.5 / n;
            for (size_t i = 0; i < n; i++) {
                double p = 1 / (1 + exp(-(A * x[i] + B))), r = p - cls, h = p * (1 - p) * wt;
                g[0] += wt * r * x[i];
                g[1] += wt * r;
                H[0] += h * x[i] * x[i];
                H[1] += h * x[i];
                H[2] += h;
            }
        }
        double det = H[0] * H[2] - H[1] * H[1];
        A -= (H[2] * g[0] - H[1] * g[1]) / det;
        B -= (H[0] * g[1] - H[1] * g[0]) / det;
    }
    *a = (float)A;
    *b = (float)B;
}

static int backend_calibrate(bio_model *m, const tr_data *d, const float *N, const float *Fw,
                             const float *Emb, const float *Cs, const bio_norm *Nrm,
                             const int *calib, const bio_train_opts *o)
{
    const int C = m->ubm.C, L = m->L;
    const size_t CD = (size_t)C * m->ubm.D;
    float *sN = malloc(sizeof(float) * C), *sF = malloc(sizeof(float) * CD);
    float *work = malloc(sizeof(float) * (bio_ivec_work_floats(&m->iv) + m->K));
    float *E = malloc(sizeof(float) * (size_t)d->nspk * L);
    bio_norm *En = malloc(sizeof(bio_norm) * d->nspk);
    float *Ec = malloc(sizeof(float) * d->nspk);
    size_t *enr_last_file = calloc((size_t)d->nspk, sizeof(size_t));
    int *has = calloc((size_t)d->nspk, sizeof(int));
    double *tar = NULL, *non = NULL;
    size_t nt = 0, nn = 0, cap = 0;
    int rc = -1;
    if (!sN || !sF || !work || !E || !En || !Ec || !enr_last_file || !has) goto out;
    for (int k = 0; k < d->nspk; k++) {
        if (!calib[k]) continue;
        memset(sN, 0, sizeof(float) * C);
        memset(sF, 0, sizeof(float) * CD);
        double frames = 0;
        for (size_t s = 0; s < d->nsegs && frames < ENROLL_FRAMES; s++) {
            if (d->segs[s].spk != k || d->segs[s].aug) continue;
            cblas_saxpy(C, 1.0f, N + s * C, 1, sN, 1);
            cblas_saxpy((int)CD, 1.0f, Fw + s * CD, 1, sF, 1);
            frames += d->segs[s].T;
            enr_last_file[k] = d->segs[s].file;
        }
        has[k] = embed_stats(m, sN, sF, E + (size_t)k * L, &Ec[k], &En[k], work) == 0;
    }
    for (size_t s = 0; s < d->nsegs; s++) {
        int ks = d->segs[s].spk;
        if (!calib[ks] || (has[ks] && d->segs[s].file <= enr_last_file[ks])) continue;
        for (int k = 0; k < d->nspk; k++) {
            if (!has[k]) continue;
            if (nt + nn + 2 > cap) {
                cap = cap ? 2 * cap : 65536;
                tar = realloc(tar, sizeof(double) * cap);
                non = realloc(non, sizeof(double) * cap);
                if (!tar || !non) goto out;
            }
            double raw = bio_backend_raw(m, E + (size_t)k * L, Ec[k], Emb + s * L, Cs[s]);
            double sc = bio_backend_snorm(raw, En[k], Nrm[s]);
            if (k == ks) tar[nt++] = sc;
            else non[nn++] = sc;
        }
    }
    if (!nt || !nn) goto out;
    fit_logistic(tar, nt, non, nn, &m->calib_a, &m->calib_b);
    /* No duration terms yet (calibrate.py fits them on the dev trials): any length will do. */
    for (size_t i = 0; i < nt; i++) tar[i] = bio_backend_calibrate(m, tar[i], 0);
    for (size_t i = 0; i < nn; i++) non[i] = bio_backend_calibrate(m, non[i], 0);
    bio_metrics mt;
    bio_metrics_compute(tar, nt, non, nn, 0.01, &mt);
    m->config.thr_verified = bio_metrics_threshold_at_far(non, nn, 0.01);
    m->config.thr_not_sure = mt.eer_threshold < m->config.thr_verified ? mt.eer_threshold
                                                                        : m->config.thr_verified;
    TR_LOG(o, "calibration: %zu target / %zu non-target trials, EER %.2f%%, a=%.3f b=%.3f, "
              "thresholds %.1f / %.1f", nt, nn, 100 * mt.eer, m->calib_a, m->calib_b,
           m->config.thr_verified, m->config.thr_not_sure);
    rc = 0;
out:
    free(sN), free(sF), free(work), free(E), free(En), free(Ec), free(enr_last_file), free(has);
    free(tar), free(non);
    return rc;
}

int tr_backend_train(bio_model *m, const tr_data *d, const float *N, const float *Fw,
                     const bio_train_opts *o)
{
    const int R = m->iv.R, L = m->L, C = m->ubm.C;
    const size_t S = d->nsegs, CD = (size_t)C * m->ubm.D;
    float *W = malloc(sizeof(float) * S * R), *Emb = malloc(sizeof(float) * S * L);
    float *Y = malloc(sizeof(float) * S * L), *Cs = malloc(sizeof(float) * S);
    bio_norm *Nrm = malloc(sizeof(bio_norm) * S);
    float *work = malloc(sizeof(float) * (bio_ivec_work_floats(&m->iv) + d->nspk + 1));
    double *proj = malloc(sizeof(double) * L * R);
    int *calib = calloc((size_t)d->nspk, sizeof(int));
    int rc = -1;
    if (!W || !Emb || !Y || !Cs || !Nrm || !work || !proj || !calib) goto out;
    memset(m->ivec_mean, 0, sizeof(float) * R);
    for (size_t s = 0; s < S; s++) {
        if (bio_ivec_extract_whitened(&m->iv, N + s * C, Fw + s * CD, W + s * R, NULL, work))
            memset(W + s * R, 0, sizeof(float) * R);
        cblas_saxpy(R, 1.0f / S, W + s * R, 1, m->ivec_mean, 1);
    }
    if (backend_lda(m, W, d, proj) != 0 || backend_wccn(m, W, d, proj) != 0) goto out;
    for (size_t i = 0; i < (size_t)L * R; i++) m->proj[i] = (float)proj[i];
    backend_project(m, W, S, Y);
    if (backend_plda(m, Y, d, o->plda) != 0) goto out;
    for (size_t s = 0; s < S; s++) bio_backend_plda(m, Y + s * L, Emb + s * L, &Cs[s]);
    pick_calibration(d, calib);
    if (backend_cohort(m, d, Y, calib, o) != 0) goto out;
    m->asnorm_top = o->asnorm_top < m->K ? o->asnorm_top : m->K;
    for (size_t s = 0; s < S; s++) Nrm[s] = bio_backend_norm(m, Emb + s * L, Cs[s], work);
    TR_LOG(o, "backend: LDA %d -> %d, %s scoring, cohort %d entries, AS-norm top %d", R, L,
           o->plda ? "PLDA" : "cosine", m->K, m->asnorm_top);
    rc = backend_calibrate(m, d, N, Fw, Emb, Cs, Nrm, calib, o);
out:
    free(W), free(Emb), free(Y), free(Cs), free(Nrm), free(work), free(proj), free(calib);
    return rc;
}
