/* spoof.c -- spoofing countermeasure: streaming LFCC statistics + a small network (design in
 * spoof.h). Model file (little-endian): "CPSPOOF1", u32 dim, u32 hidden, then f32 arrays mean,
 * sd, w1, b1, w2 and f32 b2, cal_a, cal_b, threshold, min_speech, then the SHA-256 of every
 * byte before it, so a truncated or altered file is refused instead of scoring wrongly. */
#include "spoof.h"

#include <fftw3.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vad.h"

#define FRAME 200
#define HOP 80
#define NFFT 256
#define NBINS (NFFT / 2 + 1)
#define NFILT 30
#define NC BIO_SPOOF_NCEP
#define NB BIO_SPOOF_NBANDS
#define PREEMPH 0.97
#define MAGIC "CPSPOOF1"

#define CPP_QLO 20   /* quefrency range of the pitch peak: 400 Hz ... */
#define CPP_QHI 160  /* ... 50 Hz */
#define CPP_VOICED 0.3f /* prominence above which a frame counts as voiced */
#define CPP_BINS 8
#define CPP_BIN_W 0.1f
#define HB_LO 64     /* high band for flatness: 2000 ... */
#define HB_HI 109    /* ... 3400 Hz */
#define LP_ORDER 12  /* all-pole envelope of the residual statistics */
#define RES_BINS BIO_SPOOF_RES_BINS

/* Residual statistics: log kurtosis, log crest factor and log prediction gain of the
 * order-12 LP residual; histogram range of each (values outside go to the end bins). */
static const float res_lo[3] = {0.9f, 1.0f, 0.5f}, res_hi[3] = {3.5f, 2.3f, 6.0f};

/* Running sums of one residual quantity over voiced or unvoiced speech frames. */
typedef struct {
    double sum, sq, hist[RES_BINS];
} res_stat;

/* Excitation statistics of the speech frames (running sums). */
typedef struct {
    double cpp, cpp2, hist[CPP_BINS];
    double flat, flat2;
    double voiced, jit, jit_small, jit_big, njit;
    int last_lag; /* of the previous speech frame if voiced, else 0 */
    res_stat res[2][3]; /* [unvoiced, voiced][kurtosis, crest, prediction gain] */
    double nres[2];
} exc_stats;

struct bio_spoof_model {
    float window[FRAME];
    float deemph[NBINS];        /* 1 / |1 - a e^-jw|^2, the VAD's view of the frame */
    float filt[NFILT][NBINS];   /* linear triangles over 0-4 kHz */
    int lo[NFILT], hi[NFILT];   /* each triangle's non-zero bins (the sum skips the rest) */
    float dct[NC][NFILT];
    fftwf_plan plan;
    fftwf_plan iplan; /* c2r: log power spectrum -> real cepstrum */
    bio_spoof_params p;
    int trained;
};

struct bio_spoof_stream {
    const bio_spoof_model *m;
    float buf[FRAME];
    int fill;
    bio_vad vad;
    float ring[3][NC];          /* last speech frames' cepstra, for deltas */
    int nring;
    double sum[3 * NC], sq[3 * NC];
    double nstat;               /* frames in sum/sq (speech frames with both neighbours) */
    double band_s[NB], band_n[NB];
    double nspeech, npause;
    exc_stats exc;
    bio_spoof_frame_hook hook; /* training: every frame that enters the sums */
    void *hook_ctx;
};

/* Error message into err (may be NULL): a macro, not a function, so there is no second copy of
 * model.c's helper. */
#define seterr(err, errlen, ...) ((err) && (errlen) ? (void)snprintf((err), (errlen), __VA_ARGS__) : (void)0)

const char *bio_spoof_verdict_name(bio_spoof_verdict v)
{
    switch (v) {
    case BIO_SPOOF_BONAFIDE: return "bonafide";
    case BIO_SPOOF_SPOOF: return "spoof";
    default: return "insufficient_speech";
    }
}

/* ------------------------------------------------------------------ model */

