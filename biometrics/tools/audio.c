/* audio.c -- libsndfile + speexdsp file reader (see audio.h). */
#include "audio.h"

#include <sndfile.h>
#include <speex/speex_resampler.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bio.h"

#define CHUNK 8192

static int read_all(SNDFILE *sf, int16_t **pcm, size_t *n)
{
    size_t len = 0, cap = 0;
    int16_t *buf = NULL;
    for (;;) {
        if (cap - len < CHUNK) {
            size_t ncap = cap ? 2 * cap : 4 * CHUNK;
            int16_t *nb = realloc(buf, ncap * sizeof(int16_t));
            if (!nb) {
                free(buf);
                return -1;
            }
            buf = nb;
            cap = ncap;
        }
        sf_count_t r = sf_read_short(sf, buf + len, CHUNK);
        if (r <= 0) break;
        len += (size_t)r;
    }
    *pcm = buf;
    *n = len;
    return 0;
}

static int resample(int16_t **pcm, size_t *n, int rate)
{
    int err = 0;
    SpeexResamplerState *rs = speex_resampler_init(1, (spx_uint32_t)rate, BIO_SAMPLE_RATE, 5, &err);
    if (!rs) return -1;
    speex_resampler_skip_zeros(rs);
    size_t cap = (size_t)((double)*n * BIO_SAMPLE_RATE / rate) + 1024;
    int16_t *out = malloc(cap * sizeof(int16_t));
    if (!out) {
        speex_resampler_destroy(rs);
        return -1;
    }
    spx_uint32_t in_len = (spx_uint32_t)*n, out_len = (spx_uint32_t)cap;
    speex_resampler_process_int(rs, 0, *pcm, &in_len, out, &out_len);
    speex_resampler_destroy(rs);
    free(*pcm);
    *pcm = out;
    *n = out_len;
    return 0;
}

int bio_audio_read(const char *path, int16_t **pcm, size_t *n, char *err, size_t errlen)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    *pcm = NULL;
    *n = 0;
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) {
        snprintf(err, errlen, "cannot read audio file %s: %s", path, sf_strerror(NULL));
        return -1;
    }
    if (info.channels != 1) {
        snprintf(err, errlen, "%s has %d channels; only mono audio is supported", path,
                 info.channels);
        sf_close(sf);
        return -1;
    }
    int rc = read_all(sf, pcm, n);
    sf_close(sf);
    if (rc == 0 && info.samplerate != BIO_SAMPLE_RATE && *n > 0)
        rc = resample(pcm, n, info.samplerate);
    if (rc != 0) {
        free(*pcm);
        *pcm = NULL;
        *n = 0;
        snprintf(err, errlen, "out of memory reading %s", path);
        return -1;
    }
    return 0;
}
