/* vocoder.c -- resynthesis of real speech for anti-spoofing training data (a generator, not
 * part of the engine). Reads raw 8 kHz s16 mono on stdin, writes the same format on stdout.
 *
 * Modes (argv[1]):
 *   lpc   LPC-10 style: order-12 all-pole envelope per 10 ms hop, excitation replaced by a
 *         pulse train at the frame's autocorrelation pitch (times argv[2], the pitch ratio)
 *         when voiced, white noise otherwise; gain matched to the residual. The buzzy,
 *         phase-free excitation is the artefact statistical-parametric and vocoded speech
 *         carries.
 *   pvoc  STFT magnitude kept, phase rebuilt by a phase vocoder with no phase locking (each bin
 *         advances by its own instantaneous frequency): the "phasiness" of magnitude-only
 *         resynthesis (Griffin-Lim, many neural vocoders' weak point).
 *   hnm   harmonic-plus-noise vocoder in the manner of the statistical-parametric systems
 *         (WORLD, STRAIGHT, HTS): F0 per 5 ms hop, median-filtered and smoothed (no jitter
 *         or shimmer), times argv[2]; spectral envelope by pitch-adaptive smoothing and
 *         cepstral liftering; harmonics up to a voicing cut-off (argv[4] Hz) with minimum
 *         phase (argv[5] = 0) or zero phase (argv[5] = 1) from the envelope, envelope-shaped
 *         noise above the cut-off and in unvoiced frames; energy matched per hop. Too regular
 *         and too smooth: the other side of real speech from the replayed and phase-smeared
 *         kinds.
 *   melgl mel spectrogram (argv[4] triangular bands, log-compressed and quantised) inverted
 *         to a linear magnitude by the transposed filter bank, then argv[5] Griffin-Lim
 *         iterations from random phase (fast Griffin-Lim, momentum 0.99): the front half of
 *         a neural text-to-speech pipeline with the classic phase reconstruction.
 *   splice concatenation of units of the real speech (40-200 ms, cut at random), each unit
 *         kept, repeated or dropped and neighbours sometimes swapped, joined by 3-8 ms
 *         cross-fades: the discontinuities of unit-selection synthesis and of cut-and-paste
 *         attacks.
 * argv[3] (optional) seeds the noise generator so runs are reproducible.
 * Build: cc -O2 -o vocoder vocoder.c -lfftw3 -lm
 */
#include <fftw3.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORDER 12
#define HOP 80
#define WIN 240
#define PI 3.14159265358979

static unsigned long rng = 12345;
static double urand(void) { rng = rng * 6364136223846793005UL + 1442695040888963407UL;
                            return ((rng >> 11) & 0xFFFFFFFFFFFFFUL) / (double)0x10000000000000UL; }

static float *read_all(size_t *n) {
    size_t cap = 1 << 16, len = 0; int16_t *b = malloc(cap * 2); size_t r;
    while ((r = fread(b + len, 2, cap - len, stdin)) > 0) { len += r; if (len == cap) { cap *= 2; b = realloc(b, cap * 2); } }
    float *x = calloc(len + 4 * WIN, sizeof *x);
    for (size_t i = 0; i < len; i++) x[i] = b[i];
    free(b); *n = len; return x;
}

static void write_all(const float *y, size_t n) {
    double peak = 1; for (size_t i = 0; i < n; i++) if (fabs(y[i]) > peak) peak = fabs(y[i]);
    double g = peak > 30000 ? 30000 / peak : 1;
    for (size_t i = 0; i < n; i++) { int16_t s = (int16_t)lrint(y[i] * g); fwrite(&s, 2, 1, stdout); }
}

