/* test_units.c -- gateway modules without sockets: config, stream bookkeeping, registry,
 * outbound queue, audio file loading, the logger's JSON. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio/audio.h"
#include "core/config.h"
#include "common/log.h"
#include "ingest/outq.h"
#include "streams/registry.h"
#include "streams/stream.h"
#include "streams/stream_json.h"

/* ---- config ---- */

Test(config, defaults_and_environment_overrides)
{
    config c;
    char err[256];
    config_defaults(&c);
    cr_assert_str_eq(c.listen_host, "127.0.0.1");
    cr_assert_eq(c.listen_port, 8080);
    cr_assert_eq(c.stream_timeout_ms, 10000);
    cr_assert_eq(c.ping_interval_ms, 5000);
    setenv("CALLPRINT_LISTEN", "0.0.0.0:0", 1);
    setenv("CALLPRINT_MAX_STREAMS", "7", 1);
    setenv("CALLPRINT_MASK_NUMBERS", "off", 1);
    setenv("CALLPRINT_TWILIO_AUTH_TOKEN", "tok-123", 1);
    cr_assert_eq(config_load_env(&c, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(c.listen_host, "0.0.0.0");
    cr_assert_eq(c.listen_port, 0);
    cr_assert_eq(c.max_streams, 7);
    cr_assert_not(c.mask_numbers);
    char out[4096];
    config_describe(&c, out, sizeof out);
    cr_assert(strstr(out, "twilio_auth_token=(set)"), "%s", out);
    cr_assert_null(strstr(out, "tok-123"), "secret printed");
    cr_assert(strstr(out, "max_streams=7"));
}

Test(config, bad_values_name_the_setting)
{
    config c;
    char err[256];
    config_defaults(&c);
    cr_assert_eq(config_set(&c, "listen", "8080", err, sizeof err), -1);
    cr_assert(strstr(err, "listen"), "%s", err);
    cr_assert_eq(config_set(&c, "listen", "host:99999", err, sizeof err), -1);
    cr_assert_eq(config_set(&c, "max_streams", "0", err, sizeof err), -1);
    cr_assert(strstr(err, "max_streams"), "%s", err);
    cr_assert_eq(config_set(&c, "max_streams", "12abc", err, sizeof err), -1);
    cr_assert_eq(config_set(&c, "mask_numbers", "maybe", err, sizeof err), -1);
    cr_assert_eq(config_set(&c, "log_level", "loud", err, sizeof err), -1);
    cr_assert_eq(config_set(&c, "public_url", "http://x", err, sizeof err), -1);
    cr_assert_eq(config_set(&c, "no_such_thing", "1", err, sizeof err), -1);
    cr_assert(strstr(err, "no_such_thing"), "%s", err);
    cr_assert_eq(config_set(&c, "listen", "[::1]:9000", err, sizeof err), 0);
    cr_assert_str_eq(c.listen_host, "::1");
    cr_assert_eq(c.listen_port, 9000);
}

/* ---- stream bookkeeping ---- */

static stream *mk(const char *sid)
{
    tw_msg m;
    memset(&m, 0, sizeof m);
    m.event = TW_EV_START;
    snprintf(m.stream_sid, sizeof m.stream_sid, "%s", sid);
    snprintf(m.u.start.call_sid, sizeof m.u.start.call_sid, "CA-%s", sid);
    snprintf(m.u.start.format.encoding, sizeof m.u.start.format.encoding, "audio/x-alaw");
    m.u.start.tracks = TW_TRACK_INBOUND | TW_TRACK_OUTBOUND;
    m.u.start.n_params = 1;
    snprintf(m.u.start.params[0].key, TW_PARAM_KEY_MAX, "external_id");
    snprintf(m.u.start.params[0].value, TW_PARAM_VALUE_MAX, "alice");
    stream *s = stream_new(&m, NULL, DIALECT_TWILIO, 0);
    cr_assert_not_null(s);
    return s;
}

Test(stream_state, identity_and_generated_uuid4)
{
    stream *s = mk("MZ1");
    cr_assert(tw_uuid4_valid(s->uuid), "%s", s->uuid);
    cr_assert_eq(s->law, G711_ALAW);
    cr_assert_str_eq(stream_param(s, "external_id"), "alice");
    cr_assert_null(stream_param(s, "nope"));
    stream *t = mk("MZ2");
    cr_assert_str_neq(s->uuid, t->uuid);
    stream_free(s);
    stream_free(t);
}

Test(stream_state, gap_tolerance_boundary_and_tracks)
{
    stream *s = mk("MZ1");
    cr_assert_not(stream_account_media(s, TW_TRACK_INBOUND, 1, 0, 160));
    cr_assert_not(stream_account_media(s, TW_TRACK_INBOUND, 2, 40, 160)); /* +20: tolerated */
    cr_assert(stream_account_media(s, TW_TRACK_INBOUND, 3, 81, 160));     /* +21: gap */
    cr_assert_eq(s->track[0].gaps, 1);
    cr_assert_eq(s->track[0].gap_ms, 21);
    cr_assert(stream_account_media(s, TW_TRACK_INBOUND, 3, 101, 160)); /* same chunk again */
    cr_assert_eq(s->track[0].out_of_order, 1);
    cr_assert_not(stream_account_media(s, TW_TRACK_INBOUND, 4, 101, 80)); /* 10 ms frame */
    cr_assert_not(stream_account_media(s, TW_TRACK_INBOUND, 5, 111, 160));
    cr_assert_eq(s->track[0].bytes, 160 * 5 + 80);
    /* the outbound track has its own clock and counters */
    cr_assert_not(stream_account_media(s, TW_TRACK_OUTBOUND, 1, 5000, 160));
    cr_assert_eq(s->track[1].media, 1);
    cr_assert_eq(s->track[0].media, 6);
    cr_assert_float_eq(stream_seconds(s, TW_TRACK_INBOUND), (160.0 * 5 + 80) / 8000, 1e-9);
    stream_free(s);
}

Test(stream_state, dtmf_keeps_latest_and_counts_all)
{
    stream *s = mk("MZ1");
    for (int i = 0; i < STREAM_DTMF_KEEP + 10; i++)
        stream_account_dtmf(s, (char)('0' + i % 10));
    cr_assert_eq(s->dtmf_count, STREAM_DTMF_KEEP + 10);
    cr_assert_eq(strlen(s->dtmf), STREAM_DTMF_KEEP);
    cr_assert_eq(s->dtmf[STREAM_DTMF_KEEP - 1], '0' + (STREAM_DTMF_KEEP + 9) % 10);
    stream_free(s);
}

Test(stream_state, pending_marks_are_bounded)
{
    stream *s = mk("MZ1");
    char name[32];
    for (int i = 0; i < STREAM_MARKS_MAX; i++) {
        snprintf(name, sizeof name, "m%d", i);
        cr_assert(stream_mark_add(s, name));
    }
    cr_assert_not(stream_mark_add(s, "one-too-many"));
    cr_assert(stream_mark_remove(s, "m5"));
    cr_assert_not(stream_mark_remove(s, "m5"));
    cr_assert_eq(s->n_pending, STREAM_MARKS_MAX - 1);
    cr_assert_str_eq(s->pending_marks[5], "m6");
    stream_free(s);
}

/* ---- registry ---- */

static int started, stopped;
static int count_start(void *ud, stream *s, void **st)
{
    (void)ud, (void)s;
    *st = &started;
    started++;
    return 0;
}
static int refuse_start(void *ud, stream *s, void **st)
{
    (void)ud, (void)s, (void)st;
    return -1;
}
static void count_stop(void *ud, stream *s, void *st, stream_end_reason why)
{
    (void)ud, (void)s, (void)why;
    cr_assert_eq(st, &started);
    stopped++;
}

Test(registry, admission_lookup_and_sink_pairs)
{
    registry *r = registry_new(2);
    audio_sink a = {.name = "a", .on_start = count_start, .on_stop = count_stop};
    cr_assert_eq(registry_add_sink(r, &a), 0);
    stream *s1 = mk("MZ1"), *s2 = mk("MZ2"), *s3 = mk("MZ3");
    cr_assert_eq(registry_admit(r, s1), REG_OK);
    cr_assert_eq(registry_admit(r, s2), REG_OK);
    cr_assert_eq(registry_admit(r, s3), REG_NO_SLOT);
    cr_assert_eq(registry_by_uuid(r, s2->uuid), s2);
    cr_assert_eq(registry_by_stream_sid(r, "MZ1"), s1);
    cr_assert_eq(registry_by_call_sid(r, "CA-MZ2"), s2);
    cr_assert_null(registry_by_stream_sid(r, "MZ3"));
    size_t n = 0;
    for (stream *it = registry_first(r); it; it = registry_next(it))
        n++;
    cr_assert_eq(n, 2);
    registry_remove(r, s1, STREAM_END_STOP);
    cr_assert_null(registry_by_uuid(r, s1->uuid));
    snprintf(s3->uuid, sizeof s3->uuid, "%s", s2->uuid);
    cr_assert_eq(registry_admit(r, s3), REG_DUPLICATE);
    stream_uuid4(s3->uuid);
    registry_set_maintenance(r, true);
    cr_assert_eq(registry_admit(r, s3), REG_MAINTENANCE);
    registry_set_maintenance(r, false);
    cr_assert_eq(registry_admit(r, s3), REG_OK);
    registry_remove(r, s2, STREAM_END_CLOSED);
    registry_remove(r, s3, STREAM_END_TIMEOUT);
    cr_assert_eq(registry_count(r), 0);
    cr_assert_eq(started, 3);
    cr_assert_eq(stopped, 3);
    const registry_stats *st = registry_get_stats(r);
    cr_assert_eq(st->started, 3);
    cr_assert_eq(st->refused, 3);
    cr_assert_eq(st->ended_by[STREAM_END_TIMEOUT], 1);
    registry_free(r);
    stream_free(s1);
    stream_free(s2);
    stream_free(s3);
}

Test(registry, a_refusing_sink_undoes_the_ones_that_accepted)
{
    registry *r = registry_new(10);
    audio_sink a = {.name = "a", .on_start = count_start, .on_stop = count_stop};
    audio_sink b = {.name = "b", .on_start = refuse_start};
    registry_add_sink(r, &a);
    registry_add_sink(r, &b);
    stream *s = mk("MZ1");
    started = stopped = 0;
    cr_assert_eq(registry_admit(r, s), REG_NO_CAPACITY);
    cr_assert_eq(started, 1);
    cr_assert_eq(stopped, 1, "sink a saw a start without a stop");
    cr_assert_eq(registry_count(r), 0);
    registry_free(r);
    stream_free(s);
}

/* The registry hands each sink its slot; the state a sink's on_start sets is what
 * stream_sink_state(s, slot) gives back, and nothing beyond STREAM_SINKS_MAX is taken. */
static int keep_start(void *ud, stream *s, void **state)
{
    (void)s;
    *state = ud;
    return 0;
}

Test(registry, each_sink_gets_its_slot)
{
    registry *r = registry_new(4);
    static char tags[STREAM_SINKS_MAX];
    audio_sink k[STREAM_SINKS_MAX + 1];
    for (int i = 0; i < STREAM_SINKS_MAX; i++) {
        k[i] = (audio_sink){.name = "k", .ud = &tags[i], .on_start = i == 1 ? NULL : keep_start};
        cr_assert_eq(registry_add_sink(r, &k[i]), i);
    }
    k[STREAM_SINKS_MAX] = k[0];
    cr_assert_eq(registry_add_sink(r, &k[STREAM_SINKS_MAX]), -1);
    stream *s = mk("MZ1");
    cr_assert_eq(registry_admit(r, s), REG_OK);
    for (int i = 0; i < STREAM_SINKS_MAX; i++)
        cr_assert_eq(stream_sink_state(s, i), i == 1 ? NULL : (void *)&tags[i]);
    cr_assert_null(stream_sink_state(s, -1));
    cr_assert_null(stream_sink_state(NULL, 0));
    registry_remove(r, s, STREAM_END_STOP);
    registry_free(r);
    stream_free(s);
}

/* ---- outq ---- */

Test(outq, bounded_fifo_with_headroom)
{
    outq q;
    outq_init(&q, 3, 16);
    cr_assert_eq(outq_push(&q, "a", 1), 0);
    cr_assert_eq(outq_push(&q, "bb", 2), 0);
    cr_assert_eq(outq_push(&q, "ccc", 3), 0);
    cr_assert_eq(outq_push(&q, "dddd", 4), -1);
    cr_assert_eq(q.dropped, 1);
    outq_frame *f = outq_peek(&q);
    cr_assert_eq(f->len, 1);
    cr_assert_eq(memcmp(outq_payload(&q, f), "a", 1), 0);
    outq_pop(&q);
    cr_assert_eq(memcmp(outq_payload(&q, outq_peek(&q)), "bb", 2), 0);
    cr_assert_eq(outq_push(&q, "e", 1), 0);
    outq_clear(&q);
    cr_assert_null(outq_peek(&q));
    cr_assert_eq(q.n, 0);
}

/* ---- audio file reading (audio/audio.h) ---- */

static void write_wav(const char *path, int rate, int channels, size_t frames, double hz)
{
    SF_INFO info = {.samplerate = rate, .channels = channels,
                    .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    cr_assert_not_null(f, "%s", sf_strerror(NULL));
    short *buf = calloc(frames * (size_t)channels, sizeof *buf);
    for (size_t i = 0; i < frames; i++)
        for (int c = 0; c < channels; c++)
            buf[i * (size_t)channels + (size_t)c] = (short)(8000 * sin(2 * M_PI * hz * (double)i / rate));
    cr_assert_eq(sf_writef_short(f, buf, (sf_count_t)frames), (sf_count_t)frames);
    sf_close(f);
    free(buf);
}

/* A new empty file named after the template (its XXXXXX replaced), for the test to fill. */
static void temp_file(char *path)
{
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
}

Test(audiofile, resamples_to_8k_and_refuses_stereo_and_garbage)
{
    char path[] = "/tmp/callprint-gw-wavXXXXXX";
    temp_file(path);
    char err[512];
    int16_t *pcm;
    size_t n;
    write_wav(path, 16000, 1, 16000, 440.0); /* 1 s at 16 kHz */
    cr_assert_eq(bio_audio_read(path, &pcm, &n, err, sizeof err), 0, "%s", err);
    cr_assert_eq(n, 8000);
    /* a 440 Hz tone survives: count zero crossings over the middle of the signal */
    int zc = 0;
    for (size_t i = 1000; i < 7000; i++)
        zc += (pcm[i - 1] < 0) != (pcm[i] < 0);
    cr_assert(zc >= 650 && zc <= 670, "%d zero crossings in 0.75 s of 440 Hz", zc);
    free(pcm);
    write_wav(path, 8000, 2, 800, 300.0);
    cr_assert_eq(bio_audio_read(path, &pcm, &n, err, sizeof err), -1);
    cr_assert(strstr(err, "2 channels"), "%s", err);
    FILE *f = fopen(path, "w");
    fputs("RIFF this is not a wave file", f);
    fclose(f);
    cr_assert_eq(bio_audio_read(path, &pcm, &n, err, sizeof err), -1);
    cr_assert(strstr(err, path), "%s", err);
    unlink(path);
}

Test(stream_state, json_description)
{
    stream *s = mk("MZ1");
    stream_account_media(s, TW_TRACK_INBOUND, 1, 0, 160);
    stream_account_media(s, TW_TRACK_INBOUND, 2, 100, 160);
    stream_account_dtmf(s, '7');
    cJSON *j = stream_to_json(s, 1500);
    cr_assert_not_null(j);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "uuid")->valuestring, s->uuid);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "encoding")->valuestring, "audio/x-alaw");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "tracks")), 2);
    cr_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "customParameters"), "external_id")->valuestring,
        "alice");
    cJSON *in = cJSON_GetObjectItem(j, "inbound");
    cr_assert_eq(cJSON_GetObjectItem(in, "gaps")->valueint, 1);
    cr_assert_eq(cJSON_GetObjectItem(in, "gap_ms")->valueint, 80);
    cr_assert_float_eq(cJSON_GetObjectItem(in, "seconds")->valuedouble, 0.04, 1e-9);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "dtmf"), "digits")->valuestring,
                     "7");
    cr_assert_eq(cJSON_GetObjectItem(j, "age_ms")->valueint, 1500);
    cJSON_Delete(j);
    stream_free(s);
}

/* ---- log ---- */

Test(log, every_line_is_valid_json_even_with_non_utf8_input)
{
    char path[] = "/tmp/callprint-gw-logXXXXXX";
    temp_file(path);
    cr_assert_eq(log_open(path, LOG_INFO), 0);
    log_write(LOG_WARN, "uuid-1", NULL,
              LOG_KV("path", "/a\xff\xfe/\xe2\x82\xac/\xed\xa0\x80/\"q\"\n"), "bad \xc0\xaf %s",
              "x");
    log_open("-", LOG_WARN);
    FILE *f = fopen(path, "r");
    char line[4096];
    cr_assert_not_null(fgets(line, sizeof line, f));
    fclose(f);
    unlink(path);
    cJSON *j = cJSON_Parse(line);
    cr_assert_not_null(j, "not JSON: %s", line);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "path")->valuestring,
                     "/a\xef\xbf\xbd\xef\xbf\xbd/\xe2\x82\xac/\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd/\"q\"\n");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "msg")->valuestring, "bad \xef\xbf\xbd\xef\xbf\xbd x");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "stream")->valuestring, "uuid-1");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "level")->valuestring, "warn");
    cJSON_Delete(j);
}
