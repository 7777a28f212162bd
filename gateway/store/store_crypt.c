/* store_crypt.c -- AES-256-GCM for voiceprints at rest (see store_crypt.h). */
#include "store/store_crypt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int crypt_hex(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static int crypt_from_hex(const char *t, uint8_t key[32]) {
    for (size_t i = 0; i < 32; i++) {
        int hi = crypt_hex(t[2 * i]), lo = crypt_hex(t[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        key[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* Base64 of 32 bytes is 44 characters ending in one '='. EVP_DecodeBlock ignores padding in
 * its count, so the 33 bytes it reports include one zero byte of padding. */
static int crypt_from_base64(const char *t, uint8_t key[32]) {
    uint8_t buf[33];
    if (t[43] != '=' || t[42] == '=') return -1;
    if (EVP_DecodeBlock(buf, (const unsigned char *)t, 44) != 33) return -1;
    memcpy(key, buf, 32);
    OPENSSL_cleanse(buf, sizeof buf);
    return 0;
}

int store_crypt_init(store_crypt *c, const char *text, char *err, size_t errcap) {
    memset(c, 0, sizeof *c);
    if (!text || !*text) return 0;
    size_t n = strlen(text);
    int rc = n == 64 ? crypt_from_hex(text, c->key) : n == 44 ? crypt_from_base64(text, c->key) : -1;
    if (rc) {
        snprintf(err, errcap, "CALLPRINT_VOICEPRINT_KEY must be 32 bytes as 64 hex digits or "
                              "44 base64 characters (e.g. from `openssl rand -hex 32`)");
        store_crypt_clear(c);
        return -1;
    }
    uint8_t digest[32];
    unsigned dlen = 0;
    EVP_Digest(c->key, sizeof c->key, digest, &dlen, EVP_sha256(), NULL);
    snprintf(c->kid, sizeof c->kid, "%02x%02x%02x%02x", digest[0], digest[1], digest[2], digest[3]);
    c->enabled = 1;
    return 0;
}

void store_crypt_clear(store_crypt *c) { OPENSSL_cleanse(c, sizeof *c); }

/* One GCM pass. enc: in = plaintext, out = ciphertext, tag written; else the reverse, tag
 * checked. Returns 0 on success. */
static int crypt_gcm(const store_crypt *c, int enc, const uint8_t iv[STORE_CRYPT_IV],
                     const char *aad, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, ok = ctx && len <= INT32_MAX &&
                    EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, c->key, iv, enc) == 1 &&
                    EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
                    EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1;
    if (ok && !enc) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, STORE_CRYPT_TAG, tag) == 1;
    if (ok) ok = EVP_CipherFinal_ex(ctx, out + n, &n) == 1;
    if (ok && enc) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, STORE_CRYPT_TAG, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : -1;
}

int store_crypt_seal(const store_crypt *c, const char *aad, const uint8_t *in, size_t len,
                     uint8_t **out, size_t *out_len) {
    uint8_t *buf = malloc(len + STORE_CRYPT_OVERHEAD);
    if (!buf) return -1;
    if (RAND_bytes(buf, STORE_CRYPT_IV) != 1 ||
        crypt_gcm(c, 1, buf, aad, in, len, buf + STORE_CRYPT_IV, buf + STORE_CRYPT_IV + len)) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = len + STORE_CRYPT_OVERHEAD;
    return 0;
}

static store_status crypt_copy(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len) {
    if (!(*out = malloc(len ? len : 1))) return STORE_ERROR;
    memcpy(*out, in, len);
    *out_len = len;
    return STORE_OK;
}

store_status store_crypt_open(const store_crypt *c, const char *aad, const char *enc,
                              const char *kid, const uint8_t *in, size_t len, uint8_t **out,
                              size_t *out_len, char *err, size_t errcap) {
    int sealed = enc && strcmp(enc, STORE_CRYPT_ENC) == 0;
    if (enc && !sealed && strcmp(enc, STORE_CRYPT_NONE) != 0) {
        snprintf(err, errcap, "voiceprint '%s' uses unknown encryption '%s'", aad, enc);
        return STORE_CRYPTO;
    }
    if (!sealed && !c->enabled) return crypt_copy(in, len, out, out_len);
    if (!sealed) {
        snprintf(err, errcap, "voiceprint '%s' is stored unencrypted but CALLPRINT_VOICEPRINT_KEY "
                              "is set; re-import it to encrypt it", aad);
        return STORE_CRYPTO;
    }
    if (!c->enabled) {
        snprintf(err, errcap, "voiceprint '%s' is encrypted (key id %s) and no "
                              "CALLPRINT_VOICEPRINT_KEY is configured", aad, kid ? kid : "?");
        return STORE_CRYPTO;
    }
    if (!kid || strcmp(kid, c->kid) != 0) {
        snprintf(err, errcap, "voiceprint '%s' was encrypted with key id %s, not with the "
                              "configured key (id %s)", aad, kid ? kid : "?", c->kid);
        return STORE_CRYPTO;
    }
    size_t plain = len >= STORE_CRYPT_OVERHEAD ? len - STORE_CRYPT_OVERHEAD : 0;
    uint8_t tag[STORE_CRYPT_TAG], *buf = malloc(plain ? plain : 1);
    if (!buf) return STORE_ERROR;
    if (len >= STORE_CRYPT_OVERHEAD) memcpy(tag, in + STORE_CRYPT_IV + plain, STORE_CRYPT_TAG);
    if (len < STORE_CRYPT_OVERHEAD ||
        crypt_gcm(c, 0, in, aad, in + STORE_CRYPT_IV, plain, buf, tag)) {
        free(buf);
        snprintf(err, errcap, "voiceprint '%s' failed authentication: it was altered or "
                              "belongs to another external_id", aad);
        return STORE_CRYPTO;
    }
    *out = buf;
    *out_len = plain;
    return STORE_OK;
}