/* Levinson-Durbin on the autocorrelation r[0..ORDER]; a[0] = 1. Returns prediction error. */
static double levinson(const double *r, double *a) {
    double e = r[0] * 1.0001 + 1e-9, t[ORDER + 1];
    memset(a, 0, (ORDER + 1) * sizeof *a); a[0] = 1;
    for (int i = 1; i <= ORDER; i++) {
        double k = r[i]; for (int j = 1; j < i; j++) k += a[j] * r[i - j];
        k = -k / e; memcpy(t, a, sizeof t);
        for (int j = 1; j < i; j++) a[j] = t[j] + k * t[i - j];
        a[i] = k; e *= 1 - k * k;
    }
    return e;
}

static int pitch_lag(const float *x, double *voicing) {
    double best = 0, r0 = 1e-9; int lag = 0;
    for (int i = 0; i < WIN; i++) r0 += x[i] * x[i];
    for (int l = 20; l <= 160; l++) { double r = 0; for (int i = 0; i + l < WIN; i++) r += x[i] * x[i + l];
        r /= r0; if (r > best) { best = r; lag = l; } }
    *voicing = best; return lag;
}

static void lpc_mode(const float *x, size_t n, double ratio, float *y) {
    double a[ORDER + 1], mem[ORDER] = {0}, phase = 0;
    for (size_t f = 0; f + WIN <= n + WIN; f += HOP) {
        float w[WIN]; double r[ORDER + 1];
        for (int i = 0; i < WIN; i++) w[i] = x[f + i] * (0.54 - 0.46 * cos(2 * PI * i / (WIN - 1)));
        for (int k = 0; k <= ORDER; k++) { r[k] = 0; for (int i = k; i < WIN; i++) r[k] += w[i] * w[i - k]; }
        double e = levinson(r, a), v; int lag = pitch_lag(w, &v);
        double gain = sqrt(e / WIN * 2.5);
        double period = lag > 0 ? lag / ratio : 80;
        for (int i = 0; i < HOP && f + i < n; i++) {
            double ex;
            if (v > 0.45) { phase += 1; ex = 0; if (phase >= period) { phase -= period; ex = gain * sqrt(period); } }
            else ex = gain * (urand() * 2 - 1) * 1.7;
            double s = ex; for (int k = 1; k <= ORDER; k++) s -= a[k] * mem[k - 1];
            memmove(mem + 1, mem, (ORDER - 1) * sizeof *mem); mem[0] = s; y[f + i] = (float)s;
        }
    }
}

/* Naive DFT-free phase vocoder on 256-point frames via a direct O(N^2) DFT: slow but tiny;
 * the generator runs offline on a few seconds at a time. */
#define NF 256
#define PH 64
static void pvoc_mode(const float *x, size_t n, float *y) {
    static double cs[NF], sn[NF], win[NF], lastph[NF / 2 + 1], sumph[NF / 2 + 1];
    for (int i = 0; i < NF; i++) { cs[i] = cos(2 * PI * i / NF); sn[i] = sin(2 * PI * i / NF);
        win[i] = 0.5 - 0.5 * cos(2 * PI * i / NF); }
    for (int k = 0; k <= NF / 2; k++) sumph[k] = urand() * 2 * PI;
    for (size_t f = 0; f + NF <= n + NF; f += PH) {
        double mag[NF / 2 + 1], ph[NF / 2 + 1];
        for (int k = 0; k <= NF / 2; k++) {
            double re = 0, im = 0;
            for (int i = 0; i < NF; i++) { double s = x[f + i] * win[i]; int idx = (k * i) % NF; re += s * cs[idx]; im -= s * sn[idx]; }
            mag[k] = sqrt(re * re + im * im); ph[k] = atan2(im, re);
            double d = ph[k] - lastph[k] - 2 * PI * k * PH / NF; lastph[k] = ph[k];
            d -= 2 * PI * floor(d / (2 * PI) + 0.5);
            /* smoothed instantaneous frequency: the per-bin deviation is halved, so partials
             * drift and the phase relations between bins are lost */
            sumph[k] += 2 * PI * k * PH / NF + 0.5 * d;
        }
        for (int i = 0; i < NF; i++) {
            double s = 0;
            for (int k = 0; k <= NF / 2; k++) { int idx = (k * i) % NF; double c = (k == 0 || k == NF / 2) ? 1 : 2;
                s += c * mag[k] * (cos(sumph[k]) * cs[idx] - sin(sumph[k]) * sn[idx]); }
            if (f + i < n) y[f + i] += (float)(s / NF * win[i] * 2.0 / 3.0);
        }
    }
}

