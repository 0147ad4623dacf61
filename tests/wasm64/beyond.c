/* beyond.c - the heap past 4 GiB, for the freestanding wasm64 build (tests/wasm64/suite.mjs
 * runs it in node 24 and Chromium). Each export runs on a fresh instance and returns 0, or the
 * number of the check that failed; the death scenarios trap instead, and their host reads
 * walloc_last_error().
 *
 * Memory is filled with memset (one memory.fill, at the engine's memset speed) and checked at
 * sparse words: every FILL_STRIDE bytes a word that encodes its own address and the block's
 * seed, so a block that moved, overlapped another or lost its contents shows up without a
 * byte-by-byte walk over GiBs. Blocks that are only marked, not filled, cost the engine no
 * physical memory beyond the pages written. */
#include "gc.h"
#include "walloc.h"

#include <stdint.h>

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)
#define GIB ((size_t)1 << 30)
#define FOUR_GIB ((uintptr_t)4 << 30)
#define FILL_STRIDE MIB
#define MARK_STRIDE (16 * MIB)
#define EXPORT(name) __attribute__((export_name(#name)))

/* The word at `offset` into a block: its offset and the block's seed, so a block that moved
 * (realloc) keeps its stamps and two blocks that overlap break each other's. */
static uint64_t stamp(size_t offset, unsigned seed) {
    return (uint64_t)offset * 0x9e3779b97f4a7c15ull ^ seed;
}

static uint64_t *word(const unsigned char *p, size_t offset) { return (uint64_t *)(uintptr_t)(p + offset); }

/* Writes the stamp of every `stride`-th word of [p, p + n) that ends 8 bytes before the end,
 * and of the last word, which so never overlaps another (n >= 8). */
static void mark(unsigned char *p, size_t n, unsigned seed, size_t stride) {
    for (size_t at = 0; at + 16 <= n; at += stride) *word(p, at) = stamp(at, seed);
    *word(p, n - 8) = stamp(n - 8, seed);
}

/* Whether the stride words of [p, p + n) hold their stamps (a prefix of a marked block). */
static int strided(const unsigned char *p, size_t n, unsigned seed, size_t stride) {
    for (size_t at = 0; at + 16 <= n; at += stride)
        if (*word(p, at) != stamp(at, seed)) return 0;
    return 1;
}

static int marked(const unsigned char *p, size_t n, unsigned seed, size_t stride) {
    return strided(p, n, seed, stride) && *word(p, n - 8) == stamp(n - 8, seed);
}

/* Every byte set to the seed's byte, then the stamps; filled() checks the stamps and the byte
 * after each one. n >= 16. */
static void fill(unsigned char *p, size_t n, unsigned seed) {
    __builtin_memset(p, (int)(seed & 0xff), n);
    mark(p, n - 8, seed, FILL_STRIDE);
}

static int filled(const unsigned char *p, size_t n, unsigned seed) {
    for (size_t at = 8; at + 16 < n; at += FILL_STRIDE)
        if (p[at] != (seed & 0xff)) return 0;
    return p[n - 1] == (seed & 0xff) && marked(p, n - 8, seed, FILL_STRIDE);
}

static size_t live_bytes(void) {
    struct walloc_stats s;
    walloc_get_stats(&s);
    return s.live_bytes;
}

/* Whether every block was freed: the secure build's quarantine (built with -DWALLOC_SECURE
 * here too) keeps up to 4 MiB of freed blocks counted live, walloc.h says. */
#ifdef WALLOC_SECURE
#define HELD_BACK (4 * MIB)
#else
#define HELD_BACK 0
#endif
static int all_freed(void) { return live_bytes() <= HELD_BACK; }

static size_t memory_bytes(void) {
    struct walloc_stats s;
    walloc_get_stats(&s);
    return s.memory_bytes;
}

static int above(const void *p) { return (uintptr_t)p >= FOUR_GIB; }

#define LARGE_BLOCKS 48
#define LARGE_SIZE (100 * MIB)
#define MEDIUM_BLOCKS 3000
#define SMALL_BLOCKS 20000

