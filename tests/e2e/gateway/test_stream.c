/* test_stream.c -- /stream in the Twilio dialect, end to end over loopback.
 *
 * Real server, real WebSocket clients (callsim.c like Twilio, or raw frames), a capture
 * sink: the PCM the gateway hands to the sink must equal the audio sent, bit for bit after
 * G.711; anomalies (gaps, reordering, malformed messages, oversize frames) must be detected
 * and confined to their own stream; a Twilio client must never receive anything unasked.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "g711.h"
#include "harness.h"
#include "ingest/media.h"

static const char *const FIXTURES[] = {"librispeech-1688-142285-0003.wav",
                                       "speechocean762-0001-000010035.wav",
                                       "fsdd-0_george_10.wav"};

static void assert_pcm_equal(const h_cap *c, const int16_t *want, size_t n)
{
    cr_assert_eq(c->n, n, "samples: got %zu, sent %zu", c->n, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(c->pcm[i], want[i], "sample %zu: got %d, want %d", i, c->pcm[i], want[i]);
}

typedef struct {
    int done;
    callsim_summary sum[3];
} trio;

static void trio_done(callsim *c, void *ud)
{
    trio *t = ud;
    t->sum[t->done++] = *callsim_summary_get(c);
    callsim_free(c);
}

static bool trio_finished(void *arg)
{
    return ((trio *)arg)->done == 3;
}

Test(stream, ulaw_pcm_is_bit_exact_for_three_concurrent_calls)
{
    harness h;
    h_init(&h, NULL);
    int16_t *pcm[3];
    size_t n[3];
    char sids[3][35];
    trio t = {0};
    for (int i = 0; i < 3; i++) { /* all three stream at once on the one loop */
        pcm[i] = h_fixture(FIXTURES[i], &n[i]);
        callsim_opts o = {.url = h_url(&h, NULL), .fast = true,
                          .stream_sid = h_sid(sids[i], "MZ", 100 + (unsigned)i)};
        cr_assert_not_null(callsim_start(h.ws, &h.loop, &o, pcm[i], n[i], trio_done, &t));
    }
    cr_assert(h_run_until(&h, trio_finished, &t, 20000));
    for (int i = 0; i < 3; i++) {
        cr_assert(t.sum[i].opened);
        cr_assert_eq(t.sum[i].recv_messages, 0, "a Twilio client received a message");
        cr_assert(h_wait_stopped(&h, sids[i], 2000));
        h_cap *c = h_cap_by_sid(&h, sids[i]);
        cr_assert_not_null(c);
        cr_assert_eq(c->why, STREAM_END_STOP);
        assert_pcm_equal(c, pcm[i], n[i]);
        cr_assert_eq(c->in.gaps, 0);
        cr_assert_eq(c->in.out_of_order, 0);
        cr_assert_eq(c->in.bytes, n[i]);
        free(pcm[i]);
    }
    h_fini(&h);
}

Test(stream, alaw_pcm_is_bit_exact_after_alaw)
{
    harness h;
    h_init(&h, NULL);
    size_t n;
    int16_t *pcm = h_fixture(FIXTURES[1], &n);
    char sid[35];
    callsim_opts o = {.url = h_url(&h, NULL), .fast = true, .alaw = true,
                      .stream_sid = h_sid(sid, "MZ", 7)};
    h_play(&h, &o, pcm, n, 20000);
    cr_assert(h_wait_stopped(&h, sid, 2000));
    /* What survives A-law: decode(encode(x)). Differs from the input, so the gateway must
     * really have decoded A-law (µ-law decoding of these codes would not match). */
    int16_t *want = malloc(n * sizeof *want);
    uint8_t *codes = malloc(n);
    g711_encode(G711_ALAW, pcm, n, codes);
    g711_decode(G711_ALAW, codes, n, want);
    size_t differ = 0;
    for (size_t i = 0; i < n; i++)
        differ += want[i] != pcm[i];
    cr_assert_gt(differ, 0);
    assert_pcm_equal(h_cap_by_sid(&h, sid), want, n);
    free(codes);
    free(want);
    free(pcm);
    h_fini(&h);
}

Test(stream, dtmf_and_counters)
{
    harness h;
    h_init(&h, NULL);
    size_t n;
    int16_t *pcm = h_fixture(FIXTURES[2], &n);
    char sid[35];
    int at[] = {0, 100, 300};
    callsim_opts o = {.url = h_url(&h, NULL), .fast = true, .dtmf = "1#9", .dtmf_ms = at,
                      .stream_sid = h_sid(sid, "MZ", 8)};
    callsim_summary s = h_play(&h, &o, pcm, n, 10000);
    cr_assert(h_wait_stopped(&h, sid, 2000));
    h_cap *c = h_cap_by_sid(&h, sid);
    cr_assert_str_eq(c->dtmf, "1#9");
    /* start + media + dtmf + stop (connected is connection-level) */
    cr_assert_eq(c->messages, 1 + s.sent_media + 3 + 1);
    cr_assert_eq(c->in.media, s.sent_media);
    free(pcm);
    h_fini(&h);
}

