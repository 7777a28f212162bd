/* engine.h -- a speaker-recognition engine as a table of functions (janus-style).
 *
 * The gateway can hold a `const bio_engine *` and opaque model/stream pointers, so another
 * engine (a neural embedding, a commercial SDK behind the same contract) can be added later
 * without touching callers. The default engine, "ivector" (GMM-UBM i-vectors, LDA/WCCN,
 * cosine + AS-norm), is the plain bio.h API behind this table.
 *
 * Optional ops may be NULL; callers then do without them:
 *  - embed_batch: prepare the embeddings of n streams at once (cheaper than one at a time when
 *    extraction is memory-bound), so that their next enroll/verify only scores. It is a hint:
 *    enroll/verify give the same results (up to float rounding) with or without it.
 *  - gallery_new/gallery_add/gallery_free/identify: 1:N search of a stream against many
 *    voiceprints (fraudster watchlists). A gallery is read-only once built, so worker threads
 *    may search one concurrently.
 */
#ifndef CALLPRINT_BIO_ENGINE_H
#define CALLPRINT_BIO_ENGINE_H

#include "bio.h"

typedef struct bio_engine {
    const char *name;
    void *(*load)(const char *path, char *err, size_t errlen);
    void (*unload)(void *model);
    bio_config (*default_config)(const void *model);
    void *(*stream_new)(const void *model);
    void (*stream_free)(void *stream);
    void (*stream_reset)(void *stream);
    void (*feed)(void *stream, const int16_t *pcm, size_t n);
    double (*speech_seconds)(const void *stream);
    bio_status (*enroll)(void *stream, const bio_config *cfg, uint8_t *blob, size_t cap,
                         size_t *len);
    bio_status (*verify)(void *stream, const bio_config *cfg, const uint8_t *blob, size_t len,
                         bio_result *out);
    bio_status (*check)(const void *model, const uint8_t *blob, size_t len, double *speech);
    bio_status (*embed_batch)(void **streams, size_t n); /* optional */
    void *(*gallery_new)(const void *model);              /* optional, with the three below */
    bio_status (*gallery_add)(void *gallery, const uint8_t *blob, size_t len);
    void (*gallery_free)(void *gallery);
    bio_status (*identify)(void *stream, const bio_config *cfg, const void *gallery, size_t k,
                           bio_match *out, size_t *nout);
} bio_engine;

extern const bio_engine bio_engine_ivector;

/* Engine by name (NULL: the default); NULL if unknown. */
const bio_engine *bio_engine_find(const char *name);

#endif