/* In-place complex DFT of size m on split arrays (FFTW through a buffer of its own), the
 * inverse unscaled. One plan per size and direction, kept for the process's life (a few
 * sizes; the generator is a short-lived filter). */
static void fft(double *re, double *im, int m, int inv) {
    static struct { int m, inv; fftw_complex *buf; fftw_plan p; } plans[8];
    int i = 0;
    while (i < 8 && plans[i].m && (plans[i].m != m || plans[i].inv != inv)) i++;
    if (i == 8) { fprintf(stderr, "vocoder: too many FFT sizes\n"); exit(1); }
    if (!plans[i].m) {
        plans[i].m = m, plans[i].inv = inv;
        plans[i].buf = fftw_alloc_complex((size_t)m);
        plans[i].p = fftw_plan_dft_1d(m, plans[i].buf, plans[i].buf, inv ? FFTW_BACKWARD : FFTW_FORWARD,
                                      FFTW_ESTIMATE);
    }
    fftw_complex *c = plans[i].buf;
    for (int k = 0; k < m; k++) c[k][0] = re[k], c[k][1] = im[k];
    fftw_execute(plans[i].p);
    for (int k = 0; k < m; k++) re[k] = c[k][0], im[k] = c[k][1];
}

#define FS 8000.0
#define HH 40      /* hnm hop: 5 ms */
#define EW 256     /* envelope analysis window */
#define EN 512     /* envelope FFT size */
#define NC 24      /* cepstral coefficients kept */
#define NW 80      /* noise synthesis frame (Hann, 50 % overlap) */
#define NN 128

/* Normalised autocorrelation pitch over 40 ms around centre c: lag in samples, 0 if unvoiced. */
static double hnm_lag(const float *x, size_t n, size_t c, double floor_e) {
    const int W = 320; double best = 0; int lag = 0;
    long s0 = (long)c - W / 2;
    float w[320 + 160];
    for (int i = 0; i < W + 160; i++) { long k = s0 + i; w[i] = (k >= 0 && (size_t)k < n) ? x[k] : 0; }
    double e0 = 1e-9; for (int i = 0; i < W; i++) e0 += w[i] * w[i];
    if (e0 / W < floor_e) return 0;
    for (int l = 20; l <= 160; l++) {
        double r = 0, el = 1e-9;
        for (int i = 0; i < W; i++) { r += w[i] * w[i + l]; el += w[i + l] * w[i + l]; }
        r /= sqrt(e0 * el);
        if (r > best * 1.02 + 0.0) { best = r; lag = l; }
    }
    return best > 0.55 ? lag : 0;
}

static int cmp_d(const void *a, const void *b) { double d = *(const double *)a - *(const double *)b; return (d > 0) - (d < 0); }

/* F0 track: median of 5 over voiced frames, runs shorter than 4 hops dropped, then a 9-hop
 * triangular smoothing of log F0 inside each voiced run (no jitter, no micro-prosody). */
