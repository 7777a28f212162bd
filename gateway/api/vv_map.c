/* vv_map.c -- the Voice Verify manual's request fields mapped onto callprint's. See vv_map.h. */
#include "api/vv_map.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool fail(vv_map_req *m, int status, const char *why)
{
    m->status = status;
    snprintf(m->why, sizeof m->why, "%s", why);
    return false;
}

/* The body as a JSON object, NULL (failure recorded) when it is not one. */
static cJSON *body_object(vv_map_req *m)
{
    if (!m->body || m->len == 0) {
        fail(m, 400, "a JSON object body is required");
        return NULL;
    }
    cJSON *o = cJSON_ParseWithLength(m->body, m->len);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        fail(m, 400, "the body must be a JSON object");
        return NULL;
    }
    return o;
}

/* Append to the path; false (failure recorded) when it does not fit. */
static bool append(vv_map_req *m, const char *a, const char *b)
{
    size_t n = strlen(m->path);
    int k = snprintf(m->path + n, sizeof m->path - n, "%s%s", a, b);
    return k >= 0 && (size_t)k < sizeof m->path - n ? true : fail(m, 400, "the id is too long");
}

/* The replacement body; o is freed. */
static bool set_body(vv_map_req *m, cJSON *o)
{
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    m->new_body = text ? strdup(text) : NULL; /* the caller frees with free() */
    cJSON_free(text);
    return m->new_body ? true : fail(m, 500, "out of memory");
}

static bool job(vv_map_req *m, const char *what)
{
    cJSON *o = body_object(m);
    if (!o)
        return false;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "uuid");
    if (!cJSON_IsString(id))
        id = cJSON_GetObjectItemCaseSensitive(o, "stream_uuid");
    bool ok;
    if (!cJSON_IsString(id))
        ok = fail(m, 400, "\"uuid\" (the stream's uuid) is required");
    else if (!id->valuestring[0] || strlen(id->valuestring) > 64 ||
             strspn(id->valuestring, "0123456789abcdefABCDEF-") != strlen(id->valuestring))
        ok = fail(m, 404, "Stream not found."); /* not a stream uuid: no such stream */
    else
        ok = append(m, id->valuestring, what);
    cJSON_Delete(o);
    return ok;
}

bool vv_map_enroll(vv_map_req *m) { return job(m, "/enroll"); }
bool vv_map_verify(vv_map_req *m) { return job(m, "/verify"); }

bool vv_map_leave(vv_map_req *m)
{
    const char *id = m->query_id;
    cJSON *o = NULL;
    if (!id && m->len) {
        if (!(o = body_object(m)))
            return false;
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "external_id");
        id = cJSON_IsString(e) ? e->valuestring : NULL;
    }
    /* Router paths are already percent-decoded: the id goes in as it is; the target route
     * refuses a '/' or control character in it like in any path. */
    bool ok = id && *id ? append(m, id, "")
                        : fail(m, 400, "\"external_id\" is required (in the body or the query)");
    cJSON_Delete(o);
    return ok;
}

static bool with_mode(vv_map_req *m, const char *def)
{
    cJSON *o = body_object(m);
    if (!o)
        return false;
    if (!cJSON_HasObjectItem(o, "mode")) {
        const cJSON *ow = cJSON_GetObjectItemCaseSensitive(o, "overwrite");
        const char *mode = cJSON_IsBool(ow) ? (cJSON_IsTrue(ow) ? "overwrite" : "skip") : def;
        cJSON_AddStringToObject(o, "mode", mode);
    }
    return set_body(m, o);
}

bool vv_map_snapshot(vv_map_req *m) { return with_mode(m, "skip"); }
bool vv_map_backup(vv_map_req *m) { return with_mode(m, "overwrite"); }

bool vv_map_password(vv_map_req *m)
{
    cJSON *o = body_object(m);
    if (!o)
        return false;
    const cJSON *p1 = cJSON_GetObjectItemCaseSensitive(o, "new_password1");
    const cJSON *p2 = cJSON_GetObjectItemCaseSensitive(o, "new_password2");
    if (cJSON_IsString(p1) && !cJSON_HasObjectItem(o, "new_password")) {
        if (p2 && (!cJSON_IsString(p2) || strcmp(p1->valuestring, p2->valuestring) != 0)) {
            cJSON_Delete(o);
            return fail(m, 400, "\"new_password1\" and \"new_password2\" differ");
        }
        cJSON_AddStringToObject(o, "new_password", p1->valuestring);
    }
    return set_body(m, o);
}

bool vv_parse_when(const char *s, int64_t *ms)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s >= '0' && *s <= '9' && !*end && v >= 0 && v < 253402300800000LL) {
        *ms = v;
        return true;
    }
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%d", &tm);
    if (p && *p == 'T')
        p = strptime(p + 1, "%H:%M:%S", &tm);
    if (!p)
        return false;
    while (*p == '.' || (*p >= '0' && *p <= '9'))
        p++;
    if (*p && strcmp(p, "Z") != 0)
        return false;
    time_t t = timegm(&tm);
    if (t < 0 || t > 253402300799) /* 1970 to 9999 */
        return false;
    *ms = (int64_t)t * 1000;
    return true;
}
