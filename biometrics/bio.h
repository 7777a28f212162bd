/* bio.h -- the speaker-recognition engine's public interface (contract for the gateway).
 *
 * Pure compute: no sockets, no JSON, no globals. A bio_model is loaded once from a file and
 * is read-only afterwards, so any number of threads may share it. A bio_stream is the state of
 * one live utterance (one call, one worker thread): PCM is fed incrementally, 8 kHz mono s16,
 * any block size (20 ms as calls arrive); the engine keeps sufficient statistics so that the
 * cost of each feed is proportional to the new audio, and scoring/enrolment costs do not grow
 * with call length.
 *
 * Voiceprints are opaque, versioned, portable blobs of at most BIO_VOICEPRINT_MAX bytes.
 * The owner of biometrics/ may extend this header; these declarations are what the gateway
 * builds against.
 */
#ifndef CALLPRINT_BIO_H
#define CALLPRINT_BIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BIO_SAMPLE_RATE 8000
#define BIO_VOICEPRINT_MAX 8192

typedef struct bio_model bio_model;
typedef struct bio_stream bio_stream;

typedef enum {
    BIO_INSUFFICIENT_SPEECH = 0,
    BIO_NOT_VERIFIED,
    BIO_NOT_SURE,
    BIO_VERIFIED,
} bio_verdict;

/* Short tests. The thresholds hold for tests of at least full_speech seconds of net speech
 * (the duration they were set on). A shorter test's score is less certain, and a confident
 * wrong answer costs more than a not_sure, so below full_speech the not_sure band widens on
 * both sides: per missing second, `verified` needs short_verified_logit more log-odds
 * (logit(score / 100)) and `not_verified` short_not_verified_logit fewer. Measured on 20 s
 * enrolments against 1-3 s tests (biometrics/README.md): a 2 s test then verifies about as few
 * impostors as a 6 s one and tells no more genuine callers not_verified. */
#define BIO_MIN_VERIFY_SPEECH 1.5 /* trained models' default minimum (6 s tests: >= 95% get a verdict) */
#define BIO_FULL_SPEECH 3.0
#define BIO_SHORT_VERIFIED_LOGIT 1.5
#define BIO_SHORT_NOT_VERIFIED_LOGIT 2.0

typedef struct {
    double min_enroll_speech; /* seconds of net speech to enrol (default 20) */
    double min_verify_speech; /* seconds of net speech to verify (default 1.5) */
    double thr_verified;      /* score (0-100) at or above which: verified */
    double thr_not_sure;      /* score at or above which (and below thr_verified): not_sure */
    double full_speech;       /* net test speech at which the thresholds hold as they are (3) */
    double short_verified_logit;     /* per second below full_speech (1.5) */
    double short_not_verified_logit; /* per second below full_speech (2.0) */
} bio_config;

typedef struct {
    bio_verdict verdict;
    double score;          /* calibrated, 0-100 */
    double speech_seconds; /* net speech in the tested audio */
} bio_result;

typedef enum {
    BIO_OK = 0,
    BIO_ERR_IO,           /* model file unreadable */
    BIO_ERR_FORMAT,       /* corrupt / truncated model or voiceprint */
    BIO_ERR_MODEL,        /* voiceprint made by another model */
    BIO_ERR_VERSION,      /* unsupported format version */
    BIO_ERR_SPEECH,       /* not enough net speech */
    BIO_ERR_SPACE,        /* output buffer too small */
    BIO_ERR_NOMEM,
} bio_status;

const char *bio_strerror(bio_status st);
/* The verdict for a calibrated score over speech_seconds of net test speech under cfg:
 * insufficient_speech below cfg->min_verify_speech, else by the thresholds at that duration. */
bio_verdict bio_verdict_for(const bio_config *cfg, double score, double speech_seconds);
/* The thresholds a test of speech_seconds is held to (bio_config: short tests). */
void bio_thresholds_for(const bio_config *cfg, double speech_seconds, double *verified,
                        double *not_sure);
const char *bio_verdict_name(bio_verdict v); /* "verified", "not_sure", ... */

/* Model. err/errlen receive a message on failure (may be NULL). */
bio_model *bio_model_load(const char *path, char *err, size_t errlen);
void bio_model_free(bio_model *m);
bio_config bio_model_default_config(const bio_model *m); /* thresholds measured at training */

/* Live stream state. */
bio_stream *bio_stream_new(const bio_model *m);
void bio_stream_free(bio_stream *s);
void bio_stream_reset(bio_stream *s);
void bio_stream_feed(bio_stream *s, const int16_t *pcm, size_t n);
double bio_stream_speech_seconds(const bio_stream *s);

/* Build a voiceprint from everything fed so far. BIO_ERR_SPEECH below cfg->min_enroll_speech. */
bio_status bio_stream_enroll(bio_stream *s, const bio_config *cfg, uint8_t *blob, size_t cap,
                             size_t *len);
/* Score everything fed so far against a voiceprint. */
bio_status bio_stream_verify(bio_stream *s, const bio_config *cfg, const uint8_t *blob, size_t len,
                             bio_result *out);

/* Extract the embeddings of n streams (NULL entries skipped) at once and cache them, so that
 * the next enrol/verify/identify of each only scores. (A stream's cached embedding stays
 * valid until a new speech frame reaches its statistics: silence does not invalidate it.) Same
 * results as extracting one at a time up to float rounding, at a fraction of the cost: the
 * per-stream extraction is memory-bound on the model (~9 MB read per stream), a batch reads
 * it once per 16 streams. Streams with no speech or a current embedding are left alone, as
 * are streams of another model than the first one. BIO_OK, or BIO_ERR_NOMEM (the streams not
 * done extract on demand, as without this call). */
bio_status bio_stream_embed_batch(bio_stream **s, size_t n);

/* Check a voiceprint blob (integrity, version, model) without scoring; speech seconds it holds. */
bio_status bio_voiceprint_check(const bio_model *m, const uint8_t *blob, size_t len,
                                double *speech_seconds);

/* Bytes of engine state one live stream holds (model excluded; <= 64 KB by design). */
size_t bio_stream_memory(const bio_stream *s);

/* 1:N identification. A gallery holds many voiceprints of one model as one matrix, so a
 * search is a single matrix-vector product plus a top-k selection. */
typedef struct bio_gallery bio_gallery;
typedef struct {
    size_t index; /* order in which the voiceprint was added (0-based) */
    double score; /* calibrated, 0-100 */
} bio_match;

bio_gallery *bio_gallery_new(const bio_model *m);
void bio_gallery_free(bio_gallery *g);
/* Validate and append one voiceprint; its index is the number of successful adds before it. */
bio_status bio_gallery_add(bio_gallery *g, const uint8_t *blob, size_t len);
size_t bio_gallery_size(const bio_gallery *g);
/* Best min(k, size) matches for everything fed so far, best first. BIO_ERR_SPEECH (and
 * *nout = 0) below cfg->min_verify_speech. */
bio_status bio_stream_identify(bio_stream *s, const bio_config *cfg, const bio_gallery *g,
                               size_t k, bio_match *out, size_t *nout);

#endif
