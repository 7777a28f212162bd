/* app_live.h -- the live biometrics controller wired to the gateway's real components.
 *
 * live.h takes its dependencies as a live_deps of function tables and settings; this is the
 * one place that fills it from the app: the worker pool (workers.h), the Redis store
 * (store.h), the configuration and the webhook secret, and that attaches the webhook sender
 * as the controller's observer (live_webhooks.h).
 */
#ifndef CALLPRINT_APP_LIVE_H
#define CALLPRINT_APP_LIVE_H

#include "core/app.h"

/* Create a->live and a->live_webhooks (after the server: the registry). 0, or -1. */
int app_live_open(app *a);
/* Release both (after the streams ended and live_close). */
void app_live_free(app *a);

#endif
