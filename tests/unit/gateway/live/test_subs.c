/* test_subs.c -- the subscription table (gateway/live/subs.h): bounds, duplicates, lookups by
 * channel and id, removal at stream end, URL validation, and secrets kept out of listings. */
#include <criterion/criterion.h>
#include <string.h>

#include "live/subs.h"

Test(subs, add_find_duplicate_and_bound)
{
    subs *t = subs_new(3);
    sub *a, *b, *c, *d;
    cr_assert_eq(subs_add(t, SUB_VERIFY, "uuid-1", "cust", "http://h/a", NULL, false, 1, &a),
                 SUBS_OK);
    cr_expect_eq(strlen(a->secret), 64, "generated: 32 bytes in hex");
    cr_expect_eq(strlen(a->id), 36);
    cr_assert_eq(subs_add(t, SUB_VERIFY, "uuid-1", "cust", "http://h/a", "x", false, 1, &b),
                 SUBS_DUPLICATE);
    cr_expect_eq(b, a, "the duplicate is the existing one");
    cr_assert_eq(subs_add(t, SUB_ENROLL, "uuid-1", "cust", "http://h/a", "given-secret-0123",
                          true, 2, &b),
                 SUBS_OK);
    cr_expect_str_eq(b->secret, "given-secret-0123");
    cr_assert_eq(subs_add(t, SUB_STREAMS, "src", NULL, "https://h/s", "", false, 3, &c), SUBS_OK);
    cr_expect_str_eq(c->secret, "", "empty secret: unsigned");
    cr_expect_eq(subs_add(t, SUB_STREAMS, "src2", NULL, "https://h/s", NULL, false, 4, &d),
                 SUBS_FULL);
    cr_expect_eq(subs_count(t), 3);
    size_t n = 0;
    for (sub *x = subs_channel_first(t, "uuid-1"); x; x = subs_channel_next(x))
        n++;
    cr_expect_eq(n, 2);
    cr_expect_null(subs_channel_first(t, "uuid-2"));
    cr_expect_eq(subs_by_id(t, c->id), c);
    cr_expect_null(subs_by_id(t, "nope"));
    subs_free(t);
}

Test(subs, removal_by_match_and_at_stream_end)
{
    subs *t = subs_new(100);
    sub *x;
    subs_add(t, SUB_VERIFY, "s1", "a", "http://h/1", NULL, false, 0, &x);
    subs_add(t, SUB_VERIFY, "s1", "a", "http://h/2", NULL, false, 0, &x);
    subs_add(t, SUB_ENROLL, "s1", "a", "http://h/1", NULL, false, 0, &x);
    subs_add(t, SUB_STREAMS, "s1", NULL, "http://h/1", NULL, false, 0, &x); /* source == uuid */
    subs_add(t, SUB_VERIFY, "s2", "a", "http://h/1", NULL, false, 0, &x);
    cr_expect_eq(subs_remove_match(t, SUB_VERIFY, "s1", "a", "http://h/2"), 1);
    cr_expect_eq(subs_remove_match(t, SUB_VERIFY, "s1", "b", NULL), 0);
    cr_expect_eq(subs_remove_channel_jobs(t, "s1"), 2, "verify + enroll of s1");
    cr_expect_eq(subs_count(t), 2, "the streams subscription and s2's stay");
    cr_expect_eq(subs_remove_match(t, SUB_VERIFY, "s2", "a", NULL), 1, "any URL");
    subs_remove(t, subs_first(t));
    cr_expect_eq(subs_count(t), 0);
    cr_expect_null(subs_first(t));
    subs_free(t);
}

Test(subs, urls)
{
    cr_expect_null(subs_check_url("http://127.0.0.1:8080/hook?x=1"));
    cr_expect_null(subs_check_url("https://crm.example.com/callprint"));
    const char *bad[] = {"", "ftp://h/x", "http://", "no url", "file:///etc/passwd",
                         "https://u:p@h/x", "http://h/a b", "javascript:alert(1)", "//h/x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect_not_null(subs_check_url(bad[i]), "\"%s\" accepted", bad[i]);
    char longurl[2100] = "http://h/";
    memset(longurl + 9, 'a', 2060);
    longurl[2069] = '\0';
    cr_expect_not_null(subs_check_url(longurl));
    cr_expect_eq(subs_type_parse("streams"), SUB_STREAMS);
    cr_expect_eq(subs_type_parse("verify"), SUB_VERIFY);
    cr_expect_eq(subs_type_parse("stream"), -1);
}

Test(subs, json_never_shows_the_secret)
{
    subs *t = subs_new(4);
    sub *x;
    subs_add(t, SUB_ENROLL, "uuid", "cust", "http://h/a", "top-secret-value-42", false, 7, &x);
    cJSON *o = subs_to_json(x);
    char *s = cJSON_PrintUnformatted(o);
    cr_expect_null(strstr(s, "top-secret-value-42"));
    cr_expect_not_null(strstr(s, "\"external_id\":\"cust\""));
    cr_expect_not_null(strstr(s, "\"signed\":true"));
    free(s);
    cJSON_Delete(o);
    subs_free(t);
}
