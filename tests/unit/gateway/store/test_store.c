/* test_store.c -- the store's data model against a real redis-server: sessions (NA defaults,
 * upsert in either order, verdict history, indexes, expiry), voiceprints (put/get/exists/count/
 * delete, import skip/overwrite, paged export), encryption at rest (no key, wrong key, swapped
 * blob, tampered blob, plaintext refused), the customer directory and the capped audit stream.
 *
 * Uses CALLPRINT_TEST_REDIS_URL when set (keys under a prefix unique to the test, deleted after),
 * else a private redis-server.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "store_fixture.h"

#define KEY_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" /* the same 32 bytes */
#define KEY2_HEX "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static store_fixture F;
static store *st;

/* ---- plumbing ---------------------------------------------------------------------------- */

typedef store_answer result; /* what a store callback answered (store_fixture.h) */

static store *open_store(const char *key) {
    store_options o = {.voiceprint_key = key, .audit_max = 100, .verdict_history_max = 1000};
    return store_fixture_open(&F, &o);
}

static void close_store(store *s) { cr_assert(store_fixture_close(&F, s)); }

static void setup(void) {
    store_fixture_init(&F, "cptest");
    st = open_store(NULL);
}

static void teardown(void) {
    if (st) close_store(st);
    store_fixture_fini(&F);
}

#define WAIT(r) cr_assert(run_until(&F.loop, &(r).done, 5000), "no answer within 5 s")

static redisReply *cmd(const char *fmt, const char *a, const char *b) {
    redisReply *r = redisCommand(F.rc, fmt, F.prefix, a, b);
    cr_assert_not_null(r);
    return r;
}

/* ---- sessions ------------------------------------------------------------------------------ */

typedef struct {
    result r;
    char fields[32][2][128];
    size_t n_fields, n_verdicts;
    char verdicts[8][2][32]; /* verdict, score */
} session_result;

static void on_session(void *arg, store_status s, const store_session_view *v, const char *err) {
    session_result *sr = arg;
    store_answer_done(&sr->r, s, err);
    if (!v) return;
    sr->n_fields = v->n_fields;
    for (size_t i = 0; i < v->n_fields && i < 32; i++) {
        snprintf(sr->fields[i][0], 128, "%s", v->fields[2 * i]);
        snprintf(sr->fields[i][1], 128, "%s", v->fields[2 * i + 1]);
    }
    sr->n_verdicts = v->n_verdicts;
    for (size_t i = 0; i < v->n_verdicts && i < 8; i++) {
        snprintf(sr->verdicts[i][0], 32, "%s", v->verdicts[i].verdict);
        snprintf(sr->verdicts[i][1], 32, "%s", v->verdicts[i].score);
    }
}

static const char *field(const session_result *sr, const char *name) {
    for (size_t i = 0; i < sr->n_fields && i < 32; i++)
        if (strcmp(sr->fields[i][0], name) == 0) return sr->fields[i][1];
    return NULL;
}

static void save(const store_session *ss) {
    result r = {0};
    store_session_save(st, ss, store_answer_done, &r);
    WAIT(r);
    cr_assert_eq(r.st, STORE_OK, "save: %s", r.err);
}

static session_result get_session(const char *id) {
    session_result sr = {0};
    store_session_get(st, id, on_session, &sr);
    cr_assert(run_until(&F.loop, &sr.r.done, 5000));
    return sr;
}

Test(store, session_missing_optional_attributes_are_NA, .init = setup, .fini = teardown) {
    /* The MoCaaS paper's event without network_type and location. */
    store_session ss = {.session_id = "uuid-def-456", .contact_id = "contact-1",
                        .caller = "+442079460958", .caller_status = "known",
                        .external_id = "cust-1", .channel = "VOICE"};
    save(&ss);
    session_result sr = get_session("uuid-def-456");
    cr_assert_eq(sr.r.st, STORE_OK, "%s", sr.r.err);
    cr_expect_str_eq(field(&sr, "network_type"), "NA");
    cr_expect_str_eq(field(&sr, "location"), "NA");
    cr_expect_str_eq(field(&sr, "call_sid"), "NA");
    cr_expect_str_eq(field(&sr, "end_time"), "NA");
    cr_expect_str_eq(field(&sr, "status"), "created");
    cr_expect_str_eq(field(&sr, "dtmf"), "");
    cr_expect_str_eq(field(&sr, "last_verdict"), "NA");
    cr_expect_str_eq(field(&sr, "caller"), "+442079460958");
    cr_expect_str_eq(field(&sr, "contact_id"), "contact-1");
    cr_expect_eq(strlen(field(&sr, "start_time")), 24, "start_time %s", field(&sr, "start_time"));
    cr_expect_eq(sr.n_verdicts, 0);
}

