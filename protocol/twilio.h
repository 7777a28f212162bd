/* twilio.h -- the Twilio media-stream wire format, both directions, both dialects.
 *
 * Inbound (telephony platform -> callprint) text frames are parsed by tw_parse() into a
 * tw_msg, a plain struct with fixed-size fields: no allocation survives the call, so the
 * gateway can keep one tw_msg per connection and reuse it for every frame. Field types are
 * Twilio's (sequenceNumber, chunk and timestamp are JSON strings holding decimal integers;
 * mediaFormat.sampleRate and channels are numbers); a wrong type is an error naming the field.
 * Media payloads are decoded (strict base64) into the caller's buffer; G.711 -> PCM is left
 * to the caller (see g711.h) so that outbound-track audio need not be converted.
 *
 * Outbound (callprint -> client) messages are produced by the tw_build_* functions into a
 * caller buffer. Two dialects:
 *   - Twilio: only what Twilio documents for bidirectional streams (media, mark, clear);
 *     a Twilio client never receives anything else.
 *   - Voice Verify (its manual): acknowledgements and errors {id, uuid, event, msg, status},
 *     the connected ack and the keep-alive ping: voiceverify.h.
 *
 * Pure code: no I/O, no globals of its own; every function may be called from any thread.
 * (One caveat from cJSON 1.7.15: every parse resets cJSON's own global error slot, a benign
 * race ThreadSanitizer would report if several threads parsed at once; callprint parses
 * frames on the loop thread only.)
 */
#ifndef CALLPRINT_TWILIO_H
#define CALLPRINT_TWILIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TW_MAX_MESSAGE (64 * 1024) /* largest text frame accepted */
#define TW_SID_MAX 64              /* streamSid/callSid/accountSid buffer (Twilio: 34) */
#define TW_NAME_MAX 128            /* mark names, track names, tokens */
#define TW_MAX_PARAMS 32           /* customParameters entries */
#define TW_PARAM_KEY_MAX 64
#define TW_PARAM_VALUE_MAX 512

typedef enum {
    TW_EV_CONNECTED = 0,
    TW_EV_START,
    TW_EV_MEDIA,
    TW_EV_DTMF,
    TW_EV_MARK,
    TW_EV_STOP,
} tw_event;

/* Track bits (start.tracks, media.track). */
enum { TW_TRACK_INBOUND = 1, TW_TRACK_OUTBOUND = 2 };

typedef enum {
    TW_OK = 0,
    TW_ERR_TOO_LARGE,   /* frame over TW_MAX_MESSAGE */
    TW_ERR_JSON,        /* not valid JSON / not an object */
    TW_ERR_EVENT,       /* missing or unknown "event" */
    TW_ERR_MISSING,     /* a required field is absent */
    TW_ERR_TYPE,        /* a field has the wrong JSON type */
    TW_ERR_VALUE,       /* right type, invalid value (non-decimal counter, unknown track, ...) */
    TW_ERR_BASE64,      /* media.payload is not strict base64 */
    TW_ERR_PAYLOAD_SIZE /* decoded payload larger than the caller's buffer */
} tw_status;

typedef struct {
    tw_status status;
    char field[64];     /* JSON path of the offending field, e.g. "media.timestamp" */
    char message[160];  /* human-readable, safe to send back or log (no payload data) */
} tw_error;

typedef struct {
    char key[TW_PARAM_KEY_MAX];
    char value[TW_PARAM_VALUE_MAX];
} tw_param;

typedef struct {
    char encoding[32]; /* "audio/x-mulaw" or "audio/x-alaw" */
    int sample_rate;   /* 8000 */
    int channels;      /* 1 */
} tw_media_format;

typedef struct {
    tw_event event;
    char stream_sid[TW_SID_MAX]; /* top-level streamSid ("" for connected) */
    bool has_sequence;
    uint64_t sequence_number;

    union {
        struct {
            char protocol[32];
            char version[32];
        } connected;
        struct {
            char account_sid[TW_SID_MAX];
            char call_sid[TW_SID_MAX];
            char stream_sid[TW_SID_MAX]; /* start.streamSid (Twilio repeats it) */
            unsigned tracks;             /* TW_TRACK_* bits */
            tw_media_format format;
            size_t n_params;
            tw_param params[TW_MAX_PARAMS];
        } start;
        struct {
            unsigned track; /* TW_TRACK_INBOUND or TW_TRACK_OUTBOUND */
            uint64_t chunk;
            uint64_t timestamp_ms;
            size_t payload_len; /* bytes decoded into the caller's payload buffer */
        } media;
        struct {
            unsigned track;
            char digit[8];
        } dtmf;
        struct {
            char name[TW_NAME_MAX];
        } mark;
        struct {
            char account_sid[TW_SID_MAX];
            char call_sid[TW_SID_MAX];
        } stop;
    } u;
} tw_msg;

