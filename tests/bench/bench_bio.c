/* bench_bio -- figures for the biometric engine's performance targets.
 *
 * Usage: bench_bio [MODEL [FIXTURES_DIR]]   (defaults: $CALLPRINT_SOURCE_DIR or . +
 *        biometrics/models/callprint.model and tests/fixtures/bio)
 * Prints, on one core (OpenBLAS single-threaded), CPU time measured with
 * CLOCK_PROCESS_CPUTIME_ID:
 *   - feed cost per second of audio (front end + UBM statistics), 20 ms blocks;
 *   - per-second verification of a live stream: every second, 50 x 20 ms feeds then a verify
 *     against a voiceprint (the embedding cache is invalidated by the feed, so every verify
 *     re-extracts the i-vector) -- target <= 2 ms per second of call;
 *   - batched verification (bio_stream_embed_batch, as the gateway's workers do it): 16 live
 *     streams fed a second each, then verified in groups of B = 1, 4, 8, 16 (one batched
 *     extraction + B verifies); CPU per verification, feeds not counted;
 *   - engine state per stream (target <= 64 KB) and voiceprint size (<= 8 KB);
 *   - 1:N identification over 100,000 synthetic voiceprints (random unit embeddings with
 *     plausible AS-norm statistics, sealed like real ones) -- target <= 100 ms.
 */
#include <cblas.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio/audio.h"
#include "bio.h"
#include "voiceprint.h"

#define GALLERY 100000

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* All fixture speech, concatenated (about a minute and a half). */
static int16_t *load_speech(const char *dir, size_t *n)
{
    const char *spk[] = {"speechocean762_0120", "speechocean762_1027", "speechocean762_0594"};
    const char *part[] = {"enroll", "test"};
    int16_t *all = NULL;
    *n = 0;
    for (int s = 0; s < 3; s++)
        for (int p = 0; p < 2; p++) {
            char d[8192];
            snprintf(d, sizeof d, "%s/%s/%s", dir, spk[s], part[p]);
            DIR *dd = opendir(d);
            if (!dd) continue;
            char *names[64];
            int k = 0;
            struct dirent *e;
            while ((e = readdir(dd)) && k < 64)
                if (strstr(e->d_name, ".wav")) names[k++] = strdup(e->d_name);
            closedir(dd);
            qsort(names, (size_t)k, sizeof(char *), cmp_name);
            for (int i = 0; i < k; i++) {
                char path[16384], err[256];
                int16_t *pcm;
                size_t len;
                snprintf(path, sizeof path, "%s/%s", d, names[i]);
                if (bio_audio_read(path, &pcm, &len, err, sizeof err) == 0) {
                    all = realloc(all, sizeof(int16_t) * (*n + len));
                    memcpy(all + *n, pcm, sizeof(int16_t) * len);
                    *n += len;
                    free(pcm);
                }
                free(names[i]);
            }
        }
    return all;
}

static void bench_stream(const bio_model *m, const int16_t *pcm, size_t n, const uint8_t *vp,
                         size_t vplen)
{
    bio_config cfg = bio_model_default_config(m);
    cfg.min_verify_speech = 0;
    bio_stream *s = bio_stream_new(m);
    double feed = 0, verify = 0, worst = 0;
    size_t seconds = 0;
    for (int rep = 0; rep < 3; rep++) {
        bio_stream_reset(s);
        for (size_t off = 0; off + 8000 <= n; off += 8000, seconds++) {
            double t0 = cpu_ms();
            for (size_t b = 0; b < 8000; b += 160) bio_stream_feed(s, pcm + off + b, 160);
            double t1 = cpu_ms();
            bio_result r;
            bio_stream_verify(s, &cfg, vp, vplen, &r);
            double t2 = cpu_ms();
            feed += t1 - t0;
            verify += t2 - t1;
            if (t2 - t0 > worst) worst = t2 - t0;
        }
    }
    printf("stream: %zu call-seconds of speech audio, 20 ms feeds + one verify per second\n",
           seconds);
    printf("  feed   %.3f ms CPU per second of audio\n", feed / seconds);
    printf("  verify %.3f ms CPU per verification (fixed cost, independent of call length)\n",
           verify / seconds);
    printf("  total  %.3f ms CPU per call-second (target <= 2 ms), worst second %.3f ms\n",
           (feed + verify) / seconds, worst);
    printf("  => %.0f concurrently verified calls per core\n", 1000.0 / ((feed + verify) / seconds));
    printf("  engine state per stream: %zu bytes (target <= 65536)\n", bio_stream_memory(s));
    bio_stream_free(s);
}

/* 16 streams at different places in the audio; each second every stream is fed 1 s, then
 * they are verified B at a time. Only the embed + verify CPU is counted. */