Test(store, session_upsert_in_either_order_keeps_what_was_set, .init = setup, .fini = teardown) {
    /* The Connect event arrives first, then the stream start: neither erases the other. */
    store_session connect_ev = {.session_id = "s1", .contact_id = "c-77", .location = "Oran, DZ",
                                .network_type = "landline", .caller = "+213551234567"};
    save(&connect_ev);
    const char *extra[] = {"param.mode", "verify"};
    store_session stream = {.session_id = "s1", .stream_uuid = "5d6f3c5e-0000-4000-8000-000000000001",
                            .stream_sid = "MZ01", .call_sid = "CA01", .status = "streaming",
                            .extra = extra, .n_extra = 1};
    save(&stream);
    store_session later = {.session_id = "s1", .dtmf = "12#", .status = "ended",
                           .end_time = "2026-11-21T06:30:00.000Z", .forward_status = "200"};
    save(&later);
    session_result sr = get_session("s1");
    cr_assert_eq(sr.r.st, STORE_OK);
    cr_expect_str_eq(field(&sr, "location"), "Oran, DZ");
    cr_expect_str_eq(field(&sr, "network_type"), "landline");
    cr_expect_str_eq(field(&sr, "contact_id"), "c-77");
    cr_expect_str_eq(field(&sr, "call_sid"), "CA01");
    cr_expect_str_eq(field(&sr, "stream_sid"), "MZ01");
    cr_expect_str_eq(field(&sr, "status"), "ended");
    cr_expect_str_eq(field(&sr, "dtmf"), "12#");
    cr_expect_str_eq(field(&sr, "forward_status"), "200");
    cr_expect_str_eq(field(&sr, "param.mode"), "verify");
    /* indexes */
    const struct { store_index by; const char *key; } idx[] = {
        {STORE_BY_CONTACT_ID, "c-77"}, {STORE_BY_CALL_SID, "CA01"},
        {STORE_BY_STREAM_UUID, "5d6f3c5e-0000-4000-8000-000000000001"}};
    for (size_t i = 0; i < 3; i++) {
        result r = {0};
        store_session_find(st, idx[i].by, idx[i].key, store_answer_id, &r);
        WAIT(r);
        cr_expect_eq(r.st, STORE_OK, "%s: %s", idx[i].key, r.err);
        cr_expect_str_eq(r.id, "s1");
    }
    result r = {0};
    store_session_find(st, STORE_BY_CONTACT_ID, "unknown-contact", store_answer_id, &r);
    WAIT(r);
    cr_expect_eq(r.st, STORE_NOT_FOUND);
}

Test(store, session_verdict_history_and_errors, .init = setup, .fini = teardown) {
    store_session ss = {.session_id = "s2"};
    save(&ss);
    const char *verdicts[] = {"not_sure", "verified", "verified"};
    for (int i = 0; i < 3; i++) {
        result r = {0};
        store_session_add_verdict(st, "s2", verdicts[i], 40.0 + 20 * i, 1.5 * i, "verify",
                                  store_answer_done, &r);
        WAIT(r);
        cr_assert_eq(r.st, STORE_OK, "%s", r.err);
    }
    session_result sr = get_session("s2");
    cr_assert_eq(sr.n_verdicts, 3);
    cr_expect_str_eq(sr.verdicts[0][0], "not_sure");
    cr_expect_str_eq(sr.verdicts[0][1], "40.0000");
    cr_expect_str_eq(sr.verdicts[2][0], "verified");
    cr_expect_str_eq(field(&sr, "last_verdict"), "verified");
    cr_expect_str_eq(field(&sr, "last_score"), "80.0000");

    session_result missing = get_session("nope");
    cr_expect_eq(missing.r.st, STORE_NOT_FOUND);
    result r = {0};
    store_session bad = {.session_id = ""};
    cr_expect_eq(store_session_save(st, &bad, store_answer_done, &r), -1);
    cr_expect_eq(r.st, STORE_INVALID);
    const char *reserved[] = {"caller", "x"};
    store_session clash = {.session_id = "s3", .extra = reserved, .n_extra = 1};
    r = (result){0};
    cr_expect_eq(store_session_save(st, &clash, store_answer_done, &r), -1);
    cr_expect_eq(r.st, STORE_INVALID);
}

