/* twilio.c -- parser of the inbound Twilio media-stream messages.
 *
 * One text frame -> one tw_msg. cJSON builds the tree (cJSON_ParseWithLengthOpts: the frame
 * is not NUL-terminated; bytes other than whitespace after the value are refused), then one
 * small function per event copies the fields into the fixed-size struct, checking Twilio's
 * types on the way:
 *   - sequenceNumber, media.chunk, media.timestamp are JSON strings of decimal digits;
 *   - start.mediaFormat.sampleRate and channels are JSON numbers (8000 and 1: the only audio
 *     the pipeline takes), encoding "audio/x-mulaw" or "audio/x-alaw";
 *   - start.tracks is an array of "inbound"/"outbound", media.track one of them;
 *   - dtmf.track is "inbound_track" (Twilio's spelling there), dtmf.digit one key;
 *   - customParameters values are strings (TwiML <Parameter> values).
 * Every error names the field as a JSON path ("media.timestamp") and says what was expected;
 * messages never quote the offending value, so they are safe to log or send back. Unknown
 * extra fields are ignored, as Twilio adds fields over time. Optional fields (sequenceNumber,
 * accountSid, callSid, customParameters, start.streamSid, the stop object) may be absent;
 * the Voice Verify dialect sends accountSid and callSid as "".
 *
 * Hot path: a plain media message is parsed without allocating by twilio_fast.c (jsmn), which
 * declines anything it is not certain of; everything else, errors included, goes through
 * cJSON here. The payload is strict-base64-decoded straight into the caller's buffer. tw_msg
 * is not cleared as a whole (a start message carries 32 custom parameters, ~18 KB): only the
 * header and the union member of the event are reset.
 */
#include "twilio_internal.h"

#include "base64.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define TW_COUNTER_DIGITS 20 /* UINT64_MAX has 20 digits */

/* Fill *err (when given) and return its status. The field is a JSON path. */
static tw_status tw_fail(tw_error *err, tw_status st, const char *field, const char *fmt, ...)
{
    if (!err)
        return st;
    err->status = st;
    snprintf(err->field, sizeof(err->field), "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return st;
}

/* A parse context: the error sink and the path prefix of the object being read. */
typedef struct {
    tw_error *err;
    const char *prefix; /* "" for the top level, "media" inside "media", ... */
} tw_ctx;

static const char *tw_path(const tw_ctx *c, const char *key, char *buf, size_t cap)
{
    if (!*c->prefix)
        return key;
    snprintf(buf, cap, "%s.%s", c->prefix, key);
    return buf;
}

/* Fail on member `key` of the current object: "<path> <what>", what printf-formatted. */
static tw_status tw_field_fail(const tw_ctx *c, tw_status st, const char *key, const char *fmt,
                               ...)
{
    char path[64], what[128];
    const char *p = tw_path(c, key, path, sizeof(path));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return tw_fail(c->err, st, p, "%s %s", p, what);
}

/* Look up `key`; absent is TW_ERR_MISSING when required, TW_OK with *out NULL otherwise. */
static tw_status tw_get(const tw_ctx *c, const cJSON *obj, const char *key, bool required,
                        const cJSON **out)
{
    *out = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!*out && required)
        return tw_field_fail(c, TW_ERR_MISSING, key, "is required");
    return TW_OK;
}

/* A string field copied into dst (capacity cap); absent optional fields leave dst "". */
static tw_status tw_string(const tw_ctx *c, const cJSON *obj, const char *key, bool required,
                           char *dst, size_t cap)
{
    const cJSON *it;
    tw_status st = tw_get(c, obj, key, required, &it);
    dst[0] = '\0';
    if (st != TW_OK || !it)
        return st;
    if (!cJSON_IsString(it))
        return tw_field_fail(c, TW_ERR_TYPE, key, "must be a string");
    size_t n = strlen(it->valuestring);
    if (n >= cap)
        return tw_field_fail(c, TW_ERR_VALUE, key, "is longer than %zu bytes", cap - 1);
    memcpy(dst, it->valuestring, n + 1);
    return TW_OK;
}

