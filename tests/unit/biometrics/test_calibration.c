/* test_calibration.c -- duration-aware calibration: the formula and its clamping, the test's
 * net speech reaching it through a real verification, version 1 model files (no duration
 * block) still loading and scoring as before, invalid duration blocks refused, and the
 * training step (biometrics/train/calibrate.py) fitting the terms on scored trials. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "bio_fixture.h"
#include "model.h"

#define PAYLOAD_AT 92 /* magic + version, config block, payload length, payload hash */

static bio_model *m;

static void setup(void) { m = fx_model(); }
static void teardown(void) { bio_model_free(m); }

TestSuite(calibration, .init = setup, .fini = teardown, .timeout = 120);

/* The payload's length and hash after an edit of the image. */
static void reseal(uint8_t *img, size_t len)
{
    uint64_t plen = len - PAYLOAD_AT;
    for (int i = 0; i < 8; i++) img[PAYLOAD_AT - 40 + i] = (uint8_t)(plen >> (8 * i));
    bio_sha256(img + PAYLOAD_AT, len - PAYLOAD_AT, img + PAYLOAD_AT - 32);
}

static bio_model *reparse(uint8_t *img, size_t len, char *err, size_t errlen)
{
    reseal(img, len);
    return bio_model_parse(img, len, err, errlen);
}

static double logit(double score) { return log(score / (100 - score)); }

Test(calibration, formula_and_clamping)
{
    m->calib_a = 1.5f;
    m->calib_b = -0.5f;
    m->calib_dur = -2.0f;
    m->calib_dur_s = 0.75f;
    m->calib_dmin = 3.0f;
    m->calib_dmax = 10.0f;
    for (double s = -4; s <= 4; s += 2) {
        for (double t = 3; t <= 10; t += 3.5) {
            double z = 1.5 * s - 0.5 + (-2.0 + 0.75 * s) * log(t);
            cr_expect_float_eq(logit(bio_backend_calibrate(m, s, t)), z, 1e-6, "s %g t %g", s, t);
        }
        /* Outside the fitted range the terms stay at its edge. */
        cr_expect_float_eq(bio_backend_calibrate(m, s, 1.0), bio_backend_calibrate(m, s, 3), 1e-9);
        cr_expect_float_eq(bio_backend_calibrate(m, s, 0), bio_backend_calibrate(m, s, 3), 1e-9);
        cr_expect_float_eq(bio_backend_calibrate(m, s, 60), bio_backend_calibrate(m, s, 10), 1e-9);
    }
    /* A longer test makes a positive score more confident and a negative one less. */
    cr_expect_gt(bio_backend_calibrate(m, 4, 10), bio_backend_calibrate(m, 4, 3));
    cr_expect_lt(bio_backend_calibrate(m, -4, 10), bio_backend_calibrate(m, -4, 3));
}

