/* eval.c -- trials-file evaluation (format in eval.h).
 *
 * Trials are grouped by TEST list (sorted), so each test utterance is fed once and its
 * embedding (cached in the stream) is compared with every enrolment it is paired with.
 */
#include "eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio.h"
#include "augment.h"
#include "model.h"

typedef struct {
    char *enroll, *test;
    int target;
} trial;

typedef struct {
    char *spec;
    uint8_t blob[BIO_VOICEPRINT_MAX];
    size_t len;
    int ok;
} enrolment;

typedef struct {
    const bio_model *m;
    char root[4096];
    enrolment *enr;
    size_t nenr, capenr;
    double enr_speech;
    uint64_t test_channel;
} eval_ctx;

/* Feed a spec ("a.wav,b.wav@3") into a fresh state of s. */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static int feed_spec(eval_ctx *c, bio_stream *s, const char *spec, uint64_t channel, char *err,
                     size_t errlen)
{
    char *dup = strdup(spec);
    if (!dup) return -1;
    double limit = 0;
    char *at = strrchr(dup, '@');
    if (at) {
        *at = 0;
        limit = atof(at + 1);
    }
    bio_stream_reset(s);
    int rc = 0;
    for (char *save = NULL, *f = strtok_r(dup, ",", &save); f && rc == 0;
         f = strtok_r(NULL, ",", &save)) {
        char path[8192];
        snprintf(path, sizeof path, "%s%s", f[0] == '/' ? "" : c->root, f);
        int16_t *pcm;
        size_t n;
        if (bio_audio_read(path, &pcm, &n, err, errlen) != 0) {
            rc = -1;
            break;
        }
        if (channel) bio_augment(pcm, n, channel ^ hash_str(f));
        for (size_t i = 0; i < n; i += 160) {
            bio_stream_feed(s, pcm + i, n - i < 160 ? n - i : 160);
            if (limit > 0 && bio_stream_speech_seconds(s) >= limit) break;
        }
        free(pcm);
        if (limit > 0 && bio_stream_speech_seconds(s) >= limit) break;
    }
    free(dup);
    return rc;
}

static enrolment *get_enrolment(eval_ctx *c, bio_stream *s, const char *spec)
{
    for (size_t i = 0; i < c->nenr; i++)
        if (strcmp(c->enr[i].spec, spec) == 0) return &c->enr[i];
    if (c->nenr == c->capenr) {
        c->capenr = c->capenr ? 2 * c->capenr : 64;
        enrolment *e = realloc(c->enr, sizeof(enrolment) * c->capenr);
        if (!e) return NULL;
        c->enr = e;
    }
    enrolment *e = &c->enr[c->nenr++];
    e->spec = strdup(spec);
    char err[512];
    bio_config cfg = bio_model_default_config(c->m);
    cfg.min_enroll_speech = 0.5;
    e->ok = e->spec && feed_spec(c, s, spec, 0, err, sizeof err) == 0 &&
            bio_stream_enroll(s, &cfg, e->blob, sizeof e->blob, &e->len) == BIO_OK;
    if (e->ok) c->enr_speech += bio_stream_speech_seconds(s);
    else fprintf(stderr, "eval: cannot enrol %s\n", spec);
    return e;
}

static int load_trials(const char *path, trial **out, size_t *n, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open trials file %s", path);
        return -1;
    }
    char line[65536];
    size_t cap = 0;
    int lineno = 0, rc = 0;
    *out = NULL;
    *n = 0;
    while (fgets(line, sizeof line, f) && rc == 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        char *save = NULL, *lab = strtok_r(line, "\t", &save), *en = strtok_r(NULL, "\t", &save),
             *te = strtok_r(NULL, "\t", &save);
        if (!lab || !en || !te) {
            snprintf(err, errlen, "%s:%d: expected LABEL<TAB>ENROLL<TAB>TEST", path, lineno);
            rc = -1;
            break;
        }
        int target = !strcmp(lab, "target") || !strcmp(lab, "1");
        if (!target && strcmp(lab, "nontarget") && strcmp(lab, "0")) {
            snprintf(err, errlen, "%s:%d: label must be target or nontarget", path, lineno);
            rc = -1;
            break;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 1024;
            trial *t = realloc(*out, sizeof(trial) * cap);
            if (!t) { rc = -1; break; }
            *out = t;
        }
        (*out)[(*n)++] = (trial){strdup(en), strdup(te), target};
    }
    fclose(f);
    return rc;
}

static int cmp_trial(const void *a, const void *b)
{
    return strcmp(((const trial *)a)->test, ((const trial *)b)->test);
}