static int model_tables(bio_spoof_model *m)
{
    for (int n = 0; n < FRAME; n++) m->window[n] = (float)(0.54 - 0.46 * cos(2 * M_PI * n / (FRAME - 1)));
    for (int k = 0; k < NBINS; k++)
        m->deemph[k] = (float)(1.0 / (1.0 + PREEMPH * PREEMPH - 2.0 * PREEMPH * cos(2 * M_PI * k / NFFT)));
    double step = (double)(NBINS - 1) / (NFILT + 1);
    for (int f = 0; f < NFILT; f++)
        for (int k = 0; k < NBINS; k++) {
            double x = (k - step * f) / step; /* 0..2 across the triangle */
            m->filt[f][k] = (float)(x > 0 && x < 2 ? 1 - fabs(x - 1) : 0);
            if (m->filt[f][k] > 0 && !m->hi[f]) m->lo[f] = k;
            if (m->filt[f][k] > 0) m->hi[f] = k + 1;
        }
    for (int c = 0; c < NC; c++)
        for (int f = 0; f < NFILT; f++)
            m->dct[c][f] = (float)(sqrt((c ? 2.0 : 1.0) / NFILT) * cos(M_PI * c * (f + 0.5) / NFILT));
    float in[NFFT];
    fftwf_complex out[NBINS];
    m->plan = fftwf_plan_dft_r2c_1d(NFFT, in, out, FFTW_ESTIMATE | FFTW_UNALIGNED);
    m->iplan = fftwf_plan_dft_c2r_1d(NFFT, out, in, FFTW_ESTIMATE | FFTW_UNALIGNED);
    return m->plan && m->iplan ? 0 : -1;
}

static size_t weight_count(int hidden)
{
    return hidden ? (size_t)hidden * BIO_SPOOF_DIM + 2 * (size_t)hidden : BIO_SPOOF_DIM;
}

/* Copy p (and its arrays) into m. */
static int model_set(bio_spoof_model *m, const bio_spoof_params *p)
{
    m->p = *p;
    int h = p->hidden;
    size_t nw = weight_count(h);
    float *w = calloc(nw, sizeof *w);
    if (!w) return -1;
    m->p.w1 = h ? w : NULL;
    m->p.b1 = h ? w + (size_t)h * BIO_SPOOF_DIM : NULL;
    m->p.w2 = h ? w + (size_t)h * BIO_SPOOF_DIM + h : w;
    if (h) {
        memcpy(m->p.w1, p->w1, (size_t)h * BIO_SPOOF_DIM * sizeof *w);
        memcpy(m->p.b1, p->b1, (size_t)h * sizeof *w);
    }
    if (p->w2) memcpy(m->p.w2, p->w2, (size_t)(h ? h : BIO_SPOOF_DIM) * sizeof *w);
    return 0;
}

