/* augment.h -- deterministic telephone-channel simulation for training data.
 *
 * One call = one simulated line: random (but seed-determined) band-pass around 300-3400 Hz
 * (RBJ biquads), level change, additive white or low-passed ("rumble") noise at a random SNR,
 * clipping and G.711 mu-law requantisation. Training on these copies next to the originals
 * teaches the background model and LDA/WCCN which variability is channel, not speaker.
 */
#ifndef CALLPRINT_BIO_AUGMENT_H
#define CALLPRINT_BIO_AUGMENT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s;
} bio_rng;

uint64_t bio_rng_next(bio_rng *r);   /* splitmix64 */
double bio_rng_uniform(bio_rng *r);  /* [0, 1) */
double bio_rng_normal(bio_rng *r);

void bio_augment(int16_t *pcm, size_t n, uint64_t seed);

#endif
