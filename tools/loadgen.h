/* loadgen.h -- the load generator: N concurrent real-time Twilio streams against a gateway,
 * and the capacity figures (`callprint-call --load N`, the benchmarks in tests/bench).
 *
 * One process, one uv loop, one WebSocket context (wsclient.h), one callsim per stream, all
 * sharing one PCM buffer (the WAV fixtures looped to --duration). Streams start evenly over
 * --ramp; each has its own streamSid/callSid and customParameters (--param, plus external_id
 * = prefix + index, mode and webhook in zero-integration mode). Frames are paced by callsim
 * from CLOCK_MONOTONIC (frame i due at t0 + 20 ms * i, no drift).
 *
 * Measurement window: from the end of the ramp plus a settling second to just before the
 * first stream's last frame -- only streams in steady state are measured. At both ends the
 * generator samples the gateway's /proc (CPU ticks, RSS), its own CPU (getrusage), and the
 * gateway's latency histograms (GET /debug/latency, api_debug.c); the figures are the
 * differences. RSS per stream is measured against the idle gateway before the first stream.
 * Webhook deliveries are received by an HTTP server on the same loop (loadgen_hook.h) and
 * timed from their X-Callprint-Sent-At header to arrival. By default every stream gets the
 * same webhook URL, as a contact centre would configure it (streams are told apart by the
 * payload's stream_uuid); --webhook-per-stream gives each its own URL (a webhook target --
 * queue and connection -- per stream in the gateway).
 *
 * Everything is bounded: the run ends at ramp + duration + linger + 10 s whatever happens.
 */
#ifndef CALLPRINT_LOADGEN_H
#define CALLPRINT_LOADGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/lathist.h"

#define LOADGEN_MAX_STREAMS 100000
#define LOADGEN_RESULTS_MAX 8

typedef struct {
    const char *url;                /* ws://host:port/stream */
    int streams;
    int duration_ms;                /* audio per stream (the PCM is looped to it) */
    int ramp_ms;                    /* start the streams evenly over this */
    const int16_t *pcm;             /* 8 kHz mono; borrowed for the run */
    size_t n;
    const char *const *params;      /* extra customParameters, n_params key/value pairs */
    size_t n_params;
    const char *mode;               /* zero-integration "enroll"/"verify", or NULL */
    const char *external_id_prefix; /* external_id = prefix + index (NULL: none) */
    const char *external_id;        /* or the same external_id on every stream */
    bool webhook;                   /* run the receiver, pass webhook=http://127.0.0.1:P/hook */
    bool webhook_per_stream;        /* ... or http://127.0.0.1:P/s/<i>: one target per stream */
    pid_t gateway_pid;              /* 0: the process listening on the url's port */
    const char *sign_token;         /* X-Twilio-Signature (NULL: unsigned) */
    int linger_ms;                  /* after stop (default 300) */
    int per_conn;                   /* streams per WebSocket (default 1, as Twilio) */
    /* Pass criteria (0 = not checked): media-to-worker p99, verdict p99 (ms). */
    double max_media_p99_ms, max_verdict_p99_ms;
} loadgen_opts;

typedef struct {
    char name[64];
    uint64_t count;
} loadgen_result_count;

typedef struct {
    /* streams */
    int requested, connected, refused, failed_connect, held, completed, ended_early;
    uint64_t messages_sent, media_sent, media_expected;
    lathist send_lag;          /* us */
    size_t max_pending_bytes;  /* most bytes one connection had waiting to be written */
    double window_s, wall_s;
    /* gateway */
    pid_t gateway_pid;
    double gw_cpu_s, gw_cpu_per_stream_s; /* CPU seconds in the window; per stream-second */
    double gw_cores;                      /* gw_cpu_s / window_s */
    uint64_t gw_rss_idle_kb, gw_rss_kb, gw_rss_max_kb;
    double gw_rss_per_stream_kb;
    bool latency_available;    /* /debug/latency answered */
    lathist media_to_worker;   /* us, window */
    lathist request;           /* enrol/verify request -> result, us, window */
    uint64_t gw_dropped_audio; /* worker queue drops in the window */
    uint64_t gw_webhooks_lost; /* webhooks the gateway dropped (full queue) or gave up on */
    /* webhooks */
    uint64_t webhooks, webhooks_bad, webhooks_no_sent_at, webhook_streams;
    lathist webhook_delivery;  /* X-Callprint-Sent-At -> arrival, us */
    lathist webhook_interval;  /* between consecutive webhooks of one stream, us */
    double verdict_p99_ms;     /* request p99 + delivery p99: tick-to-arrival bound */
    loadgen_result_count results[LOADGEN_RESULTS_MAX];
    size_t n_results;
    /* the generator itself */
    double self_cpu_s, self_cpu_per_stream_s;
    uint64_t errors;
    char error[256];           /* first error, "" if none */
    bool pass;
    char why[512];             /* why not pass */
} loadgen_report;

/* Run to completion (blocks: its own loop). 0 when the run happened (read r->pass for the
 * criteria), -1 with r->error when it could not run at all. */
int loadgen_run(const loadgen_opts *o, loadgen_report *r);
void loadgen_report_json(const loadgen_report *r, FILE *f);
void loadgen_report_text(const loadgen_report *r, FILE *f);

/* Pure helpers (tests). When stream i of n starts, ns after the first (evenly over ramp). */
uint64_t loadgen_start_offset_ns(int i, int n, int ramp_ms);
/* The measurement window [*from, *to] in ns after the first start; -1 when the duration
 * leaves no steady window (duration must exceed ramp + 2 s). */
int loadgen_window(int ramp_ms, int duration_ms, uint64_t *from, uint64_t *to);
/* pcm looped (or cut) to ms milliseconds; malloc'd, *out_n samples. NULL on bad input. */
int16_t *loadgen_loop_pcm(const int16_t *pcm, size_t n, int ms, size_t *out_n);

/* Read audio files (audio/audio.h: any libsndfile format, mono, to 8 kHz) and concatenate
 * them; errors are printed on stderr. 0, or -1. (callprint-call's player uses it too.) */
int loadgen_load_files(char **files, int n, int16_t **pcm, size_t *len);

/* `callprint-call --load N ...`: parses its options (see usage) and runs. Returns the exit
 * status: 0 pass, 1 criteria missed, 2 usage, 3 could not run. */
int loadgen_main(int argc, char **argv);
/* True when argv holds --load. */
bool loadgen_wanted(int argc, char **argv);

#endif
