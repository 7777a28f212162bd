/* callprint-call.c -- play recordings into a callprint (or any Twilio media-stream) server.
 *
 * The files are read with libsndfile, converted to 8 kHz mono (speex resampler; multi-channel
 * refused), concatenated, and streamed as one call in real time (or --fast) by callsim.c.
 * --calls N runs N identical calls at once on one loop (the load generator's core). Each
 * call prints a JSON summary line on stdout; the exit status is 0 when every call was
 * accepted and ended normally. --load N is the load generator (loadgen.h): N distinct
 * real-time streams with a measured report.
 */
#include <uv.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/callsim.h"
#include "tools/loadgen.h"
#include "common/log.h"
#include "tools/wsclient.h"

#define PARAMS_MAX 32
#define CALLS_MAX 10000

typedef struct {
    uv_loop_t loop;
    wsc_ctx *ws;
    callsim **calls;
    int n_calls, running, failures;
    uv_signal_t sig;
} player;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: callprint-call [options] FILE...\n"
            "Streams the audio files (any libsndfile format, mono) as one Twilio media stream.\n"
            "  --url URL            ws[s]://HOST:PORT/stream (default ws://127.0.0.1:8080/stream)\n"
            "  --ca FILE            trust this CA (PEM) for wss:// instead of the system store\n"
            "  --dialect D          twilio (default) or voiceverify (adds ?dialect=voiceverify)\n"
            "  -p, --param K=V      custom parameter (repeatable); voiceverify needs uuid=UUID4\n"
            "  --dtmf DIGITS        DTMF digits, spread evenly over the call\n"
            "  --dtmf-at MS,MS,...  times of the digits (ms from the start of audio)\n"
            "  --stream-sid SID     --call-sid SID  --account-sid SID  (default: random)\n"
            "  --alaw               send G.711 A-law (mediaFormat audio/x-alaw)\n"
            "  --fast               do not pace in real time\n"
            "  --sign AUTH_TOKEN    add X-Twilio-Signature (token also from CALLPRINT_TWILIO_AUTH_TOKEN\n"
            "                       when --sign -)\n"
            "  --public-url URL     base URL the server signs against (default: --url's base)\n"
            "  --calls N            N concurrent calls with the same audio (default 1)\n"
            "  --load N             load generator: N distinct streams, report (--load 1 --help)\n"
            "  --linger MS          wait after stop for replies (default 300)\n"
            "  -h, --help           -V, --version\n");
}

static void on_done(callsim *c, void *ud)
{
    player *p = ud;
    char js[2048];
    const callsim_summary *s = callsim_summary_get(c);
    if (callsim_summary_json(c, js, sizeof js) > 0)
        printf("%s\n", js);
    fflush(stdout);
    bool bad = !s->opened || s->http_status;
    for (size_t i = 0; i < s->n_statuses; i++)
        bad |= s->statuses[i] >= 400;
    p->failures += bad;
    if (--p->running == 0) {
        uv_signal_stop(&p->sig);
        uv_close((uv_handle_t *)&p->sig, NULL);
        wsc_close_all(p->ws);
    }
}

static void on_sigint(uv_signal_t *h, int signum)
{
    (void)signum;
    player *p = h->data;
    for (int i = 0; i < p->n_calls; i++)
        if (p->calls[i])
            callsim_hangup(p->calls[i]);
}

