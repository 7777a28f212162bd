/* api_phone.h -- REST over a list keyed by phone number: the customer directory
 * (api_directory.c, phone -> external_id) and the deny list (api_fraud.c, phone -> reason).
 *
 * Both lists have one shape, so one set of handlers serves them, told apart by an
 * api_phone_list that names the value beside the number, the store calls and what else a
 * write does (the directory's reverse index, the deny list's audit entries):
 *
 *   PUT|POST <list>          {"phone", <value>} -> 200 {"phone", <value>}
 *   GET      <list>/{phone}  -> 200 {"phone", <value>} | 404
 *   DELETE   <list>/{phone}  -> 200 {"phone", "deleted": true} | 404
 *   GET      <list>?cursor=C&count=N
 *            -> 200 {"entries": [{"phone", <value>}], "next_cursor": "C'"} ("0": done)
 *
 * Every phone number, in the body or the path (percent-encode the '+': %2B), is normalised to
 * E.164 first (protocol/phone.h, default_country_code for national numbers), the way the caller
 * lookup at session start does it, so "+44 20 7946 0958" entered here finds a call from
 * "+442079460958". Not a phone number (or withheld): 400. Writes answer after Redis
 * acknowledged them; Redis down: 503.
 */
#ifndef CALLPRINT_API_PHONE_H
#define CALLPRINT_API_PHONE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"

typedef struct api_phone_list {
    const char *value_name; /* the member beside "phone": "external_id", "reason" */
    const char *missing;    /* the 404 sentence */
    /* The value from a write's body: NULL with *bad set and 400 sent when it is not valid;
     * NULL with *bad false when it is optional and absent (stored as ""). */
    const char *(*value)(http_req *req, const cJSON *body, bool *bad);
    /* After a write or delete Redis acknowledged (NULL: nothing more). */
    void (*written)(store *st, const char *phone, const char *value);
    void (*deleted)(store *st, const char *phone);
    struct { /* the store's calls for this list, in this order */
        int (*set)(store *s, const char *phone, const char *value, store_done_cb *cb, void *arg);
        int (*get)(store *s, const char *phone, store_id_cb *cb, void *arg);
        int (*del)(store *s, const char *phone, store_done_cb *cb, void *arg);
        int (*list)(store *s, uint64_t cursor, size_t count, store_page_cb *cb, void *arg);
    } store;
} api_phone_list;

/* Route path (PUT, POST, GET) and path/{phone} (GET, DELETE) to l's handlers; at most
 * API_PHONE_LISTS lists (a programming error beyond, logged). l must outlive the app. */
void api_phone_register(struct app *a, const char *path, const api_phone_list *l);

/* A phone number from the request normalised to E.164 (out has PHONE_E164_MAX bytes); false
 * with 400 sent when it is not one. */
bool api_phone_arg(struct app *a, http_req *req, const char *in, char *out);
/* api_auth(), then the phone number of a "/.../{phone}" route in E.164; false when a reply
 * (401, 400) was sent. */
bool api_phone_path(struct app *a, http_req *req, char *e164);

#endif
