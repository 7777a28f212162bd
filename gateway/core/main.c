/* callprint.c -- the gateway server: configuration, the loop, signals.
 *
 * Everything runs on one libuv loop (DESIGN.md "Threads"); this file reads the configuration
 * (defaults < --config file < CALLPRINT_* environment, config.h) and owns the process
 * lifecycle: the first SIGINT/SIGTERM starts a graceful stop (app_drain: no new streams;
 * within shutdown_grace_s running ones end, their final verdicts are awaited and delivered,
 * queued webhooks and Redis writes are flushed), a
 * second one stops at once (app_close); either way the loop ends with no handle left after
 * the two-round lws destroy, and the exit status is 0. SIGHUP reopens the log file after
 * rotation.
 */
#include <uv.h>

#include <getopt.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/app.h"
#include "core/config.h"
#include "common/log.h"
#include "http/wsecret.h"

#ifndef CALLPRINT_VERSION
#define CALLPRINT_VERSION "0.0.0"
#endif

typedef struct {
    uv_loop_t loop;
    uv_signal_t sig_int, sig_term, sig_hup;
    bool signals_open;
    app *gw;
    const config *cfg;
} process;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: callprint [--config FILE] [--check-config] [--help] [--version]\n"
            "\n"
            "Voice-biometrics gateway: Twilio media streams on ws[s]://HOST:PORT/stream, the\n"
            "REST API, /metrics, /healthz and /readyz on the same port.\n"
            "\n"
            "  -c, --config FILE   read settings from FILE (`name = value` lines, # comments);\n"
            "                      default: $CALLPRINT_CONFIG when set\n"
            "  --check-config      validate the configuration, print it (secrets masked), exit\n"
            "  -h, --help          this text\n"
            "  -V, --version       the version\n"
            "\n"
            "Settings (file name, then environment variable; the environment wins over the\n"
            "file, the file over the default):\n");
    config_print_help(f);
    fprintf(f, "\n"
               "Exit status: 0 stopped cleanly, 1 cannot start, 2 bad usage or configuration.\n"
               "Signals: SIGTERM/SIGINT stop gracefully within shutdown_grace_s (new streams\n"
               "refused, running ones ended with their final verdicts delivered, queued webhooks\n"
               "and Redis writes flushed); a second\n"
               "SIGTERM/SIGINT stops at once. SIGHUP reopens the log file.\n");
}

static void close_signals(void *arg)
{
    process *p = arg;
    if (!p->signals_open)
        return;
    p->signals_open = false;
    uv_signal_t *sigs[] = {&p->sig_int, &p->sig_term, &p->sig_hup};
    for (int i = 0; i < 3; i++) {
        uv_signal_stop(sigs[i]);
        uv_close((uv_handle_t *)sigs[i], NULL);
    }
}