static unsigned char *large[LARGE_BLOCKS];
static unsigned char *medium[MEDIUM_BLOCKS];
static unsigned char *small[SMALL_BLOCKS];

static size_t medium_size(unsigned i) { return 1100 + (i * 7919u) % (60 * KIB); }
static size_t small_size(unsigned i) { return 16 + (i * 31u) % 1000; }

/* Whether large block i is one of those filled whole: the ones that reach past 3.5 GiB. The
 * others are only stamped, so the test writes 1.2 GiB, not 4.7. */
static int filled_whole(unsigned i) { return (uintptr_t)large[i] + LARGE_SIZE > FOUR_GIB - GIB / 2; }

static int large_intact(unsigned i) {
    return filled_whole(i) ? filled(large[i], LARGE_SIZE, i + 1) : marked(large[i], LARGE_SIZE, i + 1, FILL_STRIDE);
}

/* Large blocks take memory to 4.7 GiB; the last ones lie past 4 GiB, one across the boundary.
 * Those past it are freed and small and medium blocks take their place: merged medium blocks
 * keep 64-bit links there. Everything is checked, then freed. */
EXPORT(cross_boundary) int cross_boundary(void) {
    unsigned n = 0, across = 0;
    while (n < LARGE_BLOCKS && (n == 0 || (uintptr_t)large[n - 1] < FOUR_GIB + 512 * MIB)) {
        if (!(large[n] = walloc_malloc(LARGE_SIZE))) return 1;
        if (filled_whole(n)) fill(large[n], LARGE_SIZE, n + 1);
        else mark(large[n], LARGE_SIZE, n + 1, FILL_STRIDE);
        across += (uintptr_t)large[n] < FOUR_GIB && (uintptr_t)large[n] + LARGE_SIZE > FOUR_GIB;
        n++;
    }
    if (!above(large[n - 1]) || across != 1 || memory_bytes() <= FOUR_GIB) return 2;
    for (unsigned i = 0; i < n; i++)
        if (!large_intact(i)) return 3;
    if (walloc_check() != 0) return 4;
    unsigned first_above = n;
    while (first_above > 0 && above(large[first_above - 1])) first_above--;
    for (unsigned i = first_above; i < n; i++) walloc_free(large[i]);
    unsigned medium_above = 0, small_above = 0;
    for (unsigned i = 0; i < MEDIUM_BLOCKS; i++) {
        if (!(medium[i] = walloc_malloc(medium_size(i)))) return 5;
        if ((uintptr_t)medium[i] & 15) return 6;
        fill(medium[i], medium_size(i), i);
        medium_above += above(medium[i]);
    }
    for (unsigned i = 0; i < SMALL_BLOCKS; i++) {
        if (!(small[i] = walloc_malloc(small_size(i)))) return 7;
        fill(small[i], small_size(i), i * 3);
        small_above += above(small[i]);
    }
    if (medium_above < MEDIUM_BLOCKS / 2 || small_above < SMALL_BLOCKS / 2) return 8;
    /* Every other medium block freed: the free ones go into bins linked past 4 GiB; new blocks
     * of other sizes take them, merged with their neighbours as the rest is freed. */
    for (unsigned i = 0; i < MEDIUM_BLOCKS; i += 2) walloc_free(medium[i]);
    if (walloc_check() != 0) return 9;
    for (unsigned i = 0; i < MEDIUM_BLOCKS; i += 2) {
        if (!(medium[i] = walloc_malloc(medium_size(i) / 2 + 1024))) return 10;
        fill(medium[i], medium_size(i) / 2 + 1024, i);
    }
    for (unsigned i = 0; i < MEDIUM_BLOCKS; i++)
        if (!filled(medium[i], i % 2 ? medium_size(i) : medium_size(i) / 2 + 1024, i)) return 11;
    for (unsigned i = 0; i < SMALL_BLOCKS; i++)
        if (!filled(small[i], small_size(i), i * 3)) return 12;
    if (walloc_check() != 0) return 13;
    for (unsigned i = 0; i < first_above; i++)
        if (!large_intact(i)) return 14;
    for (unsigned i = 0; i < MEDIUM_BLOCKS; i++) walloc_free(medium[i]);
    for (unsigned i = 0; i < SMALL_BLOCKS; i++) walloc_free(small[i]);
    for (unsigned i = 0; i < first_above; i++) walloc_free(large[i]);
    if (!all_freed()) return 15;
    return walloc_check() == 0 ? 0 : 16;
}