static void hnm_f0(const float *x, size_t n, double *f0, size_t nf) {
    double emax = 1e-9;
    for (size_t f = 0; f < nf; f++) { double e = 0; for (int i = 0; i < HH; i++) { size_t k = f * HH + i; if (k < n) e += x[k] * x[k]; }
        if (e / HH > emax) emax = e / HH; }
    double *lag = calloc(nf, sizeof *lag), *tmp = calloc(nf, sizeof *tmp);
    for (size_t f = 0; f < nf; f++) lag[f] = hnm_lag(x, n, f * HH, emax * 1e-3);
    for (size_t f = 0; f < nf; f++) {
        double v[5]; int m = 0;
        for (long k = (long)f - 2; k <= (long)f + 2; k++) if (k >= 0 && (size_t)k < nf && lag[k] > 0) v[m++] = lag[k];
        tmp[f] = lag[f] > 0 && m >= 3 ? (qsort(v, m, sizeof *v, cmp_d), v[m / 2]) : 0;
    }
    for (size_t f = 0; f < nf;) {
        size_t e = f; while (e < nf && tmp[e] > 0) e++;
        if (e == f) { f0[f] = 0; f++; continue; }
        for (size_t k = f; k < e; k++) {
            if (e - f < 4) { f0[k] = 0; continue; }
            double s = 0, ws = 0;
            for (long j = (long)k - 4; j <= (long)k + 4; j++) if (j >= (long)f && j < (long)e) {
                double w = 5 - labs(j - (long)k); s += w * log(FS / tmp[j]); ws += w; }
            f0[k] = exp(s / ws);
        }
        f = e;
    }
    free(lag); free(tmp);
}

/* Cepstrum (NC+1 coefficients) of the log power spectrum around centre c, the power averaged
 * over one harmonic spacing first (pitch-adaptive, as CheapTrick does) so harmonics and
 * valleys do not bias the envelope. */
static void hnm_env(const float *x, size_t n, size_t c, double f0, double *cep) {
    static double re[EN], im[EN], p[EN / 2 + 1];
    memset(re, 0, sizeof re); memset(im, 0, sizeof im);
    for (int i = 0; i < EW; i++) { long k = (long)c - EW / 2 + i;
        re[i] = ((k >= 0 && (size_t)k < n) ? x[k] : 0) * (0.5 - 0.5 * cos(2 * PI * (i + 0.5) / EW)); }
    fft(re, im, EN, 0);
    int half = f0 > 0 ? (int)(f0 * EN / FS / 2) : 2;
    for (int k = 0; k <= EN / 2; k++) p[k] = re[k] * re[k] + im[k] * im[k];
    for (int k = 0; k <= EN / 2; k++) { double s = 0; int m = 0;
        for (int j = k - half; j <= k + half; j++) { int jj = j < 0 ? -j : j > EN / 2 ? EN - j : j; s += p[jj]; m++; }
        re[k] = log(s / m + 1e-3); im[k] = 0; }
    for (int k = EN / 2 + 1; k < EN; k++) { re[k] = re[EN - k]; im[k] = 0; }
    fft(re, im, EN, 1);
    for (int q = 0; q <= NC; q++) cep[q] = re[q] / EN;
}

/* log power and minimum phase (of the amplitude response) of the envelope at w rad/sample */
static double env_at(const double *cep, double w, double *phase) {
    double lp = cep[0], ph = 0;
    for (int q = 1; q <= NC; q++) { lp += 2 * cep[q] * cos(q * w); ph -= cep[q] * sin(q * w); }
    *phase = ph; return lp;
}

