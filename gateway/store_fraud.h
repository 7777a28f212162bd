/* store_fraud.h -- what fraud screening keeps in Redis beside the sessions (fraud.h).
 *
 *   P denylist                 hash: E.164 number -> reason (free text, may be "")
 *   P directory:by-id          hash: external_id -> E.164 number, the reverse of the customer
 *                              directory, written by store_directory_set(). A directory entry
 *                              deleted or re-pointed later leaves a stale reverse entry, so
 *                              store_directory_phone_of() confirms the answer against the
 *                              directory itself before giving it.
 *
 * Same durability contract as store.h: writes answer after Redis acknowledged them; reads
 * fail fast with STORE_UNAVAILABLE while Redis is down. Phone numbers must be E.164.
 */
#ifndef CALLPRINT_STORE_FRAUD_H
#define CALLPRINT_STORE_FRAUD_H

#include "store.h"

int store_deny_set(store *s, const char *phone, const char *reason, store_done_cb *cb, void *arg);
/* The reason (possibly ""); STORE_NOT_FOUND when the number is not deny-listed. */
int store_deny_get(store *s, const char *phone, store_id_cb *cb, void *arg);
int store_deny_delete(store *s, const char *phone, store_done_cb *cb, void *arg);
/* A page of (phone, reason) pairs: items alternate. */
int store_deny_list(store *s, uint64_t cursor, size_t count, store_page_cb *cb, void *arg);

/* The registered number of a customer (the directory entry whose external_id it is);
 * STORE_NOT_FOUND when none. */
int store_directory_phone_of(store *s, const char *external_id, store_id_cb *cb, void *arg);

#endif
