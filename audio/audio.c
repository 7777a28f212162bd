/* audio.c -- libsndfile read + speexdsp resampling to 8 kHz. See audio.h.
 *
 * Files are read through sf_open, uploads through sf_open_virtual over the memory buffer;
 * both end in read_8k (mono check, rate bound, chunked reading and resampling under an
 * output budget). Nothing is sized from the header: libsndfile reports what the header says
 * (a FLAC may claim 2^36 frames in a few hundred bytes), and a long run of silence
 * compresses to almost nothing, so only the samples really decoded are paid for, and the
 * budget ends the read as soon as the output passes it. */
#include "audio/audio.h"

#include <sndfile.h>
#include <stdbool.h>
#include <speex/speex_resampler.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUDIO_MAX_SECONDS (4 * 3600)
#define AUDIO_CHUNK 8192         /* frames read and resampled per step */
#define AUDIO_RATE_MIN 1000      /* sample rates outside this range are refused: the */
#define AUDIO_RATE_MAX 384000    /* resampler's filter grows with the ratio */

/* The 8 kHz output, grown as audio is actually decoded: the file's header (frame count,
 * rate) is never trusted for an allocation, so a small file that claims billions of frames
 * costs only what it really decodes to, and at most max samples. */
typedef struct {
    int16_t *v;
    size_t n, cap, max;
} pcm_out;

/* Room for `more` samples; -1 when that would pass the budget (or memory is out). */
static int out_reserve(pcm_out *o, size_t more)
{
    if (more > o->max - o->n)
        return -1;
    if (o->n + more <= o->cap)
        return 0;
    size_t cap = o->cap ? o->cap * 2 : 16384;
    while (cap < o->n + more)
        cap *= 2;
    if (cap > o->max)
        cap = o->max;
    int16_t *v = realloc(o->v, cap * sizeof *v);
    if (!v)
        return -1;
    o->v = v;
    o->cap = cap;
    return 0;
}

/* Resample one chunk of n input samples (n <= AUDIO_CHUNK) into o. */
static int resample_chunk(SpeexResamplerState *st, const int16_t *in, size_t n, int rate,
                          pcm_out *o)
{
    size_t done = 0;
    while (done < n) {
        /* Output room for this much input, plus the filter's slack. */
        size_t room = (size_t)((double)(n - done) * 8000.0 / rate) + 64;
        if (out_reserve(o, room) != 0)
            return -1;
        spx_uint32_t il = (spx_uint32_t)(n - done), ol = (spx_uint32_t)room;
        speex_resampler_process_int(st, 0, in + done, &il, o->v + o->n, &ol);
        done += il;
        o->n += ol;
        if (il == 0 && ol == 0)
            break; /* nothing more comes out of this input */
    }
    return 0;
}

/* Read an opened file chunk by chunk, mono only, bringing it to 8 kHz under the budget of
 * max_samples output samples. Closes f. */
static int read_8k(SNDFILE *f, const SF_INFO *info, const char *name, size_t max_samples,
                   int16_t **pcm, size_t *n, char *err, size_t errcap)
{
    bool mono = info->channels == 1;
    if (!mono || info->samplerate < AUDIO_RATE_MIN || info->samplerate > AUDIO_RATE_MAX) {
        if (!mono)
            snprintf(err, errcap, "%s: %d channels; only mono recordings are accepted", name,
                     info->channels);
        else
            snprintf(err, errcap, "%s: sample rate %d Hz is not supported (%d to %d)", name,
                     info->samplerate, AUDIO_RATE_MIN, AUDIO_RATE_MAX);
        sf_close(f);
        return -1;
    }
    int rate = info->samplerate, e = 0;
    SpeexResamplerState *st =
        rate == 8000 ? NULL : speex_resampler_init(1, (spx_uint32_t)rate, 8000, 10, &e);
    int16_t *chunk = malloc(AUDIO_CHUNK * sizeof *chunk);
    pcm_out o = {.max = max_samples};
    size_t total_in = 0;
    const char *why = !chunk || (rate != 8000 && !st) ? "out of memory or resampler failure"
                                                       : NULL;
    while (!why) {
        sf_count_t got = sf_readf_short(f, chunk, AUDIO_CHUNK);
        if (got <= 0)
            break;
        total_in += (size_t)got;
        if (!st && out_reserve(&o, (size_t)got) == 0) {
            memcpy(o.v + o.n, chunk, (size_t)got * sizeof *chunk);
            o.n += (size_t)got;
        } else if (!st || resample_chunk(st, chunk, (size_t)got, rate, &o) != 0) {
            why = "too long";
        }
    }
    if (!why && st) { /* the filter's delay in zeros, so that the tail comes out */
        int latency = speex_resampler_get_input_latency(st);
        memset(chunk, 0, AUDIO_CHUNK * sizeof *chunk);
        for (int left = latency; left > 0 && !why; left -= AUDIO_CHUNK)
            if (resample_chunk(st, chunk, left < AUDIO_CHUNK ? (size_t)left : AUDIO_CHUNK, rate,
                               &o) != 0)
                why = "too long";
        size_t want = (size_t)((double)total_in * 8000.0 / rate + 0.5);
        if (o.n > want)
            o.n = want; /* the zero flush may overshoot slightly */
    }
    sf_close(f);
    free(chunk);
    if (st)
        speex_resampler_destroy(st);
    if (!why && o.n == 0)
        why = "empty";
    if (why) {
        free(o.v);
        if (strcmp(why, "too long") == 0)
            snprintf(err, errcap, "%s: longer than %zu s of audio", name, max_samples / 8000);
        else if (strcmp(why, "empty") == 0)
            snprintf(err, errcap, "%s: no audio could be read", name);
        else
            snprintf(err, errcap, "%s: %s", name, why);
        return -1;
    }
    *pcm = o.v;
    *n = o.n;
    return 0;
}

int bio_audio_read(const char *path, int16_t **pcm, size_t *n, char *err, size_t errcap)
{
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) {
        snprintf(err, errcap, "%s: %s", path, sf_strerror(NULL));
        return -1;
    }
    return read_8k(f, &info, path, (size_t)AUDIO_MAX_SECONDS * 8000, pcm, n, err, errcap);
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
    return bio_audio_decode_max(data, len, name, (size_t)AUDIO_MAX_SECONDS * 8000, pcm, n, err,
                                errcap);
}

int bio_audio_decode_max(const void *data, size_t len, const char *name, size_t max_samples,
                         int16_t **pcm, size_t *n, char *err, size_t errcap)
{
    SF_VIRTUAL_IO io = {mem_len, mem_seek, mem_read, mem_write, mem_tell};
    membuf m = {data, (sf_count_t)len, 0};
    SF_INFO info = {0};
    SNDFILE *f = sf_open_virtual(&io, SFM_READ, &info, &m);
    if (!f) {
        snprintf(err, errcap, "%s: not a readable audio file (%s)", name, sf_strerror(NULL));
        return -1;
    }
    return read_8k(f, &info, name, max_samples, pcm, n, err, errcap);
}
