/* print_payloads -- every webhook body the builders can produce, one "<schema>\t<json>" line
 * each, for validate_payloads.py to check against schemas/webhook/. */
#include <stdio.h>
#include <stdlib.h>

#include "webhook_payload.h"

static void emit(const char *schema, char *json)
{
    if (!json) {
        fprintf(stderr, "builder failed for %s\n", schema);
        exit(1);
    }
    printf("%s\t%s\n", schema, json);
    free(json);
}

int main(void)
{
    const char *uuid = "0b8f2a6e-3c1d-4e5f-9a7b-1c2d3e4f5a6b";
    for (int a = WHP_STREAM_ADDED; a <= WHP_STREAM_REMOVED; a++)
        emit("stream", whp_stream("source-1", 200, whp_stream_action_name(a), uuid));
    for (int d = WHP_ENROLL_NOT_ENOUGH_SPEECH; d <= WHP_ENROLL_SPOOFED; d++)
        emit("enroll", whp_enroll(uuid, d == WHP_ENROLL_CREATED ? 201 : 200, uuid,
                                  "customer \"7\" \xc3\xa9", whp_enroll_detail_text(d),
                                  12.3456));
    for (int r = WHP_VERIFY_NOT_ENOUGH_SPEECH; r <= WHP_VERIFY_NOT_SURE; r++)
        emit("verify", whp_verify(uuid, r == WHP_VERIFY_NO_VOICEPRINT ? 404 : 200, uuid,
                                  "customer-7", whp_verify_result_text(r), 3.5, 71.25));
    /* with the spoofing countermeasure's fields */
    const char *spoof[] = {"bonafide", "spoof", "insufficient_speech"};
    for (int k = 0; k < 3; k++) {
        whp_spoof sp = {.score = 12.5 + 40 * k, .result = spoof[k]};
        emit("enroll", whp_enroll_spoof(uuid, k == 1 ? 403 : 201, uuid, "customer-7",
                                        whp_enroll_detail_text(k == 1 ? WHP_ENROLL_SPOOFED
                                                                      : WHP_ENROLL_CREATED),
                                        21.5, &sp));
        emit("verify", whp_verify_spoof(uuid, 200, uuid, "customer-7",
                                        whp_verify_result_text(WHP_VERIFY_NOT_VERIFIED), 3.5, 95,
                                        &sp));
    }
    for (int st = 0; st < 5; st++) {
        const int status[] = {202, 201, 409, 422, 503};
        emit("register_fraudster",
             whp_register_fraudster(uuid, status[st], uuid, "default", "fraudster-9",
                                    "detail", 12.3456, status[st] == 409 ? "fraudster-3" : NULL,
                                    97.123));
    }
    for (int k = 0; k < 2; k++) {
        whp_honeypot_call hc = {.stream_uuid = uuid, .call_sid = "CA0123", .reason =
                                k ? "RISK" : "DENY_LISTED", .risk = 40 + 50 * k, .ivr = k,
                                .dtmf = k ? "19" : "", .menu_path = k ? "main>balance" : "",
                                .speech_seconds = 3.14159, .duration_seconds = 12.3456,
                                .barge_ins = k, .prompts_sent = 2 * k, .prompts_heard = k};
        emit("honeypot", whp_honeypot(uuid, &hc));
    }
    return 0;
}
