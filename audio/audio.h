/* audio.h -- read a recording as 8 kHz mono 16-bit PCM (libsndfile + speex resampler).
 *
 * The one audio reader of the project: the offline CLI (enrol/verify/train/eval files), the
 * gateway's recording import (uploads, from memory) and the stream player all use it, so a
 * file is turned into the same samples everywhere. Anything libsndfile decodes (WAV
 * PCM/float/A-law/µ-law, FLAC, Ogg Vorbis/Opus, ...). Multi-channel files are refused rather
 * than mixed: a stereo call recording usually holds two speakers, and mixing them would poison
 * a voiceprint. Other rates are converted with the speexdsp resampler (quality 10, filter tail
 * flushed). An 8 kHz file is returned sample for sample, so a µ-law WAV round-trips
 * bit-exactly through µ-law. Empty files, files over 4 hours (or over the caller's budget) and
 * sample rates outside 1-384 kHz are refused. The header's frame count is not trusted: the
 * file is read and resampled in chunks and memory grows only with what is really decoded.
 */
#ifndef CALLPRINT_BIO_AUDIO_H
#define CALLPRINT_BIO_AUDIO_H

#include <stddef.h>
#include <stdint.h>

/* Load path into *pcm (malloc'd, *n samples at 8 kHz). Returns 0, or -1 with err set. */
int bio_audio_read(const char *path, int16_t **pcm, size_t *n, char *err, size_t errcap);
/* The same for a whole file held in memory (an uploaded recording; sf_open_virtual). Error
 * messages start with `name`. */
int bio_audio_decode(const void *data, size_t len, const char *name, int16_t **pcm, size_t *n,
                     char *err, size_t errcap);
/* The same with a budget of at most max_samples output samples (8 kHz): an upload that
 * decodes to more is refused as soon as it passes the budget. */
int bio_audio_decode_max(const void *data, size_t len, const char *name, size_t max_samples,
                         int16_t **pcm, size_t *n, char *err, size_t errcap);

#endif
