/* bench_spoof -- figures for the spoofing countermeasure's cost targets.
 *
 * Usage: bench_spoof [SPOOF_MODEL [FIXTURES_DIR]]   (defaults: $CALLPRINT_SOURCE_DIR or . +
 *        biometrics/models/spoof.model and tests/fixtures/bio)
 * Feeds the fixture speech (about a minute and a half, looped 5 times) in 20 ms blocks as the
 * gateway does, scoring once per second of audio, and prints the CPU time per call-second
 * (CLOCK_PROCESS_CPUTIME_ID; target <= 0.5 ms on top of verification), the worst second, and
 * the bytes one stream holds (target <= 64 KB).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio/audio.h"
#include "spoof.h"

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Every .wav under dir/<speaker>/{enroll,test}, appended in directory order. */
static int16_t *load_dir(const char *dir, int16_t *all, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[8192], err[256];
        int16_t *pcm;
        size_t len;
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!strstr(e->d_name, ".wav")) {
            all = load_dir(path, all, n);
            continue;
        }
        if (bio_audio_read(path, &pcm, &len, err, sizeof err) != 0) continue;
        int16_t *na = realloc(all, sizeof(int16_t) * (*n + len));
        if (na) {
            all = na;
            memcpy(all + *n, pcm, sizeof(int16_t) * len);
            *n += len;
        }
        free(pcm);
    }
    if (d) closedir(d);
    return all;
}

int main(int argc, char **argv)
{
    const char *src = getenv("CALLPRINT_SOURCE_DIR");
    char mpath[4096], fdir[4096], err[512];
    snprintf(mpath, sizeof mpath, "%s", argc > 1 ? argv[1] : "");
    snprintf(fdir, sizeof fdir, "%s", argc > 2 ? argv[2] : "");
    if (argc <= 1) snprintf(mpath, sizeof mpath, "%s/biometrics/models/spoof.model", src ? src : ".");
    if (argc <= 2) snprintf(fdir, sizeof fdir, "%s/tests/fixtures/bio", src ? src : ".");
    bio_spoof_model *m = bio_spoof_model_load(mpath, err, sizeof err);
    if (!m) {
        fprintf(stderr, "bench_spoof: %s\n", err);
        return 1;
    }
    size_t n = 0;
    int16_t *pcm = load_dir(fdir, NULL, &n);
    if (n < 8000) {
        fprintf(stderr, "bench_spoof: no fixture audio under %s\n", fdir);
        return 1;
    }
    bio_spoof_stream *s = bio_spoof_stream_new(m);
    double total = 0, worst = 0;
    size_t seconds = 0;
    for (int rep = 0; rep < 5; rep++) {
        bio_spoof_stream_reset(s);
        for (size_t off = 0; off + 8000 <= n; off += 8000, seconds++) {
            double t0 = cpu_ms();
            for (size_t b = 0; b < 8000; b += 160) bio_spoof_stream_feed(s, pcm + off + b, 160);
            bio_spoof_result r;
            bio_spoof_stream_score(s, -1, &r);
            double dt = cpu_ms() - t0;
            total += dt;
            if (dt > worst) worst = dt;
        }
    }
    printf("spoof countermeasure: %zu call-seconds, 20 ms feeds + one score per second\n", seconds);
    printf("  %.3f ms CPU per call-second (target <= 0.5 ms), worst second %.3f ms\n",
           total / seconds, worst);
    printf("  state per stream: %zu bytes (target <= 65536)\n", bio_spoof_stream_memory(s));
    bio_spoof_stream_free(s);
    bio_spoof_model_free(m);
    free(pcm);
    return 0;
}
