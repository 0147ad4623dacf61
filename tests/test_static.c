/* test_static.c (wasm32-wasi only) - the heap must stay out of static data and the stack.
 *
 * wasm-ld lays out linear memory as static data, then the stack (growing down towards the
 * data), then __heap_base, where walloc's heap begins. This program fills static tables (read
 * only, initialized and zero-initialized) with known patterns, descends into a deep recursion
 * whose frames each hold a patterned local array and a small heap block, and at the bottom
 * grows the heap past 256 MiB. Then it checks that every table, every frame and every block
 * kept its pattern and that no block starts below __heap_base or ends beyond memory.
 *
 * Link with -Wl,-z,stack-size=1048576: the recursion uses about 700 KiB of stack.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "walloc.h"
#include "sizes.h"
#include "check.h"
#include "pattern.h"

#ifndef __wasm__
#error "test_static checks the wasm32 memory layout; build it for wasm32-wasi"
#endif


extern unsigned char __heap_base;

/* Constant expressions, so the tables are filled by the linker, not by code. */
#define TABLE_VALUE(i) ((uint32_t)(i) * 2654435761u ^ 0x5bd1e995u)
#define V4(i) TABLE_VALUE(i), TABLE_VALUE((i) + 1), TABLE_VALUE((i) + 2), TABLE_VALUE((i) + 3)
#define V16(i) V4(i), V4((i) + 4), V4((i) + 8), V4((i) + 12)
#define V64(i) V16(i), V16((i) + 16), V16((i) + 32), V16((i) + 48)
#define V256(i) V64(i), V64((i) + 64), V64((i) + 128), V64((i) + 192)
#define V1024(i) V256(i), V256((i) + 256), V256((i) + 512), V256((i) + 768)

enum { TABLE_ENTRIES = 4096, BSS_BYTES = 512 * 1024 };

static const uint32_t read_only_table[TABLE_ENTRIES] = {
    V1024(0), V1024(1024), V1024(2048), V1024(3072)
};
static uint32_t initialized_table[TABLE_ENTRIES] = {
    V1024(4096), V1024(5120), V1024(6144), V1024(7168)
};
static unsigned char zeroed_table[BSS_BYTES];
#define BSS_SEED 0x5eedu

enum {
    RECURSION_DEPTH = 1200,
    FRAME_WORDS = 64,
    BLOCK_EVERY = 25,
    GROWTH_TARGET_MIB = 288,
    GROWTH_BLOCK_MIB = 4,
};

static unsigned char *growth_blocks[GROWTH_TARGET_MIB / GROWTH_BLOCK_MIB];
static size_t growth_block_count;
static unsigned long misplaced_blocks, damaged_frames, damaged_blocks;

static int tables_intact(void) {
    int intact = 1;
    for (uint32_t i = 0; i < TABLE_ENTRIES; i++) {
        intact &= read_only_table[i] == TABLE_VALUE(i);
        intact &= initialized_table[i] == TABLE_VALUE(i + TABLE_ENTRIES);
    }
    return intact && pattern_holds(zeroed_table, BSS_BYTES, BSS_SEED);
}

static size_t memory_size(void) {
    return __builtin_wasm_memory_size(0) * 65536;
}

static int placed_in_heap(const void *p, size_t size) {
    uintptr_t start = (uintptr_t)p;
    return start >= (uintptr_t)&__heap_base && start + size <= memory_size();
}

static void grow_heap_past_256_mib(void) {
    size_t size = GROWTH_BLOCK_MIB * MiB;
    while (growth_block_count < sizeof growth_blocks / sizeof growth_blocks[0]) {
        unsigned char *p = walloc_malloc(size);
        if (!p)
            return;
        misplaced_blocks += !placed_in_heap(p, size);
        pattern_fill(p, size, pattern_seed(p, size));
        growth_blocks[growth_block_count++] = p;
    }
}

/* Each frame keeps a patterned local array, live across the recursive call, and every
 * BLOCK_EVERY-th frame also a heap block; both are verified on the way back up. */
static unsigned long descend(unsigned depth) {
    volatile uint64_t frame[FRAME_WORDS];
    for (unsigned i = 0; i < FRAME_WORDS; i++)
        frame[i] = pattern_word(depth, i);
    if ((uintptr_t)frame >= (uintptr_t)&__heap_base)
        misplaced_blocks++;

    size_t block_size = 1000 + depth;
    unsigned char *block = NULL;
    if (depth % BLOCK_EVERY == 0) {
        block = walloc_malloc(block_size);
        if (block) {
            misplaced_blocks += !placed_in_heap(block, block_size);
            pattern_fill(block, block_size, depth);
        }
    }

    unsigned long visited = 1;
    if (depth + 1 < RECURSION_DEPTH)
        visited += descend(depth + 1);
    else
        grow_heap_past_256_mib();

    for (unsigned i = 0; i < FRAME_WORDS; i++)
        damaged_frames += frame[i] != pattern_word(depth, i);
    if (block) {
        damaged_blocks += !pattern_holds(block, block_size, depth);
        walloc_free(block);
    }
    return visited;
}

TEST(heap_starts_above_static_data_and_stack) {
    void *p = walloc_malloc(16);
    CHECK(p != NULL && placed_in_heap(p, 16));
    walloc_free(p);
    struct walloc_stats stats;
    walloc_get_stats(&stats);
    CHECK(stats.memory_bytes == memory_size());
    CHECK(stats.heap_bytes <= memory_size() - (uintptr_t)&__heap_base);
}

TEST(statics_and_stack_survive_heap_growth_past_256_mib) {
    pattern_fill(zeroed_table, BSS_BYTES, BSS_SEED);
    CHECK(tables_intact());

    CHECK(descend(0) == RECURSION_DEPTH);
    struct walloc_stats stats;
    walloc_get_stats(&stats);
    CHECK(growth_block_count == sizeof growth_blocks / sizeof growth_blocks[0]);
    CHECK(memory_size() > 256 * MiB);
    CHECK(stats.memory_bytes == memory_size());
    CHECK(stats.heap_bytes > 256 * MiB);
    CHECK(misplaced_blocks == 0);
    CHECK(damaged_frames == 0);
    CHECK(damaged_blocks == 0);
    CHECK(tables_intact());

    size_t size = GROWTH_BLOCK_MIB * MiB;
    unsigned long damaged = 0;
    for (size_t i = 0; i < growth_block_count; i++) {
        damaged += !pattern_holds(growth_blocks[i], size, pattern_seed(growth_blocks[i], size));
        walloc_free(growth_blocks[i]);
    }
    CHECK(damaged == 0);
}

static const struct test_entry tests[] = {
    TEST_ENTRY(heap_starts_above_static_data_and_stack),
    TEST_ENTRY(statics_and_stack_survive_heap_growth_past_256_mib),
};

int main(int argc, char **argv) {
    return check_main(tests, TEST_COUNT(tests), argc, argv, check_heap_is_consistent);
}
