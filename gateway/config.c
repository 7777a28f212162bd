/* config.c -- settings table, defaults, environment overrides. See config.h.
 *
 * The table maps a setting's name to its type and place in the struct; config_set() is the
 * one parser every source uses. Integers are range-checked so that a typo fails at start
 * with the setting's name instead of producing a gateway that silently refuses every call.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

#ifndef CALLPRINT_DEFAULT_MODEL
#define CALLPRINT_DEFAULT_MODEL "biometrics/models/callprint.model"
#endif

typedef enum { CT_STR, CT_INT, CT_BOOL, CT_DBL } config_type;

typedef struct {
    const char *name;
    config_type type;
    size_t offset;
    size_t size; /* for CT_STR */
    long min, max;
    bool secret;
} config_entry;

#define STR(f, sec) {#f, CT_STR, offsetof(config, f), sizeof(((config *)0)->f), 0, 0, sec}
#define INT(f, lo, hi) {#f, CT_INT, offsetof(config, f), 0, lo, hi, false}
#define BOOL(f) {#f, CT_BOOL, offsetof(config, f), 0, 0, 1, false}
#define DBL(f, lo, hi) {#f, CT_DBL, offsetof(config, f), 0, lo, hi, false}

static const config_entry entries[] = {
    STR(listen, false),
    STR(twilio_auth_token, true),
    STR(public_url, false),
    INT(max_streams, 1, 1000000),
    INT(max_streams_per_conn, 1, 1024),
    INT(stream_timeout_ms, 10, 24 * 3600 * 1000),
    INT(ping_interval_ms, 10, 3600 * 1000),
    INT(outq_max_frames, 4, 1 << 20),
    INT(http_body_max, 1024, 1 << 30),
    INT(http_timeout_s, 1, 3600),
    STR(model, false),
    STR(engine, false),
    INT(workers, 0, 256),
    INT(worker_queue_len, 16, 1 << 20),
    DBL(min_enroll_speech, -1, 3600),
    DBL(min_verify_speech, -1, 3600),
    DBL(thr_verified, -1, 100),
    DBL(thr_not_sure, -1, 100),
    INT(verify_interval_ms, 100, 60000),
    STR(redis_url, false),
    STR(redis_prefix, false),
    INT(session_ttl_s, 60, 366 * 24 * 3600),
    STR(voiceprint_key, true),
    STR(admin_password, true),
    INT(token_ttl_s, 60, 30 * 24 * 3600),
    INT(webhook_timeout_ms, 100, 120000),
    INT(webhook_attempts, 1, 20),
    INT(webhook_queue_max, 1, 1 << 20),
    STR(webhook_ca_file, false),
    INT(max_subscriptions, 1, 1 << 20),
    STR(webhook_secret, true),
    STR(log_file, false),
    STR(log_level, false),
    BOOL(mask_numbers),
};
#define N_ENTRIES (sizeof entries / sizeof entries[0])

void config_defaults(config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
    snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
    c->listen_port = 8080;
    c->max_streams = 1000;
    c->max_streams_per_conn = 16;
    c->stream_timeout_ms = 10000;
    c->ping_interval_ms = 5000;
    c->outq_max_frames = 256;
    c->http_body_max = 1 << 20;
    c->http_timeout_s = 30;
    snprintf(c->model, sizeof c->model, "%s", CALLPRINT_DEFAULT_MODEL);
    c->workers = 0;
    c->worker_queue_len = 512;
    c->min_enroll_speech = -1;
    c->min_verify_speech = -1;
    c->thr_verified = -1;
    c->thr_not_sure = -1;
    c->verify_interval_ms = 1000;
    snprintf(c->redis_url, sizeof c->redis_url, "redis://127.0.0.1:6379/0");
    snprintf(c->redis_prefix, sizeof c->redis_prefix, "callprint:");
    c->session_ttl_s = 7 * 24 * 3600;
    c->token_ttl_s = 12 * 3600;
    c->webhook_timeout_ms = 5000;
    c->webhook_attempts = 3;
    c->webhook_queue_max = 64;
    c->max_subscriptions = 10000;
    snprintf(c->log_file, sizeof c->log_file, "-");
    snprintf(c->log_level, sizeof c->log_level, "info");
    c->mask_numbers = true;
}