static void bench_batch(const bio_model *m, const int16_t *pcm, size_t n, const uint8_t *vp,
                        size_t vplen)
{
    enum { NS = 16, SECONDS = 30 };
    const size_t sizes[] = {1, 4, 8, 16};
    bio_config cfg = bio_model_default_config(m);
    cfg.min_verify_speech = 0;
    bio_stream *s[NS];
    for (int i = 0; i < NS; i++) s[i] = bio_stream_new(m);
    size_t secs = n / 8000;
    printf("batched verify: %d streams, each second fed 1 s then verified B at a time\n", NS);
    for (size_t b = 0; b < sizeof sizes / sizeof sizes[0]; b++) {
        size_t B = sizes[b], verifies = 0;
        double cpu = 0;
        for (int i = 0; i < NS; i++) bio_stream_reset(s[i]);
        for (int sec = 0; sec < SECONDS; sec++) {
            for (int i = 0; i < NS; i++) {
                size_t off = ((size_t)i * secs / NS + (size_t)sec) % secs * 8000;
                for (size_t k = 0; k < 8000; k += 160) bio_stream_feed(s[i], pcm + off + k, 160);
            }
            for (size_t g = 0; g < NS; g += B) {
                double t0 = cpu_ms();
                if (B > 1) bio_stream_embed_batch(s + g, B);
                for (size_t i = g; i < g + B; i++) {
                    bio_result r;
                    bio_stream_verify(s[i], &cfg, vp, vplen, &r);
                    verifies++;
                }
                cpu += cpu_ms() - t0;
            }
        }
        printf("  batch %2zu: %.3f ms CPU per verification\n", B, cpu / verifies);
    }
    for (int i = 0; i < NS; i++) bio_stream_free(s[i]);
}

static void bench_identify(const bio_model *m, const int16_t *pcm, size_t n, const uint8_t *vp,
                           size_t vplen)
{
    bio_gallery *g = bio_gallery_new(m);
    bio_vp real;
    bio_vp_decode(m, vp, vplen, &real);
    unsigned long long x = 88172645463325252ull;
    uint8_t blob[BIO_VOICEPRINT_MAX];
    size_t len;
    double t0 = cpu_ms();
    for (int i = 0; i < GALLERY; i++) {
        bio_vp v = real;
        double norm = 0;
        for (int d = 0; d < real.dim; d++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            v.emb[d] = (float)((double)(x >> 11) / 9007199254740992.0 - 0.5);
            norm += v.emb[d] * v.emb[d];
        }
        for (int d = 0; d < real.dim; d++) v.emb[d] = (float)(v.emb[d] / sqrt(norm));
        if (i == GALLERY / 2) v = real; /* the true speaker somewhere in the middle */
        bio_vp_encode(m, &v, blob, sizeof blob, &len);
        if (bio_gallery_add(g, blob, len) != BIO_OK) {
            printf("identify: gallery add failed\n");
            return;
        }
    }
    double t1 = cpu_ms();
    bio_stream *s = bio_stream_new(m);
    bio_stream_feed(s, pcm, n < 8000 * 10 ? n : 8000 * 10);
    bio_config cfg = bio_model_default_config(m);
    bio_match best[10];
    size_t got = 0;
    bio_stream_identify(s, &cfg, g, 10, best, &got); /* warm-up; embeds the probe */
    const int reps = 20;
    double worst = 0, tot = 0;
    for (int r = 0; r < reps; r++) {
        /* a second of new speech: the probe embedding is recomputed too (silence would not
         * invalidate it) */
        bio_stream_feed(s, pcm + (size_t)(r + 10) * 8000 % (n - 8000), 8000);
        double a = cpu_ms();
        bio_stream_identify(s, &cfg, g, 10, best, &got);
        double b = cpu_ms() - a;
        tot += b;
        if (b > worst) worst = b;
    }
    printf("identify: 1:N over %zu voiceprints (dim %d), top-10\n", bio_gallery_size(g), real.dim);
    printf("  %.2f ms CPU mean, %.2f ms worst of %d (target <= 100 ms); gallery load %.0f ms\n",
           tot / reps, worst, reps, t1 - t0);
    printf("  best match index %zu score %.2f (true speaker at %d)\n", got ? best[0].index : 0,
           got ? best[0].score : 0, GALLERY / 2);
    bio_stream_free(s);
    bio_gallery_free(g);
}

int main(int argc, char **argv)
{
    openblas_set_num_threads(1);
    const char *src = getenv("CALLPRINT_SOURCE_DIR");
    char mp[4096], fx[4096], err[256];
    snprintf(mp, sizeof mp, "%s/biometrics/models/callprint.model", src ? src : ".");
    snprintf(fx, sizeof fx, "%s/tests/fixtures/bio", src ? src : ".");
    double t0 = cpu_ms();
    bio_model *m = bio_model_load(argc > 1 ? argv[1] : mp, err, sizeof err);
    if (!m) {
        fprintf(stderr, "bench_bio: %s\n", err);
        return 1;
    }
    printf("model load: %.0f ms CPU\n", cpu_ms() - t0);
    size_t n;
    int16_t *pcm = load_speech(argc > 2 ? argv[2] : fx, &n);
    if (n < 8000 * 30) {
        fprintf(stderr, "bench_bio: fixtures not found under %s\n", argc > 2 ? argv[2] : fx);
        return 1;
    }
    bio_stream *s = bio_stream_new(m);
    bio_stream_feed(s, pcm, n / 3);
    bio_config cfg = bio_model_default_config(m);
    cfg.min_enroll_speech = 5;
    uint8_t vp[BIO_VOICEPRINT_MAX];
    size_t vplen = 0;
    bio_stream_enroll(s, &cfg, vp, sizeof vp, &vplen);
    bio_stream_free(s);
    printf("voiceprint: %zu bytes (limit %d)\n", vplen, BIO_VOICEPRINT_MAX);
    bench_stream(m, pcm, n, vp, vplen);
    bench_batch(m, pcm, n, vp, vplen);
    bench_identify(m, pcm, n, vp, vplen);
    free(pcm);
    bio_model_free(m);
    return 0;
}
