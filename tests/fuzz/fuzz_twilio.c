/* fuzz_twilio.c -- libFuzzer target for tw_parse, the parser of every inbound frame.
 *
 * Beyond "no crash, no leak, no UB" (ASan + UBSan), it checks what the gateway relies on:
 *   - an error has a status equal to the return value and a non-empty message;
 *   - a success has NUL-terminated strings and a payload no larger than the buffer;
 *   - a parsed media/dtmf/mark/stop message, rebuilt with the tw_build_* builders, parses
 *     back to the same fields and bytes (parser and builders agree on the format);
 *   - whatever the allocation-free media fast path (twilio_fast.c) accepts, the cJSON path
 *     accepts with the same fields and payload bytes (the fast path's one promise).
 * Built as a libFuzzer binary when CALLPRINT_FUZZ is ON; otherwise replay.c runs the seed
 * corpus through it as a regular test.
 */
#include "fuzz_check.h"
#include "twilio_internal.h"

#include <stdlib.h>
#include <string.h>

static void check_terminated(const char *s, size_t cap)
{
    CHECK(memchr(s, '\0', cap) != NULL);
}

/* Rebuild a parsed message and parse it again: the fields must survive. */
static void check_round_trip(const tw_msg *m, const uint8_t *payload)
{
    static char buf[TW_MAX_MESSAGE];
    static tw_msg again;
    static uint8_t back[1024];
    int n = -1;
    switch (m->event) {
    case TW_EV_MEDIA:
        n = tw_build_media_in(buf, sizeof(buf), m->sequence_number, m->stream_sid,
                              m->u.media.track, m->u.media.chunk, m->u.media.timestamp_ms, payload,
                              m->u.media.payload_len);
        break;
    case TW_EV_MARK:
        n = tw_build_mark_in(buf, sizeof(buf), m->sequence_number, m->stream_sid, m->u.mark.name);
        break;
    case TW_EV_STOP:
        n = tw_build_stop(buf, sizeof(buf), m->sequence_number, m->stream_sid,
                          m->u.stop.account_sid, m->u.stop.call_sid);
        break;
    default:
        return;
    }
    CHECK(n > 0);
    CHECK(tw_parse(buf, (size_t)n, &again, back, sizeof(back), NULL) == TW_OK);
    CHECK(again.event == m->event && strcmp(again.stream_sid, m->stream_sid) == 0);
    CHECK(again.sequence_number == m->sequence_number);
    if (m->event == TW_EV_MEDIA) {
        CHECK(again.u.media.track == m->u.media.track);
        CHECK(again.u.media.chunk == m->u.media.chunk);
        CHECK(again.u.media.timestamp_ms == m->u.media.timestamp_ms);
        CHECK(again.u.media.payload_len == m->u.media.payload_len);
        CHECK(memcmp(back, payload, m->u.media.payload_len) == 0);
    } else if (m->event == TW_EV_MARK) {
        CHECK(strcmp(again.u.mark.name, m->u.mark.name) == 0);
    } else {
        CHECK(strcmp(again.u.stop.call_sid, m->u.stop.call_sid) == 0);
        CHECK(strcmp(again.u.stop.account_sid, m->u.stop.account_sid) == 0);
    }
}

/* The fast path and the cJSON path agree on everything the fast path accepts. */
static void check_fast_path(const char *json, size_t size)
{
    static tw_msg fast, full;
    static uint8_t fast_pl[1024], full_pl[1024];
    if (!tw_fast_media(json, size, &fast, fast_pl, sizeof(fast_pl)))
        return;
    CHECK(tw_parse_full(json, size, &full, full_pl, sizeof(full_pl), NULL) == TW_OK);
    CHECK(full.event == TW_EV_MEDIA && fast.event == TW_EV_MEDIA);
    CHECK(strcmp(fast.stream_sid, full.stream_sid) == 0);
    CHECK(fast.has_sequence == full.has_sequence);
    CHECK(fast.sequence_number == full.sequence_number);
    CHECK(fast.u.media.track == full.u.media.track);
    CHECK(fast.u.media.chunk == full.u.media.chunk);
    CHECK(fast.u.media.timestamp_ms == full.u.media.timestamp_ms);
    CHECK(fast.u.media.payload_len == full.u.media.payload_len);
    CHECK(memcmp(fast_pl, full_pl, fast.u.media.payload_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_fast_path((const char *)data, size);
    static tw_msg msg; /* ~18 KB: not on the stack */
    tw_error err;
    uint8_t payload[1024];
    /* One input in seven gets a small buffer, to reach the payload-size errors too. */
    size_t cap = size % 7 == 0 ? 16 : sizeof(payload);
    tw_status st = tw_parse((const char *)data, size, &msg, payload, cap, &err);
    CHECK(err.status == st);
    if (st != TW_OK) {
        CHECK(err.message[0] != '\0');
        check_terminated(err.message, sizeof(err.message));
        return 0;
    }
    check_terminated(msg.stream_sid, sizeof(msg.stream_sid));
    if (msg.event == TW_EV_MEDIA)
        CHECK(msg.u.media.payload_len <= cap);
    if (msg.event == TW_EV_START) {
        CHECK(msg.u.start.n_params <= TW_MAX_PARAMS);
        CHECK(msg.u.start.tracks != 0);
        for (size_t i = 0; i < msg.u.start.n_params; i++)
            CHECK(tw_param_get(&msg, msg.u.start.params[i].key) == msg.u.start.params[i].value);
    }
    check_round_trip(&msg, payload);
    return 0;
}