Test(stream, gaps_out_of_order_and_missing_chunks_are_counted)
{
    harness h;
    h_init(&h, NULL);
    tconn *t = tc_connect(&h, NULL, NULL, 0);
    char sid[35];
    h_sid(sid, "MZ", 9);
    tc_start(t, sid, NULL, false);
    uint8_t g[160];
    memset(g, 0xff, sizeof g);
    for (unsigned i = 1; i <= 5; i++) /* chunks 1..5 at 0, 20, .. 80 ms */
        tc_media(t, sid, i, (i - 1) * 20, g, 160);
    tc_media(t, sid, 6, 200, g, 160); /* expected 100: a 100 ms gap */
    tc_media(t, sid, 4, 60, g, 160);  /* late duplicate: out of order */
    tc_media(t, sid, 8, 240, g, 160); /* chunk 7 missing; 240 vs 220 is within tolerance */
    tc_media(t, sid, 9, 281, g, 160); /* expected 260: 21 ms late, a gap */
    tc_stop(t, sid);
    cr_assert(h_wait_stopped(&h, sid, 2000));
    h_cap *c = h_cap_by_sid(&h, sid);
    cr_assert_eq(c->in.gaps, 2);
    cr_assert_eq(c->in.gap_ms, 100 + 21);
    cr_assert_eq(c->in.out_of_order, 1);
    cr_assert_eq(c->in.chunks_missing, 1);
    cr_assert_eq(c->in.media, 9);
    cr_assert_eq(t->n_msgs, 0);
    h_fini(&h);
}

/* Interleave a good stream with every kind of bad message about another stream on the
 * same connection: the good stream's audio stays bit-exact and nothing is sent back. */
Test(stream, malformed_traffic_leaves_a_concurrent_stream_untouched)
{
    harness h;
    h_init(&h, NULL);
    size_t n;
    int16_t *pcm = h_fixture(FIXTURES[2], &n);
    tconn *t = tc_connect(&h, NULL, NULL, 0);
    tconn *big = tc_connect(&h, NULL, NULL, 0);
    char good[35], bad[35], never[35];
    h_sid(good, "MZ", 10);
    h_sid(bad, "MZ", 11);
    h_sid(never, "MZ", 12);
    tc_start(t, good, NULL, false);
    tc_start(t, bad, NULL, false);
    uint8_t g[160];
    memset(g, 0xff, sizeof g);
    char *huge = malloc(TW_MAX_MESSAGE + 100);
    memset(huge, ' ', TW_MAX_MESSAGE + 99);
    huge[TW_MAX_MESSAGE + 99] = '\0';
    huge[0] = '{';
    for (size_t f = 0; tc_frame(t, good, pcm, n, f); f++) {
        switch (f) {
        case 1: tc_send(t, "{\"event\":\"media\",\"streamSid\":"); break; /* bad JSON */
        case 2:
            tc_sendf(t, "{\"event\":\"media\",\"sequenceNumber\":\"3\",\"streamSid\":\"%s\","
                        "\"media\":{\"track\":\"inbound\",\"chunk\":\"1\",\"timestamp\":\"0\","
                        "\"payload\":\"!!notbase64==\"}}", bad);
            break;
        case 3: /* wrong type: chunk as a number */
            tc_sendf(t, "{\"event\":\"media\",\"sequenceNumber\":\"4\",\"streamSid\":\"%s\","
                        "\"media\":{\"track\":\"inbound\",\"chunk\":2,\"timestamp\":\"20\","
                        "\"payload\":\"AAAA\"}}", bad);
            break;
        case 4: tc_sendf(t, "{\"event\":\"dance\",\"streamSid\":\"%s\"}", bad); break;
        case 5: tc_media(t, never, 1, 0, g, 160); break; /* media before start / unknown */
        case 6: tc_send(t, "[1,2,3]"); break;
        case 7: tc_send(big, huge); break; /* oversize on another connection */
        case 8: tc_sendf(t, "{\"event\":\"media\",\"streamSid\":\"%s\"}", bad); break;
        default: break;
        }
    }
    tc_media(t, bad, 5, 80, g, 160); /* the bad stream still works */
    tc_stop(t, good);
    tc_stop(t, bad);
    cr_assert(h_wait_stopped(&h, good, 3000));
    cr_assert(h_wait_stopped(&h, bad, 3000));
    assert_pcm_equal(h_cap_by_sid(&h, good), pcm, n);
    h_cap *b = h_cap_by_sid(&h, bad);
    cr_assert_eq(b->n, 160, "the bad stream's one good frame was delivered");
    /* Charged to the bad stream: bad base64, wrong type, missing media object. (An unknown
     * event is a connection-level error: tw_parse reads streamSid only for known events.) */
    cr_assert_eq(b->errors, 3);
    cr_assert_eq(h_cap_by_sid(&h, good)->errors, 0);
    cr_assert_null(h_cap_by_sid(&h, never));
    cr_assert(tc_wait_closed(big, 2000));
    cr_assert_eq(big->close_code, 1009);
    cr_assert_eq(t->n_msgs, 0, "Twilio client received %zu messages", t->n_msgs);
    cr_assert(t->open, "the connection with bad messages stays open");
    cr_assert_geq(media_get_stats(server_media(h.srv))->bad_messages, 7);
    free(huge);
    free(pcm);
    h_fini(&h);
}

