/* live.c -- SCAFFOLD ONLY, replaced by helper H6's controller. */
#include "live.h"

#include <stdlib.h>

struct live {
    int unused;
};

live *live_new(struct app *a)
{
    (void)a;
    return calloc(1, sizeof(live));
}
void live_worker_result(live *l, const workers_result *r)
{
    (void)l;
    (void)r;
}
void live_close(live *l)
{
    (void)l;
}
void live_free(live *l)
{
    free(l);
}
