/* test_death.c - misuse that walloc must report and trap on.
 *
 *   test_death --list      prints the scenario names
 *   test_death SCENARIO    performs one misuse; it must never return
 *
 * Before the bad call a scenario prints, and flushes, what the report must say:
 *   expect-kind double free        (or "invalid free", or "any" where the API leaves it open)
 *   expect-pointer 0x<hex>
 * tests/death.sh runs every scenario and checks that the program was killed by the trap (abort
 * natively, status 134 from tests/host/run.mjs on wasm) and that stderr carries exactly one
 * line `walloc: <kind> of 0x<hex>` with that pointer. A scenario that comes back exits with 1.
 *
 * Built with -DWALLOC_SECURE against libwalloc-secure.a, the program adds the scenarios that
 * only the secure build's checks catch (death_secure.h): overflows into the canary, writes
 * after free, double frees after other allocations (the quarantine). The other scenarios must
 * pass there too.
 *
 * A few scenarios are the opposite: requests hardened allocators are tested on that walloc
 * must refuse with NULL/ENOMEM, not kill the program. They print `expect-kind none`, and pass
 * when they return with every request refused (exit 0, no `walloc: ` line).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "walloc.h"
#include "gc.h"
#include "sizes.h"

/* The compiler must not see through these pointers: the misuse has to reach walloc as
 * written. */
static void *volatile opaque;

static void *hide(void *p) {
    opaque = p;
    return opaque;
}

static void expect(const char *kind, const void *p) {
    printf("expect-kind %s\nexpect-pointer 0x%" PRIxPTR "\n", kind, (uintptr_t)p);
    fflush(stdout);
}

/* For the scenarios that must survive: the program's exit status says whether every request
 * was refused as walloc.h promises. */
static int survived_badly, expect_survival_seen;

static void expect_survival(void) {
    expect_survival_seen = 1;
    printf("expect-kind none\n");
    fflush(stdout);
}

/* Hides the block a setup step got, after saying so if it got none. */
static void *obtained(void *p, const char *call, size_t size) {
    if (!p) {
        printf("setup failed: %s(%zu) returned NULL\n", call, size);
        fflush(stdout);
    }
    return hide(p);
}

static void *allocate(size_t size) {
    return obtained(walloc_malloc(size), "malloc", size);
}

/* Frees a block of `size` bytes twice. */
static void free_twice(size_t size) {
    char *p = allocate(size);
    walloc_free(p);
    expect("double free", p);
    walloc_free(p);
}

/* Frees a pointer `offset` bytes into a fresh block of `size` bytes: `kind` must be reported. */
static void free_inside(size_t size, size_t offset, const char *kind) {
    char *p = allocate(size);
    expect(kind, p + offset);
    walloc_free(p + offset);
}

static void double_free(void) {
    free_twice(64);
}

/* Other sizes than 64 are allocated in between, so the freed block cannot be handed out again
 * and legitimately become live. */
static void double_free_delayed(void) {
    char *p = allocate(64);
    void *others[48];
    for (size_t i = 0; i < 48; i++)
        others[i] = allocate(i % 2 ? 200 + i * 100 : 40000 + i * 1000);
    walloc_free(p);
    for (size_t i = 0; i < 48; i += 2)
        walloc_free(others[i]);
    for (size_t i = 0; i < 16; i++)
        allocate(1000 + i);
    expect("double free", p);
    walloc_free(p);
}

/* The stack of recent frees (src/types.h): a block freed with `before` frees of its size ahead
 * of it and `after` behind must still be caught when freed again, whether it waits in the stack
 * (parked) or found the 16-slot stack full and completed in its span at once (settled). */
static void free_twice_among(size_t before, size_t after) {
    char *p = allocate(96);
    void *others[40];
    for (size_t i = 0; i < before + after; i++)
        others[i] = allocate(96);
    for (size_t i = 0; i < before; i++)
        walloc_free(others[i]);
    walloc_free(p);
    for (size_t i = before; i < before + after; i++)
        walloc_free(others[i]);
    expect("double free", p);
    walloc_free(p);
}

static void double_free_parked(void) { free_twice_among(0, 5); }
static void double_free_settled(void) { free_twice_among(20, 5); }

static _Alignas(16) char static_block[64];

