/* pattern.h - content patterns and a seeded generator shared by the walloc tests.
 *
 * A block is filled with a pattern that depends on a seed (tests derive it from the block's
 * address and size), so a byte written by a neighbour or left over from another block is
 * recognised as foreign. Words are generated independently of each other, so a check can start
 * anywhere and costs about as much as a memcpy.
 */
#ifndef WALLOC_TESTS_PATTERN_H
#define WALLOC_TESTS_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t pattern_mix(uint64_t x) {
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ull;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dull;
    x ^= x >> 33;
    return x;
}

static inline uint64_t pattern_word(uint64_t seed, size_t index) {
    return pattern_mix(seed ^ ((uint64_t)index * 0x9e3779b97f4a7c15ull));
}

static inline uint64_t pattern_seed(const void *address, size_t size) {
    return pattern_mix((uint64_t)(uintptr_t)address * 0x2545f4914f6cdd1dull + size);
}

static inline void pattern_fill(void *block, size_t size, uint64_t seed) {
    unsigned char *bytes = block;
    size_t words = size / 8;
    for (size_t i = 0; i < words; i++) {
        uint64_t value = pattern_word(seed, i);
        memcpy(bytes + i * 8, &value, 8);
    }
    if (size % 8) {
        uint64_t value = pattern_word(seed, words);
        memcpy(bytes + words * 8, &value, size % 8);
    }
}

/* Returns the offset of the first byte that differs from the pattern, or `size` when none. */
static inline size_t pattern_mismatch(const void *block, size_t size, uint64_t seed) {
    const unsigned char *bytes = block;
    size_t words = size / 8;
    for (size_t i = 0; i < words; i++) {
        uint64_t value = pattern_word(seed, i);
        if (memcmp(bytes + i * 8, &value, 8) != 0) {
            unsigned char expected[8];
            memcpy(expected, &value, 8);
            size_t byte = 0;
            while (bytes[i * 8 + byte] == expected[byte])
                byte++;
            return i * 8 + byte;
        }
    }
    if (size % 8) {
        unsigned char expected[8];
        uint64_t value = pattern_word(seed, words);
        memcpy(expected, &value, 8);
        for (size_t byte = 0; byte < size % 8; byte++)
            if (bytes[words * 8 + byte] != expected[byte])
                return words * 8 + byte;
    }
    return size;
}

static inline int pattern_holds(const void *block, size_t size, uint64_t seed) {
    return pattern_mismatch(block, size, seed) == size;
}

/* Returns 1 when every byte of the range is zero. */
static inline int all_zero(const void *block, size_t size) {
    const unsigned char *bytes = block;
    uint64_t seen = 0;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t word;
        memcpy(&word, bytes + i, 8);
        seen |= word;
    }
    for (; i < size; i++)
        seen |= bytes[i];
    return seen == 0;
}

/* splitmix64: small, fast, and every seed (0 included) gives a full-period sequence. */
struct rng {
    uint64_t state;
};

static inline uint64_t rng_next(struct rng *rng) {
    rng->state += 0x9e3779b97f4a7c15ull;
    return pattern_mix(rng->state);
}

/* A number in [0, bound); bound must not be 0. The modulo bias is irrelevant for testing. */
static inline uint64_t rng_below(struct rng *rng, uint64_t bound) {
    return rng_next(rng) % bound;
}

#endif
