/* connect.c -- the Amazon Connect contact event (see connect.h for the shape and the rules).
 *
 * cJSON parses the whole event into a tree; small helpers then copy each member we model into
 * the connect_event, checking its type and recording the JSON path of the first member that is
 * wrong. Optional members are absent or null; everything else that is not the documented type
 * is an error, so a forwarder that mangles the event is told exactly what it sent wrong.
 */
#include "connect.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CD "Details.ContactData"

static connect_status connect_fail(connect_error *err, connect_status st, const char *field,
                                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static connect_status connect_fail(connect_error *err, connect_status st, const char *field,
                                   const char *fmt, ...) {
    if (!err) return st;
    err->status = st;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return st;
}

const char *connect_strerror(connect_status s) {
    switch (s) {
    case CONNECT_OK: return "ok";
    case CONNECT_ERR_TOO_LARGE: return "too large";
    case CONNECT_ERR_JSON: return "not a JSON object";
    case CONNECT_ERR_MISSING: return "missing field";
    case CONNECT_ERR_TYPE: return "wrong type";
    case CONNECT_ERR_VALUE: return "invalid value";
    case CONNECT_ERR_NOMEM: return "out of memory";
    }
    return "unknown";
}

static const char *connect_type_name(const cJSON *j) {
    if (cJSON_IsString(j)) return "a string";
    if (cJSON_IsNumber(j)) return "a number";
    if (cJSON_IsBool(j)) return "a boolean";
    if (cJSON_IsArray(j)) return "an array";
    if (cJSON_IsObject(j)) return "an object";
    return "null";
}

/* Member `name` of `obj` when present and not null, else NULL. */
static const cJSON *connect_member(const cJSON *obj, const char *name) {
    const cJSON *j = obj ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
    return j && !cJSON_IsNull(j) ? j : NULL;
}

/* Copy optional string member `name` of `obj` (path `parent`) into *out (NULL if absent). */
static connect_status connect_string(const cJSON *obj, const char *parent, const char *name,
                                     char **out, connect_error *err) {
    char path[128];
    const cJSON *j = connect_member(obj, name);
    *out = NULL;
    if (!j) return CONNECT_OK;
    snprintf(path, sizeof path, "%s.%s", parent, name);
    if (!cJSON_IsString(j))
        return connect_fail(err, CONNECT_ERR_TYPE, path, "%s must be a string, not %s", path,
                            connect_type_name(j));
    if (!(*out = strdup(j->valuestring)))
        return connect_fail(err, CONNECT_ERR_NOMEM, path, "out of memory copying %s", path);
    return CONNECT_OK;
}

/* Optional object member: *out = the object or NULL; error if present and not an object. */
static connect_status connect_object(const cJSON *obj, const char *parent, const char *name,
                                     const cJSON **out, connect_error *err) {
    const cJSON *j = connect_member(obj, name);
    *out = j;
    if (!j || cJSON_IsObject(j)) return CONNECT_OK;
    char path[128];
    snprintf(path, sizeof path, "%s%s%s", parent, *parent ? "." : "", name);
    return connect_fail(err, CONNECT_ERR_TYPE, path, "%s must be an object, not %s", path,
                        connect_type_name(j));
}

/* Copy a {string: string} map (path `path`) into a pair array. */
static connect_status connect_map(const cJSON *map, const char *path, connect_pair **out,
                                  size_t *n, connect_error *err) {
    size_t count = (size_t)cJSON_GetArraySize(map);
    if (count == 0) return CONNECT_OK;
    if (count > CONNECT_MAX_PAIRS)
        return connect_fail(err, CONNECT_ERR_VALUE, path, "%s has %zu entries, more than %d",
                            path, count, CONNECT_MAX_PAIRS);
    if (!(*out = calloc(count, sizeof **out)))
        return connect_fail(err, CONNECT_ERR_NOMEM, path, "out of memory copying %s", path);
    const cJSON *it;
    cJSON_ArrayForEach(it, map) {
        if (!cJSON_IsString(it)) {
            char field[128];
            snprintf(field, sizeof field, "%s.%s", path, it->string);
            return connect_fail(err, CONNECT_ERR_TYPE, field,
                                "%s must be a string, not %s (contact attributes are strings)",
                                field, connect_type_name(it));
        }
        connect_pair *p = &(*out)[(*n)++];
        p->key = strdup(it->string);
        p->value = strdup(it->valuestring);
        if (!p->key || !p->value)
            return connect_fail(err, CONNECT_ERR_NOMEM, path, "out of memory copying %s", path);
    }
    return CONNECT_OK;
}

static connect_status connect_endpoint_parse(const cJSON *cd, const char *name,
                                             connect_endpoint *ep, connect_error *err) {
    const cJSON *o;
    char path[64];
    snprintf(path, sizeof path, CD ".%s", name);
    connect_status st = connect_object(cd, CD, name, &o, err);
    if (st || !o) return st;
    if ((st = connect_string(o, path, "Address", &ep->address, err))) return st;
    return connect_string(o, path, "Type", &ep->type, err);
}

static connect_status connect_audio_parse(const cJSON *cd, connect_audio *a, connect_error *err) {
    const cJSON *ms, *cust, *audio;
    connect_status st;
    if ((st = connect_object(cd, CD, "MediaStreams", &ms, err)) || !ms) return st;
    if ((st = connect_object(ms, CD ".MediaStreams", "Customer", &cust, err)) || !cust) return st;
    const char *path = CD ".MediaStreams.Customer.Audio";
    if ((st = connect_object(cust, CD ".MediaStreams.Customer", "Audio", &audio, err)) || !audio)
        return st;
    if ((st = connect_string(audio, path, "StreamARN", &a->stream_arn, err))) return st;
    if ((st = connect_string(audio, path, "StartTimestamp", &a->start_timestamp, err))) return st;
    if ((st = connect_string(audio, path, "StopTimestamp", &a->stop_timestamp, err))) return st;
    return connect_string(audio, path, "StartFragmentNumber", &a->start_fragment_number, err);
}

/* The simple string members of ContactData. */
static connect_status connect_strings(const cJSON *cd, connect_event *ev, connect_error *err) {
    struct { const char *name; char **out; } s[] = {
        {"InitialContactId", &ev->initial_contact_id},
        {"PreviousContactId", &ev->previous_contact_id},
        {"Channel", &ev->channel},
        {"InitiationMethod", &ev->initiation_method},
        {"InstanceARN", &ev->instance_arn},
        {"InitiationTimestamp", &ev->initiation_timestamp},
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        connect_status st = connect_string(cd, CD, s[i].name, s[i].out, err);
        if (st) return st;
    }
    return CONNECT_OK;
}

static connect_status connect_contact_id(const cJSON *cd, connect_event *ev, connect_error *err) {
    const char *path = CD ".ContactId";
    if (!connect_member(cd, "ContactId"))
        return connect_fail(err, CONNECT_ERR_MISSING, path, "%s is required", path);
    connect_status st = connect_string(cd, CD, "ContactId", &ev->contact_id, err);
    if (st) return st;
    if (!*ev->contact_id)
        return connect_fail(err, CONNECT_ERR_VALUE, path, "%s must not be empty", path);
    return CONNECT_OK;
}

static connect_status connect_details(const cJSON *root, connect_event *ev, connect_error *err) {
    const cJSON *details, *cd, *attrs, *params;
    connect_status st;
    if ((st = connect_object(root, "", "Details", &details, err))) return st;
    if (!details) return connect_fail(err, CONNECT_ERR_MISSING, "Details", "Details is required");
    if ((st = connect_object(details, "Details", "ContactData", &cd, err))) return st;
    if (!cd) return connect_fail(err, CONNECT_ERR_MISSING, CD, CD " is required");
    if ((st = connect_contact_id(cd, ev, err)) || (st = connect_strings(cd, ev, err)) ||
        (st = connect_endpoint_parse(cd, "CustomerEndpoint", &ev->customer, err)) ||
        (st = connect_endpoint_parse(cd, "SystemEndpoint", &ev->system, err)) ||
        (st = connect_audio_parse(cd, &ev->customer_audio, err)))
        return st;
    if ((st = connect_object(cd, CD, "Attributes", &attrs, err))) return st;
    if (attrs && (st = connect_map(attrs, CD ".Attributes", &ev->attributes, &ev->n_attributes, err)))
        return st;
    if ((st = connect_object(details, "Details", "Parameters", &params, err))) return st;
    if (params && (st = connect_map(params, "Details.Parameters", &ev->parameters, &ev->n_parameters, err)))
        return st;
    return CONNECT_OK;
}

/* cJSON stops at the end of the first value; anything but whitespace after it is an error. */
static int connect_only_space(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') return 0;
    return 1;
}

connect_status connect_parse(const char *json, size_t len, connect_event *ev, connect_error *err) {
    memset(ev, 0, sizeof *ev);
    if (err) memset(err, 0, sizeof *err);
    if (len > CONNECT_MAX_EVENT)
        return connect_fail(err, CONNECT_ERR_TOO_LARGE, "", "event of %zu bytes exceeds the %d byte limit",
                            len, CONNECT_MAX_EVENT);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root) return connect_fail(err, CONNECT_ERR_JSON, "", "event is not valid JSON");
    connect_status st;
    if (!connect_only_space(end, (size_t)(json + len - end))) {
        st = connect_fail(err, CONNECT_ERR_JSON, "", "event has trailing characters after the JSON");
    } else if (!cJSON_IsObject(root)) {
        st = connect_fail(err, CONNECT_ERR_JSON, "", "event must be a JSON object, not %s",
                          connect_type_name(root));
    } else {
        st = connect_string(root, "", "Name", &ev->name, err);
        if (!st) st = connect_details(root, ev, err);
    }
    cJSON_Delete(root);
    if (st) connect_event_free(ev);
    return st;
}

