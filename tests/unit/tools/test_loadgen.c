/* test_loadgen.c -- the load generator's pure parts and its two small servers/readers.
 *
 * Pure: the latency histogram (bucket geometry, percentiles against a sorted array, diff of
 * two snapshots, JSON round trip), /proc parsing on fixed texts (a command name with spaces
 * and parentheses, VmRSS, /proc/net/tcp), the pacing schedule (start offsets, the window,
 * looped audio), WebSocket framing (masking round trip), the webhook receiver's request
 * parser and X-Callprint-Sent-At. Real: the webhook receiver on a loop answering a real
 * libcurl POST (http_client.h), /proc of this very process (CPU grows when we burn it, the
 * listener of a port we bind is found to be us).
 */
#include <criterion/criterion.h>

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "http/http_client.h"
#include "common/lathist.h"
#include "tools/loadgen.h"
#include "tools/loadgen_hook.h"
#include "tools/loadgen_proc.h"
#include "tools/loadgen_ws.h"

static lathist *hist_new(void)
{
    lathist *h = malloc(sizeof *h);
    cr_assert(h);
    lathist_init(h);
    return h;
}

Test(lathist, buckets_cover_every_value_with_bounded_width)
{
    uint64_t vals[] = {0, 1, 31, 32, 33, 47, 48, 63, 64, 100, 1000, 19999, 20000, 123456789,
                       (1ull << 39) + 5, (1ull << 45)};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        size_t b = lathist_index(vals[i]);
        cr_assert_lt(b, LATHIST_BUCKETS);
        cr_assert_geq(vals[i], lathist_bucket_low(b), "value %llu", (unsigned long long)vals[i]);
        cr_assert_leq(vals[i], lathist_bucket_high(b), "value %llu", (unsigned long long)vals[i]);
        if (vals[i] < (1ull << 39)) /* relative width at most 1/16 */
            cr_assert_leq((lathist_bucket_high(b) - lathist_bucket_low(b)) * 16,
                          lathist_bucket_low(b) > 0 ? lathist_bucket_low(b) : 16);
    }
    for (size_t b = 1; b < LATHIST_BUCKETS; b++) /* contiguous, in order */
        cr_assert_eq(lathist_bucket_low(b), lathist_bucket_high(b - 1) + 1, "bucket %zu", b);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

Test(lathist, percentiles_match_the_sorted_samples_within_a_bucket)
{
    lathist *h = hist_new();
    enum { N = 10000 };
    static uint64_t v[N];
    uint32_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        v[i] = (x >> 8) % 50000 + (i % 100 == 0 ? 200000 : 0); /* a 1 % tail */
        lathist_add(h, v[i]);
    }
    qsort(v, N, sizeof v[0], cmp_u64);
    double ps[] = {50, 90, 99, 99.9, 100};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        uint64_t exact = v[(size_t)((ps[i] / 100.0) * N + 0.999999) - 1];
        uint64_t got = lathist_percentile(h, ps[i]);
        cr_assert_geq(got, exact, "p%.1f: %llu < exact %llu", ps[i], (unsigned long long)got,
                      (unsigned long long)exact);
        cr_assert_leq(got, exact + exact / 16 + 1, "p%.1f: %llu vs exact %llu", ps[i],
                      (unsigned long long)got, (unsigned long long)exact);
    }
    cr_assert_eq(lathist_max(h), v[N - 1]);
    cr_assert_eq(lathist_count(h), N);
    cr_assert_eq(lathist_percentile(h, 100), v[N - 1]);
    free(h);
}

Test(lathist, empty_and_single)
{
    lathist *h = hist_new();
    cr_assert_eq(lathist_percentile(h, 99), 0);
    cr_assert_eq(lathist_mean(h), 0.0);
    lathist_add(h, 777);
    cr_assert_eq(lathist_percentile(h, 1), 777);
    cr_assert_eq(lathist_percentile(h, 99), 777);
    cr_assert_eq(lathist_mean(h), 777.0);
    free(h);
}

Test(lathist, diff_of_snapshots_holds_only_the_window)
{
    lathist *h = hist_new(), *before = hist_new(), *after = hist_new(), *d = hist_new();
    for (int i = 0; i < 1000; i++)
        lathist_add(h, 100000); /* before the window: 100 ms */
    lathist_merge(before, h);
    for (int i = 0; i < 500; i++)
        lathist_add(h, 1000); /* in the window: 1 ms */
    lathist_merge(after, h);
    lathist_diff(d, after, before);
    cr_assert_eq(lathist_count(d), 500);
    cr_assert_leq(lathist_percentile(d, 99), 1000 + 1000 / 16);
    cr_assert_geq(lathist_percentile(d, 99), 1000);
    cr_assert_lt(lathist_max(d), 2000, "the max is bounded by the window's top bucket");
    cr_assert_eq(lathist_mean(d), 1000.0);
    free(h), free(before), free(after), free(d);
}

