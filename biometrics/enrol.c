/* enrol.c -- enrolment from a PCM buffer (see enrol.h). */
#include "enrol.h"

int bio_enrol_pcm(const bio_engine *e, const void *model, const bio_config *cfg,
                  const int16_t *pcm, size_t n, const bio_enrol_opts *opt, uint8_t *blob,
                  size_t cap, bio_enrol_result *out)
{
    static const bio_enrol_opts none = {.spoof_threshold = -1};
    if (!opt)
        opt = &none;
    *out = (bio_enrol_result){.status = BIO_OK};
    void *st = e->stream_new(model);
    bio_spoof_stream *sp = opt->spoof ? bio_spoof_stream_new(opt->spoof) : NULL;
    if (!st || (opt->spoof && !sp)) {
        if (st)
            e->stream_free(st);
        bio_spoof_stream_free(sp);
        return -1;
    }
    for (size_t off = 0; off < n && !(out->stopped = opt->stop && opt->stop(opt->stop_arg));
         off += BIO_ENROL_BLOCK) {
        size_t k = n - off < BIO_ENROL_BLOCK ? n - off : BIO_ENROL_BLOCK;
        e->feed(st, pcm + off, k);
        if (sp)
            bio_spoof_stream_feed(sp, pcm + off, k);
    }
    /* Once more after the last block: a stop during it must still give no voiceprint. */
    out->stopped = out->stopped || (opt->stop && opt->stop(opt->stop_arg));
    out->speech = e->speech_seconds(st);
    if (sp) {
        bio_spoof_stream_score(sp, opt->spoof_threshold, &out->spoof);
        out->spoof_ran = true;
    }
    if (!out->stopped) {
        if (opt->peek)
            opt->peek(st, opt->peek_arg);
        out->status = e->enroll(st, cfg, blob, cap, &out->blob_len);
        if (out->status != BIO_OK)
            out->blob_len = 0;
    }
    bio_spoof_stream_free(sp);
    e->stream_free(st);
    return 0;
}