static bio_spoof_model *model_alloc(void)
{
    bio_spoof_model *m = calloc(1, sizeof *m);
    if (m && model_tables(m) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

bio_spoof_model *bio_spoof_model_new(const bio_spoof_params *p)
{
    bio_spoof_params blank = {.hidden = 0, .cal_a = 1, .threshold = 50, .min_speech = 1.5f};
    for (int i = 0; i < BIO_SPOOF_DIM; i++) blank.sd[i] = 1;
    bio_spoof_model *m = model_alloc();
    if (!m) return NULL;
    if (model_set(m, p ? p : &blank) != 0) {
        bio_spoof_model_free(m);
        return NULL;
    }
    m->trained = p != NULL;
    return m;
}

void bio_spoof_model_free(bio_spoof_model *m)
{
    if (!m) return;
    if (m->plan) fftwf_destroy_plan(m->plan);
    if (m->iplan) fftwf_destroy_plan(m->iplan);
    free(m->p.w1 ? m->p.w1 : m->p.w2);
    free(m);
}

const bio_spoof_params *bio_spoof_model_params(const bio_spoof_model *m) { return &m->p; }
double bio_spoof_model_threshold(const bio_spoof_model *m) { return m->p.threshold; }

/* Serialise into a malloc'd buffer (without the seal). */
static uint8_t *model_bytes(const bio_spoof_params *p, size_t *len)
{
    size_t nf = 2 * BIO_SPOOF_DIM + weight_count(p->hidden) + 5;
    *len = 16 + 4 * nf;
    uint8_t *b = malloc(*len + 32), *q = b + 16;
    if (!b) return NULL;
    memcpy(b, MAGIC, 8);
    uint32_t hdr[2] = {BIO_SPOOF_DIM, (uint32_t)p->hidden};
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 4; k++) b[8 + 4 * i + k] = (uint8_t)(hdr[i] >> (8 * k));
    const float tail[5] = {p->b2, p->cal_a, p->cal_b, p->threshold, p->min_speech};
    const float *parts[6] = {p->mean, p->sd, p->hidden ? p->w1 : NULL, p->hidden ? p->b1 : NULL, p->w2, tail};
    size_t counts[6] = {BIO_SPOOF_DIM, BIO_SPOOF_DIM, (size_t)p->hidden * BIO_SPOOF_DIM, (size_t)p->hidden,
                        (size_t)(p->hidden ? p->hidden : BIO_SPOOF_DIM), 5};
    for (int i = 0; i < 6; i++)
        for (size_t j = 0; j < counts[i]; j++) {
            uint32_t u;
            memcpy(&u, &parts[i][j], 4);
            for (int k = 0; k < 4; k++) *q++ = (uint8_t)(u >> (8 * k));
        }
    return b;
}

static void sha256(const uint8_t *d, size_t n, uint8_t out[32])
{
    unsigned int len = 32;
    EVP_Digest(d, n, out, &len, EVP_sha256(), NULL);
}

int bio_spoof_model_save(const bio_spoof_model *m, const char *path, char *err, size_t errlen)
{
    size_t len;
    uint8_t *b = model_bytes(&m->p, &len);
    if (!b) return seterr(err, errlen, "out of memory"), -1;
    sha256(b, len, b + len);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(b, 1, len + 32, f) == len + 32;
    if (f && fclose(f) != 0) ok = 0;
    free(b);
    if (!ok) seterr(err, errlen, "cannot write spoof model %s", path);
    return ok ? 0 : -1;
}

static float get_f32(const uint8_t *q)
{
    uint32_t u = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
    float v;
    memcpy(&v, &u, 4);
    return v;
}

/* Parse a sealed model image; 0 or -1 with err set. */
static int model_parse(bio_spoof_model *m, const uint8_t *b, size_t n, char *err, size_t errlen)
{
    if (n < 16 + 32 || memcmp(b, MAGIC, 8) != 0) return seterr(err, errlen, "not a spoof model"), -1;
    uint32_t dim = b[8] | b[9] << 8 | b[10] << 16 | (uint32_t)b[11] << 24;
    uint32_t hid = b[12] | b[13] << 8 | b[14] << 16 | (uint32_t)b[15] << 24;
    if (dim != BIO_SPOOF_DIM || hid > BIO_SPOOF_MAX_HIDDEN)
        return seterr(err, errlen, "spoof model of another feature layout"), -1;
    size_t nf = 2 * BIO_SPOOF_DIM + weight_count((int)hid) + 5;
    uint8_t seal[32];
    if (n != 16 + 4 * nf + 32) return seterr(err, errlen, "spoof model truncated or oversized"), -1;
    sha256(b, n - 32, seal);
    if (memcmp(seal, b + n - 32, 32) != 0) return seterr(err, errlen, "spoof model corrupt (checksum)"), -1;
    float *v = malloc(nf * sizeof *v);
    if (!v) return seterr(err, errlen, "out of memory"), -1;
    for (size_t i = 0; i < nf; i++) v[i] = get_f32(b + 16 + 4 * i);
    bio_spoof_params p = {.hidden = (int)hid};
    const float *q = v;
    memcpy(p.mean, q, sizeof p.mean), q += BIO_SPOOF_DIM;
    memcpy(p.sd, q, sizeof p.sd), q += BIO_SPOOF_DIM;
    if (hid) p.w1 = (float *)q, q += (size_t)hid * BIO_SPOOF_DIM, p.b1 = (float *)q, q += hid;
    p.w2 = (float *)q, q += hid ? hid : BIO_SPOOF_DIM;
    p.b2 = q[0], p.cal_a = q[1], p.cal_b = q[2], p.threshold = q[3], p.min_speech = q[4];
    int bad = 0;
    for (size_t i = 0; i < nf; i++) bad |= !isfinite(v[i]);
    for (int i = 0; i < BIO_SPOOF_DIM; i++) bad |= !(p.sd[i] > 0);
    bad |= !(p.threshold >= 0 && p.threshold <= 100 && p.min_speech >= 0);
    int rc = bad ? -1 : model_set(m, &p);
    free(v);
    if (bad) seterr(err, errlen, "spoof model has invalid values");
    else if (rc) seterr(err, errlen, "out of memory");
    return rc;
}

bio_spoof_model *bio_spoof_model_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) return seterr(err, errlen, "cannot open spoof model %s", path), NULL;
    uint8_t *b = malloc(1 << 20);
    size_t n = b ? fread(b, 1, 1 << 20, f) : 0;
    fclose(f);
    bio_spoof_model *m = b ? model_alloc() : NULL;
    if (!m) seterr(err, errlen, "out of memory");
    else if (model_parse(m, b, n, err, errlen) != 0) {
        bio_spoof_model_free(m);
        m = NULL;
    } else
        m->trained = 1;
    free(b);
    return m;
}

