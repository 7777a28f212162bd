/* metrics.h -- detection metrics over target and non-target trial scores.
 *
 * EER (miss rate = false-accept rate), minimum normalised detection cost (NIST SRE style,
 * C_miss = C_fa = 1, normalised by min(P_target, 1 - P_target)), and the lowest threshold
 * whose false-accept rate (share of non-target scores >= threshold) is at most a bound.
 */
#ifndef CALLPRINT_BIO_METRICS_H
#define CALLPRINT_BIO_METRICS_H

#include <stddef.h>

typedef struct {
    size_t ntar, nnon;
    double eer, eer_threshold;
    double min_dcf, min_dcf_threshold;
} bio_metrics;

/* Sorts tar and non in place. */
void bio_metrics_compute(double *tar, size_t ntar, double *non, size_t nnon, double p_target,
                         bio_metrics *out);
/* Lowest threshold with FAR <= far (non must be sorted ascending). */
double bio_metrics_threshold_at_far(const double *non, size_t nnon, double far);
/* Rates at a threshold (score >= thr accepts). */
double bio_metrics_far(const double *non, size_t nnon, double thr);
double bio_metrics_frr(const double *tar, size_t ntar, double thr);

#endif
