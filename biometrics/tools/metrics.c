/* metrics.c -- EER, minDCF and FAR-bounded thresholds by a sweep over sorted scores. */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bio_metrics_far(const double *non, size_t nnon, double thr)
{
    size_t n = 0;
    for (size_t i = 0; i < nnon; i++) n += non[i] >= thr;
    return nnon ? (double)n / nnon : 0;
}

double bio_metrics_frr(const double *tar, size_t ntar, double thr)
{
    size_t n = 0;
    for (size_t i = 0; i < ntar; i++) n += tar[i] < thr;
    return ntar ? (double)n / ntar : 0;
}

double bio_metrics_threshold_at_far(const double *non, size_t nnon, double far)
{
    if (nnon == 0) return 0;
    size_t allowed = (size_t)floor(far * nnon);
    if (allowed >= nnon) return non[0];
    return nextafter(non[nnon - allowed - 1], INFINITY);
}

typedef struct {
    double s;
    int tar;
} labelled;

static int cmp_l(const void *a, const void *b)
{
    const labelled *x = a, *y = b;
    return (x->s > y->s) - (x->s < y->s);
}

static void consider(bio_metrics *out, double thr, double pmiss, double pfa, double p_target,
                     double *best_gap)
{
    double norm = p_target < 1 - p_target ? p_target : 1 - p_target;
    double gap = fabs(pmiss - pfa);
    if (gap < *best_gap) {
        *best_gap = gap;
        out->eer = (pmiss + pfa) / 2;
        out->eer_threshold = thr;
    }
    double dcf = (pmiss * p_target + pfa * (1 - p_target)) / norm;
    if (dcf < out->min_dcf) {
        out->min_dcf = dcf;
        out->min_dcf_threshold = thr;
    }
}

void bio_metrics_compute(double *tar, size_t ntar, double *non, size_t nnon, double p_target,
                         bio_metrics *out)
{
    qsort(tar, ntar, sizeof(double), cmp_d);
    qsort(non, nnon, sizeof(double), cmp_d);
    *out = (bio_metrics){ntar, nnon, 1, 0, 1, 0};
    if (!ntar || !nnon) return;
    size_t n = ntar + nnon;
    labelled *all = malloc(sizeof(labelled) * n);
    if (!all) return;
    for (size_t i = 0; i < ntar; i++) all[i] = (labelled){tar[i], 1};
    for (size_t i = 0; i < nnon; i++) all[ntar + i] = (labelled){non[i], 0};
    qsort(all, n, sizeof(labelled), cmp_l);
    /* Threshold = each distinct score (accept >= it), then +inf (reject all). */
    size_t tar_below = 0, non_below = 0;
    double best_gap = 2;
    for (size_t k = 0; k < n;) {
        double thr = all[k].s;
        consider(out, thr, (double)tar_below / ntar, (double)(nnon - non_below) / nnon, p_target,
                 &best_gap);
        for (; k < n && all[k].s == thr; k++) {
            if (all[k].tar) tar_below++;
            else non_below++;
        }
    }
    consider(out, INFINITY, 1.0, 0.0, p_target, &best_gap);
    free(all);
}
