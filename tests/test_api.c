/* test_api.c - one test per documented behaviour of the walloc API (see include/walloc.h).
 *
 * Only walloc_* names are called, so the same file runs natively (under sanitizers and
 * valgrind) and on wasm32-wasi; there the compiler also cannot treat the calls as the builtin
 * malloc family and fold them away. The heap is checked with walloc_check() after every test.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "walloc.h"
#include "sizes.h"
#include "check.h"
#include "pattern.h"


static struct walloc_stats stats_now(void) {
    struct walloc_stats stats;
    walloc_get_stats(&stats);
    return stats;
}

static int aligned_to(const void *p, size_t alignment) {
    return (uintptr_t)p % alignment == 0;
}

static size_t natural_alignment(size_t size) {
    return size >= 16 ? 16 : 8;
}

/* Blocks threaded into a list through their own first bytes: lets a test hold any number of
 * blocks without an array whose size would have to be guessed. Every block must be at least
 * sizeof(void *) bytes. */
static void *push_block(void *list, void *block) {
    memcpy(block, &list, sizeof list);
    return block;
}

static size_t free_block_list(void *list) {
    size_t count = 0;
    while (list) {
        void *next;
        memcpy(&next, list, sizeof next);
        walloc_free(list);
        list = next;
        count++;
    }
    return count;
}

static int compare_pointers(const void *a, const void *b) {
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return (x > y) - (x < y);
}

TEST(last_error_is_empty_while_nothing_went_wrong) {
    CHECK(strcmp(walloc_last_error(), "") == 0);
}

TEST(malloc_zero_is_unique_and_freeable) {
    enum { COUNT = 200 };
    uintptr_t blocks[COUNT];
    struct walloc_stats before = stats_now();
    int all_returned = 1;
    for (int i = 0; i < COUNT; i++) {
        void *p = walloc_malloc(0);
        all_returned &= p != NULL && aligned_to(p, 8);
        blocks[i] = (uintptr_t)p;
    }
    CHECK(all_returned);
    qsort(blocks, COUNT, sizeof blocks[0], compare_pointers);
    int all_distinct = 1;
    for (int i = 1; i < COUNT; i++)
        all_distinct &= blocks[i] != blocks[i - 1];
    CHECK(all_distinct);
    for (int i = 0; i < COUNT; i++)
        walloc_free((void *)blocks[i]);
    struct walloc_stats after = stats_now();
    CHECK(after.free_count - before.free_count == COUNT);
    CHECK(after.live_bytes == before.live_bytes);
}

TEST(free_null_does_nothing) {
    struct walloc_stats before = stats_now();
    walloc_free(NULL);
    struct walloc_stats after = stats_now();
    CHECK(after.free_count == before.free_count);
    CHECK(after.live_bytes == before.live_bytes);
}

/* Many sizes, all alive at once, so that blocks land at many different places. */
TEST(alignment_is_16_from_16_bytes_and_8_below) {
    static void *blocks[4096 + 256];
    size_t count = 0;
    int misaligned = 0, missing = 0;
    for (size_t size = 0; size < 4096; size++) {
        void *p = walloc_malloc(size);
        missing += p == NULL;
        misaligned += p && !aligned_to(p, natural_alignment(size));
        blocks[count++] = p;
    }
    for (size_t size = 4096; size <= 4 * MiB; size = size * 5 / 4) {
        for (size_t delta = 0; delta < 3; delta++) {
            void *p = walloc_malloc(size + delta);
            missing += p == NULL;
            misaligned += p && !aligned_to(p, 16);
            blocks[count++] = p;
        }
    }
    CHECK(missing == 0);
    CHECK(misaligned == 0);
    for (size_t i = 0; i < count; i++)
        walloc_free(blocks[i]);
}

typedef void *(*aligned_allocator)(size_t alignment, size_t size);

static void *posix_memalign_or_null(size_t alignment, size_t size) {
    void *p = NULL;
    return walloc_posix_memalign(&p, alignment, size) == 0 ? p : NULL;
}

/* Every power of two from 1 to 64 KiB and then 1 and 16 MiB, each with sizes around the
 * alignment; a small block between requests shifts where the next one could start. Stops at
 * the first bad block, after saying which request it was. */
