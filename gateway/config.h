/* config.h -- the gateway's settings: one struct, one parse function.
 *
 * Every setting has a default that works on a developer machine (config_defaults) and an
 * environment override named CALLPRINT_<SETTING> (config_load_env). A configuration file
 * (issue 6) will be one more source feeding the same struct through config_set(), which is
 * why parsing goes through a single table of {name, type, offset} entries: a new setting is
 * one line in config.c, and every source validates it the same way, naming the setting in
 * the error. Strings are fixed-size arrays so the struct can be copied and needs no free.
 */
#ifndef CALLPRINT_CONFIG_H
#define CALLPRINT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_STR_MAX 256

typedef struct config {
    /* Network. */
    char listen[CONFIG_STR_MAX];     /* "host:port"; port 0 = ephemeral (tests) */
    char listen_host[CONFIG_STR_MAX];/* derived from listen */
    int listen_port;                 /* derived from listen */
    /* Twilio signature check on the WebSocket upgrade. */
    char twilio_auth_token[CONFIG_STR_MAX]; /* secret: never logged */
    char public_url[CONFIG_STR_MAX];        /* "wss://host"; request path is appended */
    /* Stream limits and timing. */
    int max_streams;          /* concurrent streams in the whole process */
    int max_streams_per_conn; /* streams multiplexed on one WebSocket */
    int stream_timeout_ms;    /* a stream without messages for this long ends (408) */
    int ping_interval_ms;     /* Voice Verify keep-alive ping */
    int outq_max_frames;      /* outbound frames queued per connection */
    int http_body_max;        /* largest HTTP request body accepted, bytes */
    int http_timeout_s;       /* a deferred HTTP reply not sent by then: connection closed */
    /* Biometrics. Thresholds and minimums < 0 = the model's measured defaults. */
    char model[CONFIG_STR_MAX];  /* model file (CALLPRINT_MODEL) */
    char engine[32];             /* engine name, "" = default (ivector) */
    int workers;                 /* biometric threads, 0 = number of cores */
    int worker_queue_len;        /* jobs queued per worker before audio is dropped */
    double min_enroll_speech;    /* seconds of net speech to enrol */
    double min_verify_speech;    /* seconds of net speech to verify */
    double thr_verified;         /* score (0-100) for "verified" */
    double thr_not_sure;         /* score (0-100) for "not_sure" */
    int verify_interval_ms;      /* live verify/enrol cadence and webhook tick (1000) */
    /* Redis: sessions, voiceprints, directory, audit. */
    char redis_url[CONFIG_STR_MAX];      /* redis://[:pw@]host:port/db or unix:///path */
    char redis_prefix[64];
    int session_ttl_s;
    char voiceprint_key[CONFIG_STR_MAX]; /* secret: 32-byte key (hex/base64), "" = clear */
    /* REST API. */
    char admin_password[CONFIG_STR_MAX]; /* secret: initial admin password, "" = API off */
    int token_ttl_s;
    /* Webhooks. */
    int webhook_timeout_ms;
    int webhook_attempts;
    int webhook_queue_max;           /* per subscriber; oldest dropped beyond */
    char webhook_ca_file[CONFIG_STR_MAX]; /* extra CA bundle for HTTPS receivers */
    int max_subscriptions;
    char webhook_secret[CONFIG_STR_MAX]; /* secret: signs zero-integration webhooks, "" = unsigned */
    /* Logging. */
    char log_file[CONFIG_STR_MAX]; /* "-" = stderr */
    char log_level[16];
    bool mask_numbers;
} config;

/* Fill every field with its default. */
void config_defaults(config *c);

/* Set one setting by name ("listen", "max_streams", ...) from text. Returns 0, or -1 with a
 * message naming the setting in err. */
int config_set(config *c, const char *name, const char *value, char *err, size_t errcap);

/* Apply CALLPRINT_<NAME> environment variables over c. Returns 0 or -1 (err says why). */
int config_load_env(config *c, char *err, size_t errcap);

/* Print the effective configuration as JSON lines-friendly text, secrets masked. */
void config_describe(const config *c, char *out, size_t cap);

#endif