/* ------------------------------------------------------------------ stream */

bio_spoof_stream *bio_spoof_stream_new(const bio_spoof_model *m)
{
    bio_spoof_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->m = m;
    bio_spoof_stream_reset(s);
    return s;
}

void bio_spoof_stream_free(bio_spoof_stream *s) { free(s); }

void bio_spoof_stream_frames(bio_spoof_stream *s, bio_spoof_frame_hook hook, void *ctx)
{
    s->hook = hook, s->hook_ctx = ctx;
}

void bio_spoof_stream_reset(bio_spoof_stream *s)
{
    const bio_spoof_model *m = s->m;
    bio_spoof_frame_hook hook = s->hook;
    void *ctx = s->hook_ctx;
    memset(s, 0, sizeof *s);
    s->m = m, s->hook = hook, s->hook_ctx = ctx;
    bio_vad_init(&s->vad);
}

size_t bio_spoof_stream_memory(const bio_spoof_stream *s) { return sizeof *s; }

double bio_spoof_stream_speech_seconds(const bio_spoof_stream *s) { return s->nspeech * HOP / 8000.0; }

/* A speech frame's cepstra: the middle of the ring gets its deltas and enters the sums. */
static void add_cepstra(bio_spoof_stream *s, const float *c)
{
    memmove(s->ring[0], s->ring[1], 2 * sizeof s->ring[0]);
    memcpy(s->ring[2], c, sizeof s->ring[2]);
    if (++s->nring < 3) return;
    float frame[3 * NC];
    for (int i = 0; i < NC; i++) {
        frame[i] = s->ring[1][i];
        frame[NC + i] = 0.5f * (s->ring[2][i] - s->ring[0][i]);
        frame[2 * NC + i] = s->ring[2][i] - 2 * s->ring[1][i] + s->ring[0][i];
    }
    for (int k = 0; k < 3 * NC; k++) {
        s->sum[k] += frame[k];
        s->sq[k] += (double)frame[k] * frame[k];
    }
    s->nstat++;
    if (s->hook) s->hook(s->hook_ctx, frame);
}

/* Cepstral peak prominence (peak of the real cepstrum in the pitch range above the straight
 * line fitted to that range), pitch lag, high-band flatness: into the running sums. */