Test(store, session_expiry, .init = setup, .fini = teardown) {
    close_store(st);
    store_options o = {.url = F.url, .prefix = F.prefix, .session_ttl_s = 1};
    char err[256];
    st = store_open(&F.loop, &o, err, sizeof err);
    cr_assert_not_null(st);
    store_session ss = {.session_id = "short", .contact_id = "c-short"};
    result r = {0};
    store_session_save(st, &ss, store_answer_done, &r);
    WAIT(r);
    cr_assert_eq(r.st, STORE_OK);
    redisReply *ttl = cmd("PTTL %ssession:%s", "short", NULL);
    cr_expect(ttl->integer > 0 && ttl->integer <= 1000, "PTTL %lld", ttl->integer);
    freeReplyObject(ttl);
    ttl = cmd("PTTL %ssession:by-contact:%s", "c-short", NULL);
    cr_expect(ttl->integer > 0 && ttl->integer <= 1000, "index PTTL %lld", ttl->integer);
    freeReplyObject(ttl);
    run_for(&F.loop, 2100);
    session_result sr = get_session("short");
    cr_expect_eq(sr.r.st, STORE_NOT_FOUND);
    r = (result){0};
    store_session_find(st, STORE_BY_CONTACT_ID, "c-short", store_answer_id, &r);
    WAIT(r);
    cr_expect_eq(r.st, STORE_NOT_FOUND);
}

/* ---- voiceprints ------------------------------------------------------------------------------ */

typedef struct {
    result r;
    uint8_t blob[256];
    size_t len;
    char stream_uuid[64];
    double speech_s;
    int64_t created_ms;
    char stamp[64];
} vp_result;

static void on_vp(void *arg, store_status s, const store_voiceprint *vp, const char *err) {
    vp_result *v = arg;
    store_answer_done(&v->r, s, err);
    if (!vp) return;
    v->len = vp->len < sizeof v->blob ? vp->len : sizeof v->blob;
    memcpy(v->blob, vp->blob, v->len);
    snprintf(v->stream_uuid, sizeof v->stream_uuid, "%s", vp->stream_uuid ? vp->stream_uuid : "");
    v->speech_s = vp->speech_s;
    v->created_ms = vp->created_ms;
    snprintf(v->stamp, sizeof v->stamp, "%s", vp->stamp ? vp->stamp : "");
}

static store_status put(store *s, const char *id, const uint8_t *blob, size_t len,
                        store_put_mode mode) {
    store_voiceprint vp = {.external_id = id, .blob = blob, .len = len, .stream_uuid = "u-1",
                           .speech_s = 12.5, .created_ms = 1763700000000};
    result r = {0};
    store_voiceprint_put(s, &vp, mode, store_answer_done, &r);
    WAIT(r);
    return r.st;
}

static vp_result get_vp(store *s, const char *id) {
    vp_result v = {0};
    store_voiceprint_get(s, id, on_vp, &v);
    cr_assert(run_until(&F.loop, &v.r.done, 5000));
    return v;
}

static const uint8_t blob1[] = {0, 1, 2, 3, 0xff, 0, 7, 'v', 'p'}; /* binary, with NULs */
static const uint8_t blob2[] = {9, 8, 7};

