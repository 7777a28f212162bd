/* config.c -- settings table, defaults, file and environment sources, help. See config.h.
 *
 * The table maps a setting's name to its type, place in the struct, range, secrecy and a
 * one-line description; config_set() is the one parser every source uses. Integers are
 * range-checked so that a typo fails at start with the setting's name instead of producing
 * a gateway that silently refuses every call. Secrets are never printed: --check-config and
 * config_describe show only whether they are set.
 */
#include "config.h"
#include "proxy.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "store_crypt.h"

#ifndef CALLPRINT_DEFAULT_MODEL
#define CALLPRINT_DEFAULT_MODEL "biometrics/models/callprint.model"
#endif
#ifndef CALLPRINT_DEFAULT_SPOOF_MODEL
#define CALLPRINT_DEFAULT_SPOOF_MODEL "biometrics/models/spoof.model"
#endif
#ifndef CALLPRINT_DEFAULT_SCHEMAS
#define CALLPRINT_DEFAULT_SCHEMAS "schemas"
#endif

typedef enum { CT_STR, CT_INT, CT_BOOL, CT_DBL } config_type;

typedef struct {
    const char *name;
    config_type type;
    size_t offset;
    size_t size; /* for CT_STR */
    long min, max;
    bool secret;
    const char *help; /* one line for --help and the example file */
} config_entry;

/* The description is the last argument; it may be left out while a setting is being added
 * (tests/ops checks that every setting has one). */