Test(stream, fragmented_messages_are_reassembled)
{
    harness h;
    h_init(&h, NULL);
    tconn *t = tc_connect(&h, NULL, NULL, 0);
    char sid[35], buf[4096];
    h_sid(sid, "MZ", 13);
    tw_param p = {"k", "v"};
    tw_start_info info = {.sequence_number = 1, .stream_sid = sid, .account_sid = "",
                          .call_sid = "", .tracks = TW_TRACK_INBOUND, .params = &p,
                          .n_params = 1};
    int len = tw_build_start(buf, sizeof buf, &info);
    cr_assert_eq(wsc_send_fragmented(t->c, buf, (size_t)len, 7), 0);
    uint8_t g[160];
    for (int i = 0; i < 160; i++)
        g[i] = (uint8_t)i;
    len = tw_build_media_in(buf, sizeof buf, 2, sid, TW_TRACK_INBOUND, 1, 0, g, 160);
    cr_assert_eq(wsc_send_fragmented(t->c, buf, (size_t)len, 33), 0);
    tc_stop(t, sid);
    cr_assert(h_wait_stopped(&h, sid, 2000));
    h_cap *c = h_cap_by_sid(&h, sid);
    cr_assert_eq(c->n, 160);
    for (int i = 0; i < 160; i++)
        cr_assert_eq(c->pcm[i], g711_ulaw_decode1((uint8_t)i));
    h_fini(&h);
}

/* A sink that keeps a copy of the customParameter named by its ud (free it after). */
static char *param_seen;
static int param_start(void *ud, stream *s, void **st)
{
    (void)st;
    const char *v = stream_param(s, ud);
    param_seen = strdup(v ? v : "");
    return 0;
}

/* One unfragmented frame several times the size of the server's lws rx buffer (a start with
 * 32 long customParameters, ~15 KB) arrives in pieces and is put together; the media frames
 * after it, which arrive whole, are parsed in place. */
Test(stream, a_frame_larger_than_the_rx_buffer_is_reassembled)
{
    harness h;
    h_init(&h, NULL);
    audio_sink p = {.name = "params", .ud = "p31", .on_start = param_start};
    registry_add_sink(server_registry(h.srv), &p);
    tconn *t = tc_connect(&h, NULL, NULL, 0);
    char sid[35];
    static char buf[32768];
    h_sid(sid, "MZ", 14);
    static tw_param params[32];
    for (int i = 0; i < 32; i++) {
        snprintf(params[i].key, sizeof params[i].key, "p%d", i);
        memset(params[i].value, 'a' + i % 26, 450);
        params[i].value[450] = '\0';
    }
    tw_start_info info = {.sequence_number = 1, .stream_sid = sid, .account_sid = "",
                          .call_sid = "", .tracks = TW_TRACK_INBOUND, .params = params,
                          .n_params = 32};
    int len = tw_build_start(buf, sizeof buf, &info);
    cr_assert_gt(len, 14000);
    tc_send(t, buf);
    uint8_t g[160];
    for (int i = 0; i < 160; i++)
        g[i] = (uint8_t)(255 - i);
    for (int k = 0; k < 3; k++) {
        len = tw_build_media_in(buf, sizeof buf, 2 + (uint64_t)k, sid, TW_TRACK_INBOUND,
                                1 + (uint64_t)k, 20 * (uint64_t)k, g, 160);
        tc_send(t, buf);
    }
    tc_stop(t, sid);
    cr_assert(h_wait_stopped(&h, sid, 2000));
    h_cap *c = h_cap_by_sid(&h, sid);
    cr_assert_eq(c->n, 480);
    cr_assert_eq(c->pcm[479], g711_ulaw_decode1(96));
    cr_assert_eq(c->errors, 0);
    cr_assert_not_null(param_seen);
    cr_assert_eq(strlen(param_seen), 450);
    cr_assert_eq(param_seen[0], 'a' + 31 % 26);
    free(param_seen);
    h_fini(&h);
}

