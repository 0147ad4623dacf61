/* test_frag.c - a fragmentation soak: linear memory must stop growing once the workload is
 * in its steady state.
 *
 *   test_frag [seed]
 *
 * Each of 200 rounds allocates a burst of small objects, frees every other one of them (which
 * leaves every small span half full, the classic swiss cheese), allocates larger objects that
 * cannot use those holes, and then frees the oldest objects until the live size is back under
 * a fixed bound. The workload is stationary, so after a warm-up its memory need is too: a heap
 * that keeps growing is leaking or failing to reuse the memory freed by older rounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

int main(int argc, char **argv) {
    rng.state = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
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
    CHECK(walloc_check() == 0);
    return check_summary();
}
