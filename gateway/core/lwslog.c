/* lwslog.c -- lws log lines as JSON lines with "component":"lws". See lwslog.h. */
#include "core/lwslog.h"

#include <uv.h>

#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"

static void emit(int level, const char *line)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s", line);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_write(level == LLL_ERR ? LOG_ERROR : LOG_WARN, NULL, NULL, LOG_KV("component", "lws"), "%s",
              msg);
}

void lwslog_init(void)
{
    lws_set_log_level(LLL_ERR | LLL_WARN, emit);
}
