/* config.h -- the gateway's settings: one struct, one parse function, three sources.
 *
 * Every setting has a default that works on a developer machine (config_defaults), may be
 * set in a configuration file (config_load_file: `name = value` lines, # comments) and is
 * overridden by the environment variable CALLPRINT_<NAME> (config_load_env). The order is
 * defaults, then file, then environment: the environment wins, so a container or a systemd
 * drop-in can change one setting without editing the file.
 *
 * All three go through one table of {name, type, offset, range, secret, description}
 * entries in config.c: a new setting is one line there, every source validates it the same
 * way and names it in the error, and `callprint --help` and `--check-config` are generated
 * from the same table. Rules between settings (a TLS certificate needs its key, ...) are
 * checked once all sources are applied (config_validate). Strings are fixed-size arrays so
 * the struct can be copied and needs no free.
 */
#ifndef CALLPRINT_CONFIG_H
#define CALLPRINT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CONFIG_STR_MAX 256

typedef struct config {
    /* Network. */
    char listen[CONFIG_STR_MAX];     /* "host:port"; port 0 = ephemeral (tests) */
    char listen_host[CONFIG_STR_MAX];/* derived from listen */
    int listen_port;                 /* derived from listen */
    char tls_cert[CONFIG_STR_MAX];   /* PEM certificate (chain): https:// and wss:// */
    char tls_key[CONFIG_STR_MAX];    /* PEM private key of tls_cert */
    int shutdown_grace_s;            /* SIGTERM: running streams get this long to finish */
    /* Twilio signature check on the WebSocket upgrade. */
    char twilio_auth_token[CONFIG_STR_MAX]; /* secret: never logged */
    char public_url[CONFIG_STR_MAX];        /* "wss://host"; request path is appended */
    bool insecure_no_stream_auth; /* no token on a non-loopback address: allowed explicitly */
    char call_token_secret[CONFIG_STR_MAX]; /* secret: per-call <Parameter name="call_token"> */
    bool require_call_token;      /* streams without a valid call_token are refused */
    /* Stream limits and timing. */
    int max_streams;          /* concurrent streams in the whole process */
    int max_streams_per_conn; /* streams multiplexed on one WebSocket */
    char voiceverify_path[CONFIG_STR_MAX]; /* WebSocket path speaking Voice Verify, besides "/" */
    int stream_timeout_ms;    /* a stream without messages for this long ends (408) */
    int ping_interval_ms;     /* Voice Verify keep-alive ping */
    int outq_max_frames;      /* outbound frames queued per connection */
    int http_body_max;        /* largest HTTP request body accepted, bytes */
    int import_body_max;      /* the same for POST /api/v2/import (batches of recordings) */
    int http_timeout_s;       /* a deferred HTTP reply not sent by then: connection closed */
    int http_preauth_body_max;    /* bodies beyond this need a valid token in the headers */
    int http_inflight_max;        /* request body bytes buffered at once, all clients */
    int http_inflight_per_client; /* the same per client address */
    int http_header_timeout_s;    /* request headers must arrive whole within this */
    int http_body_timeout_s;      /* a request body must arrive whole within this */
    char trusted_proxies[CONFIG_STR_MAX]; /* addresses/CIDRs whose X-Forwarded-For counts */
    /* Biometrics. Thresholds and minimums < 0 = the model's measured defaults. */
    char model[CONFIG_STR_MAX];  /* model file (CALLPRINT_MODEL) */
    char engine[32];             /* engine name, "" = default (ivector) */
    int workers;                 /* biometric threads, 0 = number of cores */
    int worker_queue_len;        /* jobs queued per worker before audio is dropped */
    double min_enroll_speech;    /* seconds of net speech to enrol */
    double min_verify_speech;    /* seconds of net speech to verify */
    double thr_verified;         /* score (0-100) for "verified" */
    double thr_not_sure;         /* score (0-100) for "not_sure" */
    char spoof_model[CONFIG_STR_MAX]; /* spoofing countermeasure model, "" = none */
    char spoof_policy[16];       /* "reject" (a spoofed call is never verified) or "flag" */
    double spoof_threshold;      /* spoof score (0-100) judged spoofed; < 0 = model default */
    int verify_interval_ms;      /* live verify/enrol cadence and webhook tick (1000) */
    int verify_slots;            /* the interval's tick slots, at most (50) */
    /* Redis: sessions, voiceprints, directory, audit. */
    char redis_url[CONFIG_STR_MAX];      /* redis://[:pw@]host:port/db or unix:///path */
    char redis_prefix[64];
    int session_ttl_s;
    char voiceprint_key[CONFIG_STR_MAX]; /* secret: 32-byte key (hex/base64), "" = clear */
    /* REST API. */
    char admin_password[CONFIG_STR_MAX]; /* secret: initial admin password, "" = API off */
    int token_ttl_s;
    int login_user_failures;  /* failed logins per user name per window before 429 */
    int login_user_window_s;
    char schemas_dir[CONFIG_STR_MAX]; /* schemas/ (openapi.json served by the API) */
    int http_stream_timeout_ms;      /* an HTTP push stream without data for this long ends */
    int console_clients_max;         /* live operator consoles connected at once */
    /* Webhooks. */
    int webhook_timeout_ms;
    int webhook_attempts;
    int webhook_queue_max;           /* per subscriber; oldest dropped beyond */
    char webhook_ca_file[CONFIG_STR_MAX]; /* extra CA bundle for HTTPS receivers */
    int max_subscriptions;
    char webhook_secret[CONFIG_STR_MAX]; /* secret: signs zero-integration webhooks, "" = generated */
    bool allow_unsigned_enroll; /* zero-integration enrolment on unauthenticated streams */
    /* Sessions, caller lookup and org-API forwarding (sessions.h, forward.h). */
    char default_country_code[8];        /* national caller numbers' country code, "" = none */
    char forward_url[CONFIG_STR_MAX];    /* org endpoint, "" = no forwarding */
    char forward_api_key[CONFIG_STR_MAX];      /* secret: sent as X-API-Key */
    char forward_bearer_token[CONFIG_STR_MAX]; /* secret: Authorization: Bearer */
    char forward_client_cert[CONFIG_STR_MAX];  /* mutual TLS certificate (PEM) */
    char forward_client_key[CONFIG_STR_MAX];   /* its key (PEM) */
    char forward_ca_file[CONFIG_STR_MAX];      /* extra CA bundle for the org endpoint */
    char forward_on[32];                 /* verdict that triggers a forward ("verified") */
    int forward_timeout_ms;
    int forward_attempts;
    /* Fraud screening (fraud.h). */
    int risk_threshold; /* 0-100: a call at or above it is risky */
    bool screen_calls;  /* screen every call against the watchlists (else screen=true / verify) */
    int honeypot_threshold;                /* risk sending a call to the honeypot (honeypot.h) */
    char honeypot_menu[CONFIG_STR_MAX];    /* the dummy IVR's menu file; "" = flag only */
    char honeypot_webhook[CONFIG_STR_MAX]; /* receives each honeypot call's record; "" = none */
    /* Speaker lifecycle (speaker.h). */
    double speaker_expiry_days; /* no enrolment or successful verification this long: EXPIRED */
    /* Logging. */
    char log_file[CONFIG_STR_MAX]; /* "-" = stderr */
    char log_level[16];
    bool mask_numbers;
} config;

