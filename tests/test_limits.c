/* test_limits.c - requests at the edges of a 4 GiB linear memory.
 *
 * Sizes around 2^31, 4 GiB - 64 KiB and SIZE_MAX, page-boundary sizes (64 KiB +- 1) and a
 * ladder of 16 MiB steps up to 4 GiB go through every allocating function. Each request must
 * either succeed with a block that holds it or fail with ENOMEM; none may loop, wrap around or
 * leave the heap inconsistent. Requests above WALLOC_MAX_REQUEST (2 GiB - 1) must fail. Natively the emulated memory may grow to 4 GiB (address space
 * only), and under node a wasm32 memory may too, so the large successes are real.
 *
 * Blocks are touched only at their first and last bytes so that resident memory stays small,
 * and the one big calloc comes first, while memory is fresh and needs no clearing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "walloc.h"
#include "sizes.h"
#include "check.h"

#define GiB (1024 * MiB)

/* 2^31 as a size_t on every target; 2^32 does not fit a 32-bit size_t. */
#define TWO_GIB ((size_t)1 << 31)
#define WASM_PAGE (64 * KiB)
#define FOUR_GIB_MINUS_PAGE ((size_t)0xFFFF0000u)

/* A successful block of `size` bytes: aligned to `alignment`, usable size at least `size`, and
 * its first and last bytes writable (a block that wrapped past 4 GiB would fault here). */
static int holds(unsigned char *p, size_t size, size_t alignment) {
    if ((uintptr_t)p % alignment || walloc_malloc_usable_size(p) < size) return 0;
    if (size) p[size - 1] = 2;
    p[0] = 1;
    return p[0] == 1 && (size < 2 || p[size - 1] == 2);
}

/* Either a block that holds the request or NULL with ENOMEM; the heap checks clean either way.
 * Returns 1 when the request succeeded. */
static int served_or_enomem(void *p, size_t size, size_t alignment) {
    int ok = p ? holds(p, size, alignment) : errno == ENOMEM;
    if (!ok) printf("  size %zu alignment %zu: %s\n", size, alignment, p ? "bad block" : "errno not ENOMEM");
    CHECK(ok);
    walloc_free(p);
    CHECK(walloc_check() == 0);
    return p != NULL;
}

static int try_malloc(size_t size) {
    errno = 0;
    return served_or_enomem(walloc_malloc(size), size, 1);
}

static int try_aligned(size_t alignment, size_t size) {
    errno = 0;
    return served_or_enomem(walloc_aligned_alloc(alignment, size), size, alignment);
}

static int try_posix_memalign(size_t alignment, size_t size) {
    void *p = NULL;
    int code = walloc_posix_memalign(&p, alignment, size);
    errno = code;
    CHECK(code == 0 || (code == ENOMEM && p == NULL));
    return served_or_enomem(p, size, alignment);
}

/* realloc of a small block with contents; on failure the block must be untouched. */
static int try_realloc(size_t size) {
    unsigned char *p = walloc_malloc(100);
    if (!CHECK(p != NULL)) return 0;
    for (int i = 0; i < 100; i++) p[i] = (unsigned char)i;
    errno = 0;
    unsigned char *q = walloc_realloc(p, size);
    unsigned char *keep = q ? q : p;
    int same = 1;
    for (int i = 0; i < 100 && (size_t)i < size; i++) same &= keep[i] == (unsigned char)i;
    CHECK(same);
    if (!q) {
        CHECK(errno == ENOMEM);
        walloc_free(p);
        CHECK(walloc_check() == 0);
        return 0;
    }
    return served_or_enomem(q, size, 1);
}