static int parse_dtmf_at(const char *s, int *out, size_t max, size_t *n)
{
    *n = 0;
    char *end;
    while (*s && *n < max) {
        long v = strtol(s, &end, 10);
        if (end == s || v < 0)
            return -1;
        out[(*n)++] = (int)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'},       {"dialect", required_argument, NULL, 'd'},
        {"param", required_argument, NULL, 'p'},     {"dtmf", required_argument, NULL, 'D'},
        {"dtmf-at", required_argument, NULL, 'A'},   {"stream-sid", required_argument, NULL, 'S'},
        {"call-sid", required_argument, NULL, 'C'},  {"account-sid", required_argument, NULL, 'a'},
        {"alaw", no_argument, NULL, 'l'},            {"fast", no_argument, NULL, 'f'},
        {"sign", required_argument, NULL, 's'},      {"public-url", required_argument, NULL, 'P'},
        {"calls", required_argument, NULL, 'n'},     {"linger", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},            {"version", no_argument, NULL, 'V'},
        {"ca", required_argument, NULL, 'c'},        {0, 0, 0, 0}};
    if (loadgen_wanted(argc, argv))
        return loadgen_main(argc, argv);
    callsim_opts o = {0};
    const char *url = "ws://127.0.0.1:8080/stream", *dialect = "twilio", *ca_file = NULL;
    char *params[PARAMS_MAX * 2];
    int dtmf_at[CALLSIM_DTMF_MAX], n_calls = 1, c;
    size_t n_params = 0, n_dtmf_at = 0;
    while ((c = getopt_long(argc, argv, "p:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'u': url = optarg; break;
        case 'd': dialect = optarg; break;
        case 'p': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || n_params == PARAMS_MAX) {
                fprintf(stderr, "callprint-call: bad --param \"%s\" (KEY=VALUE)\n", optarg);
                return 2;
            }
            *eq = '\0';
            params[2 * n_params] = optarg;
            params[2 * n_params++ + 1] = eq + 1;
            break;
        }
        case 'D': o.dtmf = optarg; break;
        case 'A':
            if (parse_dtmf_at(optarg, dtmf_at, CALLSIM_DTMF_MAX, &n_dtmf_at) != 0) {
                fprintf(stderr, "callprint-call: bad --dtmf-at \"%s\"\n", optarg);
                return 2;
            }
            o.dtmf_ms = dtmf_at;
            break;
        case 'S': o.stream_sid = optarg; break;
        case 'C': o.call_sid = optarg; break;
        case 'a': o.account_sid = optarg; break;
        case 'l': o.alaw = true; break;
        case 'f': o.fast = true; break;
        case 's':
            o.sign_token = strcmp(optarg, "-") == 0 ? getenv("CALLPRINT_TWILIO_AUTH_TOKEN") : optarg;
            if (!o.sign_token || !*o.sign_token) {
                fprintf(stderr, "callprint-call: --sign - but CALLPRINT_TWILIO_AUTH_TOKEN is unset\n");
                return 2;
            }
            break;
        case 'P': o.public_url = optarg; break;
        case 'c': ca_file = optarg; break;
        case 'n': n_calls = atoi(optarg); break;
        case 'L': o.linger_ms = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("callprint-call %s\n", CALLPRINT_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    if (strcmp(dialect, "twilio") != 0 && strcmp(dialect, "voiceverify") != 0) {
        fprintf(stderr, "callprint-call: --dialect must be twilio or voiceverify\n");
        return 2;
    }
    if (o.dtmf && o.dtmf_ms && n_dtmf_at != strlen(o.dtmf)) {
        fprintf(stderr, "callprint-call: --dtmf-at needs one time per digit\n");
        return 2;
    }
    if (n_calls < 1 || n_calls > CALLS_MAX || (n_calls > 1 && o.stream_sid)) {
        fprintf(stderr, "callprint-call: --calls must be 1..%d (and without --stream-sid)\n",
                CALLS_MAX);
        return 2;
    }
    char full_url[2048];
    o.voiceverify = strcmp(dialect, "voiceverify") == 0;
    snprintf(full_url, sizeof full_url, "%s%s", url,
             o.voiceverify ? (strchr(url, '?') ? "&dialect=voiceverify" : "?dialect=voiceverify")
                           : "");
    o.url = full_url;
    o.params = (const char *const *)params;
    o.n_params = n_params;

    int16_t *pcm;
    size_t n;
    if (loadgen_load_files(argv + optind, argc - optind, &pcm, &n) != 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    log_open("-", LOG_WARN);
    player p = {0};
    uv_loop_init(&p.loop);
    p.ws = wsc_new_tls(&p.loop, ca_file);
    p.calls = calloc((size_t)n_calls, sizeof *p.calls);
    if (!p.ws || !p.calls) {
        fprintf(stderr, "callprint-call: cannot create the WebSocket client\n");
        return 1;
    }
    uv_signal_init(&p.loop, &p.sig);
    p.sig.data = &p;
    uv_signal_start(&p.sig, on_sigint, SIGINT);
    p.n_calls = n_calls;
    for (int i = 0; i < n_calls; i++) {
        p.calls[i] = callsim_start(p.ws, &p.loop, &o, pcm, n, on_done, &p);
        if (!p.calls[i]) {
            fprintf(stderr, "callprint-call: cannot connect to %s\n", o.url);
            p.failures++;
        } else
            p.running++;
    }
    if (p.running == 0) {
        uv_close((uv_handle_t *)&p.sig, NULL);
        wsc_close_all(p.ws);
    }
    uv_run(&p.loop, UV_RUN_DEFAULT);
    for (int i = 0; i < n_calls; i++)
        callsim_free(p.calls[i]);
    wsc_close_all(p.ws);
    uv_run(&p.loop, UV_RUN_DEFAULT);
    wsc_free(p.ws);
    free(p.calls);
    free(pcm);
    int rc = uv_loop_close(&p.loop) == 0 && p.failures == 0 ? 0 : 1;
    return rc;
}
