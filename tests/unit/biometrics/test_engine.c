/* test_engine.c -- the biometric engine on real speech (held-out speakers) and on signals
 * that must not count as speech. Uses the shipped model. */
#include <criterion/criterion.h>
#include <math.h>
#include <openssl/evp.h>
#include <string.h>

#include "bio_fixture.h"
#include "engine.h"

static bio_model *m;
static void setup(void) { m = fx_model(); }
static void teardown(void) { bio_model_free(m); }

TestSuite(engine, .init = setup, .fini = teardown, .timeout = 120);

Test(engine, same_speaker_scores_above_different_speaker)
{
    uint8_t a[BIO_VOICEPRINT_MAX], b[BIO_VOICEPRINT_MAX];
    size_t la = fx_enroll(m, SPK_A, a), lb = fx_enroll(m, SPK_B, b);
    bio_result aa = fx_verify(m, SPK_A, a, la), ab = fx_verify(m, SPK_B, a, la);
    bio_result bb = fx_verify(m, SPK_B, b, lb), ba = fx_verify(m, SPK_A, b, lb);
    cr_expect_gt(aa.score, ab.score, "A: same %.2f vs other %.2f", aa.score, ab.score);
    cr_expect_gt(aa.score, ba.score);
    cr_expect_gt(bb.score, ba.score, "B: same %.2f vs other %.2f", bb.score, ba.score);
    cr_expect_gt(bb.score, ab.score);
    /* With the model's own thresholds: genuine verified, impostor not verified. */
    cr_expect_eq(aa.verdict, BIO_VERIFIED, "score %.2f", aa.score);
    cr_expect_eq(bb.verdict, BIO_VERIFIED, "score %.2f", bb.score);
    cr_expect_eq(ab.verdict, BIO_NOT_VERIFIED, "score %.2f", ab.score);
    cr_expect_eq(ba.verdict, BIO_NOT_VERIFIED, "score %.2f", ba.score);
    cr_expect(aa.speech_seconds >= 3.0 && aa.score >= 0 && aa.score <= 100);
}

Test(engine, verdicts_follow_thresholds)
{
    uint8_t a[BIO_VOICEPRINT_MAX];
    size_t la = fx_enroll(m, SPK_A, a);
    fx_audio t = fx_speech(SPK_A, "test");
    bio_stream *s = bio_stream_new(m);
    fx_feed(s, &t, 160);
    bio_config cfg = bio_model_default_config(m);
    bio_result r;
    cr_assert_eq(bio_stream_verify(s, &cfg, a, la, &r), BIO_OK);
    double sc = r.score;
    cfg.thr_verified = sc;
    cfg.thr_not_sure = sc - 1;
    bio_stream_verify(s, &cfg, a, la, &r);
    cr_expect_eq(r.verdict, BIO_VERIFIED); /* at the threshold: verified */
    cfg.thr_verified = sc + 0.001;
    cfg.thr_not_sure = sc;
    bio_stream_verify(s, &cfg, a, la, &r);
    cr_expect_eq(r.verdict, BIO_NOT_SURE);
    cfg.thr_not_sure = sc + 0.0005;
    bio_stream_verify(s, &cfg, a, la, &r);
    cr_expect_eq(r.verdict, BIO_NOT_VERIFIED);
    cfg.min_verify_speech = r.speech_seconds + 0.5;
    bio_stream_verify(s, &cfg, a, la, &r);
    cr_expect_eq(r.verdict, BIO_INSUFFICIENT_SPEECH);
    cr_expect_str_eq(bio_verdict_name(BIO_NOT_SURE), "not_sure");
    bio_config d = bio_model_default_config(m);
    cr_expect(d.thr_verified > d.thr_not_sure && d.thr_not_sure > 0 && d.thr_verified < 100);
    cr_expect(d.min_enroll_speech == 20 && d.min_verify_speech == 1.5);
    bio_stream_free(s);
    fx_free(&t);
}

