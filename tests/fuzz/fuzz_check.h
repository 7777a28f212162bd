/* fuzz_check.h -- CHECK(cond): abort when a property of a fuzz target does not hold, so
 * libFuzzer (and the corpus replay) report the input that broke it, in every build type. */
#ifndef CALLPRINT_FUZZ_CHECK_H
#define CALLPRINT_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond))                                                                           \
            abort();                                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
