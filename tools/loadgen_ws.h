/* loadgen_ws.h -- the load generator's stream sender: thousands of Twilio streams from one
 * thread, cheaply enough that the generator is not what is measured.
 *
 * Why not callsim/wsclient (the player's client): with libwebsockets each 20 ms frame costs
 * a writable callback (a poll round trip) and each call its own timer; at thousands of
 * streams the generator then needs more CPU than the gateway it measures. Here a stream is a
 * plain libuv TCP connection that does the RFC 6455 client handshake itself and writes each
 * masked frame with uv_try_write (uv_write only for what the socket does not take at once).
 * One 1 ms timer drives every stream: streams are kept in 20 buckets by the millisecond of
 * their start modulo 20 ms, and each tick visits only the buckets whose millisecond has
 * come, so a tick costs the streams that are due, not all of them. Start times are whole
 * milliseconds so every frame's due time t0 + 20 ms * i falls on a tick.
 *
 * The messages are the protocol module's (tw_build_*): what Twilio sends, byte for byte. The
 * audio is G.711-encoded once and shared by every stream. Frames from the server are parsed
 * only to notice a close (its code is reported); text frames are counted.
 *
 * Several streams per connection (k, the Voice Verify manual's multiplexing, which the
 * gateway also accepts from Twilio-dialect clients up to max_streams_per_conn) cut the
 * generator's and the gateway's per-message system calls; k = 1 is what Twilio does.
 *
 * Lifecycle of a stream: connect, upgrade (a non-101 answer is a refusal with its status),
 * connected + start, the frames in real time, stop, then after linger a close frame and a
 * TCP shutdown; done() runs once when the handle is closed, whatever happened.
 */
#ifndef CALLPRINT_LOADGEN_WS_H
#define CALLPRINT_LOADGEN_WS_H

#include <uv.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twilio.h"

typedef struct lgws lgws;
typedef struct lgws_stream lgws_stream;

typedef struct {
    bool opened;          /* the upgrade was accepted */
    int http_status;      /* the upgrade's status when refused, 0 otherwise */
    int close_code;       /* the close code the server sent (0: none) */
    bool server_closed;   /* the server closed (close frame or EOF) before we did */
    uint64_t sent_messages, sent_media, recv_messages;
    size_t frames;        /* media frames the streams had to send */
    size_t max_pending;   /* most bytes ever waiting in the socket's write queue */
} lgws_summary;

typedef struct {
    struct sockaddr_in addr;    /* the gateway (IPv4 loopback) */
    const char *host_header;    /* "127.0.0.1:PORT" */
    const char *path;           /* "/stream?..." */
    const char *signature;      /* X-Twilio-Signature value, or NULL */
    const uint8_t *ulaw;        /* the audio, G.711 u-law, shared (borrowed) */
    size_t n;                   /* bytes = samples */
    int linger_ms;              /* between stop and close (default 300) */
    void (*on_lag)(void *ud, uint64_t lag_ns);           /* each media frame */
    /* Once per connection: its k streams (index..index+k-1) share the summary, whose
     * counters are the sums over them. */
    void (*on_done)(void *ud, int index, int k, const lgws_summary *s);
    void *ud;
} lgws_options;

lgws *lgws_new(uv_loop_t *loop, const lgws_options *o);
#define LGWS_PER_CONN_MAX 16 /* streams per connection the generator offers */

/* Open a connection carrying k streams (1..LGWS_PER_CONN_MAX), indexes index..index+k-1,
 * each with its own sids and customParameters (params[j], n_params[j]); their frames are
 * written together (one write per 20 ms for the connection). t0 is rounded up to the next
 * whole millisecond. -1 when out of memory (done() is not called then). */
int lgws_start(lgws *x, int index, int k, const tw_param *const *params,
               const size_t *n_params);
/* Streams started and not yet done. */
int lgws_active(const lgws *x);
/* Streams open (upgraded, not closed) now. */
int lgws_open(const lgws *x);
/* Hang up every stream now (done() still runs for each). */
void lgws_hangup_all(lgws *x);
/* Stop the timer; the memory goes once the timer and every stream are closed (hang up
 * first, then run the loop). */
void lgws_close(lgws *x);

/* Pure: the RFC 6455 client frame of a text message, masked with key, into out (cap bytes).
 * Returns its length, or 0 when it does not fit. */
size_t lgws_frame(uint8_t *out, size_t cap, int opcode, const char *payload, size_t len,
                  uint32_t key);
/* Pure: parse one server frame at buf (unmasked). Returns its total length, 0 when more
 * bytes are needed, -1 when malformed; *opcode and the payload slice are set. */
long lgws_parse(const uint8_t *buf, size_t len, int *opcode, const uint8_t **payload,
                size_t *plen);

#endif