static void finish(bio_eval_result *r, const bio_model *m, double *tar, size_t nt, double *non,
                   size_t nn, double p_target)
{
    bio_metrics_compute(tar, nt, non, nn, p_target, &r->m);
    bio_config cfg = bio_model_default_config(m);
    r->thr_far1 = bio_metrics_threshold_at_far(non, nn, 0.01);
    r->far_verified = bio_metrics_far(non, nn, cfg.thr_verified);
    r->frr_verified = bio_metrics_frr(tar, nt, cfg.thr_verified);
    r->far_not_sure = bio_metrics_far(non, nn, cfg.thr_not_sure);
    r->frr_not_sure = bio_metrics_frr(tar, nt, cfg.thr_not_sure);
}

int bio_eval_run(const bio_model *m, const char *trials_path, const char *root, double p_target,
                 uint64_t test_channel, FILE *scores, bio_eval_result *r, char *err,
                 size_t errlen)
{
    memset(r, 0, sizeof *r);
    eval_ctx c = {.m = m, .test_channel = test_channel};
    if (root) {
        snprintf(c.root, sizeof c.root, "%s/", root);
    } else {
        snprintf(c.root, sizeof c.root, "%s", trials_path);
        char *slash = strrchr(c.root, '/');
        if (slash) slash[1] = 0; else c.root[0] = 0;
    }
    trial *t;
    size_t n;
    if (load_trials(trials_path, &t, &n, err, errlen) != 0) return -1;
    qsort(t, n, sizeof *t, cmp_trial);
    double *tar = malloc(sizeof(double) * (n + 1)), *non = malloc(sizeof(double) * (n + 1));
    bio_stream *es = bio_stream_new(m), *ts = bio_stream_new(m);
    size_t nt = 0, nn = 0, ntests = 0;
    double test_speech = 0;
    int rc = tar && non && es && ts ? 0 : -1;
    bio_config product = bio_model_default_config(m), cfg = product; /* scores: every trial */
    cfg.min_verify_speech = 0.1;
    for (size_t i = 0; i < n && rc == 0;) {
        size_t j = i;
        while (j < n && strcmp(t[j].test, t[i].test) == 0) j++;
        char e2[512];
        int ok = feed_spec(&c, ts, t[i].test, c.test_channel, e2, sizeof e2) == 0;
        if (!ok) fprintf(stderr, "eval: %s\n", e2);
        ntests++;
        test_speech += bio_stream_speech_seconds(ts);
        for (size_t k = i; k < j; k++) {
            enrolment *e = get_enrolment(&c, es, t[k].enroll);
            bio_result res;
            if (!ok || !e || !e->ok ||
                bio_stream_verify(ts, &cfg, e->blob, e->len, &res) != BIO_OK ||
                res.verdict == BIO_INSUFFICIENT_SPEECH) {
                r->skipped++;
                continue;
            }
            if (scores)
                fprintf(scores, "%s\t%.4f\t%s\t%s\t%s\t%.2f\n", t[k].target ? "target" : "nontarget",
                        res.score, t[k].enroll, t[k].test,
                        bio_verdict_name(bio_verdict_for(&product, res.score, res.speech_seconds)),
                        res.speech_seconds);
            if (t[k].target) tar[nt++] = res.score;
            else non[nn++] = res.score;
        }
        i = j;
    }
    r->trials = n;
    if (rc == 0) finish(r, m, tar, nt, non, nn, p_target);
    r->mean_test_speech = ntests ? test_speech / ntests : 0;
    r->mean_enroll_speech = c.nenr ? c.enr_speech / c.nenr : 0;
    for (size_t i = 0; i < n; i++) free(t[i].enroll), free(t[i].test);
    for (size_t i = 0; i < c.nenr; i++) free(c.enr[i].spec);
    free(c.enr), free(t), free(tar), free(non);
    bio_stream_free(es);
    bio_stream_free(ts);
    return rc;
}

int bio_eval_write_thresholds(const char *model_path, double verified, double not_sure)
{
    char err[256];
    bio_model *m = bio_model_load(model_path, err, sizeof err);
    if (!m) return -1;
    bio_config cfg = m->config;
    bio_model_free(m);
    cfg.thr_verified = verified;
    cfg.thr_not_sure = not_sure < verified ? not_sure : verified;
    FILE *f = fopen(model_path, "r+b");
    if (!f) return -1;
    uint8_t head[BIO_MODEL_CONFIG_OFFSET + BIO_MODEL_CONFIG_LEN];
    int ok = fread(head, 1, sizeof head, f) == sizeof head;
    bio_model_image_set_config(head, &cfg);
    ok = ok && fseek(f, 0, SEEK_SET) == 0 && fwrite(head, 1, sizeof head, f) == sizeof head;
    return fclose(f) == 0 && ok ? 0 : -1;
}