static void small_limits(config *c)
{
    c->max_streams_per_conn = 2;
    c->stream_timeout_ms = 300;
    c->ping_interval_ms = 50;
}

Test(stream, per_connection_limit_and_twilio_gets_no_errors_or_pings)
{
    harness h;
    h_init(&h, small_limits);
    tconn *t = tc_connect(&h, NULL, NULL, 0);
    char s1[35], s2[35], s3[35];
    tc_start(t, h_sid(s1, "MZ", 21), NULL, false);
    tc_start(t, h_sid(s2, "MZ", 22), NULL, false);
    tc_start(t, h_sid(s3, "MZ", 23), NULL, false);
    cr_assert_not_null(h_wait_cap(&h, s2, 2000));
    h_run_for(&h, 150); /* several ping intervals: a Twilio client gets none */
    cr_assert_null(h_cap_by_sid(&h, s3), "third stream on a connection limited to 2");
    cr_assert_eq(registry_count(server_registry(h.srv)), 2);
    cr_assert_eq(t->n_msgs, 0);
    h_fini(&h);
}

Test(stream, inactivity_ends_the_stream_and_closes_an_idle_twilio_connection)
{
    harness h;
    h_init(&h, small_limits);
    tconn *t = tc_connect(&h, NULL, NULL, 0);
    char sid[35];
    tc_start(t, h_sid(sid, "MZ", 24), NULL, false);
    cr_assert(h_wait_stopped(&h, sid, 3000));
    cr_assert_eq(h_cap_by_sid(&h, sid)->why, STREAM_END_TIMEOUT);
    cr_assert(tc_wait_closed(t, 3000), "idle connection without stream not closed");
    cr_assert_eq(t->close_code, 1000, "close code %d", t->close_code);
    cr_assert_eq(t->n_msgs, 0);
    cr_assert_eq(registry_count(server_registry(h.srv)), 0);
    h_fini(&h);
}

typedef struct {
    harness *h;
    const char *sid;
    uint64_t marks;
} mark_wait;

static bool marks_received(void *arg)
{
    mark_wait *w = arg;
    h_cap *c = h_cap_by_sid(w->h, w->sid);
    return c && c->n_marks >= w->marks;
}

/* Twilio semantics: a mark comes back once the audio queued before it has played; clear
 * drops the queued audio and returns every pending mark at once. */
Test(stream, mark_and_clear_round_trip)
{
    harness h;
    h_init(&h, NULL);
    size_t n;
    int16_t *pcm = h_fixture(FIXTURES[0], &n); /* 5 s, played in real time */
    char sid[35];
    callsim_opts o = {.url = h_url(&h, NULL), .stream_sid = h_sid(sid, "MZ", 30)};
    bool done = false;
    callsim *call = callsim_start(h.ws, &h.loop, &o, pcm, n, NULL, &done);
    cr_assert_not_null(call);
    h_cap *c = h_wait_cap(&h, sid, 3000);
    cr_assert_not_null(c);
    stream *s = c->live;
    uint8_t audio[800]; /* 100 ms */
    memset(audio, 0xff, sizeof audio);
    cr_assert_eq(media_send_audio(s, audio, sizeof audio), 0);
    cr_assert_eq(media_send_audio(s, audio, sizeof audio), 0);
    cr_assert_eq(media_send_mark(s, "after-200ms"), 0);
    uint64_t t0 = uv_hrtime();
    mark_wait w = {&h, sid, 1};
    cr_assert(h_run_until(&h, marks_received, &w, 3000));
    uint64_t waited_ms = (uv_hrtime() - t0) / 1000000;
    cr_assert_geq(waited_ms, 180, "mark echoed after %llu ms, before its audio played",
                  (unsigned long long)waited_ms);
    cr_assert_str_eq(c->marks[0], "after-200ms");
    cr_assert_eq(s->n_pending, 0);
    /* 2 s of audio, two marks, then clear: both marks return at once. */
    for (int i = 0; i < 20; i++)
        cr_assert_eq(media_send_audio(s, audio, sizeof audio), 0);
    cr_assert_eq(media_send_mark(s, "m2"), 0);
    cr_assert_eq(media_send_mark(s, "m3"), 0);
    cr_assert_eq(s->n_pending, 2);
    cr_assert_eq(media_send_clear(s), 0);
    t0 = uv_hrtime();
    w.marks = 3;
    cr_assert(h_run_until(&h, marks_received, &w, 3000));
    cr_assert_lt((uv_hrtime() - t0) / 1000000, 1000, "clear did not return the marks at once");
    cr_assert_str_eq(c->marks[1], "m2");
    cr_assert_str_eq(c->marks[2], "m3");
    cr_assert_eq(s->n_pending, 0);
    cr_assert_eq(s->marks_sent, 3);
    cr_assert_eq(s->clears_sent, 1);
    callsim_hangup(call);
    callsim_free(call);
    free(pcm);
    h_fini(&h);
}