static void check_aligned_allocator(aligned_allocator allocate, size_t smallest_alignment) {
    static size_t alignments[32];
    size_t alignment_count = 0;
    for (size_t alignment = smallest_alignment; alignment <= 64 * KiB; alignment *= 2)
        alignments[alignment_count++] = alignment;
    alignments[alignment_count++] = 1 * MiB;
    alignments[alignment_count++] = 16 * MiB;

    int good = 1;
    for (size_t a = 0; a < alignment_count && good; a++) {
        size_t alignment = alignments[a];
        size_t sizes[] = { 1, alignment / 2 + 1, alignment - 1, alignment, alignment + 1,
                           3 * alignment, 100 };
        enum { SIZES = sizeof sizes / sizeof sizes[0] };
        void *blocks[SIZES] = { 0 }, *spacers[SIZES] = { 0 };
        size_t usable[SIZES] = { 0 };
        for (size_t s = 0; s < SIZES && good; s++) {
            void *p = allocate(alignment, sizes[s]);
            blocks[s] = p;
            spacers[s] = walloc_malloc(24);
            usable[s] = p ? walloc_malloc_usable_size(p) : 0;
            good = CHECK(p != NULL) && CHECK(aligned_to(p, alignment)) &&
                   CHECK(usable[s] >= sizes[s]);
            if (!good)
                printf("  alignment %zu, size %zu: block %p, usable %zu\n", alignment, sizes[s],
                       p, usable[s]);
            else
                pattern_fill(p, usable[s], pattern_seed(p, usable[s]));
        }
        for (size_t s = 0; s < SIZES; s++) {
            if (good && blocks[s]) {
                good = CHECK(pattern_holds(blocks[s], usable[s], pattern_seed(blocks[s], usable[s])));
                if (!good)
                    printf("  alignment %zu, size %zu: block %p was overwritten\n", alignment,
                           sizes[s], blocks[s]);
            }
            walloc_free(blocks[s]);
            walloc_free(spacers[s]);
        }
    }
}

TEST(aligned_alloc_honours_every_power_of_two) {
    check_aligned_allocator(walloc_aligned_alloc, 1);
}

TEST(memalign_honours_every_power_of_two) {
    check_aligned_allocator(walloc_memalign, 1);
}

TEST(posix_memalign_honours_every_power_of_two) {
    check_aligned_allocator(posix_memalign_or_null, sizeof(void *));
}

TEST(aligned_alloc_rejects_non_powers_of_two_with_einval) {
    size_t bad[] = { 0, 3, 24, 48, 65536 + 4096, SIZE_MAX, SIZE_MAX / 2 + 2 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        CHECK(walloc_aligned_alloc(bad[i], 64) == NULL && errno == EINVAL);
        errno = 0;
        CHECK(walloc_memalign(bad[i], 64) == NULL && errno == EINVAL);
    }
}

TEST(posix_memalign_rejects_bad_alignment_and_leaves_out_untouched) {
    size_t bad[] = { 0, 1, 3, 24, sizeof(void *) / 2, sizeof(void *) * 3, SIZE_MAX };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *out = &bad[i];
        CHECK(walloc_posix_memalign(&out, bad[i], 64) == EINVAL);
        CHECK(out == &bad[i]);
    }
}

TEST(posix_memalign_out_of_memory_returns_enomem_and_leaves_out_untouched) {
    void *out = &out;
    CHECK(walloc_posix_memalign(&out, 16, SIZE_MAX) == ENOMEM);
    CHECK(out == &out);
    CHECK(walloc_posix_memalign(&out, 4096, SIZE_MAX - 4096) == ENOMEM);
    CHECK(out == &out);
}

/* Sizes no linear memory can hold, or past the request limit; rounding the largest up to a
 * class, a page or an alignment overflows size_t. Just under 4 GiB is impossible where memory
 * ends at 4 GiB (static data included); on wasm64 it is a request like any other, left out. */
static const size_t impossible_sizes[] = {
    SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 15, SIZE_MAX - 4095, SIZE_MAX - 65535, WALLOC_MAX_REQUEST + 1,
    (size_t)0xFFFF0001u, (size_t)0xFFFFFFFFu,
};

TEST(impossible_sizes_fail_with_enomem) {
    struct walloc_stats before = stats_now();
    for (size_t i = 0; i < sizeof impossible_sizes / sizeof impossible_sizes[0]; i++) {
        size_t size = impossible_sizes[i];
        if (size <= WALLOC_MAX_REQUEST) continue;
        errno = 0;
        CHECK(walloc_malloc(size) == NULL && errno == ENOMEM);
        errno = 0;
        CHECK(walloc_calloc(1, size) == NULL && errno == ENOMEM);
        errno = 0;
        CHECK(walloc_realloc(NULL, size) == NULL && errno == ENOMEM);
        errno = 0;
        CHECK(walloc_aligned_alloc(16, size) == NULL && errno == ENOMEM);
        errno = 0;
        CHECK(walloc_aligned_alloc(64 * KiB, size) == NULL && errno == ENOMEM);
    }
#if SIZE_MAX > 0xFFFFFFFFu
    errno = 0;
    CHECK(walloc_malloc(SIZE_MAX / 2) == NULL && errno == ENOMEM);
    errno = 0;
    if (WALLOC_MAX_REQUEST < 0xFFFFFFFFu) CHECK(walloc_malloc((size_t)1 << 32) == NULL && errno == ENOMEM);
#endif
    struct walloc_stats after = stats_now();
    CHECK(after.memory_bytes == before.memory_bytes);
    CHECK(after.alloc_count == before.alloc_count);
}

/* On wasm32 SIZE_MAX / 2 (2 GiB - 1, WALLOC_MAX_REQUEST) is a possible request; under a cap it
 * must fail cleanly. */
