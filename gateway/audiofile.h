/* audiofile.h -- read a recording as 8 kHz mono 16-bit PCM (libsndfile + speex resampler).
 *
 * Any format libsndfile reads. Multi-channel files are refused rather than mixed: a stereo
 * call recording usually holds two speakers, and mixing them would poison a voiceprint.
 * Other rates are converted with the speexdsp resampler (quality 10). An 8 kHz file is
 * returned sample for sample, so a µ-law WAV round-trips bit-exactly through µ-law.
 */
#ifndef CALLPRINT_AUDIOFILE_H
#define CALLPRINT_AUDIOFILE_H

#include <stddef.h>
#include <stdint.h>

/* Load path into *pcm (malloc'd, *n samples at 8 kHz). Returns 0, or -1 with err set. */
int audiofile_load_8k(const char *path, int16_t **pcm, size_t *n, char *err, size_t errcap);
/* The same for a whole file held in memory (an uploaded recording; sf_open_virtual). Error
 * messages start with `name`. */
int audiofile_decode_8k(const void *data, size_t len, const char *name, int16_t **pcm,
                        size_t *n, char *err, size_t errcap);

#endif