/* 10 s of a non-speech signal: no speech, insufficient_speech, enrolment refused. */
static void expect_no_speech(fx_audio *sig, const char *what)
{
    uint8_t a[BIO_VOICEPRINT_MAX];
    size_t la = fx_enroll(m, SPK_A, a);
    bio_stream *s = bio_stream_new(m);
    fx_feed(s, sig, 160);
    cr_expect_lt(bio_stream_speech_seconds(s), 0.3, "%s: %.2f s counted as speech", what,
                 bio_stream_speech_seconds(s));
    bio_config cfg = bio_model_default_config(m);
    bio_result r;
    cr_assert_eq(bio_stream_verify(s, &cfg, a, la, &r), BIO_OK);
    cr_expect_eq(r.verdict, BIO_INSUFFICIENT_SPEECH, "%s", what);
    uint8_t blob[BIO_VOICEPRINT_MAX];
    size_t len;
    cr_expect_eq(bio_stream_enroll(s, &cfg, blob, sizeof blob, &len), BIO_ERR_SPEECH, "%s", what);
    bio_stream_free(s);
    fx_free(sig);
}

Test(engine, silence_is_not_speech)
{
    fx_audio z = {calloc(80000, sizeof(int16_t)), 80000};
    expect_no_speech(&z, "digital silence");
}
Test(engine, low_noise_is_not_speech)
{
    fx_audio n = fx_noise(80000, 30, 1);
    expect_no_speech(&n, "line hiss");
}
Test(engine, loud_white_noise_is_not_speech)
{
    fx_audio n = fx_noise(80000, 6000, 2);
    expect_no_speech(&n, "loud white noise");
}
Test(engine, pure_tone_is_not_speech)
{
    fx_audio t = fx_tone(80000, 1000, 0, 8000);
    expect_no_speech(&t, "1 kHz tone");
}
Test(engine, dtmf_is_not_speech)
{
    fx_audio t = fx_tone(80000, 697, 1209, 6000);
    expect_no_speech(&t, "DTMF 1");
}
Test(engine, dial_tone_is_not_speech)
{
    fx_audio t = fx_tone(80000, 350, 440, 6000);
    expect_no_speech(&t, "dial tone");
}

Test(engine, tones_after_silence_are_not_speech)
{
    /* The noise floor was learnt on silence, so only the spectral test can reject these. */
    fx_audio t = fx_tone(80000, 941, 1477, 6000); /* DTMF '#' */
    for (size_t i = 0; i < 8000; i++) t.pcm[i] = 0;
    for (size_t i = 40000; i < 48000; i++) t.pcm[i] = 0; /* a pause, then the tone again */
    expect_no_speech(&t, "DTMF after silence");
    fx_audio n = fx_noise(80000, 3000, 3);
    for (size_t i = 0; i < 8000; i++) n.pcm[i] = 0;
    expect_no_speech(&n, "white noise after silence");
}

/* A vowel-like sound added to pcm[from, from + n): 150 Hz harmonics shaped by two formants
 * (500 and 1500 Hz), rms chosen as a multiple of the band power of fx_noise(amp 100). */
static void add_vowel(fx_audio *a, size_t from, size_t n, double power_ratio)
{
    double amp[23] = {0}, norm = 0;
    for (int k = 3; k <= 22; k++) {
        double f = 150.0 * k;
        amp[k] = 1 / (1 + pow((f - 500) / 150, 2)) + 0.7 / (1 + pow((f - 1500) / 200, 2)) + 0.02;
        norm += amp[k] * amp[k] / 2;
    }
    double rms = sqrt(power_ratio * 0.77) * 100 / sqrt(norm);
    for (size_t i = from; i < from + n; i++) {
        double v = 0;
        for (int k = 3; k <= 22; k++) v += amp[k] * sin(2 * M_PI * 150 * k * (double)i / 8000);
        a->pcm[i] = (int16_t)(a->pcm[i] + rms * v);
    }
}

static double vowel_speech(size_t weak_at, size_t weak_n, size_t strong_at, size_t strong_n)
{
    fx_audio a = fx_noise(40000, 100, 7);
    if (weak_n) add_vowel(&a, weak_at, weak_n, 8);      /* 7-8.5 dB over the noise floor */
    if (strong_n) add_vowel(&a, strong_at, strong_n, 30); /* ~13 dB over it */
    bio_stream *s = bio_stream_new(m);
    fx_feed(s, &a, 160);
    double sec = bio_stream_speech_seconds(s);
    bio_stream_free(s);
    fx_free(&a);
    return sec;
}

