/* test_spoof.c -- the spoofing countermeasure's library contract: the shipped model tells the
 * bona fide fixtures (real speech of three held-out speakers) from synthetic, vocoded and
 * replayed fixtures (tests/fixtures/spoof, made by make.sh there); incremental feeding gives
 * the score of one block; too little speech is insufficient_speech; a damaged model file is
 * refused with a message; state per stream stays small; the LP-residual statistics tell a
 * pulse-excited voice from the same spectrum with its phases scattered. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio/audio.h"
#include "bio_fixture.h"
#include "spoof.h"

static bio_spoof_model *model(void)
{
    char err[512] = "";
    bio_spoof_model *m = bio_spoof_model_load(fx_path("biometrics/models/spoof.model"), err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    return m;
}

static fx_audio file(const char *rel)
{
    fx_audio a;
    char err[512];
    cr_assert_eq(bio_audio_read(fx_path(rel), &a.pcm, &a.n, err, sizeof err), 0, "%s", err);
    return a;
}

/* Score audio fed in blocks of `block` samples (0: one block). */
static bio_spoof_result score(const bio_spoof_model *m, const fx_audio *a, size_t block)
{
    bio_spoof_stream *s = bio_spoof_stream_new(m);
    cr_assert_not_null(s);
    size_t b = block ? block : a->n;
    for (size_t k = 0; k < a->n; k += b) bio_spoof_stream_feed(s, a->pcm + k, a->n - k < b ? a->n - k : b);
    bio_spoof_result r;
    bio_spoof_stream_score(s, -1, &r);
    bio_spoof_stream_free(s);
    return r;
}

Test(spoof, bonafide_fixtures_pass)
{
    bio_spoof_model *m = model();
    const char *spk[] = {SPK_A, SPK_B, SPK_C};
    for (int i = 0; i < 3; i++) {
        fx_audio a = fx_speech(spk[i], "test");
        bio_spoof_result r = score(m, &a, 160);
        cr_expect_eq(r.result, BIO_SPOOF_BONAFIDE, "%s scored %.1f", spk[i], r.score);
        cr_expect_gt(r.speech_seconds, 3.0);
        fx_free(&a);
    }
    bio_spoof_model_free(m);
}

Test(spoof, spoofed_fixtures_flagged)
{
    bio_spoof_model *m = model();
    const char *f[] = {"tests/fixtures/spoof/replay_0120.wav", "tests/fixtures/spoof/replay_phone_0120.wav"};
    for (int i = 0; i < 2; i++) {
        fx_audio a = file(f[i]);
        bio_spoof_result r = score(m, &a, 160);
        cr_expect_eq(r.result, BIO_SPOOF_SPOOF, "%s scored %.1f", f[i], r.score);
        cr_expect_geq(r.score, bio_spoof_model_threshold(m));
        fx_free(&a);
    }
    bio_spoof_model_free(m);
}

/* The highest score of the fixture speakers' real test utterances, one by one. */
static double real_speech_max(const bio_spoof_model *m)
{
    const char *spk[] = {SPK_A, SPK_B, SPK_C};
    double top = 0;
    for (int i = 0; i < 3; i++) {
        char rel[512], path[4096];
        snprintf(rel, sizeof rel, "tests/fixtures/bio/%s/test", spk[i]);
        DIR *d = opendir(fx_path(rel));
        cr_assert_not_null(d, "%s", rel);
        for (struct dirent *e; (e = readdir(d));) {
            if (!strstr(e->d_name, ".wav")) continue;
            snprintf(path, sizeof path, "%s/%s", rel, e->d_name);
            fx_audio a = file(path);
            double s = score(m, &a, 160).score;
            top = s > top ? s : top;
            fx_free(&a);
        }
        closedir(d);
    }
    return top;
}

/* Spoofs the countermeasure misses at its default threshold (it passes about a third of the
 * eSpeak NG test utterances and half of the laptop-loudspeaker replays: models/spoof.md) still
 * score above every real test utterance of the fixture speakers. */
