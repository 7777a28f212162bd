/* loadgen_cli.c -- `callprint-call --load N`: options, audio, and the report. See loadgen.h.
 *
 * The report is printed twice: one JSON object on stdout (for scripts: the tests/bench scripts
 * read it) and a human summary on stderr. Figures are in milliseconds and kilobytes.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio.h"
#include "tools/loadgen.h"
#include "common/log.h"

#define PARAMS_MAX 32

static void usage(FILE *f)
{
    fprintf(f,
            "usage: callprint-call --load N [options] FILE...\n"
            "N concurrent real-time Twilio streams of the audio FILEs (looped to --duration).\n"
            "  --url URL              ws://HOST:PORT/stream (default ws://127.0.0.1:8080/stream)\n"
            "  --duration SECONDS     audio per stream (default 10)\n"
            "  --ramp SECONDS         start the streams evenly over this (default 2)\n"
            "  -p, --param K=V        custom parameter on every stream (repeatable)\n"
            "  --mode enroll|verify   zero-integration mode (customParameters mode)\n"
            "  --external-id-prefix P external_id = P<index>;  --external-id ID: the same on all\n"
            "  --webhook              built-in receiver; passes webhook=http://127.0.0.1:PORT/hook\n"
            "                         (default on with --mode)\n"
            "  --webhook-per-stream   ... with a URL per stream (/s/<index>) instead\n"
            "  --gateway-pid PID      the gateway process (default: the one listening on the port)\n"
            "  --sign AUTH_TOKEN      add X-Twilio-Signature\n"
            "  --max-media-p99 MS     pass only when media-to-worker p99 <= MS\n"
            "  --max-verdict-p99 MS   pass only when verdict latency p99 <= MS\n"
            "  --linger MS            wait after stop for replies (default 300)\n"
            "  --streams-per-conn K   K streams multiplexed on each WebSocket (default 1, as\n"
            "                         Twilio; up to 16): fewer system calls on both sides\n"
            "Prints one JSON report on stdout and a summary on stderr. Exit status: 0 pass,\n"
            "1 a criterion missed, 2 usage, 3 the run could not happen.\n");
}

bool loadgen_wanted(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--load") == 0 || strncmp(argv[i], "--load=", 7) == 0)
            return true;
    return false;
}

int loadgen_load_files(char **files, int n, int16_t **pcm, size_t *len)
{
    *pcm = NULL;
    *len = 0;
    for (int i = 0; i < n; i++) {
        int16_t *a;
        size_t k;
        char err[512];
        if (bio_audio_read(files[i], &a, &k, err, sizeof err) != 0) {
            fprintf(stderr, "callprint-call: %s\n", err);
            free(*pcm);
            return -1;
        }
        int16_t *all = realloc(*pcm, (*len + k) * sizeof *all);
        if (!all) {
            free(a);
            free(*pcm);
            return -1;
        }
        memcpy(all + *len, a, k * sizeof *a);
        free(a);
        *pcm = all;
        *len += k;
    }
    return 0;
}

static int seconds_ms(const char *s, int *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || v < 0 || v > 3600)
        return -1;
    *out = (int)(v * 1000 + 0.5);
    return 0;
}

int loadgen_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"load", required_argument, NULL, 'n'},
        {"url", required_argument, NULL, 'u'},
        {"duration", required_argument, NULL, 'd'},
        {"ramp", required_argument, NULL, 'r'},
        {"param", required_argument, NULL, 'p'},
        {"mode", required_argument, NULL, 'm'},
        {"external-id-prefix", required_argument, NULL, 'x'},
        {"external-id", required_argument, NULL, 'X'},
        {"webhook", no_argument, NULL, 'w'},
        {"webhook-per-stream", no_argument, NULL, 'W'},
        {"gateway-pid", required_argument, NULL, 'g'},
        {"sign", required_argument, NULL, 's'},
        {"max-media-p99", required_argument, NULL, 'M'},
        {"max-verdict-p99", required_argument, NULL, 'V'},
        {"linger", required_argument, NULL, 'L'},
        {"streams-per-conn", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0}};
    loadgen_opts o = {.url = "ws://127.0.0.1:8080/stream", .duration_ms = 10000,
                      .ramp_ms = 2000};
    char *params[2 * PARAMS_MAX];
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': o.streams = atoi(optarg); break;
        case 'u': o.url = optarg; break;
        case 'd':
        case 'r':
            if (seconds_ms(optarg, c == 'd' ? &o.duration_ms : &o.ramp_ms) != 0) {
                fprintf(stderr, "callprint-call: bad --%s \"%s\"\n",
                        c == 'd' ? "duration" : "ramp", optarg);
                return 2;
            }
            break;
        case 'p': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || o.n_params == PARAMS_MAX) {
                fprintf(stderr, "callprint-call: bad --param \"%s\" (KEY=VALUE)\n", optarg);
                return 2;
            }
            *eq = '\0';
            params[2 * o.n_params] = optarg;
            params[2 * o.n_params++ + 1] = eq + 1;
            break;
        }
        case 'm': o.mode = optarg; o.webhook = true; break;
        case 'x': o.external_id_prefix = optarg; break;
        case 'X': o.external_id = optarg; break;
        case 'w': o.webhook = true; break;
        case 'W': o.webhook = o.webhook_per_stream = true; break;
        case 'g': o.gateway_pid = (pid_t)atoi(optarg); break;
        case 's': o.sign_token = optarg; break;
        case 'M': o.max_media_p99_ms = atof(optarg); break;
        case 'V': o.max_verdict_p99_ms = atof(optarg); break;
        case 'L': o.linger_ms = atoi(optarg); break;
        case 'k': o.per_conn = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    o.params = (const char *const *)params;
    if (optind >= argc || o.streams < 1 || o.streams > LOADGEN_MAX_STREAMS) {
        if (optind < argc)
            fprintf(stderr, "callprint-call: --load must be 1..%d\n", LOADGEN_MAX_STREAMS);
        usage(stderr);
        return 2;
    }
    if (o.mode && strcmp(o.mode, "enroll") != 0 && strcmp(o.mode, "verify") != 0) {
        fprintf(stderr, "callprint-call: --mode must be enroll or verify\n");
        return 2;
    }
    int16_t *pcm;
    if (loadgen_load_files(argv + optind, argc - optind, &pcm, &o.n) != 0)
        return 3;
    if (o.n == 0) {
        fprintf(stderr, "callprint-call: the audio files hold no samples\n");
        free(pcm);
        return 3;
    }
    o.pcm = pcm;
    signal(SIGPIPE, SIG_IGN);
    log_open("-", LOG_ERROR);
    loadgen_report *r = malloc(sizeof *r);
    if (!r) {
        free(pcm);
        return 3;
    }
    int rc = loadgen_run(&o, r);
    if (rc == 0) {
        loadgen_report_json(r, stdout);
        loadgen_report_text(r, stderr);
    } else
        fprintf(stderr, "callprint-call: %s\n", r->error);
    int status = rc != 0 ? 3 : r->pass ? 0 : 1;
    free(r);
    free(pcm);
    return status;
}