static void hnm_mode(const float *x, size_t n, double ratio, double cutoff, int zero_phase, float *y) {
    size_t nf = n / HH + 2;
    double *f0 = calloc(nf, sizeof *f0), *cep = calloc(nf * (NC + 1), sizeof *cep);
    const double S2 = 0.375 * EW; /* sum of the squared Hann window */
    hnm_f0(x, n, f0, nf);
    for (size_t f = 0; f < nf; f++) hnm_env(x, n, f * HH, f0[f], cep + f * (NC + 1));
    /* harmonics: complex amplitudes per hop, interpolated linearly between hops */
    enum { MH = 100 };
    double phi = 0, ar[2][MH], ai[2][MH];
    for (size_t f = 0; f + 1 < nf; f++) {
        for (int s = 0; s < 2; s++) {
            double F = f0[f + s] * ratio;
            for (int h = 1; h < MH; h++) {
                ar[s][h] = ai[s][h] = 0;
                if (F <= 0 || h * F > cutoff + 200 || h * F >= FS / 2 - 50) continue;
                double ph, lp = env_at(cep + (f + s) * (NC + 1), 2 * PI * h * F / FS, &ph);
                double a = sqrt(4 * F * exp(lp) / (FS * S2));
                if (h * F > cutoff) a *= (cutoff + 200 - h * F) / 200; /* taper into the noise band */
                if (zero_phase) ph = 0;
                ar[s][h] = a * cos(ph); ai[s][h] = a * sin(ph);
            }
        }
        for (int i = 0; i < HH; i++) {
            size_t t = f * HH + i; if (t >= n) break;
            double u = (double)i / HH, F = f0[f] > 0 && f0[f + 1] > 0 ? ((1 - u) * f0[f] + u * f0[f + 1]) * ratio
                                                                       : (f0[f] > 0 ? f0[f] : f0[f + 1]) * ratio;
            if (F <= 0) continue;
            phi += 2 * PI * F / FS; if (phi > 2 * PI) phi -= 2 * PI;
            double s = 0;
            for (int h = 1; h < MH && h * F < FS / 2 - 50; h++) {
                double re = (1 - u) * ar[0][h] + u * ar[1][h], im = (1 - u) * ai[0][h] + u * ai[1][h];
                s += re * cos(h * phi) - im * sin(h * phi);
            }
            y[t] += (float)s;
        }
    }
    /* noise: envelope-shaped white noise, above the cut-off when voiced, everywhere when not */
    double re[NN], im[NN];
    for (size_t f = 0; f < nf; f++) {
        memset(im, 0, sizeof im); memset(re, 0, sizeof re);
        for (int i = 0; i < NW; i++) re[i] = (urand() * 2 - 1) * sqrt(3.0) * (0.5 - 0.5 * cos(2 * PI * i / NW));
        fft(re, im, NN, 0);
        for (int k = 0; k <= NN / 2; k++) {
            double hz = k * FS / NN, ph, g = sqrt(exp(env_at(cep + f * (NC + 1), 2 * PI * k / NN, &ph)) / S2 / 0.75);
            if (f0[f] > 0) g *= hz < cutoff ? 0 : fmin(1, (hz - cutoff) / 200);
            re[k] *= g; im[k] *= g;
            if (k > 0 && k < NN / 2) { re[NN - k] = re[k]; im[NN - k] = -im[k]; }
        }
        fft(re, im, NN, 1);
        for (int i = 0; i < NN; i++) { long t = (long)(f * HH) - NW / 2 + i; if (t >= 0 && (size_t)t < n) y[t] += (float)(re[i] / NN); }
    }
    /* energy per 20 ms matched to the input's (the level contour is kept, not the waveform) */
    for (size_t f = 0; f < nf; f++) {
        double ei = 1e-3, eo = 1e-3;
        for (long i = -80; i < 80; i++) { long t = (long)(f * HH) + i; if (t < 0 || (size_t)t >= n) continue; ei += x[t] * x[t]; eo += y[t] * y[t]; }
        f0[f] = fmin(sqrt(ei / eo), 50);
    }
    for (size_t t = 0; t < n; t++) { size_t f = t / HH; double u = (double)(t % HH) / HH;
        y[t] *= (float)((1 - u) * f0[f] + u * f0[f + 1 < nf ? f + 1 : f]); }
    free(f0); free(cep);
}

