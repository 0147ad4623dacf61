/* test_stress.c - randomized stress of the whole API against a shadow model.
 *
 *   test_stress [seed [iterations [slots [top]]]]
 *
 * The shadow model is a table of slots, each empty or holding a live block with its request,
 * usable size and the seed of the pattern it was filled with (derived from its address and
 * size). Every step visits a random slot: an empty one gets a block from a random entry point
 * (malloc, calloc, aligned_alloc, posix_memalign, memalign, realloc(NULL)); a live one is
 * verified and then freed, reallocated or kept. Any byte changed behind the model's back, a
 * misaligned or overlapping block, a calloc that is not zero, a live_bytes counter that
 * disagrees with the model or a failed walloc_check() is a failure. The seed and iteration
 * count are printed first, so a failing run can be replayed exactly.
 *
 * With `top` = 1 the run happens at the end of a 4 GiB memory: untouched ballast blocks first
 * grow memory to all 65 536 pages, then those below 1 GiB are freed, which leaves the workload
 * a free run that ends where linear memory ends (the heap's end is then 2^32, one past what a
 * 32-bit address holds). The ballast costs address space only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "walloc.h"
#include "sizes.h"
#include "check.h"
#include "pattern.h"


enum {
    DEFAULT_SEED = 1,
    DEFAULT_ITERATIONS = 300000,
    DEFAULT_SLOTS = 4000,
    HEAP_CHECK_EVERY = 5000,
    PHASE_LENGTH = 20000,
    MAX_REPORTED_FAILURES = 10,
};

/* Live bytes are kept below this so the largest requests cannot exhaust a 4 GiB memory. */
#define LIVE_BUDGET (192 * MiB)

struct block {
    unsigned char *ptr; /* NULL: the slot is empty */
    size_t size;
    size_t usable;
    uint64_t seed;
};

static struct block *slots;
static struct block *sorted_copy;
static size_t slot_count;
static size_t live_usable_total;
static size_t model_usable_total; /* the model's own two tables, which live in walloc too */
static size_t outside_live_bytes; /* blocks the program had before main (wasi-libc's argv) */
static struct rng rng;
static unsigned long step;
static unsigned long failures;

static void fail(const char *what, const struct block *block) {
    failures++;
    check_current_test = "stress";
    check_record(0, what, __FILE__, __LINE__);
    if (failures <= MAX_REPORTED_FAILURES)
        printf("  at step %lu: block %p, size %zu, usable %zu\n", step, (void *)block->ptr,
               block->size, block->usable);
}

/* Mostly small, as real programs are, with a thin tail up to 4 MiB. */
static size_t random_size(void) {
    uint64_t r = rng_below(&rng, 1000);
    if (r < 600)
        return rng_below(&rng, 129);
    if (r < 850)
        return 129 + rng_below(&rng, 2048 - 129);
    if (r < 960)
        return 2048 + rng_below(&rng, 32 * KiB - 2048 + 2);
    if (r < 997)
        return 32 * KiB + rng_below(&rng, 512 * KiB);
    return 512 * KiB + rng_below(&rng, 4 * MiB - 512 * KiB + 1);
}

static size_t random_alignment(void) {
    uint64_t r = rng_below(&rng, 100);
    if (r < 90)
        return (size_t)1 << rng_below(&rng, 13);
    if (r < 99)
        return (size_t)1 << (13 + rng_below(&rng, 4));
    return (size_t)1 << (17 + rng_below(&rng, 4));
}

static size_t natural_alignment(size_t size) {
    return size >= 16 ? 16 : 8;
}

/* Takes a fresh block into the slot and fills all of its usable bytes. */
static void adopt(struct block *block, void *ptr, size_t size, size_t alignment) {
    block->ptr = ptr;
    block->size = size;
    block->usable = walloc_malloc_usable_size(ptr);
    if ((uintptr_t)ptr % alignment != 0)
        fail("block is aligned", block);
    if (block->usable < size)
        fail("usable size covers the request", block);
    block->seed = pattern_seed(ptr, size);
    pattern_fill(ptr, block->usable, block->seed);
    live_usable_total += block->usable;
}

static void verify(struct block *block) {
    size_t at = pattern_mismatch(block->ptr, block->usable, block->seed);
    if (at != block->usable) {
        fail("block contents are intact", block);
        if (failures <= MAX_REPORTED_FAILURES)
            printf("  first changed byte at offset %zu\n", at);
    }
    if (walloc_malloc_usable_size(block->ptr) != block->usable)
        fail("usable size does not change while the block lives", block);
}