static void invalid_free_foreign(void) {
    allocate(64);
    expect("invalid free", static_block);
    walloc_free(hide(static_block));
}

static void invalid_free_stack(void) {
    _Alignas(16) char local[64];
    memset(local, 0, sizeof local);
    allocate(64);
    expect("invalid free", local);
    walloc_free(hide(local));
}

static void invalid_free_one(void) {
    allocate(64);
    expect("invalid free", (void *)1);
    walloc_free(hide((void *)1));
}

/* An aligned address far beyond any memory walloc owns (on wasm, beyond linear memory). */
static void invalid_free_high(void) {
    void *p = (void *)(UINTPTR_MAX & ~(uintptr_t)15);
    allocate(64);
    expect("invalid free", p);
    walloc_free(hide(p));
}

static void interior(void) {
    free_inside(64, 16, "invalid free");
}

static void interior_large(void) {
    free_inside(1 * MiB, 16, "invalid free");
}

/* A page boundary inside a large block looks like a span start to a careless check. */
static void interior_large_page(void) {
    free_inside(1 * MiB, 4 * KiB, "invalid free");
}

static void unaligned(void) {
    free_inside(64, 1, "invalid free");
}

/* The slot after the only block of its class was never handed out. */
static void free_unallocated_slot(void) {
    free_inside(48, 48, "any");
}

static void usable_size_of_freed(void) {
    char *p = allocate(64);
    walloc_free(p);
    expect("any", p);
    walloc_malloc_usable_size(p);
}

static void realloc_of_freed(void) {
    char *p = allocate(64);
    walloc_free(p);
    expect("any", p);
    walloc_realloc(p, 100);
}

static void realloc_of_interior(void) {
    char *p = allocate(256);
    expect("any", p + 32);
    walloc_realloc(p + 32, 1000);
}

static void large_double_free(void) {
    free_twice(1 * MiB);
}

/* The freed span has merged with its free neighbour: its own descriptor is gone. */
static void large_double_free_coalesced(void) {
    char *p = allocate(1 * MiB);
    char *q = allocate(1 * MiB);
    walloc_free(q);
    walloc_free(p);
    expect("double free", p);
    walloc_free(p);
}

static void free_after_realloc_moved(void) {
    char *p = allocate(64);
    allocate(64);
    char *q = walloc_realloc(p, 100000);
    if (q == p) {
        printf("setup failed: realloc did not move the block\n");
        return;
    }
    expect("double free", p);
    walloc_free(p);
}

static void double_free_zero_size(void) {
    free_twice(0);
}

/* Large spans freed in between merge and are handed out again as other sizes. The block freed
 * below p (kept apart from it, so the two do not merge into room for a medium span) gives the
 * meta slices, which settle at the lowest free memory before the heap grows, a place other than
 * p's first slices: p's memory is still free at the second free. */
static void large_double_free_delayed(void) {
    char *below = allocate(100 * KiB);
    allocate(100 * KiB);
    char *p = allocate(200 * KiB);
    void *others[16];
    for (size_t i = 0; i < 16; i++)
        others[i] = allocate(40 * KiB + i * 12 * KiB);
    walloc_free(below);
    walloc_free(p);
    for (size_t i = 0; i < 16; i += 2)
        walloc_free(others[i]);
    for (size_t i = 0; i < 8; i++)
        allocate(33 * KiB + i * 1000);
    expect("double free", p);
    walloc_free(p);
}

static void unaligned_large(void) {
    free_inside(100 * KiB, 8, "invalid free");
}

/* Medium blocks (1-64 KiB) carry a header; free must not be fooled by what memory holds. */
static void medium_double_free(void) {
    free_twice(3000);
}

/* The freed block has merged with the free block before it: no block starts at p any more. */
static void medium_double_free_merged(void) {
    char *before = allocate(3000);
    char *p = allocate(3000);
    allocate(3000);
    walloc_free(before);
    walloc_free(p);
    expect("double free", p);
    walloc_free(p);
}

static void medium_interior(void) {
    free_inside(3000, 1024, "invalid free");
}

/* The program wrote, inside its block, words that look like a live block's header: the live
 * bits kept outside the blocks still say no block starts there. */
