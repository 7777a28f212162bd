/* spoof_train.h -- training and held-out evaluation of the spoofing countermeasure.
 *
 * Input: a list (TSV with a header: path, label bonafide|spoof, attack, speaker, source, split
 * train|test; what biometrics/train/spoof/make_data.py writes). Every file is fed through a
 * bio_spoof_stream exactly as a call would be (20 ms blocks), so training sees the utterance
 * vectors the engine computes live; they are cached in a binary file keyed by the list.
 *
 * Classifier: one tanh hidden layer (or none: logistic regression) on the standardised vector,
 * (defaults: 4 units, 30 epochs, L2 0.05: measured, see models/spoof.md) trained by mini-batch
 * Adam on the cross-entropy with class-balanced weights (bona fide one
 * half; spoofs the other half, shared equally between attack kinds, so a kind with many items
 * does not dominate), L2 weight decay. Calibration: a one-dimensional logistic fit of the
 * training logits (balanced), so 50 is even odds. The default threshold is the lowest score
 * that flags at most 1 % of the training bona fide utterances.
 *
 * Evaluation (bio_spoof_heldout): for each attack kind, a model trained without it is tested on
 * that kind's test items against the bona fide test items (leave-one-engine-out for tts:*,
 * leave-one-chain-out for replay:*); the held-out pooled EER (every fold's held-out scores,
 * standardised by that fold's bona fide test scores, pooled: all kinds, tts:*, replay:*); plus
 * pooled (every kind seen) and the bona fide flag rate at the default threshold per bona fide
 * source.
 */
#ifndef CALLPRINT_BIO_SPOOF_TRAIN_H
#define CALLPRINT_BIO_SPOOF_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "spoof.h"

typedef struct {
    char attack[40], source[40];
    int spoof, test, kind; /* kind: index into the list's distinct attack names */
    float vec[BIO_SPOOF_DIM];
} bio_spoof_item;

typedef struct {
    bio_spoof_item *items;
    size_t n;
    char kinds[64][40];
    int nkinds;
} bio_spoof_set;

typedef struct {
    int hidden;   /* hidden units (0: logistic regression) */
    int epochs;
    double lr, l2;
    uint64_t seed;
    double max_bona_flagged; /* default threshold: share of training bona fide flagged */
    const char *hold_out;    /* comma-separated folds held out in turn, each a kind or kinds joined
                              * by '+' held out together (NULL: every kind on its own) */
} bio_spoof_train_opts;

void bio_spoof_train_defaults(bio_spoof_train_opts *o);
/* Read the list (paths relative to root, NULL: the list's folder), computing or loading the
 * vectors (cache: NULL for none). 0, or -1 with err set. */
int bio_spoof_set_load(const char *list, const char *root, const char *cache, bio_spoof_set *set,
                       char *err, size_t errlen);
void bio_spoof_set_free(bio_spoof_set *set);
/* Train on the items with use[i] != 0; fills p (arrays malloc'd: bio_spoof_params_free). */
int bio_spoof_fit(const bio_spoof_set *set, const unsigned char *use, const bio_spoof_train_opts *o,
                  bio_spoof_params *p);
void bio_spoof_params_free(bio_spoof_params *p);
/* Calibrated 0-100 score of one vector. */
double bio_spoof_item_score(const bio_spoof_params *p, const float *vec);

typedef struct {
    char name[64];
    size_t nspoof, nbona;
    double eer;        /* percent */
    double flagged;    /* bona fide only: percent flagged at the default threshold */
    double missed;     /* spoof only: percent passed as bona fide at the default threshold */
} bio_spoof_figure;

/* Figures of one model on the test split: per attack kind (EER, share passed at the default
 * threshold), pooled, pooled tts and pooled replay, bona fide flagged per source. */
size_t bio_spoof_evaluate(const bio_spoof_set *set, const bio_spoof_params *p, bio_spoof_figure *fig,
                          size_t cap);
/* Held-out figures (see above) into fig (cap entries); returns the count. */
size_t bio_spoof_heldout(const bio_spoof_set *set, const bio_spoof_train_opts *o, bio_spoof_figure *fig,
                         size_t cap, int verbose);

/* The ASVspoof baseline for comparison (spoof_gmm.c): two GMMs on LFCC frames, the same
 * held-out protocol; only eer is filled. Reads the list's audio again (frames are not cached).
 * Returns the count (0 with err set on failure). */
size_t bio_spoof_gmm_heldout(const bio_spoof_set *set, const char *list, const char *root,
                             bio_spoof_figure *fig, size_t cap, char *err, size_t errlen);

#endif
