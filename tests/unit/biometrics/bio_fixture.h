/* bio_fixture.h -- shared helpers for the biometric tests: the shipped model, the speech
 * fixtures of tests/fixtures/bio (three held-out speakers) and synthetic signals. */
#ifndef CALLPRINT_TEST_BIO_FIXTURE_H
#define CALLPRINT_TEST_BIO_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "bio.h"

typedef struct {
    int16_t *pcm;
    size_t n;
} fx_audio;

/* Path under the source tree (static buffer, one call at a time). */
const char *fx_path(const char *rel);
bio_model *fx_model(void);
/* All files of tests/fixtures/bio/<speaker>/<part> ("enroll" or "test"), concatenated. */
fx_audio fx_speech(const char *speaker, const char *part);
void fx_free(fx_audio *a);
/* Feed in blocks of `block` samples (0: one block). */
void fx_feed(bio_stream *s, const fx_audio *a, size_t block);
/* Enrol a speaker's enroll/ audio with the model defaults; returns blob length. */
size_t fx_enroll(const bio_model *m, const char *speaker, uint8_t *blob);
/* Score a speaker's test/ audio against a blob. */
bio_result fx_verify(const bio_model *m, const char *speaker, const uint8_t *blob, size_t len);

/* Synthetic signals, n samples at 8 kHz. */
fx_audio fx_tone(size_t n, double f1, double f2, double amp);
fx_audio fx_noise(size_t n, double amp, uint64_t seed);

#define SPK_A "speechocean762_0120"
#define SPK_B "speechocean762_1027"
#define SPK_C "speechocean762_0594"

#endif
