/* train_data.c -- training list, audio, augmentation and feature extraction.
 *
 * Every file is decoded once; its original and `augment` telephone-simulated copies go
 * through the same streaming front end the engine uses (so training sees exactly the
 * features a live call produces). Frames are kept in one array; long files are cut into
 * segments of about segment_frames speech frames so that i-vector statistics resemble the
 * short test utterances and one-utterance speakers still give LDA several samples.
 */
#include <stdlib.h>
#include <string.h>

#include "audio/audio.h"
#include "augment.h"
#include "frontend.h"
#include "train_int.h"

#define MIN_SEG_FRAMES 30

static int spk_index(tr_data *d, const char *name)
{
    for (int i = 0; i < d->nspk; i++)
        if (strcmp(d->spk[i], name) == 0) return i;
    char **n = realloc(d->spk, sizeof(char *) * (d->nspk + 1));
    if (!n) return -1;
    d->spk = n;
    d->spk[d->nspk] = strdup(name);
    return d->spk[d->nspk] ? d->nspk++ : -1;
}

static char *join_path(const char *root, const char *p)
{
    if (p[0] == '/' || !root || !*root) return strdup(p);
    size_t n = strlen(root) + strlen(p) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s/%s", root, p);
    return s;
}

int tr_data_load_list(tr_data *d, const bio_train_opts *o, char *err, size_t errlen)
{
    FILE *f = fopen(o->list, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open list %s", o->list);
        return -1;
    }
    char root[4096];
    if (o->root) {
        snprintf(root, sizeof root, "%s", o->root);
    } else {
        snprintf(root, sizeof root, "%s", o->list);
        char *slash = strrchr(root, '/');
        if (slash) *slash = 0; else strcpy(root, ".");
    }
    char line[8192];
    size_t cap = 0;
    int rc = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        char *tab = strchr(line, '\t');
        if (!tab) {
            snprintf(err, errlen, "%s:%d: expected path<TAB>speaker", o->list, lineno);
            rc = -1;
            break;
        }
        *tab = 0;
        if (d->nfiles == cap) {
            cap = cap ? 2 * cap : 1024;
            d->paths = realloc(d->paths, sizeof(char *) * cap);
            d->file_spk = realloc(d->file_spk, sizeof(int) * cap);
            if (!d->paths || !d->file_spk) { rc = -1; break; }
        }
        d->paths[d->nfiles] = join_path(root, line);
        d->file_spk[d->nfiles] = spk_index(d, tab + 1);
        if (!d->paths[d->nfiles] || d->file_spk[d->nfiles] < 0) { rc = -1; break; }
        d->nfiles++;
    }
    fclose(f);
    if (rc == 0 && d->nfiles == 0) {
        snprintf(err, errlen, "list %s names no files", o->list);
        rc = -1;
    }
    return rc;
}

typedef struct {
    double s[BIO_FE_NCEP], s2[BIO_FE_NCEP];
    double n;
} prior_acc;

static void prior_emit(void *ctx, const float *x)
{
    prior_acc *a = ctx;
    for (int c = 0; c < BIO_FE_NCEP; c++) {
        a->s[c] += x[c];
        a->s2[c] += (double)x[c] * x[c];
    }
    a->n++;
}

int tr_data_cmvn_prior(tr_data *d, const bio_train_opts *o, float *mean, float *var, char *err,
                       size_t errlen)
{
    bio_fe_tables *t = bio_fe_tables_new(NULL, NULL, 1);
    if (!t) return -1;
    prior_acc a = {0};
    bio_fe fe;
    for (size_t i = 0; i < d->nfiles; i += 4) {
        int16_t *pcm;
        size_t n;
        if (bio_audio_read(d->paths[i], &pcm, &n, err, errlen) != 0) {
            bio_fe_tables_free(t);
            return -1;
        }
        bio_fe_init(&fe, t);
        bio_fe_feed(&fe, t, pcm, n, prior_emit, &a);
        free(pcm);
    }
    bio_fe_tables_free(t);
    for (int c = 0; c < BIO_FE_NCEP; c++) {
        double m = a.n > 0 ? a.s[c] / a.n : 0;
        mean[c] = (float)m;
        var[c] = (float)(a.n > 0 ? a.s2[c] / a.n - m * m : 1);
    }
    TR_LOG(o, "cmvn prior from %.0f speech frames", a.n);
    return a.n > 0 ? 0 : -1;
}

