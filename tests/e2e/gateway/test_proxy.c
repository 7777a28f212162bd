/* test_proxy.c -- trusted proxies and X-Forwarded-For (gateway/http/proxy.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "http/proxy.h"

static proxy_list list_of(const char *text)
{
    proxy_list l;
    char err[128];
    cr_assert_eq(proxy_parse(&l, text, err, sizeof err), 0, "%s", err);
    return l;
}

Test(proxy, parses_addresses_and_cidrs_of_both_families)
{
    proxy_list l = list_of("127.0.0.1, 10.0.0.0/8 fd00::/8,::1");
    cr_assert_eq(l.n, 4);
    cr_assert(proxy_trusted(&l, "127.0.0.1"));
    cr_assert_not(proxy_trusted(&l, "127.0.0.2"));
    cr_assert(proxy_trusted(&l, "10.200.3.4"));
    cr_assert_not(proxy_trusted(&l, "11.0.0.1"));
    cr_assert(proxy_trusted(&l, "fd12:3456::1"));
    cr_assert(proxy_trusted(&l, "::1"));
    cr_assert_not(proxy_trusted(&l, "2001:db8::1"));
    cr_assert_not(proxy_trusted(&l, "not an address"));
    l = list_of("192.168.1.0/23");
    cr_assert(proxy_trusted(&l, "192.168.0.77"));
    cr_assert_not(proxy_trusted(&l, "192.168.2.1"));
    l = list_of("");
    cr_assert_eq(l.n, 0);
    char err[128];
    const char *bad[] = {"10.0.0.0/33", "::/129", "1.2.3", "10.0.0.0/", "10.0.0.0/-1", "host"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(proxy_parse(&l, bad[i], err, sizeof err), -1, "%s", bad[i]);
    cr_assert(strstr(err, "host"), "%s", err);
}

Test(proxy, client_is_the_rightmost_untrusted_entry_from_a_trusted_peer)
{
    proxy_list l = list_of("127.0.0.1, 10.0.0.0/8");
    static const struct {
        const char *peer, *xff, *client;
    } cases[] = {
        {"127.0.0.1", "203.0.113.9", "203.0.113.9"},
        /* the client may prepend anything: only what trusted proxies appended counts */
        {"127.0.0.1", "1.1.1.1, 203.0.113.9, 10.1.2.3", "203.0.113.9"},
        /* an untrusted peer's header is ignored */
        {"198.51.100.7", "203.0.113.9", "198.51.100.7"},
        /* a malformed entry stops the walk at the last good address */
        {"127.0.0.1", "203.0.113.9, garbage", "127.0.0.1"},
        {"127.0.0.1", "garbage,  2001:db8::5 ", "2001:db8::5"},
        /* only trusted proxies in the chain: the leftmost of them */
        {"127.0.0.1", "10.0.0.1,10.0.0.2", "10.0.0.1"},
        {"127.0.0.1", "", "127.0.0.1"},
        {"127.0.0.1", NULL, "127.0.0.1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[PROXY_ADDR_MAX];
        proxy_client(&l, cases[i].peer, cases[i].xff, out, sizeof out);
        cr_assert_str_eq(out, cases[i].client, "case %zu", i);
    }
}
