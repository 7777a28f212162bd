/* log.c -- JSON-lines logger. See log.h for the contract.
 *
 * A line is formatted into a stack buffer and written with one write(2); lines longer than
 * the buffer are truncated (the message is cut, the JSON stays valid). The output fd and
 * level are atomics so that the loop thread and workers can log without a lock; reopening
 * swaps the fd under a mutex that only log_reopen/log_open take.
 */
#include "common/log.h"
#include "common/time.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static atomic_int log_fd = 2;
static atomic_int log_min = LOG_INFO;
static atomic_bool log_mask = true;
static char log_path[1024];
static pthread_mutex_t log_reopen_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

static int open_path(const char *path)
{
    if (!path || !*path || strcmp(path, "-") == 0)
        return 2;
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int log_open(const char *path, log_level min)
{
    pthread_mutex_lock(&log_reopen_lock);
    int fd = open_path(path);
    if (fd >= 0) {
        snprintf(log_path, sizeof log_path, "%s", path ? path : "-");
        int old = atomic_exchange(&log_fd, fd);
        if (old > 2)
            close(old);
        atomic_store(&log_min, min);
    }
    pthread_mutex_unlock(&log_reopen_lock);
    return fd >= 0 ? 0 : -1;
}

int log_reopen(void)
{
    if (strcmp(log_path, "-") == 0 || log_path[0] == '\0')
        return 0;
    return log_open(log_path, atomic_load(&log_min));
}

void log_close(void)
{
    int old = atomic_exchange(&log_fd, 2);
    if (old > 2)
        close(old);
}

void log_set_level(log_level min)
{
    atomic_store(&log_min, min);
}

void log_set_mask_numbers(bool mask)
{
    atomic_store(&log_mask, mask);
}

bool log_enabled(log_level lvl)
{
    return (int)lvl >= atomic_load(&log_min);
}

int log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && strcasecmp(name, level_names[i]) == 0)
            return i;
    if (name && strcasecmp(name, "warning") == 0)
        return LOG_WARN;
    return -1;
}

/* Length of the valid UTF-8 sequence starting at s (1-4), or 0 if it is not one (overlong,
 * surrogate, above U+10FFFF, truncated). */
static size_t utf8_seq(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (n == 0 || s[0] > 0xf4)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    return n;
}

/* Append s to buf as a JSON string body (without quotes), escaping as needed. Bytes that
 * are not UTF-8 (a header or URL from the network) become U+FFFD, so every line stays valid
 * JSON. Returns the new length, never past cap - 1. */
static size_t append_escaped(char *buf, size_t len, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    while (*s && len + 7 < cap) {
        unsigned char c = (unsigned char)*s;
        size_t n = utf8_seq((const unsigned char *)s);
        if (c == '"' || c == '\\') {
            buf[len++] = '\\';
            buf[len++] = (char)c;
        } else if (c == '\n') {
            buf[len++] = '\\';
            buf[len++] = 'n';
        } else if (c < 0x20 || c == 0x7f) {
            len += (size_t)snprintf(buf + len, cap - len, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
        } else if (n == 0) {
            len += (size_t)snprintf(buf + len, cap - len, "\\ufffd");
            s++;
            continue;
        } else {
            memcpy(buf + len, s, n);
            len += n;
            s += n;
            continue;
        }
        s++;
    }
    buf[len] = '\0';
    return len;
}

static size_t append_raw(char *buf, size_t len, size_t cap, const char *s)
{
    while (*s && len + 1 < cap)
        buf[len++] = *s++;
    buf[len] = '\0';
    return len;
}

static size_t append_field(char *buf, size_t len, size_t cap, const char *key, const char *value)
{
    len = append_raw(buf, len, cap, ",\"");
    len = append_escaped(buf, len, cap, key);
    len = append_raw(buf, len, cap, "\":\"");
    len = append_escaped(buf, len, cap, value);
    return append_raw(buf, len, cap, "\"");
}

void log_write(log_level lvl, const char *stream, const char *session, const char *const *kv,
               size_t n_kv, const char *fmt, ...)
{
    if (!log_enabled(lvl))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    char ts[TIME_RFC3339_MAX];
    time_rfc3339(time_now_ms(), ts);
    char line[LOG_LINE_MAX];
    size_t len = (size_t)snprintf(line, sizeof line, "{\"ts\":\"%s\",\"level\":\"%s\"", ts,
                                  level_names[lvl & 3]);
    /* Leave room for the closing "}\n" whatever the fields hold. */
    size_t cap = sizeof line - 3;
    if (stream)
        len = append_field(line, len, cap, "stream", stream);
    if (session)
        len = append_field(line, len, cap, "session", session);
    for (size_t i = 0; kv && i + 1 < n_kv * 2; i += 2)
        if (kv[i] && kv[i + 1])
            len = append_field(line, len, cap, kv[i], kv[i + 1]);
    len = append_field(line, len, cap, "msg", msg);
    line[len++] = '}';
    line[len++] = '\n';

    ssize_t w;
    do {
        w = write(atomic_load(&log_fd), line, len);
    } while (w < 0 && errno == EINTR);
}

const char *log_mask_number(const char *number, char *out, size_t cap)
{
    if (!cap)
        return out;
    if (!number) {
        snprintf(out, cap, "NA");
        return out;
    }
    size_t n = strlen(number);
    if (!atomic_load(&log_mask) || n <= 6) {
        /* Short values are not phone numbers worth hiding, but mask all digits anyway when
         * masking is on: "1234" says nothing useful in a log. */
        snprintf(out, cap, "%s", atomic_load(&log_mask) ? "***" : number);
        return out;
    }
    size_t i = 0;
    for (; i < n && i + 1 < cap; i++)
        out[i] = (i < 5 || i >= n - 2) ? number[i] : '*';
    out[i] = '\0';
    return out;
}

/* Whether s[0..n) is a phone number as a path carries it: digits with "+", "%2B" or the
 * usual separators ("-", ".", "(", ")", "%20"), at least 7 digits. */
static bool looks_like_number(const char *s, size_t n)
{
    size_t digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] == '%' && i + 2 < n && s[i + 1] == '2' &&
                 (s[i + 2] == 'B' || s[i + 2] == 'b' || s[i + 2] == '0'))
            i += 2;
        else if (!strchr("+-.() ", s[i]))
            return false;
    }
    return digits >= 7;
}

const char *log_mask_path(const char *path, char *out, size_t cap)
{
    if (!cap)
        return out;
    size_t o = 0;
    out[0] = '\0';
    for (const char *p = path ? path : ""; *p && o + 1 < cap;) {
        size_t n = strcspn(p, "/?&=");
        if (n == 0) {
            out[o++] = *p++;
            continue;
        }
        char seg[128], masked[128];
        if (looks_like_number(p, n) && n < sizeof seg) {
            memcpy(seg, p, n);
            seg[n] = '\0';
            log_mask_number(seg, masked, sizeof masked);
        } else {
            snprintf(masked, sizeof masked, "%.*s", (int)(n < 127 ? n : 127), p);
            if (n >= sizeof masked) /* a long segment is shortened, not a number anyway */
                masked[sizeof masked - 2] = '~';
        }
        int w = snprintf(out + o, cap - o, "%s", masked);
        o = w < 0 ? o : (size_t)w >= cap - o ? cap - 1 : o + (size_t)w;
        p += n;
    }
    out[o] = '\0';
    return out;
}
