/* callprint-bio -- offline command line for the biometric engine.
 *
 *   callprint-bio enroll [--min-speech SECONDS] -o VOICEPRINT FILE...   (refuses spoofed audio)
 *   callprint-bio verify [--min-speech SECONDS] -v VOICEPRINT FILE...
 *   callprint-bio identify --voiceprints DIR [-k K] FILE...
 *   callprint-bio eval [--write-thresholds] [--p-target P] TRIALS
 *   callprint-bio train -o MODEL [options] LIST
 * Every command accepts --model PATH (else $CALLPRINT_MODEL, else the model committed in the
 * source tree). Results are one JSON object on stdout; failures print {"error": "..."} and
 * exit 1 (2 for usage errors). Several FILEs are one utterance, fed in order in 20 ms blocks
 * exactly as the gateway feeds a call (enroll reads them whole and enrols through
 * bio_enrol_pcm, as the REST import does; feeding is block-size independent). The engine
 * library stays JSON-free; cJSON lives here.
 */
#include <cJSON.h>
#include <cblas.h>
#include <dirent.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio.h"
#include "common/paths.h"
#include "bio.h"
#include "cli.h"
#include "enrol.h"
#include "eval.h"
#include "train.h"

static const char usage[] =
    "usage: callprint-bio [--model PATH] COMMAND ...\n"
    "  enroll [--min-speech SECONDS] -o VOICEPRINT FILE...\n"
    "  verify [--min-speech SECONDS] -v VOICEPRINT FILE...\n"
    "  identify --voiceprints DIR [-k K] FILE...\n"
    "  eval [--root DIR] [--write-thresholds] [--p-target P] [--scores FILE]\n"
    "       [--test-channel SEED] TRIALS\n"
    "  train -o MODEL [--root DIR] [--components N] [--ivector-dim N] [--lda-dim N]\n"
    "        [--augment N] [--tmat-iters N] [--asnorm-top N] [--segment-frames N] [--plda]\n"
    "        [--cohort-channels] [--init MODEL] [--seed N] [--quiet]"
" LIST\n"
    "  spoof [--spoof-model PATH] [--threshold T] FILE...\n"
    "  spoof-train [--root DIR] [--cache FILE] [--hidden N] [--epochs N] [--l2 X] [--seed N] [--no-heldout]\n"
    "              [--hold-out FOLD,...] [--gmm-baseline] [-o MODEL] LIST\n"
    "  spoof-eval [--spoof-model PATH] [--threshold T] [--root DIR] [--cache FILE] LIST\n";

void print_json(cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);
    if (s) puts(s);
    free(s);
    cJSON_Delete(o);
}

int fail(int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", msg);
    print_json(o);
    return code;
}

static double round2(double x) { return (double)(long long)(x * 100 + (x >= 0 ? 0.5 : -0.5)) / 100; }

static const char *model_path(const char *opt)
{
    static char path[4096];
    return opt ? opt
               : paths_data_env("CALLPRINT_MODEL", "models/callprint.model",
                                "biometrics/models/callprint.model", path, sizeof path);
}

static bio_model *open_model(const char *opt, int *code)
{
    char err[512];
    bio_model *m = bio_model_load(model_path(opt), err, sizeof err);
    if (!m) *code = fail(1, "%s", err);
    return m;
}

/* Feed every file, in order, into s. */
static int feed_files(bio_stream *s, char **files, int n)
{
    for (int i = 0; i < n; i++) {
        int16_t *pcm;
        size_t len;
        char err[1024];
        if (bio_audio_read(files[i], &pcm, &len, err, sizeof err) != 0) return fail(1, "%s", err);
        for (size_t k = 0; k < len; k += 160) bio_stream_feed(s, pcm + k, len - k < 160 ? len - k : 160);
        free(pcm);
    }
    return 0;
}

/* Read every file, in order, into one buffer (*pcm, freed by the caller, also on failure). */
static int read_files(char **files, int n, int16_t **pcm, size_t *len)
{
    for (int i = 0; i < n; i++) {
        int16_t *p, *all;
        size_t k;
        char err[1024];
        if (bio_audio_read(files[i], &p, &k, err, sizeof err) != 0) return fail(1, "%s", err);
        if (!(all = realloc(*pcm, sizeof *all * (*len + k + 1)))) { /* +1: never realloc(, 0) */
            free(p);
            return fail(1, "out of memory");
        }
        memcpy(all + *len, p, sizeof *p * k);
        *pcm = all;
        *len += k;
        free(p);
    }
    return 0;
}

