/* harness.h -- in-process gateway for integration tests.
 *
 * One libuv loop in the test thread runs the real server (server.h) on 127.0.0.1:<free
 * port> and real WebSocket clients (wsclient.h, callsim.h) over loopback; a capture sink
 * (audio_sink.h) records the PCM, DTMF, marks and end of every stream. h_run_until() turns
 * the loop until a condition holds or a deadline passes, so tests stay bounded in time.
 * HTTP requests go through libcurl on a helper thread while the loop serves them.
 */
#ifndef CALLPRINT_TEST_HARNESS_H
#define CALLPRINT_TEST_HARNESS_H

#include <uv.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "streams/audio_sink.h"
#include "tools/callsim.h"
#include "core/config.h"
#include "streams/registry.h"
#include "ingest/server.h"
#include "streams/stream.h"
#include "tools/wsclient.h"

#define H_CAPS_MAX 64
#define H_MSGS_MAX 1024

typedef struct {
    char uuid[STREAM_UUID_LEN + 1];
    char sid[TW_SID_MAX];
    stream *live; /* NULL once ended */
    int16_t *pcm;
    size_t n, cap;
    bool stopped;
    stream_end_reason why;
    char dtmf[64];
    char marks[16][TW_NAME_MAX];
    size_t n_marks;
    /* Copied from the stream at its end. */
    stream_track in, out;
    uint64_t errors, messages;
} h_cap;

typedef struct harness harness;

typedef struct {
    harness *h;
    wsc_conn *c;
    bool open, closed;
    int http_status, close_code;
    char *msgs[H_MSGS_MAX];
    size_t n_msgs;
} tconn;

struct harness {
    uv_loop_t loop;
    uv_timer_t guard;
    config cfg;
    server *srv;
    wsc_ctx *ws;
    audio_sink sink;
    h_cap caps[H_CAPS_MAX];
    size_t n_caps;
    bool refuse; /* the capture sink refuses new streams (503) */
    int port;
    tconn *conns[64];
    size_t n_conns;
    char url[256];
};

/* Start a server with defaults + tweak(cfg) (may be NULL). Asserts on failure. */
void h_init(harness *h, void (*tweak)(config *cfg));
/* Shut everything down; asserts that the loop closes with no handle left. */
void h_fini(harness *h);

bool h_run_until(harness *h, bool (*pred)(void *arg), void *arg, int timeout_ms);
void h_run_for(harness *h, int ms);

const char *h_url(harness *h, const char *query); /* ws://127.0.0.1:port/stream[?query] */
h_cap *h_cap_by_sid(harness *h, const char *sid);
/* Wait until a stream with this sid was captured (started). */
h_cap *h_wait_cap(harness *h, const char *sid, int timeout_ms);
bool h_wait_stopped(harness *h, const char *sid, int timeout_ms);

/* Raw test connections: every received text message is kept. */
tconn *tc_connect(harness *h, const char *query, const char *const *hdrs, size_t nh);
tconn *tc_connect_url(harness *h, const char *url, const char *const *hdrs, size_t nh);
void tc_send(tconn *t, const char *text);
void tc_sendf(tconn *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool tc_wait_msgs(tconn *t, size_t n, int timeout_ms);
bool tc_wait_closed(tconn *t, int timeout_ms);
/* The i-th message's integer "status" (-1 if none) and string field (or ""). */
int tc_status(const tconn *t, size_t i);
const char *tc_field(const tconn *t, size_t i, const char *name, char *buf, size_t cap);

/* Message helpers in Twilio's format. */
void tc_start(tconn *t, const char *sid, const char *uuid, bool alaw);
void tc_media(tconn *t, const char *sid, uint64_t chunk, uint64_t ts, const uint8_t *g711,
              size_t n);
void tc_stop(tconn *t, const char *sid);
/* Frame f (20 ms, µ-law) of n samples of PCM, as media chunk f+1 at f*20 ms. Returns false
 * past the end. */
bool tc_frame(tconn *t, const char *sid, const int16_t *pcm, size_t n, size_t f);

/* A 34-character sid "MZ" + n padded with zeros; and a fixed valid UUID4 per n. */
const char *h_sid(char out[35], const char *prefix, unsigned n);
const char *h_uuid(char out[37], unsigned n);

/* Fixture audio (tests/fixtures/audio/NAME) at 8 kHz. Caller frees. */
int16_t *h_fixture(const char *name, size_t *n);

/* Play PCM with a callsim and wait for it to finish. Returns the summary copy. */
callsim_summary h_play(harness *h, const callsim_opts *o, const int16_t *pcm, size_t n,
                       int timeout_ms);

/* HTTP through libcurl on a helper thread. Returns the status (0 on transport error); the
 * body (malloc'd, NUL-terminated) in *body if non-NULL. */
long h_http(harness *h, const char *method, const char *path, const char *const *hdrs,
            size_t nh, const char *req_body, size_t req_len, char **body, int timeout_ms);

/* Validate "<schema>\t<json>" lines in file against schemas/stream with python3. 0 = ok. */
int h_validate_schemas(const char *lines_file);

/* Validate every message t received against schemas/stream (schema picked by shape:
 * vv-connected-ack, vv-ping, vv-reply, twilio-out-media/mark/clear). Asserts. */
void h_assert_schemas(const tconn *t);

#endif
