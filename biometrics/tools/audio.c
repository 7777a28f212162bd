/* audio.c -- libsndfile read + speexdsp resampling to 8 kHz. See audio.h.
 *
 * Files are read through sf_open, uploads through sf_open_virtual over the memory buffer;
 * both end in read_8k (mono check, length bound, resampling). */
#include "audio.h"

#include <sndfile.h>
#include <speex/speex_resampler.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUDIO_MAX_SECONDS (4 * 3600)

static int resample(int16_t *in, size_t n, int rate, int16_t **out, size_t *out_n, char *err,
                    size_t errcap)
{
    int e = 0;
    SpeexResamplerState *st = speex_resampler_init(1, (spx_uint32_t)rate, 8000, 10, &e);
    if (!st) {
        snprintf(err, errcap, "resampler: %s", speex_resampler_strerror(e));
        return -1;
    }
    size_t cap = (size_t)((double)n * 8000.0 / rate) + 64;
    int16_t *o = malloc(cap * sizeof *o);
    if (!o) {
        speex_resampler_destroy(st);
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    /* Feed the input, then zeros equal to the filter delay so the tail comes out. */
    size_t done_in = 0, done_out = 0;
    int latency = speex_resampler_get_input_latency(st);
    int16_t *zeros = calloc((size_t)latency + 1, sizeof *zeros);
    while (done_in < n && done_out < cap) {
        spx_uint32_t il = (spx_uint32_t)(n - done_in), ol = (spx_uint32_t)(cap - done_out);
        speex_resampler_process_int(st, 0, in + done_in, &il, o + done_out, &ol);
        done_in += il;
        done_out += ol;
    }
    if (zeros && done_out < cap) {
        spx_uint32_t il = (spx_uint32_t)latency, ol = (spx_uint32_t)(cap - done_out);
        speex_resampler_process_int(st, 0, zeros, &il, o + done_out, &ol);
        done_out += ol;
    }
    free(zeros);
    speex_resampler_destroy(st);
    /* Trim to the exact expected length (the zero flush may overshoot slightly). */
    size_t want = (size_t)((double)n * 8000.0 / rate + 0.5);
    *out = o;
    *out_n = done_out < want ? done_out : want;
    return 0;
}

/* Read an opened file whole, mono only, then bring it to 8 kHz. Closes f. */
static int read_8k(SNDFILE *f, const SF_INFO *info, const char *name, int16_t **pcm, size_t *n,
                   char *err, size_t errcap)
{
    if (info->channels != 1) {
        snprintf(err, errcap, "%s: %d channels; only mono recordings are accepted", name,
                 info->channels);
        sf_close(f);
        return -1;
    }
    if (info->frames <= 0 || info->samplerate <= 0 ||
        info->frames > (sf_count_t)info->samplerate * AUDIO_MAX_SECONDS) {
        snprintf(err, errcap, "%s: empty or too long (%lld frames)", name,
                 (long long)info->frames);
        sf_close(f);
        return -1;
    }
    int16_t *buf = malloc((size_t)info->frames * sizeof *buf);
    if (!buf) {
        snprintf(err, errcap, "out of memory");
        sf_close(f);
        return -1;
    }
    sf_count_t got = sf_readf_short(f, buf, info->frames);
    sf_close(f);
    if (got <= 0) {
        snprintf(err, errcap, "%s: no audio could be read", name);
        free(buf);
        return -1;
    }
    if (info->samplerate == 8000) {
        *pcm = buf;
        *n = (size_t)got;
        return 0;
    }
    int rc = resample(buf, (size_t)got, info->samplerate, pcm, n, err, errcap);
    free(buf);
    return rc;
}

int bio_audio_read(const char *path, int16_t **pcm, size_t *n, char *err, size_t errcap)
{
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) {
        snprintf(err, errcap, "%s: %s", path, sf_strerror(NULL));
        return -1;
    }
    return read_8k(f, &info, path, pcm, n, err, errcap);
}

/* ---- libsndfile virtual I/O over a read-only memory buffer ---- */

typedef struct {
    const unsigned char *data;
    sf_count_t len, pos;
} membuf;

static sf_count_t mem_len(void *ud) { return ((membuf *)ud)->len; }
static sf_count_t mem_tell(void *ud) { return ((membuf *)ud)->pos; }

static sf_count_t mem_seek(sf_count_t off, int whence, void *ud)
{
    membuf *m = ud;
    sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->len;
    sf_count_t p = base + off;
    if (p < 0 || p > m->len)
        return -1;
    m->pos = p;
    return p;
}

static sf_count_t mem_read(void *ptr, sf_count_t count, void *ud)
{
    membuf *m = ud;
    sf_count_t left = m->len - m->pos;
    if (count > left)
        count = left;
    if (count > 0)
        memcpy(ptr, m->data + m->pos, (size_t)count);
    m->pos += count;
    return count;
}

static sf_count_t mem_write(const void *ptr, sf_count_t count, void *ud)
{
    (void)ptr, (void)count, (void)ud;
    return 0; /* read-only */
}

int bio_audio_decode(const void *data, size_t len, const char *name, int16_t **pcm,
                        size_t *n, char *err, size_t errcap)
{
    SF_VIRTUAL_IO io = {mem_len, mem_seek, mem_read, mem_write, mem_tell};
    membuf m = {data, (sf_count_t)len, 0};
    SF_INFO info = {0};
    SNDFILE *f = sf_open_virtual(&io, SFM_READ, &info, &m);
    if (!f) {
        snprintf(err, errcap, "%s: not a readable audio file (%s)", name, sf_strerror(NULL));
        return -1;
    }
    return read_8k(f, &info, name, pcm, n, err, errcap);
}
