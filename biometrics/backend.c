/* backend.c -- projection, PLDA coordinates, AS-norm and calibration (see backend.h). */
#include "backend.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>

int bio_backend_embed(const bio_model *m, const float *w, float *e, float *c)
{
    const int R = m->iv.R, L = m->L;
    float x[1024], y[1024];
    for (int r = 0; r < R; r++) x[r] = w[r] - m->ivec_mean[r];
    cblas_sgemv(CblasRowMajor, CblasNoTrans, L, R, 1.0f, m->proj, R, x, 1, 0.0f, y, 1);
    float n = cblas_snrm2(L, y, 1);
    if (!(n > 0)) return -1;
    cblas_sscal(L, 1.0f / n, y, 1);
    bio_backend_plda(m, y, e, c);
    return 0;
}

void bio_backend_plda(const bio_model *m, const float *y, float *e, float *c)
{
    const int L = m->L;
    float d[1024] = {0};
    for (int l = 0; l < L; l++) d[l] = y[l] - m->plda_mean[l];
    cblas_sgemv(CblasRowMajor, CblasNoTrans, L, L, 1.0f, m->plda_V, L, d, 1, 0.0f, e, 1);
    double self = 0;
    for (int l = 0; l < L; l++) {
        self += (double)m->plda_q[l] * e[l] * e[l];
        e[l] *= m->plda_sp[l];
    }
    *c = (float)self;
}

double bio_backend_raw(const bio_model *m, const float *e1, float c1, const float *e2, float c2)
{
    return cblas_sdot(m->L, e1, 1, e2, 1) + (double)c1 + c2;
}

static int cmp_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

bio_norm bio_backend_norm(const bio_model *m, const float *e, float c, float *scratch)
{
    if (m->K == 0 || m->asnorm_top == 0) return (bio_norm){0.0f, 1.0f};
    for (int k = 0; k < m->K; k++) scratch[k] = m->cohort_c[k] + c;
    cblas_sgemv(CblasRowMajor, CblasNoTrans, m->K, m->L, 1.0f, m->cohort, m->L, e, 1, 1.0f,
                scratch, 1);
    qsort(scratch, (size_t)m->K, sizeof(float), cmp_desc);
    int n = m->asnorm_top;
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        s += scratch[i];
        s2 += (double)scratch[i] * scratch[i];
    }
    double mu = s / n, var = s2 / n - mu * mu;
    return (bio_norm){(float)mu, (float)sqrt(var > 1e-8 ? var : 1e-8)};
}

double bio_backend_snorm(double raw, bio_norm a, bio_norm b)
{
    return 0.5 * ((raw - a.mu) / a.sd + (raw - b.mu) / b.sd);
}

double bio_backend_calibrate(const bio_model *m, double s, double speech_seconds)
{
    double t = speech_seconds < m->calib_dmin ? m->calib_dmin : speech_seconds;
    if (t > m->calib_dmax) t = m->calib_dmax;
    double lt = log(t);
    double z = m->calib_a * s + m->calib_b + (m->calib_dur + m->calib_dur_s * s) * lt;
    return 100.0 / (1.0 + exp(-z));
}
