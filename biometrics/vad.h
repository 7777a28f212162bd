/* vad.h -- frame-level voice activity detection on the front end's power spectrum.
 *
 * A frame counts as speech only if all of these hold:
 *  - its telephone-band energy is above an absolute floor (digital silence, line hiss);
 *  - it stands at least BIO_VAD_MARGIN_DB above the noise floor, tracked as the minimum band
 *    energy over the last ~1.6 s (min statistics), so stationary noise and hum settle into the
 *    floor instead of counting as speech;
 *  - its spectrum is not flat (spectral flatness below a bound), judged both on the signal as
 *    received (white noise) and after pre-emphasis (-6 dB/octave, brown-ish noise): speech
 *    has formant structure in both views, broadband noise is flat in one of them;
 *  - its energy is not concentrated in one or two narrow peaks (pure tones, DTMF, dial tone).
 * All state is a few dozen bytes; decisions depend only on the frame sequence.
 */
#ifndef CALLPRINT_BIO_VAD_H
#define CALLPRINT_BIO_VAD_H

#include <stdbool.h>

#define BIO_VAD_BLOCKS 16     /* min-statistics blocks */
#define BIO_VAD_BLOCK_LEN 10  /* frames per block */
#define BIO_VAD_MARGIN_DB 9.0
#define BIO_VAD_ABS_MIN_DB 30.0 /* mean band power of int16 samples, dB */
#define BIO_VAD_MAX_FLATNESS 0.40
#define BIO_VAD_MAX_TONALITY 0.90

typedef struct {
    float block_min[BIO_VAD_BLOCKS];
    int nblocks;  /* valid entries in block_min (ring) */
    int head;     /* next slot to overwrite */
    float cur_min;
    int cur_len;
} bio_vad;

typedef struct {
    float energy_db, floor_db, flatness, tonality;
} bio_vad_frame;

void bio_vad_init(bio_vad *v);
/* power: BIO_FE_NBINS bins of |X|^2 of the pre-emphasised frame; deemph: per-bin inverse of
 * the pre-emphasis power response (to judge flatness on the signal as received). Returns true
 * for speech; *info (may be NULL) gets the measurements (flatness: the larger of the two). */
bool bio_vad_frame_is_speech(bio_vad *v, const float *power, const float *deemph,
                             bio_vad_frame *info);

#endif