bool tw_decimal(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    bool overflow = false;
    if (n == 0 || n > TW_COUNTER_DIGITS)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        overflow |= v > (UINT64_MAX - d) / 10;
        v = v * 10 + d;
    }
    *out = v;
    return !overflow;
}

/* Twilio's counters: a JSON string of 1..20 decimal digits whose value fits a uint64_t. */
static tw_status tw_counter(const tw_ctx *c, const cJSON *obj, const char *key, bool required,
                            bool *present, uint64_t *out)
{
    const cJSON *it;
    tw_status st = tw_get(c, obj, key, required, &it);
    if (present)
        *present = it != NULL;
    *out = 0;
    if (st != TW_OK || !it)
        return st;
    if (!cJSON_IsString(it))
        return tw_field_fail(c, TW_ERR_TYPE, key, "must be a string of decimal digits");
    uint64_t v;
    if (!tw_decimal(it->valuestring, strlen(it->valuestring), &v))
        return tw_field_fail(c, TW_ERR_VALUE, key,
                             "must be a string of decimal digits up to 18446744073709551615");
    *out = v;
    return TW_OK;
}

/* A required JSON object member. */
static tw_status tw_object(const tw_ctx *c, const cJSON *obj, const char *key, bool required,
                           const cJSON **out)
{
    tw_status st = tw_get(c, obj, key, required, out);
    if (st == TW_OK && *out && !cJSON_IsObject(*out))
        return tw_field_fail(c, TW_ERR_TYPE, key, "must be an object");
    return st;
}

/* "inbound" / "outbound" (media.track, start.tracks[]) -> TW_TRACK_* or 0. */
static unsigned tw_track_bit(const char *s)
{
    if (strcmp(s, "inbound") == 0)
        return TW_TRACK_INBOUND;
    if (strcmp(s, "outbound") == 0)
        return TW_TRACK_OUTBOUND;
    return 0;
}

static tw_status tw_track(const tw_ctx *c, const cJSON *obj, const char *key, unsigned *out)
{
    char name[16];
    tw_status st = tw_string(c, obj, key, true, name, sizeof(name));
    if (st == TW_ERR_VALUE || (st == TW_OK && !(*out = tw_track_bit(name))))
        return tw_field_fail(c, TW_ERR_VALUE, key, "must be \"inbound\" or \"outbound\"");
    return st;
}

/* ---- connected ---------------------------------------------------------------------- */

static tw_status tw_parse_connected(const cJSON *root, tw_msg *m, tw_error *err)
{
    tw_ctx c = {err, ""};
    tw_status st = tw_string(&c, root, "protocol", true, m->u.connected.protocol,
                             sizeof(m->u.connected.protocol));
    if (st == TW_OK)
        st = tw_string(&c, root, "version", true, m->u.connected.version,
                       sizeof(m->u.connected.version));
    return st;
}

/* ---- start -------------------------------------------------------------------------- */

static tw_status tw_parse_tracks(const tw_ctx *c, const cJSON *start, unsigned *tracks)
{
    const cJSON *arr, *it;
    tw_status st = tw_get(c, start, "tracks", true, &arr);
    if (st != TW_OK)
        return st;
    if (!cJSON_IsArray(arr))
        return tw_field_fail(c, TW_ERR_TYPE, "tracks", "must be an array of strings");
    *tracks = 0;
    cJSON_ArrayForEach(it, arr)
    {
        if (!cJSON_IsString(it))
            return tw_field_fail(c, TW_ERR_TYPE, "tracks", "must be an array of strings");
        unsigned bit = tw_track_bit(it->valuestring);
        if (!bit)
            return tw_field_fail(c, TW_ERR_VALUE, "tracks",
                                 "entries must be \"inbound\" or \"outbound\"");
        *tracks |= bit;
    }
    if (!*tracks)
        return tw_field_fail(c, TW_ERR_VALUE, "tracks", "must not be empty");
    return TW_OK;
}