#define STR(f, sec, ...) \
    {#f, CT_STR, offsetof(config, f), sizeof(((config *)0)->f), 0, 0, sec, "" __VA_ARGS__}
#define INT(f, lo, hi, ...) {#f, CT_INT, offsetof(config, f), 0, lo, hi, false, "" __VA_ARGS__}
#define BOOL(f, ...) {#f, CT_BOOL, offsetof(config, f), 0, 0, 1, false, "" __VA_ARGS__}
#define DBL(f, lo, hi, ...) {#f, CT_DBL, offsetof(config, f), 0, lo, hi, false, "" __VA_ARGS__}

static const config_entry entries[] = {
    STR(listen, false, "host:port for HTTP and /stream; port 0 = a free port (logged)"),
    STR(tls_cert, false, "PEM certificate chain: serve https:// and wss:// (with tls_key)"),
    STR(tls_key, false, "PEM private key of tls_cert"),
    STR(twilio_auth_token, true, "check X-Twilio-Signature on WebSocket upgrades"),
    STR(public_url, false, "URL Twilio connects to (wss://host); signed URL = it + path"),
    BOOL(insecure_no_stream_auth,
         "listen beyond loopback without twilio_auth_token: anyone reaching the port may stream"),
    STR(call_token_secret, true,
        "checks <Parameter name=\"call_token\">: hex HMAC-SHA256 of the CallSid under it"),
    BOOL(require_call_token, "refuse streams without a valid call_token"),
    INT(max_streams, 1, 1000000, "concurrent streams in the process"),
    INT(max_streams_per_conn, 1, 1024,
        "streams multiplexed on one WebSocket (350: a whole Voice Verify server's calls)"),
    STR(voiceverify_path, false,
        "another WebSocket path speaking the Voice Verify dialect, besides / (e.g. /ws)"),
    INT(stream_timeout_ms, 10, 24 * 3600 * 1000, "a stream silent this long ends (408)"),
    INT(ping_interval_ms, 10, 3600 * 1000, "Voice Verify keep-alive ping interval"),
    INT(outq_max_frames, 4, 1 << 20, "outbound frames queued per connection"),
    INT(http_body_max, 1024, 1 << 30, "largest HTTP request body, bytes"),
    INT(import_body_max, 1024, 1 << 30,
        "largest POST /api/v2/import body (base64 recordings), bytes"),
    INT(http_timeout_s, 1, 3600, "a deferred HTTP reply not sent by then closes"),
    INT(http_preauth_body_max, 0, 1 << 20,
        "request bodies beyond this many bytes need a valid API token in the headers"),
    INT(http_inflight_max, 0, 1 << 30, "request body bytes buffered at once (0 = no cap)"),
    INT(http_inflight_per_client, 0, 1 << 30,
        "request body bytes buffered at once per client address (0 = no cap)"),
    INT(http_header_timeout_s, 1, 3600, "request headers must arrive whole within this"),
    INT(http_body_timeout_s, 1, 24 * 3600, "a request body must arrive whole within this"),
    STR(trusted_proxies, false,
        "reverse proxies (addresses, CIDRs) whose X-Forwarded-For names the client"),
    INT(shutdown_grace_s, 0, 3600,
        "on SIGTERM: seconds for the whole graceful stop (streams, final verdicts, webhooks)"),
    STR(model, false, "biometric model file"),
    STR(engine, false, "biometric engine name (empty = default)"),
    INT(workers, 0, 256, "biometric threads (0 = number of cores)"),
    INT(worker_queue_len, 16, 1 << 20, "audio blocks queued per worker before drops"),
    DBL(min_enroll_speech, -1, 3600, "net speech seconds to enrol (-1 = model default)"),
    DBL(min_verify_speech, -1, 3600,
        "net speech seconds to verify (-1 = model default; a job may set min_speech)"),
    DBL(thr_verified, -1, 100, "score for \"verified\" (-1 = model default)"),
    DBL(thr_not_sure, -1, 100, "score for \"not_sure\" (-1 = model default)"),
    STR(spoof_model, false, "spoofing-countermeasure model file; empty = no countermeasure"),
    STR(spoof_policy, false,
        "reject: a call judged spoofed is never verified; flag: verdict kept, spoof reported"),
    DBL(spoof_threshold, -1, 100, "spoof score (0-100) judged spoofed (-1 = model default)"),
    INT(verify_interval_ms, 100, 60000, "live verify/enrol cadence and webhook tick"),
    INT(verify_slots, 1, 1000,
        "slots the streams' ticks are spread over per interval: fewer = bigger engine batches "
        "(less CPU), more = smaller bursts in front of the audio"),
    STR(redis_url, false, "redis://[:password@]host:port/db or unix:///path"),
    STR(redis_prefix, false, "prefix of every Redis key"),
    INT(session_ttl_s, 60, 366 * 24 * 3600, "sessions expire after this long"),
    STR(voiceprint_key, true, "32-byte key (64 hex / base64) encrypting voiceprints"),
    STR(admin_password, true, "initial admin password; empty = REST API disabled"),
    INT(token_ttl_s, 1, 30 * 24 * 3600, "API token lifetime"),
    INT(login_user_failures, 1, 1000000,
        "failed logins per user name per login_user_window_s before logins answer 429"),
    INT(login_user_window_s, 1, 24 * 3600, "window of login_user_failures"),
    STR(schemas_dir, false, "directory holding openapi.json (served at /api/v2/openapi.json)"),
    INT(http_stream_timeout_ms, 100, 3600 * 1000, "an HTTP push stream without data this long ends"),
    INT(console_clients_max, 1, 1000, "operator console live streams open at once (503 beyond)"),
    INT(webhook_timeout_ms, 100, 120000, "one webhook delivery attempt times out"),
    INT(webhook_attempts, 1, 20, "delivery attempts per webhook"),
    INT(webhook_queue_max, 1, 1 << 20, "bodies queued per subscription (oldest dropped)"),
    STR(webhook_ca_file, false, "extra CA bundle for HTTPS webhook receivers"),
    INT(max_subscriptions, 1, 1 << 20, "webhook subscriptions in the process"),
    STR(webhook_secret, true,
        "signs zero-integration webhooks; empty = one generated once and kept in Redis"),
    BOOL(allow_unsigned_enroll,
         "zero-integration mode=enroll on streams without a signature or call_token"),
    STR(default_country_code, false, "country calling code of national caller numbers"),
    STR(forward_url, false, "org API endpoint for verified callers' requests; empty = off"),
    STR(forward_api_key, true, "org API key, sent as X-API-Key"),
    STR(forward_bearer_token, true, "org API token, sent as Authorization: Bearer"),
    STR(forward_client_cert, false, "client certificate (PEM) for mutual TLS to the org API"),
    STR(forward_client_key, false, "private key (PEM) of forward_client_cert"),
    STR(forward_ca_file, false, "extra CA bundle for the org API endpoint"),
    STR(forward_on, false, "verdict that triggers a forward"),
    INT(forward_timeout_ms, 100, 120000, "one forward attempt times out"),
    INT(forward_attempts, 1, 20, "forward attempts (retries with backoff)"),
    INT(risk_threshold, 0, 100, "fraud risk 0-100 at which a call counts as risky"),
    BOOL(screen_calls, "screen every call against the fraudster watchlists"),
    INT(honeypot_threshold, 0, 101,
        "fraud risk sending a call to the honeypot (deny-listed numbers always; 101 = never)"),
    STR(honeypot_menu, false, "the honeypot's dummy IVR (JSON menu file); empty = calls only flagged"),
    STR(honeypot_webhook, false, "URL receiving each honeypot call's record (what the caller did)"),
    DBL(speaker_expiry_days, 0, 36500,
        "a voiceprint not enrolled or successfully verified for this long is EXPIRED (0 = never)"),
    STR(log_file, false, "log file, \"-\" = stderr (SIGHUP reopens it)"),
    STR(log_level, false, "debug, info, warn or error"),
    BOOL(mask_numbers, "mask caller numbers in logs"),
};
#define N_ENTRIES (sizeof entries / sizeof entries[0])

void config_defaults(config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
    snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
    c->listen_port = 8080;
    c->max_streams = 1000;
    c->max_streams_per_conn = 350; /* the manual's largest single server: one client may carry all */
    c->stream_timeout_ms = 10000;
    c->ping_interval_ms = 5000;
    c->outq_max_frames = 256;
    c->http_body_max = 1 << 20;
    c->import_body_max = 64 << 20; /* ~45 min of 8 kHz 16-bit audio once base64-encoded */
    c->http_timeout_s = 30;
    c->http_preauth_body_max = 16384;
    c->http_inflight_max = 256 << 20;
    c->http_inflight_per_client = 80 << 20; /* one default-size import and change */
    c->http_header_timeout_s = 10;
    c->http_body_timeout_s = 120;
    c->shutdown_grace_s = 30;
    snprintf(c->model, sizeof c->model, "%s", CALLPRINT_DEFAULT_MODEL);
    c->workers = 0;
    c->worker_queue_len = 512;
    c->min_enroll_speech = -1;
    c->min_verify_speech = -1;
    c->thr_verified = -1;
    c->thr_not_sure = -1;
    snprintf(c->spoof_model, sizeof c->spoof_model, "%s", CALLPRINT_DEFAULT_SPOOF_MODEL);
    snprintf(c->spoof_policy, sizeof c->spoof_policy, "reject");
    c->spoof_threshold = -1;
    c->verify_interval_ms = 1000;
    c->verify_slots = 50;
    snprintf(c->redis_url, sizeof c->redis_url, "redis://127.0.0.1:6379/0");
    snprintf(c->redis_prefix, sizeof c->redis_prefix, "callprint:");
    c->session_ttl_s = 7 * 24 * 3600;
    c->token_ttl_s = 12 * 3600;
    c->login_user_failures = 100;
    c->login_user_window_s = 900;
    snprintf(c->schemas_dir, sizeof c->schemas_dir, "%s", CALLPRINT_DEFAULT_SCHEMAS);
    c->http_stream_timeout_ms = 10000;
    c->console_clients_max = 8;
    c->webhook_timeout_ms = 5000;
    c->webhook_attempts = 3;
    c->webhook_queue_max = 64;
    c->max_subscriptions = 10000;
    snprintf(c->forward_on, sizeof c->forward_on, "verified");
    c->forward_timeout_ms = 5000;
    c->forward_attempts = 3;
    c->risk_threshold = 50; /* FRAUD_RISK_THRESHOLD_DEFAULT: one strong signal alone crosses */
    c->honeypot_threshold = 90; /* the deny list alone (95), or strong signals agreeing */
    c->speaker_expiry_days = 1095; /* Voice ID's three years */
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

static void env_name(const char *name, char *var, size_t cap)
{
    size_t n = (size_t)snprintf(var, cap, "CALLPRINT_");
    for (const char *p = name; *p && n + 1 < cap; p++)
        var[n++] = (char)toupper((unsigned char)*p);
    var[n] = '\0';
}

int config_load_env(config *c, char *err, size_t errcap)
{
    for (size_t i = 0; i < N_ENTRIES; i++) {
        char var[96];
        env_name(entries[i].name, var, sizeof var);
        const char *v = getenv(var);
        char msg[384];
        if (v && config_set(c, entries[i].name, v, msg, sizeof msg) != 0) {
            snprintf(err, errcap, "%s: %s", var, msg);
            return -1;
        }
    }
    return 0;
}

/* A URL's password ("redis://:pw@host", "scheme://user:pw@host", "...?password=pw")
 * replaced by mask. */
static void mask_url_password(const char *url, const char *mask, char *val, size_t cap)
{
    const char *auth = strstr(url, "://");
    const char *at = auth ? strchr(auth + 3, '@') : NULL;
    const char *slash = auth ? strchr(auth + 3, '/') : NULL;
    const char *colon = at ? memchr(auth + 3, ':', (size_t)(at - auth - 3)) : NULL;
    const char *q = strstr(url, "password=");
    if (colon && (!slash || slash > at))
        snprintf(val, cap, "%.*s%s%s", (int)(colon + 1 - url), url, mask, at);
    else if (q && q > url && (q[-1] == '?' || q[-1] == '&'))
        snprintf(val, cap, "%.*s%s%s", (int)(q + 9 - url), url, mask, q + 9 + strcspn(q + 9, "&"));
    else
        snprintf(val, cap, "%s", url);
}

/* The value of an entry as text; a set secret, or a password in a URL, as `mask`. */
static void format_value(const config *c, const config_entry *e, const char *mask, char *val,
                         size_t cap)
{
    const char *field = (const char *)c + e->offset;
    if (e->type == CT_STR && !e->secret)
        mask_url_password(field, mask, val, cap);
    else if (e->type == CT_STR)
        snprintf(val, cap, "%s", *field ? mask : field);
    else if (e->type == CT_BOOL)
        snprintf(val, cap, "%s", *(const bool *)(const void *)field ? "true" : "false");
    else if (e->type == CT_DBL)
        snprintf(val, cap, "%g", *(const double *)(const void *)field);
    else
        snprintf(val, cap, "%d", *(const int *)(const void *)field);
}

void config_describe(const config *c, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < N_ENTRIES && len + 1 < cap; i++) {
        char val[CONFIG_STR_MAX + 8];
        format_value(c, &entries[i], "(set)", val, sizeof val);
        int w = snprintf(out + len, cap - len, "%s=%s\n", entries[i].name, val);
        if (w < 0 || (size_t)w >= cap - len)
            break;
        len += (size_t)w;
    }
}

void config_print(const config *c, FILE *f)
{
    for (size_t i = 0; i < N_ENTRIES; i++) {
        char val[CONFIG_STR_MAX + 8];
        format_value(c, &entries[i], "********", val, sizeof val);
        fprintf(f, "%s = %s\n", entries[i].name, val);
    }
}

void config_print_help(FILE *f)
{
    config d;
    config_defaults(&d);
    for (size_t i = 0; i < N_ENTRIES; i++) {
        char var[96], val[CONFIG_STR_MAX + 8];
        env_name(entries[i].name, var, sizeof var);
        format_value(&d, &entries[i], "", val, sizeof val);
        fprintf(f, "  %-20s %s\n  %-20s   %s (default: %s)%s\n", entries[i].name,
                entries[i].help, "", var, *val ? val : "empty",
                entries[i].secret ? " [secret]" : "");
    }
}

size_t config_count(void) { return N_ENTRIES; }
const char *config_name(size_t i) { return i < N_ENTRIES ? entries[i].name : NULL; }
const char *config_help(size_t i) { return i < N_ENTRIES ? entries[i].help : NULL; }

/* ---- configuration file ---- */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static const config_entry *entry_named(const char *name)
{
    for (size_t i = 0; i < N_ENTRIES; i++)
        if (strcmp(entries[i].name, name) == 0)
            return &entries[i];
    return NULL;
}

/* One line (already without its newline). 0, or -1 with msg set. */
static int file_line(config *c, char *line, int lineno, int *seen_at, char *msg, size_t cap)
{
    char *p = trim(line);
    if (!*p || *p == '#')
        return 0;
    char *eq = strchr(p, '=');
    if (!eq) {
        snprintf(msg, cap, "expected name = value");
        return -1;
    }
    *eq = '\0';
    char *name = trim(p), *value = trim(eq + 1);
    size_t vl = strlen(value);
    if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
        value[vl - 1] = '\0';
        value++;
    }
    const config_entry *e = entry_named(name);
    if (!e) {
        snprintf(msg, cap, "unknown setting \"%.64s\"", name);
        return -1;
    }
    size_t idx = (size_t)(e - entries);
    if (seen_at[idx]) {
        snprintf(msg, cap, "%s: already set on line %d", name, seen_at[idx]);
        return -1;
    }
    seen_at[idx] = lineno;
    return config_set(c, name, value, msg, cap);
}

