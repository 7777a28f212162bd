/* spoof_cmd.c -- callprint-bio's spoofing-countermeasure commands.
 *
 *   callprint-bio spoof [--spoof-model PATH] [--threshold T] FILE...
 *       one JSON object: spoof_score (0-100, higher = more likely spoofed), result (bonafide,
 *       spoof or insufficient_speech), speech_length (net speech seconds), threshold. Several
 *       FILEs are one utterance, fed in order in 20 ms blocks as the gateway feeds a call.
 *       Exit 0 whenever it could score (insufficient_speech included), 1 on an unreadable
 *       file or model, 2 on usage errors.
 *   callprint-bio spoof-train [--root DIR] [--cache FILE] [--hidden N] [--epochs N] [--l2 X]
 *                             [--seed N] [--no-heldout] [--hold-out FOLD,...] [--gmm-baseline]
 *                             [-o MODEL] LIST
 *       held-out figures (leave-one-attack-out EERs, pooled, bona fide flagged per source; with
 *       --hold-out only those folds are held out in turn and pooled, so figures stay comparable
 *       when kinds are added to the training data; a fold is a kind, or kinds joined by '+'
 *       held out together: leave-one-family-out), the
 *       two-GMM baseline's with --gmm-baseline, and with -o the model trained on the list's
 *       train split.
 *   callprint-bio spoof-eval [--spoof-model PATH] [--threshold T] [--root DIR] [--cache FILE] LIST
 *       a model's figures on the list's test split (per attack kind, pooled, bona fide flagged
 *       per source at its threshold).
 * The model: --spoof-model, else $CALLPRINT_SPOOF_MODEL, else the one in the source tree.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio.h"
#include "common/paths.h"
#include "cli.h"
#include "spoof.h"
#include "spoof_train.h"

enum { S_MODEL = 300, S_THR, S_ROOT, S_CACHE, S_HIDDEN, S_EPOCHS, S_SEED, S_NOHELD, S_BASELINE, S_L2, S_HOLDOUT };

static const struct option spoof_opts[] = {
    {"spoof-model", required_argument, 0, S_MODEL}, {"threshold", required_argument, 0, S_THR},
    {"root", required_argument, 0, S_ROOT},         {"cache", required_argument, 0, S_CACHE},
    {"hidden", required_argument, 0, S_HIDDEN},     {"epochs", required_argument, 0, S_EPOCHS},
    {"seed", required_argument, 0, S_SEED},         {"no-heldout", no_argument, 0, S_NOHELD},
    {"gmm-baseline", no_argument, 0, S_BASELINE},   {"l2", required_argument, 0, S_L2},
    {"hold-out", required_argument, 0, S_HOLDOUT},  {0, 0, 0, 0}};

typedef struct {
    const char *model, *root, *cache, *out;
    double threshold;
    int heldout, baseline;
    bio_spoof_train_opts train;
} spoof_cli;

static int parse(int argc, char **argv, spoof_cli *o)
{
    int c;
    double v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+o:", spoof_opts, NULL)) != -1) {
        switch (c) {
        case 'o': o->out = optarg; break;
        case S_MODEL: o->model = optarg; break;
        case S_ROOT: o->root = optarg; break;
        case S_CACHE: o->cache = optarg; break;
        case S_NOHELD: o->heldout = 0; break;
        case S_BASELINE: o->baseline = 1; break;
        case S_HOLDOUT: o->train.hold_out = optarg; break;
        case S_THR: if (parse_number(optarg, 0, 100, &o->threshold)) return -1; break;
        case S_HIDDEN: if (parse_number(optarg, 0, BIO_SPOOF_MAX_HIDDEN, &v)) return -1; o->train.hidden = (int)v; break;
        case S_EPOCHS: if (parse_number(optarg, 1, 10000, &v)) return -1; o->train.epochs = (int)v; break;
        case S_L2: if (parse_number(optarg, 0, 100, &o->train.l2)) return -1; break;
        case S_SEED: if (parse_number(optarg, 0, 4e18, &v)) return -1; o->train.seed = (uint64_t)v; break;
        default: return -1;
        }
    }
    return 0;
}

static const char *model_path(const char *opt)
{
    static char path[4096];
    return opt ? opt
               : paths_data_env("CALLPRINT_SPOOF_MODEL", "models/spoof.model",
                                "biometrics/models/spoof.model", path, sizeof path);
}

static double round2(double x) { return round(x * 100) / 100; }

/* Load the model and score the files as one utterance; 0, or fail()'s code. */
static int score_files(const char *model, double thr, char **files, int n, bio_spoof_result *r, double *thr_used)
{
    char err[1024];
    bio_spoof_model *m = bio_spoof_model_load(model_path(model), err, sizeof err);
    if (!m) return fail(1, "%s", err);
    bio_spoof_stream *s = bio_spoof_stream_new(m);
    int code = s ? 0 : fail(1, "out of memory");
    for (int i = 0; code == 0 && i < n; i++) {
        int16_t *pcm;
        size_t len;
        if (bio_audio_read(files[i], &pcm, &len, err, sizeof err) != 0) {
            code = fail(1, "%s", err);
            break;
        }
        for (size_t k = 0; k < len; k += 160) bio_spoof_stream_feed(s, pcm + k, len - k < 160 ? len - k : 160);
        free(pcm);
    }
    *thr_used = thr >= 0 ? thr : bio_spoof_model_threshold(m);
    if (code == 0) bio_spoof_stream_score(s, *thr_used, r);
    bio_spoof_stream_free(s);
    bio_spoof_model_free(m);
    return code;
}

struct bio_spoof_model *cli_spoof_model(char *err, size_t cap)
{
    return bio_spoof_model_load(model_path(NULL), err, cap);
}