static int read_blob(const char *path, uint8_t *buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return fail(1, "cannot open voiceprint %s", path);
    *len = fread(buf, 1, BIO_VOICEPRINT_MAX + 1, f);
    fclose(f);
    if (*len > BIO_VOICEPRINT_MAX) return fail(1, "voiceprint %s is too large", path);
    return 0;
}

typedef struct {
    const char *model, *out, *vp, *dir, *scores;
    double min_speech;
    int k, write_thr;
    double p_target;
    uint64_t test_channel;
    bio_train_opts train;
} cli_opts;

enum { O_MODEL = 256, O_MIN_SPEECH, O_VOICEPRINTS, O_WRITE_THR, O_P_TARGET, O_ROOT, O_COMP,
       O_IVDIM, O_LDA, O_AUG, O_TITER, O_ASNORM, O_SEED, O_QUIET, O_PLDA, O_SCORES, O_SEGMENT, O_CHANNEL,
       O_COHORT_CH, O_INIT };

static const struct option long_opts[] = {
    {"model", required_argument, 0, O_MODEL},
    {"min-speech", required_argument, 0, O_MIN_SPEECH},
    {"voiceprints", required_argument, 0, O_VOICEPRINTS},
    {"write-thresholds", no_argument, 0, O_WRITE_THR},
    {"p-target", required_argument, 0, O_P_TARGET},
    {"root", required_argument, 0, O_ROOT},
    {"components", required_argument, 0, O_COMP},
    {"ivector-dim", required_argument, 0, O_IVDIM},
    {"lda-dim", required_argument, 0, O_LDA},
    {"augment", required_argument, 0, O_AUG},
    {"tmat-iters", required_argument, 0, O_TITER},
    {"asnorm-top", required_argument, 0, O_ASNORM},
    {"seed", required_argument, 0, O_SEED},
    {"quiet", no_argument, 0, O_QUIET},
    {"plda", no_argument, 0, O_PLDA},
    {"cohort-channels", no_argument, 0, O_COHORT_CH},
    {"init", required_argument, 0, O_INIT},
    {"scores", required_argument, 0, O_SCORES},
    {"segment-frames", required_argument, 0, O_SEGMENT},
    {"test-channel", required_argument, 0, O_CHANNEL},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

int parse_number(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

static int parse_opts(int argc, char **argv, cli_opts *o)
{
    int c;
    double v;
    while ((c = getopt_long(argc, argv, "+o:v:k:h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'o': o->out = optarg; break;
        case 'v': o->vp = optarg; break;
        case O_MODEL: o->model = optarg; break;
        case O_VOICEPRINTS: o->dir = optarg; break;
        case O_WRITE_THR: o->write_thr = 1; break;
        case O_ROOT: o->train.root = optarg; break;
        case O_QUIET: o->train.verbose = 0; break;
        case O_PLDA: o->train.plda = 1; break;
        case O_COHORT_CH: o->train.cohort_channels = 1; break;
        case O_INIT: o->train.init = optarg; break;
        case O_SCORES: o->scores = optarg; break;
        case O_CHANNEL: if (parse_number(optarg, 1, 4e18, &v)) return -1; o->test_channel = (uint64_t)v; break;
        case O_SEGMENT: if (parse_number(optarg, 50, 100000, &v)) return -1; o->train.segment_frames = (int)v; break;
        case 'k': if (parse_number(optarg, 1, 1000, &v)) return -1; o->k = (int)v; break;
        case O_MIN_SPEECH: if (parse_number(optarg, 0, 3600, &o->min_speech)) return -1; break;
        case O_P_TARGET: if (parse_number(optarg, 1e-6, 0.5, &o->p_target)) return -1; break;
        case O_COMP: if (parse_number(optarg, 2, 4096, &v)) return -1; o->train.components = (int)v; break;
        case O_IVDIM: if (parse_number(optarg, 2, 1024, &v)) return -1; o->train.ivector_dim = (int)v; break;
        case O_LDA: if (parse_number(optarg, 1, 1024, &v)) return -1; o->train.lda_dim = (int)v; break;
        case O_AUG: if (parse_number(optarg, 0, 10, &v)) return -1; o->train.augment = (int)v; break;
        case O_TITER: if (parse_number(optarg, 1, 100, &v)) return -1; o->train.tmat_iters = (int)v; break;
        case O_ASNORM: if (parse_number(optarg, 0, 100000, &v)) return -1; o->train.asnorm_top = (int)v; break;
        case O_SEED: if (parse_number(optarg, 0, 4e18, &v)) return -1; o->train.seed = (uint64_t)v; break;
        default: return -1;
        }
    }
    return 0;
}

static int cmd_enroll(cli_opts *o, char **files, int n)
{
    if (!o->out || n < 1) return fail(EXIT_USAGE, "enroll needs -o VOICEPRINT and at least one FILE");
    int code = 0;
    bio_model *m = open_model(o->model, &code);
    if (!m) return code;
    bio_config cfg = bio_model_default_config(m);
    if (o->min_speech >= 0) cfg.min_enroll_speech = o->min_speech;
    int16_t *pcm = NULL;
    size_t npcm = 0;
    code = read_files(files, n, &pcm, &npcm);
    /* A spoofing model that does not load matters only once there is enough speech to enrol
     * (before that, "not enough speech" is the answer), so its error waits for the result. */
    char spoof_err[1024] = "";
    bio_spoof_model *sm = code == 0 ? cli_spoof_model(spoof_err, sizeof spoof_err) : NULL;
    uint8_t blob[BIO_VOICEPRINT_MAX];
    bio_enrol_opts opt = {.spoof = sm, .spoof_threshold = -1};
    bio_enrol_result r;
    if (code == 0 && bio_enrol_pcm(&bio_engine_ivector, m, &cfg, pcm, npcm, &opt, blob, sizeof blob, &r) != 0)
        code = fail(1, "out of memory");
    if (code == 0 && r.speech >= cfg.min_enroll_speech) { /* synthetic or replayed speech never enrols */
        if (!sm) code = fail(1, "%s", spoof_err);
        else if (r.spoof.result == BIO_SPOOF_SPOOF) code = cli_spoof_refuse(sm, r.spoof.score);
    }
    if (code == 0) {
        FILE *f = NULL;
        if (r.status == BIO_ERR_SPEECH)
            code = fail(1, "not enough speech to enrol: %.2f s of net speech, %.2f s required",
                        r.speech, cfg.min_enroll_speech);
        else if (r.status != BIO_OK)
            code = fail(1, "cannot enrol: %s", bio_strerror(r.status));
        else if (!(f = fopen(o->out, "wb")) || fwrite(blob, 1, r.blob_len, f) != r.blob_len || fclose(f) != 0) {
            if (f) fclose(f);
            code = fail(1, "cannot write voiceprint %s", o->out);
        } else {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "voiceprint", o->out);
            cJSON_AddNumberToObject(j, "speech_length", round2(r.speech));
            cJSON_AddNumberToObject(j, "bytes", (double)r.blob_len);
            print_json(j);
        }
    }
    bio_spoof_model_free(sm);
    free(pcm);
    bio_model_free(m);
    return code;
}

static int cmd_verify(cli_opts *o, char **files, int n)
{
    if (!o->vp || n < 1) return fail(EXIT_USAGE, "verify needs -v VOICEPRINT and at least one FILE");
    uint8_t blob[BIO_VOICEPRINT_MAX + 1];
    size_t len = 0;
    int code = read_blob(o->vp, blob, &len);
    if (code) return code;
    bio_model *m = open_model(o->model, &code);
    if (!m) return code;
    bio_status st = bio_voiceprint_check(m, blob, len, NULL);
    if (st != BIO_OK) {
        bio_model_free(m);
        return fail(1, "invalid voiceprint %s: %s", o->vp, bio_strerror(st));
    }
    bio_stream *s = bio_stream_new(m);
    bio_config cfg = bio_model_default_config(m);
    if (o->min_speech >= 0) cfg.min_verify_speech = o->min_speech;
    code = s ? feed_files(s, files, n) : fail(1, "out of memory");
    bio_result r;
    if (code == 0 && (st = bio_stream_verify(s, &cfg, blob, len, &r)) != BIO_OK)
        code = fail(1, "cannot verify: %s", bio_strerror(st));
    if (code == 0) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "score", round2(r.score));
        cJSON_AddStringToObject(j, "result", bio_verdict_name(r.verdict));
        cJSON_AddNumberToObject(j, "speech_length", round2(r.speech_seconds));
        print_json(j);
    }
    bio_stream_free(s);
    bio_model_free(m);
    return code;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the regular entries of dir (for deterministic indices). */
static char **list_dir(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char **names = NULL;
    size_t cap = 0;
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, sizeof(char *) * cap);
            if (!nn) break;
            names = nn;
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (!names) names = calloc(1, sizeof(char *));
    if (names) qsort(names, *n, sizeof(char *), cmp_str);
    return names;
}

