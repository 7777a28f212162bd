/* twilio_fast.c -- the allocation-free fast path of tw_parse, for media messages.
 *
 * Why: a call sends 50 media messages a second. The cJSON path builds a tree (a dozen
 * allocations), copies every string and frees it all again: ~15,000 instructions a message,
 * over half of what the gateway spends in user space per frame (callgrind, docs/
 * performance.md). jsmn (Debian's libjsmn-dev, a header-only tokenizer) finds the tokens in
 * place, in one pass, without allocating.
 *
 * Soundness over completeness: this path answers only when it is certain the cJSON path would
 * accept the message with the very same result; otherwise it declines and tw_parse runs the
 * cJSON path, which is also what produces every error. So it accepts only:
 *   - a document jsmn tokenizes completely (at most FAST_TOKENS tokens), whose grammar is
 *     re-checked here on the token stream (jsmn does not check every separator: a missing
 *     colon or comma, or a trailing comma, would otherwise slip through);
 *   - objects and strings only, at most FAST_DEPTH levels (Twilio's media message has no
 *     arrays, numbers or literals);
 *   - strings with no backslash escape and no control character, so a token's bytes are
 *     exactly the string cJSON would have decoded;
 *   - event "media" and every field valid, payload included; for duplicate keys the first
 *     one counts, as with cJSON_GetObjectItemCaseSensitive.
 * tests/fuzz/fuzz_twilio.c checks the promise on every input it runs, and
 * tests/unit/protocol/test_twilio_fast.c holds the cases that must be declined.
 */
#include "twilio_internal.h"

#include "base64.h"

#include <stdint.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#define FAST_TOKENS 32 /* a media message is 17 */
#define FAST_DEPTH 2   /* the message, then "media" */

typedef struct {
    const char *js;
    size_t len;
    const jsmntok_t *t;
    int n;
} fast_doc;

static size_t skip_ws(const fast_doc *d, size_t p)
{
    while (p < d->len &&
           (d->js[p] == ' ' || d->js[p] == '\t' || d->js[p] == '\n' || d->js[p] == '\r'))
        p++;
    return p;
}

/* The bytes a token covers, quotes included (jsmn's string tokens exclude them). */
static size_t tok_begin(const jsmntok_t *t)
{
    return (size_t)t->start - (t->type == JSMN_STRING);
}

static size_t tok_end(const jsmntok_t *t)
{
    return (size_t)t->end + (t->type == JSMN_STRING);
}

/* No backslash and no control character in n bytes. Eight bytes a step (the payload is
 * ~216): a word has a byte below k when (w - k*ONES) & ~w & HIGHS is non-zero ("hasless",
 * exact for k <= 128), and a backslash when w ^ '\\'*ONES has a zero byte. */
static bool plain_bytes(const char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, highs = ones * 0x80, bs = ones * '\\';
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w, x;
        memcpy(&w, s + i, 8);
        x = w ^ bs;
        if ((((w - ones * 0x20) & ~w) | ((x - ones) & ~x)) & highs)
            return false;
    }
    for (; i < n; i++)
        if (s[i] == '\\' || (unsigned char)s[i] < 0x20)
            return false;
    return true;
}

/* A string whose bytes are its value: no escape, no control character. */
static bool plain_string(const fast_doc *d, int i)
{
    const jsmntok_t *t = &d->t[i];
    return t->type == JSMN_STRING && t->size <= 1 &&
           plain_bytes(d->js + t->start, (size_t)(t->end - t->start));
}

/* Expect byte `ch` at p (after whitespace); the position after it, or 0. */
static size_t expect(const fast_doc *d, size_t p, char ch)
{
    p = skip_ws(d, p);
    return p < d->len && d->js[p] == ch ? p + 1 : 0;
}

/* Check the object at token i, and what it holds, against the grammar: '{' [member
 * (',' member)*] '}', member = string ':' (string | object). Returns the index of the first
 * token after the object, or -1. */
static int walk_object(const fast_doc *d, int i, int depth)
{
    const jsmntok_t *o = &d->t[i];
    if (o->type != JSMN_OBJECT || depth > FAST_DEPTH)
        return -1;
    size_t p = (size_t)o->start + 1;
    int next = i + 1;
    for (int k = 0; k < o->size; k++) {
        if (k > 0 && !(p = expect(d, p, ',')))
            return -1;
        int key = next, val = next + 1;
        if (val >= d->n || d->t[key].size != 1 || !plain_string(d, key) ||
            skip_ws(d, p) != tok_begin(&d->t[key]))
            return -1;
        if (!(p = expect(d, tok_end(&d->t[key]), ':')) ||
            skip_ws(d, p) != tok_begin(&d->t[val]))
            return -1;
        if (d->t[val].type == JSMN_OBJECT)
            next = walk_object(d, val, depth + 1);
        else
            next = plain_string(d, val) && d->t[val].size == 0 ? val + 1 : -1;
        if (next < 0)
            return -1;
        p = tok_end(&d->t[val]);
    }
    p = expect(d, p, '}');
    return p && p == (size_t)o->end ? next : -1;
}