Test(store, voiceprint_lifecycle, .init = setup, .fini = teardown) {
    cr_assert_eq(put(st, "cust-1", blob1, sizeof blob1, STORE_PUT_OVERWRITE), STORE_OK);
    vp_result v = get_vp(st, "cust-1");
    cr_assert_eq(v.r.st, STORE_OK, "%s", v.r.err);
    cr_expect_eq(v.len, sizeof blob1);
    cr_expect_arr_eq(v.blob, blob1, sizeof blob1);
    cr_expect_str_eq(v.stream_uuid, "u-1");
    cr_expect_float_eq(v.speech_s, 12.5, 1e-9);
    cr_expect_eq(v.created_ms, 1763700000000);

    result r = {0};
    store_voiceprint_exists(st, "cust-1", store_answer_done, &r);
    WAIT(r);
    cr_expect_eq(r.st, STORE_OK);
    r = (result){0};
    store_voiceprint_exists(st, "cust-2", store_answer_done, &r);
    WAIT(r);
    cr_expect_eq(r.st, STORE_NOT_FOUND);

    /* import: skip keeps the old one, overwrite replaces it */
    cr_expect_eq(put(st, "cust-1", blob2, sizeof blob2, STORE_PUT_SKIP_EXISTING), STORE_EXISTS);
    cr_expect_arr_eq(get_vp(st, "cust-1").blob, blob1, sizeof blob1);
    cr_expect_eq(put(st, "cust-2", blob2, sizeof blob2, STORE_PUT_SKIP_EXISTING), STORE_OK);
    cr_expect_eq(put(st, "cust-1", blob2, sizeof blob2, STORE_PUT_OVERWRITE), STORE_OK);
    v = get_vp(st, "cust-1");
    cr_expect_eq(v.len, sizeof blob2);
    cr_expect_arr_eq(v.blob, blob2, sizeof blob2);

    r = (result){0};
    store_voiceprint_count(st, store_answer_count, &r);
    WAIT(r);
    cr_expect_eq(r.count, 2);
    r = (result){0};
    store_voiceprint_delete(st, "cust-1", store_answer_done, &r);
    WAIT(r);
    cr_expect_eq(r.st, STORE_OK);
    r = (result){0};
    store_voiceprint_delete(st, "cust-1", store_answer_done, &r);
    WAIT(r);
    cr_expect_eq(r.st, STORE_NOT_FOUND);
    cr_expect_eq(get_vp(st, "cust-1").r.st, STORE_NOT_FOUND);
    r = (result){0};
    store_voiceprint_count(st, store_answer_count, &r);
    WAIT(r);
    cr_expect_eq(r.count, 1);

    r = (result){0};
    store_voiceprint bad = {.external_id = "x", .blob = NULL, .len = 0};
    cr_expect_eq(store_voiceprint_put(st, &bad, STORE_PUT_OVERWRITE, store_answer_done, &r), -1);
    cr_expect_eq(r.st, STORE_INVALID);
}

/* The stamp of id's voiceprint (asserting the read answered), "" when not found. */
static result stamp_of(const char *id) {
    result r = {0};
    store_voiceprint_stamp(st, id, store_answer_id, &r);
    WAIT(r);
    return r;
}

Test(store, voiceprint_stamp_changes_with_each_write_and_goes_with_a_delete, .init = setup,
     .fini = teardown) {
    cr_assert_eq(put(st, "cust-s", blob1, sizeof blob1, STORE_PUT_OVERWRITE), STORE_OK);
    result a = stamp_of("cust-s");
    cr_assert_eq(a.st, STORE_OK, "%s", a.err);
    cr_expect_eq(strlen(a.id), 16, "64 random bits in hex: %s", a.id);
    cr_expect_str_eq(get_vp(st, "cust-s").stamp, a.id, "a read carries the same stamp");
    /* The same blob written again (a restore) still gets a new stamp; skip-existing does not
     * write, so it keeps it. */
    cr_assert_eq(put(st, "cust-s", blob1, sizeof blob1, STORE_PUT_OVERWRITE), STORE_OK);
    result b = stamp_of("cust-s");
    cr_expect_eq(b.st, STORE_OK);
    cr_expect_str_neq(a.id, b.id, "a rewrite changes the stamp");
    cr_expect_eq(put(st, "cust-s", blob2, sizeof blob2, STORE_PUT_SKIP_EXISTING), STORE_EXISTS);
    cr_expect_str_eq(stamp_of("cust-s").id, b.id);
    /* A voiceprint written before stamps existed: its created_ms stands in. */
    freeReplyObject(cmd("HDEL %s%s %s", "voiceprint:cust-s", "stamp"));
    cr_expect_str_eq(stamp_of("cust-s").id, "1763700000000");
    cr_expect_str_eq(get_vp(st, "cust-s").stamp, "1763700000000");
    result r = {0};
    store_voiceprint_delete(st, "cust-s", store_answer_done, &r);
    WAIT(r);
    cr_expect_eq(stamp_of("cust-s").st, STORE_NOT_FOUND);
    cr_expect_eq(stamp_of("never-written").st, STORE_NOT_FOUND);
}

