/* api_enrol.c -- enrolment from a decoded recording, the one way the REST API enrols PCM.
 * See api.h (api_enrol_pcm).
 *
 * Runs on the thread pool: it reads only the model (and the spoofing model), which nothing
 * changes while the server runs. The recording is fed in blocks so that a stopping server
 * (api.stopping, set at shutdown) is noticed within one block instead of after an hour of
 * audio; a recording cut short gives no voiceprint.
 */
#include "api/api.h"

#include <math.h>
#include <stdatomic.h>

#include "core/app.h"

#define FEED_BLOCK 1600 /* 200 ms at 8 kHz */

int api_enrol_pcm(const struct app *a, const int16_t *pcm, size_t n, bool spoof,
                  api_enrol_peek *peek, void *arg, uint8_t *blob, api_enrol *out)
{
    *out = (api_enrol){.status = BIO_OK};
    void *st = a->engine->stream_new(a->model);
    bio_spoof_stream *sp = spoof && a->spoof ? bio_spoof_stream_new(a->spoof) : NULL;
    if (!st || (spoof && a->spoof && !sp)) {
        if (st)
            a->engine->stream_free(st);
        bio_spoof_stream_free(sp);
        return -1;
    }
    for (size_t off = 0; off < n && !(out->stopped = atomic_load(&a->api->stopping));
         off += FEED_BLOCK) {
        size_t k = n - off < FEED_BLOCK ? n - off : FEED_BLOCK;
        a->engine->feed(st, pcm + off, k);
        if (sp)
            bio_spoof_stream_feed(sp, pcm + off, k);
    }
    out->stopped = out->stopped || atomic_load(&a->api->stopping);
    out->speech = a->engine->speech_seconds(st);
    if (sp) {
        bio_spoof_result r;
        bio_spoof_stream_score(sp, a->spoof_threshold, &r);
        out->spoof = bio_spoof_verdict_name(r.result);
        out->spoof_score = round(r.score * 100) / 100;
    }
    if (!out->stopped) {
        if (peek)
            peek(st, arg);
        out->status = a->engine->enroll(st, &a->bio, blob, BIO_VOICEPRINT_MAX, &out->blob_len);
    }
    bio_spoof_stream_free(sp);
    a->engine->stream_free(st);
    return 0;
}
