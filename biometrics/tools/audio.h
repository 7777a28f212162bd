/* audio.h -- read an audio file as 8 kHz mono 16-bit PCM (offline tools only).
 *
 * Anything libsndfile decodes (WAV PCM/float/A-law/mu-law, FLAC, Ogg Vorbis/Opus, ...).
 * Other sample rates go through the speexdsp resampler; multi-channel files are refused
 * rather than mixed down, because a stereo call recording usually holds two speakers.
 */
#ifndef CALLPRINT_BIO_AUDIO_H
#define CALLPRINT_BIO_AUDIO_H

#include <stddef.h>
#include <stdint.h>

/* 0 on success (*pcm malloc'd, may be NULL when *n == 0); -1 with a message in err. */
int bio_audio_read(const char *path, int16_t **pcm, size_t *n, char *err, size_t errlen);

#endif