static void allocate_into(struct block *block) {
    size_t size = random_size();
    if (live_usable_total + size > LIVE_BUDGET)
        return;
    size_t alignment = natural_alignment(size);
    void *ptr = NULL;
    int zeroed = 0;
    const char *method;
    size_t requested = 0;
    uint64_t choice = rng_below(&rng, 100);
    errno = 0;
    if (choice < 45) {
        method = "malloc";
        ptr = walloc_malloc(size);
    } else if (choice < 60) {
        method = "calloc";
        size_t unit = 1 + rng_below(&rng, 16);
        size = size / unit * unit;
        ptr = walloc_calloc(size / unit, unit);
        zeroed = 1;
    } else if (choice < 65) {
        method = "realloc(NULL)";
        ptr = walloc_realloc(NULL, size);
    } else {
        requested = random_alignment();
        if (choice < 80) {
            method = "aligned_alloc";
            ptr = walloc_aligned_alloc(requested, size);
        } else if (choice < 90) {
            method = "memalign";
            ptr = walloc_memalign(requested, size);
        } else {
            method = "posix_memalign";
            if (requested < sizeof(void *))
                requested = sizeof(void *);
            if (walloc_posix_memalign(&ptr, requested, size) != 0)
                ptr = NULL;
        }
        if (requested > alignment)
            alignment = requested;
    }
    struct block attempted = { ptr, size, 0, 0 };
    if (!ptr) {
        fail("allocation within the budget succeeds", &attempted);
        if (failures <= MAX_REPORTED_FAILURES)
            printf("  %s, alignment %zu, errno %d\n", method, requested, errno);
        return;
    }
    if (zeroed && !all_zero(ptr, size))
        fail("calloc memory is zero", &attempted);
    adopt(block, ptr, size, alignment);
}

static void release(struct block *block) {
    verify(block);
    walloc_free(block->ptr);
    live_usable_total -= block->usable;
    block->ptr = NULL;
}

/* Half of the reallocations stay near the old size, where in-place growth and shrinking
 * happen; the rest jump anywhere, and a few go to 0. */
static void reallocate(struct block *block) {
    verify(block);
    size_t size;
    uint64_t kind = rng_below(&rng, 100);
    if (kind < 50) {
        size_t spread = block->size / 4 + 32;
        size_t offset = rng_below(&rng, 2 * spread + 1);
        if (offset >= spread)
            size = block->size + (offset - spread);
        else
            size = block->size > spread - offset ? block->size - (spread - offset) : 0;
    } else if (kind < 98)
        size = random_size();
    else
        size = 0;
    if (size > 8 * MiB || live_usable_total - block->usable + size > LIVE_BUDGET)
        return;
    unsigned char *ptr = walloc_realloc(block->ptr, size);
    struct block attempted = { ptr, size, 0, 0 };
    if (!ptr) {
        fail("realloc within the budget succeeds", &attempted);
        return;
    }
    size_t kept = size < block->size ? size : block->size;
    if (!pattern_holds(ptr, kept, block->seed))
        fail("realloc keeps the contents", &attempted);
    live_usable_total -= block->usable;
    adopt(block, ptr, size, natural_alignment(size));
}

static int compare_blocks(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)((const struct block *)a)->ptr;
    uintptr_t y = (uintptr_t)((const struct block *)b)->ptr;
    return (x > y) - (x < y);
}

/* Sorting a copy of the live blocks by address shows any two that overlap as neighbours. A
 * zero-sized block still owns its address, so it counts as one byte. */