/* A JSON number holding exactly `want` (mediaFormat.sampleRate / channels). */
static tw_status tw_fixed_number(const tw_ctx *c, const cJSON *obj, const char *key, int want,
                                 int *out)
{
    const cJSON *it;
    tw_status st = tw_get(c, obj, key, true, &it);
    if (st != TW_OK)
        return st;
    if (!cJSON_IsNumber(it))
        return tw_field_fail(c, TW_ERR_TYPE, key, "must be a number");
    if (it->valuedouble != (double)want)
        return tw_field_fail(c, TW_ERR_VALUE, key, "must be %d", want);
    *out = want;
    return TW_OK;
}

static tw_status tw_parse_format(const tw_ctx *parent, const cJSON *start, tw_media_format *f)
{
    const cJSON *fmt;
    tw_status st = tw_object(parent, start, "mediaFormat", true, &fmt);
    if (st != TW_OK)
        return st;
    tw_ctx c = {parent->err, "start.mediaFormat"};
    st = tw_string(&c, fmt, "encoding", true, f->encoding, sizeof(f->encoding));
    if (st == TW_OK && strcmp(f->encoding, "audio/x-mulaw") != 0 &&
        strcmp(f->encoding, "audio/x-alaw") != 0)
        st = tw_field_fail(&c, TW_ERR_VALUE, "encoding",
                           "must be \"audio/x-mulaw\" or \"audio/x-alaw\"");
    if (st == TW_OK)
        st = tw_fixed_number(&c, fmt, "sampleRate", 8000, &f->sample_rate);
    if (st == TW_OK)
        st = tw_fixed_number(&c, fmt, "channels", 1, &f->channels);
    return st;
}

static tw_status tw_parse_params(const tw_ctx *parent, const cJSON *start, tw_msg *m)
{
    const cJSON *obj, *it;
    tw_status st = tw_object(parent, start, "customParameters", false, &obj);
    m->u.start.n_params = 0;
    if (st != TW_OK || !obj)
        return st;
    tw_ctx c = {parent->err, "start.customParameters"};
    cJSON_ArrayForEach(it, obj)
    {
        size_t i = m->u.start.n_params;
        if (i == TW_MAX_PARAMS)
            return tw_field_fail(parent, TW_ERR_VALUE, "customParameters",
                                 "has more than %d entries", TW_MAX_PARAMS);
        tw_param *p = &m->u.start.params[i];
        if (strlen(it->string) >= sizeof(p->key))
            return tw_field_fail(parent, TW_ERR_VALUE, "customParameters",
                                 "has a name longer than %zu bytes", sizeof(p->key) - 1);
        if (tw_param_get(m, it->string))
            return tw_field_fail(parent, TW_ERR_VALUE, "customParameters",
                                 "has a duplicate name");
        if (!cJSON_IsString(it))
            return tw_field_fail(&c, TW_ERR_TYPE, it->string, "must be a string");
        if (strlen(it->valuestring) >= sizeof(p->value))
            return tw_field_fail(&c, TW_ERR_VALUE, it->string, "is longer than %zu bytes",
                                 sizeof(p->value) - 1);
        strcpy(p->key, it->string);
        strcpy(p->value, it->valuestring);
        m->u.start.n_params = i + 1;
    }
    return TW_OK;
}

