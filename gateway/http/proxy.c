/* proxy.c -- trusted reverse proxies and X-Forwarded-For. See proxy.h.
 *
 * Addresses are compared in their 16-byte IPv6 form (IPv4 mapped to ::ffff:0:0/96) so one
 * prefix match serves both families; an IPv4 CIDR's prefix length gets 96 added.
 */
#include "http/proxy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Text address to the 16-byte form; false when it is not an address. */
static bool to16(const char *s, unsigned char out[16], bool *v4)
{
    struct in_addr a4;
    *v4 = false;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        *v4 = true;
        return true;
    }
    return inet_pton(AF_INET6, s, out) == 1;
}

static bool in_net(const proxy_net *n, const unsigned char a[16])
{
    int full = n->bits / 8, rest = n->bits % 8;
    if (memcmp(n->addr, a, (size_t)full) != 0)
        return false;
    if (!rest)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (n->addr[full] & mask) == (a[full] & mask);
}

/* One "addr[/bits]" entry of length len. */
static int parse_net(proxy_net *n, const char *s, size_t len)
{
    char buf[PROXY_ADDR_MAX];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *slash = strchr(buf, '/');
    long bits = -1;
    if (slash) {
        char *end;
        *slash = '\0';
        bits = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || bits < 0)
            return -1;
    }
    bool v4;
    if (!to16(buf, n->addr, &v4) || bits > (v4 ? 32 : 128))
        return -1;
    n->bits = bits < 0 ? 128 : (int)bits + (v4 ? 96 : 0);
    return 0;
}

int proxy_parse(proxy_list *l, const char *text, char *err, size_t errcap)
{
    l->n = 0;
    const char *p = text ? text : "";
    while (*p) {
        size_t skip = strspn(p, ", \t"), len;
        p += skip;
        len = strcspn(p, ", \t");
        if (!len)
            break;
        if (l->n == PROXY_NETS_MAX) {
            snprintf(err, errcap, "more than %d entries", PROXY_NETS_MAX);
            return -1;
        }
        if (parse_net(&l->nets[l->n], p, len) != 0) {
            snprintf(err, errcap, "\"%.*s\" is not an address or CIDR block", (int)(len > 64 ? 64 : len), p);
            return -1;
        }
        l->n++;
        p += len;
    }
    return 0;
}

bool proxy_trusted(const proxy_list *l, const char *addr)
{
    unsigned char a[16];
    bool v4;
    if (!l || !addr || !to16(addr, a, &v4))
        return false;
    for (size_t i = 0; i < l->n; i++)
        if (in_net(&l->nets[i], a))
            return true;
    return false;
}

void proxy_client(const proxy_list *l, const char *peer, const char *xff, char *out, size_t cap)
{
    snprintf(out, cap, "%s", peer ? peer : "unknown");
    if (!xff || !proxy_trusted(l, peer))
        return;
    size_t end = strlen(xff);
    while (end > 0) { /* entries from the right */
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        size_t a = start, b = end;
        while (a < b && (xff[a] == ' ' || xff[a] == '\t'))
            a++;
        while (b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t'))
            b--;
        char addr[PROXY_ADDR_MAX];
        unsigned char bin[16];
        bool v4;
        if (b - a >= sizeof addr)
            return;
        memcpy(addr, xff + a, b - a);
        addr[b - a] = '\0';
        if (!to16(addr, bin, &v4))
            return; /* malformed: keep the last address known good */
        snprintf(out, cap, "%s", addr);
        if (!proxy_trusted(l, addr))
            return;
        end = start > 0 ? start - 1 : 0;
    }
}