typedef struct {
    int done, pages;
    uint64_t cursor;
    char seen[600];
    size_t items, bad;
    store_status st;
} scan_state;

static void on_page(void *arg, store_status s, uint64_t next, const store_voiceprint *vps,
                    const store_status *sts, size_t n, const char *err) {
    (void)err;
    scan_state *sc = arg;
    sc->st = s;
    sc->pages++;
    for (size_t i = 0; i < n; i++) {
        int k = atoi(vps[i].external_id + 3);
        if (sts[i] != STORE_OK || k < 0 || k >= 600 || vps[i].len != 4 ||
            memcmp(vps[i].blob, &k, 4) != 0)
            sc->bad++;
        else
            sc->seen[k] = 1;
        sc->items++;
    }
    sc->cursor = next;
    sc->done = 1;
}

Test(store, voiceprint_export_scan_is_paged_and_complete, .init = setup, .fini = teardown) {
    int n = 250, acked = 0;
    result rs[250];
    for (int i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "vp-%d", i);
        store_voiceprint vp = {.external_id = id, .blob = (const uint8_t *)&i, .len = 4};
        rs[i] = (result){0};
        store_voiceprint_put(st, &vp, STORE_PUT_OVERWRITE, store_answer_done, &rs[i]);
    }
    for (int i = 0; i < n; i++) {
        cr_assert(run_until(&F.loop, &rs[i].done, 5000));
        acked += rs[i].st == STORE_OK;
    }
    cr_assert_eq(acked, n);
    scan_state sc = {0};
    do {
        sc.done = 0;
        store_voiceprint_scan(st, sc.cursor, 50, on_page, &sc);
        cr_assert(run_until(&F.loop, &sc.done, 5000));
        cr_assert_eq(sc.st, STORE_OK);
    } while (sc.cursor != 0 && sc.pages < 100);
    cr_expect_gt(sc.pages, 1, "one page only: not paged");
    cr_expect_eq(sc.bad, 0);
    int distinct = 0;
    for (int i = 0; i < n; i++) distinct += sc.seen[i];
    cr_expect_eq(distinct, n);
}

/* ---- encryption -------------------------------------------------------------------------------- */