static tw_status tw_parse_start(const cJSON *root, tw_msg *m, tw_error *err)
{
    const cJSON *start;
    tw_ctx top = {err, ""}, c = {err, "start"};
    tw_status st = tw_object(&top, root, "start", true, &start);
    if (st != TW_OK)
        return st;
    if ((st = tw_string(&c, start, "accountSid", false, m->u.start.account_sid, TW_SID_MAX)) ||
        (st = tw_string(&c, start, "callSid", false, m->u.start.call_sid, TW_SID_MAX)) ||
        (st = tw_string(&c, start, "streamSid", false, m->u.start.stream_sid, TW_SID_MAX)) ||
        (st = tw_parse_tracks(&c, start, &m->u.start.tracks)) ||
        (st = tw_parse_format(&c, start, &m->u.start.format)) ||
        (st = tw_parse_params(&c, start, m)))
        return st;
    if (m->u.start.stream_sid[0] && strcmp(m->u.start.stream_sid, m->stream_sid) != 0)
        return tw_fail(err, TW_ERR_VALUE, "start.streamSid",
                       "start.streamSid does not match streamSid");
    return TW_OK;
}

/* ---- media -------------------------------------------------------------------------- */

static tw_status tw_parse_media(const cJSON *root, tw_msg *m, uint8_t *payload, size_t cap,
                                tw_error *err)
{
    const cJSON *media, *b64;
    tw_ctx top = {err, ""}, c = {err, "media"};
    tw_status st = tw_object(&top, root, "media", true, &media);
    if (st != TW_OK || (st = tw_track(&c, media, "track", &m->u.media.track)) ||
        (st = tw_counter(&c, media, "chunk", true, NULL, &m->u.media.chunk)) ||
        (st = tw_counter(&c, media, "timestamp", true, NULL, &m->u.media.timestamp_ms)) ||
        (st = tw_get(&c, media, "payload", true, &b64)))
        return st;
    if (!cJSON_IsString(b64))
        return tw_fail(err, TW_ERR_TYPE, "media.payload", "media.payload must be a string");
    size_t len = strlen(b64->valuestring);
    if (!payload)
        cap = 0; /* b64_decode then writes nothing and reports any non-empty payload */
    b64_status bs = b64_decode(b64->valuestring, len, payload, cap, &m->u.media.payload_len);
    if (bs == B64_ERR_SPACE)
        return tw_fail(err, TW_ERR_PAYLOAD_SIZE, "media.payload",
                       "media.payload is larger than %zu bytes", cap);
    if (bs != B64_OK)
        return tw_fail(err, TW_ERR_BASE64, "media.payload", "media.payload is not base64: %s",
                       b64_strerror(bs));
    return TW_OK;
}

/* ---- dtmf, mark, stop --------------------------------------------------------------- */

static tw_status tw_parse_dtmf(const cJSON *root, tw_msg *m, tw_error *err)
{
    const cJSON *dtmf;
    char track[16];
    tw_ctx top = {err, ""}, c = {err, "dtmf"};
    tw_status st = tw_object(&top, root, "dtmf", true, &dtmf);
    if (st != TW_OK)
        return st;
    st = tw_string(&c, dtmf, "track", true, track, sizeof(track));
    if (st != TW_OK && st != TW_ERR_VALUE) /* a too long track is just an unknown one */
        return st;
    if (st == TW_OK && strcmp(track, "inbound_track") == 0)
        m->u.dtmf.track = TW_TRACK_INBOUND;
    else if (st == TW_OK && strcmp(track, "outbound_track") == 0)
        m->u.dtmf.track = TW_TRACK_OUTBOUND;
    else
        return tw_field_fail(&c, TW_ERR_VALUE, "track",
                             "must be \"inbound_track\" or \"outbound_track\"");
    st = tw_string(&c, dtmf, "digit", true, m->u.dtmf.digit, sizeof(m->u.dtmf.digit));
    if (st != TW_OK && st != TW_ERR_VALUE)
        return st;
    const char *d = m->u.dtmf.digit;
    if (st == TW_ERR_VALUE || d[0] == '\0' || d[1] != '\0' || !strchr("0123456789*#ABCD", d[0]))
        return tw_field_fail(&c, TW_ERR_VALUE, "digit", "must be one of 0-9, *, #, A-D");
    return TW_OK;
}

