/* api.h -- the REST API under /api/v2. OWNER: helper H7. */
#ifndef CALLPRINT_API_H
#define CALLPRINT_API_H

struct app;

/* Register every REST route on a->router. */
void api_register(struct app *a);

#endif