Test(store, encrypted_blobs_are_unreadable_without_the_key, .init = setup, .fini = teardown) {
    close_store(st);
    store *enc = open_store(KEY_HEX);
    cr_assert_eq(put(enc, "alice", blob1, sizeof blob1, STORE_PUT_OVERWRITE), STORE_OK);
    cr_assert_eq(put(enc, "bob", blob2, sizeof blob2, STORE_PUT_OVERWRITE), STORE_OK);

    /* at rest: not the plaintext, marked, with the key id */
    redisReply *h = cmd("HGETALL %svoiceprint:%s", "alice", NULL);
    const redisReply *raw = NULL;
    const char *encf = NULL, *kid = NULL;
    for (size_t i = 0; i + 1 < h->elements; i += 2) {
        if (!strcmp(h->element[i]->str, "blob")) raw = h->element[i + 1];
        if (!strcmp(h->element[i]->str, "enc")) encf = h->element[i + 1]->str;
        if (!strcmp(h->element[i]->str, "kid")) kid = h->element[i + 1]->str;
    }
    cr_assert_not_null(raw);
    cr_expect_eq(raw->len, sizeof blob1 + 28);
    cr_expect(memmem(raw->str, raw->len, blob1, sizeof blob1) == NULL, "plaintext visible at rest");
    cr_expect_str_eq(encf, "aes-256-gcm");
    cr_expect_eq(strlen(kid), 8);
    char kid_copy[16];
    snprintf(kid_copy, sizeof kid_copy, "%s", kid);
    freeReplyObject(h);

    vp_result v = get_vp(enc, "alice");
    cr_assert_eq(v.r.st, STORE_OK, "%s", v.r.err);
    cr_expect_arr_eq(v.blob, blob1, sizeof blob1);
    close_store(enc);

    /* the same key given as base64 reads it too */
    store *b64 = open_store(KEY_B64);
    cr_expect_eq(get_vp(b64, "alice").r.st, STORE_OK);
    close_store(b64);

    /* no key */
    store *plain = open_store(NULL);
    v = get_vp(plain, "alice");
    cr_expect_eq(v.r.st, STORE_CRYPTO);
    cr_expect(strstr(v.r.err, "no CALLPRINT_VOICEPRINT_KEY"), "%s", v.r.err);
    cr_expect(strstr(v.r.err, kid_copy), "%s", v.r.err);
    close_store(plain);

    /* wrong key */
    store *wrong = open_store(KEY2_HEX);
    v = get_vp(wrong, "alice");
    cr_expect_eq(v.r.st, STORE_CRYPTO);
    cr_expect(strstr(v.r.err, "key id"), "%s", v.r.err);
    cr_expect_eq(v.len, 0);
    close_store(wrong);

    /* right key, but alice's blob copied over bob's: the AAD (external_id) catches it */
    st = open_store(KEY_HEX);
    redisReply *r = redisCommand(F.rc, "HGET %svoiceprint:alice blob", F.prefix);
    freeReplyObject(redisCommand(F.rc, "HSET %svoiceprint:bob blob %b", F.prefix, r->str, r->len));
    v = get_vp(st, "bob");
    cr_expect_eq(v.r.st, STORE_CRYPTO);
    cr_expect(strstr(v.r.err, "failed authentication"), "%s", v.r.err);

    /* one flipped bit */
    r->str[r->len - 20] ^= 1;
    freeReplyObject(
        redisCommand(F.rc, "HSET %svoiceprint:alice blob %b", F.prefix, r->str, r->len));
    freeReplyObject(r);
    v = get_vp(st, "alice");
    cr_expect_eq(v.r.st, STORE_CRYPTO);

    /* a plaintext blob is refused while a key is configured */
    freeReplyObject(cmd("HSET %svoiceprint:%s blob abc enc none", "carol", NULL));
    v = get_vp(st, "carol");
    cr_expect_eq(v.r.st, STORE_CRYPTO);
    cr_expect(strstr(v.r.err, "unencrypted"), "%s", v.r.err);
}

Test(store, bad_keys_and_urls_are_refused, .init = setup, .fini = teardown) {
    const char *keys[] = {"abc", KEY_HEX "00", "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                          "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A", "not base64 at all!!!!!!!!!!!!!!!!!!!!!!!!!=="};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        store_options o = {.url = F.url, .voiceprint_key = keys[i]};
        char err[256] = "";
        cr_expect_null(store_open(&F.loop, &o, err, sizeof err), "key %s accepted", keys[i]);
        cr_expect(strstr(err, "CALLPRINT_VOICEPRINT_KEY"), "%s", err);
    }
    const char *urls[] = {"http://x", "redis://", "redis://h:0", "redis://h:70000", "redis://h/db",
                          "rediss://h:6379", "unix://relative", "redis://h?color=red",
                          "redis://user@h"};
    for (size_t i = 0; i < sizeof urls / sizeof *urls; i++) {
        store_options o = {.url = urls[i]};
        char err[256] = "";
        cr_expect_null(store_open(&F.loop, &o, err, sizeof err), "F.url %s accepted", urls[i]);
        cr_expect(strstr(err, "CALLPRINT_REDIS_URL"), "%s: %s", urls[i], err);
    }
}

/* ---- directory and audit ------------------------------------------------------------------------ */

Test(store, customer_directory, .init = setup, .fini = teardown) {
    result r = {0};
    store_directory_set(st, "+442079460958", "cust-42", store_answer_done, &r);
    WAIT(r);
    cr_assert_eq(r.st, STORE_OK);
    r = (result){0};
    store_directory_get(st, "+442079460958", store_answer_id, &r);
    WAIT(r);
    cr_expect_eq(r.st, STORE_OK);
    cr_expect_str_eq(r.id, "cust-42");
    r = (result){0};
    store_directory_get(st, "+14155550100", store_answer_id, &r);
    WAIT(r);
    cr_expect_eq(r.st, STORE_NOT_FOUND, "unknown caller must be anonymous");
    r = (result){0};
    store_directory_delete(st, "+442079460958", store_answer_done, &r);
    WAIT(r);
    cr_expect_eq(r.st, STORE_OK);
    r = (result){0};
    store_directory_delete(st, "+442079460958", store_answer_done, &r);
    WAIT(r);
    cr_expect_eq(r.st, STORE_NOT_FOUND);
    r = (result){0};
    cr_expect_eq(store_directory_set(st, "020 7946 0958", "x", store_answer_done, &r), -1);
    cr_expect_eq(r.st, STORE_INVALID);
}