Test(lathist, json_round_trip_and_malformed)
{
    lathist *h = hist_new(), *back = hist_new();
    for (uint64_t v = 1; v < 5000000; v = v * 3 + 1)
        lathist_add(h, v);
    char buf[32768];
    int n = lathist_to_json(h, buf, sizeof buf);
    cr_assert_gt(n, 0);
    cr_assert_eq(lathist_to_json(h, buf, 40), -1, "too small a buffer is refused");
    n = lathist_to_json(h, buf, sizeof buf);
    cJSON *j = cJSON_Parse(buf);
    cr_assert_eq(lathist_from_json(back, j), 0);
    cr_assert_eq(lathist_count(back), lathist_count(h));
    cr_assert_eq(lathist_percentile(back, 50), lathist_percentile(h, 50));
    cr_assert_eq(lathist_max(back), lathist_max(h));
    cJSON_Delete(j);
    const char *bad[] = {"{}", "{\"count\":1,\"sum_us\":1,\"max_us\":1,\"buckets\":[[99999,1]]}",
                         "{\"count\":1,\"sum_us\":1,\"max_us\":1,\"buckets\":[[1]]}",
                         "{\"count\":-1,\"sum_us\":1,\"max_us\":1,\"buckets\":[]}", "[]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = cJSON_Parse(bad[i]);
        cr_assert_eq(lathist_from_json(back, j), -1, "%s", bad[i]);
        cJSON_Delete(j);
    }
    cr_assert_eq(lathist_from_json(back, NULL), -1);
    free(h), free(back);
}

Test(proc, stat_with_a_hostile_command_name)
{
    const char *t = "4242 (call (print) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 "
                    "1500 250 0 0 20 0 3 0 123 456789 1024 18446744073709551615\n";
    uint64_t ticks = 0;
    cr_assert_eq(lgproc_parse_stat(t, &ticks), 0);
    cr_assert_eq(ticks, 1750);
    cr_assert_eq(lgproc_parse_stat("4242 (x) S 1 2", &ticks), -1, "truncated");
    cr_assert_eq(lgproc_parse_stat("no parenthesis", &ticks), -1);
    cr_assert_eq(lgproc_parse_stat(NULL, &ticks), -1);
    cr_assert_eq(lgproc_parse_stat("1 (x) S 1 2 3 4 5 6 7 8 9 10 abc 3 4", &ticks), -1);
}

Test(proc, status_rss)
{
    uint64_t kb = 0;
    cr_assert_eq(lgproc_parse_rss("Name:\tcallprint\nVmPeak:\t  9 kB\nVmRSS:\t   20480 kB\n", &kb),
                 0);
    cr_assert_eq(kb, 20480);
    cr_assert_eq(lgproc_parse_rss("Name:\tx\nVmSize:\t1 kB\n", &kb), -1);
    cr_assert_eq(lgproc_parse_rss("VmRSS:\tlots\n", &kb), -1);
}

Test(proc, listening_socket_inode_from_net_tcp)
{
    const char *t =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
        "timeout inode\n"
        "   0: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0 "
        "       0 111 1 0000000000000000 20 4 30 10 -1\n"
        "   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0 "
        "       0 222 1 0000000000000000 100 0 0 10 0\n";
    uint64_t ino = 0;
    cr_assert_eq(lgproc_parse_listen_inode(t, 8080, &ino), 0);
    cr_assert_eq(ino, 222, "the LISTEN line, not the established one");
    cr_assert_eq(lgproc_parse_listen_inode(t, 8081, &ino), -1);
    cr_assert_eq(lgproc_parse_listen_inode("header only\n", 8080, &ino), -1);
}