/* A model image with the given duration terms (a round trip through the file format). */
static bio_model *with_terms(float c, float d, float lo, float hi)
{
    m->calib_dur = c;
    m->calib_dur_s = d;
    m->calib_dmin = lo;
    m->calib_dmax = hi;
    size_t len;
    uint8_t *img = bio_model_serialize(m, &len);
    cr_assert_not_null(img);
    char err[256] = "";
    bio_model *r = bio_model_parse(img, len, err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    free(img);
    return r;
}

Test(calibration, verification_uses_the_test_speech)
{
    bio_model *plain = with_terms(0, 0, 1, 1), *dur = with_terms(-1.0f, 0.5f, 3.0f, 10.0f);
    cr_expect_float_eq(dur->calib_dur, -1.0f, 0);
    cr_expect_float_eq(dur->calib_dmax, 10.0f, 0);
    uint8_t blob[BIO_VOICEPRINT_MAX];
    size_t blen = fx_enroll(plain, SPK_A, blob);
    uint8_t vp2[BIO_VOICEPRINT_MAX];
    size_t vlen2 = fx_enroll(dur, SPK_A, vp2);
    bio_result same = fx_verify(plain, SPK_A, blob, blen), other = fx_verify(plain, SPK_B, blob, blen);
    bio_result same2 = fx_verify(dur, SPK_A, vp2, vlen2), other2 = fx_verify(dur, SPK_B, vp2, vlen2);
    /* The normalised score s recovered from the plain model, the duration terms applied. */
    bio_result pairs[2][2] = {{same, same2}, {other, other2}};
    for (int i = 0; i < 2; i++) {
        bio_result p = pairs[i][0], q = pairs[i][1];
        cr_assert(p.score > 0 && p.score < 100, "score %g", p.score);
        double s = (logit(p.score) - m->calib_b) / m->calib_a;
        double t = fmin(fmax(q.speech_seconds, 3.0), 10.0);
        double want = 100 / (1 + exp(-(m->calib_a * s + m->calib_b + (-1.0 + 0.5 * s) * log(t))));
        cr_expect_float_eq(q.speech_seconds, p.speech_seconds, 1e-9);
        cr_expect_float_eq(q.score, want, 1e-3 * (1 + fabs(want)), "%g vs %g", q.score, want);
    }
    cr_expect_gt(same2.score, other2.score);
    bio_model_free(plain);
    bio_model_free(dur);
}

Test(calibration, version_1_files_still_load)
{
    m->calib_dur = 0.5f; /* dropped with the block: a version 1 file has none */
    size_t len;
    uint8_t *img = bio_model_serialize(m, &len);
    cr_assert_not_null(img);
    len -= 16; /* the duration block is the payload's last 16 bytes */
    bio_put_u32(img + 8, 1);
    char err[256] = "";
    bio_model *v1 = reparse(img, len, err, sizeof err);
    cr_assert_not_null(v1, "%s", err);
    cr_expect_float_eq(v1->calib_dur, 0.0f, 0);
    cr_expect_float_eq(v1->calib_dur_s, 0.0f, 0);
    m->calib_dur = 0; /* the shipped model's own duration terms off: a version 1 scoring */
    m->calib_dur_s = 0;
    for (double s = -3; s <= 3; s += 1.5)
        cr_expect_float_eq(bio_backend_calibrate(v1, s, 6), bio_backend_calibrate(m, s, 1), 1e-9);
    uint8_t blob[BIO_VOICEPRINT_MAX];
    size_t blen = fx_enroll(v1, SPK_A, blob);
    bio_result r = fx_verify(v1, SPK_A, blob, blen);
    cr_expect_gt(r.score, 50, "own voice scored %g", r.score);
    bio_model_free(v1);
    /* Not a version this code knows. */
    bio_put_u32(img + 8, BIO_MODEL_VERSION + 1);
    cr_expect_null(bio_model_parse(img, len, err, sizeof err));
    cr_expect(strstr(err, "version") != NULL, "%s", err);
    free(img);
}

Test(calibration, invalid_duration_blocks_are_refused)
{
    const float bad[][4] = {{0, 0, 0, 10}, {0, 0, -1, 10}, {0, 0, 5, 3}, {NAN, 0, 3, 10},
                            {0, INFINITY, 3, 10}, {0, 0, 3, INFINITY}};
    size_t len;
    uint8_t *img = bio_model_serialize(m, &len);
    cr_assert_not_null(img);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int k = 0; k < 4; k++) bio_put_f32(img + len - 16 + 4 * k, bad[i][k]);
        char err[256] = "";
        bio_model *r = reparse(img, len, err, sizeof err);
        cr_expect_null(r, "block %zu accepted", i);
        cr_expect(strstr(err, "duration") != NULL, "block %zu: %s", i, err);
        bio_model_free(r);
    }
    free(img);
}

