/* callsim.h -- plays PCM into /stream the way Twilio does: the core of callprint-call and
 * of the load generator.
 *
 * One callsim is one call: a WebSocket connection (wsclient.h) carrying one stream. It sends
 * connected, start, 20 ms media frames (paced from the monotonic clock, or as fast as the
 * socket takes them), DTMF digits at chosen times, then stop, and closes. It behaves like
 * Twilio's side of a bidirectional stream: audio the server sends is "played" in real time,
 * a mark is echoed once the audio queued before it has played, and a clear drops the queued
 * audio and returns every pending mark at once. Everything received is counted for the
 * summary. Many callsims can share one wsc_ctx and one loop.
 */
#ifndef CALLPRINT_CALLSIM_H
#define CALLPRINT_CALLSIM_H

#include <uv.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/wsclient.h"

#define CALLSIM_FRAME_MS 20
#define CALLSIM_DTMF_MAX 32
#define CALLSIM_STATUSES_MAX 32
#define CALLSIM_ACK_TIMEOUT_MS 5000ULL /* Voice Verify: wait this long for the start ack */

typedef struct {
    const char *url;        /* ws://host:port/stream[?dialect=voiceverify] */
    bool voiceverify;       /* expect acks: wait for the 201 before media, 204 before close */
    const char *stream_sid; /* NULL: random MZ... */
    const char *call_sid;   /* NULL: random CA... */
    const char *account_sid;/* NULL: random AC... */
    const char *const *params; /* customParameters, n_params key/value pairs */
    size_t n_params;
    bool alaw;
    bool fast;              /* no real-time pacing */
    const char *dtmf;       /* digits to send (NULL: none) */
    const int *dtmf_ms;     /* their times from the start of audio; NULL: evenly spread */
    const char *sign_token; /* add X-Twilio-Signature computed with this auth token */
    const char *public_url; /* base URL the server signs against (default: from url) */
    int linger_ms;          /* after stop, wait this long for replies (default 300) */
    bool borrow_pcm;        /* keep a pointer to pcm instead of a copy (the load generator
                               shares one buffer between thousands of calls): it must
                               outlive the call */
    /* Real-time pacing only: called after each media frame is queued, with how late it was
     * (queue time minus its due time t0 + 20 ms * i, ns). NULL: none. */
    void (*on_media)(void *arg, uint64_t lag_ns);
    void *on_media_arg;
} callsim_opts;

typedef struct {
    uint64_t sent_messages, sent_media, sent_dtmf, sent_audio_bytes, marks_echoed;
    uint64_t recv_messages, recv_media, recv_mark, recv_clear, recv_connected, recv_ping,
        recv_replies, recv_unknown;
    int statuses[CALLSIM_STATUSES_MAX]; /* Voice Verify reply statuses, in order */
    size_t n_statuses;
    int http_status; /* upgrade refused with this status */
    int close_code;  /* close code received from the server */
    bool opened, finished;
    double seconds;  /* wall time from open to close */
} callsim_summary;

typedef struct callsim callsim;

/* Start a call playing n samples of 8 kHz PCM (copied). done() runs once when the
 * connection has closed; free the callsim then (or later) with callsim_free. */
callsim *callsim_start(wsc_ctx *x, uv_loop_t *loop, const callsim_opts *o, const int16_t *pcm,
                       size_t n, void (*done)(callsim *c, void *ud), void *ud);
const callsim_summary *callsim_summary_get(const callsim *c);
const char *callsim_stream_sid(const callsim *c);
/* The summary as one JSON object. */
int callsim_summary_json(const callsim *c, char *buf, size_t cap);
/* Abort: close the connection now (done() still runs). */
void callsim_hangup(callsim *c);
/* A Twilio-style sid: the two letters of prefix + 32 random hex digits (35 bytes). */
void callsim_random_sid(char *out, const char *prefix);
/* Release; closes the timer handle (the memory goes when the loop runs). */
void callsim_free(callsim *c);

#endif
