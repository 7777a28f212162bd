/* time.h -- wall-clock milliseconds and RFC 3339 timestamps, the one spelling of both.
 *
 * Every timestamp callprint writes (log lines, REST bodies, Redis records, audit entries) is
 * UTC with milliseconds, "2026-11-21T06:48:17.123Z": one formatter, so the log, the API and
 * the store never disagree on the form.
 */
#ifndef CALLPRINT_COMMON_TIME_H
#define CALLPRINT_COMMON_TIME_H

#include <stdint.h>

/* Length of "YYYY-MM-DDTHH:MM:SS.mmmZ" plus its NUL, rounded up. */
#define TIME_RFC3339_MAX 32

/* Wall-clock (CLOCK_REALTIME) milliseconds since the Unix epoch. */
int64_t time_now_ms(void);
/* ms since the epoch as RFC 3339 UTC with milliseconds, into out. */
void time_rfc3339(int64_t ms, char out[TIME_RFC3339_MAX]);

#endif
