/* vv_map.h -- the Voice Verify manual's request fields mapped onto callprint's routes.
 *
 * Pure functions (no I/O, no global state) used by api_vv.c's aliases and fuzzed by
 * tests/fuzz/fuzz_vv.c: each takes the client's bytes -- a JSON body, the external_id of the
 * query -- and either completes the target path and/or produces a replacement body, or says
 * why not with an HTTP status and a sentence. Bodies are parsed with cJSON; nothing of them is
 * trusted beyond what is checked here, and the target handler validates again.
 */
#ifndef CALLPRINT_VV_MAP_H
#define CALLPRINT_VV_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VV_MAP_PATH_MAX 4096

typedef struct {
    const char *body; /* the request body (need not be NUL-terminated) */
    size_t len;
    const char *query_id; /* ?external_id=..., NULL when absent */
    char path[VV_MAP_PATH_MAX]; /* in: the target route (or its stem); out: completed */
    char *new_body; /* out: malloc'd replacement body (NUL-terminated), NULL to keep */
    int status;     /* out, on failure: 400 or 404 (500: out of memory) */
    char why[128];  /* out, on failure: the sentence */
} vv_map_req;

typedef bool (*vv_map_fn)(vv_map_req *m);

/* POST /enroll, /verify {"uuid" | "stream_uuid", "external_id"}: path stem + "<uuid>/enroll". */
bool vv_map_enroll(vv_map_req *m);
bool vv_map_verify(vv_map_req *m);
/* DELETE /leave: external_id from the query or the body, appended to the path stem. */
bool vv_map_leave(vv_map_req *m);
/* Snapshot import without "mode": "overwrite": true/false chooses, else skip (snapshot) or
 * overwrite (a backup restore). */
bool vv_map_snapshot(vv_map_req *m);
bool vv_map_backup(vv_map_req *m);
/* Django's password change {"old_password", "new_password1", "new_password2"}. */
bool vv_map_password(vv_map_req *m);

/* A query time: milliseconds since 1970, or an RFC 3339 date / date-time in UTC. */
bool vv_parse_when(const char *s, int64_t *ms);

#endif