typedef struct {
    int done, pages;
    store_status st;
    uint64_t cursor;
    char items[64][32];
    size_t n;
} list_state;

static void on_list(void *arg, store_status s, uint64_t next, const char *const *items, size_t n,
                    const char *err) {
    (void)err;
    list_state *l = arg;
    l->st = s;
    l->cursor = next;
    l->pages++;
    for (size_t i = 0; i < n && l->n < 64; i++) snprintf(l->items[l->n++], 32, "%s", items[i]);
    l->done = 1;
}

static list_state list_all(int (*fn)(store *, uint64_t, size_t, store_page_cb *, void *)) {
    list_state l = {0};
    do {
        l.done = 0;
        fn(st, l.cursor, 2, on_list, &l);
        cr_assert(run_until(&F.loop, &l.done, 5000));
        cr_assert_eq(l.st, STORE_OK);
    } while (l.cursor != 0 && l.pages < 50);
    return l;
}

static int listed(const list_state *l, const char *item) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], item) == 0) return 1;
    return 0;
}

Test(store, directory_and_voiceprint_listings, .init = setup, .fini = teardown) {
    const char *phones[] = {"+442079460958", "+14155550100", "+213551234567"};
    for (int i = 0; i < 3; i++) {
        result r = {0};
        char id[16];
        snprintf(id, sizeof id, "cust-%d", i);
        store_directory_set(st, phones[i], id, store_answer_done, &r);
        WAIT(r);
        cr_assert_eq(put(st, id, blob2, sizeof blob2, STORE_PUT_OVERWRITE), STORE_OK);
    }
    list_state d = list_all(store_directory_list);
    cr_expect_eq(d.n, 6, "3 pairs");
    for (size_t i = 0; i + 1 < d.n; i += 2) {
        int k = -1;
        for (int j = 0; j < 3; j++)
            if (!strcmp(d.items[i], phones[j])) k = j;
        cr_assert_geq(k, 0, "unexpected phone %s", d.items[i]);
        char id[16];
        snprintf(id, sizeof id, "cust-%d", k);
        cr_expect_str_eq(d.items[i + 1], id);
    }
    list_state v = list_all(store_voiceprint_list);
    cr_expect_eq(v.n, 3);
    cr_expect(listed(&v, "cust-0") && listed(&v, "cust-1") && listed(&v, "cust-2"));
}

Test(store, audit_stream_is_capped, .init = setup, .fini = teardown) {
    result last = {0};
    for (int i = 0; i < 1000; i++) {
        char detail[32];
        snprintf(detail, sizeof detail, "n=%d", i);
        store_audit(st, i % 2 ? "verify" : "stream_start", "uuid-1", "sess-1", detail,
                    i == 999 ? store_answer_done : NULL, &last);
    }
    WAIT(last);
    cr_assert_eq(last.st, STORE_OK);
    redisReply *len = cmd("XLEN %saudit", NULL, NULL);
    /* MAXLEN ~ 100 trims whole stream nodes (100 entries each): 100 <= len < 200 */
    cr_expect(len->integer >= 100 && len->integer < 200, "XLEN %lld", len->integer);
    freeReplyObject(len);
    redisReply *e = cmd("XREVRANGE %saudit + - COUNT 1", NULL, NULL);
    cr_assert_eq(e->elements, 1);
    redisReply *kv = e->element[0]->element[1];
    cr_assert_eq(kv->elements, 8);
    cr_expect_str_eq(kv->element[0]->str, "event");
    cr_expect_str_eq(kv->element[1]->str, "verify");
    cr_expect_str_eq(kv->element[3]->str, "uuid-1");
    cr_expect_str_eq(kv->element[5]->str, "sess-1");
    cr_expect_str_eq(kv->element[7]->str, "n=999");
    freeReplyObject(e);
}
