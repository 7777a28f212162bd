/* outq.c -- bounded frame FIFO. See outq.h. */
#include "ingest/outq.h"

#include <stdlib.h>
#include <string.h>

#include "common/list.h"

void outq_init(outq *q, size_t max_frames, size_t headroom)
{
    memset(q, 0, sizeof *q);
    q->max = max_frames;
    q->headroom = headroom;
}

int outq_push(outq *q, const void *data, size_t len)
{
    if (q->n >= q->max) {
        q->dropped++;
        return -1;
    }
    outq_frame *f = malloc(sizeof *f + q->headroom + len + 1);
    if (!f) {
        q->dropped++;
        return -1;
    }
    f->len = len;
    memcpy(f->data + q->headroom, data, len);
    f->data[q->headroom + len] = '\0';
    QUEUE_PUSH(q->head, q->tail, f);
    q->n++;
    return 0;
}

outq_frame *outq_peek(const outq *q)
{
    return q->head;
}

void outq_pop(outq *q)
{
    outq_frame *f = q->head;
    if (!f)
        return;
    QUEUE_POP(q->head, q->tail);
    q->n--;
    free(f);
}

void outq_clear(outq *q)
{
    while (q->head)
        outq_pop(q);
}