static void medium_interior_forged_header(void) {
    char *p = allocate(8000);
    uint32_t header = 2048;
    for (size_t at = 0; at + 4 <= 8000; at += 4)
        memcpy(p + at, &header, 4);
    expect("invalid free", p + 1024);
    walloc_free(p + 1024);
}

static void medium_unaligned(void) {
    free_inside(3000, 4, "invalid free");
}

static void medium_usable_size_of_freed(void) {
    char *p = allocate(5000);
    walloc_free(p);
    expect("malloc_usable_size after free", p);
    walloc_malloc_usable_size(p);
}

/* Heap memory that was never handed out: the middle of the free span at the top. */
static void invalid_free_free_memory(void) {
    allocate(64 * KiB);
    char *q = allocate(256 * KiB);
    walloc_free(q);
    expect("any", q + 128 * KiB);
    walloc_free(hide(q + 128 * KiB));
}

/* Before the first allocation the heap does not even exist yet. */
static void free_before_any_malloc(void) {
    expect("invalid free", static_block);
    walloc_free(hide(static_block));
}

static void usable_size_before_any_malloc(void) {
    expect("any", static_block);
    walloc_malloc_usable_size(hide(static_block));
}

static void realloc_before_any_malloc(void) {
    expect("any", static_block);
    walloc_realloc(hide(static_block), 10);
}

static void usable_size_of_interior(void) {
    char *p = allocate(64);
    expect("any", p + 16);
    walloc_malloc_usable_size(p + 16);
}

static void usable_size_unaligned(void) {
    char *p = allocate(64);
    expect("any", p + 1);
    walloc_malloc_usable_size(p + 1);
}

static void usable_size_of_freed_large(void) {
    char *p = allocate(1 * MiB);
    allocate(64);
    walloc_free(p);
    expect("any", p);
    walloc_malloc_usable_size(p);
}

static void realloc_of_freed_large(void) {
    char *p = allocate(1 * MiB);
    allocate(64);
    walloc_free(p);
    expect("any", p);
    walloc_realloc(p, 2 * MiB);
}

static void refused(void *p) {
    if (p || errno != ENOMEM) {
        printf("request not refused with ENOMEM: %p, errno %d\n", p, errno);
        survived_badly = 1;
    }
    errno = 0;
}

/* Every product that overflows size_t, or a linear memory, is refused, not fatal. */
static void calloc_overflow(void) {
    size_t half = (size_t)1 << (sizeof(size_t) * 4);
    allocate(64);
    expect_survival();
    errno = 0;
    refused(walloc_calloc(SIZE_MAX, 2));
    refused(walloc_calloc(half, half));
    refused(walloc_calloc(half + 1, half));
    refused(walloc_calloc(SIZE_MAX / 16 + 1, 16));
}

static void impossibly_large(void) {
    void *p = allocate(64);
    void *out = NULL;
    expect_survival();
    errno = 0;
    refused(walloc_malloc(SIZE_MAX));
    refused(walloc_malloc(SIZE_MAX - 8 * KiB));
    refused(walloc_aligned_alloc(64 * KiB, SIZE_MAX - 16));
    refused(walloc_realloc(p, SIZE_MAX - 64));
    errno = walloc_posix_memalign(&out, 4 * KiB, SIZE_MAX);
    refused(out);
}

/* A block from the SCENE tier of default tiers, made on first use. */
static void *tier_allocate(size_t size) {
    static walloc_tiers *t;
    if (!t) t = walloc_tiers_create(256 * KiB, NULL, 0);
    return obtained(t ? walloc_tier_alloc(t, WALLOC_TIER_SCENE, size) : NULL, "walloc_tier_alloc", size);
}

/* A tier's first block starts a page, as a large block does: still not a malloc block. */
static void free_tier_start(void) {
    char *p = tier_allocate(100);
    expect("invalid free", p);
    walloc_free(p);
}

static void free_tier_block(void) {
    tier_allocate(100);
    char *p = tier_allocate(200);
    expect("invalid free", p);
    walloc_free(p);
}

static void realloc_tier_block(void) {
    char *p = tier_allocate(64);
    expect("invalid realloc", p);
    walloc_realloc(p, 128);
}

/* The collector's misuse is reported like malloc's, and the two heaps do not mix. */
static void gc_double_free_of(size_t size) {
    char *p = hide(GC_malloc(size));
    GC_free(p);
    expect("double GC_free", p);
    GC_free(p);
}