Test(stream, shutdown_with_open_streams_is_clean)
{
    harness h;
    h_init(&h, NULL);
    tconn *t1 = tc_connect(&h, NULL, NULL, 0);
    tconn *t2 = tc_connect(&h, "dialect=voiceverify", NULL, 0);
    char s1[35], s2[35], s3[35], u[37];
    tc_start(t1, h_sid(s1, "MZ", 41), NULL, false);
    tc_start(t1, h_sid(s2, "MZ", 42), NULL, false);
    tc_start(t2, h_sid(s3, "MZ", 43), h_uuid(u, 43), false);
    cr_assert_not_null(h_wait_cap(&h, s1, 2000));
    cr_assert_not_null(h_wait_cap(&h, s2, 2000));
    cr_assert_not_null(h_wait_cap(&h, s3, 2000));
    h_fini(&h); /* ends streams, two-round lws destroy, loop closes: asserted inside */
    for (size_t i = 0; i < 3; i++) {
        cr_assert(h.caps[i].stopped);
        cr_assert_eq(h.caps[i].why, STREAM_END_SHUTDOWN);
    }
}

Test(stream, upgrade_paths_and_plain_get)
{
    harness h;
    h_init(&h, NULL);
    cr_assert_eq(h_http(&h, "GET", "/stream", NULL, 0, NULL, 0, NULL, 3000), 426);
    char url[128];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/stream/", h.port);
    cr_assert(tc_connect_url(&h, url, NULL, 0)->open, "trailing slash refused");
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/healthz", h.port);
    tconn *t = tc_connect_url(&h, url, NULL, 0);
    cr_assert(t->closed);
    cr_assert_eq(t->http_status, 404);
    h_fini(&h);
}

Test(stream, outbound_track_is_counted_not_analysed)
{
    harness h;
    h_init(&h, NULL);
    tconn *t = tc_connect(&h, NULL, NULL, 0);
    char sid[35], buf[4096];
    h_sid(sid, "MZ", 50);
    tw_start_info info = {.sequence_number = 1, .stream_sid = sid, .account_sid = "",
                          .call_sid = "", .tracks = TW_TRACK_INBOUND | TW_TRACK_OUTBOUND};
    cr_assert_gt(tw_build_start(buf, sizeof buf, &info), 0);
    tc_send(t, buf);
    uint8_t g[160];
    memset(g, 0x80, sizeof g);
    for (unsigned i = 1; i <= 3; i++) {
        tw_build_media_in(buf, sizeof buf, i + 1, sid, TW_TRACK_OUTBOUND, i, (i - 1) * 20, g, 160);
        tc_send(t, buf);
    }
    tc_media(t, sid, 1, 0, g, 160);
    tc_stop(t, sid);
    cr_assert(h_wait_stopped(&h, sid, 2000));
    h_cap *c = h_cap_by_sid(&h, sid);
    cr_assert_eq(c->n, 160, "only inbound audio reaches the sink");
    cr_assert_eq(c->out.media, 3);
    cr_assert_eq(c->out.bytes, 480);
    cr_assert_eq(c->in.media, 1);
    h_fini(&h);
}

static void tiny_queue(config *c)
{
    c->outq_max_frames = 4;
}

/* What the bidirectional API writes is exactly Twilio's format (schemas/stream
 * twilio-out-*), and the per-connection queue is bounded. */