#define GN 256
#define GH 64
/* STFT (Hann, GN points, hop GH) of x into re/im [frames][GN] */
static void stft(const float *x, size_t n, size_t nfr, double *re, double *im) {
    for (size_t f = 0; f < nfr; f++) {
        double *r = re + f * GN, *m = im + f * GN;
        for (int i = 0; i < GN; i++) { long t = (long)(f * GH) - GN / 2 + i;
            r[i] = (t >= 0 && (size_t)t < n ? x[t] : 0) * (0.5 - 0.5 * cos(2 * PI * i / GN)); m[i] = 0; }
        fft(r, m, GN, 0);
    }
}

static void istft(double *re, double *im, size_t nfr, size_t n, float *y) {
    double *wsum = calloc(n, sizeof *wsum);
    memset(y, 0, n * sizeof *y);
    for (size_t f = 0; f < nfr; f++) {
        double *r = re + f * GN, *m = im + f * GN;
        fft(r, m, GN, 1);
        for (int i = 0; i < GN; i++) { long t = (long)(f * GH) - GN / 2 + i; if (t < 0 || (size_t)t >= n) continue;
            double w = 0.5 - 0.5 * cos(2 * PI * i / GN); y[t] += (float)(r[i] / GN * w); wsum[t] += w * w; }
    }
    for (size_t t = 0; t < n; t++) y[t] = (float)(y[t] / fmax(wsum[t], 1e-3));
    free(wsum);
}

static void melgl_mode(const float *x, size_t n, int bands, int iters, float *y) {
    if (bands < 8) bands = 8;
    if (bands > 128) bands = 128;
    size_t nfr = n / GH + 3, K = GN / 2 + 1;
    double *re = calloc(nfr * GN, sizeof *re), *im = calloc(nfr * GN, sizeof *im), *mag = calloc(nfr * K, sizeof *mag);
    double *pr = calloc(nfr * GN, sizeof *pr), *pi = calloc(nfr * GN, sizeof *pi);
    double *qr = calloc(nfr * K, sizeof *qr), *qi = calloc(nfr * K, sizeof *qi); /* last projection */
    double *W = calloc((size_t)bands * K, sizeof *W);
    /* triangular filters, equally spaced on the mel scale from 0 to 4 kHz */
    double mmax = 2595 * log10(1 + 4000 / 700.0);
    for (int b = 0; b < bands; b++) {
        double c[3];
        for (int j = 0; j < 3; j++) c[j] = 700 * (pow(10, mmax * (b + j) / (bands + 1) / 2595) - 1) * GN / FS;
        double tot = 0;
        for (size_t k = 0; k < K; k++) {
            double w = k < c[1] ? (k - c[0]) / (c[1] - c[0]) : (c[2] - k) / (c[2] - c[1]);
            W[b * K + k] = w > 0 ? w : 0; tot += W[b * K + k];
        }
        if (tot <= 0) { size_t k = (size_t)lrint(c[1]); W[b * K + (k < K ? k : K - 1)] = 1; }
    }
    stft(x, n, nfr, re, im);
    double *mel = calloc(bands, sizeof *mel);
    for (size_t f = 0; f < nfr; f++) {
        for (int b = 0; b < bands; b++) { double s = 0, ws = 0;
            for (size_t k = 0; k < K; k++) { double w = W[b * K + k]; if (w > 0) { s += w * hypot(re[f * GN + k], im[f * GN + k]); ws += w; } }
            mel[b] = round(log(s / ws + 1e-2) * 20) / 20; } /* log mel, quantised to 0.05 nat */
        for (size_t k = 0; k < K; k++) { double s = 0, ws = 0;
            for (int b = 0; b < bands; b++) { double w = W[b * K + k]; s += w * exp(mel[b]); ws += w; }
            mag[f * K + k] = ws > 0 ? s / ws : 0; }
    }
    /* fast Griffin-Lim from random phase */
    for (size_t f = 0; f < nfr; f++) for (size_t k = 0; k < K; k++) { double a = urand() * 2 * PI;
        pr[f * GN + k] = cos(a); pi[f * GN + k] = sin(a); }
    float *tmp = calloc(n, sizeof *tmp);
    for (int it = 0; it <= iters; it++) {
        for (size_t f = 0; f < nfr; f++) for (size_t k = 0; k < K; k++) {
            double m = mag[f * K + k], r = pr[f * GN + k], q = pi[f * GN + k], a = hypot(r, q) + 1e-12;
            re[f * GN + k] = m * r / a; im[f * GN + k] = m * q / a;
            if (k > 0 && k < K - 1) { re[f * GN + GN - k] = re[f * GN + k]; im[f * GN + GN - k] = -im[f * GN + k]; }
        }
        istft(re, im, nfr, n, it == iters ? y : tmp);
        if (it == iters) break;
        stft(tmp, n, nfr, re, im);
        for (size_t f = 0; f < nfr; f++) for (size_t k = 0; k < K; k++) {
            double *r = &pr[f * GN + k], *q = &pi[f * GN + k], tr = re[f * GN + k], ti = im[f * GN + k];
            /* momentum: push past the projection along its change since the last iteration */
            double *lr = &qr[f * K + k], *li = &qi[f * K + k];
            double nr = tr + (it ? 0.99 * (tr - *lr) : 0), ni = ti + (it ? 0.99 * (ti - *li) : 0);
            *lr = tr; *li = ti; *r = nr; *q = ni;
        }
    }
    free(re); free(im); free(mag); free(pr); free(pi); free(W); free(mel); free(tmp); free(qr); free(qi);
}

