/* spoof.h -- spoofing countermeasure: is this live speech, or synthetic / replayed audio?
 *
 * Public interface (prefix bio_spoof_), pure compute like bio.h: no sockets, no JSON, no
 * globals. A bio_spoof_model is loaded once and read-only afterwards (threads may share it;
 * load it before starting threads: the FFTW plan is made at load). A bio_spoof_stream is one
 * utterance: 8 kHz mono s16 fed in any block size; it keeps only running sums (a few KB), so
 * each feed costs work proportional to the new audio and scoring costs the same at 3 s or at
 * 30 minutes. The score depends only on the sample sequence, never on the block sizes.
 *
 * Front end (spoof.c): 25 ms Hann frames every 10 ms, 256-point FFT, the speech/non-speech
 * decision of vad.h, 30 linear-frequency triangular filters over 0-4 kHz, log, DCT to 20
 * cepstra (LFCC, the ASVspoof baseline's feature: a linear scale keeps the high band where
 * vocoders and loudspeakers leave their marks), deltas and delta-deltas. The utterance vector
 * is the mean and standard deviation of those 60 values over speech frames, the long-term
 * average log spectrum of speech in 32 bands (loudspeaker and vocoder spectral shaping), the
 * same for the pauses relative to speech (synthetic and replayed audio have no room noise or
 * someone else's room noise), the share of pauses, and the excitation: the cepstral peak
 * prominence of each speech frame (how cleanly periodic the voice source is: a vocoder's pulse
 * train is too clean, noise-excited or phase-smeared resynthesis too rough), its frame-to-frame
 * pitch changes (jitter: synthetic prosody is too smooth) and the high band's spectral
 * flatness (noise excitation), and the waveform of the order-12 linear-prediction residual
 * (log kurtosis, crest factor, prediction gain; voiced and unvoiced frames apart): a
 * pulse-excited vocoder leaves it too peaky, phase-smeared resynthesis and loudspeaker-room
 * chains too Gaussian -- a phase property that survives telephone codecs better than the
 * spectral envelope does. A small neural network (one hidden
 * layer, trained by `callprint-bio spoof-train`) maps it to a log-odds, calibrated to 0-100.
 */
#ifndef CALLPRINT_BIO_SPOOF_H
#define CALLPRINT_BIO_SPOOF_H

#include <stddef.h>
#include <stdint.h>

#define BIO_SPOOF_NCEP 20
#define BIO_SPOOF_NBANDS 32
#define BIO_SPOOF_NEXC 16 /* excitation statistics (see spoof.c, exc_vector) */
#define BIO_SPOOF_RES_BINS 4
/* LP-residual statistics: voiced/unvoiced x 3 quantities x (mean, sd, histogram) */
#define BIO_SPOOF_NRES (2 * 3 * (2 + BIO_SPOOF_RES_BINS))
/* utterance vector: mean+std of 60 cepstral values, speech and pause spectra, pause share,
 * log speech seconds, excitation statistics, residual statistics */
#define BIO_SPOOF_DIM (2 * 3 * BIO_SPOOF_NCEP + 2 * BIO_SPOOF_NBANDS + 2 + BIO_SPOOF_NEXC + BIO_SPOOF_NRES)
#define BIO_SPOOF_MAX_HIDDEN 256
#define BIO_SPOOF_FRAME_DIM (3 * BIO_SPOOF_NCEP)

typedef struct bio_spoof_model bio_spoof_model;
typedef struct bio_spoof_stream bio_spoof_stream;

typedef enum {
    BIO_SPOOF_INSUFFICIENT_SPEECH = 0,
    BIO_SPOOF_BONAFIDE,
    BIO_SPOOF_SPOOF,
} bio_spoof_verdict;

typedef struct {
    bio_spoof_verdict result;
    double score;          /* 0-100, higher = more likely spoofed */
    double speech_seconds; /* net speech the score is based on */
} bio_spoof_result;

/* The classifier's parameters (what a model file holds besides its header and seal). */
typedef struct {
    int hidden;                 /* 0: logistic regression on the standardised vector */
    float mean[BIO_SPOOF_DIM], sd[BIO_SPOOF_DIM];
    float *w1, *b1, *w2;        /* hidden x DIM, hidden, hidden (or DIM when hidden == 0) */
    float b2;
    float cal_a, cal_b;         /* score = 100 / (1 + exp(-(cal_a * logit + cal_b))) */
    float threshold;            /* default decision threshold on the 0-100 score */
    float min_speech;           /* seconds of net speech below which: insufficient_speech */
} bio_spoof_params;

const char *bio_spoof_verdict_name(bio_spoof_verdict v); /* "bonafide", "spoof", ... */

/* Load / save a model file. Errors go to err (may be NULL). */
bio_spoof_model *bio_spoof_model_load(const char *path, char *err, size_t errlen);
/* A model with the front end only (for training: streams give vectors, scores are 0). */
bio_spoof_model *bio_spoof_model_new(const bio_spoof_params *p);
int bio_spoof_model_save(const bio_spoof_model *m, const char *path, char *err, size_t errlen);
void bio_spoof_model_free(bio_spoof_model *m);
const bio_spoof_params *bio_spoof_model_params(const bio_spoof_model *m);
double bio_spoof_model_threshold(const bio_spoof_model *m);

bio_spoof_stream *bio_spoof_stream_new(const bio_spoof_model *m);
void bio_spoof_stream_free(bio_spoof_stream *s);
void bio_spoof_stream_reset(bio_spoof_stream *s);
void bio_spoof_stream_feed(bio_spoof_stream *s, const int16_t *pcm, size_t n);
double bio_spoof_stream_speech_seconds(const bio_spoof_stream *s);
/* Score everything fed so far; threshold < 0 means the model's default. */
void bio_spoof_stream_score(const bio_spoof_stream *s, double threshold, bio_spoof_result *out);
/* The utterance vector (BIO_SPOOF_DIM floats) of everything fed so far (training, tests). */
void bio_spoof_stream_vector(const bio_spoof_stream *s, float *vec);
/* Raw log-odds of a vector under a parameter set (training's calibration). */
double bio_spoof_logit(const bio_spoof_params *p, const float *vec);
/* Training and baselines: hook(ctx, frame) gets each speech frame's 60 values (20 LFCC,
 * deltas, delta-deltas) as it enters the statistics. NULL turns it off; reset keeps it. */
typedef void (*bio_spoof_frame_hook)(void *ctx, const float *frame);
void bio_spoof_stream_frames(bio_spoof_stream *s, bio_spoof_frame_hook hook, void *ctx);
/* Bytes one stream holds. */
size_t bio_spoof_stream_memory(const bio_spoof_stream *s);

#endif