/* First SIGTERM/SIGINT: graceful stop; a second one during the grace period: at once. */
static void on_stop_signal(uv_signal_t *h, int signum)
{
    process *p = h->data;
    if (p->gw->draining || p->cfg->shutdown_grace_s == 0) {
        log_info("signal %d: stopping now", signum);
        close_signals(p);
        app_close(p->gw); /* round 1; main() finishes after uv_run returns */
        return;
    }
    log_info("signal %d: stopping gracefully (again to stop now)", signum);
    app_drain(p->gw, (uint64_t)p->cfg->shutdown_grace_s * 1000, close_signals, p);
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

typedef struct {
    const char *config_file;
    bool check;
} args;

/* -1 = run; otherwise the exit status. */
static int parse_args(int argc, char **argv, args *out)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {"config", required_argument, NULL, 'c'},
                                         {"check-config", no_argument, NULL, 'k'},
                                         {0, 0, 0, 0}};
    int c;
    out->config_file = getenv("CALLPRINT_CONFIG");
    if (out->config_file && !*out->config_file)
        out->config_file = NULL;
    while ((c = getopt_long(argc, argv, "hVc:", opts, NULL)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return 0;
        case 'V': printf("callprint %s\n", CALLPRINT_VERSION); return 0;
        case 'c': out->config_file = optarg; break;
        case 'k': out->check = true; break;
        default:
            fprintf(stderr, "Try 'callprint --help'.\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "callprint: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    return -1;
}

/* Defaults, then the file, then the environment; then the rules between settings. */
static int load_config(const args *ar, config *cfg)
{
    char err[512];
    config_defaults(cfg);
    if (ar->config_file && config_load_file(cfg, ar->config_file, err, sizeof err) != 0) {
        fprintf(stderr, "callprint: bad configuration: %s\n", err);
        return -1;
    }
    if (config_load_env(cfg, err, sizeof err) != 0 || config_validate(cfg, err, sizeof err)) {
        fprintf(stderr, "callprint: bad configuration: %s\n", err);
        return -1;
    }
    return 0;
}

/* --check-config: the generated webhook secret the gateways share, so the operator can give
 * it to the webhook receivers (it is never logged). */
static void print_webhook_secret(const config *cfg)
{
    char secret[CONFIG_STR_MAX], fp[32], err[256];
    if (cfg->webhook_secret[0])
        return;
    log_set_level(LOG_ERROR); /* the store's connection lines are not the configuration */
    int rc = wsecret_read_sync(cfg, 1000, secret, sizeof secret, err, sizeof err);
    if (rc == 1) {
        wsecret_fingerprint_of(secret, fp, sizeof fp);
        printf("# webhook secret generated by the gateway, kept in Redis (%s):\n"
               "#   %s\n",
               fp, secret);
        OPENSSL_cleanse(secret, sizeof secret);
    } else if (rc == 0) {
        printf("# webhook secret: none in Redis yet; the gateway generates one at its start\n");
    } else {
        printf("# webhook secret: not read from Redis (%s)\n", err);
    }
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN); /* sockets; and `callprint --help | head` exits 0 */
    args ar = {0};
    int rc = parse_args(argc, argv, &ar);
    if (rc >= 0)
        return rc;
    static config cfg; /* static: the struct is large and outlives every component */
    if (load_config(&ar, &cfg) != 0)
        return 2;
    if (ar.check) {
        printf("# callprint %s: configuration OK (defaults < %s < environment)\n",
               CALLPRINT_VERSION, ar.config_file ? ar.config_file : "no file");
        config_print(&cfg, stdout);
        print_webhook_secret(&cfg);
        return 0;
    }
    char err[256];
    if (log_open(cfg.log_file, (log_level)log_level_parse(cfg.log_level)) != 0) {
        fprintf(stderr, "callprint: cannot open log file %s\n", cfg.log_file);
        return 2;
    }
    log_set_mask_numbers(cfg.mask_numbers);

    process p;
    memset(&p, 0, sizeof p);
    p.cfg = &cfg;
    uv_loop_init(&p.loop);
    p.gw = app_new(&p.loop, &cfg, err, sizeof err);
    if (!p.gw) {
        log_error("cannot start: %s", err);
        uv_loop_close(&p.loop);
        log_close();
        return 1;
    }
    log_write(LOG_INFO, NULL, NULL, LOG_KV("config", ar.config_file), "callprint %s started",
              CALLPRINT_VERSION);
    uv_signal_t *sigs[] = {&p.sig_int, &p.sig_term, &p.sig_hup};
    int nums[] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(&p.loop, sigs[i]);
        sigs[i]->data = &p;
        uv_signal_start(sigs[i], nums[i] == SIGHUP ? on_hup : on_stop_signal, nums[i]);
    }
    p.signals_open = true;

    uv_run(&p.loop, UV_RUN_DEFAULT);
    if (app_close_finish(p.gw)) /* lws on a foreign loop: a second destroy round */
        uv_run(&p.loop, UV_RUN_DEFAULT);
    app_free(p.gw);
    rc = uv_loop_close(&p.loop) == 0 ? 0 : 1;
    if (rc)
        log_error("event loop closed with handles still open");
    log_info("stopped");
    log_close();
    return rc;
}