TEST(half_the_address_space_fails_with_enomem_under_a_cap) {
    struct walloc_stats before = stats_now();
    size_t previous = walloc_set_limit(before.memory_bytes + 1 * MiB);
    errno = 0;
    CHECK(walloc_malloc(SIZE_MAX / 2) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(walloc_calloc(SIZE_MAX / 4, 2) == NULL && errno == ENOMEM);
    walloc_set_limit(previous);
    CHECK(stats_now().memory_bytes <= before.memory_bytes + 1 * MiB);
}

TEST(calloc_overflow_fails_with_enomem) {
    size_t half_bits = (size_t)1 << (sizeof(size_t) * 4);
    size_t pairs[][2] = {
        { SIZE_MAX / 2 + 1, 2 },
        { 2, SIZE_MAX / 2 + 1 },
        { SIZE_MAX, SIZE_MAX },
        { half_bits, half_bits }, /* the product wraps to exactly 0 */
        { half_bits + 1, half_bits - 1 },
        { SIZE_MAX / 3 + 1, 3 },
        { 65537, 65537 },
    };
    struct walloc_stats before = stats_now();
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        /* 65537 * 65537 wraps a 32-bit size_t and exceeds 2 GiB; on wasm64 it is a request. */
        if (pairs[i][0] == 65537 && WALLOC_MAX_REQUEST > 0xFFFFFFFFu) continue;
        errno = 0;
        CHECK(walloc_calloc(pairs[i][0], pairs[i][1]) == NULL && errno == ENOMEM);
    }
    CHECK(stats_now().alloc_count == before.alloc_count);
}

static const size_t interesting_sizes[] = {
    1, 7, 8, 15, 16, 17, 24, 48, 100, 128, 1000, 4095, 4096, 4097, 10000, 32767, 32768, 32769,
    40000, 65536, 100000, 262144, 1048576, 3000000,
};
#define INTERESTING_COUNT (sizeof interesting_sizes / sizeof interesting_sizes[0])

TEST(calloc_returns_zeroed_memory) {
    int not_zero = 0, missing = 0;
    for (size_t i = 0; i < INTERESTING_COUNT; i++) {
        size_t size = interesting_sizes[i];
        size_t shapes[][2] = { { 1, size }, { size, 1 }, { size / 8 + 1, 8 } };
        for (size_t s = 0; s < 3; s++) {
            unsigned char *p = walloc_calloc(shapes[s][0], shapes[s][1]);
            if (!p) {
                missing++;
                continue;
            }
            not_zero += !all_zero(p, shapes[s][0] * shapes[s][1]);
            walloc_free(p);
        }
    }
    CHECK(missing == 0);
    CHECK(not_zero == 0);
}

/* The same size is freed dirty and asked for again, so calloc is likely to get the very block
 * back and cannot rely on memory being fresh. */
TEST(calloc_zeroes_reused_dirty_memory) {
    int not_zero = 0, missing = 0;
    for (size_t i = 0; i < INTERESTING_COUNT; i++) {
        size_t size = interesting_sizes[i];
        void *dirty = walloc_malloc(size);
        if (!dirty) {
            missing++;
            continue;
        }
        memset(dirty, 0xff, walloc_malloc_usable_size(dirty));
        walloc_free(dirty);
        unsigned char *p = walloc_calloc(1, size);
        if (!p) {
            missing++;
            continue;
        }
        not_zero += !all_zero(p, size);
        walloc_free(p);
    }
    CHECK(missing == 0);
    CHECK(not_zero == 0);
}

/* Dirty blocks of every shape are freed together, so freed spans coalesce with each other and
 * with fresh memory from a growth; every calloc after that must still see zeroes. */
TEST(calloc_zeroes_memory_coalesced_from_dirty_and_fresh_spans) {
    enum { ROUNDS = 4 };
    void *dirty[INTERESTING_COUNT * ROUNDS];
    int not_zero = 0, missing = 0;
    for (size_t i = 0; i < INTERESTING_COUNT * ROUNDS; i++) {
        dirty[i] = walloc_malloc(interesting_sizes[i % INTERESTING_COUNT]);
        if (dirty[i])
            memset(dirty[i], 0xff, walloc_malloc_usable_size(dirty[i]));
        else
            missing++;
    }
    struct walloc_stats stats = stats_now();
    void *fresh = walloc_malloc(stats.free_bytes + 4 * MiB);
    missing += fresh == NULL;
    for (size_t i = 0; i < INTERESTING_COUNT * ROUNDS; i += 2)
        walloc_free(dirty[i]);
    walloc_free(fresh);
    for (size_t i = 1; i < INTERESTING_COUNT * ROUNDS; i += 2)
        walloc_free(dirty[i]);
    size_t large = stats.free_bytes + 6 * MiB;
    unsigned char *p = walloc_calloc(1, large);
    if (p)
        not_zero += !all_zero(p, large);
    else
        missing++;
    walloc_free(p);
    for (size_t i = 0; i < INTERESTING_COUNT * ROUNDS; i++) {
        size_t size = interesting_sizes[INTERESTING_COUNT - 1 - i % INTERESTING_COUNT];
        dirty[i] = walloc_calloc(size, 1);
        if (dirty[i])
            not_zero += !all_zero(dirty[i], size);
        else
            missing++;
    }
    for (size_t i = 0; i < INTERESTING_COUNT * ROUNDS; i++)
        walloc_free(dirty[i]);
    CHECK(missing == 0);
    CHECK(not_zero == 0);
}