Test(spoof, missed_spoofs_still_score_above_real_speech)
{
    bio_spoof_model *m = model();
    double real = real_speech_max(m);
    cr_assert_gt(real, 0, "no real utterance scored");
    const char *f[] = {"tests/fixtures/spoof/tts_espeak-ng.wav", "tests/fixtures/spoof/replay_laptop.wav"};
    for (int i = 0; i < 2; i++) {
        fx_audio a = file(f[i]);
        double s = score(m, &a, 160).score;
        cr_expect_gt(s, real + 5, "%s scored %.1f, real speech up to %.1f", f[i], s, real);
        fx_free(&a);
    }
    bio_spoof_model_free(m);
}

Test(spoof, incremental_equals_one_block)
{
    bio_spoof_model *m = model();
    fx_audio a = fx_speech(SPK_B, "test");
    bio_spoof_result whole = score(m, &a, 0);
    const size_t blocks[] = {1, 7, 160, 333, 8000};
    for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++) {
        bio_spoof_result r = score(m, &a, blocks[i]);
        cr_expect_eq(r.score, whole.score, "block %zu: %f vs %f", blocks[i], r.score, whole.score);
        cr_expect_eq(r.speech_seconds, whole.speech_seconds);
        cr_expect_eq(r.result, whole.result);
    }
    /* reset forgets everything: the same audio again gives the same score */
    bio_spoof_stream *s = bio_spoof_stream_new(m);
    bio_spoof_stream_feed(s, a.pcm, a.n / 2);
    bio_spoof_stream_reset(s);
    bio_spoof_stream_feed(s, a.pcm, a.n);
    bio_spoof_result r;
    bio_spoof_stream_score(s, -1, &r);
    cr_expect_eq(r.score, whole.score);
    cr_expect_leq(bio_spoof_stream_memory(s), 65536);
    bio_spoof_stream_free(s);
    fx_free(&a);
    bio_spoof_model_free(m);
}

Test(spoof, insufficient_speech)
{
    bio_spoof_model *m = model();
    fx_audio silence = {calloc(80000, sizeof(int16_t)), 80000};
    bio_spoof_result r = score(m, &silence, 160);
    cr_expect_eq(r.result, BIO_SPOOF_INSUFFICIENT_SPEECH);
    cr_expect_eq(r.speech_seconds, 0);
    cr_expect_str_eq(bio_spoof_verdict_name(r.result), "insufficient_speech");
    fx_free(&silence);
    fx_audio a = fx_speech(SPK_A, "test");
    a.n = 4000; /* half a second */
    r = score(m, &a, 160);
    cr_expect_eq(r.result, BIO_SPOOF_INSUFFICIENT_SPEECH);
    fx_free(&a);
    bio_spoof_model_free(m);
}

Test(spoof, threshold_argument_decides)
{
    bio_spoof_model *m = model();
    fx_audio a = file("tests/fixtures/spoof/tts_espeak-ng.wav");
    bio_spoof_stream *s = bio_spoof_stream_new(m);
    bio_spoof_stream_feed(s, a.pcm, a.n);
    bio_spoof_result lo, hi;
    bio_spoof_stream_score(s, 0, &lo);
    bio_spoof_stream_score(s, 100.0 + 1e-9, &hi);
    cr_expect_eq(lo.result, BIO_SPOOF_SPOOF);
    cr_expect_eq(hi.result, BIO_SPOOF_BONAFIDE);
    cr_expect_eq(lo.score, hi.score);
    bio_spoof_stream_free(s);
    fx_free(&a);
    bio_spoof_model_free(m);
}

