/* test_voiceprint.c -- voiceprint blobs: round trip, corruption, truncation, other model,
 * other version; model file integrity. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bio_fixture.h"

static bio_model *m;
static uint8_t blob[BIO_VOICEPRINT_MAX];
static size_t blen;

static void setup(void)
{
    m = fx_model();
    blen = fx_enroll(m, SPK_A, blob);
}
static void teardown(void) { bio_model_free(m); }

TestSuite(voiceprint, .init = setup, .fini = teardown, .timeout = 120);

/* Re-seal a modified blob: the checksum is the first 8 bytes of SHA-256 of the rest. */
static void reseal(uint8_t *b, size_t len)
{
    uint8_t h[32];
    unsigned int n = 32;
    EVP_Digest(b, len - 8, h, &n, EVP_sha256(), NULL);
    memcpy(b + len - 8, h, 8);
}

Test(voiceprint, round_trip)
{
    cr_assert_leq(blen, BIO_VOICEPRINT_MAX);
    cr_assert_gt(blen, 16);
    double sec = 0;
    cr_expect_eq(bio_voiceprint_check(m, blob, blen, &sec), BIO_OK);
    cr_expect(sec >= 20.0, "enrolled %.2f s", sec);
    /* A copy (as stored and fetched from Redis) scores exactly like the original. */
    uint8_t *copy = malloc(blen);
    memcpy(copy, blob, blen);
    bio_result r1 = fx_verify(m, SPK_A, blob, blen), r2 = fx_verify(m, SPK_A, copy, blen);
    cr_expect_eq(r1.score, r2.score);
    free(copy);
    cr_expect_eq(memcmp(blob, "CPVP", 4), 0);
}

Test(voiceprint, every_flipped_byte_is_rejected)
{
    for (size_t i = 0; i < blen; i++) {
        uint8_t b[BIO_VOICEPRINT_MAX];
        memcpy(b, blob, blen);
        b[i] ^= 0x5a;
        bio_status st = bio_voiceprint_check(m, b, blen, NULL);
        cr_expect_neq(st, BIO_OK, "flip at %zu accepted", i);
    }
}

Test(voiceprint, truncated_or_extended_is_rejected)
{
    for (size_t len = 0; len < blen; len++)
        cr_expect_eq(bio_voiceprint_check(m, blob, len, NULL), BIO_ERR_FORMAT, "len %zu", len);
    uint8_t b[BIO_VOICEPRINT_MAX];
    memcpy(b, blob, blen);
    b[blen] = 0;
    cr_expect_eq(bio_voiceprint_check(m, b, blen + 1, NULL), BIO_ERR_FORMAT);
    cr_expect_eq(bio_voiceprint_check(m, NULL, 0, NULL), BIO_ERR_FORMAT);
}

Test(voiceprint, other_model_is_rejected)
{
    uint8_t b[BIO_VOICEPRINT_MAX];
    memcpy(b, blob, blen);
    b[8] ^= 1; /* model id */
    reseal(b, blen);
    cr_expect_eq(bio_voiceprint_check(m, b, blen, NULL), BIO_ERR_MODEL);
    bio_stream *s = bio_stream_new(m);
    bio_config cfg = bio_model_default_config(m);
    bio_result r;
    cr_expect_eq(bio_stream_verify(s, &cfg, b, blen, &r), BIO_ERR_MODEL);
    bio_stream_free(s);
    cr_expect_str_eq(bio_strerror(BIO_ERR_MODEL), "voiceprint was made by another model");
}

Test(voiceprint, other_version_is_rejected)
{
    uint8_t b[BIO_VOICEPRINT_MAX];
    memcpy(b, blob, blen);
    b[4] = 2; /* version 2 */
    reseal(b, blen);
    cr_expect_eq(bio_voiceprint_check(m, b, blen, NULL), BIO_ERR_VERSION);
}

Test(voiceprint, garbage_is_rejected)
{
    uint8_t b[BIO_VOICEPRINT_MAX];
    for (size_t i = 0; i < sizeof b; i++) b[i] = (uint8_t)(i * 37 + 11);
    cr_expect_eq(bio_voiceprint_check(m, b, sizeof b, NULL), BIO_ERR_FORMAT);
    memcpy(b, "CPVP\x01\x00\xff\xff", 8); /* absurd dimension */
    cr_expect_eq(bio_voiceprint_check(m, b, 100, NULL), BIO_ERR_FORMAT);
}

static uint8_t *read_model(size_t *len)
{
    FILE *f = fopen(fx_path("biometrics/models/callprint.model"), "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(*len);
    cr_assert_eq(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

static void expect_model_refused(const uint8_t *buf, size_t len, const char *what)
{
    char path[] = "/tmp/callprint-bio-model-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "wb");
    fwrite(buf, 1, len, f);
    fclose(f);
    char err[256] = "";
    bio_model *bad = bio_model_load(path, err, sizeof err);
    cr_expect_null(bad, "%s accepted", what);
    cr_expect_gt(strlen(err), 0, "%s: no message", what);
    bio_model_free(bad);
    remove(path);
}

Test(voiceprint, corrupt_models_are_refused)
{
    size_t len;
    uint8_t *buf = read_model(&len);
    char err[256] = "";
    cr_expect_null(bio_model_load("/nonexistent/callprint.model", err, sizeof err));
    cr_expect(strstr(err, "cannot open") != NULL, "%s", err);
    expect_model_refused(buf, 100, "truncated header");
    expect_model_refused(buf, len - 1, "truncated payload");
    buf[len / 2] ^= 0x10;
    expect_model_refused(buf, len, "flipped payload byte");
    buf[len / 2] ^= 0x10;
    buf[20] ^= 0x01;
    expect_model_refused(buf, len, "flipped config byte");
    buf[20] ^= 0x01;
    buf[0] = 'X';
    expect_model_refused(buf, len, "bad magic");
    free(buf);
}