static tw_status tw_parse_mark(const cJSON *root, tw_msg *m, tw_error *err)
{
    const cJSON *mark;
    tw_ctx top = {err, ""}, c = {err, "mark"};
    tw_status st = tw_object(&top, root, "mark", true, &mark);
    if (st == TW_OK)
        st = tw_string(&c, mark, "name", true, m->u.mark.name, sizeof(m->u.mark.name));
    return st;
}

static tw_status tw_parse_stop(const cJSON *root, tw_msg *m, tw_error *err)
{
    const cJSON *stop;
    tw_ctx top = {err, ""}, c = {err, "stop"};
    tw_status st = tw_object(&top, root, "stop", false, &stop);
    if (st != TW_OK || !stop)
        return st;
    st = tw_string(&c, stop, "accountSid", false, m->u.stop.account_sid, TW_SID_MAX);
    if (st == TW_OK)
        st = tw_string(&c, stop, "callSid", false, m->u.stop.call_sid, TW_SID_MAX);
    return st;
}

/* ---- dispatch ----------------------------------------------------------------------- */

static const char *const tw_event_names[] = {"connected", "start", "media",
                                             "dtmf",      "mark",  "stop"};
#define TW_N_EVENTS (sizeof(tw_event_names) / sizeof(tw_event_names[0]))

/* Reset what a parse of event `ev` will fill, leaving the rest of the union untouched. */
static void tw_reset(tw_msg *m, tw_event ev)
{
    m->event = ev;
    m->stream_sid[0] = '\0';
    m->has_sequence = false;
    m->sequence_number = 0;
    switch (ev) {
    case TW_EV_CONNECTED:
        memset(&m->u.connected, 0, sizeof(m->u.connected));
        break;
    case TW_EV_START: /* the params array is filled, and counted, entry by entry */
        memset(&m->u.start, 0, offsetof(tw_msg, u.start.params) - offsetof(tw_msg, u.start));
        break;
    case TW_EV_MEDIA:
        memset(&m->u.media, 0, sizeof(m->u.media));
        break;
    case TW_EV_DTMF:
        memset(&m->u.dtmf, 0, sizeof(m->u.dtmf));
        break;
    case TW_EV_MARK:
        memset(&m->u.mark, 0, sizeof(m->u.mark));
        break;
    case TW_EV_STOP:
        memset(&m->u.stop, 0, sizeof(m->u.stop));
        break;
    }
}

static tw_status tw_parse_event(const cJSON *root, tw_msg *m, tw_error *err)
{
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(root, "event");
    if (!ev)
        return tw_fail(err, TW_ERR_EVENT, "event", "event is required");
    if (!cJSON_IsString(ev))
        return tw_fail(err, TW_ERR_TYPE, "event", "event must be a string");
    for (size_t i = 0; i < TW_N_EVENTS; i++) {
        if (strcmp(ev->valuestring, tw_event_names[i]) == 0) {
            tw_reset(m, (tw_event)i);
            return TW_OK;
        }
    }
    return tw_fail(err, TW_ERR_EVENT, "event",
                   "event must be connected, start, media, dtmf, mark or stop");
}

/* The fields every event but connected carries: streamSid (read first, so that any later
 * error can still be charged to its stream) and sequenceNumber. */
static tw_status tw_parse_header(const cJSON *root, tw_msg *m, tw_error *err)
{
    tw_ctx top = {err, ""};
    tw_status st = TW_OK;
    if (m->event != TW_EV_CONNECTED)
        st = tw_string(&top, root, "streamSid", true, m->stream_sid, sizeof(m->stream_sid));
    if (st == TW_OK)
        st = tw_counter(&top, root, "sequenceNumber", false, &m->has_sequence,
                        &m->sequence_number);
    return st;
}

/* cJSON_ParseWithLengthOpts stops after the first value; a frame holds exactly one value, so
 * anything but JSON whitespace after it makes the frame invalid. *where gets the offset of
 * the first offending byte. */
