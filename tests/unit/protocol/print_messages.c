/* print_messages.c -- prints what the tw_build_* / vv_build_* builders write, one
 * "<schema name>\t<json>" line per message, for validate_schemas.py to check against
 * schemas/. Covers every builder with ordinary and awkward arguments (escaping, empty and
 * odd-length payloads, both tracks, A-law, every Voice Verify status). */
#include "twilio.h"
#include "voiceverify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SID "MZ18ad3ab5a668481ce02b83e7395059f0"
#define VSID "Vv1234567890abcdefghijklmnopqrstuv"
#define UUID "3f1c7a52-9b8e-4d21-a6f0-5c2e8b7d9a14"

static char buf[8192];

static void emit(const char *schema, int n)
{
    if (n < 0) {
        fprintf(stderr, "builder for %s returned -1\n", schema);
        exit(1);
    }
    printf("%s\t%s\n", schema, buf);
}

static void twilio_replies(void)
{
    uint8_t audio[160];
    for (size_t i = 0; i < sizeof(audio); i++)
        audio[i] = (uint8_t)(i * 37 + 11);
    for (size_t n = 0; n <= 3; n++) /* every padding case, and an empty payload */
        emit("twilio-out-media", tw_build_media(buf, sizeof(buf), SID, audio, n));
    emit("twilio-out-media", tw_build_media(buf, sizeof(buf), SID, audio, sizeof(audio)));
    emit("twilio-out-mark", tw_build_mark(buf, sizeof(buf), SID, "greeting-done"));
    emit("twilio-out-mark", tw_build_mark(buf, sizeof(buf), SID, "q\"uote\\back\nnl\ttab\x01\x1f é"));
    emit("twilio-out-clear", tw_build_clear(buf, sizeof(buf), SID));
}

static void vv_replies(void)
{
    static const int codes[] = {201, 204, 400, 403, 404, 408, 409, 413, 423, 500, 502, 503};
    emit("vv-connected-ack", vv_build_connected(buf, sizeof(buf)));
    emit("vv-ping", vv_build_ping(buf, sizeof(buf)));
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        const char *event = codes[i] == 204 ? "stop" : codes[i] == 408 ? "media" : "start";
        emit("vv-reply", vv_build_reply(buf, sizeof(buf), VSID, UUID, event, codes[i], NULL));
    }
    emit("vv-reply", vv_build_reply(buf, sizeof(buf), NULL, NULL, "start", 400,
                                    "start.customParameters.uuid must be a UUID4"));
}

static void inbound(void)
{
    uint8_t audio[160];
    memset(audio, 0xFF, sizeof(audio));
    tw_param params[] = {{"uuid", UUID}, {"source_uuid", "branch \"17\""}, {"mode", "verify"}};
    tw_start_info tw = {1, SID, "AC123", "CA123", TW_TRACK_INBOUND | TW_TRACK_OUTBOUND,
                        false, params + 1, 2};
    tw_start_info vv = {1, VSID, "", "", TW_TRACK_INBOUND, false, params, 3};
    emit("twilio-connected", tw_build_connected(buf, sizeof(buf)));
    emit("vv-connected", tw_build_connected(buf, sizeof(buf)));
    emit("twilio-start", tw_build_start(buf, sizeof(buf), &tw));
    emit("vv-start", tw_build_start(buf, sizeof(buf), &vv));
    tw.alaw = true;
    tw.tracks = TW_TRACK_OUTBOUND;
    tw.n_params = 0;
    emit("twilio-start", tw_build_start(buf, sizeof(buf), &tw));
    emit("twilio-media", tw_build_media_in(buf, sizeof(buf), 2, SID, TW_TRACK_INBOUND, 1, 0,
                                           audio, sizeof(audio)));
    emit("twilio-media", tw_build_media_in(buf, sizeof(buf), 3, SID, TW_TRACK_OUTBOUND, 1, 20,
                                           audio, 1));
    emit("vv-media", tw_build_media_in(buf, sizeof(buf), 18446744073709551615ull, VSID,
                                       TW_TRACK_INBOUND, 9999999999999999999ull, 1234567890123ull,
                                       audio, sizeof(audio)));
    emit("twilio-dtmf", tw_build_dtmf(buf, sizeof(buf), 5, SID, '#'));
    emit("twilio-mark", tw_build_mark_in(buf, sizeof(buf), 4, SID, "my label"));
    emit("twilio-stop", tw_build_stop(buf, sizeof(buf), 6, SID, "AC123", "CA123"));
    emit("vv-stop", tw_build_stop(buf, sizeof(buf), 7, VSID, "", ""));
}

int main(void)
{
    twilio_replies();
    vv_replies();
    inbound();
    return 0;
}