/* Hysteresis (vad.h): a faint vowel alone is not speech, the same sound as the tail of a
 * louder one (within the hangover) or just before it (within the look-ahead) is. */
Test(engine, weak_speech_counts_only_next_to_strong_speech)
{
    double alone = vowel_speech(16000, 4000, 0, 0);
    double strong = vowel_speech(0, 0, 16000, 2400);
    double tail = vowel_speech(18400, 1200, 16000, 2400);
    double onset = vowel_speech(16000, 640, 16640, 2400);
    cr_expect_lt(alone, 0.05, "a faint vowel alone: %.2f s", alone);
    cr_expect(strong > 0.25 && strong < 0.35, "0.3 s loud vowel: %.2f s", strong);
    cr_expect_gt(tail, strong + 0.12, "0.15 s faint tail: %.2f s vs %.2f s", tail, strong);
    cr_expect_gt(onset, strong + 0.06, "0.08 s faint onset: %.2f s vs %.2f s", onset, strong);
}

/* Short tests (bio.h): the thresholds hold from full_speech on; below it `verified` needs
 * more and `not_verified` less, and a score between them is not_sure. */
Test(engine, short_tests_widen_the_not_sure_band)
{
    bio_config c = bio_model_default_config(m);
    cr_assert(c.full_speech > 1.5 && c.short_verified_logit > 0 &&
              c.short_not_verified_logit > 0);
    double v, ns, pv = c.thr_verified, pns = c.thr_not_sure;
    bio_thresholds_for(&c, c.full_speech + 5, &v, &ns);
    cr_expect(v == c.thr_verified && ns == c.thr_not_sure);
    for (double d = c.full_speech - 0.25; d >= 0.5; d -= 0.25) {
        bio_thresholds_for(&c, d, &v, &ns);
        cr_expect(v > pv && v < 100 && ns < pns && ns > 0, "%.2f s: %.2f / %.2f", d, v, ns);
        pv = v, pns = ns;
    }
    c.min_verify_speech = 1.0;
    double mid = (c.thr_verified + 100) / 2; /* verified at full length */
    cr_expect_eq(bio_verdict_for(&c, mid, c.full_speech), BIO_VERIFIED);
    bio_thresholds_for(&c, 1.5, &v, &ns);
    cr_assert_gt(v, mid, "1.5 s must need more than %.2f", mid);
    cr_expect_eq(bio_verdict_for(&c, mid, 1.5), BIO_NOT_SURE);
    double low = c.thr_not_sure / 2; /* not_verified at full length */
    cr_expect_eq(bio_verdict_for(&c, low, c.full_speech), BIO_NOT_VERIFIED);
    cr_expect_eq(bio_verdict_for(&c, low, 1.5), ns <= low ? BIO_NOT_SURE : BIO_NOT_VERIFIED);
    cr_expect_eq(bio_verdict_for(&c, 99.9, 0.9), BIO_INSUFFICIENT_SPEECH);
    c.thr_verified = 100; /* nothing verified stays nothing verified */
    bio_thresholds_for(&c, 1.0, &v, &ns);
    cr_expect_eq(v, 100);
}

/* 1.5-2.5 s of a speaker's own speech is verified or not_sure, another speaker's is never
 * verified (the engine's verify path applies the short-test thresholds). */
