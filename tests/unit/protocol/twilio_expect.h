/* twilio_expect.h -- the checks of a parsed Twilio media message that the parser, fast-path and
 * builder tests share (protocol/twilio.h). */
#ifndef CALLPRINT_TEST_TWILIO_EXPECT_H
#define CALLPRINT_TEST_TWILIO_EXPECT_H

#include <stddef.h>
#include <stdint.h>

#include "twilio.h"

/* m is a media message with this sequence number, track (TW_TRACK_*), chunk, timestamp and
 * decoded payload length; fails the test otherwise. */
void tw_expect_media(const tw_msg *m, uint64_t seq, unsigned track, uint64_t chunk,
                     uint64_t timestamp_ms, size_t payload_len);

#endif
