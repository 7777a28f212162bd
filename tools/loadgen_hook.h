/* loadgen_hook.h -- the load generator's webhook receiver: a minimal HTTP/1.1 server.
 *
 * It listens on 127.0.0.1 on a free port, on the load generator's loop, and accepts POSTs
 * with a Content-Length body (what the gateway's libcurl sends), keep-alive and pipelined.
 * Each complete request is handed to the callback with its path, its X-Callprint-Sent-At
 * header (NULL when absent), its body and the wall-clock arrival time, and answered
 * "200 OK" with an empty body. Anything else (no Content-Length, a body over 1 MB, a header
 * block over 16 KB) is answered 400 and the connection closed. Not a general server: just
 * enough to be a real receiver of real deliveries.
 */
#ifndef CALLPRINT_LOADGEN_HOOK_H
#define CALLPRINT_LOADGEN_HOOK_H

#include <uv.h>

#include <stddef.h>
#include <stdint.h>

typedef struct lg_hook lg_hook;

typedef void (*lg_hook_cb)(void *ud, const char *path, const char *sent_at, const char *body,
                           size_t len, uint64_t arrival_us);

/* NULL when it cannot listen. */
lg_hook *lg_hook_new(uv_loop_t *loop, lg_hook_cb cb, void *ud);
int lg_hook_port(const lg_hook *h);
uint64_t lg_hook_requests(const lg_hook *h);
uint64_t lg_hook_bad_requests(const lg_hook *h);
/* Close the listener and every connection; the memory goes when the loop has run. */
void lg_hook_close(lg_hook *h);

/* Pure parser (tests): the header block of buf (len bytes). Returns the total length of the
 * request (headers + body) when it is complete, 0 when more bytes are needed, -1 when it is
 * malformed or too large. path / sent_at are copied (NUL-terminated) into the buffers. */
long lg_hook_parse(const char *buf, size_t len, char *path, size_t path_cap, char *sent_at,
                   size_t sent_cap, size_t *body_off);

/* Wall clock in microseconds (the header's clock). */
uint64_t lg_wall_us(void);
/* "1763700000.123456" -> microseconds; 0 when malformed. */
uint64_t lg_parse_sent_at(const char *s);

#endif
