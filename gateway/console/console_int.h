/* console_int.h -- what console.c and console_calls.c share (not a public header).
 *
 * console_calls keeps a record per recent call (its score history and verdict timeline,
 * which the streams themselves do not keep) while a console is connected, and renders the
 * snapshot's "calls" and "health" members. See console.h.
 */
#ifndef CALLPRINT_CONSOLE_INT_H
#define CALLPRINT_CONSOLE_INT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/lathist.h"
#include "live/live.h"
#include "http/webhook.h"

struct app;

#define CONSOLE_CALLS_MAX 50       /* calls followed and listed */
#define CONSOLE_POINTS 180         /* scores kept per call (3 minutes at one a second) */
#define CONSOLE_TIMELINE 32        /* verdict changes kept per call */
#define CONSOLE_ENDED_KEEP_MS 60000 /* an ended call stays listed this long */
#define CONSOLE_LATENCY_WINDOW_MS 60000
#define CONSOLE_SUBS 4              /* webhook subscriptions shown per call */

typedef struct ccalls ccalls;

ccalls *ccalls_new(struct app *a);
void ccalls_free(ccalls *t);
/* A job's state (live.h observer): score points and timeline entries of followed calls. */
void ccalls_on_state(const live_state *st, void *arg);
/* A webhook's outcome: delivered / failed of the followed call's subscription (r->key). */
void ccalls_on_webhook(ccalls *t, const webhook_result *r);
/* Once per tick while a console is connected: follow new streams, notice ended ones. */
void ccalls_refresh(ccalls *t, uint64_t now_ms);
/* Stop following every call (no console left). */
void ccalls_clear(ccalls *t);
/* The snapshot's "calls" array (the streams running: "calls_total"). */
void ccalls_render(ccalls *t, cJSON *root, uint64_t now_ms);
/* The snapshot's "health" object: GET /api/v2/status's, plus readiness and the verdict
 * latency. */
void ccalls_health(ccalls *t, cJSON *root, uint64_t now_ms);

#endif