static size_t splice_mode(const float *x, size_t n, float *y, size_t cap) {
    size_t at = 0, prev = 0, pos = 0;
    while (pos + 320 < n) {
        size_t len = 320 + (size_t)(urand() * 1280), start = pos;
        if (pos + len > n) len = n - pos;
        double u = urand();
        if (u < 0.12 && prev + len < n) start = prev;                   /* repeat the last unit */
        else if (u < 0.22 && pos + 2 * len < n) start = pos + len;      /* swap with the next */
        else if (u < 0.3) { pos += len; continue; }                     /* drop */
        size_t fade = 24 + (size_t)(urand() * 40);
        if (fade > at) fade = at;
        if (at + len - fade > cap) break;
        at -= fade;
        for (size_t i = 0; i < len; i++) {
            double w = i < fade ? (double)i / fade : 1;
            y[at + i] = (float)(i < fade ? y[at + i] * (1 - w) + x[start + i] * w : x[start + i]);
        }
        at += len; prev = start; pos += len;
    }
    return at;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: vocoder lpc|pvoc|hnm|melgl|splice [pitch_ratio] [seed] [cutoff_hz|bands] [zero_phase|iterations] < in.raw > out.raw\n"); return 2; }
    double ratio = argc > 2 ? atof(argv[2]) : 1.0;
    if (argc > 3) rng = strtoul(argv[3], NULL, 10) * 2654435761UL + 1;
    size_t n; float *x = read_all(&n); float *y = calloc(n + 4 * WIN, sizeof *y);
    if (!strcmp(argv[1], "lpc")) lpc_mode(x, n, ratio > 0.3 ? ratio : 1.0, y);
    else if (!strcmp(argv[1], "pvoc")) pvoc_mode(x, n, y);
    else if (!strcmp(argv[1], "hnm"))
        hnm_mode(x, n, ratio > 0.3 ? ratio : 1.0, argc > 4 ? atof(argv[4]) : 3000, argc > 5 && atoi(argv[5]) == 1, y);
    else if (!strcmp(argv[1], "splice")) n = splice_mode(x, n, y, n + 4 * WIN);
    else if (!strcmp(argv[1], "melgl")) melgl_mode(x, n, argc > 4 ? atoi(argv[4]) : 48, argc > 5 ? atoi(argv[5]) : 32, y);
    else { fprintf(stderr, "vocoder: unknown mode %s\n", argv[1]); return 2; }
    write_all(y, n); free(x); free(y); return 0;
}
