/* api_enrol.c -- enrolment from a decoded recording, the one way the REST API enrols PCM.
 * See api.h (api_enrol_pcm).
 *
 * A thin wrapper over bio_enrol_pcm (biometrics/enrol.h), which does the feeding, the
 * spoofing check and the enrolment for every caller that enrols a whole recording; this file
 * adds only what is the server's: its model, thresholds and spoofing model, and a stop
 * predicate on api.stopping (set at shutdown), so a stopping server is noticed within one
 * block instead of after an hour of audio; a recording cut short gives no voiceprint.
 *
 * Runs on the thread pool: it reads only the model (and the spoofing model), which nothing
 * changes while the server runs.
 */
#include "api/api.h"

#include <math.h>
#include <stdatomic.h>

#include "core/app.h"
#include "enrol.h"

static bool stopping(void *arg)
{
    const struct app *a = arg;
    return atomic_load(&a->api->stopping);
}

int api_enrol_pcm(const struct app *a, const int16_t *pcm, size_t n, bool spoof,
                  api_enrol_peek *peek, void *arg, uint8_t *blob, api_enrol *out)
{
    *out = (api_enrol){.status = BIO_OK};
    bio_enrol_opts opt = {.spoof = spoof ? a->spoof : NULL,
                          .spoof_threshold = a->spoof_threshold,
                          .stop = stopping,
                          .stop_arg = (void *)a,
                          .peek = peek,
                          .peek_arg = arg};
    bio_enrol_result r;
    if (bio_enrol_pcm(a->engine, a->model, &a->bio, pcm, n, &opt, blob, BIO_VOICEPRINT_MAX,
                      &r) != 0)
        return -1;
    out->speech = r.speech;
    out->stopped = r.stopped;
    out->status = r.status;
    out->blob_len = r.blob_len;
    if (r.spoof_ran) {
        out->spoof = bio_spoof_verdict_name(r.spoof.result);
        out->spoof_score = round(r.spoof.score * 100) / 100;
    }
    return 0;
}