/* Single blocks of more than 4 GiB from every allocating function, stamped every 16 MiB; sizes
 * whose arithmetic overflows 64 bits fail with NULL. calloc comes first, from fresh memory,
 * which walloc knows to be zero: on memory it had handed out it would clear 6 GiB, all of which
 * the engine would then have to back. The blocks after it reuse its memory, so the realloc
 * grows in place: growing memory there would move the page map into the free run after the
 * block (the map doubles as the heap does) and realloc would copy 4 GiB. */
#define CALLOC_COUNT (6 * GIB / 9 + 1)

EXPORT(huge_blocks) int huge_blocks(void) {
    unsigned char *z = walloc_calloc(CALLOC_COUNT, 9);
    if (!z || walloc_malloc_usable_size(z) < CALLOC_COUNT * 9) return 4;
    for (size_t at = 0; at < CALLOC_COUNT * 9; at += MARK_STRIDE)
        if (z[at] != 0) return 5;
    walloc_free(z);
    size_t size = FOUR_GIB + 12345;
    unsigned char *p = walloc_malloc(size);
    if (!p || walloc_malloc_usable_size(p) < size) return 1;
    mark(p, size, 1, MARK_STRIDE);
    unsigned char *q = walloc_realloc(p, size + GIB);
    if (q != p || walloc_malloc_usable_size(q) < size + GIB || !marked(q, size, 1, MARK_STRIDE)) return 2;
    mark(q, size + GIB, 2, MARK_STRIDE);
    unsigned char *shrunk = walloc_realloc(q, size - 5 * GIB / 8);
    if (shrunk != q || !strided(q, size - 5 * GIB / 8, 2, MARK_STRIDE)) return 3;
    walloc_free(q);
    unsigned char *a = walloc_aligned_alloc(GIB, FOUR_GIB + 1);
    if (!a || (uintptr_t)a % GIB || walloc_malloc_usable_size(a) <= FOUR_GIB) return 6;
    mark(a, FOUR_GIB + 1, 3, MARK_STRIDE);
    void *m = 0;
    if (walloc_posix_memalign(&m, 64 * KIB, FOUR_GIB + 64 * KIB) != 0 || (uintptr_t)m % (64 * KIB)) return 7;
    if (walloc_calloc((size_t)1 << 32, (size_t)1 << 32) || walloc_calloc(3, SIZE_MAX / 2) ||
        walloc_calloc(SIZE_MAX, SIZE_MAX) || walloc_calloc(((size_t)1 << 33) + 1, ((size_t)1 << 31) + 1))
        return 8;
    if (walloc_malloc(WALLOC_MAX_REQUEST + 1) || walloc_malloc(SIZE_MAX) ||
        walloc_aligned_alloc(16, SIZE_MAX - 8) || walloc_realloc(a, SIZE_MAX))
        return 9;
    if (!marked(a, FOUR_GIB + 1, 3, MARK_STRIDE) || walloc_check() != 0) return 10;
    walloc_free(m);
    walloc_free(a);
    if (!all_freed()) return 11;
    return walloc_check() == 0 ? 0 : 12;
}

