/* fuzz_connect.c -- libFuzzer target for the Amazon Connect event parser and response builder.
 *
 * Built with clang -fsanitize=fuzzer when CALLPRINT_FUZZ is on (the lead wires it into the fuzz
 * run). Without it, tests/unit/protocol/connect/CMakeLists.txt links fuzz_replay.c as main() and replays the
 * fixtures through the same entry point, so this file always compiles and runs.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "connect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    connect_event ev;
    connect_error err;
    if (connect_parse((const char *)data, size, &ev, &err) != CONNECT_OK) {
        /* The error must be a terminated sentence. */
        if (memchr(err.msg, '\0', sizeof err.msg) == NULL || err.msg[0] == '\0') __builtin_trap();
        return 0;
    }
    if (!ev.contact_id || !*ev.contact_id) __builtin_trap();
    /* Echo the attributes back as a response, as the gateway does. */
    static char out[CONNECT_MAX_RESPONSE + 1];
    connect_build_response(ev.attributes, ev.n_attributes, out, sizeof out, &err);
    connect_event_free(&ev);
    return 0;
}
