/* json_writer.h -- the append-only JSON text writer of the message builders (twilio_build.c,
 * voiceverify.c). Internal to protocol/.
 *
 * It writes straight into the caller's buffer and records overflow instead of failing at
 * each call: a builder appends everything, then jw_end returns the length or -1 if anything
 * did not fit. Strings are JSON-escaped ('"', '\\', control characters; UTF-8 passes through
 * unchanged). Header-only (static inline) so the per-frame builders keep their inlining.
 */
#ifndef CALLPRINT_JSON_WRITER_H
#define CALLPRINT_JSON_WRITER_H

#include "base64.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t cap, len;
    bool overflow;
} jw;

static inline void jw_raw(jw *w, const char *s, size_t n)
{
    if (w->overflow || w->len + n >= w->cap) {
        w->overflow = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static inline void jw_lit(jw *w, const char *s)
{
    jw_raw(w, s, strlen(s));
}

/* A JSON string literal, quotes included; NULL writes "". */
static inline void jw_str(jw *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    jw_raw(w, "\"", 1);
    for (const char *p = s ? s : ""; *p; p++) {
        /* Runs of bytes that need no escape go in one copy (ids are all of them). */
        size_t run = 0;
        while (p[run] && p[run] != '"' && p[run] != '\\' && (unsigned char)p[run] >= 0x20)
            run++;
        if (run) {
            jw_raw(w, p, run);
            p += run - 1;
            continue;
        }
        unsigned char ch = (unsigned char)*p;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (ch) {
        case '"':
        case '\\':
            esc[1] = (char)ch;
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default: /* a control character */
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[ch >> 4];
            esc[5] = hex[ch & 15];
            n = 6;
        }
        jw_raw(w, esc, n);
    }
    jw_raw(w, "\"", 1);
}

/* ,"key": -- every member after the first. */
static inline void jw_key(jw *w, const char *key)
{
    jw_raw(w, ",", 1);
    jw_str(w, key);
    jw_raw(w, ":", 1);
}

static inline void jw_int(jw *w, int64_t v)
{
    char num[24];
    jw_raw(w, num, (size_t)snprintf(num, sizeof(num), "%" PRId64, v));
}

/* Twilio's counters travel as strings of decimal digits. */
static inline void jw_counter(jw *w, uint64_t v)
{
    char num[24];
    jw_raw(w, "\"", 1);
    jw_raw(w, num, (size_t)snprintf(num, sizeof(num), "%" PRIu64, v));
    jw_raw(w, "\"", 1);
}

/* Base64 of `n` bytes encoded in place, quotes included. */
static inline void jw_b64(jw *w, const uint8_t *data, size_t n)
{
    size_t need = B64_ENCODED_LEN(n);
    jw_raw(w, "\"", 1);
    if (w->overflow || w->len + need + 1 >= w->cap) {
        w->overflow = true;
        return;
    }
    w->len += b64_encode(data, n, w->buf + w->len, w->cap - w->len);
    jw_raw(w, "\"", 1);
}

/* Start an object with its "event" member. */
static inline jw jw_begin(char *buf, size_t cap, const char *event)
{
    jw w = {buf, cap, 0, buf == NULL || cap == 0};
    jw_lit(&w, "{\"event\":");
    jw_str(&w, event);
    return w;
}

static inline int jw_end(jw *w)
{
    jw_raw(w, "}", 1);
    return w->overflow ? -1 : (int)w->len;
}

#endif