int config_load_file(config *c, const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return -1;
    }
    int seen_at[N_ENTRIES] = {0};
    char line[4096], msg[384];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n' && !feof(f)) {
            snprintf(msg, sizeof msg, "line longer than %zu characters", sizeof line - 2);
            rc = -1;
        } else {
            line[strcspn(line, "\r\n")] = '\0';
            rc = file_line(c, line, lineno, seen_at, msg, sizeof msg);
        }
        if (rc != 0) {
            snprintf(err, errcap, "%s:%d: %s", path, lineno, msg);
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errcap, "%s: read error", path);
        rc = -1;
    }
    fclose(f);
    return rc;
}

/* ---- rules between settings ---- */

static int readable(const char *name, const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errcap, "%s: cannot read \"%s\": %s", name, path, strerror(errno));
        return -1;
    }
    fclose(f);
    return 0;
}

bool config_host_is_loopback(const char *h)
{
    return strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0 || strcasecmp(h, "localhost") == 0;
}

/* Who may open /stream: anyone reaching a non-loopback port, unless upgrades are signed. */
static int stream_auth_rules(const config *c, char *err, size_t errcap)
{
    if (!c->twilio_auth_token[0] && !c->insecure_no_stream_auth &&
        !config_host_is_loopback(c->listen_host)) {
        snprintf(err, errcap,
                 "twilio_auth_token: required when listening on %s (not loopback): without it "
                 "anyone who reaches the port can stream and enrol; set it, listen on 127.0.0.1 "
                 "behind a proxy, or set insecure_no_stream_auth = true to accept that",
                 c->listen);
        return -1;
    }
    if (c->require_call_token && !c->call_token_secret[0]) {
        snprintf(err, errcap, "require_call_token: needs call_token_secret");
        return -1;
    }
    return 0;
}