static int cmd_identify(cli_opts *o, char **files, int n)
{
    if (!o->dir || n < 1) return fail(EXIT_USAGE, "identify needs --voiceprints DIR and at least one FILE");
    size_t nn;
    char **names = list_dir(o->dir, &nn);
    if (!names) return fail(1, "cannot read voiceprint directory %s", o->dir);
    int code = 0;
    bio_model *m = open_model(o->model, &code);
    bio_gallery *g = m ? bio_gallery_new(m) : NULL;
    size_t *gidx = malloc(sizeof(size_t) * (nn + 1)), skipped = 0;
    bio_stream *s = m ? bio_stream_new(m) : NULL;
    if (m && (!g || !gidx || !s)) code = fail(1, "out of memory");
    for (size_t i = 0; i < nn && code == 0; i++) {
        char path[8192];
        uint8_t blob[BIO_VOICEPRINT_MAX + 1];
        snprintf(path, sizeof path, "%s/%s", o->dir, names[i]);
        FILE *f = fopen(path, "rb");
        size_t len = f ? fread(blob, 1, sizeof blob, f) : 0;
        if (f) fclose(f);
        if (!f || len > BIO_VOICEPRINT_MAX || bio_gallery_add(g, blob, len) != BIO_OK) skipped++;
        else gidx[bio_gallery_size(g) - 1] = i;
    }
    if (code == 0) code = feed_files(s, files, n);
    if (code == 0) {
        bio_config cfg = bio_model_default_config(m);
        size_t k = o->k > 0 ? (size_t)o->k : 5, got = 0;
        bio_match *best = malloc(sizeof(bio_match) * k);
        bio_status st = best ? bio_stream_identify(s, &cfg, g, k, best, &got) : BIO_ERR_NOMEM;
        if (st != BIO_OK && st != BIO_ERR_SPEECH) {
            code = fail(1, "cannot identify: %s", bio_strerror(st));
        } else {
            cJSON *j = cJSON_CreateObject(), *arr = cJSON_CreateArray();
            cJSON_AddStringToObject(j, "result", st == BIO_ERR_SPEECH ? "insufficient_speech" : "ok");
            cJSON_AddNumberToObject(j, "speech_length", round2(bio_stream_speech_seconds(s)));
            cJSON_AddNumberToObject(j, "searched", (double)bio_gallery_size(g));
            cJSON_AddNumberToObject(j, "skipped", (double)skipped);
            for (size_t i = 0; i < got; i++) {
                cJSON *c = cJSON_CreateObject();
                cJSON_AddStringToObject(c, "voiceprint", names[gidx[best[i].index]]);
                cJSON_AddNumberToObject(c, "score", round2(best[i].score));
                cJSON_AddItemToArray(arr, c);
            }
            cJSON_AddItemToObject(j, "candidates", arr);
            print_json(j);
        }
        free(best);
    }
    for (size_t i = 0; i < nn; i++) free(names[i]);
    free(names);
    free(gidx);
    bio_stream_free(s);
    bio_gallery_free(g);
    bio_model_free(m);
    return code;
}