int cli_spoof_refuse(const struct bio_spoof_model *m, double score)
{
    return fail(1, "refused: the audio was judged spoofed (synthetic or replayed speech; spoof score %.1f, "
                   "threshold %.1f)", score, bio_spoof_model_threshold(m));
}

static int cmd_spoof(spoof_cli *o, char **files, int n)
{
    if (n < 1) return fail(EXIT_USAGE, "spoof needs at least one FILE");
    bio_spoof_result r;
    double thr;
    int code = score_files(o->model, o->threshold, files, n, &r, &thr);
    if (code == 0) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "spoof_score", round2(r.score));
        cJSON_AddStringToObject(j, "result", bio_spoof_verdict_name(r.result));
        cJSON_AddNumberToObject(j, "speech_length", round2(r.speech_seconds));
        cJSON_AddNumberToObject(j, "threshold", round2(thr));
        print_json(j);
    }
    return code;
}

static cJSON *figure_json(const bio_spoof_figure *f)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", f->name);
    if (f->nspoof) {
        cJSON_AddNumberToObject(j, "eer_percent", round2(f->eer));
        cJSON_AddNumberToObject(j, "missed_percent", round2(f->missed));
        cJSON_AddNumberToObject(j, "spoof", (double)f->nspoof);
    }
    cJSON_AddNumberToObject(j, "bonafide", (double)f->nbona);
    cJSON_AddNumberToObject(j, "bonafide_flagged_percent", round2(f->flagged));
    return j;
}

static int cmd_train(spoof_cli *o, char **files, int n)
{
    if (n != 1) return fail(EXIT_USAGE, "spoof-train needs one LIST file");
    char err[1024];
    bio_spoof_set set;
    if (bio_spoof_set_load(files[0], o->root, o->cache, &set, err, sizeof err) != 0)
        return fail(1, "%s", err);
    cJSON *j = cJSON_CreateObject();
    if (o->heldout) {
        bio_spoof_figure fig[128];
        size_t nf = bio_spoof_heldout(&set, &o->train, fig, 128, 1);
        cJSON *a = cJSON_AddArrayToObject(j, "heldout");
        for (size_t i = 0; i < nf; i++) cJSON_AddItemToArray(a, figure_json(&fig[i]));
    }
    if (o->baseline) {
        bio_spoof_figure fig[128] = {0};
        size_t nf = bio_spoof_gmm_heldout(&set, files[0], o->root, fig, 128, err, sizeof err);
        if (!nf) {
            bio_spoof_set_free(&set);
            cJSON_Delete(j);
            return fail(1, "%s", err);
        }
        cJSON *a = cJSON_AddArrayToObject(j, "gmm_baseline");
        for (size_t i = 0; i < nf; i++) {
            cJSON *f = cJSON_CreateObject();
            cJSON_AddStringToObject(f, "name", fig[i].name);
            cJSON_AddNumberToObject(f, "eer_percent", round2(fig[i].eer));
            cJSON_AddItemToArray(a, f);
        }
    }
    int code = 0;
    if (o->out) {
        unsigned char *use = malloc(set.n);
        bio_spoof_params p;
        for (size_t i = 0; use && i < set.n; i++) use[i] = !set.items[i].test;
        bio_spoof_model *m = NULL;
        if (!use || bio_spoof_fit(&set, use, &o->train, &p) != 0) code = fail(1, "out of memory");
        else if (!(m = bio_spoof_model_new(&p)) || bio_spoof_model_save(m, o->out, err, sizeof err) != 0)
            code = fail(1, "%s", m ? err : "out of memory");
        else {
            cJSON_AddStringToObject(j, "model", o->out);
            cJSON_AddNumberToObject(j, "threshold", round2(p.threshold));
        }
        if (use && code == 0) bio_spoof_params_free(&p);
        bio_spoof_model_free(m);
        free(use);
    }
    bio_spoof_set_free(&set);
    if (code) {
        cJSON_Delete(j);
        return code;
    }
    print_json(j);
    return 0;
}

static int cmd_eval(spoof_cli *o, char **files, int n)
{
    if (n != 1) return fail(EXIT_USAGE, "spoof-eval needs one LIST file");
    char err[1024];
    bio_spoof_model *m = bio_spoof_model_load(model_path(o->model), err, sizeof err);
    if (!m) return fail(1, "%s", err);
    bio_spoof_set set;
    if (bio_spoof_set_load(files[0], o->root, o->cache, &set, err, sizeof err) != 0) {
        bio_spoof_model_free(m);
        return fail(1, "%s", err);
    }
    bio_spoof_params p = *bio_spoof_model_params(m);
    if (o->threshold >= 0) p.threshold = (float)o->threshold;
    bio_spoof_figure fig[128];
    size_t nf = bio_spoof_evaluate(&set, &p, fig, 128);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "threshold", round2(p.threshold));
    cJSON *a = cJSON_AddArrayToObject(j, "figures");
    for (size_t i = 0; i < nf; i++) cJSON_AddItemToArray(a, figure_json(&fig[i]));
    print_json(j);
    bio_spoof_set_free(&set);
    bio_spoof_model_free(m);
    return 0;
}

int cli_spoof_main(int argc, char **argv)
{
    spoof_cli o = {.threshold = -1, .heldout = 1};
    bio_spoof_train_defaults(&o.train);
    const char *cmd = argv[0];
    if (parse(argc, argv, &o) != 0) return fail(EXIT_USAGE, "invalid arguments for %s", cmd);
    char **files = argv + optind;
    int n = argc - optind;
    if (!strcmp(cmd, "spoof")) return cmd_spoof(&o, files, n);
    return !strcmp(cmd, "spoof-eval") ? cmd_eval(&o, files, n) : cmd_train(&o, files, n);
}