int config_validate(const config *c, char *err, size_t errcap)
{
    if (stream_auth_rules(c, err, errcap) != 0)
        return -1;
    if (!c->tls_cert[0] != !c->tls_key[0]) {
        snprintf(err, errcap, "%s: set tls_cert and tls_key together",
                 c->tls_cert[0] ? "tls_key" : "tls_cert");
        return -1;
    }
    if (c->tls_cert[0] && (readable("tls_cert", c->tls_cert, err, errcap) != 0 ||
                           readable("tls_key", c->tls_key, err, errcap) != 0))
        return -1;
    if (c->webhook_ca_file[0] && readable("webhook_ca_file", c->webhook_ca_file, err, errcap))
        return -1;
    if (c->thr_verified >= 0 && c->thr_not_sure >= 0 && c->thr_not_sure > c->thr_verified) {
        snprintf(err, errcap, "thr_not_sure: %g is above thr_verified (%g)", c->thr_not_sure,
                 c->thr_verified);
        return -1;
    }
    if (strcmp(c->spoof_policy, "reject") != 0 && strcmp(c->spoof_policy, "flag") != 0) {
        snprintf(err, errcap, "spoof_policy: \"%s\" is neither reject nor flag", c->spoof_policy);
        return -1;
    }
    if (c->http_inflight_per_client && c->http_inflight_per_client < c->import_body_max) {
        snprintf(err, errcap, "http_inflight_per_client: %d is below import_body_max (%d): "
                 "no import of that size could be sent", c->http_inflight_per_client,
                 c->import_body_max);
        return -1;
    }
    proxy_list pl;
    char why[200];
    if (proxy_parse(&pl, c->trusted_proxies, why, sizeof why) != 0) {
        snprintf(err, errcap, "trusted_proxies: %s", why);
        return -1;
    }
    store_crypt k;
    if (store_crypt_init(&k, c->voiceprint_key, why, sizeof why) != 0) {
        snprintf(err, errcap, "voiceprint_key: %s", why);
        return -1;
    }
    store_crypt_clear(&k);
    return 0;
}
