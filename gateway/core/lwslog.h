/* lwslog.h -- route libwebsockets' own log lines into the JSON logger (log.h).
 * lws logs process-wide, so this is set once; errors and warnings only. */
#ifndef CALLPRINT_LWSLOG_H
#define CALLPRINT_LWSLOG_H

void lwslog_init(void);

#endif