Test(stream, outbound_messages_match_schemas_and_the_queue_is_bounded)
{
    harness h;
    h_init(&h, tiny_queue);
    tconn *t = tc_connect(&h, NULL, NULL, 0);
    char sid[35];
    tc_start(t, h_sid(sid, "MZ", 51), NULL, false);
    h_cap *c = h_wait_cap(&h, sid, 2000);
    cr_assert_not_null(c);
    uint8_t audio[160];
    memset(audio, 0x7f, sizeof audio);
    cr_assert_eq(media_send_audio(c->live, audio, sizeof audio), 0);
    cr_assert_eq(media_send_mark(c->live, "greeting \"done\""), 0);
    cr_assert_eq(media_send_clear(c->live), 0);
    cr_assert_eq(media_send_audio(c->live, audio, sizeof audio), 0);
    cr_assert_eq(media_send_audio(c->live, audio, sizeof audio), -1, "queue of 4 overflowed");
    cr_assert_eq(media_send_mark(c->live, "lost"), -1);
    cr_assert_eq(c->live->n_pending, 1, "a mark that was not queued is not pending");
    cr_assert(tc_wait_msgs(t, 4, 2000));
    h_run_for(&h, 50);
    cr_assert_eq(t->n_msgs, 4);
    h_assert_schemas(t);
    h_fini(&h);
}

Test(stream, api_force_end)
{
    harness h;
    h_init(&h, NULL);
    tconn *t = tc_connect(&h, "dialect=voiceverify", NULL, 0);
    char sid[35], u[37];
    tc_start(t, h_sid(sid, "MZ", 52), h_uuid(u, 52), false);
    h_cap *c = h_wait_cap(&h, sid, 2000);
    cr_assert_not_null(c);
    stream_end(c->live, STREAM_END_FORCED); /* through the owner: media_end_stream */
    cr_assert(c->stopped);
    cr_assert_eq(c->why, STREAM_END_FORCED);
    cr_assert(tc_wait_msgs(t, 2, 2000));
    cr_assert_eq(tc_status(t, 1), 204);
    cr_assert_eq(registry_count(server_registry(h.srv)), 0);
    h_fini(&h);
}

typedef struct {
    harness *h;
    size_t want;
} stopped_wait;

static bool all_stopped(void *arg)
{
    stopped_wait *w = arg;
    size_t n = 0;
    for (size_t i = 0; i < w->h->n_caps; i++)
        n += w->h->caps[i].stopped;
    return n >= w->want;
}

/* 20 connections: half stop their stream, half hang up mid-stream. Every stream ends once,
 * with the right reason, and the registry is empty afterwards. */
Test(stream, hang_ups_and_stops_release_everything)
{
    harness h;
    h_init(&h, NULL);
    enum { N = 20 };
    tconn *t[N];
    char sid[N][35];
    uint8_t g[160];
    memset(g, 0xd5, sizeof g);
    for (unsigned i = 0; i < N; i++) {
        t[i] = tc_connect(&h, NULL, NULL, 0);
        tc_start(t[i], h_sid(sid[i], "MZ", 200 + i), NULL, false);
        for (unsigned k = 1; k <= 5; k++)
            tc_media(t[i], sid[i], k, (k - 1) * 20, g, 160);
    }
    for (unsigned i = 0; i < N; i++) {
        if (i % 2)
            wsc_close(t[i]->c);
        else
            tc_stop(t[i], sid[i]);
    }
    stopped_wait w = {&h, N};
    cr_assert(h_run_until(&h, all_stopped, &w, 5000));
    for (unsigned i = 0; i < N; i++) {
        h_cap *c = h_cap_by_sid(&h, sid[i]);
        cr_assert_not_null(c);
        cr_assert_eq(c->why, i % 2 ? STREAM_END_CLOSED : STREAM_END_STOP, "stream %u", i);
        cr_assert_eq(c->n, 800);
    }
    cr_assert_eq(registry_count(server_registry(h.srv)), 0);
    const registry_stats *st = registry_get_stats(server_registry(h.srv));
    cr_assert_eq(st->ended_by[STREAM_END_CLOSED], N / 2);
    cr_assert_eq(st->ended_by[STREAM_END_STOP], N / 2);
    h_fini(&h);
}

static registry *push_reg;
static int push_ended;

static void push_end(stream *s, stream_end_reason why)
{
    cr_assert_eq(why, STREAM_END_SHUTDOWN);
    registry_remove(push_reg, s, why);
    stream_free(s);
    push_ended++;
}

/* A stream that is not a WebSocket (an HTTP push stream) is fed through the same
 * sinks and ended by its owner at shutdown. */
Test(stream, non_websocket_streams_share_the_registry_and_end_at_shutdown)
{
    harness h;
    h_init(&h, NULL);
    push_reg = server_registry(h.srv);
    stream *s = stream_create(NULL, "HTTP-1", "", uv_now(&h.loop));
    cr_assert_not_null(s);
    s->end_fn = push_end;
    cr_assert_eq(registry_admit(push_reg, s), REG_OK);
    int16_t pcm[80] = {1, 2, 3};
    registry_audio(push_reg, s, pcm, 80, 0);
    cr_assert_eq(media_send_audio(s, (const uint8_t *)"x", 1), -1, "no socket to send to");
    h_fini(&h);
    cr_assert_eq(push_ended, 1);
    cr_assert(h.caps[0].stopped);
    cr_assert_eq(h.caps[0].why, STREAM_END_SHUTDOWN);
    cr_assert_eq(h.caps[0].n, 80);
}