/* "host:port" (host may be "[v6]"); port 0..65535. */
static int parse_listen(config *c, const char *v, char *err, size_t errcap)
{
    const char *colon = strrchr(v, ':');
    char *end;
    errno = 0;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == v || errno || *end || end == colon + 1 || port < 0 || port > 65535 ||
        (size_t)(colon - v) >= sizeof c->listen_host) {
        snprintf(err, errcap, "listen: expected host:port, got \"%s\"", v);
        return -1;
    }
    const char *h = v;
    size_t hl = (size_t)(colon - v);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    memcpy(c->listen_host, h, hl);
    c->listen_host[hl] = '\0';
    c->listen_port = (int)port;
    return 0;
}

static int set_entry(config *c, const config_entry *e, const char *value, char *err,
                     size_t errcap)
{
    char *field = (char *)c + e->offset;
    if (e->type == CT_STR) {
        if (strlen(value) >= e->size) {
            snprintf(err, errcap, "%s: value longer than %zu characters", e->name, e->size - 1);
            return -1;
        }
        snprintf(field, e->size, "%s", value);
        return 0;
    }
    if (e->type == CT_BOOL) {
        bool b;
        if (!strcasecmp(value, "1") || !strcasecmp(value, "true") || !strcasecmp(value, "yes") ||
            !strcasecmp(value, "on"))
            b = true;
        else if (!strcasecmp(value, "0") || !strcasecmp(value, "false") ||
                 !strcasecmp(value, "no") || !strcasecmp(value, "off"))
            b = false;
        else {
            snprintf(err, errcap, "%s: expected true or false, got \"%s\"", e->name, value);
            return -1;
        }
        memcpy(field, &b, sizeof b);
        return 0;
    }
    char *end;
    errno = 0;
    if (e->type == CT_DBL) {
        double d = strtod(value, &end);
        if (errno || end == value || *end || d != d || d < (double)e->min || d > (double)e->max) {
            snprintf(err, errcap, "%s: expected a number in [%ld, %ld], got \"%s\"", e->name,
                     e->min, e->max, value);
            return -1;
        }
        memcpy(field, &d, sizeof d);
        return 0;
    }
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < e->min || v > e->max) {
        snprintf(err, errcap, "%s: expected an integer in [%ld, %ld], got \"%s\"", e->name,
                 e->min, e->max, value);
        return -1;
    }
    int iv = (int)v;
    memcpy(field, &iv, sizeof iv);
    return 0;
}

int config_set(config *c, const char *name, const char *value, char *err, size_t errcap)
{
    for (size_t i = 0; i < N_ENTRIES; i++) {
        if (strcmp(entries[i].name, name) != 0)
            continue;
        if (set_entry(c, &entries[i], value, err, errcap) != 0)
            return -1;
        if (strcmp(name, "listen") == 0)
            return parse_listen(c, c->listen, err, errcap);
        if (strcmp(name, "log_level") == 0 && log_level_parse(value) < 0) {
            snprintf(err, errcap, "log_level: expected debug, info, warn or error, got \"%s\"",
                     value);
            return -1;
        }
        if (strcmp(name, "public_url") == 0 && *value && strncmp(value, "wss://", 6) &&
            strncmp(value, "ws://", 5)) {
            snprintf(err, errcap, "public_url: expected wss://host[:port], got \"%s\"", value);
            return -1;
        }
        return 0;
    }
    snprintf(err, errcap, "unknown setting \"%s\"", name);
    return -1;
}

int config_load_env(config *c, char *err, size_t errcap)
{
    for (size_t i = 0; i < N_ENTRIES; i++) {
        char var[96] = "CALLPRINT_";
        size_t n = strlen(var);
        for (const char *p = entries[i].name; *p && n + 1 < sizeof var; p++)
            var[n++] = (char)toupper((unsigned char)*p);
        var[n] = '\0';
        const char *v = getenv(var);
        if (v && config_set(c, entries[i].name, v, err, errcap) != 0)
            return -1;
    }
    return 0;
}

void config_describe(const config *c, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < N_ENTRIES && len + 1 < cap; i++) {
        const config_entry *e = &entries[i];
        const char *field = (const char *)c + e->offset;
        char val[CONFIG_STR_MAX + 8];
        if (e->type == CT_STR)
            snprintf(val, sizeof val, "%s", e->secret && *field ? "(set)" : field);
        else if (e->type == CT_BOOL)
            snprintf(val, sizeof val, "%s", *(const bool *)(const void *)field ? "true" : "false");
        else if (e->type == CT_DBL)
            snprintf(val, sizeof val, "%g", *(const double *)(const void *)field);
        else
            snprintf(val, sizeof val, "%d", *(const int *)(const void *)field);
        int w = snprintf(out + len, cap - len, "%s=%s\n", e->name, val);
        if (w < 0 || (size_t)w >= cap - len)
            break;
        len += (size_t)w;
    }
}
