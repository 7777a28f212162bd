/* log.h -- structured logging: one JSON object per line.
 *
 * Every line has "ts" (RFC 3339 UTC, milliseconds), "level", "msg", and, for lines about a
 * call, "stream" (the stream uuid) and "session". Extra fields come as key/value string pairs.
 * Lines are written with a single write(2), so threads may log concurrently without
 * interleaving. What must never be logged: secrets, tokens, passwords, audio, voiceprints;
 * caller numbers go through log_mask_number() unless the operator disabled masking.
 *
 * Global state (level, output fd) is deliberate: the logger is process-wide, like syslog.
 */
#ifndef CALLPRINT_LOG_H
#define CALLPRINT_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/* Output to `path` (NULL or "-" = stderr), lines below `min` dropped. Returns 0 or -1. */
int log_open(const char *path, log_level min);
/* Reopen the same path (SIGHUP, after logrotate). */
int log_reopen(void);
void log_close(void);
void log_set_level(log_level min);
void log_set_mask_numbers(bool mask);
bool log_enabled(log_level lvl);
/* Parse "debug" / "info" / "warn" / "error"; -1 if unknown. */
int log_level_parse(const char *name);

/* Log a line. `stream` and `session` may be NULL. `kv` holds n_kv key/value pairs
 * (kv[2i] = key, kv[2i+1] = value; a NULL value is skipped). */
void log_write(log_level lvl, const char *stream, const char *session, const char *const *kv,
               size_t n_kv, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The kv and n_kv arguments of log_write from a list of key/value strings, counted by the
 * compiler (an odd count does not compile):
 *     log_write(LOG_WARN, NULL, NULL, LOG_KV("client", peer, "path", path), "refused");   */
#define LOG_KV(...)                                                                                \
    (const char *const[]){__VA_ARGS__},                                                            \
        (sizeof(char[LOG_KV_COUNT_(__VA_ARGS__) % 2 == 0 ? 1 : -1]) * 0 +                          \
         LOG_KV_COUNT_(__VA_ARGS__) / 2)
/* Internal: how many strings LOG_KV was given (a constant; the list is not evaluated). */
#define LOG_KV_COUNT_(...) (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))

/* Shorthands for lines without extra fields. */
#define log_debug(...) log_write(LOG_DEBUG, NULL, NULL, NULL, 0, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, NULL, NULL, NULL, 0, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, NULL, NULL, NULL, 0, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, NULL, NULL, NULL, 0, __VA_ARGS__)

/* Mask a phone number for logs ("+4479******12"); returns out. Honours log_set_mask_numbers. */
const char *log_mask_number(const char *number, char *out, size_t cap);
/* A request path for logs: every segment (between '/', '?', '&', '=') that looks like a phone
 * number (7 or more digits, optionally with '+', "%2B" and separators) goes through
 * log_mask_number ("/api/v2/directory/+4479******12"). Returns out. */
const char *log_mask_path(const char *path, char *out, size_t cap);

#endif
