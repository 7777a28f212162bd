/* test_upload.c -- uploaded recordings whose header lies (audio/audio.h).
 *
 * A recording's header (frame count, sample rate) comes from whoever uploaded it. These tests
 * build real FLAC and WAV files with libsndfile, then patch their headers to claim hundreds
 * of millions of frames, and decode them the way the gateway's import does (from memory).
 * The decode runs in a child process whose address space is capped a little above what it
 * already uses: a reader that sizes its buffer from the header cannot even allocate it there,
 * while one that reads in chunks under its budget decodes the real second of audio. A file
 * that really decodes to more than the caller's budget is refused as soon as it passes it.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audio/audio.h"

#define CAP_MB 192 /* address space the child may add to what it already has */

/* A whole audio file written by libsndfile, in memory. */
static unsigned char *make_file(int format, int rate, size_t frames, double hz, size_t *len)
{
    char path[] = "/tmp/callprint-uploadXXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    SF_INFO info = {.samplerate = rate, .channels = 1, .format = format | SF_FORMAT_PCM_16};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    cr_assert_not_null(f, "%s", sf_strerror(NULL));
    short *buf = calloc(frames, sizeof *buf);
    for (size_t i = 0; hz > 0 && i < frames; i++)
        buf[i] = (short)(8000 * sin(2 * M_PI * hz * (double)i / rate));
    cr_assert_eq(sf_writef_short(f, buf, (sf_count_t)frames), (sf_count_t)frames);
    sf_close(f);
    free(buf);
    FILE *in = fopen(path, "rb");
    cr_assert_not_null(in);
    fseek(in, 0, SEEK_END);
    *len = (size_t)ftell(in);
    rewind(in);
    unsigned char *data = malloc(*len);
    cr_assert_eq(fread(data, 1, *len, in), *len);
    fclose(in);
    unlink(path);
    return data;
}

/* FLAC STREAMINFO: after "fLaC" and the 4-byte block header come 10 bytes of block and frame
 * sizes, then 20 bits rate, 3 bits channels-1, 5 bits bits-1 and 36 bits of total samples. */
static void flac_claim_frames(unsigned char *d, uint64_t total)
{
    cr_assert_eq(memcmp(d, "fLaC", 4), 0);
    unsigned char *p = d + 8 + 10;
    p[3] = (unsigned char)((p[3] & 0xF0) | ((total >> 32) & 0x0F));
    for (int i = 0; i < 4; i++)
        p[4 + i] = (unsigned char)(total >> (24 - 8 * i));
}

/* WAV: the data chunk's size field (the RIFF header of a libsndfile PCM WAV is 44 bytes). */
static void wav_claim_bytes(unsigned char *d, size_t len, uint32_t bytes)
{
    unsigned char *p = NULL;
    for (size_t i = 12; i + 8 <= len && !p; i++)
        if (memcmp(d + i, "data", 4) == 0)
            p = d + i + 4;
    cr_assert_not_null(p);
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(bytes >> (8 * i));
}

/* Decode in a child whose address space may grow by CAP_MB only; its exit status is
 * 0 when it decoded exactly want_samples, 1 on a refused file (err checked by the parent
 * through the pipe), 2 when the count differs, other values on a crash. */
static int decode_capped(const unsigned char *d, size_t len, size_t budget, size_t want,
                         char *err, size_t errcap)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        FILE *st = fopen("/proc/self/statm", "r");
        unsigned long pages = 0;
        if (!st || fscanf(st, "%lu", &pages) != 1)
            _exit(3);
        fclose(st);
        rlim_t lim = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)CAP_MB << 20);
        struct rlimit rl = {lim, lim};
        setrlimit(RLIMIT_AS, &rl);
        char e[256] = "";
        int16_t *pcm = NULL;
        size_t n = 0;
        int rc = bio_audio_decode_max(d, len, "upload", budget, &pcm, &n, e, sizeof e);
        if (write(fds[1], e, strlen(e)) < 0)
            _exit(4);
        free(pcm);
        _exit(rc != 0 ? 1 : n == want ? 0 : 2);
    }
    close(fds[1]);
    ssize_t got = read(fds[0], err, errcap - 1);
    err[got > 0 ? got : 0] = '\0';
    close(fds[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

#define HOUR (3600 * 8000)

Test(upload, flac_claiming_200M_frames_decodes_only_its_real_second)
{
    size_t len;
    unsigned char *d = make_file(SF_FORMAT_FLAC, 16000, 16000, 440.0, &len);
    flac_claim_frames(d, 200000000ULL); /* 3.5 h at 16 kHz: under the 4 h limit */
    char err[256];
    int rc = decode_capped(d, len, HOUR, 8000, err, sizeof err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    free(d);
}

Test(upload, flac_claiming_2e36_frames_is_no_infinite_loop)
{
    size_t len;
    unsigned char *d = make_file(SF_FORMAT_FLAC, 48000, 48000, 300.0, &len);
    flac_claim_frames(d, (1ULL << 36) - 1);
    char err[256];
    int rc = decode_capped(d, len, HOUR, 8000, err, sizeof err);
    cr_assert(rc == 0 || rc == 1, "exit %d: %s", rc, err); /* read, or refused: not killed */
    free(d);
}

Test(upload, wav_claiming_a_huge_data_chunk_decodes_only_what_is_there)
{
    size_t len;
    unsigned char *d = make_file(SF_FORMAT_WAV, 16000, 16000, 440.0, &len);
    wav_claim_bytes(d, len, 0x7ffffff0u);
    char err[256];
    int rc = decode_capped(d, len, HOUR, 8000, err, sizeof err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    free(d);
}

Test(upload, real_audio_over_the_budget_is_refused_early)
{
    size_t len; /* 2 minutes of silence compress to almost nothing in FLAC */
    unsigned char *d = make_file(SF_FORMAT_FLAC, 8000, 120 * 8000, 0, &len);
    cr_assert_lt(len, 64 * 1024, "%zu bytes", len);
    char err[256];
    cr_assert_eq(decode_capped(d, len, 60 * 8000, 0, err, sizeof err), 1);
    cr_assert(strstr(err, "longer than 60 s"), "%s", err);
    cr_assert_eq(decode_capped(d, len, HOUR, 120 * 8000, err, sizeof err), 0, "%s", err);
    free(d);
    d = make_file(SF_FORMAT_FLAC, 44100, 30 * 44100, 0, &len); /* resampled path too */
    cr_assert_eq(decode_capped(d, len, 10 * 8000, 0, err, sizeof err), 1);
    cr_assert(strstr(err, "longer than 10 s"), "%s", err);
    free(d);
}

Test(upload, absurd_sample_rates_are_refused)
{
    size_t len;
    unsigned char *d = make_file(SF_FORMAT_WAV, 16000, 1600, 440.0, &len);
    uint32_t rate = 2000000000u; /* fmt chunk: sample rate at byte 24, byte rate at 28 */
    for (int i = 0; i < 4; i++)
        d[24 + i] = (unsigned char)(rate >> (8 * i));
    char err[256];
    cr_assert_eq(decode_capped(d, len, HOUR, 0, err, sizeof err), 1);
    cr_assert(strstr(err, "sample rate") || strstr(err, "not a readable"), "%s", err);
    free(d);
}