static int add_excitation(bio_spoof_stream *s, const float *pw)
{
    const bio_spoof_model *m = s->m;
    fftwf_complex lp[NBINS];
    float cep[NFFT];
    double lsum = 0, lmax = 0;
    for (int k = 0; k < NBINS; k++) {
        lp[k][0] = logf(pw[k] + 1.0f);
        lp[k][1] = 0;
    }
    for (int k = HB_LO; k < HB_HI; k++) lsum += lp[k][0], lmax += pw[k];
    double flat = exp(lsum / (HB_HI - HB_LO)) / (lmax / (HB_HI - HB_LO) + 1.0);
    fftwf_execute_dft_c2r(m->iplan, lp, cep); /* destroys lp */
    double sx = 0, sy = 0, sxx = 0, sxy = 0, n = CPP_QHI - CPP_QLO + 1, peak = -1e30;
    int lag = 0;
    for (int q = CPP_QLO; q <= CPP_QHI; q++) {
        double y = cep[q] / NFFT;
        sx += q, sy += y, sxx += (double)q * q, sxy += q * y;
        if (y > peak) peak = y, lag = q;
    }
    double b = (n * sxy - sx * sy) / (n * sxx - sx * sx), a = (sy - b * sx) / n;
    float cpp = (float)(peak - (a + b * lag));
    exc_stats *e = &s->exc;
    e->cpp += cpp, e->cpp2 += (double)cpp * cpp;
    int bin = (int)(cpp / CPP_BIN_W);
    e->hist[bin < 0 ? 0 : bin >= CPP_BINS ? CPP_BINS - 1 : bin]++;
    e->flat += flat, e->flat2 += flat * flat;
    int voiced = cpp > CPP_VOICED;
    e->voiced += voiced;
    if (voiced && e->last_lag) {
        double j = fabs((double)lag - e->last_lag) / lag;
        e->jit += j, e->jit_small += j < 0.02, e->jit_big += j > 0.2, e->njit++;
    }
    e->last_lag = voiced ? lag : 0;
    return voiced;
}

/* Levinson-Durbin on r[0..LP_ORDER] into a (a[0] = 1); returns the prediction error. */
static double levinson(const double *r, double *a)
{
    double err = r[0] * 1.0001 + 1e-9, t[LP_ORDER + 1];
    memset(a, 0, (LP_ORDER + 1) * sizeof *a);
    a[0] = 1;
    for (int i = 1; i <= LP_ORDER; i++) {
        double k = r[i];
        for (int j = 1; j < i; j++) k += a[j] * r[i - j];
        k = -k / err;
        memcpy(t, a, sizeof t);
        for (int j = 1; j < i; j++) a[j] = t[j] + k * t[i - j];
        a[i] = k;
        err *= 1 - k * k;
    }
    return err;
}

static void res_add(res_stat *r, int which, double v)
{
    r->sum += v, r->sq += v * v;
    int bin = (int)floor((v - res_lo[which]) / (res_hi[which] - res_lo[which]) * RES_BINS);
    r->hist[bin < 0 ? 0 : bin >= RES_BINS ? RES_BINS - 1 : bin]++;
}

/* The waveform of the LP residual: a pulse-train vocoder leaves it too peaky (every harmonic
 * in phase), magnitude-only resynthesis and loudspeaker-room chains too Gaussian (phases
 * smeared), and real voices sit in between -- the spectrum alone, after a telephone codec,
 * shows neither. Statistics kept apart for voiced and unvoiced frames. */