/* True for an address only this machine reaches: 127.0.0.0/8, ::1, localhost. */
bool config_host_is_loopback(const char *host);

/* Fill every field with its default. */
void config_defaults(config *c);

/* Set one setting by name ("listen", "max_streams", ...) from text. Returns 0, or -1 with a
 * message naming the setting in err. */
int config_set(config *c, const char *name, const char *value, char *err, size_t errcap);

/* Apply CALLPRINT_<NAME> environment variables over c. Returns 0 or -1 (err says why). */
int config_load_env(config *c, char *err, size_t errcap);

/* Read a configuration file: `name = value` per line; blank lines and lines starting with
 * '#' are ignored; the value is the rest of the line, trimmed (surrounding double quotes are
 * removed, so "  x " keeps its spaces); a setting may appear once. Returns 0, or -1 with
 * err = "FILE:LINE: <setting>: why". */
int config_load_file(config *c, const char *path, char *err, size_t errcap);

/* Rules between settings, checked after every source: tls_cert and tls_key together (and
 * readable), voiceprint_key a valid key, thr_not_sure <= thr_verified, a twilio_auth_token
 * (or insecure_no_stream_auth) when listening beyond loopback, require_call_token with a
 * call_token_secret. 0, or -1 (err names the setting). */
int config_validate(const config *c, char *err, size_t errcap);

/* Print the effective configuration as `name=value` lines, secrets shown as "(set)". */
void config_describe(const config *c, char *out, size_t cap);

/* The effective configuration as a configuration file (`name = value`), secrets masked. */
void config_print(const config *c, FILE *f);
/* Every setting: environment variable, default and description (for --help). */
void config_print_help(FILE *f);
/* The number of settings, and the i-th setting's name and description (for tests). */
size_t config_count(void);
const char *config_name(size_t i);
const char *config_help(size_t i);

#endif
