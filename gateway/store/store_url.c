/* store_url.c -- CALLPRINT_REDIS_URL, parsed (see store_redis.h for the accepted forms).
 *
 * redis://[[user]:password@]host[:port][/db][?db=N&password=P&user=U] and
 * unix:///path[?db=N&password=P&user=U]; user, password and path may be percent-encoded
 * (a password with '@' or ':' in it). Every error is a sentence naming what is wrong; no part of
 * the URL (it may hold a password) is ever echoed back.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_redis.h"

static int url_hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Copy [s, s+n) percent-decoded into a new string. */
static char *url_decode(const char *s, size_t n) {
    char *out = malloc(n + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && url_hex(s[i + 1]) >= 0 && url_hex(s[i + 2]) >= 0) {
            *o++ = (char)(url_hex(s[i + 1]) * 16 + url_hex(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

static int url_number(const char *s, size_t n, long lo, long hi, int *out) {
    long v = 0;
    if (n == 0 || n > 6) return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

/* "?db=N&password=P&user=U" */
static const char *url_parse_query(store_url *u, const char *q) {
    while (q && *q) {
        const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
        const char *eq = memchr(q, '=', (size_t)(end - q));
        if (!eq) return "URL query parameters must be name=value";
        size_t kn = (size_t)(eq - q), vn = (size_t)(end - eq - 1);
        if (kn == 2 && strncmp(q, "db", 2) == 0) {
            if (url_number(eq + 1, vn, 0, 100000, &u->db)) return "db must be a number";
        } else if (kn == 8 && strncmp(q, "password", 8) == 0) {
            free(u->password);
            u->password = url_decode(eq + 1, vn);
        } else if (kn == 4 && strncmp(q, "user", 4) == 0) {
            free(u->user);
            u->user = url_decode(eq + 1, vn);
        } else {
            return "unknown URL query parameter (known: db, password, user)";
        }
        q = amp ? amp + 1 : NULL;
    }
    return NULL;
}

/* "[user[:password]@]host[:port]" */
static const char *url_parse_authority(store_url *u, const char *a, size_t n) {
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (a[i] == '@') at = a + i;
    if (at) {
        const char *colon = memchr(a, ':', (size_t)(at - a));
        if (!colon) return "URL credentials must be [user]:password@";
        if (colon > a) u->user = url_decode(a, (size_t)(colon - a));
        u->password = url_decode(colon + 1, (size_t)(at - colon - 1));
        n -= (size_t)(at + 1 - a);
        a = at + 1;
    }
    const char *host = a, *port = NULL;
    size_t hn = n;
    if (n && a[0] == '[') { /* [v6]:port */
        const char *close = memchr(a, ']', n);
        if (!close) return "unterminated [ in URL host";
        host = a + 1, hn = (size_t)(close - a - 1);
        if (close + 1 < a + n) {
            if (close[1] != ':') return "junk after ] in URL host";
            port = close + 2;
        }
    } else {
        const char *colon = memchr(a, ':', n);
        if (colon) hn = (size_t)(colon - a), port = colon + 1;
    }
    if (hn == 0) return "URL has no host";
    u->port = 6379;
    if (port && url_number(port, (size_t)(a + n - port), 1, 65535, &u->port))
        return "port must be a number from 1 to 65535";
    if (!(u->host = url_decode(host, hn))) return "out of memory";
    return NULL;
}

const char *store_url_parse(const char *url, store_url *u) {
    memset(u, 0, sizeof *u);
    const char *q = strchr(url, '?');
    size_t n = q ? (size_t)(q - url) : strlen(url);
    if (strncmp(url, "unix://", 7) == 0 || strncmp(url, "unix:/", 6) == 0) {
        const char *p = url + (url[5] == '/' && url[6] == '/' ? 7 : 5);
        if (p >= url + n || *p != '/') return "unix URL needs an absolute path (unix:///path)";
        u->path = url_decode(p, (size_t)(url + n - p));
    } else if (strncmp(url, "redis://", 8) == 0) {
        const char *a = url + 8, *slash = memchr(a, '/', (size_t)(url + n - a));
        const char *why = url_parse_authority(u, a, slash ? (size_t)(slash - a) : (size_t)(url + n - a));
        if (why) return why;
        if (slash && slash + 1 < url + n &&
            url_number(slash + 1, (size_t)(url + n - slash - 1), 0, 100000, &u->db))
            return "the path of a redis:// URL is the database number";
    } else if (strncmp(url, "rediss://", 9) == 0) {
        return "rediss:// (TLS) is not supported by hiredis 0.14; use a TLS tunnel";
    } else {
        return "URL must start with redis:// or unix://";
    }
    return q ? url_parse_query(u, q + 1) : NULL;
}

void store_url_free(store_url *u) {
    free(u->host), free(u->path), free(u->user);
    if (u->password) memset(u->password, 0, strlen(u->password));
    free(u->password);
    memset(u, 0, sizeof *u);
}