static void add_residual(bio_spoof_stream *s, const float *pw, int voiced)
{
    /* autocorrelation = inverse FFT of the power spectrum; the 200-sample frame is
     * zero-padded to 256, so lags up to 56 are free of wrap-around */
    fftwf_complex ps[NBINS];
    float ac[NFFT], e[FRAME - LP_ORDER] = {0};
    for (int k = 0; k < NBINS; k++) ps[k][0] = pw[k], ps[k][1] = 0;
    fftwf_execute_dft_c2r(s->m->iplan, ps, ac);
    double r[LP_ORDER + 1], a[LP_ORDER + 1];
    for (int l = 0; l <= LP_ORDER; l++) r[l] = ac[l];
    if (!(r[0] > 0)) return;
    double err = levinson(r, a), m2 = 0, m4 = 0, peak = 0;
    for (int k = 0; k <= LP_ORDER; k++) { /* tap by tap: the inner loop vectorises */
        float ak = (float)a[k];
        const float *x = s->buf + LP_ORDER - k;
        for (int n = 0; n < FRAME - LP_ORDER; n++) e[n] += ak * x[n];
    }
    for (int n = 0; n < FRAME - LP_ORDER; n++) {
        double e2 = (double)e[n] * e[n];
        m2 += e2, m4 += e2 * e2;
        if (e2 > peak) peak = e2;
    }
    if (!(m2 > 0)) return;
    double cnt = FRAME - LP_ORDER;
    m2 /= cnt, m4 /= cnt;
    exc_stats *x = &s->exc;
    x->nres[voiced]++;
    res_add(&x->res[voiced][0], 0, log(m4 / (m2 * m2)));
    res_add(&x->res[voiced][1], 1, 0.5 * log(peak / m2));
    res_add(&x->res[voiced][2], 2, log(r[0] / (err > 1e-9 * r[0] ? err : 1e-9 * r[0])));
}

static void exc_vector(const exc_stats *e, double nspeech, float *v)
{
    double n = nspeech > 0 ? nspeech : 1, nj = e->njit > 0 ? e->njit : 1;
    double mu = e->cpp / n, fm = e->flat / n;
    v[0] = (float)mu;
    v[1] = (float)sqrt(fmax(e->cpp2 / n - mu * mu, 0));
    for (int i = 0; i < CPP_BINS; i++) v[2 + i] = (float)(e->hist[i] / n);
    v[10] = (float)fm;
    v[11] = (float)sqrt(fmax(e->flat2 / n - fm * fm, 0));
    v[12] = (float)(e->voiced / n);
    v[13] = (float)(e->jit / nj);
    v[14] = (float)(e->jit_small / nj);
    v[15] = (float)(e->jit_big / nj);
    float *q = v + BIO_SPOOF_NEXC;
    for (int g = 0; g < 2; g++)
        for (int w = 0; w < 3; w++) {
            const res_stat *r = &e->res[g][w];
            double c = e->nres[g] > 0 ? e->nres[g] : 1, mr = r->sum / c;
            *q++ = (float)mr;
            *q++ = (float)sqrt(fmax(r->sq / c - mr * mr, 0));
            for (int b = 0; b < RES_BINS; b++) *q++ = (float)(r->hist[b] / c);
        }
}

static void process_frame(bio_spoof_stream *s)
{
    const bio_spoof_model *m = s->m;
    float in[NFFT], pw[NBINS], pe[NBINS];
    fftwf_complex out[NBINS];
    for (int n = 0; n < FRAME; n++) in[n] = s->buf[n] * m->window[n];
    memset(in + FRAME, 0, (NFFT - FRAME) * sizeof *in);
    fftwf_execute_dft_r2c(m->plan, in, out);
    for (int k = 0; k < NBINS; k++) {
        pw[k] = out[k][0] * out[k][0] + out[k][1] * out[k][1];
        pe[k] = pw[k] / m->deemph[k];
    }
    /* strong speech only: the front end's hysteresis (weak frames joined to strong ones) needs
     * look-ahead, and the countermeasure wants the clearly voiced and articulated frames */
    int speech = bio_vad_frame_class(&s->vad, pe, m->deemph, NULL) == BIO_VAD_SPEECH;
    double *band = speech ? s->band_s : s->band_n;
    for (int b = 0; b < NB; b++) {
        float e = 1.0f;
        for (int k = b * 4; k < b * 4 + 4; k++) e += pw[k];
        band[b] += logf(e);
    }
    if (!speech) {
        s->npause++;
        return;
    }
    s->nspeech++;
    add_residual(s, pw, add_excitation(s, pw));
    float lf[NFILT], c[NC];
    for (int f = 0; f < NFILT; f++) {
        float e = 1.0f;
        for (int k = m->lo[f]; k < m->hi[f]; k++) e += m->filt[f][k] * pw[k];
        lf[f] = logf(e);
    }
    for (int i = 0; i < NC; i++) {
        float v = 0;
        for (int f = 0; f < NFILT; f++) v += m->dct[i][f] * lf[f];
        c[i] = v;
    }
    add_cepstra(s, c);
}