TEST(calloc_of_nothing_is_a_unique_freeable_block) {
    void *a = walloc_calloc(0, 8);
    void *b = walloc_calloc(8, 0);
    void *c = walloc_calloc(0, 0);
    CHECK(a != NULL && b != NULL && c != NULL);
    CHECK(a != b && b != c && a != c);
    walloc_free(a);
    walloc_free(b);
    walloc_free(c);
}

TEST(realloc_of_null_is_malloc) {
    struct walloc_stats before = stats_now();
    void *p = walloc_realloc(NULL, 100);
    if (!CHECK(p != NULL))
        return;
    CHECK(aligned_to(p, 16));
    CHECK(walloc_malloc_usable_size(p) >= 100);
    memset(p, 1, 100);
    struct walloc_stats after = stats_now();
    CHECK(after.alloc_count == before.alloc_count + 1);
    CHECK(after.live_bytes == before.live_bytes + walloc_malloc_usable_size(p));
    walloc_free(p);
}

TEST(realloc_to_zero_returns_a_minimal_block_to_free) {
    void *p = walloc_malloc(100);
    if (!CHECK(p != NULL))
        return;
    struct walloc_stats before = stats_now();
    size_t old_usable = walloc_malloc_usable_size(p);
    void *q = walloc_realloc(p, 0);
    if (!CHECK(q != NULL))
        return;
    struct walloc_stats after = stats_now();
    CHECK(after.live_bytes == before.live_bytes - old_usable + walloc_malloc_usable_size(q));
    walloc_free(q);
    CHECK(stats_now().live_bytes == before.live_bytes - old_usable);
}

TEST(realloc_preserves_contents_while_growing_and_shrinking) {
    static const size_t steps[] = {
        1, 7, 16, 100, 1000, 4096, 32768, 32769, 65536, 300000, 1048576, 4194304,
        1048577, 40000, 32768, 5000, 64, 9, 1,
    };
    void *block = NULL;
    size_t previous = 0;
    int lost = 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        block = walloc_realloc(block, steps[i]);
        if (!CHECK(block != NULL))
            return;
        size_t kept = previous < steps[i] ? previous : steps[i];
        lost += !pattern_holds(block, kept, i);
        pattern_fill(block, steps[i], i + 1);
        previous = steps[i];
    }
    CHECK(lost == 0);
    walloc_free(block);
}

TEST(realloc_shrinking_a_large_block_stays_in_place) {
    void *p = walloc_malloc(1 * MiB);
    if (!CHECK(p != NULL))
        return;
    pattern_fill(p, 1 * MiB, 7);
    CHECK(walloc_realloc(p, 256 * KiB) == p);
    CHECK(walloc_realloc(p, 40000) == p);
    CHECK(pattern_holds(p, 40000, 7));
    CHECK(walloc_malloc_usable_size(p) >= 40000);
    CHECK(walloc_malloc_usable_size(p) < 256 * KiB);
    walloc_free(p);
}

/* walloc.h keeps a shrinking block in place while it is no more than twice the request. */
TEST(realloc_shrinking_a_small_block_to_half_its_size_stays_in_place) {
    void *p = walloc_malloc(1000);
    if (!CHECK(p != NULL))
        return;
    pattern_fill(p, 1000, 8);
    size_t half = (walloc_malloc_usable_size(p) + 1) / 2;
    CHECK(walloc_realloc(p, 900) == p);
    CHECK(walloc_realloc(p, half) == p);
    CHECK(pattern_holds(p, half, 8));
    void *tiny = walloc_realloc(p, 16);
    if (!CHECK(tiny != NULL))
        return;
    CHECK(pattern_holds(tiny, 16, 8));
    walloc_free(tiny);
}

TEST(realloc_within_the_usable_size_stays_in_place) {
    size_t sizes[] = { 1, 20, 100, 3000, 32768, 40000, 1 * MiB + 1 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        void *p = walloc_malloc(sizes[i]);
        if (!CHECK(p != NULL))
            return;
        size_t usable = walloc_malloc_usable_size(p);
        pattern_fill(p, sizes[i], i);
        CHECK(walloc_realloc(p, usable) == p);
        CHECK(pattern_holds(p, sizes[i], i));
        walloc_free(p);
    }
}

/* Only checkable when the second span happens to follow the first; a heap that does not lay
 * them out that way still has the contents checked. */