/* Parse one inbound text frame of `len` bytes (need not be NUL-terminated). For media, the
 * payload is base64-decoded into `payload` (capacity `payload_cap`); pass NULL/0 for other
 * events. Returns TW_OK or an error described in *err (err may be NULL).
 * On error the rest of *out is unspecified, except: out->stream_sid is the frame's streamSid
 * when it could be read ("" otherwise), so the error can be charged to that stream alone, and
 * out->event is the frame's event unless the status is TW_ERR_TOO_LARGE, TW_ERR_JSON or
 * TW_ERR_EVENT, or err->field is "event". */
tw_status tw_parse(const char *json, size_t len, tw_msg *out, uint8_t *payload, size_t payload_cap,
                   tw_error *err);

const char *tw_event_name(tw_event ev);
const char *tw_status_name(tw_status st);

/* Look up a custom parameter of a parsed start message; NULL when absent. */
const char *tw_param_get(const tw_msg *start, const char *key);

/* Validators used by the Voice Verify dialect. */
bool tw_sid_valid(const char *sid);    /* exactly 34 chars of [A-Za-z0-9] */
bool tw_uuid4_valid(const char *uuid); /* canonical 8-4-4-4-12 hex, version 4, RFC variant */

/* ---- Outbound builders. Each writes a NUL-terminated JSON text into buf (capacity cap) and
 * returns its length, or -1 if cap is too small. Strings are JSON-escaped. ---- */

/* Twilio bidirectional: {"event":"media","streamSid":..,"media":{"payload":base64(ulaw)}} */
int tw_build_media(char *buf, size_t cap, const char *stream_sid, const uint8_t *ulaw, size_t n);
/* {"event":"mark","streamSid":..,"mark":{"name":..}} -- also the echo of a played mark */
int tw_build_mark(char *buf, size_t cap, const char *stream_sid, const char *name);
/* {"event":"clear","streamSid":..} */
int tw_build_clear(char *buf, size_t cap, const char *stream_sid);

/* ---- Inbound messages, as a telephony platform sends them (callprint-call, tests). Same
 * return convention. Key order follows Twilio's documented examples. ---- */

typedef struct {
    uint64_t sequence_number; /* Twilio: "1" */
    const char *stream_sid;   /* written both at top level and in start */
    const char *account_sid;  /* NULL or "" allowed (Voice Verify dialect) */
    const char *call_sid;
    unsigned tracks; /* TW_TRACK_* bits */
    bool alaw;       /* mediaFormat.encoding "audio/x-alaw" instead of "audio/x-mulaw" */
    const tw_param *params;
    size_t n_params;
} tw_start_info;

/* {"event":"connected","protocol":"Call","version":"1.0.0"} */
int tw_build_connected(char *buf, size_t cap);
int tw_build_start(char *buf, size_t cap, const tw_start_info *info);
/* media with track "inbound"/"outbound" (TW_TRACK_*), counters as decimal strings and the
 * audio bytes (G.711 codes) base64-encoded. */
int tw_build_media_in(char *buf, size_t cap, uint64_t seq, const char *stream_sid,
                      unsigned track, uint64_t chunk, uint64_t timestamp_ms, const uint8_t *audio,
                      size_t n);
/* dtmf {"track":"inbound_track","digit":"<digit>"} */
int tw_build_dtmf(char *buf, size_t cap, uint64_t seq, const char *stream_sid, char digit);
/* mark as Twilio echoes it back once the audio before it has played. */
int tw_build_mark_in(char *buf, size_t cap, uint64_t seq, const char *stream_sid,
                     const char *name);
int tw_build_stop(char *buf, size_t cap, uint64_t seq, const char *stream_sid,
                  const char *account_sid, const char *call_sid);

#endif