/* Write `len` bytes of the shipped model (one flipped if flip >= 0) to a temporary file. */
static void damaged_copy(const char *out, long len, long flip)
{
    FILE *f = fopen(fx_path("biometrics/models/spoof.model"), "rb");
    cr_assert_not_null(f);
    unsigned char buf[1 << 17];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (len < 0 || (size_t)len > n) len = (long)n;
    if (flip >= 0) buf[flip] ^= 0x40;
    f = fopen(out, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
}

Test(spoof, damaged_models_refused)
{
    char err[512], path[] = "/tmp/spoof-model-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    struct {
        long len, flip;
        const char *msg;
    } cases[] = {{100, -1, "truncated"}, {-1, 200, "checksum"}, {-1, 2, "not a spoof model"},
                 {0, -1, "not a spoof model"}, {-1, 9, "feature layout"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        damaged_copy(path, cases[i].len, cases[i].flip);
        err[0] = 0;
        cr_expect_null(bio_spoof_model_load(path, err, sizeof err));
        cr_expect(strstr(err, cases[i].msg) != NULL, "case %zu: %s", i, err);
    }
    cr_expect_null(bio_spoof_model_load("/nonexistent/spoof.model", err, sizeof err));
    cr_expect(strstr(err, "cannot open") != NULL);
    unlink(path);
}

Test(spoof, save_load_round_trip)
{
    bio_spoof_model *m = model();
    char err[512], path[] = "/tmp/spoof-model-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(bio_spoof_model_save(m, path, err, sizeof err), 0, "%s", err);
    bio_spoof_model *m2 = bio_spoof_model_load(path, err, sizeof err);
    cr_assert_not_null(m2, "%s", err);
    fx_audio a = file("tests/fixtures/spoof/replay_laptop.wav");
    cr_expect_eq(score(m, &a, 160).score, score(m2, &a, 160).score);
    cr_expect_eq(bio_spoof_model_threshold(m), bio_spoof_model_threshold(m2));
    fx_free(&a);
    unlink(path);
    bio_spoof_model_free(m2);
    bio_spoof_model_free(m);
}

/* 2 s of syllables (250 ms of a periodic vowel-like sound at 120 Hz, 100 ms of faint noise, so
 * the speech detector has a floor): harmonics up to 3.6 kHz under a formant-like envelope,
 * all in phase (a pulse train, what a pulse-excited vocoder makes) or with
 * scattered phases (what magnitude-only resynthesis or a reverberant room leaves). */
static fx_audio harmonic_vowel(int scatter)
{
    fx_audio a = {calloc(16000, sizeof(int16_t)), 16000};
    uint64_t rng = 88172645463325252ULL;
    double phase[31];
    for (int h = 1; h <= 30; h++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        phase[h] = scatter ? (double)(rng >> 11) / 9007199254740992.0 * 2 * M_PI : 0;
    }
    for (size_t n = 0; n < a.n; n++) {
        double v = 0;
        for (int h = 1; h <= 30; h++) {
            double f = 120.0 * h, env = 1 / (1 + pow((f - 700) / 300, 2)) + 0.5 / (1 + pow((f - 1200) / 400, 2));
            v += env * cos(2 * M_PI * f * n / 8000 + phase[h]);
        }
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        double noise = ((double)(rng >> 11) / 9007199254740992.0 - 0.5) * 20;
        a.pcm[n] = (int16_t)((n % 2800 < 2000 ? v * 1500 : 0) + noise);
    }
    return a;
}

Test(spoof, residual_statistics_see_the_phase)
{
    bio_spoof_model *m = model();
    /* voiced frames' mean log kurtosis of the residual (layout in spoof.h) */
    const int at = 6 * BIO_SPOOF_NCEP + 2 * BIO_SPOOF_NBANDS + 2 + BIO_SPOOF_NEXC + (2 + BIO_SPOOF_RES_BINS) * 3;
    float v[2][BIO_SPOOF_DIM];
    for (int scatter = 0; scatter < 2; scatter++) {
        fx_audio a = harmonic_vowel(scatter);
        bio_spoof_stream *s = bio_spoof_stream_new(m);
        bio_spoof_stream_feed(s, a.pcm, a.n);
        cr_assert_gt(bio_spoof_stream_speech_seconds(s), 1.0);
        bio_spoof_stream_vector(s, v[scatter]);
        bio_spoof_stream_free(s);
        fx_free(&a);
    }
    cr_expect_gt(v[0][at], v[1][at] + 0.5, "in phase %.2f, scattered %.2f", v[0][at], v[1][at]);
    bio_spoof_model_free(m);
}
