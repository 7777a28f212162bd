/* fuzz_vv.c -- libFuzzer target for the Voice Verify request mapping (gateway/api/vv_map.c).
 *
 * The first byte picks the mapping, the rest is the request body (also tried as the query's
 * external_id and as a query time). Checked for every input:
 *   - each mapping either succeeds or fails with 400/404/500 and a non-empty sentence;
 *   - a completed path is NUL-terminated, starts with the route's stem and is in bounds;
 *   - a replacement body is valid JSON holding a "mode" (snapshot mappings) or the same
 *     object with "new_password" (password);
 *   - a parsed time is not negative.
 * ASan sees any read past the body (which is not NUL-terminated) or a leak.
 */
#include "fuzz_check.h"
#include "api/vv_map.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#define STEM "/api/v2/stream/"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const vv_map_fn fns[] = {vv_map_enroll, vv_map_verify, vv_map_leave,
                                    vv_map_snapshot, vv_map_backup, vv_map_password};
    if (size == 0 || size > 8192)
        return 0;
    vv_map_fn fn = fns[data[0] % (sizeof fns / sizeof fns[0])];
    char *text = malloc(size); /* NUL-terminated copy of the rest: query id and time */
    vv_map_req *m = calloc(1, sizeof *m);
    CHECK(text && m);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    m->body = (const char *)data + 1; /* not NUL-terminated: the mapping must respect len */
    m->len = size - 1;
    m->query_id = data[0] & 0x80 ? text : NULL;
    snprintf(m->path, sizeof m->path, "%s", STEM);
    bool ok = fn(m);
    CHECK(memchr(m->path, '\0', sizeof m->path) != NULL);
    CHECK(strncmp(m->path, STEM, strlen(STEM)) == 0);
    if (!ok) {
        CHECK(m->status == 400 || m->status == 404 || m->status == 500);
        CHECK(m->why[0] != '\0');
        CHECK(m->new_body == NULL);
    } else if (m->new_body) {
        cJSON *o = cJSON_Parse(m->new_body);
        CHECK(cJSON_IsObject(o));
        CHECK(fn == vv_map_password || cJSON_HasObjectItem(o, "mode"));
        cJSON_Delete(o);
        free(m->new_body);
    }
    int64_t ms = -1;
    if (vv_parse_when(text, &ms))
        CHECK(ms >= 0);
    free(m);
    free(text);
    return 0;
}
