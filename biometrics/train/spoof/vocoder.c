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
 * argv[3] (optional) seeds the noise generator so runs are reproducible.
 * Build: cc -O2 -o vocoder vocoder.c -lm
 */
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

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: vocoder lpc|pvoc [pitch_ratio] [seed] < in.raw > out.raw\n"); return 2; }
    double ratio = argc > 2 ? atof(argv[2]) : 1.0;
    if (argc > 3) rng = strtoul(argv[3], NULL, 10) * 2654435761UL + 1;
    size_t n; float *x = read_all(&n); float *y = calloc(n + 4 * WIN, sizeof *y);
    if (!strcmp(argv[1], "lpc")) lpc_mode(x, n, ratio > 0.3 ? ratio : 1.0, y);
    else if (!strcmp(argv[1], "pvoc")) pvoc_mode(x, n, y);
    else { fprintf(stderr, "vocoder: unknown mode %s\n", argv[1]); return 2; }
    write_all(y, n); free(x); free(y); return 0;
}
