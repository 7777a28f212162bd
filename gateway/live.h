/* live.h -- live enrolment and verification on streams (issue 4). OWNER: helper H6.
 * The lead's contract with app.c is the four functions below; H6 documents and extends it. */
#ifndef CALLPRINT_LIVE_H
#define CALLPRINT_LIVE_H

#include "workers.h"

struct app;
typedef struct live live;

/* Create the controller and register its audio sink on a->reg. NULL on failure. */
live *live_new(struct app *a);
/* A worker result, on the loop thread (app.c forwards workers' on_result here). */
void live_worker_result(live *l, const workers_result *r);
/* Stop timers; streams are ended by the server before this. */
void live_close(live *l);
void live_free(live *l);

#endif
