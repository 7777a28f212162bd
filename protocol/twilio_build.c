/* twilio_build.c -- the media-stream messages callprint writes, both dialects.
 *
 * Builders write straight into the caller's buffer through a tiny append-only writer
 * (json_writer.h) that records overflow instead of checking after every call: a builder appends
 * everything, then returns the length or -1 if anything did not fit. Strings are
 * JSON-escaped ('"', '\\', and control characters; UTF-8 passes through unchanged), so a
 * mark name or a custom parameter can never break the frame. Key order is fixed and follows
 * the documented examples, which keeps the output byte-for-byte predictable for tests.
 *
 * Two groups (the Voice Verify dialect's replies are voiceverify.c's):
 *   - Twilio bidirectional replies (media, mark, clear): the only messages a Twilio client
 *     may receive from us;
 *   - the inbound messages themselves (connected, start, media, dtmf, mark, stop), as a
 *     telephony platform sends them: used by callprint-call and by the tests.
 */
#include "twilio.h"

#include "base64.h"
#include "json_writer.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- Twilio bidirectional replies --------------------------------------------------- */

int tw_build_media(char *buf, size_t cap, const char *stream_sid, const uint8_t *ulaw, size_t n)
{
    jw w = jw_begin(buf, cap, "media");
    jw_key(&w, "streamSid");
    jw_str(&w, stream_sid);
    jw_lit(&w, ",\"media\":{\"payload\":");
    jw_b64(&w, ulaw, n);
    jw_raw(&w, "}", 1);
    return jw_end(&w);
}

int tw_build_mark(char *buf, size_t cap, const char *stream_sid, const char *name)
{
    jw w = jw_begin(buf, cap, "mark");
    jw_key(&w, "streamSid");
    jw_str(&w, stream_sid);
    jw_lit(&w, ",\"mark\":{\"name\":");
    jw_str(&w, name);
    jw_raw(&w, "}", 1);
    return jw_end(&w);
}

int tw_build_clear(char *buf, size_t cap, const char *stream_sid)
{
    jw w = jw_begin(buf, cap, "clear");
    jw_key(&w, "streamSid");
    jw_str(&w, stream_sid);
    return jw_end(&w);
}

/* ---- Inbound messages (what a telephony platform sends) ----------------------------- */

/* {"event":E,"sequenceNumber":"N" -- the common opening of every inbound message. */
static jw jw_begin_inbound(char *buf, size_t cap, const char *event, uint64_t seq)
{
    jw w = jw_begin(buf, cap, event);
    jw_key(&w, "sequenceNumber");
    jw_counter(&w, seq);
    return w;
}

static int jw_end_inbound(jw *w, const char *stream_sid)
{
    jw_key(w, "streamSid");
    jw_str(w, stream_sid);
    return jw_end(w);
}

int tw_build_connected(char *buf, size_t cap)
{
    jw w = jw_begin(buf, cap, "connected");
    jw_lit(&w, ",\"protocol\":\"Call\",\"version\":\"1.0.0\"");
    return jw_end(&w);
}

int tw_build_start(char *buf, size_t cap, const tw_start_info *info)
{
    jw w = jw_begin_inbound(buf, cap, "start", info->sequence_number);
    jw_lit(&w, ",\"start\":{\"accountSid\":");
    jw_str(&w, info->account_sid);
    jw_key(&w, "streamSid");
    jw_str(&w, info->stream_sid);
    jw_key(&w, "callSid");
    jw_str(&w, info->call_sid);
    jw_lit(&w, ",\"tracks\":[");
    if (info->tracks & TW_TRACK_INBOUND)
        jw_lit(&w, "\"inbound\"");
    if (info->tracks & TW_TRACK_OUTBOUND)
        jw_lit(&w, info->tracks & TW_TRACK_INBOUND ? ",\"outbound\"" : "\"outbound\"");
    jw_lit(&w, "],\"mediaFormat\":{\"encoding\":");
    jw_str(&w, info->alaw ? "audio/x-alaw" : "audio/x-mulaw");
    jw_lit(&w, ",\"sampleRate\":8000,\"channels\":1},\"customParameters\":{");
    for (size_t i = 0; i < info->n_params; i++) {
        if (i)
            jw_raw(&w, ",", 1);
        jw_str(&w, info->params[i].key);
        jw_raw(&w, ":", 1);
        jw_str(&w, info->params[i].value);
    }
    jw_lit(&w, "}}");
    return jw_end_inbound(&w, info->stream_sid);
}

int tw_build_media_in(char *buf, size_t cap, uint64_t seq, const char *stream_sid,
                      unsigned track, uint64_t chunk, uint64_t timestamp_ms, const uint8_t *audio,
                      size_t n)
{
    jw w = jw_begin_inbound(buf, cap, "media", seq);
    jw_lit(&w, ",\"media\":{\"track\":");
    jw_str(&w, track == TW_TRACK_OUTBOUND ? "outbound" : "inbound");
    jw_key(&w, "chunk");
    jw_counter(&w, chunk);
    jw_key(&w, "timestamp");
    jw_counter(&w, timestamp_ms);
    jw_key(&w, "payload");
    jw_b64(&w, audio, n);
    jw_raw(&w, "}", 1);
    return jw_end_inbound(&w, stream_sid);
}

/* An inbound event whose object ends with one string: `opening` is ,"<event>":{ and the members
 * before it, up to that string's key (the DTMF digit, the mark's name). */
static int build_inbound_string(char *buf, size_t cap, const char *event, uint64_t seq,
                                const char *stream_sid, const char *opening, const char *value)
{
    jw w = jw_begin_inbound(buf, cap, event, seq);
    jw_lit(&w, opening);
    jw_str(&w, value);
    jw_raw(&w, "}", 1);
    return jw_end_inbound(&w, stream_sid);
}

int tw_build_dtmf(char *buf, size_t cap, uint64_t seq, const char *stream_sid, char digit)
{
    char d[2] = {digit, '\0'};
    return build_inbound_string(buf, cap, "dtmf", seq, stream_sid,
                                ",\"dtmf\":{\"track\":\"inbound_track\",\"digit\":", d);
}

int tw_build_mark_in(char *buf, size_t cap, uint64_t seq, const char *stream_sid,
                     const char *name)
{
    return build_inbound_string(buf, cap, "mark", seq, stream_sid, ",\"mark\":{\"name\":", name);
}

int tw_build_stop(char *buf, size_t cap, uint64_t seq, const char *stream_sid,
                  const char *account_sid, const char *call_sid)
{
    jw w = jw_begin_inbound(buf, cap, "stop", seq);
    jw_lit(&w, ",\"stop\":{\"accountSid\":");
    jw_str(&w, account_sid);
    jw_key(&w, "callSid");
    jw_str(&w, call_sid);
    jw_raw(&w, "}", 1);
    return jw_end_inbound(&w, stream_sid);
}