static void gc_double_free(void) { gc_double_free_of(32); }

static void gc_free_interior(void) {
    char *p = hide(GC_malloc(64));
    expect("invalid GC_free", p + 16);
    GC_free(p + 16);
}

static void gc_free_of_malloc_block(void) {
    char *p = allocate(32);
    expect("invalid GC_free", p);
    GC_free(p);
}

static void free_of_gc_object(void) {
    char *p = hide(GC_malloc(48));
    expect("invalid free", p);
    walloc_free(p);
}

/* The object's span went back whole: its first byte is free heap memory. */
static void gc_double_free_large(void) { gc_double_free_of(100 * KiB); }

static void gc_realloc_of_interior(void) {
    char *p = hide(GC_malloc(64));
    expect("invalid GC_realloc", p + 8);
    GC_realloc(p + 8, 100);
}

#ifdef WALLOC_SECURE
#include "death_secure.h"
#endif

struct scenario {
    const char *name;
    void (*run)(void);
};

static const struct scenario scenarios[] = {
    { "double-free", double_free },
    { "double-free-delayed", double_free_delayed },
    { "double-free-parked", double_free_parked },
    { "double-free-settled", double_free_settled },
    { "invalid-free-foreign", invalid_free_foreign },
    { "invalid-free-stack", invalid_free_stack },
    { "invalid-free-one", invalid_free_one },
    { "invalid-free-high", invalid_free_high },
    { "interior", interior },
    { "interior-large", interior_large },
    { "interior-large-page", interior_large_page },
    { "unaligned", unaligned },
    { "free-unallocated-slot", free_unallocated_slot },
    { "usable-size-of-freed", usable_size_of_freed },
    { "realloc-of-freed", realloc_of_freed },
    { "realloc-of-interior", realloc_of_interior },
    { "large-double-free", large_double_free },
    { "large-double-free-coalesced", large_double_free_coalesced },
    { "free-after-realloc-moved", free_after_realloc_moved },
    { "double-free-zero-size", double_free_zero_size },
    { "large-double-free-delayed", large_double_free_delayed },
    { "unaligned-large", unaligned_large },
    { "invalid-free-free-memory", invalid_free_free_memory },
    { "medium-double-free", medium_double_free },
    { "medium-double-free-merged", medium_double_free_merged },
    { "medium-interior", medium_interior },
    { "medium-interior-forged-header", medium_interior_forged_header },
    { "medium-unaligned", medium_unaligned },
    { "medium-usable-size-of-freed", medium_usable_size_of_freed },
    { "free-before-any-malloc", free_before_any_malloc },
    { "usable-size-before-any-malloc", usable_size_before_any_malloc },
    { "realloc-before-any-malloc", realloc_before_any_malloc },
    { "usable-size-of-interior", usable_size_of_interior },
    { "usable-size-unaligned", usable_size_unaligned },
    { "usable-size-of-freed-large", usable_size_of_freed_large },
    { "realloc-of-freed-large", realloc_of_freed_large },
    { "calloc-overflow", calloc_overflow },
    { "impossibly-large", impossibly_large },
    { "free-tier-start", free_tier_start },
    { "free-tier-block", free_tier_block },
    { "realloc-tier-block", realloc_tier_block },
    { "gc-double-free", gc_double_free },
    { "gc-free-interior", gc_free_interior },
    { "gc-free-of-malloc-block", gc_free_of_malloc_block },
    { "free-of-gc-object", free_of_gc_object },
    { "gc-double-free-large", gc_double_free_large },
    { "gc-realloc-of-interior", gc_realloc_of_interior },
#ifdef WALLOC_SECURE
    SECURE_SCENARIOS
#endif
};

int main(int argc, char **argv) {
    size_t count = sizeof scenarios / sizeof scenarios[0];
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < count; i++)
            printf("%s\n", scenarios[i].name);
        return 0;
    }
    for (size_t i = 0; argc == 2 && i < count; i++) {
        if (strcmp(argv[1], scenarios[i].name) == 0) {
            scenarios[i].run();
            if (expect_survival_seen) return survived_badly;
            printf("scenario %s returned instead of trapping\n", argv[1]);
            return 1;
        }
    }
    printf("usage: test_death --list | SCENARIO\n");
    return 2;
}
