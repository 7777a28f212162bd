/* bench_ingest.c -- media-stream ingest throughput: what one core sustains.
 *
 * Measures the per-message work the gateway does for every 20 ms Twilio media frame, on one
 * thread: tw_parse (cJSON + field checks + strict base64 into a buffer) followed by G.711
 * µ-law -> 16-bit PCM. Frames are realistic: 160-byte payloads of a synthetic voiced signal
 * (varying from frame to frame, so no branch predictor or cache sees the same bytes twice in
 * a row), Twilio's key order, growing sequenceNumber/chunk/timestamp, a 34-character
 * streamSid. A pool of pre-built frames is cycled so that building them is not measured.
 *
 * Usage: bench_ingest [seconds]   (default 2). Prints messages/second/core, ns/message and
 * the number of concurrent real-time calls (50 frames/s each) that rate represents. The rate
 * per core is computed on the thread's CPU time, so a machine shared with other work still
 * gives the figure of one core; the wall-clock rate is printed too.
 */
#include "g711.h"
#include "twilio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL 512      /* distinct frames cycled through */
#define SAMPLES 160   /* 20 ms at 8 kHz */
#define FRAME_MAX 512 /* a media frame is ~ 330 bytes */
#define BATCH 1024    /* messages between two clock reads */

static double now_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A voiced-speech-like frame: harmonics of a drifting pitch under a slow envelope, plus a
 * little deterministic noise, µ-law encoded. */
static void make_audio(unsigned frame, uint8_t *ulaw)
{
    int16_t pcm[SAMPLES];
    double f0 = 110.0 + 40.0 * sin(frame * 0.05);
    unsigned seed = frame * 2654435761u;
    for (int i = 0; i < SAMPLES; i++) {
        double t = (frame * SAMPLES + i) / 8000.0, v = 0;
        for (int h = 1; h <= 5; h++)
            v += sin(2 * M_PI * f0 * h * t) / h;
        seed = seed * 1103515245u + 12345u;
        double env = 0.2 + 0.8 * fabs(sin(frame * 0.13));
        pcm[i] = (int16_t)(6000.0 * env * v + (int)(seed >> 20) % 200 - 100);
    }
    g711_encode(G711_ULAW, pcm, SAMPLES, ulaw);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    if (!(seconds > 0)) {
        fprintf(stderr, "usage: %s [seconds]\n", argv[0]);
        return 2;
    }
    static char frames[POOL][FRAME_MAX];
    static size_t lens[POOL];
    const char *sid = "MZ18ad3ab5a668481ce02b83e7395059f0";
    for (unsigned i = 0; i < POOL; i++) {
        uint8_t ulaw[SAMPLES];
        make_audio(i, ulaw);
        int n = tw_build_media_in(frames[i], FRAME_MAX, i + 2, sid, TW_TRACK_INBOUND, i + 1,
                                  20ull * i, ulaw, SAMPLES);
        if (n < 0) {
            fprintf(stderr, "frame %u does not fit\n", i);
            return 1;
        }
        lens[i] = (size_t)n;
    }

    static tw_msg msg;
    uint8_t payload[1024];
    int16_t pcm[1024];
    tw_error err;
    uint64_t count = 0, checksum = 0;
    double t0 = now_s(CLOCK_MONOTONIC), cpu0 = now_s(CLOCK_THREAD_CPUTIME_ID), elapsed = 0;
    while (elapsed < seconds) {
        for (unsigned b = 0; b < BATCH; b++) {
            unsigned i = (unsigned)(count + b) % POOL;
            if (tw_parse(frames[i], lens[i], &msg, payload, sizeof(payload), &err) != TW_OK) {
                fprintf(stderr, "frame %u: %s\n", i, err.message);
                return 1;
            }
            g711_decode(G711_ULAW, payload, msg.u.media.payload_len, pcm);
            checksum += (uint16_t)pcm[msg.u.media.payload_len / 2];
        }
        count += BATCH;
        elapsed = now_s(CLOCK_MONOTONIC) - t0;
    }
    double cpu = now_s(CLOCK_THREAD_CPUTIME_ID) - cpu0;
    double rate = count / cpu;
    printf("bench_ingest: %llu media messages in %.2f s wall, %.2f s CPU, 1 thread\n",
           (unsigned long long)count, elapsed, cpu);
    printf("  frame size           %zu bytes (160 mu-law samples, 20 ms)\n", lens[0]);
    printf("  messages/second/core %.0f\n", rate);
    printf("  ns/message           %.0f (CPU time)\n", 1e9 / rate);
    printf("  wall-clock rate      %.0f messages/s\n", count / elapsed);
    printf("  real-time calls/core %.0f (50 messages/s each)\n", rate / 50.0);
    printf("  (checksum %llu)\n", (unsigned long long)checksum);
    return 0;
}
