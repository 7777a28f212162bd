/* hash.h -- FNV-1a (64-bit), the one hash of the in-memory tables (streams, subscription
 * channels, webhook targets, the load generator's per-call slots).
 *
 * The tables hash short keys, bound their size and never expose the hash, so a fast,
 * seedless hash is enough; a chain made long on purpose costs only the bounded table's
 * length. Incremental: start from HASH_FNV_SEED and feed strings or bytes.
 */
#ifndef CALLPRINT_COMMON_HASH_H
#define CALLPRINT_COMMON_HASH_H

#include <stdint.h>

#define HASH_FNV_SEED 1469598103934665603ULL

static inline uint64_t hash_fnv_byte(uint64_t h, unsigned char b)
{
    return (h ^ b) * 1099511628211ULL;
}

/* h continued over the bytes of the NUL-terminated s (not its NUL). */
static inline uint64_t hash_fnv_str(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = hash_fnv_byte(h, *p);
    return h;
}

#endif
