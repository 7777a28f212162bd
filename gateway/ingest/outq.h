/* outq.h -- a bounded FIFO of outbound WebSocket frames.
 *
 * libwebsockets may only write from the WRITEABLE callback, so everything a connection wants
 * to send is queued here and drained one frame per writable event. Each frame is one
 * allocation with `headroom` bytes reserved before the payload (LWS_PRE for lws_write). The
 * bound (frames) protects the process from a client that stops reading: push fails instead
 * of growing memory, and the caller decides (count, drop, close).
 */
#ifndef CALLPRINT_OUTQ_H
#define CALLPRINT_OUTQ_H

#include <stddef.h>

typedef struct outq_frame {
    struct outq_frame *next;
    size_t len;
    unsigned char data[]; /* headroom bytes, then len bytes of payload */
} outq_frame;

typedef struct {
    outq_frame *head, *tail;
    size_t n, max, headroom;
    size_t dropped; /* pushes refused because the queue was full */
} outq;

void outq_init(outq *q, size_t max_frames, size_t headroom);
/* Copy len bytes as a new frame. 0, or -1 when full or out of memory. */
int outq_push(outq *q, const void *data, size_t len);
outq_frame *outq_peek(const outq *q);
static inline unsigned char *outq_payload(const outq *q, outq_frame *f)
{
    return f->data + q->headroom;
}
void outq_pop(outq *q);
void outq_clear(outq *q);

#endif
