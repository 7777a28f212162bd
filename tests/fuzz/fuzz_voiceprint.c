/* fuzz_voiceprint.c -- libFuzzer target for voiceprint blobs (outside input: read back from
 * Redis, restored from snapshots and imports).
 *
 * The shipped model (path compiled in) is loaded once. Checked for any bytes: no crash or leak;
 * bio_voiceprint_check and bio_gallery_add agree on whether a blob is valid; a valid blob
 * holds a sane amount of speech; a blob with any byte changed or any byte missing is refused
 * (the integrity check covers every byte). */
#include "bio.h"
#include "fuzz_check.h"

#include <stdlib.h>
#include <string.h>

static bio_model *model;

static bool valid(const uint8_t *blob, size_t len)
{
    double speech = -1;
    bio_status st = bio_voiceprint_check(model, blob, len, &speech);
    bio_gallery *g = bio_gallery_new(model);
    CHECK(g);
    bio_status added = bio_gallery_add(g, blob, len);
    CHECK((st == BIO_OK) == (added == BIO_OK));
    CHECK(bio_gallery_size(g) == (added == BIO_OK ? 1u : 0u));
    bio_gallery_free(g);
    if (st == BIO_OK)
        CHECK(speech >= 0 && speech < 1e7);
    return st == BIO_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2 * BIO_VOICEPRINT_MAX)
        return 0;
    if (!model) {
        char err[256];
        model = bio_model_load(CALLPRINT_FUZZ_MODEL, err, sizeof err); /* kept for the process */
        CHECK(model);
    }
    if (!valid(data, size) || size == 0)
        return 0;
    uint8_t *copy = malloc(size);
    CHECK(copy);
    memcpy(copy, data, size);
    size_t at = (size_t)data[size / 2] * 7919 % size;
    copy[at] ^= 0x01;
    CHECK(!valid(copy, size));
    CHECK(!valid(data, size - 1));
    free(copy);
    return 0;
}