Test(proc, this_process_cpu_rss_and_listener)
{
    lgproc_sample a, b;
    cr_assert_eq(lgproc_read(getpid(), &a), 0);
    cr_assert_gt(a.rss_kb, 0);
    volatile double x = 0;
    double t0 = lgproc_self_cpu();
    while (lgproc_self_cpu() - t0 < 0.05)
        for (int i = 0; i < 100000; i++)
            x += i * 0.5;
    cr_assert_eq(lgproc_read(getpid(), &b), 0);
    cr_assert_gt(b.cpu_seconds, a.cpu_seconds - 1e-9);
    cr_assert_geq(b.cpu_seconds - a.cpu_seconds, 0.01, "burnt 50 ms, /proc saw %.3f s",
                  b.cpu_seconds - a.cpu_seconds);
    cr_assert_eq(lgproc_read(999999999, &b), -1);

    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_tcp_t srv;
    uv_tcp_init(&loop, &srv);
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    cr_assert_eq(uv_tcp_bind(&srv, (const struct sockaddr *)&addr, 0), 0);
    cr_assert_eq(uv_listen((uv_stream_t *)&srv, 8, NULL), 0);
    struct sockaddr_in bound;
    int len = sizeof bound;
    uv_tcp_getsockname(&srv, (struct sockaddr *)&bound, &len);
    cr_assert_eq(lgproc_find_listener(ntohs(bound.sin_port)), getpid());
    uv_close((uv_handle_t *)&srv, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&loop), 0);
}

Test(schedule, start_offsets_window_and_looped_audio)
{
    cr_assert_eq(loadgen_start_offset_ns(0, 1000, 2000), 0);
    cr_assert_eq(loadgen_start_offset_ns(500, 1000, 2000), 1000000000ull);
    cr_assert_eq(loadgen_start_offset_ns(999, 1000, 2000), 1998000000ull);
    cr_assert_eq(loadgen_start_offset_ns(5, 10, 0), 0, "no ramp: all at once");
    for (int i = 1; i < 100; i++) /* monotonic */
        cr_assert_geq(loadgen_start_offset_ns(i, 100, 777), loadgen_start_offset_ns(i - 1, 100, 777));
    uint64_t from, to;
    cr_assert_eq(loadgen_window(2000, 10000, &from, &to), 0);
    cr_assert_eq(from, 3000000000ull, "ramp + a settling second");
    cr_assert_eq(to, 9700000000ull, "just before the first stream's last frame");
    cr_assert_eq(loadgen_window(2000, 3000, &from, &to), -1, "no steady window");
    int16_t pcm[3] = {1, 2, 3};
    size_t n = 0;
    int16_t *l = loadgen_loop_pcm(pcm, 3, 1, &n);
    cr_assert_eq(n, 8, "1 ms at 8 kHz");
    int16_t want[8] = {1, 2, 3, 1, 2, 3, 1, 2};
    cr_assert_arr_eq(l, want, sizeof want);
    free(l);
    cr_assert_null(loadgen_loop_pcm(pcm, 0, 10, &n));
    cr_assert_null(loadgen_loop_pcm(pcm, 3, 0, &n));
}

Test(ws, frames_are_masked_and_parse_back)
{
    uint8_t out[70000];
    const char *msg = "{\"event\":\"media\"}";
    size_t n = lgws_frame(out, sizeof out, 1, msg, strlen(msg), 0x11223344u);
    cr_assert_eq(n, 2 + 4 + strlen(msg));
    cr_assert_eq(out[0], 0x81);
    cr_assert_eq(out[1], 0x80 | strlen(msg), "client frames carry the mask bit");
    for (size_t i = 0; i < strlen(msg); i++) /* unmask */
        cr_assert_eq(out[6 + i] ^ out[2 + (i & 3)], (uint8_t)msg[i]);
    static char big[70000];
    memset(big, 'a', sizeof big);
    cr_assert_eq(lgws_frame(out, sizeof out, 1, big, 300, 1), 4 + 4 + 300, "16-bit length");
    cr_assert_eq(lgws_frame(out, 100, 1, big, 300, 1), 0, "does not fit");
    cr_assert_eq(lgws_frame(out, sizeof out, 1, big, 66000, 1), 10 + 4 + 66000, "64-bit length");

    /* server frames: unmasked */
    uint8_t close[] = {0x88, 0x02, 0x03, 0xe8};
    int op;
    const uint8_t *p;
    size_t pl;
    cr_assert_eq(lgws_parse(close, sizeof close, &op, &p, &pl), 4);
    cr_assert_eq(op, 8);
    cr_assert_eq(pl, 2);
    cr_assert_eq(p[0] << 8 | p[1], 1000);
    cr_assert_eq(lgws_parse(close, 3, &op, &p, &pl), 0, "incomplete");
    uint8_t masked[] = {0x81, 0x81, 0, 0, 0, 0, 'x'};
    cr_assert_eq(lgws_parse(masked, sizeof masked, &op, &p, &pl), -1, "a masked server frame");
    uint8_t mid[4 + 200] = {0x81, 126, 0, 200};
    cr_assert_eq(lgws_parse(mid, sizeof mid, &op, &p, &pl), 204);
    cr_assert_eq(pl, 200);
}

