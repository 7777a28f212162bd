/* vad.h -- frame-level voice activity detection on the front end's power spectrum.
 *
 * Two thresholds (hysteresis), because one set of bounds strict enough to reject noise on its
 * own threw away a fifth of real speech: the weak edges of words, unvoiced consonants
 * (spectrally flat like noise) and the quiet onsets of digits. A frame is strong speech if all
 * of these hold:
 *  - its telephone-band energy is above an absolute floor (digital silence, line hiss);
 *  - it stands at least BIO_VAD_MARGIN_DB above the noise floor, tracked as the minimum band
 *    energy over the last ~1.6 s (min statistics), so stationary noise and hum settle into the
 *    floor instead of counting as speech;
 *  - its spectrum is not flat (spectral flatness below a bound), judged both on the signal as
 *    received (white noise) and after pre-emphasis (-6 dB/octave, brown-ish noise): speech
 *    has formant structure in both views, broadband noise is flat in one of them;
 *  - its energy is not concentrated in one or two narrow peaks (pure tones, DTMF, dial tone:
 *    all of a tone's energy sits in its peaks, while a high-pitched vowel's strongest two
 *    harmonics can hold 90-95% of it, so the bound is close to 1).
 * A frame is weak speech if it passes the same tests with a lower margin and a looser flatness
 * bound. The front end (frontend.h) counts a weak frame as speech only when it is joined to
 * strong speech through weak frames: within BIO_VAD_HANGOVER frames after it (a word's tail)
 * or within BIO_VAD_LOOKAHEAD frames before it (an unvoiced onset). Noise alone seldom makes a
 * strong frame (flat, or at its floor), so it cannot start such a run; a run ends at the first
 * frame that is not weak. On real telephone calls and short read and digit utterances this
 * keeps 90-95% of the speech an offline energy reference finds instead of 77-85%, for 1-5
 * points of precision (figures: README.md in this folder).
 * All state is a few dozen bytes; decisions depend only on the frame sequence.
 */
#ifndef CALLPRINT_BIO_VAD_H
#define CALLPRINT_BIO_VAD_H

#define BIO_VAD_BLOCKS 16     /* min-statistics blocks */
#define BIO_VAD_BLOCK_LEN 10  /* frames per block */
#define BIO_VAD_MARGIN_DB 9.0
#define BIO_VAD_ABS_MIN_DB 30.0 /* mean band power of int16 samples, dB */
#define BIO_VAD_MAX_FLATNESS 0.40
#define BIO_VAD_MAX_TONALITY 0.97
#define BIO_VAD_WEAK_MARGIN_DB 6.0
#define BIO_VAD_WEAK_MAX_FLATNESS 0.55
#define BIO_VAD_LOOKAHEAD 10 /* weak frames held while waiting for strong speech (100 ms) */
#define BIO_VAD_HANGOVER 20  /* weak frames that may follow strong speech (200 ms) */

typedef enum { BIO_VAD_NOISE = 0, BIO_VAD_WEAK, BIO_VAD_SPEECH } bio_vad_class;

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
 * the pre-emphasis power response (to judge flatness on the signal as received). Returns the
 * frame's class; *info (may be NULL) gets the measurements (flatness: the larger of the two). */
bio_vad_class bio_vad_frame_class(bio_vad *v, const float *power, const float *deemph,
                                  bio_vad_frame *info);

#endif
