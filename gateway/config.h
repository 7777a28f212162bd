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
