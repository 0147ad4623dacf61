/* test_frag.c - fragmentation: linear memory must stop growing once a workload is in its steady
 * state, and an emptied heap must serve one block of nearly all its free memory.
 *
 *   test_frag [seed]
 *
 * The soak: each of 200 rounds allocates a burst of small objects, frees every other one of them
 * (which leaves every small span half full, the classic swiss cheese), allocates larger objects
 * that cannot use those holes, and then frees the oldest objects until the live size is back
 * under a fixed bound. The workload is stationary, so after a warm-up its memory need is too: a
 * heap that keeps growing is leaking or failing to reuse the memory freed by older rounds.
 *
 * The emptied heaps: under a 16 MiB cap, blocks of random sizes fill the heap until nothing fits,
 * all are freed, and the largest block malloc then serves must take nearly all the free memory:
 * the allocator's own slices (the page map, span descriptors) must not cut the run in pieces.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "walloc.h"
#include "sizes.h"
#include "check.h"
#include "pattern.h"


enum {
    ROUNDS = 200,
    WARM_UP_ROUNDS = 50,
    SMALL_PER_ROUND = 2000,
    LARGE_PER_ROUND = 100,
    RING_CAPACITY = 1 << 14,
};

#define LIVE_BOUND (4 * MiB)

struct object {
    unsigned char *ptr;
    size_t size;
};

/* Live objects, oldest first. */
static struct object ring[RING_CAPACITY];
static size_t ring_head, ring_count;
static size_t live_bytes;
static struct rng rng;
static unsigned long damaged, missing, overflowed;

static void keep(unsigned char *ptr, size_t size) {
    if (ring_count == RING_CAPACITY) {
        overflowed++;
        walloc_free(ptr);
        return;
    }
    pattern_fill(ptr, size, pattern_seed(ptr, size));
    ring[(ring_head + ring_count++) % RING_CAPACITY] = (struct object){ ptr, size };
    live_bytes += size;
}

static void release(struct object *object) {
    damaged += !pattern_holds(object->ptr, object->size, pattern_seed(object->ptr, object->size));
    walloc_free(object->ptr);
    live_bytes -= object->size;
    object->ptr = NULL;
}

static void release_oldest(void) {
    struct object *oldest = &ring[ring_head];
    if (oldest->ptr)
        release(oldest);
    ring_head = (ring_head + 1) % RING_CAPACITY;
    ring_count--;
}

static void allocate_and_keep(size_t size) {
    unsigned char *p = walloc_malloc(size);
    if (p)
        keep(p, size);
    else
        missing++;
}

static void run_round(void) {
    size_t burst_start = ring_count;
    for (int i = 0; i < SMALL_PER_ROUND; i++)
        allocate_and_keep(16 + rng_below(&rng, 241));
    /* Every other object of the burst goes; its slot stays in the ring as a hole. */
    for (size_t i = burst_start; i < ring_count; i += 2) {
        struct object *object = &ring[(ring_head + i) % RING_CAPACITY];
        if (object->ptr)
            release(object);
    }
    for (int i = 0; i < LARGE_PER_ROUND; i++)
        allocate_and_keep(1 * KiB + rng_below(&rng, 63 * KiB));
    while (live_bytes > LIVE_BOUND)
        release_oldest();
}

static size_t memory_now(void) {
    struct walloc_stats stats;
    walloc_get_stats(&stats);
    return stats.memory_bytes;
}

TEST(steady_workload_stops_growing) {
    printf("test_frag: seed=%llu rounds=%d live bound=%zu KiB\n",
           (unsigned long long)rng.state, ROUNDS, LIVE_BOUND / KiB);

    size_t memory_before = memory_now();
    size_t memory_after_warm_up = 0, memory_at_end = 0;
    for (int round = 0; round < ROUNDS; round++) {
        run_round();
        if (round == WARM_UP_ROUNDS - 1)
            memory_after_warm_up = memory_now();
        if (round % 50 == 49)
            CHECK(walloc_check() == 0);
    }
    memory_at_end = memory_now();
    printf("test_frag: memory before %zu KiB, after warm-up %zu KiB, at end %zu KiB\n",
           memory_before / KiB, memory_after_warm_up / KiB, memory_at_end / KiB);

    CHECK(missing == 0);
    CHECK(overflowed == 0);
    CHECK(damaged == 0);
    /* Slack: one wasm page per 1 MiB of live bound (64 KiB each), for the few spans that the
     * random sizes of a later round may need beyond the worst round of the warm-up. */
    CHECK(memory_at_end <= memory_after_warm_up + LIVE_BOUND / MiB * 64 * KiB);
    /* The heap needed for the swiss cheese: the live bound, the largest round's burst (every
     * small object of it may still sit in a half-empty span) and the large objects. */
    CHECK(memory_at_end - memory_before <= 3 * LIVE_BOUND);

    while (ring_count > 0)
        release_oldest();
    CHECK(damaged == 0);
    CHECK(live_bytes == 0);
}

