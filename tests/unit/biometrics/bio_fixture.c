/* bio_fixture.c -- helpers for the biometric tests (see bio_fixture.h). */
#include "bio_fixture.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio.h"

const char *fx_path(const char *rel)
{
    static char buf[4096];
    const char *src = getenv("CALLPRINT_SOURCE_DIR");
    snprintf(buf, sizeof buf, "%s/%s", src ? src : ".", rel);
    return buf;
}

bio_model *fx_model(void)
{
    char err[256] = "";
    bio_model *m = bio_model_load(fx_path("biometrics/models/callprint.model"), err, sizeof err);
    cr_assert_not_null(m, "model: %s", err);
    return m;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

fx_audio fx_speech(const char *speaker, const char *part)
{
    char dir[4096], rel[512];
    snprintf(rel, sizeof rel, "tests/fixtures/bio/%s/%s", speaker, part);
    snprintf(dir, sizeof dir, "%s", fx_path(rel));
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "fixture dir %s", dir);
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64)
        if (strstr(e->d_name, ".wav")) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof(char *), cmp_name);
    fx_audio a = {NULL, 0};
    for (int i = 0; i < n; i++) {
        char path[8192], err[256];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        int16_t *pcm;
        size_t len;
        cr_assert_eq(bio_audio_read(path, &pcm, &len, err, sizeof err), 0, "%s", err);
        a.pcm = realloc(a.pcm, sizeof(int16_t) * (a.n + len));
        memcpy(a.pcm + a.n, pcm, sizeof(int16_t) * len);
        a.n += len;
        free(pcm);
        free(names[i]);
    }
    cr_assert_gt(a.n, 0);
    return a;
}

void fx_free(fx_audio *a)
{
    free(a->pcm);
    a->pcm = NULL;
    a->n = 0;
}

void fx_feed(bio_stream *s, const fx_audio *a, size_t block)
{
    if (block == 0) block = a->n;
    for (size_t i = 0; i < a->n; i += block) bio_stream_feed(s, a->pcm + i, a->n - i < block ? a->n - i : block);
}

size_t fx_enroll(const bio_model *m, const char *speaker, uint8_t *blob)
{
    fx_audio a = fx_speech(speaker, "enroll");
    bio_stream *s = bio_stream_new(m);
    fx_feed(s, &a, 160);
    bio_config cfg = bio_model_default_config(m);
    size_t len = 0;
    cr_assert_eq(bio_stream_enroll(s, &cfg, blob, BIO_VOICEPRINT_MAX, &len), BIO_OK);
    bio_stream_free(s);
    fx_free(&a);
    return len;
}

bio_result fx_verify(const bio_model *m, const char *speaker, const uint8_t *blob, size_t len)
{
    fx_audio a = fx_speech(speaker, "test");
    bio_stream *s = bio_stream_new(m);
    fx_feed(s, &a, 160);
    bio_config cfg = bio_model_default_config(m);
    bio_result r;
    cr_assert_eq(bio_stream_verify(s, &cfg, blob, len, &r), BIO_OK);
    bio_stream_free(s);
    fx_free(&a);
    return r;
}

fx_audio fx_tone(size_t n, double f1, double f2, double amp)
{
    fx_audio a = {malloc(sizeof(int16_t) * n), n};
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / 8000.0;
        double v = amp * (sin(2 * M_PI * f1 * t) + (f2 > 0 ? sin(2 * M_PI * f2 * t) : 0));
        a.pcm[i] = (int16_t)v;
    }
    return a;
}

fx_audio fx_noise(size_t n, double amp, uint64_t seed)
{
    fx_audio a = {malloc(sizeof(int16_t) * n), n};
    uint64_t x = seed | 1;
    for (size_t i = 0; i < n; i++) {
        double s = 0; /* sum of 4 uniforms: roughly Gaussian */
        for (int k = 0; k < 4; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            s += (double)(x >> 11) / 9007199254740992.0 - 0.5;
        }
        a.pcm[i] = (int16_t)(amp * s * 1.7);
    }
    return a;
}
