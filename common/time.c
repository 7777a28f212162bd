/* time.c -- wall-clock milliseconds and RFC 3339 timestamps. See time.h. */
#include "common/time.h"

#include <stdio.h>
#include <time.h>

int64_t time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void time_rfc3339(int64_t ms, char out[TIME_RFC3339_MAX])
{
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(out, TIME_RFC3339_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, TIME_RFC3339_MAX - n, ".%03dZ", (int)(ms % 1000));
}
