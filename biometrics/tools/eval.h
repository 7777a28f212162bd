/* eval.h -- score a trials file with the engine exactly as the gateway would use it.
 *
 * TRIALS format: one trial per line, '#' comments, three TAB-separated fields:
 *     LABEL <TAB> ENROLL <TAB> TEST
 * LABEL is `target` or `nontarget` (also 1/0). ENROLL and TEST are comma-separated lists of
 * audio files (relative paths are relative to the trials file, or to --root), fed in order as one
 * utterance in 20 ms blocks; an optional `@SECONDS` suffix on the list stops feeding once
 * that much net speech has been heard (e.g. `a.wav,b.wav,c.wav@20`  `d.wav,e.wav@3`).
 * Each distinct ENROLL list is enrolled once and each distinct TEST list decoded once.
 */
#ifndef CALLPRINT_BIO_EVAL_H
#define CALLPRINT_BIO_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bio.h"
#include "metrics.h"

typedef struct {
    bio_metrics m;
    size_t trials, skipped;      /* skipped: enrolment or test audio unusable */
    double thr_far1;             /* lowest score threshold with FAR <= 1% */
    double far_verified, frr_verified, far_not_sure, frr_not_sure; /* at the model config */
    double mean_enroll_speech, mean_test_speech;
} bio_eval_result;

/* root: prefix for relative audio paths (NULL: the trials file's directory). */
/* scores: if not NULL, one line per scored trial:
 *     LABEL<TAB>SCORE<TAB>ENROLL<TAB>TEST<TAB>VERDICT<TAB>TEST_SPEECH_SECONDS
 * VERDICT is what the product answers at the model's default settings (insufficient_speech
 * below its minimum net speech, which the score itself ignores); seconds with 2 decimals.
 * test_channel: if not 0, every test file first goes through a simulated telephone line
 * (augment.h) seeded from this value and the file name: clean enrolment vs "phone" test. */
int bio_eval_run(const bio_model *m, const char *trials, const char *root, double p_target,
                 uint64_t test_channel, FILE *scores, bio_eval_result *r, char *err,
                 size_t errlen);

/* Rewrite the thresholds in a model file's config block (the model id does not change). */
int bio_eval_write_thresholds(const char *model_path, double verified, double not_sure);

#endif
