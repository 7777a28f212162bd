/* subs.c -- the subscription table. See subs.h.
 *
 * One doubly linked list of every subscription (listing, removal in O(1)) and a chained hash
 * table on the channel (the per-tick lookup: "who watches this stream?"). The bucket count is
 * fixed from the bound at creation, as the registry's is: no rehash on the loop thread.
 */
#include "live/subs.h"

#include "common/list.h"

#include "common/hash.h"

#include <curl/curl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "streams/stream.h"

struct subs {
    size_t max, count, nbuckets;
    sub *head, *tail;
    sub **buckets;
};

static const char *const type_names[] = {"streams", "enroll", "verify"};

const char *subs_type_name(sub_type t)
{
    return (unsigned)t < 3 ? type_names[t] : "unknown";
}

int subs_type_parse(const char *name)
{
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, type_names[i]) == 0)
            return i;
    return -1;
}

/* Channels are short strings chosen by clients; the table is bounded anyway. */
static size_t bucket_of(const subs *t, const char *channel)
{
    return (size_t)(hash_fnv_str(HASH_FNV_SEED, channel) % t->nbuckets);
}

subs *subs_new(size_t max)
{
    subs *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->max = max ? max : 1;
    t->nbuckets = t->max < 64 ? 64 : t->max;
    t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    return t;
}

static void sub_free(sub *s)
{
    if (s->secret) {
        OPENSSL_cleanse(s->secret, strlen(s->secret));
        free(s->secret);
    }
    free(s->url);
    free(s);
}

void subs_free(subs *t)
{
    if (!t)
        return;
    for (sub *s = t->head, *next; s; s = next) {
        next = s->next;
        sub_free(s);
    }
    free(t->buckets);
    free(t);
}

static bool same_target(const sub *s, sub_type type, const char *channel,
                        const char *external_id, const char *url)
{
    return s->type == type && strcmp(s->channel, channel) == 0 &&
           strcmp(s->external_id, external_id ? external_id : "") == 0 &&
           (!url || strcmp(s->url, url) == 0);
}

/* 32 random bytes as 64 lowercase hex digits. */
static char *new_secret(void)
{
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return NULL;
    char *hex = malloc(2 * sizeof raw + 1);
    if (hex)
        for (size_t i = 0; i < sizeof raw; i++)
            snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    OPENSSL_cleanse(raw, sizeof raw);
    return hex;
}

subs_status subs_add(subs *t, sub_type type, const char *channel, const char *external_id,
                     const char *url, const char *secret, bool implicit, uint64_t now_ms,
                     sub **out)
{
    *out = NULL;
    for (sub *s = subs_channel_first(t, channel); s; s = subs_channel_next(s))
        if (same_target(s, type, channel, external_id, url)) {
            *out = s;
            return SUBS_DUPLICATE;
        }
    if (t->count >= t->max)
        return SUBS_FULL;
    sub *s = calloc(1, sizeof *s);
    if (!s)
        return SUBS_NOMEM;
    s->type = type;
    snprintf(s->channel, sizeof s->channel, "%s", channel);
    snprintf(s->external_id, sizeof s->external_id, "%s", external_id ? external_id : "");
    s->url = strdup(url);
    s->secret = secret ? strdup(secret) : new_secret();
    s->implicit = implicit;
    s->created_ms = now_ms;
    if (!s->url || !s->secret || stream_uuid4(s->id) != 0) {
        sub_free(s);
        return SUBS_NOMEM;
    }
    LIST_APPEND(t->head, t->tail, s);
    size_t b = bucket_of(t, channel);
    s->hnext = t->buckets[b];
    t->buckets[b] = s;
    t->count++;
    *out = s;
    return SUBS_OK;
}

void subs_remove(subs *t, sub *s)
{
    LIST_UNLINK_TAIL(t->head, t->tail, s);
    for (sub **p = &t->buckets[bucket_of(t, s->channel)]; *p; p = &(*p)->hnext)
        if (*p == s) {
            *p = s->hnext;
            break;
        }
    t->count--;
    sub_free(s);
}

/* Remove the channel's subscriptions that match(). */
static size_t remove_where(subs *t, const char *channel,
                           bool (*match)(const sub *s, const void *arg), const void *arg)
{
    size_t n = 0;
    sub *s = subs_channel_first(t, channel);
    while (s) {
        sub *next = subs_channel_next(s);
        if (match(s, arg)) {
            subs_remove(t, s);
            n++;
        }
        s = next;
    }
    return n;
}

typedef struct {
    sub_type type;
    const char *channel, *external_id, *url;
} match_args;

static bool match_target(const sub *s, const void *arg)
{
    const match_args *m = arg;
    return same_target(s, m->type, m->channel, m->external_id, m->url);
}

size_t subs_remove_match(subs *t, sub_type type, const char *channel, const char *external_id,
                         const char *url)
{
    match_args m = {type, channel, external_id, url};
    return remove_where(t, channel, match_target, &m);
}

static bool match_job(const sub *s, const void *arg)
{
    return s->type != SUB_STREAMS && strcmp(s->channel, arg) == 0;
}

size_t subs_remove_channel_jobs(subs *t, const char *channel)
{
    return remove_where(t, channel, match_job, channel);
}

sub *subs_by_id(const subs *t, const char *id)
{
    for (sub *s = t->head; s; s = s->next)
        if (strcasecmp(s->id, id) == 0)
            return s;
    return NULL;
}

static sub *chain_from(sub *s, const char *channel)
{
    while (s && strcmp(s->channel, channel) != 0)
        s = s->hnext;
    return s;
}

sub *subs_channel_first(const subs *t, const char *channel)
{
    return chain_from(t->buckets[bucket_of(t, channel)], channel);
}

sub *subs_channel_next(const sub *s)
{
    return chain_from(s->hnext, s->channel);
}

sub *subs_first(const subs *t) { return t->head; }
size_t subs_count(const subs *t) { return t->count; }
size_t subs_max(const subs *t) { return t->max; }

const char *subs_check_url(const char *url)
{
    size_t n = strlen(url);
    if (n == 0)
        return "\"webhook\" must not be empty";
    if (n > SUBS_URL_MAX)
        return "\"webhook\" is longer than 2048 characters";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] == 0x7f)
            return "\"webhook\" must not contain spaces or control characters";
    const char *why = NULL;
    char *scheme = NULL, *host = NULL, *user = NULL;
    CURLU *u = curl_url();
    if (!u || curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
        why = "\"webhook\" is not a valid URL";
    else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
             (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0))
        why = "\"webhook\" must be an http:// or https:// URL";
    else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
        why = "\"webhook\" must name a host";
    else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
        why = "\"webhook\" must not carry a user name or password (use the secret)";
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_url_cleanup(u);
    return why;
}

cJSON *subs_to_json(const sub *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", s->id);
    cJSON_AddStringToObject(o, "channel_uuid", s->channel);
    cJSON_AddStringToObject(o, "type", subs_type_name(s->type));
    cJSON_AddStringToObject(o, "webhook", s->url);
    cJSON *info = cJSON_AddObjectToObject(o, "info");
    if (info && s->type != SUB_STREAMS)
        cJSON_AddStringToObject(info, "external_id", s->external_id);
    cJSON_AddBoolToObject(o, "implicit", s->implicit);
    cJSON_AddBoolToObject(o, "signed", s->secret[0] != '\0');
    cJSON_AddNumberToObject(o, "created_ms", (double)s->created_ms);
    cJSON_AddNumberToObject(o, "sent", (double)s->sent);
    cJSON_AddNumberToObject(o, "refused", (double)s->refused);
    return o;
}
