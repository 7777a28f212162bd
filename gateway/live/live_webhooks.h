/* live_webhooks.h -- the webhooks to subscribers, as an observer of the live controller.
 *
 * The controller (live.h) knows nothing of HTTP: it tells its observers each job's report of
 * the tick and each stream's start and end. This observer turns them into deliveries on the
 * webhook sender (http/webhook.h) for the subscriptions of the controller's table (subs.h):
 *   - a job's report: one body per enroll/verify subscription of the job's stream and
 *     external_id (the verify body carries what the decorators add, live_decorate);
 *   - a stream's start and end: one body per `streams` subscription of its source_uuid.
 * Each delivery is keyed by its subscription, so a subscription's webhooks stay in order while
 * other calls' go out beside them. Loop thread only.
 */
#ifndef CALLPRINT_LIVE_WEBHOOKS_H
#define CALLPRINT_LIVE_WEBHOOKS_H

#include <stdint.h>

#include "http/webhook.h"
#include "live/live.h"

typedef struct live_webhooks live_webhooks;

typedef struct {
    uint64_t sent;    /* bodies accepted by the webhook sender */
    uint64_t refused; /* refused by it (target limit, closing) */
} live_webhooks_stats;

/* Observe l and send on w; both must outlive the observer. NULL on failure. */
live_webhooks *live_webhooks_new(live *l, webhook *w);
void live_webhooks_get_stats(const live_webhooks *h, live_webhooks_stats *out);
/* After live_free (the controller may report until then). */
void live_webhooks_free(live_webhooks *h);

#endif
