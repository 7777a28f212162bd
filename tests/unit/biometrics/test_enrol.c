/* test_enrol.c -- bio_enrol_pcm, the one enrolment from a PCM buffer: real speech gives the
 * voiceprint that feeding a stream by hand gives; too little speech is BIO_ERR_SPEECH; a stop
 * predicate ends it without a voiceprint (and without the peek); the peek sees the fed
 * stream; a spoofing model fills the verdict, as scoring the same audio directly does. */
#include <criterion/criterion.h>
#include <string.h>

#include "bio_fixture.h"
#include "enrol.h"

static bio_model *m;
static void setup(void) { m = fx_model(); }
static void teardown(void) { bio_model_free(m); }

TestSuite(enrol, .init = setup, .fini = teardown, .timeout = 120);

static bio_enrol_result enrol(const fx_audio *a, const bio_enrol_opts *opt, uint8_t *blob)
{
    bio_config cfg = bio_model_default_config(m);
    bio_enrol_result r;
    cr_assert_eq(bio_enrol_pcm(&bio_engine_ivector, m, &cfg, a->pcm, a->n, opt, blob,
                               BIO_VOICEPRINT_MAX, &r), 0);
    return r;
}

Test(enrol, enough_speech_gives_the_stream_voiceprint)
{
    fx_audio a = fx_speech(SPK_A, "enroll");
    uint8_t blob[BIO_VOICEPRINT_MAX], ref[BIO_VOICEPRINT_MAX];
    bio_enrol_result r = enrol(&a, NULL, blob);
    cr_assert_eq(r.status, BIO_OK, "%s", bio_strerror(r.status));
    cr_expect(!r.stopped && !r.spoof_ran);
    cr_expect_gt(r.speech, bio_model_default_config(m).min_enroll_speech);
    size_t lref = fx_enroll(m, SPK_A, ref);
    cr_assert_eq(r.blob_len, lref);
    cr_expect_eq(bio_voiceprint_check(m, blob, r.blob_len, NULL), BIO_OK);
    /* The same speaker's test audio verifies against it: it is a real voiceprint. */
    bio_result v = fx_verify(m, SPK_A, blob, r.blob_len);
    cr_expect_eq(v.verdict, BIO_VERIFIED, "score %.2f", v.score);
    fx_free(&a);
}

Test(enrol, too_little_speech_is_refused)
{
    fx_audio a = fx_speech(SPK_A, "enroll");
    a.n = 8000; /* one second */
    uint8_t blob[BIO_VOICEPRINT_MAX];
    bio_enrol_result r = enrol(&a, NULL, blob);
    cr_expect_eq(r.status, BIO_ERR_SPEECH);
    cr_expect_eq(r.blob_len, 0);
    cr_expect(!r.stopped);
    fx_free(&a);
}

/* What the two callbacks saw; the stop predicate answers true after stop_after calls. */
typedef struct {
    int stops, stop_after, peeks;
    double peek_speech;
} hooks;
static bool stop_after(void *arg) { return ++((hooks *)arg)->stops > ((hooks *)arg)->stop_after; }
static void peek(void *stream, void *arg)
{
    ((hooks *)arg)->peeks++;
    ((hooks *)arg)->peek_speech = bio_engine_ivector.speech_seconds(stream);
}

Test(enrol, stop_gives_no_voiceprint)
{
    fx_audio a = fx_speech(SPK_A, "enroll");
    uint8_t blob[BIO_VOICEPRINT_MAX];
    hooks h = {.stop_after = 3};
    bio_enrol_opts opt = {.spoof_threshold = -1, .stop = stop_after, .stop_arg = &h,
                          .peek = peek, .peek_arg = &h};
    bio_enrol_result r = enrol(&a, &opt, blob);
    cr_expect(r.stopped);
    cr_expect_eq(r.status, BIO_OK);
    cr_expect_eq(r.blob_len, 0);
    cr_expect_eq(h.peeks, 0, "no peek once stopped");
    /* Three blocks were fed before the stop: at most 0.6 s heard. */
    cr_expect_leq(r.speech, 3.0 * BIO_ENROL_BLOCK / 8000 + 1e-9);
    /* A stop after the last block still counts. */
    h = (hooks){.stop_after = (int)((a.n + BIO_ENROL_BLOCK - 1) / BIO_ENROL_BLOCK)};
    r = enrol(&a, &opt, blob);
    cr_expect(r.stopped);
    cr_expect_eq(r.blob_len, 0);
    cr_expect_eq(h.peeks, 0);
    fx_free(&a);
}

Test(enrol, peek_sees_the_fed_stream)
{
    fx_audio a = fx_speech(SPK_B, "enroll");
    uint8_t blob[BIO_VOICEPRINT_MAX];
    hooks h = {0};
    bio_enrol_opts opt = {.spoof_threshold = -1, .peek = peek, .peek_arg = &h};
    bio_enrol_result r = enrol(&a, &opt, blob);
    cr_expect_eq(h.peeks, 1);
    cr_expect_eq(h.peek_speech, r.speech, "the peek runs after the whole buffer was fed");
    cr_expect_eq(r.status, BIO_OK);
    fx_free(&a);
}

Test(enrol, spoofing_model_fills_the_verdict)
{
    char err[512] = "";
    bio_spoof_model *sm = bio_spoof_model_load(fx_path("biometrics/models/spoof.model"), err, sizeof err);
    cr_assert_not_null(sm, "%s", err);
    fx_audio a = fx_speech(SPK_A, "enroll");
    uint8_t blob[BIO_VOICEPRINT_MAX];
    bio_enrol_opts opt = {.spoof = sm, .spoof_threshold = -1};
    bio_enrol_result r = enrol(&a, &opt, blob);
    cr_assert(r.spoof_ran);
    bio_spoof_stream *s = bio_spoof_stream_new(sm);
    bio_spoof_stream_feed(s, a.pcm, a.n);
    bio_spoof_result direct;
    bio_spoof_stream_score(s, -1, &direct);
    bio_spoof_stream_free(s);
    cr_expect_float_eq(r.spoof.score, direct.score, 1e-9);
    cr_expect_eq(r.spoof.result, direct.result);
    cr_expect_eq(r.spoof.result, BIO_SPOOF_BONAFIDE, "score %.1f", r.spoof.score);
    cr_expect_eq(r.status, BIO_OK, "the verdict is reported, the refusal is the caller's");
    opt.spoof_threshold = 0; /* every score is at or above 0: spoof */
    r = enrol(&a, &opt, blob);
    cr_expect_eq(r.spoof.result, BIO_SPOOF_SPOOF);
    fx_free(&a);
    bio_spoof_model_free(sm);
}