void bio_spoof_stream_feed(bio_spoof_stream *s, const int16_t *pcm, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s->buf[s->fill++] = pcm[i];
        if (s->fill == FRAME) {
            process_frame(s);
            memmove(s->buf, s->buf + HOP, (FRAME - HOP) * sizeof *s->buf);
            s->fill = FRAME - HOP;
        }
    }
}

void bio_spoof_stream_vector(const bio_spoof_stream *s, float *v)
{
    double n = s->nstat > 0 ? s->nstat : 1;
    for (int i = 0; i < 3 * NC; i++) {
        double mu = s->sum[i] / n, var = s->sq[i] / n - mu * mu;
        v[i] = (float)mu;
        v[3 * NC + i] = (float)sqrt(var > 0 ? var : 0);
    }
    float *bs = v + 6 * NC, *bn = bs + NB;
    double ns = s->nspeech > 0 ? s->nspeech : 1, np = s->npause > 0 ? s->npause : 1, avg = 0;
    for (int b = 0; b < NB; b++) avg += s->band_s[b] / ns / NB;
    for (int b = 0; b < NB; b++) {
        bs[b] = (float)(s->band_s[b] / ns - avg);
        /* pauses relative to speech; no pauses at all reads as "very quiet" */
        bn[b] = s->npause > 0 ? (float)(s->band_n[b] / np - s->band_s[b] / ns) : -10.0f;
    }
    v[6 * NC + 2 * NB] = (float)(s->npause / (s->npause + s->nspeech + 1));
    v[6 * NC + 2 * NB + 1] = (float)log(1 + bio_spoof_stream_speech_seconds(s));
    exc_vector(&s->exc, s->nspeech, v + 6 * NC + 2 * NB + 2);
}

double bio_spoof_logit(const bio_spoof_params *p, const float *vec)
{
    float x[BIO_SPOOF_DIM];
    for (int i = 0; i < BIO_SPOOF_DIM; i++) x[i] = (vec[i] - p->mean[i]) / p->sd[i];
    double out = p->b2;
    if (!p->hidden) {
        for (int i = 0; i < BIO_SPOOF_DIM; i++) out += p->w2[i] * x[i];
        return out;
    }
    for (int h = 0; h < p->hidden; h++) {
        const float *w = p->w1 + (size_t)h * BIO_SPOOF_DIM;
        double a = p->b1[h];
        for (int i = 0; i < BIO_SPOOF_DIM; i++) a += w[i] * x[i];
        out += p->w2[h] * tanh(a);
    }
    return out;
}

void bio_spoof_stream_score(const bio_spoof_stream *s, double threshold, bio_spoof_result *out)
{
    const bio_spoof_params *p = &s->m->p;
    float v[BIO_SPOOF_DIM];
    out->speech_seconds = bio_spoof_stream_speech_seconds(s);
    out->score = 0;
    if (s->m->trained && s->nstat > 0) {
        bio_spoof_stream_vector(s, v);
        double z = p->cal_a * bio_spoof_logit(p, v) + p->cal_b;
        out->score = 100.0 / (1.0 + exp(-z));
    }
    if (threshold < 0) threshold = p->threshold;
    if (out->speech_seconds < p->min_speech) out->result = BIO_SPOOF_INSUFFICIENT_SPEECH;
    else out->result = out->score >= threshold ? BIO_SPOOF_SPOOF : BIO_SPOOF_BONAFIDE;
}