static void check_whole_heap(void) {
    struct block *sorted = sorted_copy;
    size_t live = 0;
    for (size_t i = 0; i < slot_count; i++)
        if (slots[i].ptr)
            sorted[live++] = slots[i];
    qsort(sorted, live, sizeof *sorted, compare_blocks);
    for (size_t i = 1; i < live; i++) {
        size_t extent = sorted[i - 1].usable ? sorted[i - 1].usable : 1;
        if (sorted[i - 1].ptr + extent > sorted[i].ptr)
            fail("live blocks do not overlap", &sorted[i]);
    }
    if (walloc_check() != 0) {
        struct block none = { 0, 0, 0, 0 };
        fail("walloc_check() == 0", &none);
        printf("  walloc_last_error: %s\n", walloc_last_error());
    }
    struct walloc_stats stats;
    walloc_get_stats(&stats);
    size_t expected = outside_live_bytes + live_usable_total + model_usable_total;
#ifdef WALLOC_SECURE
    /* The secure build counts each block's 8-byte canary, and the blocks in its quarantine
     * (at most 4 MiB and one more block) stay live until they leave it. */
    size_t slack = (slot_count + 2) * 8 + 4 * MiB + 256 * KiB;
    if (stats.live_bytes < expected || stats.live_bytes > expected + slack) {
#else
    if (stats.live_bytes != expected) {
#endif
        struct block none = { 0, expected, stats.live_bytes, 0 };
        fail("live_bytes matches the model (size: model, usable: live_bytes)", &none);
    }
}

static unsigned long parse_number(const char *text, unsigned long fallback) {
    if (!text)
        return fallback;
    char *end;
    unsigned long value = strtoul(text, &end, 0);
    return *end == '\0' && end != text ? value : fallback;
}

/* Fills memory to 4 GiB with blocks of halving sizes and frees those below 1 GiB; the others
 * stay for the whole run. Returns 0 when memory did not reach 4 GiB. */
static int ballast_to_the_top(void) {
    static void *ballast[512];
    size_t count = 0, size = 1024 * MiB;
    struct walloc_stats s;
    for (walloc_get_stats(&s); (uint64_t)s.memory_bytes < ((uint64_t)1 << 32) - 1; walloc_get_stats(&s)) {
        void *p = walloc_malloc(size);
        if (p && count < sizeof ballast / sizeof ballast[0]) ballast[count++] = p;
        else if (size > 4 * KiB) size /= 2;
        else return 0;
    }
    for (size_t i = 0; i < count; i++)
        if (walloc_malloc_usable_size(ballast[i]) < 1024 * MiB) walloc_free(ballast[i]);
    return 1;
}

int main(int argc, char **argv) {
    uint64_t seed = parse_number(argc > 1 ? argv[1] : NULL, DEFAULT_SEED);
    unsigned long iterations = parse_number(argc > 2 ? argv[2] : NULL, DEFAULT_ITERATIONS);
    slot_count = parse_number(argc > 3 ? argv[3] : NULL, DEFAULT_SLOTS);
    int top = parse_number(argc > 4 ? argv[4] : NULL, 0) != 0;
    printf("test_stress: seed=%" PRIu64 " iterations=%lu slots=%zu%s\n", seed, iterations,
           slot_count, top ? " at the top of a 4 GiB memory" : "");
    fflush(stdout);
    if (slot_count == 0)
        slot_count = 1;
    rng.state = seed;
    if (top && !CHECK(ballast_to_the_top()))
        return check_summary();
    struct walloc_stats at_start;
    walloc_get_stats(&at_start);
    outside_live_bytes = at_start.live_bytes;
    slots = walloc_calloc(slot_count, sizeof *slots);
    sorted_copy = walloc_calloc(slot_count, sizeof *sorted_copy);
    if (!CHECK(slots != NULL && sorted_copy != NULL))
        return check_summary();
    model_usable_total = walloc_malloc_usable_size(slots) + walloc_malloc_usable_size(sorted_copy);
    check_whole_heap();
    unsigned long allocations = 0, frees = 0, reallocations = 0;
    for (step = 0; step < iterations && failures < MAX_REPORTED_FAILURES; step++) {
        /* Alternating phases fill the heap up (about 80% of the slots live) and drain it (about
         * 30%), so spans are emptied, released and coalesced, not only reused. */
        int draining = (step / PHASE_LENGTH) % 2;
        unsigned free_percent = draining ? 70 : 20;
        unsigned allocate_percent = draining ? 30 : 100;
        struct block *block = &slots[rng_below(&rng, slot_count)];
        if (!block->ptr) {
            if (rng_below(&rng, 100) < allocate_percent) {
                allocate_into(block);
                allocations++;
            }
        } else {
            uint64_t r = rng_below(&rng, 100);
            if (r < free_percent) {
                release(block);
                frees++;
            } else if (r < free_percent + 25) {
                reallocate(block);
                reallocations++;
            } else {
                verify(block);
            }
        }
        if (step % HEAP_CHECK_EVERY == HEAP_CHECK_EVERY - 1)
            check_whole_heap();
    }
    check_whole_heap();
    for (size_t i = 0; i < slot_count; i++)
        if (slots[i].ptr)
            release(&slots[i]);
    check_whole_heap();
    walloc_free(slots);
    walloc_free(sorted_copy);
    printf("test_stress: %lu allocations, %lu frees, %lu reallocations\n", allocations, frees,
           reallocations);
    CHECK(failures == 0);
    return check_summary();
}
