/* enrol.h -- enrolment from a PCM buffer, the one path by which a whole recording becomes a
 * voiceprint (the REST import and fraudster registration, the CLI's `enroll`).
 *
 * Each of those used to feed the engine and the spoofing countermeasure, then check speech
 * and spoofing, then enrol, on its own, and they drifted apart. bio_enrol_pcm does it once,
 * over the engine's function table so any engine works, and stays pure: no I/O, no global
 * state; whatever the caller needs from outside (a stopping server, a watchlist search on
 * the finished stream) comes in as a callback.
 *
 * It reports the countermeasure's verdict and leaves the refusal to the caller, because the
 * callers' policies differ (the CLI refuses, the REST import reports the verdict beside the
 * voiceprint). Live streaming enrolment feeds a call as it arrives and does not use this.
 */
#ifndef CALLPRINT_BIO_ENROL_H
#define CALLPRINT_BIO_ENROL_H

#include <stdbool.h>

#include "engine.h"
#include "spoof.h"

/* Samples fed between two looks at the stop predicate: 200 ms at 8 kHz, so a stopping caller
 * is noticed quickly even during an hour of audio. Feeding is block-size independent. */
#define BIO_ENROL_BLOCK 1600

/* True when the enrolment should give up (e.g. the server is stopping). */
typedef bool bio_enrol_stop(void *arg);
/* Called on the fed engine stream just before the voiceprint is made (e.g. a 1:N search). */
typedef void bio_enrol_peek(void *engine_stream, void *arg);

typedef struct {
    const bio_spoof_model *spoof; /* NULL: no countermeasure */
    double spoof_threshold;       /* < 0: the spoofing model's own */
    bio_enrol_stop *stop;         /* optional, with stop_arg */
    void *stop_arg;
    bio_enrol_peek *peek; /* optional, with peek_arg */
    void *peek_arg;
} bio_enrol_opts;

typedef struct {
    bio_status status;      /* of the enrolment; BIO_OK when stopped (nothing was tried) */
    double speech;          /* net speech heard, seconds */
    bool spoof_ran;         /* a spoofing model was given: `spoof` holds its verdict */
    bio_spoof_result spoof; /* raw score (0-100) and verdict */
    size_t blob_len;        /* voiceprint bytes; 0 unless status is BIO_OK and not stopped */
    bool stopped;           /* the stop predicate fired: no peek, no voiceprint */
} bio_enrol_result;

/* Enrol the n samples of pcm (8 kHz mono) with engine e and its model under cfg: a new engine
 * stream (and a spoofing stream beside it when opt->spoof) fed in BIO_ENROL_BLOCK blocks,
 * stop consulted before each block and once after; speech and the spoofing verdict are
 * measured even when stopped; unless stopped, peek, then the voiceprint into blob (cap
 * bytes). opt may be NULL. 0, or -1 when out of memory (out then untouched beyond zeroing). */
int bio_enrol_pcm(const bio_engine *e, const void *model, const bio_config *cfg,
                  const int16_t *pcm, size_t n, const bio_enrol_opts *opt, uint8_t *blob,
                  size_t cap, bio_enrol_result *out);

#endif