static void connect_pairs_free(connect_pair *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(p[i].key);
        free(p[i].value);
    }
    free(p);
}

void connect_event_free(connect_event *ev) {
    char **s[] = {&ev->name, &ev->contact_id, &ev->initial_contact_id, &ev->previous_contact_id,
                  &ev->channel, &ev->initiation_method, &ev->instance_arn,
                  &ev->initiation_timestamp, &ev->customer.address, &ev->customer.type,
                  &ev->system.address, &ev->system.type, &ev->customer_audio.stream_arn,
                  &ev->customer_audio.start_timestamp, &ev->customer_audio.stop_timestamp,
                  &ev->customer_audio.start_fragment_number};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) free(*s[i]);
    connect_pairs_free(ev->attributes, ev->n_attributes);
    connect_pairs_free(ev->parameters, ev->n_parameters);
    memset(ev, 0, sizeof *ev);
}

static const char *connect_lookup(const connect_pair *p, size_t n, const char *key) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].key, key) == 0) return p[i].value;
    return NULL;
}

const char *connect_attribute(const connect_event *ev, const char *key) {
    return connect_lookup(ev->attributes, ev->n_attributes, key);
}

const char *connect_parameter(const connect_event *ev, const char *key) {
    return connect_lookup(ev->parameters, ev->n_parameters, key);
}