/* Tiers whose reserve is past 4 GiB, and growth of a tier (in place and chained) past it. */
EXPORT(big_tiers) int big_tiers(void) {
    walloc_tiers *t = walloc_tiers_create(FOUR_GIB + GIB / 2, NULL, 0);
    if (!t) return 1;
    struct walloc_tier_stats s;
    walloc_tier_get_stats(t, WALLOC_TIER_RENDER, &s);
    if (s.capacity < (FOUR_GIB + GIB / 2) / 2) return 2;
    unsigned char *r = walloc_tier_alloc(t, WALLOC_TIER_RENDER, 2 * GIB + MIB);
    unsigned char *e = walloc_tier_alloc(t, WALLOC_TIER_ENTITY, 3 * GIB / 2);
    if (!r || !e || (uintptr_t)r % 128) return 3;
    mark(r, 2 * GIB + MIB, 4, MARK_STRIDE);
    mark(e, 3 * GIB / 2, 5, MARK_STRIDE);
    walloc_mark before = walloc_tier_mark(t, WALLOC_TIER_SCENE);
    unsigned char *big = walloc_tier_alloc(t, WALLOC_TIER_SCENE, FOUR_GIB + MIB);
    if (!big || !walloc_tier_owns(t, WALLOC_TIER_SCENE, big + FOUR_GIB)) return 4;
    mark(big, FOUR_GIB + MIB, 6, MARK_STRIDE);
    walloc_tier_get_stats(t, WALLOC_TIER_SCENE, &s);
    if (s.used <= FOUR_GIB || s.capacity < s.used) return 5;
    if (walloc_check() != 0 || !marked(r, 2 * GIB + MIB, 4, MARK_STRIDE) || !marked(e, 3 * GIB / 2, 5, MARK_STRIDE))
        return 6;
    if (walloc_tier_release(t, WALLOC_TIER_SCENE, before) != 0) return 7;
    walloc_tier_get_stats(t, WALLOC_TIER_SCENE, &s);
    if (s.used != before.offset || walloc_tier_owns(t, WALLOC_TIER_SCENE, big + FOUR_GIB)) return 8;
    /* Compacting ENTITY keeps e but its last 256 MiB. */
    walloc_tier_get_stats(t, WALLOC_TIER_ENTITY, &s);
    if (walloc_tier_compact(t, WALLOC_TIER_ENTITY, s.used - 256 * MIB) != 0 ||
        !strided(e, 3 * GIB / 2 - 256 * MIB, 5, MARK_STRIDE))
        return 9;
    walloc_tier_reset(t, WALLOC_TIER_RENDER);
    if (walloc_check() != 0) return 10;
    walloc_tiers_destroy(t);
    struct walloc_stats after;
    walloc_get_stats(&after);
    return after.tier_bytes == 0 && walloc_check() == 0 ? 0 : 11;
}

/* walloc_set_limit above 4 GiB: growth stops at the cap to the page, and resumes when the cap
 * is lifted. */
EXPORT(limit_above_four_gib) int limit_above_four_gib(void) {
    size_t cap = FOUR_GIB + GIB + 3 * 65536;
    size_t previous = walloc_set_limit(cap);
    if (previous != (size_t)1 << 40) return 1;
    unsigned n = 0;
    while (n < LARGE_BLOCKS && (large[n] = walloc_malloc(256 * MIB)) != 0) large[n++][0] = 1;
    if (n < 16 || n == LARGE_BLOCKS || memory_bytes() > cap) return 2;
    if (walloc_malloc(256 * MIB) || walloc_check() != 0) return 3;
    if (walloc_set_limit(previous) != cap) return 4;
    unsigned char *more = walloc_malloc(GIB);
    if (!more || memory_bytes() <= cap) return 5;
    walloc_free(more);
    while (n) walloc_free(large[--n]);
    return all_freed() && walloc_check() == 0 ? 0 : 6;
}

/* Grows until the engine refuses memory.grow (16 GiB in V8): the refusal is NULL from malloc and
 * ENOMEM from posix_memalign, every block taken before keeps its stamps, the heap checks, and
 * all of it can be freed and used again. The memory reached is left for the host to report. */
static size_t reached;

#define MOST_BLOCKS 256

EXPORT(engine_limit) int engine_limit(void) {
    static unsigned char *blocks[MOST_BLOCKS];
    unsigned n = 0;
    size_t live = 0;
    for (size_t size = GIB; size >= 64 * KIB && n < MOST_BLOCKS;) {
        unsigned char *p = walloc_malloc(size);
        if (!p) {
            size /= 4;
            continue;
        }
        mark(p, walloc_malloc_usable_size(p), n, size);
        blocks[n++] = p;
        live += walloc_malloc_usable_size(p);
    }
    reached = memory_bytes();
    void *refused = 0;
    size_t live_before = live_bytes();
    if (n == MOST_BLOCKS || reached <= 2 * FOUR_GIB || live_before < live) return 1;
    if (walloc_posix_memalign(&refused, 16, GIB) != 48 || refused) return 2;
    if (live_bytes() != live_before || walloc_check() != 0) return 3;
    for (unsigned i = 0; i < n; i++)
        if (!marked(blocks[i], walloc_malloc_usable_size(blocks[i]), i, walloc_malloc_usable_size(blocks[i])))
            return 4;
    while (n) walloc_free(blocks[--n]);
    if (!all_freed() || walloc_check() != 0) return 5;
    unsigned char *again = walloc_malloc(2 * FOUR_GIB);
    if (!again || memory_bytes() != reached) return 6;
    walloc_free(again);
    return 0;
}