static int cmd_eval(cli_opts *o, char **files, int n)
{
    if (n != 1) return fail(EXIT_USAGE, "eval needs exactly one TRIALS file");
    int code = 0;
    bio_model *m = open_model(o->model, &code);
    if (!m) return code;
    bio_eval_result r;
    char err[1024];
    FILE *sf = NULL;
    if (o->scores && !(sf = fopen(o->scores, "w"))) {
        bio_model_free(m);
        return fail(1, "cannot write %s", o->scores);
    }
    int rc = bio_eval_run(m, files[0], o->train.root, o->p_target, o->test_channel, sf, &r, err,
                          sizeof err);
    if (sf) fclose(sf);
    if (rc != 0) {
        bio_model_free(m);
        return fail(1, "%s", err);
    }
    bio_config cfg = bio_model_default_config(m);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "trials", (double)r.trials);
    cJSON_AddNumberToObject(j, "targets", (double)r.m.ntar);
    cJSON_AddNumberToObject(j, "nontargets", (double)r.m.nnon);
    cJSON_AddNumberToObject(j, "skipped", (double)r.skipped);
    cJSON_AddNumberToObject(j, "eer_percent", round2(100 * r.m.eer));
    cJSON_AddNumberToObject(j, "min_dcf", round2(r.m.min_dcf * 1000) / 1000);
    cJSON_AddNumberToObject(j, "p_target", o->p_target);
    cJSON_AddNumberToObject(j, "eer_threshold", round2(r.m.eer_threshold));
    cJSON_AddNumberToObject(j, "threshold_far_1pct", round2(r.thr_far1));
    cJSON_AddNumberToObject(j, "mean_enroll_speech", round2(r.mean_enroll_speech));
    cJSON_AddNumberToObject(j, "mean_test_speech", round2(r.mean_test_speech));
    cJSON *v = cJSON_AddObjectToObject(j, "at_model_thresholds");
    cJSON_AddNumberToObject(v, "verified", round2(cfg.thr_verified));
    cJSON_AddNumberToObject(v, "verified_far_percent", round2(100 * r.far_verified));
    cJSON_AddNumberToObject(v, "verified_frr_percent", round2(100 * r.frr_verified));
    cJSON_AddNumberToObject(v, "not_sure", round2(cfg.thr_not_sure));
    cJSON_AddNumberToObject(v, "not_sure_far_percent", round2(100 * r.far_not_sure));
    cJSON_AddNumberToObject(v, "not_sure_frr_percent", round2(100 * r.frr_not_sure));
    if (o->write_thr) {
        if (bio_eval_write_thresholds(model_path(o->model), r.thr_far1, r.m.eer_threshold) != 0) {
            cJSON_Delete(j);
            bio_model_free(m);
            return fail(1, "cannot rewrite thresholds in %s", model_path(o->model));
        }
        cJSON_AddBoolToObject(j, "thresholds_written", 1);
    }
    print_json(j);
    bio_model_free(m);
    return 0;
}