/* Must come first: fresh memory is already zero, so calloc clears nothing. */
TEST(calloc_of_nearly_two_gib_is_served_zeroed_from_fresh_memory) {
    size_t size = TWO_GIB - WASM_PAGE;
    errno = 0;
    unsigned char *p = walloc_calloc(size / 8, 8);
    if (!CHECK(p != NULL)) return;
    CHECK(p[0] == 0 && p[size / 2] == 0 && p[size - 1] == 0);
    CHECK(walloc_malloc_usable_size(p) >= size);
    walloc_free(p);
    CHECK(walloc_check() == 0);
    errno = 0;
    CHECK(walloc_calloc(TWO_GIB / 8, 8) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(walloc_calloc(FOUR_GIB_MINUS_PAGE / 16, 16) == NULL && errno == ENOMEM);
    CHECK(walloc_check() == 0);
}

/* Up to WALLOC_MAX_REQUEST every allocating function serves the request; one byte more and
 * every one refuses it (glibc's tst-malloc-too-large, gnulib's test-malloc-gnu). */
TEST(sizes_up_to_ptrdiff_max_are_served_and_above_refused) {
    size_t sizes[] = { TWO_GIB - WASM_PAGE - 1, TWO_GIB - WASM_PAGE, TWO_GIB - 2, TWO_GIB - 1,
                       TWO_GIB, TWO_GIB + 1, TWO_GIB + WASM_PAGE, TWO_GIB + WASM_PAGE + 1 };
    CHECK(WALLOC_MAX_REQUEST == TWO_GIB - 1);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int fits = sizes[i] <= WALLOC_MAX_REQUEST;
        CHECK(try_malloc(sizes[i]) == fits);
        CHECK(try_realloc(sizes[i]) == fits);
        CHECK(try_aligned(16, sizes[i]) == fits);
        CHECK(try_aligned(64 * KiB, sizes[i]) == fits);
        void *m = walloc_memalign(64 * KiB, sizes[i]);
        CHECK((m != NULL) == fits);
        walloc_free(m);
        CHECK(try_posix_memalign(4 * KiB, sizes[i]) == fits);
        errno = 0;
        CHECK(fits || (walloc_calloc(1, sizes[i]) == NULL && errno == ENOMEM));
        errno = 0;
        CHECK(fits || (walloc_calloc(sizes[i] / 2 + 1, 2) == NULL && errno == ENOMEM));
    }
    CHECK(walloc_check() == 0);
}

/* A tier large enough to hold a block above WALLOC_MAX_REQUEST still refuses it, on the
 * inline path as on the slow one, and serves the largest allowed block. */
TEST(tier_allocation_above_ptrdiff_max_is_refused) {
    walloc_tier_config config = { "big", 100, 8 };
    walloc_tiers *t = walloc_tiers_create(TWO_GIB + 256 * MiB, &config, 1);
    if (!CHECK(t != NULL)) return;
    errno = 0;
    CHECK(walloc_tier_alloc(t, 0, WALLOC_MAX_REQUEST + 1) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(walloc_tier_alloc_slow(t, 0, TWO_GIB + 4096) == NULL && errno == ENOMEM);
    unsigned char *p = walloc_tier_alloc(t, 0, WALLOC_MAX_REQUEST);
    if (CHECK(p != NULL)) {
        p[0] = 1;
        p[WALLOC_MAX_REQUEST - 1] = 2;
        CHECK(p[0] == 1 && p[WALLOC_MAX_REQUEST - 1] == 2);
    }
    walloc_tiers_destroy(t);
    CHECK(walloc_check() == 0);
}

/* Offset 2 GiB is the only 2 GiB-aligned place for a block: a small one fits there, one that
 * would run past 4 GiB cannot. Exactly 2 GiB at 2 GiB may go either way (it leaves no room at
 * the top), but cleanly. */
TEST(two_gib_alignment_is_served_or_refused_cleanly) {
    CHECK(try_aligned(TWO_GIB, 1));
    CHECK(try_posix_memalign(TWO_GIB, 64 * KiB));
    try_aligned(TWO_GIB, TWO_GIB - 1);
    CHECK(!try_aligned(TWO_GIB, TWO_GIB));
    CHECK(!try_aligned(TWO_GIB, TWO_GIB + 1));
    CHECK(!try_aligned(TWO_GIB, FOUR_GIB_MINUS_PAGE));
    CHECK(!try_posix_memalign(TWO_GIB, TWO_GIB + WASM_PAGE));
}

/* The heap begins after static data and keeps its meta slices: these never fit. */
TEST(sizes_near_four_gib_fail_with_enomem) {
    size_t sizes[] = { FOUR_GIB_MINUS_PAGE - 4 * KiB, FOUR_GIB_MINUS_PAGE - 1, FOUR_GIB_MINUS_PAGE,
                       FOUR_GIB_MINUS_PAGE + 1, (size_t)0xFFFFFFFFu, SIZE_MAX - WASM_PAGE,
                       SIZE_MAX - 1, SIZE_MAX };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        CHECK(!try_malloc(sizes[i]));
        CHECK(!try_realloc(sizes[i]));
        CHECK(!try_aligned(16, sizes[i]));
        CHECK(!try_aligned(64 * KiB, sizes[i]));
        CHECK(!try_posix_memalign(sizeof(void *), sizes[i]));
        errno = 0;
        CHECK(walloc_calloc(sizes[i], 1) == NULL && errno == ENOMEM);
    }
}

