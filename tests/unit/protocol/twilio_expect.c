/* twilio_expect.c -- see twilio_expect.h. */
#include "twilio_expect.h"

#include <criterion/criterion.h>

void tw_expect_media(const tw_msg *m, uint64_t seq, unsigned track, uint64_t chunk,
                     uint64_t timestamp_ms, size_t payload_len)
{
    cr_assert_eq(m->event, TW_EV_MEDIA);
    cr_assert_eq(m->sequence_number, seq);
    cr_assert_eq(m->u.media.track, track);
    cr_assert_eq(m->u.media.chunk, chunk);
    cr_assert_eq(m->u.media.timestamp_ms, timestamp_ms);
    cr_assert_eq(m->u.media.payload_len, payload_len);
}