Test(engine, short_tests_get_no_confident_wrong_verdict)
{
    const char *spk[3] = {SPK_A, SPK_B, SPK_C};
    uint8_t vp[3][BIO_VOICEPRINT_MAX];
    size_t len[3];
    for (int i = 0; i < 3; i++) len[i] = fx_enroll(m, spk[i], vp[i]);
    bio_config c = bio_model_default_config(m);
    c.min_verify_speech = 1.5;
    for (int t = 0; t < 3; t++) {
        fx_audio a = fx_speech(spk[t], "test");
        for (double stop = 1.5; stop <= 2.5; stop += 0.5) {
            bio_stream *s = bio_stream_new(m);
            for (size_t k = 0; k < a.n && bio_stream_speech_seconds(s) < stop; k += 160)
                bio_stream_feed(s, a.pcm + k, a.n - k < 160 ? a.n - k : 160);
            for (int e = 0; e < 3; e++) {
                bio_result r;
                cr_assert_eq(bio_stream_verify(s, &c, vp[e], len[e], &r), BIO_OK);
                cr_expect_neq(r.verdict, BIO_INSUFFICIENT_SPEECH);
                if (e == t)
                    cr_expect(r.verdict == BIO_VERIFIED || r.verdict == BIO_NOT_SURE,
                              "%s %.2f s: %s %.2f", spk[t], r.speech_seconds,
                              bio_verdict_name(r.verdict), r.score);
                else
                    cr_expect_neq(r.verdict, BIO_VERIFIED, "%s vs %s %.2f s: %.2f", spk[t],
                                  spk[e], r.speech_seconds, r.score);
            }
            bio_stream_free(s);
        }
        fx_free(&a);
    }
}

Test(engine, real_speech_is_speech)
{
    fx_audio t = fx_speech(SPK_B, "test");
    bio_stream *s = bio_stream_new(m);
    fx_feed(s, &t, 160);
    double sec = bio_stream_speech_seconds(s), total = t.n / 8000.0;
    cr_expect(sec > 0.4 * total && sec < total, "%.2f s speech in %.2f s", sec, total);
    bio_stream_free(s);
    fx_free(&t);
}

Test(engine, short_speech_is_insufficient)
{
    uint8_t a[BIO_VOICEPRINT_MAX];
    size_t la = fx_enroll(m, SPK_A, a);
    fx_audio t = fx_speech(SPK_A, "test");
    t.n = 16000; /* 2 s of audio: under the 3 s net-speech minimum */
    bio_stream *s = bio_stream_new(m);
    fx_feed(s, &t, 160);
    bio_config cfg = bio_model_default_config(m);
    bio_result r;
    cr_assert_eq(bio_stream_verify(s, &cfg, a, la, &r), BIO_OK);
    cr_expect_eq(r.verdict, BIO_INSUFFICIENT_SPEECH);
    cr_expect_lt(r.speech_seconds, 3.0);
    size_t len;
    cr_expect_eq(bio_stream_enroll(s, &cfg, a, sizeof a, &len), BIO_ERR_SPEECH);
    bio_stream_free(s);
    fx_free(&t);
}

Test(engine, incremental_feeding_matches_one_block)
{
    uint8_t a[BIO_VOICEPRINT_MAX];
    size_t la = fx_enroll(m, SPK_C, a);
    fx_audio t = fx_speech(SPK_C, "test");
    size_t blocks[] = {0, 160, 1, 333, 4000};
    bio_result ref = {0};
    bio_config cfg = bio_model_default_config(m);
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        bio_stream *s = bio_stream_new(m);
        fx_feed(s, &t, blocks[i]);
        bio_result r;
        cr_assert_eq(bio_stream_verify(s, &cfg, a, la, &r), BIO_OK);
        if (i == 0) ref = r;
        cr_expect_eq(r.score, ref.score, "block %zu: %.6f vs %.6f", blocks[i], r.score, ref.score);
        cr_expect_eq(r.speech_seconds, ref.speech_seconds);
        cr_expect_eq(r.verdict, ref.verdict);
        bio_stream_free(s);
    }
    /* Streaming use: verify every second while feeding, then the final result is the same. */
    bio_stream *s = bio_stream_new(m);
    bio_result r;
    for (size_t i = 0; i < t.n; i += 160) {
        bio_stream_feed(s, t.pcm + i, t.n - i < 160 ? t.n - i : 160);
        if (i % 8000 == 0) bio_stream_verify(s, &cfg, a, la, &r);
    }
    bio_stream_verify(s, &cfg, a, la, &r);
    cr_expect_eq(r.score, ref.score);
    /* Reset forgets everything. */
    bio_stream_reset(s);
    cr_expect_eq(bio_stream_speech_seconds(s), 0.0);
    bio_stream_free(s);
    fx_free(&t);
}

