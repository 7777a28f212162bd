/* store_crypt.h -- voiceprint encryption at rest (internal to store.c).
 *
 * AES-256-GCM through OpenSSL EVP. A sealed blob is IV (12 random bytes) || ciphertext || tag
 * (16 bytes); the external_id is the additional authenticated data, so a blob copied under
 * another customer's key does not open. The key id is the first 8 hex digits of SHA-256(key):
 * stored beside each blob, it tells "encrypted with another key" apart from "tampered with"
 * without revealing anything about the key.
 */
#ifndef CALLPRINT_STORE_CRYPT_H
#define CALLPRINT_STORE_CRYPT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define STORE_CRYPT_IV 12
#define STORE_CRYPT_TAG 16
#define STORE_CRYPT_OVERHEAD (STORE_CRYPT_IV + STORE_CRYPT_TAG)
#define STORE_CRYPT_ENC "aes-256-gcm"
#define STORE_CRYPT_NONE "none"

typedef struct {
    int enabled;
    uint8_t key[32];
    char kid[9]; /* 8 hex digits + NUL */
} store_crypt;

/* Parse a 32-byte key given as 64 hex digits or as base64 (44 characters). text NULL or "" =
 * encryption disabled. -1 with err set when the text is not such a key. */
int store_crypt_init(store_crypt *c, const char *text, char *err, size_t errcap);
/* Wipe the key. */
void store_crypt_clear(store_crypt *c);

/* Seal len bytes into a new buffer of len + STORE_CRYPT_OVERHEAD bytes. -1 on failure. */
int store_crypt_seal(const store_crypt *c, const char *aad, const uint8_t *in, size_t len,
                     uint8_t **out, size_t *out_len);

/* Open a stored blob whose enc/kid fields are given (NULL if absent). Returns STORE_OK with a
 * new buffer in *out (the blob itself copied when it is stored in clear and no key is set), or
 * STORE_CRYPTO with a sentence in err. */
store_status store_crypt_open(const store_crypt *c, const char *aad, const char *enc,
                              const char *kid, const uint8_t *in, size_t len, uint8_t **out,
                              size_t *out_len, char *err, size_t errcap);

#endif
