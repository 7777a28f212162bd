/* voiceprint.c -- voiceprint blob encoding and validation (layout in voiceprint.h). */
#include "voiceprint.h"

#include <string.h>

bio_status bio_vp_encode(const bio_model *m, const bio_vp *vp, uint8_t *blob, size_t cap,
                         size_t *len)
{
    size_t need = BIO_VP_SIZE(m->L);
    if (need > BIO_VOICEPRINT_MAX || cap < need) return BIO_ERR_SPACE;
    memcpy(blob, BIO_VP_MAGIC, 4);
    blob[4] = (uint8_t)BIO_VP_VERSION;
    blob[5] = (uint8_t)(BIO_VP_VERSION >> 8);
    blob[6] = (uint8_t)m->L;
    blob[7] = (uint8_t)(m->L >> 8);
    memcpy(blob + 8, m->id, BIO_MODEL_ID_LEN);
    bio_put_f32(blob + 16, (float)vp->speech_seconds);
    bio_put_f32(blob + 20, vp->norm.mu);
    bio_put_f32(blob + 24, vp->norm.sd);
    bio_put_f32(blob + 28, vp->c);
    for (int i = 0; i < m->L; i++) bio_put_f32(blob + BIO_VP_HEAD + 4 * i, vp->emb[i]);
    uint8_t h[32];
    bio_sha256(blob, need - 8, h);
    memcpy(blob + need - 8, h, 8);
    *len = need;
    return BIO_OK;
}

bio_status bio_vp_decode(const bio_model *m, const uint8_t *blob, size_t len, bio_vp *vp)
{
    if (!blob || len < 8 || memcmp(blob, BIO_VP_MAGIC, 4) != 0) return BIO_ERR_FORMAT;
    unsigned ver = blob[4] | (unsigned)blob[5] << 8;
    unsigned dim = blob[6] | (unsigned)blob[7] << 8;
    if (ver != BIO_VP_VERSION) return BIO_ERR_VERSION;
    if (dim == 0 || dim > 1024 || len != BIO_VP_SIZE(dim)) return BIO_ERR_FORMAT;
    uint8_t h[32];
    bio_sha256(blob, len - 8, h);
    if (memcmp(h, blob + len - 8, 8) != 0) return BIO_ERR_FORMAT;
    if (memcmp(blob + 8, m->id, BIO_MODEL_ID_LEN) != 0 || (int)dim != m->L) return BIO_ERR_MODEL;
    vp->dim = (int)dim;
    vp->speech_seconds = bio_get_f32(blob + 16);
    vp->norm.mu = bio_get_f32(blob + 20);
    vp->norm.sd = bio_get_f32(blob + 24);
    vp->c = bio_get_f32(blob + 28);
    if (!(vp->norm.sd > 0) || !(vp->speech_seconds >= 0)) return BIO_ERR_FORMAT;
    for (unsigned i = 0; i < dim; i++) vp->emb[i] = bio_get_f32(blob + BIO_VP_HEAD + 4 * i);
    return BIO_OK;
}
