/* engine.c -- the engine registry and the default i-vector engine's function table. */
#include "engine.h"

#include <string.h>

static void *iv_load(const char *path, char *err, size_t errlen)
{
    return bio_model_load(path, err, errlen);
}
static void iv_unload(void *m) { bio_model_free(m); }
static bio_config iv_config(const void *m) { return bio_model_default_config(m); }
static void *iv_stream_new(const void *m) { return bio_stream_new(m); }
static void iv_stream_free(void *s) { bio_stream_free(s); }
static void iv_stream_reset(void *s) { bio_stream_reset(s); }
static void iv_feed(void *s, const int16_t *pcm, size_t n) { bio_stream_feed(s, pcm, n); }
static double iv_speech(const void *s) { return bio_stream_speech_seconds(s); }
static bio_status iv_enroll(void *s, const bio_config *c, uint8_t *b, size_t cap, size_t *len)
{
    return bio_stream_enroll(s, c, b, cap, len);
}
static bio_status iv_verify(void *s, const bio_config *c, const uint8_t *b, size_t len,
                            bio_result *out)
{
    return bio_stream_verify(s, c, b, len, out);
}
static bio_status iv_embed_batch(void **s, size_t n)
{
    return bio_stream_embed_batch((bio_stream **)s, n);
}
static bio_status iv_check(const void *m, const uint8_t *b, size_t len, double *speech)
{
    return bio_voiceprint_check(m, b, len, speech);
}

static void *iv_gallery_new(const void *m) { return bio_gallery_new(m); }
static bio_status iv_gallery_add(void *g, const uint8_t *b, size_t len)
{
    return bio_gallery_add(g, b, len);
}
static void iv_gallery_free(void *g) { bio_gallery_free(g); }
static bio_status iv_identify(void *s, const bio_config *c, const void *g, size_t k,
                              bio_match *out, size_t *n)
{
    return bio_stream_identify(s, c, g, k, out, n);
}

const bio_engine bio_engine_ivector = {
    .name = "ivector",
    .load = iv_load,
    .unload = iv_unload,
    .default_config = iv_config,
    .stream_new = iv_stream_new,
    .stream_free = iv_stream_free,
    .stream_reset = iv_stream_reset,
    .feed = iv_feed,
    .speech_seconds = iv_speech,
    .enroll = iv_enroll,
    .verify = iv_verify,
    .check = iv_check,
    .embed_batch = iv_embed_batch,
    .gallery_new = iv_gallery_new,
    .gallery_add = iv_gallery_add,
    .gallery_free = iv_gallery_free,
    .identify = iv_identify,
};

static const bio_engine *const engines[] = {&bio_engine_ivector};

const bio_engine *bio_engine_find(const char *name)
{
    if (!name) return engines[0];
    for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++)
        if (strcmp(engines[i]->name, name) == 0) return engines[i];
    return NULL;
}