static cJSON *tw_json_parse(const char *json, size_t len, size_t *where)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
    if (root) {
        while (end < json + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
            end++;
        if (end < json + len) {
            cJSON_Delete(root);
            root = NULL;
        }
    }
    *where = end && end >= json && end <= json + len ? (size_t)(end - json) : len;
    return root;
}

tw_status tw_parse(const char *json, size_t len, tw_msg *out, uint8_t *payload, size_t payload_cap,
                   tw_error *err)
{
    if (tw_fast_media(json, len, out, payload, payload_cap)) {
        if (err) {
            err->status = TW_OK;
            err->field[0] = err->message[0] = '\0';
        }
        return TW_OK;
    }
    return tw_parse_full(json, len, out, payload, payload_cap, err);
}

tw_status tw_parse_full(const char *json, size_t len, tw_msg *out, uint8_t *payload,
                        size_t payload_cap, tw_error *err)
{
    if (err) {
        err->status = TW_OK;
        err->field[0] = err->message[0] = '\0';
    }
    out->stream_sid[0] = '\0';
    if (len > TW_MAX_MESSAGE)
        return tw_fail(err, TW_ERR_TOO_LARGE, "", "message is larger than %d bytes",
                       TW_MAX_MESSAGE);
    size_t where;
    cJSON *root = tw_json_parse(json, len, &where);
    if (!root)
        return tw_fail(err, TW_ERR_JSON, "", "message is not valid JSON (at byte %zu)", where);
    tw_status st = TW_OK;
    if (!cJSON_IsObject(root))
        st = tw_fail(err, TW_ERR_JSON, "", "message must be a JSON object");
    if (st == TW_OK)
        st = tw_parse_event(root, out, err);
    if (st == TW_OK)
        st = tw_parse_header(root, out, err);
    if (st == TW_OK) {
        switch (out->event) {
        case TW_EV_CONNECTED:
            st = tw_parse_connected(root, out, err);
            break;
        case TW_EV_START:
            st = tw_parse_start(root, out, err);
            break;
        case TW_EV_MEDIA:
            st = tw_parse_media(root, out, payload, payload_cap, err);
            break;
        case TW_EV_DTMF:
            st = tw_parse_dtmf(root, out, err);
            break;
        case TW_EV_MARK:
            st = tw_parse_mark(root, out, err);
            break;
        case TW_EV_STOP:
            st = tw_parse_stop(root, out, err);
            break;
        }
    }
    cJSON_Delete(root);
    return st;
}

/* ---- small public helpers ----------------------------------------------------------- */

const char *tw_event_name(tw_event ev)
{
    return (size_t)ev < TW_N_EVENTS ? tw_event_names[ev] : "unknown";
}

const char *tw_status_name(tw_status st)
{
    static const char *const names[] = {"ok",    "too_large", "invalid_json", "bad_event",
                                        "missing_field", "wrong_type", "invalid_value",
                                        "invalid_base64", "payload_too_large"};
    return (size_t)st < sizeof(names) / sizeof(names[0]) ? names[st] : "unknown";
}

const char *tw_param_get(const tw_msg *start, const char *key)
{
    if (!start || start->event != TW_EV_START || !key)
        return NULL;
    for (size_t i = 0; i < start->u.start.n_params; i++)
        if (strcmp(start->u.start.params[i].key, key) == 0)
            return start->u.start.params[i].value;
    return NULL;
}

bool tw_sid_valid(const char *sid)
{
    size_t n = 0;
    if (!sid)
        return false;
    for (; sid[n]; n++) {
        char ch = sid[n];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
            return false;
    }
    return n == 34;
}

static bool tw_is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

bool tw_uuid4_valid(const char *uuid)
{
    /* xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx with V in 8, 9, a, b (RFC 4122 variant). */
    if (!uuid || strlen(uuid) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? uuid[i] != '-' : !tw_is_hex(uuid[i]))
            return false;
    }
    return uuid[14] == '4' && strchr("89abAB", uuid[19]) != NULL;
}
