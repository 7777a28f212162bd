/* callprint.c -- the gateway server: configuration, the loop, signals.
 *
 * Everything runs on one libuv loop (DESIGN.md "Threads"); this file only wires the modules
 * together and owns the process lifecycle: SIGINT/SIGTERM stop the server cleanly (ending
 * streams, the two-round lws destroy, then the loop closes with no handle left), SIGHUP
 * reopens the log file after rotation.
 */
#include <uv.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "config.h"
#include "log.h"

#ifndef CALLPRINT_VERSION
#define CALLPRINT_VERSION "0.0.0"
#endif

typedef struct {
    uv_loop_t loop;
    uv_signal_t sig_int, sig_term, sig_hup;
    app *gw;
} process;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: callprint [--help] [--version]\n"
            "\n"
            "Voice-biometrics gateway: Twilio media streams on ws://HOST:PORT/stream, REST on\n"
            "the same port. Settings come from the environment:\n"
            "  CALLPRINT_LISTEN                host:port to listen on (default 127.0.0.1:8080;\n"
            "                                  port 0 picks a free port, printed at start)\n"
            "  CALLPRINT_TWILIO_AUTH_TOKEN     check X-Twilio-Signature on WebSocket upgrades\n"
            "  CALLPRINT_PUBLIC_URL            public base URL Twilio connects to (wss://host)\n"
            "  CALLPRINT_MAX_STREAMS           concurrent streams (default 1000)\n"
            "  CALLPRINT_MAX_STREAMS_PER_CONN  streams on one WebSocket (default 16)\n"
            "  CALLPRINT_STREAM_TIMEOUT_MS     inactivity before a stream ends (default 10000)\n"
            "  CALLPRINT_PING_INTERVAL_MS      Voice Verify keep-alive ping (default 5000)\n"
            "  CALLPRINT_OUTQ_MAX_FRAMES       outbound frames queued per connection (256)\n"
            "  CALLPRINT_HTTP_BODY_MAX         largest HTTP request body, bytes (1048576)\n"
            "  CALLPRINT_HTTP_TIMEOUT_S        deferred HTTP replies time out after (30)\n"
            "  CALLPRINT_LOG_FILE              log file, '-' for stderr (default)\n"
            "  CALLPRINT_LOG_LEVEL             debug, info, warn, error (default info)\n"
            "  CALLPRINT_MASK_NUMBERS          mask caller numbers in logs (default true)\n"
            "\n"
            "Signals: SIGINT/SIGTERM stop cleanly, SIGHUP reopens the log file.\n");
}

static void on_stop_signal(uv_signal_t *h, int signum)
{
    process *a = h->data;
    log_info("signal %d: shutting down", signum);
    uv_signal_stop(&a->sig_int);
    uv_signal_stop(&a->sig_term);
    uv_signal_stop(&a->sig_hup);
    uv_close((uv_handle_t *)&a->sig_int, NULL);
    uv_close((uv_handle_t *)&a->sig_term, NULL);
    uv_close((uv_handle_t *)&a->sig_hup, NULL);
    app_close(a->gw); /* round 1; main() finishes after uv_run returns */
}

static void on_hup(uv_signal_t *h, int signum)
{
    (void)h;
    (void)signum;
    if (log_reopen() != 0)
        log_error("SIGHUP: cannot reopen the log file");
    else
        log_info("SIGHUP: log file reopened");
}

static int parse_args(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if (c == 'V') {
            printf("callprint %s\n", CALLPRINT_VERSION);
            return 0;
        }
        usage(stderr);
        return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "callprint: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    return -1; /* run */
}

int main(int argc, char **argv)
{
    int rc = parse_args(argc, argv);
    if (rc >= 0)
        return rc;
    config cfg;
    char err[256];
    config_defaults(&cfg);
    if (config_load_env(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "callprint: bad configuration: %s\n", err);
        return 2;
    }
    if (log_open(cfg.log_file, (log_level)log_level_parse(cfg.log_level)) != 0) {
        fprintf(stderr, "callprint: cannot open log file %s\n", cfg.log_file);
        return 2;
    }
    log_set_mask_numbers(cfg.mask_numbers);
    signal(SIGPIPE, SIG_IGN);

    process a;
    memset(&a, 0, sizeof a);
    uv_loop_init(&a.loop);
    a.gw = app_new(&a.loop, &cfg, err, sizeof err);
    if (!a.gw) {
        log_error("cannot start: %s", err);
        uv_loop_close(&a.loop);
        log_close();
        return 1;
    }
    log_info("callprint %s started", CALLPRINT_VERSION);
    uv_signal_t *sigs[] = {&a.sig_int, &a.sig_term, &a.sig_hup};
    int nums[] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(&a.loop, sigs[i]);
        sigs[i]->data = &a;
        uv_signal_start(sigs[i], nums[i] == SIGHUP ? on_hup : on_stop_signal, nums[i]);
    }

    uv_run(&a.loop, UV_RUN_DEFAULT);
    if (app_close_finish(a.gw)) /* second lws destroy round (TOOLCHAIN.md pitfall 1) */
        uv_run(&a.loop, UV_RUN_DEFAULT);
    app_free(a.gw);
    rc = uv_loop_close(&a.loop) == 0 ? 0 : 1;
    if (rc)
        log_error("event loop closed with handles still open");
    log_info("stopped");
    log_close();
    return rc;
}
