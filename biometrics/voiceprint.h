/* voiceprint.h -- the voiceprint blob: versioned, little-endian, self-checking.
 *
 *   0  "CPVP"            4  u16 version, u16 dim (L)
 *   8  model id (8)      16 f32 speech seconds
 *   20 f32 norm mu, f32 norm sd (the enrolment side of AS-norm)
 *   28 f32 self-term c   32 f32 embedding[L] (backend.h)
 *   32+4L  first 8 bytes of SHA-256 over all preceding bytes
 * Total 40 + 4L bytes (well under BIO_VOICEPRINT_MAX for L <= 1024).
 * Checks run in the order that gives the most useful error: magic, length, version, checksum,
 * then model id (a valid voiceprint from another model is BIO_ERR_MODEL, not "corrupt").
 */
#ifndef CALLPRINT_BIO_VOICEPRINT_H
#define CALLPRINT_BIO_VOICEPRINT_H

#include "backend.h"

#define BIO_VP_MAGIC "CPVP"
#define BIO_VP_VERSION 1u
#define BIO_VP_HEAD 32
#define BIO_VP_SIZE(L) (BIO_VP_HEAD + 4 * (size_t)(L) + 8)

typedef struct {
    double speech_seconds;
    bio_norm norm;
    float c;
    float emb[1024];
    int dim;
} bio_vp;

bio_status bio_vp_encode(const bio_model *m, const bio_vp *vp, uint8_t *blob, size_t cap,
                         size_t *len);
bio_status bio_vp_decode(const bio_model *m, const uint8_t *blob, size_t len, bio_vp *vp);

#endif