Test(engine, stream_state_is_small)
{
    bio_stream *s = bio_stream_new(m);
    cr_expect_leq(bio_stream_memory(s), 64 * 1024, "%zu bytes", bio_stream_memory(s));
    bio_stream_free(s);
}

Test(engine, enrolment_needs_min_speech)
{
    fx_audio a = fx_speech(SPK_A, "enroll");
    bio_stream *s = bio_stream_new(m);
    fx_feed(s, &a, 160);
    bio_config cfg = bio_model_default_config(m);
    cfg.min_enroll_speech = bio_stream_speech_seconds(s) + 1;
    uint8_t blob[BIO_VOICEPRINT_MAX];
    size_t len = 0;
    cr_expect_eq(bio_stream_enroll(s, &cfg, blob, sizeof blob, &len), BIO_ERR_SPEECH);
    cfg.min_enroll_speech = 5;
    cr_expect_eq(bio_stream_enroll(s, &cfg, blob, 10, &len), BIO_ERR_SPACE);
    cr_expect_eq(bio_stream_enroll(s, &cfg, blob, sizeof blob, &len), BIO_OK);
    bio_stream_free(s);
    fx_free(&a);
}

Test(engine, identify_finds_the_speaker)
{
    uint8_t b[3][BIO_VOICEPRINT_MAX];
    size_t len[3];
    const char *spk[3] = {SPK_A, SPK_B, SPK_C};
    bio_gallery *g = bio_gallery_new(m);
    for (int i = 0; i < 3; i++) {
        len[i] = fx_enroll(m, spk[i], b[i]);
        cr_assert_eq(bio_gallery_add(g, b[i], len[i]), BIO_OK);
    }
    cr_expect_eq(bio_gallery_add(g, b[0], len[0] - 1), BIO_ERR_FORMAT);
    cr_expect_eq(bio_gallery_size(g), 3);
    bio_config cfg = bio_model_default_config(m);
    for (int i = 0; i < 3; i++) {
        fx_audio t = fx_speech(spk[i], "test");
        bio_stream *s = bio_stream_new(m);
        fx_feed(s, &t, 160);
        bio_match best[5];
        size_t n = 0;
        cr_assert_eq(bio_stream_identify(s, &cfg, g, 5, best, &n), BIO_OK);
        cr_expect_eq(n, 3);
        cr_expect_eq(best[0].index, (size_t)i, "speaker %d identified as %zu", i, best[0].index);
        cr_expect(best[0].score >= best[1].score && best[1].score >= best[2].score);
        /* identify and verify agree on the score */
        bio_result r;
        bio_stream_verify(s, &cfg, b[i], len[i], &r);
        cr_expect_float_eq(r.score, best[0].score, 1e-3); /* sgemv vs sdot rounding */
        bio_stream_free(s);
        fx_free(&t);
    }
    bio_gallery_free(g);
}

Test(engine, engine_table_is_the_default_engine)
{
    const bio_engine *e = bio_engine_find(NULL);
    cr_assert_not_null(e);
    cr_expect_str_eq(e->name, "ivector");
    cr_expect_eq(bio_engine_find("ivector"), e);
    cr_expect_null(bio_engine_find("nope"));
    char err[256];
    void *model = e->load(fx_path("biometrics/models/callprint.model"), err, sizeof err);
    cr_assert_not_null(model, "%s", err);
    void *s = e->stream_new(model);
    fx_audio a = fx_speech(SPK_A, "enroll");
    e->feed(s, a.pcm, a.n);
    bio_config cfg = e->default_config(model);
    uint8_t blob[BIO_VOICEPRINT_MAX];
    size_t len;
    cr_expect_eq(e->enroll(s, &cfg, blob, sizeof blob, &len), BIO_OK);
    double sec = 0;
    cr_expect_eq(e->check(model, blob, len, &sec), BIO_OK);
    cr_expect_float_eq(sec, e->speech_seconds(s), 0.01);
    e->stream_reset(s);
    e->stream_free(s);
    e->unload(model);
    fx_free(&a);
}