#define EMPTIED_HEAP_CAP (16 * MiB)

/* Blocks threaded into a list through their own first bytes: the fill holds thousands of
 * blocks without an array whose size would have to be guessed. */
static void *push_block(void *list, void *block) {
    memcpy(block, &list, sizeof list);
    return block;
}

static void free_block_list(void *list) {
    while (list) {
        void *next;
        memcpy(&next, list, sizeof next);
        walloc_free(list);
        list = next;
    }
}

/* Fills the heap with blocks of `next_size()` bytes until one is refused, then with blocks of
 * every size from 1 KiB down to 8 bytes until each is refused too: a size class whose serving
 * span still had room (one the soak used, say) would otherwise keep that span in the middle
 * of the emptied heap, and the test would measure the span instead of the meta slices. */
static void *fill_heap(size_t (*next_size)(void)) {
    void *list = NULL, *p;
    while ((p = walloc_malloc(next_size())) != NULL)
        list = push_block(list, p);
    for (size_t size = 1 * KiB; size >= 8; size -= 8)
        while ((p = walloc_malloc(size)) != NULL)
            list = push_block(list, p);
    return list;
}

/* The largest block malloc serves now, to a slice (4 KiB), below `upper`: found by halving the
 * range, each block freed at once. */
static size_t largest_block(size_t upper) {
    size_t served = 0, refused = upper / (4 * KiB) + 1;
    while (served + 1 < refused) {
        size_t slices = served + (refused - served) / 2;
        void *p = walloc_malloc(slices * 4 * KiB);
        if (p)
            served = slices;
        else
            refused = slices;
        walloc_free(p);
    }
    return served * 4 * KiB;
}

/* Under the cap, the heap is filled with blocks from `next_size` and emptied again; then one
 * block must take nearly all the memory malloc could still use: the free memory plus what the
 * cap lets memory grow by. The free memory counts the medium span walloc keeps empty for the
 * next medium block, which it gives back when a request fails. The slack, 64 KiB, is for the
 * holes meta slices may leave between them once they have settled at the bottom of the heap:
 * the page map needs a run of its own length (at 16 MiB, 8 slices natively and 4 on wasm), so
 * fewer slices than that may stay free below it. Before meta could settle, the page map and
 * descriptor slices stayed in the middle of the emptied heap: the largest block was 7936 KiB of
 * 16253 KiB natively (mixed blocks: 6948 KiB), and 7936 of 16129 KiB on wasm32. */
static void check_emptied_heap_serves_one_long_block(const char *what, size_t (*next_size)(void)) {
    size_t cap = walloc_set_limit(EMPTIED_HEAP_CAP);
    free_block_list(fill_heap(next_size));
    struct walloc_stats s;
    walloc_get_stats(&s);
    size_t room = EMPTIED_HEAP_CAP > s.memory_bytes ? EMPTIED_HEAP_CAP - s.memory_bytes : 0;
    size_t usable = s.free_bytes + room, slack = 64 * KiB;
    size_t largest = largest_block(usable + 64 * KiB);
    printf("test_frag: %s: largest block %zu KiB of %zu KiB free (meta %zu KiB)\n", what,
           largest / KiB, usable / KiB, s.meta_bytes / KiB);
    CHECK(largest + slack >= usable);
    CHECK(walloc_set_limit(cap) == EMPTIED_HEAP_CAP);
}

/* The report's case: medium blocks, so the heap is medium spans until everything is freed. */
static size_t one_to_two_kib(void) {
    return 1 * KiB + rng_below(&rng, 1 * KiB + 1);
}

/* Small blocks of many size classes, medium blocks and large ones, so spans of every length
 * and many descriptors come and go. */
static size_t small_medium_or_large(void) {
    switch (rng_below(&rng, 8)) {
    case 0: return 64 * KiB + rng_below(&rng, 192 * KiB);
    case 1: case 2: return 1 * KiB + rng_below(&rng, 63 * KiB);
    default: return 16 + rng_below(&rng, 497);
    }
}

TEST(emptied_heap_of_medium_blocks_serves_one_long_block) {
    check_emptied_heap_serves_one_long_block("1-2 KiB blocks", one_to_two_kib);
}

TEST(emptied_heap_of_mixed_blocks_serves_one_long_block) {
    check_emptied_heap_serves_one_long_block("mixed blocks", small_medium_or_large);
}

static const struct test_entry tests[] = {
    TEST_ENTRY(steady_workload_stops_growing),
    TEST_ENTRY(emptied_heap_of_medium_blocks_serves_one_long_block),
    TEST_ENTRY(emptied_heap_of_mixed_blocks_serves_one_long_block),
};

/* Not check_main: the argument is the soak's seed, not test names. */
int main(int argc, char **argv) {
    rng.state = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
    for (size_t t = 0; t < TEST_COUNT(tests); t++)
        check_run_one(&tests[t], check_heap_is_consistent);
    return check_summary();
}
