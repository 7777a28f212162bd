/* store_fraud.h -- what fraud screening keeps in Redis beside the sessions (fraud.h).
 *
 *   P denylist                 hash: E.164 number -> reason (free text, may be "")
 *   P directory:by-id          hash: external_id -> E.164 number, the reverse of the customer
 *                              directory, written by store_directory_index() after each
 *                              directory write of the REST API. A directory entry
 *                              deleted or re-pointed later leaves a stale reverse entry, so
 *                              store_directory_phone_of() confirms the answer against the
 *                              directory itself before giving it.
 *
 *   P honeypot                 stream: what callers sent to the honeypot did (honeypot.h)
 *   P watchlists               set: watchlist names ("default" is implied)
 *   P watchlist:<name>         hash: fraudster_id -> voiceprint blob, base64 (sealed with the
 *                              voiceprint key when one is set; AAD "fraudster:<name>:<id>")
 *
 * Same durability contract as store.h: writes answer after Redis acknowledged them; reads
 * fail fast with STORE_UNAVAILABLE while Redis is down. Phone numbers must be E.164.
 */
#ifndef CALLPRINT_STORE_FRAUD_H
#define CALLPRINT_STORE_FRAUD_H

#include <stdbool.h>

#include "store.h"

/* Append one event (n key/value pairs) to the honeypot's own stream (P honeypot, capped like
 * the audit stream). Fire and forget: a lost entry is logged by the store. */
int store_honeypot_log(store *s, const char *const *kv, size_t n);

int store_deny_set(store *s, const char *phone, const char *reason, store_done_cb *cb, void *arg);
/* The reason (possibly ""); STORE_NOT_FOUND when the number is not deny-listed. */
int store_deny_get(store *s, const char *phone, store_id_cb *cb, void *arg);
int store_deny_delete(store *s, const char *phone, store_done_cb *cb, void *arg);
/* A page of (phone, reason) pairs: items alternate. */
int store_deny_list(store *s, uint64_t cursor, size_t count, store_page_cb *cb, void *arg);

/* Watchlists and their fraudsters. Names are 1-64 bytes of [A-Za-z0-9_.-]. */
int store_watchlist_add(store *s, const char *name, store_done_cb *cb, void *arg);
/* Remove the name and every fraudster on it. STORE_NOT_FOUND when it did not exist. */
int store_watchlist_delete(store *s, const char *name, store_done_cb *cb, void *arg);
int store_watchlist_names(store *s, uint64_t cursor, store_page_cb *cb, void *arg);
/* Store a fraudster's voiceprint (sealed when a key is set); adds the watchlist name too. */
int store_fraudster_put(store *s, const char *watchlist, const char *id, const uint8_t *blob,
                        size_t len, store_done_cb *cb, void *arg);
int store_fraudster_delete(store *s, const char *watchlist, const char *id, store_done_cb *cb,
                           void *arg);
/* A page of (fraudster_id, stored value) pairs; store_fraudster_open() turns a value back
 * into a blob (malloc'd) -- STORE_CRYPTO when it cannot. */
int store_fraudster_page(store *s, const char *watchlist, uint64_t cursor, store_page_cb *cb,
                         void *arg);
store_status store_fraudster_open(store *s, const char *watchlist, const char *id,
                                  const char *value, uint8_t **blob, size_t *len);
bool store_watchlist_name_ok(const char *name);

/* Record phone as external_id's registered number (the reverse index). */
int store_directory_index(store *s, const char *external_id, const char *phone, store_done_cb *cb,
                          void *arg);
/* The registered number of a customer (the directory entry whose external_id it is);
 * STORE_NOT_FOUND when none. */
int store_directory_phone_of(store *s, const char *external_id, store_id_cb *cb, void *arg);

#endif