EXPORT(engine_limit_reached) size_t engine_limit_reached(void) { return reached; }

/* The collector past 4 GiB: a chain of 1000 objects, each holding the 64-bit address of the
 * next, hangs from a static root above a 4 GiB ballast, while 3.2 GiB of garbage goes through
 * collections. Were a pointer past 4 GiB missed by the marker, chained objects would be freed,
 * zeroed and handed out again, and their stamps would be gone. */
struct node {
    struct node *next;
    uint64_t stamp;
};

static struct node *chain;

EXPORT(collector_past_four_gib) int collector_past_four_gib(void) {
    GC_INIT();
    if (!walloc_malloc(FOUR_GIB + MIB)) return 1;
    /* Where the first objects land depends on what memory below the big block is free, which
     * moves with the heap's layout: the chain grows (every node reachable, so nothing below is
     * reclaimed) until its head lies past 4 GiB. */
    unsigned count = 0;
    while (count < 1000 || !above(chain)) {
        if (count == 4000000) return 3;
        struct node *n = GC_MALLOC(sizeof *n);
        if (!n) return 2;
        n->next = chain;
        n->stamp = stamp(count++, 7);
        chain = n;
    }
    size_t collections = GC_get_gc_no();
    for (unsigned i = 0; i < 200000; i++) {
        unsigned char *garbage = GC_MALLOC_ATOMIC(16 * KIB);
        if (!garbage) return 4;
        garbage[0] = 1;
    }
    GC_gcollect();
    if (GC_get_gc_no() < collections + 10 || GC_get_heap_size() > GIB) return 5;
    unsigned i = count;
    for (struct node *n = chain; n; n = n->next)
        if (i == 0 || n->stamp != stamp(--i, 7)) return 6;
    if (i != 0) return 7;
    return walloc_check() == 0 ? 0 : 8;
}

/* Death scenarios: each takes memory past 4 GiB first, so the pointer reported has more than 32
 * bits, then misuses a block there. The host checks the trap and the message. */
static unsigned char *victim;

/* A block of `size` bytes past 4 GiB: blocks of that size are taken (and kept) until one lies
 * there, since the first may still find room low in the heap; NULL if none can be had. */
static unsigned char *past_four_gib(size_t size) {
    if (!walloc_malloc(FOUR_GIB + MIB)) return 0;
    for (unsigned i = 0; i < 100000 && (victim = walloc_malloc(size)) && !above(victim);) i++;
    return victim && above(victim) ? victim : 0;
}

EXPORT(victim_pointer) void *victim_pointer(void) { return victim; }

EXPORT(double_free_small) void double_free_small(void) {
    unsigned char *p = past_four_gib(40);
    walloc_free(p);
    walloc_free(p);
}

EXPORT(double_free_medium) void double_free_medium(void) {
    unsigned char *p = past_four_gib(5000);
    walloc_free(p);
    walloc_free(p);
}

EXPORT(interior_free_large) void interior_free_large(void) {
    unsigned char *p = past_four_gib(MIB);
    victim = p + 4096;
    walloc_free(victim);
}

/* Secure build: a write one byte past the usable size of a block above 4 GiB breaks its canary. */
EXPORT(overflow_past_block) void overflow_past_block(void) {
    unsigned char *p = past_four_gib(200);
    p[walloc_malloc_usable_size(p)] ^= 1;
    walloc_free(p);
}

EXPORT(last_error) const char *last_error(void) { return walloc_last_error(); }