Test(hook, request_parser_and_sent_at)
{
    char path[64], sent[64];
    size_t body = 0;
    const char *req = "POST /s/17 HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\n"
                      "X-Callprint-Sent-At: 1763700000.250000\r\n\r\nhelloPOST";
    long n = lg_hook_parse(req, strlen(req), path, sizeof path, sent, sizeof sent, &body);
    cr_assert_eq(n, (long)strlen(req) - 4, "one request, the next one's bytes left");
    cr_assert_str_eq(path, "/s/17");
    cr_assert_str_eq(sent, "1763700000.250000");
    cr_assert_eq(strncmp(req + body, "hello", 5), 0);
    cr_assert_eq(lg_hook_parse(req, 30, path, sizeof path, sent, sizeof sent, &body), 0,
                 "headers incomplete");
    cr_assert_eq(lg_hook_parse(req, strlen(req) - 8, path, sizeof path, sent, sizeof sent, &body),
                 0, "body incomplete");
    const char *chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    cr_assert_eq(lg_hook_parse(chunked, strlen(chunked), path, sizeof path, sent, sizeof sent,
                               &body),
                 -1);
    const char *badlen = "POST / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n";
    cr_assert_eq(lg_hook_parse(badlen, strlen(badlen), path, sizeof path, sent, sizeof sent,
                               &body),
                 -1);
    cr_assert_eq(lg_parse_sent_at("1763700000.25"), 1763700000250000ull);
    cr_assert_eq(lg_parse_sent_at("1763700000"), 1763700000000000ull);
    cr_assert_eq(lg_parse_sent_at("12.1234567"), 12123456ull, "beyond microseconds ignored");
    cr_assert_eq(lg_parse_sent_at("abc"), 0);
    cr_assert_eq(lg_parse_sent_at("12.5x"), 0);
    cr_assert_eq(lg_parse_sent_at(NULL), 0);
}

/* ---- the receiver, for real: libcurl POSTs on the same loop ---- */

typedef struct {
    int got, answered;
    long status[3];
    char path[3][32];
    uint64_t sent_at[3], arrival[3];
    char body[3][64];
    lg_hook *hook;
    http_client *http;
} hook_run;

static void on_hook(void *ud, const char *path, const char *sent_at, const char *body,
                    size_t len, uint64_t arrival_us)
{
    hook_run *r = ud;
    if (r->got < 3) {
        snprintf(r->path[r->got], sizeof r->path[0], "%s", path);
        r->sent_at[r->got] = lg_parse_sent_at(sent_at);
        r->arrival[r->got] = arrival_us;
        snprintf(r->body[r->got], sizeof r->body[0], "%.*s", (int)len, body);
    }
    r->got++;
}

static void on_answer(const http_response *res, void *arg)
{
    hook_run *r = arg;
    r->status[r->answered++] = res->status;
    if (r->answered == 3) {
        lg_hook_close(r->hook);
        http_client_close(r->http, 0, NULL, NULL);
    }
}

Test(hook, receives_real_posts_with_keep_alive)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    hook_run r = {0};
    r.hook = lg_hook_new(&loop, on_hook, &r);
    cr_assert(r.hook);
    r.http = http_client_new(&loop, &(http_client_options){.max_inflight = 1});
    char url[3][64], at[64];
    uint64_t now = lg_wall_us();
    snprintf(at, sizeof at, "X-Callprint-Sent-At: %llu.%06llu",
             (unsigned long long)(now / 1000000), (unsigned long long)(now % 1000000));
    const char *hdr[] = {"Content-Type: application/json", at, NULL};
    for (int i = 0; i < 3; i++) {
        snprintf(url[i], sizeof url[i], "http://127.0.0.1:%d/s/%d", lg_hook_port(r.hook), i);
        http_request q = {.method = "POST", .url = url[i], .headers = hdr,
                          .body = "{\"n\":1}", .body_len = 7, .timeout_ms = 5000};
        cr_assert_eq(http_client_request(r.http, &q, on_answer, &r), 0);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(r.got, 3);
    for (int i = 0; i < 3; i++) {
        char want[16];
        snprintf(want, sizeof want, "/s/%d", i);
        cr_assert_eq(r.status[i], 200);
        cr_assert_str_eq(r.path[i], want, "in order");
        cr_assert_str_eq(r.body[i], "{\"n\":1}");
        cr_assert_eq(r.sent_at[i], now);
        cr_assert_geq(r.arrival[i], now);
        cr_assert_lt(r.arrival[i] - now, 5000000);
    }
    cr_assert_eq(uv_loop_close(&loop), 0);
}