TEST(realloc_grows_a_large_block_into_the_free_span_after_it) {
    void *first = walloc_malloc(1 * MiB);
    void *second = walloc_malloc(1 * MiB);
    if (!CHECK(first != NULL && second != NULL))
        return;
    int adjacent = (char *)second == (char *)first + walloc_malloc_usable_size(first);
    pattern_fill(first, 1 * MiB, 9);
    walloc_free(second);
    void *grown = walloc_realloc(first, 3 * MiB / 2);
    if (!CHECK(grown != NULL))
        return;
    if (adjacent)
        CHECK(grown == first);
    CHECK(pattern_holds(grown, 1 * MiB, 9));
    walloc_free(grown);
}

/* Between 1 KiB and 64 KiB a block is its request rounded to 16 bytes plus a 4-byte header
 * (walloc.h), not a size class that may be an eighth larger: SQLite's 4 KiB page plus header
 * (4104 bytes) must not cost 4608. */
TEST(medium_blocks_fit_their_request_within_16_bytes) {
    int loose = 0, misaligned = 0;
    for (size_t size = 1025; size <= 64 * KiB; size += size / 7 + 1) {
        void *p = walloc_malloc(size);
        if (!CHECK(p != NULL))
            return;
        size_t usable = walloc_malloc_usable_size(p);
        loose += usable < size || usable >= size + 16;
        misaligned += !aligned_to(p, 16);
        walloc_free(p);
    }
    CHECK(loose == 0);
    CHECK(misaligned == 0);
}

/* Shrinking frees the tail of a medium block, and growing takes it back: the block never
 * moves and its contents stay. */
TEST(realloc_shrinks_a_medium_block_in_place_and_grows_it_back) {
    void *p = walloc_malloc(8000);
    if (!CHECK(p != NULL))
        return;
    pattern_fill(p, 8000, 21);
    size_t before = stats_now().free_bytes;
    CHECK(walloc_realloc(p, 2000) == p);
    CHECK(walloc_malloc_usable_size(p) < 2016);
    CHECK(stats_now().free_bytes >= before + 5984);
    CHECK(walloc_realloc(p, 7000) == p);
    CHECK(pattern_holds(p, 2000, 21));
    walloc_free(p);
}

/* Freed medium blocks merge with their free neighbours. Of four blocks carved one after the
 * other (white box: a block's header is the 4 bytes before it), the middle two are freed; the
 * first can then grow in place to 5000 bytes only if they became one free block, as either
 * alone holds 2016. Memory does not grow meanwhile. */
TEST(freed_medium_blocks_merge_into_room_for_a_bigger_one) {
    enum { TRIES = 64, RUN = 4 };
    char *blocks[TRIES];
    size_t count = 0, first = 0;
    while (count < TRIES && count - first < RUN) {
        if (!CHECK((blocks[count] = walloc_malloc(2000)) != NULL))
            break;
        char *before = count ? blocks[count - 1] : NULL;
        if (before && blocks[count] != before + walloc_malloc_usable_size(before) + 4)
            first = count;
        count++;
    }
    if (CHECK(count - first == RUN)) {
        char *grown = blocks[first];
        size_t heap = stats_now().heap_bytes;
        pattern_fill(grown, 2000, 31);
        walloc_free(blocks[first + 1]);
        walloc_free(blocks[first + 2]);
        blocks[first + 1] = blocks[first + 2] = NULL;
        CHECK(walloc_realloc(grown, 5000) == grown);
        CHECK(pattern_holds(grown, 2000, 31));
        CHECK(stats_now().heap_bytes == heap);
    }
    for (size_t i = 0; i < count; i++)
        walloc_free(blocks[i]);
}

/* White box: a medium block's header is the word before it (src/medium.c). An overflow that
 * breaks it is what walloc_check must find. */
TEST(check_reports_a_broken_medium_header) {
    char *p = walloc_malloc(3000);
    char *q = walloc_malloc(3000);
    if (!CHECK(p != NULL && q != NULL))
        return;
    uint32_t saved, broken = 0x7ffffff0u;
    memcpy(&saved, q - 4, 4);
    memcpy(q - 4, &broken, 4);
    CHECK(walloc_check() < 0);
    memcpy(q - 4, &saved, 4);
    CHECK(walloc_check() == 0);
    walloc_free(p);
    walloc_free(q);
}

