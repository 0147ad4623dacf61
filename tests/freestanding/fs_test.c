/* A heap workout for the freestanding build: no libc, no imports. It exports functions that
 * return 0 on success or the number of the check that failed, so any engine that can call an
 * export (node, wabt's wasm-interp) can run it. */
#include "walloc.h"

#include <stdint.h>

#define SLOTS 512

static unsigned char *blocks[SLOTS];
static uint32_t sizes[SLOTS];
static uint32_t rng_state;

static uint32_t next_random(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static unsigned char pattern(uint32_t slot, uint32_t i) { return (unsigned char)(slot * 31 + i * 7 + 1); }

static int fill_and_verify(uint32_t slot, int verify_only) {
    for (uint32_t i = 0; i < sizes[slot]; i++) {
        if (verify_only && blocks[slot][i] != pattern(slot, i)) return 1;
        if (!verify_only) blocks[slot][i] = pattern(slot, i);
    }
    return 0;
}

/* Random malloc/calloc/realloc/aligned_alloc/free with contents checked on every free and
 * realloc and walloc_check every 256 steps. */
__attribute__((export_name("stress")))
int stress(uint32_t seed, uint32_t steps) {
    rng_state = seed ? seed : 1;
    for (uint32_t step = 0; step < steps; step++) {
        uint32_t slot = next_random() % SLOTS, choice = next_random() % 8;
        uint32_t size = next_random() % (next_random() % 16 == 0 ? 200000 : 600);
        if (blocks[slot]) {
            if (fill_and_verify(slot, 1)) return 1;
            if (choice < 2) {
                unsigned char *moved = walloc_realloc(blocks[slot], size);
                if (!moved) return 2;
                uint32_t kept = size < sizes[slot] ? size : sizes[slot];
                blocks[slot] = moved;
                sizes[slot] = kept;
                if (fill_and_verify(slot, 1)) return 3;
                sizes[slot] = size;
                fill_and_verify(slot, 0);
            } else {
                walloc_free(blocks[slot]);
                blocks[slot] = 0;
            }
        } else {
            unsigned char *p;
            if (choice == 0) {
                p = walloc_calloc(1, size);
                for (uint32_t i = 0; p && i < size; i++)
                    if (p[i]) return 4;
            } else if (choice == 1) {
                uint32_t alignment = 1u << (next_random() % 17);
                p = walloc_aligned_alloc(alignment, size);
                if (p && ((uintptr_t)p & (alignment - 1))) return 5;
            } else {
                p = walloc_malloc(size);
            }
            if (!p) return 6;
            if (size >= 16 && ((uintptr_t)p & 15)) return 7;
            if (walloc_malloc_usable_size(p) < size) return 8;
            blocks[slot] = p;
            sizes[slot] = size;
            fill_and_verify(slot, 0);
        }
        if (step % 256 == 0 && walloc_check() != 0) return 9;
    }
    for (uint32_t slot = 0; slot < SLOTS; slot++) {
        if (blocks[slot] && fill_and_verify(slot, 1)) return 10;
        walloc_free(blocks[slot]);
        blocks[slot] = 0;
    }
    struct walloc_stats stats;
    walloc_get_stats(&stats);
    if (stats.live_bytes != 0) return 11;
    return walloc_check() == 0 ? 0 : 12;
}

/* The same workout with fixed arguments, for engines that call exports without arguments. */
__attribute__((export_name("stress_default")))
int stress_default(void) { return stress(12345, 3000); }

/* Runs out of memory under a cap: allocations must fail with NULL, never trap, and succeed
 * again once the cap is lifted. */
__attribute__((export_name("exhaustion")))
int exhaustion(void) {
    struct walloc_stats stats;
    walloc_get_stats(&stats);
    size_t previous = walloc_set_limit(stats.memory_bytes + (4u << 20));
    void *kept[64];
    unsigned n = 0;
    while (n < 64 && (kept[n] = walloc_malloc(1u << 20)) != 0) n++;
    if (n == 64 || n == 0) return 1;
    if (walloc_malloc(1u << 20) != 0) return 2;
    if (walloc_check() != 0) return 3;
    walloc_set_limit(previous);
    void *more = walloc_malloc(8u << 20);
    if (!more) return 4;
    walloc_free(more);
    while (n) walloc_free(kept[--n]);
    return walloc_check() == 0 ? 0 : 5;
}

static void *double_freed;

/* Frees a block twice: must trap, leaving the message in walloc_last_error(). */
__attribute__((export_name("double_free")))
void double_free(void) {
    double_freed = walloc_malloc(40);
    walloc_free(double_freed);
    walloc_free(double_freed);
}

__attribute__((export_name("double_freed_pointer")))
void *double_freed_pointer(void) { return double_freed; }

__attribute__((export_name("last_error")))
const char *last_error(void) { return walloc_last_error(); }