static char *read_fixture(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "twilio/%s", name);
    return test_fixture(rel, 8191, NULL);
}

/* Twilio's documented example messages, verbatim, are accepted as a stream. */
Test(stream, twilio_documented_examples_are_accepted)
{
    harness h;
    h_init(&h, NULL);
    audio_sink p = {.name = "params", .ud = "FirstName", .on_start = param_start};
    registry_add_sink(server_registry(h.srv), &p);
    tconn *t = tc_connect(&h, NULL, NULL, 0);
    const char *seq[] = {"twilio-connected.docs.json", "twilio-start.docs.json",
                         "twilio-media.docs.json", "twilio-dtmf.docs.json",
                         "twilio-stop.docs.json"};
    for (size_t i = 0; i < 5; i++) {
        char *m = read_fixture(seq[i]);
        tc_send(t, m);
        free(m);
    }
    const char *sid = "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";
    cr_assert(h_wait_stopped(&h, sid, 2000));
    h_cap *c = h_cap_by_sid(&h, sid);
    cr_assert_eq(c->why, STREAM_END_STOP);
    cr_assert_str_eq(c->dtmf, "1");
    cr_assert_eq(c->out.media, 1);
    cr_assert_eq(c->out.bytes, 9);
    cr_assert_eq(c->n, 0, "the example's audio is on the outbound track");
    cr_assert_eq(c->errors, 0);
    cr_assert_str_eq(param_seen, "Jane");
    free(param_seen);
    cr_assert_eq(t->n_msgs, 0);
    h_fini(&h);
}

/* RFC 6455 8.1: a text frame that is not UTF-8 fails the connection (1007). */
Test(stream, invalid_utf8_closes_with_1007)
{
    harness h;
    h_init(&h, NULL);
    tconn *t = tc_connect(&h, NULL, NULL, 0);
    tc_send(t, "{\"event\":\"\xff\xfe\"}");
    cr_assert(tc_wait_closed(t, 2000));
    cr_assert_eq(t->close_code, 1007, "close code %d", t->close_code);
    h_fini(&h);
}

static void single_slot(config *c)
{
    c->max_streams = 1;
}

/* A Twilio connection whose only stream is refused is closed (Twilio then ends the
 * <Stream>) without ever receiving a message; the close code is 4000 + the status. */
Test(stream, twilio_connection_with_a_refused_start_is_closed)
{
    harness h;
    h_init(&h, single_slot);
    tconn *a = tc_connect(&h, NULL, NULL, 0);
    tconn *b = tc_connect(&h, NULL, NULL, 0);
    char s1[35], s2[35], s3[35];
    tc_start(a, h_sid(s1, "MZ", 301), NULL, false);
    cr_assert_not_null(h_wait_cap(&h, s1, 2000));
    tc_start(b, h_sid(s2, "MZ", 302), NULL, false);
    cr_assert(tc_wait_closed(b, 2000));
    cr_assert_eq(b->close_code, 4403, "close code %d", b->close_code);
    cr_assert_eq(b->n_msgs, 0);
    /* a second start on a connection that already streams is refused, not closed */
    tc_start(a, h_sid(s3, "MZ", 303), NULL, false);
    h_run_for(&h, 100);
    cr_assert(a->open);
    cr_assert_null(h_cap_by_sid(&h, s3));
    tconn *c = tc_connect(&h, NULL, NULL, 0);
    tc_send(c, "{\"event\":\"start\",\"sequenceNumber\":\"1\",\"streamSid\":\"\",\"start\":{}}");
    cr_assert(tc_wait_closed(c, 2000));
    cr_assert_eq(c->close_code, 4400, "close code %d", c->close_code);
    h_fini(&h);
}

typedef struct {
    harness *h;
    uint64_t messages;
} storm_wait;

static bool storm_done(void *arg)
{
    storm_wait *w = arg;
    return media_get_stats(server_media(w->h->srv))->messages >= w->messages;
}

/* Deterministic mutation storm: 3000 mutated copies of valid messages (bit flips,
 * truncations, splices; invalid UTF-8 avoided, it closes the connection by design) on one
 * connection, interleaved with a good stream on another. The server survives, the good
 * stream stays bit-exact, and nothing leaks (ASan). */