static void feat_emit(void *ctx, const float *x)
{
    tr_data *d = ctx;
    if (d->nframes == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 1 << 18;
        float *f = realloc(d->feat, sizeof(float) * BIO_FE_DIM * cap);
        if (!f) return; /* frame dropped; caught by the caller's size check */
        d->feat = f;
        d->cap = cap;
    }
    memcpy(d->feat + d->nframes * BIO_FE_DIM, x, sizeof(float) * BIO_FE_DIM);
    d->nframes++;
}

/* Channel of a file: n for the codec copies augment_codecs.py writes under aug/c<n>/. */
static int path_channel(const char *path)
{
    const char *a = strstr(path, "aug/c");
    return a ? atoi(a + 5) : 0;
}

static int add_segments(tr_data *d, const bio_train_opts *o, size_t start, size_t file, int aug)
{
    int chan = aug ? 1000 + aug : path_channel(d->paths[file]);
    size_t T = d->nframes - start, S = (size_t)o->segment_frames;
    if (T < MIN_SEG_FRAMES) return 0;
    size_t nseg = T * 2 > 3 * S ? T / S : 1;
    for (size_t k = 0; k < nseg; k++) {
        if (d->nsegs == d->segcap) {
            d->segcap = d->segcap ? 2 * d->segcap : 4096;
            tr_seg *s = realloc(d->segs, sizeof(tr_seg) * d->segcap);
            if (!s) return -1;
            d->segs = s;
        }
        size_t a = start + T * k / nseg, b = start + T * (k + 1) / nseg;
        d->segs[d->nsegs++] = (tr_seg){a, b - a, d->file_spk[file], aug, file, chan};
    }
    return 0;
}

int tr_data_features(tr_data *d, const bio_train_opts *o, const float *mean, const float *var,
                     char *err, size_t errlen)
{
    bio_fe_tables *t = bio_fe_tables_new(mean, var, 0);
    if (!t) return -1;
    bio_fe fe;
    int rc = 0;
    for (size_t i = 0; i < d->nfiles && rc == 0; i++) {
        int16_t *pcm, *copy;
        size_t n;
        if (bio_audio_read(d->paths[i], &pcm, &n, err, errlen) != 0) { rc = -1; break; }
        copy = malloc(sizeof(int16_t) * (n ? n : 1));
        for (int a = 0; a <= o->augment && copy && rc == 0; a++) {
            memcpy(copy, pcm, sizeof(int16_t) * n);
            if (a > 0) bio_augment(copy, n, o->seed * 1000003u + i * 131u + (uint64_t)a);
            size_t start = d->nframes;
            bio_fe_init(&fe, t);
            bio_fe_feed(&fe, t, copy, n, feat_emit, d);
            rc = add_segments(d, o, start, i, a);
        }
        if (!copy) rc = -1;
        free(copy);
        free(pcm);
        if (o->verbose && i % 500 == 0)
            TR_LOG(o, "features: %zu/%zu files, %zu frames", i, d->nfiles, d->nframes);
    }
    bio_fe_tables_free(t);
    if (rc == 0 && d->nframes > d->cap) rc = -1;
    TR_LOG(o, "features: %zu frames, %zu segments, %d speakers", d->nframes, d->nsegs, d->nspk);
    return rc;
}

void tr_data_free(tr_data *d)
{
    for (size_t i = 0; i < d->nfiles; i++) free(d->paths[i]);
    for (int i = 0; i < d->nspk; i++) free(d->spk[i]);
    free(d->paths);
    free(d->file_spk);
    free(d->spk);
    free(d->feat);
    free(d->segs);
    memset(d, 0, sizeof *d);
}