/* Rounding to a slice, a wasm page or an alignment must not carry a size past a boundary. */
TEST(page_boundary_sizes_are_served) {
    size_t pages[] = { 1, 2, 16, 256, 4096 };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        for (int delta = -1; delta <= 1; delta++) {
            size_t size = pages[i] * WASM_PAGE + (size_t)(ptrdiff_t)delta;
            CHECK(try_malloc(size));
            CHECK(try_realloc(size));
            CHECK(try_aligned(WASM_PAGE, size));
            CHECK(try_posix_memalign(WASM_PAGE * 2, size));
        }
    }
}

/* Every 16 MiB below 4 GiB, one byte either side: successes up to WALLOC_MAX_REQUEST, then
 * only ENOMEM (memory is empty between requests, so a larger one cannot fit where a smaller
 * one did not). */
TEST(sixteen_mib_ladder_to_four_gib) {
    size_t largest = 0, served_after_refusal = 0;
    int refused = 0;
    for (uint64_t step = 16 * MiB; step < (uint64_t)4 * GiB; step += 16 * MiB) {
        for (int delta = -1; delta <= 1; delta += 2) {
            size_t size = (size_t)(step + (uint64_t)(int64_t)delta);
            if (size == 0) continue;
            int served = try_malloc(size);
            served_after_refusal += served && refused;
            refused |= !served;
            if (served) largest = size;
        }
    }
    CHECK(largest == WALLOC_MAX_REQUEST);
    CHECK(served_after_refusal == 0);
}

/* The default cap, 4 GiB, comes back from walloc_set_limit as a value that restores it: SIZE_MAX
 * where size_t cannot say 4 GiB. */
TEST(the_default_cap_can_be_restored) {
    size_t cap = walloc_set_limit(SIZE_MAX);
    CHECK((uint64_t)cap == (SIZE_MAX > 0xFFFFFFFFu ? (uint64_t)4 * GiB : (uint64_t)SIZE_MAX));
    CHECK(walloc_set_limit(256 * MiB) == cap);
    CHECK(walloc_set_limit(cap) == 256 * MiB);
    CHECK(walloc_set_limit(cap) == cap);
}

/* Whether linear memory has reached 4 GiB: on wasm32 memory_bytes saturates at SIZE_MAX there. */
static int memory_is_four_gib(void) {
    struct walloc_stats s;
    walloc_get_stats(&s);
    return (uint64_t)s.memory_bytes >= ((uint64_t)1 << 32) - 1;
}

/* A heap whose growth brings memory to exactly 65 536 pages ends at 2^32, which a 32-bit
 * address cannot hold: the heap must stay whole there. Blocks of halving sizes fill memory up
 * to the last page; the heap then checks clean, frees everything back into one run, and that
 * run serves a block of nearly 2 GiB. */
TEST(heap_reaching_four_gib_stays_whole) {
    static void *blocks[512];
    size_t count = 0, size = GiB;
    size_t cap = walloc_set_limit(64 * MiB);
    CHECK(walloc_set_limit(cap) == 64 * MiB);
    while (!memory_is_four_gib() && size >= 4 * KiB && count < sizeof blocks / sizeof blocks[0]) {
        void *p = walloc_malloc(size);
        if (p) blocks[count++] = p;
        else size /= 2;
    }
    if (!CHECK(memory_is_four_gib())) printf("  memory did not reach 4 GiB\n");
    CHECK(walloc_check() == 0);
    while (count) walloc_free(blocks[--count]);
    CHECK(walloc_check() == 0);
    errno = 0;
    void *big = walloc_malloc(TWO_GIB - WASM_PAGE);
    CHECK(big != NULL);
    walloc_free(big);
    CHECK(walloc_check() == 0);
}

static const struct test_entry tests[] = {
    TEST_ENTRY(calloc_of_nearly_two_gib_is_served_zeroed_from_fresh_memory),
    TEST_ENTRY(sizes_up_to_ptrdiff_max_are_served_and_above_refused),
    TEST_ENTRY(tier_allocation_above_ptrdiff_max_is_refused),
    TEST_ENTRY(two_gib_alignment_is_served_or_refused_cleanly),
    TEST_ENTRY(sizes_near_four_gib_fail_with_enomem),
    TEST_ENTRY(page_boundary_sizes_are_served),
    TEST_ENTRY(sixteen_mib_ladder_to_four_gib),
    TEST_ENTRY(the_default_cap_can_be_restored),
    TEST_ENTRY(heap_reaching_four_gib_stays_whole),
};

int main(int argc, char **argv) {
    return check_main(tests, TEST_COUNT(tests), argc, argv, NULL);
}