Test(stream, mutation_storm_leaves_a_concurrent_stream_untouched)
{
    harness h;
    h_init(&h, NULL);
    size_t n;
    int16_t *pcm = h_fixture("speechocean762-0001-000010035.wav", &n);
    tconn *good = tc_connect(&h, NULL, NULL, 0);
    tconn *bad = tc_connect(&h, NULL, NULL, 0);
    char gsid[35], bsid[35], base[4][2048];
    tc_start(good, h_sid(gsid, "MZ", 400), NULL, false);
    tc_start(bad, h_sid(bsid, "MZ", 401), NULL, false);
    uint8_t g[160];
    memset(g, 0x5d, sizeof g);
    tw_build_media_in(base[0], sizeof base[0], 2, bsid, TW_TRACK_INBOUND, 1, 0, g, 160);
    tw_build_dtmf(base[1], sizeof base[1], 3, bsid, '5');
    tw_build_mark_in(base[2], sizeof base[2], 4, bsid, "m");
    tw_start_info info = {.sequence_number = 1, .stream_sid = bsid, .account_sid = "",
                          .call_sid = "", .tracks = TW_TRACK_INBOUND};
    tw_build_start(base[3], sizeof base[3], &info);
    uint32_t rng = 12345;
    char msg[2048];
    size_t f = 0;
    for (int i = 0; i < 3000; i++) {
        rng = rng * 1664525u + 1013904223u;
        const char *b = base[rng % 4];
        size_t len = strlen(b);
        memcpy(msg, b, len + 1);
        rng = rng * 1664525u + 1013904223u;
        switch (rng % 3) {
        case 0: /* flip a few printable characters */
            for (int k = 0; k < 3; k++) {
                rng = rng * 1664525u + 1013904223u;
                msg[(rng >> 8) % len] = (char)(0x20 + (rng >> 20) % 95);
            }
            break;
        case 1: /* truncate */
            msg[(rng >> 8) % len] = '\0';
            break;
        default: { /* splice the tail of another message */
            const char *o = base[(rng >> 4) % 4];
            size_t cut = (rng >> 8) % len, from = (rng >> 16) % strlen(o);
            snprintf(msg + cut, sizeof msg - cut, "%s", o + from);
        }
        }
        if (!*msg)
            continue;
        tc_send(bad, msg);
        if (i % 20 == 0 && tc_frame(good, gsid, pcm, n, f))
            f++;
        if (i % 200 == 0)
            h_run_for(&h, 1);
    }
    while (tc_frame(good, gsid, pcm, n, f))
        f++;
    tc_stop(good, gsid);
    cr_assert(h_wait_stopped(&h, gsid, 5000));
    storm_wait w = {&h, 3000 + f};
    cr_assert(h_run_until(&h, storm_done, &w, 5000), "the storm was not processed: %llu",
              (unsigned long long)media_get_stats(server_media(h.srv))->messages);
    cr_assert_gt(media_get_stats(server_media(h.srv))->bad_messages, 1000);
    h_cap *c = h_cap_by_sid(&h, gsid);
    cr_assert_eq(c->n, n);
    cr_assert_arr_eq(c->pcm, pcm, n * sizeof *pcm);
    cr_assert_eq(c->errors, 0);
    cr_assert_eq(good->n_msgs, 0);
    cr_assert_eq(bad->n_msgs, 0, "Twilio dialect: not even errors are sent");
    cr_assert_eq(h_http(&h, "GET", "/healthz", NULL, 0, NULL, 0, NULL, 3000), 200);
    free(pcm);
    h_fini(&h);
}

Test(stream, drain_refuses_new_work_and_keeps_running_streams)
{
    harness h;
    h_init(&h, NULL);
    tconn *t = tc_connect(&h, NULL, NULL, 0);
    char s1[35], s2[35];
    tc_start(t, h_sid(s1, "MZ", 501), NULL, false);
    cr_assert_not_null(h_wait_cap(&h, s1, 2000));
    server_drain(h.srv);
    cr_assert(server_draining(h.srv));
    tconn *late = tc_connect(&h, NULL, NULL, 0);
    cr_assert_eq(late->http_status, 503);
    tc_start(t, h_sid(s2, "MZ", 502), NULL, false);
    uint8_t g[160] = {0};
    tc_media(t, s1, 1, 0, g, 160);
    tc_stop(t, s1);
    cr_assert(h_wait_stopped(&h, s1, 2000));
    cr_assert_eq(h_cap_by_sid(&h, s1)->n, 160, "the running stream went on");
    cr_assert_null(h_cap_by_sid(&h, s2));
    h_fini(&h);
}