TEST(realloc_failure_returns_null_and_leaves_the_block_untouched) {
    void *p = walloc_malloc(1000);
    if (!CHECK(p != NULL))
        return;
    pattern_fill(p, 1000, 10);
    size_t usable = walloc_malloc_usable_size(p);
    errno = 0;
    CHECK(walloc_realloc(p, SIZE_MAX) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(walloc_realloc(p, SIZE_MAX - 100) == NULL && errno == ENOMEM);
    CHECK(pattern_holds(p, 1000, 10));
    CHECK(walloc_malloc_usable_size(p) == usable);
    walloc_free(p);

    void *large = walloc_malloc(2 * MiB);
    if (!CHECK(large != NULL))
        return;
    pattern_fill(large, 2 * MiB, 11);
    struct walloc_stats stats = stats_now();
    size_t previous = walloc_set_limit(stats.memory_bytes);
    errno = 0;
    CHECK(walloc_realloc(large, stats.free_bytes + 64 * MiB) == NULL && errno == ENOMEM);
    walloc_set_limit(previous);
    CHECK(pattern_holds(large, 2 * MiB, 11));
    walloc_free(large);
}

TEST(usable_size_covers_the_request_and_is_writable) {
    CHECK(walloc_malloc_usable_size(NULL) == 0);
    int too_small = 0, spilled = 0, missing = 0;
    for (size_t size = 0; size < 70000; size += size < 256 ? 1 : size / 16) {
        unsigned char *a = walloc_malloc(size);
        unsigned char *b = walloc_malloc(size);
        if (!a || !b) {
            missing++;
            walloc_free(a);
            walloc_free(b);
            continue;
        }
        size_t usable_a = walloc_malloc_usable_size(a);
        size_t usable_b = walloc_malloc_usable_size(b);
        too_small += usable_a < size || usable_b < size;
        pattern_fill(b, usable_b, 12);
        memset(a, 0xa5, usable_a);
        spilled += !pattern_holds(b, usable_b, 12);
        memset(b, 0x5a, usable_b);
        for (size_t i = 0; i < usable_a; i++)
            spilled += a[i] != 0xa5;
        walloc_free(a);
        walloc_free(b);
    }
    CHECK(missing == 0);
    CHECK(too_small == 0);
    CHECK(spilled == 0);
}

/* Growth far beyond the first leaves of the page map, in blocks of several kinds. The test is
 * listed early, so it starts from a small heap and its phases cross every doubling of the heap
 * up to hundreds of MiB; each phase goes further than the last, so every one grows memory, and
 * the last asks for more than all memory so far, so even a large heap at least doubles.
 * Blocks are not filled: only their first word links them, so this costs little even under
 * valgrind. */
TEST(heap_grows_to_hundreds_of_mib_without_failing) {
    struct {
        size_t block_size;
        size_t total;
    } phases[] = {
        { 2000, 48 * MiB }, { 40000, 96 * MiB }, { 100000, 160 * MiB }, { 1000000, 320 * MiB },
    };
    size_t last = sizeof phases / sizeof phases[0] - 1;
    size_t memory = stats_now().memory_bytes;
    if (phases[last].total < memory + 64 * MiB)
        phases[last].total = memory + 64 * MiB < 2048 * MiB ? memory + 64 * MiB : 2048 * MiB;
    for (size_t i = 0; i <= last; i++) {
        void *blocks = NULL, *p = NULL;
        size_t count = 0, wanted = phases[i].total / phases[i].block_size;
        errno = 0;
        while (count < wanted && (p = walloc_malloc(phases[i].block_size)) != NULL) {
            blocks = push_block(blocks, p);
            count++;
        }
        if (!CHECK(count == wanted)) {
            struct walloc_stats stats = stats_now();
            printf("  block %zu of %zu bytes failed, errno %d, memory %zu, free %zu\n", count,
                   phases[i].block_size, errno, stats.memory_bytes, stats.free_bytes);
        }
        free_block_list(blocks);
    }
}

/* Fills the capped heap with 64 KiB blocks and then small ones until walloc refuses, frees
 * everything, shows the same blocks fit again under the same cap, then raises it. */
TEST(limit_caps_growth_with_enomem_and_can_be_raised) {
    struct walloc_stats start = stats_now();
    size_t cap = start.memory_bytes + 2 * MiB;
    size_t original_limit = walloc_set_limit(cap);
    CHECK(walloc_set_limit(cap) == cap);

    void *large_blocks = NULL, *small_blocks = NULL;
    size_t large_count = 0, small_count = 0;
    size_t max_large = start.memory_bytes / (64 * KiB) + 64;
    void *p;
    errno = 0;
    while (large_count <= max_large && (p = walloc_malloc(64 * KiB)) != NULL) {
        large_blocks = push_block(large_blocks, p);
        large_count++;
    }
    CHECK(large_count <= max_large);
    CHECK(errno == ENOMEM);
    size_t max_small = start.memory_bytes / 256 + 64 * KiB;
    errno = 0;
    while (small_count <= max_small && (p = walloc_malloc(256)) != NULL) {
        small_blocks = push_block(small_blocks, p);
        small_count++;
    }
    CHECK(small_count <= max_small);
    CHECK(errno == ENOMEM);
    struct walloc_stats full = stats_now();
    CHECK(full.memory_bytes <= cap);
    CHECK(full.memory_bytes > start.memory_bytes);
    CHECK(walloc_check() == 0);

    CHECK(free_block_list(large_blocks) == large_count);
    CHECK(free_block_list(small_blocks) == small_count);
    CHECK(walloc_check() == 0);

    large_blocks = NULL;
    size_t again = 0;
    while (again < large_count && (p = walloc_malloc(64 * KiB)) != NULL) {
        large_blocks = push_block(large_blocks, p);
        again++;
    }
    CHECK(again == large_count);
    free_block_list(large_blocks);

    struct walloc_stats emptied = stats_now();
    size_t beyond_cap = emptied.free_bytes + (cap - emptied.memory_bytes) + 1 * MiB;
    errno = 0;
    CHECK(walloc_malloc(beyond_cap) == NULL && errno == ENOMEM);
    CHECK(walloc_set_limit(cap + beyond_cap + 1 * MiB) == cap);
    void *big = walloc_malloc(beyond_cap);
    CHECK(big != NULL);
    walloc_free(big);
    walloc_set_limit(original_limit);
}

TEST(limit_below_memory_in_use_stops_growth_and_keeps_blocks) {
    void *kept = walloc_malloc(100000);
    if (!CHECK(kept != NULL))
        return;
    pattern_fill(kept, 100000, 13);
    struct walloc_stats before = stats_now();
    size_t original_limit = walloc_set_limit(0);
    errno = 0;
    CHECK(walloc_malloc(before.free_bytes + 1 * MiB) == NULL && errno == ENOMEM);
    struct walloc_stats after = stats_now();
    CHECK(after.memory_bytes == before.memory_bytes);
    CHECK(after.heap_bytes == before.heap_bytes);
    CHECK(pattern_holds(kept, 100000, 13));
    errno = 0;
    void *small = walloc_malloc(16);
    CHECK(small != NULL || errno == ENOMEM);
    walloc_free(small);
    walloc_set_limit(original_limit);
    walloc_free(kept);
}

/* A cap between two page boundaries must not be rounded up: memory stays below it. */
TEST(limit_is_rounded_down_to_wasm_pages) {
    struct walloc_stats start = stats_now();
    size_t cap = start.memory_bytes + 128 * KiB - 1;
    size_t original_limit = walloc_set_limit(cap);
    void *blocks = NULL, *p;
    size_t count = 0, max_count = start.memory_bytes / (16 * KiB) + 64;
    errno = 0;
    while (count <= max_count && (p = walloc_malloc(16 * KiB)) != NULL) {
        blocks = push_block(blocks, p);
        count++;
    }
    CHECK(count <= max_count);
    CHECK(errno == ENOMEM);
    CHECK(stats_now().memory_bytes <= start.memory_bytes + 64 * KiB);
    free_block_list(blocks);
    walloc_set_limit(original_limit);
}

TEST(stats_count_allocations_and_frees) {
    struct walloc_stats s0 = stats_now();
    void *p = walloc_malloc(100);
    if (!CHECK(p != NULL))
        return;
    size_t usable = walloc_malloc_usable_size(p);
    struct walloc_stats s1 = stats_now();
    CHECK(s1.alloc_count == s0.alloc_count + 1);
    CHECK(s1.free_count == s0.free_count);
    CHECK(s1.live_bytes == s0.live_bytes + usable);
    CHECK(s1.peak_live_bytes >= s1.live_bytes);
    walloc_free(p);
    struct walloc_stats s2 = stats_now();
    CHECK(s2.free_count == s1.free_count + 1);
    CHECK(s2.live_bytes == s0.live_bytes);

    void *c = walloc_calloc(10, 10);
    void *a = walloc_aligned_alloc(256, 10);
    struct walloc_stats s3 = stats_now();
    CHECK(s3.alloc_count == s2.alloc_count + 2);
    CHECK(s3.live_bytes == s2.live_bytes + walloc_malloc_usable_size(c) + walloc_malloc_usable_size(a));
    walloc_free(c);
    walloc_free(a);
}

TEST(stats_follow_realloc) {
    void *p = walloc_malloc(100);
    void *blocker = walloc_malloc(100);
    if (!CHECK(p != NULL && blocker != NULL))
        return;
    struct walloc_stats before = stats_now();
    size_t old_usable = walloc_malloc_usable_size(p);
    void *moved = walloc_realloc(p, 50000);
    if (!CHECK(moved != NULL))
        return;
    CHECK(moved != p);
    struct walloc_stats after = stats_now();
    CHECK(after.alloc_count == before.alloc_count + 1);
    CHECK(after.free_count == before.free_count + 1);
    CHECK(after.live_bytes == before.live_bytes - old_usable + walloc_malloc_usable_size(moved));

    void *large = walloc_malloc(1 * MiB);
    if (!CHECK(large != NULL))
        return;
    before = stats_now();
    old_usable = walloc_malloc_usable_size(large);
    CHECK(walloc_realloc(large, 200 * KiB) == large);
    after = stats_now();
    CHECK(after.live_bytes == before.live_bytes - old_usable + walloc_malloc_usable_size(large));
    walloc_free(large);
    walloc_free(moved);
    walloc_free(blocker);
}

TEST(stats_count_growth_and_peak) {
    struct walloc_stats s0 = stats_now();
    CHECK(s0.heap_bytes > 0);
    CHECK(s0.heap_bytes <= s0.memory_bytes);
    CHECK(s0.live_bytes + s0.free_bytes <= s0.heap_bytes);
    CHECK(s0.peak_live_bytes >= s0.live_bytes);

    size_t size = s0.free_bytes + 8 * MiB;
    void *big = walloc_malloc(size);
    if (!CHECK(big != NULL))
        return;
    struct walloc_stats s1 = stats_now();
    CHECK(s1.grow_count > s0.grow_count);
    CHECK(s1.heap_bytes >= s0.heap_bytes + 8 * MiB);
    CHECK(s1.memory_bytes >= s0.memory_bytes + 8 * MiB);
    CHECK(s1.peak_live_bytes >= s0.live_bytes + size);
    CHECK(s1.live_bytes + s1.free_bytes + s1.meta_bytes <= s1.heap_bytes);
    walloc_free(big);
    struct walloc_stats s2 = stats_now();
    CHECK(s2.heap_bytes == s1.heap_bytes);
    CHECK(s2.memory_bytes == s1.memory_bytes);
    CHECK(s2.grow_count == s1.grow_count);
    CHECK(s2.live_bytes == s0.live_bytes);
    CHECK(s2.peak_live_bytes == s1.peak_live_bytes);
    CHECK(s2.free_bytes >= s1.free_bytes + size);

    void *again = walloc_malloc(size);
    CHECK(again != NULL);
    CHECK(stats_now().grow_count == s2.grow_count);
    walloc_free(again);
}

static const struct test_entry tests[] = {
    TEST_ENTRY(last_error_is_empty_while_nothing_went_wrong),
    TEST_ENTRY(malloc_zero_is_unique_and_freeable),
    TEST_ENTRY(free_null_does_nothing),
    TEST_ENTRY(heap_grows_to_hundreds_of_mib_without_failing),
    TEST_ENTRY(alignment_is_16_from_16_bytes_and_8_below),
    TEST_ENTRY(aligned_alloc_honours_every_power_of_two),
    TEST_ENTRY(memalign_honours_every_power_of_two),
    TEST_ENTRY(posix_memalign_honours_every_power_of_two),
    TEST_ENTRY(aligned_alloc_rejects_non_powers_of_two_with_einval),
    TEST_ENTRY(posix_memalign_rejects_bad_alignment_and_leaves_out_untouched),
    TEST_ENTRY(posix_memalign_out_of_memory_returns_enomem_and_leaves_out_untouched),
    TEST_ENTRY(impossible_sizes_fail_with_enomem),
    TEST_ENTRY(half_the_address_space_fails_with_enomem_under_a_cap),
    TEST_ENTRY(calloc_overflow_fails_with_enomem),
    TEST_ENTRY(calloc_returns_zeroed_memory),
    TEST_ENTRY(calloc_zeroes_reused_dirty_memory),
    TEST_ENTRY(calloc_zeroes_memory_coalesced_from_dirty_and_fresh_spans),
    TEST_ENTRY(calloc_of_nothing_is_a_unique_freeable_block),
    TEST_ENTRY(realloc_of_null_is_malloc),
    TEST_ENTRY(realloc_to_zero_returns_a_minimal_block_to_free),
    TEST_ENTRY(realloc_preserves_contents_while_growing_and_shrinking),
    TEST_ENTRY(realloc_shrinking_a_large_block_stays_in_place),
    TEST_ENTRY(realloc_shrinking_a_small_block_to_half_its_size_stays_in_place),
    TEST_ENTRY(realloc_within_the_usable_size_stays_in_place),
    TEST_ENTRY(realloc_grows_a_large_block_into_the_free_span_after_it),
    TEST_ENTRY(medium_blocks_fit_their_request_within_16_bytes),
    TEST_ENTRY(realloc_shrinks_a_medium_block_in_place_and_grows_it_back),
    TEST_ENTRY(freed_medium_blocks_merge_into_room_for_a_bigger_one),
    TEST_ENTRY(check_reports_a_broken_medium_header),
    TEST_ENTRY(realloc_failure_returns_null_and_leaves_the_block_untouched),
    TEST_ENTRY(usable_size_covers_the_request_and_is_writable),
    TEST_ENTRY(limit_caps_growth_with_enomem_and_can_be_raised),
    TEST_ENTRY(limit_below_memory_in_use_stops_growth_and_keeps_blocks),
    TEST_ENTRY(limit_is_rounded_down_to_wasm_pages),
    TEST_ENTRY(stats_count_allocations_and_frees),
    TEST_ENTRY(stats_follow_realloc),
    TEST_ENTRY(stats_count_growth_and_peak),
};

int main(int argc, char **argv) {
    /* The first allocation sets the heap up; before it the counters describe no heap at all,
     * and tests that start from a snapshot of them must see a live heap even when run alone. */
    walloc_free(walloc_malloc(1));
    return check_main(tests, TEST_COUNT(tests), argc, argv, check_heap_is_consistent);
}
