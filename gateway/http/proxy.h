/* proxy.h -- which address a request comes from, behind trusted reverse proxies.
 *
 * Behind a reverse proxy every request arrives from the proxy's address, so rate limits and
 * audit records keyed on the TCP peer would lump every client together (and one attacker
 * would lock everyone out). The proxy says who its client was in X-Forwarded-For; only a
 * proxy the operator trusts may say so, or any client could claim any address.
 *
 * A trust list is a comma- or space-separated list of addresses and CIDR blocks, IPv4 or IPv6
 * ("127.0.0.1, 10.0.0.0/8, fd00::/8"). proxy_client walks X-Forwarded-For from the right
 * (the entry the nearest proxy appended) and skips addresses of trusted proxies: the first
 * untrusted one is the client. The TCP peer itself must be trusted for the header to count;
 * a malformed entry stops the walk at the last address known good. Pure: no I/O.
 */
#ifndef CALLPRINT_PROXY_H
#define CALLPRINT_PROXY_H

#include <stdbool.h>
#include <stddef.h>

#define PROXY_NETS_MAX 32
#define PROXY_ADDR_MAX 64

typedef struct {
    unsigned char addr[16]; /* IPv4 as ::ffff:a.b.c.d */
    int bits;               /* prefix length over the 128-bit form */
} proxy_net;

typedef struct {
    proxy_net nets[PROXY_NETS_MAX];
    size_t n;
} proxy_list;

/* Parse a trust list; 0, or -1 with err naming the bad entry. "" is an empty list. */
int proxy_parse(proxy_list *l, const char *text, char *err, size_t errcap);
/* Is addr (text) in the list? */
bool proxy_trusted(const proxy_list *l, const char *addr);
/* The client's address into out: peer when it is not trusted or xff is NULL, else the
 * rightmost untrusted X-Forwarded-For entry (see above). */
void proxy_client(const proxy_list *l, const char *peer, const char *xff, char *out, size_t cap);

#endif