/* Deterministic normal deviates (xorshift + Box-Muller). */
static double gauss(uint64_t *st)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        *st ^= *st << 13, *st ^= *st >> 7, *st ^= *st << 17;
        u[i] = ((*st >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

/* calibrate.py on trials whose classes separate better the longer the test: normalised
 * scores ~ N(+-log(t) / 2, 1) for targets / impostors, so the true log-likelihood ratio is
 * exactly the model's form, s log t (a = b = c = 0, d = 1). Scores are written as the model's
 * current calibration prints them. */
Test(calibration, training_step_fits_the_terms)
{
    char dir[] = "/tmp/callprint-calib-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[4096], model[4096], cmd[16384];
    snprintf(path, sizeof path, "%s/speakers.tsv", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "source\tspeaker\trole\tset\ndev\ts1\tdev\tdev\ntst\ts2\ttest\ttst\n");
    fclose(f);
    const double secs[3] = {3, 6, 10};
    uint64_t st = 88172645463325252ull;
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/scores_%gs.tsv", dir, secs[k]);
        f = fopen(path, "w");
        cr_assert_not_null(f);
        for (int i = 0; i < 2400; i++) {
            int target = i < 400;
            double s = (target ? 0.5 : -0.5) * log(secs[k]) + gauss(&st);
            fprintf(f, "%s\t%.4f\tdev/s1/e.wav\tdev/s1/t%d.wav\tnot_sure\t%.2f\n",
                    target ? "target" : "nontarget", bio_backend_calibrate(m, s, secs[k]), i,
                    secs[k]);
        }
        /* A test set's trials take no part in the fit. */
        fprintf(f, "target\t0.0001\ttst/s2/e.wav\ttst/s2/t.wav\tnot_verified\t30.00\n");
        fclose(f);
    }
    snprintf(model, sizeof model, "%s/m.model", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", fx_path("biometrics/models/callprint.model"), model);
    cr_assert_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "python3 '%s' '%s' '%s/speakers.tsv' '%s/scores_3s.tsv' '%s/scores_6s.tsv' "
             "'%s/scores_10s.tsv' > /dev/null",
             fx_path("biometrics/train/calibrate.py"), model, dir, dir, dir, dir);
    cr_assert_eq(system(cmd), 0);
    char err[256] = "";
    bio_model *c = bio_model_load(model, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_expect_float_eq(c->calib_dmin, 3.0f, 1e-6);
    cr_expect_float_eq(c->calib_dmax, 10.0f, 1e-6);
    cr_expect(fabs(c->calib_dur_s - 1) < 0.3, "slope term %g", c->calib_dur_s);
    cr_expect(fabs(c->calib_a) < 0.4, "slope %g", c->calib_a);
    for (int k = 0; k < 3; k++) {
        double lt = log(secs[k]), sc = bio_backend_calibrate(c, 0, secs[k]);
        cr_expect(sc > 40 && sc < 60, "%g s: %g", secs[k], sc);
        /* One unit of s is worth more the longer the test (true log-odds s log t). */
        double up = logit(bio_backend_calibrate(c, 1, secs[k])) - logit(sc);
        cr_expect(fabs(up - lt) < 0.35, "%g s: %g vs %g", secs[k], up, lt);
    }
    /* Only the calibration changed: the same audio still embeds and verifies. */
    uint8_t blob[BIO_VOICEPRINT_MAX];
    size_t blen = fx_enroll(c, SPK_A, blob);
    cr_expect_gt(fx_verify(c, SPK_A, blob, blen).score, fx_verify(c, SPK_B, blob, blen).score);
    bio_model_free(c);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

/* One row of report.py's table: the numbers after the row's name, or 0 if it is missing. */
static int report_row(const char *out, const char *name, double v[9])
{
    for (const char *p = out; (p = strstr(p, name)) != NULL; p++) {
        if ((p != out && p[-1] != '\n') || p[strlen(name)] != ' ') continue;
        return sscanf(p + strlen(name), "%lf %lf %lf %lf %lf %lf %lf %lf %lf", &v[0], &v[1],
                      &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) == 9;
    }
    return 0;
}

/* report.py (evaluate.sh's table): a test source with no speaker in training or dev is
 * labelled leave-one-source-out (a source whose name extends it, as librispeech_1utt does
 * librispeech, counts as seen), pooled rows include it, and false accepts / rejects are
 * counted at both thresholds (accepted: score >= threshold). */
Test(calibration, report_marks_unseen_sources)
{
    char dir[] = "/tmp/callprint-report-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[4096], cmd[16384];
    snprintf(path, sizeof path, "%s/speakers.tsv", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "source\tspeaker\trole\tset\ndv\td1\tdev\tdv\nlb_1utt\tx\ttrain\tlb_1utt\n"
               "lb\tl1\ttest\tlb\nnew\tn1\ttest\tnew\n");
    fclose(f);
    /* Per set: targets 95, 60, 10 and impostors 99, 50, 5, 5 (verified 90, not_sure 40). */
    static const char *spk[3][2] = {{"dv", "d1"}, {"lb", "l1"}, {"new", "n1"}};
    static const double tar[3] = {95, 60, 10}, non[4] = {99, 50, 5, 5};
    for (int d = 3; d <= 10; d += d == 3 ? 3 : 4) {
        snprintf(path, sizeof path, "%s/scores_%ds.tsv", dir, d);
        f = fopen(path, "w");
        cr_assert_not_null(f);
        for (int s = 0; s < 3; s++) {
            for (int i = 0; i < 7; i++)
                fprintf(f, "%s\t%.1f\te.wav\t%s/%s/t%d.wav\t%s\t%d.00\n",
                        i < 3 ? "target" : "nontarget", i < 3 ? tar[i] : non[i - 3], spk[s][0],
                        spk[s][1], i, i == 6 ? "insufficient_speech" : "not_sure", d);
        }
        fclose(f);
    }
    snprintf(cmd, sizeof cmd,
             "python3 '%s' '%s/speakers.tsv' 90 40 '%s/scores_3s.tsv' '%s/scores_6s.tsv' "
             "'%s/scores_10s.tsv'",
             fx_path("biometrics/train/report.py"), dir, dir, dir, dir);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char out[16384];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    cr_assert_eq(pclose(p), 0, "%s", out);
    double v[9];
    cr_expect(report_row(out, "loso:new 6s", v), "%s", out);
    cr_expect(report_row(out, "test:lb 6s", v), "%s", out);
    cr_expect(!report_row(out, "loso:lb 6s", v) && !report_row(out, "test:new 6s", v), "%s", out);
    cr_assert(report_row(out, "loso:new 10s", v), "%s", out);
    /* FA@ver 1 of 4, FR@ver 2 of 3, FA@ns 2 of 4, FR@ns 1 of 3, insufficient 1 of 7 tests. */
    cr_expect_float_eq(v[2], 25.0, 1e-9);
    cr_expect_float_eq(v[3], 200.0 / 3, 0.01);
    cr_expect_float_eq(v[4], 50.0, 1e-9);
    cr_expect_float_eq(v[5], 100.0 / 3, 0.01);
    cr_expect_float_eq(v[6], 14.3, 1e-9);
    cr_expect_float_eq(v[7], 3.0, 1e-9);
    cr_expect_float_eq(v[8], 4.0, 1e-9);
    cr_assert(report_row(out, "pooled loso 3s", v), "%s", out);
    cr_expect_float_eq(v[7], 3.0, 1e-9);
    cr_assert(report_row(out, "pooled test 3s", v), "%s", out);
    cr_expect_float_eq(v[7], 6.0, 1e-9);
    cr_assert(report_row(out, "pooled all 3s", v), "%s", out);
    cr_expect_float_eq(v[7], 9.0, 1e-9);
    /* --exclude drops every trial of the listed speakers. */
    snprintf(cmd, sizeof cmd,
             "python3 '%s' --exclude n1,nobody '%s/speakers.tsv' 90 40 '%s/scores_3s.tsv' "
             "'%s/scores_6s.tsv' '%s/scores_10s.tsv'",
             fx_path("biometrics/train/report.py"), dir, dir, dir, dir);
    p = popen(cmd, "r");
    cr_assert_not_null(p);
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    cr_assert_eq(pclose(p), 0, "%s", out);
    cr_expect(!report_row(out, "loso:new 3s", v) && !report_row(out, "pooled loso 3s", v), "%s", out);
    cr_assert(report_row(out, "pooled all 3s", v), "%s", out);
    cr_expect_float_eq(v[7], 6.0, 1e-9);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}
