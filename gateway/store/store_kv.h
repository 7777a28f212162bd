/* store_kv.h -- small named settings kept in Redis beside the data (P kv:<name>).
 *
 * For state the gateway must keep across restarts that is neither a session nor a
 * voiceprint: the admin password record (auth.h's "pbkdf2-sha256$..." string, never the
 * password) and the generated webhook secret (wsecret.h). Writes follow the store's
 * durability contract (acknowledged before the callback); reads fail fast with
 * STORE_UNAVAILABLE while Redis is down.
 */
#ifndef CALLPRINT_STORE_KV_H
#define CALLPRINT_STORE_KV_H

#include "store/store.h"

/* name: [a-z0-9_]+ style identifiers chosen by the code, never user input. */
int store_kv_get(store *s, const char *name, store_id_cb *cb, void *arg);
int store_kv_set(store *s, const char *name, const char *value, store_done_cb *cb, void *arg);
/* SET only when the name has no value yet (SET NX): STORE_OK either way; read it back to learn
 * which value won. */
int store_kv_set_nx(store *s, const char *name, const char *value, store_done_cb *cb, void *arg);

#endif
