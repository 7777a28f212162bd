/* subs.h -- webhook subscriptions (the Voice Verify manual's "WebHooks"), in memory, bounded.
 *
 * A subscription says "POST these events to this URL": type `streams` watches the streams
 * whose custom parameter source_uuid equals channel_uuid (added / removed events); types
 * `enroll` and `verify` watch one job on one live stream -- channel_uuid is the stream's uuid,
 * external_id the job's voiceprint id -- and get the job's state every tick (live.h).
 *
 * The table lives in memory only, like the streams it refers to: a gateway restart ends every
 * stream, and with them every enroll/verify subscription; `streams` subscriptions are the
 * integrator's standing configuration and must be re-created after a restart (documented in
 * docs/live.md). Subscriptions of a stream are removed when the stream ends (live.c).
 *
 * Each subscription has an id (a UUID4) and a secret used to sign its deliveries
 * (X-Callprint-Signature, protocol/webhook_payload.h). The secret is the caller's, or 32
 * random bytes in hex returned once by the create call; it is never listed or logged.
 * Lookups are by channel (a chained hash table sized from the bound) and by id (a scan: ids
 * only come from the REST API's delete, a rare operation).
 *
 * Pure data structure plus validation: no I/O. Loop thread only.
 */
#ifndef CALLPRINT_SUBS_H
#define CALLPRINT_SUBS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SUBS_CHANNEL_MAX 256
#define SUBS_EXTERNAL_ID_MAX 1024 /* bytes: 256 characters of up to 4 UTF-8 bytes */
#define SUBS_URL_MAX 2048
#define SUBS_SECRET_MIN 16
#define SUBS_SECRET_MAX 256
#define SUBS_ID_LEN 36

typedef enum { SUB_STREAMS = 0, SUB_ENROLL, SUB_VERIFY } sub_type;

typedef struct sub {
    char id[SUBS_ID_LEN + 1];
    sub_type type;
    char channel[SUBS_CHANNEL_MAX + 1];         /* source_uuid, or the stream uuid */
    char external_id[SUBS_EXTERNAL_ID_MAX + 1]; /* "" for streams */
    char *url;
    char *secret;      /* "" = unsigned deliveries */
    bool implicit;     /* created by zero-integration mode (not by the REST API) */
    uint64_t created_ms;
    uint64_t sent;     /* deliveries queued for this subscription */
    uint64_t refused;  /* webhook_send refused (target limit, closing) */
    struct sub *next, *prev; /* all subscriptions */
    struct sub *hnext;       /* channel hash chain */
} sub;

typedef struct subs subs;

typedef enum {
    SUBS_OK = 0,
    SUBS_FULL,      /* max_subscriptions reached */
    SUBS_DUPLICATE, /* same type, channel, external_id and URL */
    SUBS_NOMEM,
} subs_status;

subs *subs_new(size_t max);
void subs_free(subs *t);

/* Add a subscription. secret NULL = generate one (the caller returns it once). *out is the
 * new subscription, or the existing one for SUBS_DUPLICATE. Arguments must be validated
 * (subs_check_url, lengths) by the caller. */
subs_status subs_add(subs *t, sub_type type, const char *channel, const char *external_id,
                     const char *url, const char *secret, bool implicit, uint64_t now_ms,
                     sub **out);
void subs_remove(subs *t, sub *s);
/* Remove every subscription matching type + channel + external_id (and url, when non-NULL).
 * Returns how many. */
size_t subs_remove_match(subs *t, sub_type type, const char *channel, const char *external_id,
                         const char *url);
/* Remove the enroll and verify subscriptions of a channel (its stream ended). */
size_t subs_remove_channel_jobs(subs *t, const char *channel);
sub *subs_by_id(const subs *t, const char *id);

/* Iterate the subscriptions of a channel: first, then next(s) until NULL. Removing the
 * current one while iterating is not allowed (collect first). */
sub *subs_channel_first(const subs *t, const char *channel);
sub *subs_channel_next(const sub *s);
/* Iterate all, oldest first. */
sub *subs_first(const subs *t);

size_t subs_count(const subs *t);
size_t subs_max(const subs *t);

/* "streams" / "enroll" / "verify", and back (-1 when unknown). */
const char *subs_type_name(sub_type t);
int subs_type_parse(const char *name);

/* A webhook URL we are willing to POST to: http or https, a host, no user:password,
 * printable, <= SUBS_URL_MAX. NULL when fine, else a sentence saying why. */
const char *subs_check_url(const char *url);

/* {"id","channel_uuid","type","webhook","info":{"external_id"},"implicit","created_ms",
 *  "sent","refused"} -- never the secret. */
cJSON *subs_to_json(const sub *s);

#endif