/* The index of the token after token i and everything inside it. */
static int skip_value(const fast_doc *d, int i)
{
    int j = i + 1;
    while (j < d->n && d->t[j].start < d->t[i].end)
        j++;
    return j;
}

static bool is_string(const fast_doc *d, int i)
{
    return i >= 0 && d->t[i].type == JSMN_STRING;
}

static size_t tok_len(const fast_doc *d, int i)
{
    return (size_t)(d->t[i].end - d->t[i].start);
}

static bool tok_equals(const fast_doc *d, int i, const char *s)
{
    return is_string(d, i) && tok_len(d, i) == strlen(s) &&
           memcmp(d->js + d->t[i].start, s, tok_len(d, i)) == 0;
}

static bool counter(const fast_doc *d, int i, uint64_t *out)
{
    return is_string(d, i) && tw_decimal(d->js + d->t[i].start, tok_len(d, i), out);
}

/* The value tokens of the members named keys[0..n) of the object at token obj, found in one
 * pass over its members; the first occurrence of a key counts, as with
 * cJSON_GetObjectItemCaseSensitive. -1 for a key that is absent. */
static void members(const fast_doc *d, int obj, const char *const *keys, int n, int *out)
{
    for (int k = 0; k < n; k++)
        out[k] = -1;
    int i = obj + 1;
    for (int m = 0; m < d->t[obj].size; m++) {
        for (int k = 0; k < n; k++)
            if (out[k] < 0 && tok_equals(d, i, keys[k])) {
                out[k] = i + 1;
                break;
            }
        i = skip_value(d, i + 1);
    }
}

/* The tokens of a complete, grammatical document whose root is an object. */
static bool tokenize(const char *json, size_t len, jsmntok_t *tok, fast_doc *d)
{
    jsmn_parser p;
    jsmn_init(&p);
    *d = (fast_doc){json, len, tok, jsmn_parse(&p, json, len, tok, FAST_TOKENS)};
    return d->n >= 1 && (size_t)tok[0].start == skip_ws(d, 0) && walk_object(d, 0, 1) == d->n &&
           skip_ws(d, (size_t)tok[0].end) == len;
}

bool tw_fast_media(const char *json, size_t len, tw_msg *out, uint8_t *payload,
                   size_t payload_cap)
{
    jsmntok_t tok[FAST_TOKENS];
    fast_doc d;
    if (len > TW_MAX_MESSAGE || !tokenize(json, len, tok, &d))
        return false;
    enum { EVENT, SID, SEQ, MEDIA };        /* top_keys */
    enum { TRACK, CHUNK, TIMESTAMP, PAYLOAD }; /* media_keys */
    static const char *const top_keys[] = {"event", "streamSid", "sequenceNumber", "media"};
    static const char *const media_keys[] = {"track", "chunk", "timestamp", "payload"};
    int top[4], md[4];
    members(&d, 0, top_keys, 4, top);
    int sid = top[SID], seq = top[SEQ], media = top[MEDIA];
    if (!tok_equals(&d, top[EVENT], "media") || !is_string(&d, sid) ||
        tok_len(&d, sid) >= TW_SID_MAX || media < 0 || tok[media].type != JSMN_OBJECT)
        return false;
    members(&d, media, media_keys, 4, md);
    uint64_t sequence = 0, chunk, timestamp;
    int pl = md[PAYLOAD];
    unsigned track_bit = tok_equals(&d, md[TRACK], "inbound")    ? TW_TRACK_INBOUND
                         : tok_equals(&d, md[TRACK], "outbound") ? TW_TRACK_OUTBOUND
                                                                 : 0;
    if (!track_bit || (seq >= 0 && !counter(&d, seq, &sequence)) ||
        !counter(&d, md[CHUNK], &chunk) || !counter(&d, md[TIMESTAMP], &timestamp) ||
        !is_string(&d, pl))
        return false;
    size_t decoded;
    if (b64_decode(json + tok[pl].start, tok_len(&d, pl), payload, payload ? payload_cap : 0,
                   &decoded) != B64_OK)
        return false;
    out->event = TW_EV_MEDIA;
    memcpy(out->stream_sid, json + tok[sid].start, tok_len(&d, sid));
    out->stream_sid[tok_len(&d, sid)] = '\0';
    out->has_sequence = seq >= 0;
    out->sequence_number = sequence;
    memset(&out->u.media, 0, sizeof out->u.media);
    out->u.media.track = track_bit;
    out->u.media.chunk = chunk;
    out->u.media.timestamp_ms = timestamp;
    out->u.media.payload_len = decoded;
    return true;
}