long connect_build_response(const connect_pair *pairs, size_t n, char *out, size_t cap,
                            connect_error *err) {
    if (err) memset(err, 0, sizeof *err);
    cJSON *obj = cJSON_CreateObject();
    if (!obj) return connect_fail(err, CONNECT_ERR_NOMEM, "", "out of memory"), -1;
    for (size_t i = 0; i < n; i++) {
        if (!pairs[i].key || !*pairs[i].key) {
            cJSON_Delete(obj);
            return connect_fail(err, CONNECT_ERR_VALUE, "", "response key %zu is empty", i), -1;
        }
        if (pairs[i].value && !cJSON_AddStringToObject(obj, pairs[i].key, pairs[i].value)) {
            cJSON_Delete(obj);
            return connect_fail(err, CONNECT_ERR_NOMEM, pairs[i].key, "out of memory"), -1;
        }
    }
    char *text = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    if (!text) return connect_fail(err, CONNECT_ERR_NOMEM, "", "out of memory"), -1;
    size_t len = strlen(text);
    long rc = (long)len;
    if (len > CONNECT_MAX_RESPONSE || len + 1 > cap) {
        rc = -1;
        connect_fail(err, CONNECT_ERR_TOO_LARGE, "", "response of %zu bytes exceeds the %s", len,
                     len > CONNECT_MAX_RESPONSE ? "32 KB Amazon Connect accepts" : "buffer");
    } else {
        memcpy(out, text, len + 1);
    }
    cJSON_free(text);
    return rc;
}