static int cmd_train(cli_opts *o, char **files, int n)
{
    if (!o->out || n != 1) return fail(EXIT_USAGE, "train needs -o MODEL and one LIST file");
    o->train.list = files[0];
    o->train.out = o->out;
    char err[1024];
    if (bio_train(&o->train, err, sizeof err) != 0) return fail(1, "training failed: %s", err);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "model", o->out);
    print_json(j);
    return 0;
}

int main(int argc, char **argv)
{
    openblas_set_num_threads(1); /* per-stream work is small; threads only add contention */
    cli_opts o = {.min_speech = -1, .p_target = 0.01};
    bio_train_defaults(&o.train);
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    /* Global options may come before the command: callprint-bio --model M verify ... */
    int first = 1;
    while (first + 1 < argc && !strcmp(argv[first], "--model")) {
        o.model = argv[first + 1];
        first += 2;
    }
    if (first >= argc) return fail(EXIT_USAGE, "missing command");
    argc -= first - 1;
    argv += first - 1;
    const char *cmd = argv[1];
    if (!strcmp(cmd, "spoof") || !strcmp(cmd, "spoof-train") || !strcmp(cmd, "spoof-eval"))
        return cli_spoof_main(argc - 1, argv + 1);
    optind = 1;
    if (parse_opts(argc - 1, argv + 1, &o) != 0) {
        fputs(usage, stderr);
        return fail(EXIT_USAGE, "invalid arguments for %s", cmd);
    }
    char **files = argv + 1 + optind;
    int n = argc - 1 - optind;
    if (!strcmp(cmd, "enroll")) return cmd_enroll(&o, files, n);
    if (!strcmp(cmd, "verify")) return cmd_verify(&o, files, n);
    if (!strcmp(cmd, "identify")) return cmd_identify(&o, files, n);
    if (!strcmp(cmd, "eval")) return cmd_eval(&o, files, n);
    if (!strcmp(cmd, "train")) return cmd_train(&o, files, n);
    fputs(usage, stderr);
    return fail(EXIT_USAGE, "unknown command %s", cmd);
}
