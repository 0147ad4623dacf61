/* test_faults.c - memory.grow refused at every point of a long random workload.
 *
 *   test_faults [SEED [STEPS [ROUNDS]]]    defaults 1, 4000, 24
 *
 * walloc_test_fail_grow_after() makes the Nth memory.grow fail (once, or from then on). For N
 * swept over every grow a workload makes, each round checks what walloc.h promises for
 * exhaustion: an allocation that cannot be served returns NULL with errno = ENOMEM (and only
 * once the allowed grows are used up), walloc_check() stays 0, every block allocated before
 * keeps its contents (a failed realloc leaves its block untouched), and every request that
 * failed succeeds once growth is allowed again. Tier allocations get the same treatment, with
 * the pressure callback (tier_round).
 *
 * A heap only grows when its free memory runs out, so each round first fills the free memory
 * with ballast while growth is refused; the workload's grows then start from the first
 * allocation. The ballast is never written, so it costs address space, not resident memory.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "walloc.h"
#include "sizes.h"
#include "check.h"
#include "pattern.h"

#define SLOTS 256
#define MAX_FAILED 64
#define MAX_BALLAST 4096

enum op { OP_MALLOC, OP_CALLOC, OP_REALLOC, OP_ALIGNED, OP_POSIX_MEMALIGN, OP_COUNT };

struct block {
    unsigned char *p;
    size_t size;
};

struct request {
    enum op op;
    size_t size, alignment;
};

/* One round's state; static because wasm's default stack is small. */
static struct block slots[SLOTS];
static struct request failed[MAX_FAILED];
static size_t failed_count, failures_seen;
static void *ballast[MAX_BALLAST];
static size_t ballast_count;

static size_t grows_now(void) {
    struct walloc_stats stats;
    walloc_get_stats(&stats);
    return stats.grow_count;
}

/* Mostly small blocks, some medium, a few large ones up to 1.5 MiB: the peak of a round is
 * a few MiB, so a sweep of dozens of rounds stays around a hundred MiB. */
static size_t random_size(struct rng *rng) {
    uint64_t pick = rng_below(rng, 100);
    if (pick < 70) return 1 + (size_t)rng_below(rng, 512);
    if (pick < 90) return 513 + (size_t)rng_below(rng, 32 * KiB);
    if (pick < 98) return 32 * KiB + (size_t)rng_below(rng, 224 * KiB);
    return 256 * KiB + (size_t)rng_below(rng, 5 * 256 * KiB);
}

static void fill(struct block *b) { pattern_fill(b->p, b->size, pattern_seed(b->p, b->size)); }

static int intact(const struct block *b) {
    return pattern_holds(b->p, b->size, pattern_seed(b->p, b->size));
}

/* Performs a fresh allocation (realloc only from NULL here) and checks its result. */
static void *perform(const struct request *r) {
    void *p = NULL;
    int code;
    errno = 0;
    switch (r->op) {
    case OP_MALLOC: p = walloc_malloc(r->size); break;
    case OP_CALLOC: p = walloc_calloc(1, r->size); break;
    case OP_REALLOC: p = walloc_realloc(NULL, r->size); break;
    case OP_ALIGNED: p = walloc_aligned_alloc(r->alignment, r->size); break;
    default:
        code = walloc_posix_memalign(&p, r->alignment, r->size);
        if (code) {
            CHECK(code == ENOMEM && p == NULL);
            return NULL;
        }
        return p;
    }
    if (!p) CHECK(errno == ENOMEM);
    return p;
}

static int good_block(const struct request *r, const unsigned char *p) {
    size_t natural = r->size >= 16 ? 16 : 8;
    size_t alignment = r->alignment > natural ? r->alignment : natural;
    return (uintptr_t)p % alignment == 0 && walloc_malloc_usable_size((void *)p) >= r->size &&
           (r->op != OP_CALLOC || all_zero(p, r->size));
}

/* A NULL is only acceptable once the round's allowed grows are used up; it is remembered so
 * that the request can be retried when growth is back. */
static void note_failure(const struct request *r, size_t grows, size_t allowed) {
    CHECK(grows >= allowed);
    failures_seen++;
    if (failed_count < MAX_FAILED) failed[failed_count++] = *r;
}

static void random_request(struct rng *rng, struct request *r) {
    r->op = (enum op)rng_below(rng, OP_COUNT);
    r->size = random_size(rng);
    r->alignment = 0;
    if (r->op == OP_ALIGNED || r->op == OP_POSIX_MEMALIGN)
        r->alignment = (size_t)8 << rng_below(rng, 14); /* 8 B .. 64 KiB */
}

static void resize(struct block *b, size_t size, size_t grows, size_t allowed) {
    size_t old_size = b->size;
    uint64_t old_seed = pattern_seed(b->p, old_size);
    errno = 0;
    unsigned char *q = walloc_realloc(b->p, size);
    if (!q) {
        CHECK(errno == ENOMEM);
        CHECK(intact(b));
        struct request r = { OP_REALLOC, size, 0 };
        note_failure(&r, grows, allowed);
        return;
    }
    CHECK(pattern_holds(q, size < old_size ? size : old_size, old_seed));
    CHECK(walloc_malloc_usable_size(q) >= size);
    b->p = q;
    b->size = size;
    fill(b);
}

static void release(struct block *b) {
    CHECK(intact(b));
    walloc_free(b->p);
    b->p = NULL;
}

static void step(struct rng *rng, size_t base_grows, size_t allowed) {
    struct block *b = &slots[rng_below(rng, SLOTS)];
    size_t grows = grows_now() - base_grows;
    if (b->p) {
        if (rng_below(rng, 3) == 0) resize(b, random_size(rng), grows, allowed);
        else release(b);
        return;
    }
    struct request r;
    random_request(rng, &r);
    unsigned char *p = perform(&r);
    if (!p) {
        note_failure(&r, grows_now() - base_grows, allowed);
        return;
    }
    CHECK(good_block(&r, p));
    b->p = p;
    b->size = r.size;
    fill(b);
}

/* Takes every free byte the heap has, largest pieces first, while growth is refused; the last
 * NULL must come from a refused grow, which also shows the hook works. */
static void fill_with_ballast(void) {
    static const size_t pieces[] = { 1 * MiB, 128 * KiB, 36 * KiB, 4 * KiB, 256, 16 };
    walloc_test_fail_grow_after(0, SIZE_MAX);
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        void *p;
        while (ballast_count < MAX_BALLAST && (p = walloc_malloc(pieces[i])) != NULL)
            ballast[ballast_count++] = p;
    }
    CHECK(ballast_count < MAX_BALLAST);
    CHECK(walloc_test_fail_grow_after(SIZE_MAX, 0) > 0);
}

static void drop_ballast(void) {
    while (ballast_count) walloc_free(ballast[--ballast_count]);
}

struct round_result {
    size_t grows;    /* grows the workload made */
    size_t refused;  /* grows the hook refused */
    size_t failures; /* requests that returned NULL */
};

/* One round: `steps` random operations with the first `allowed` grows let through and the
 * `refused` after them failed, then the checks of the file comment. */
static struct round_result run_round(uint64_t seed, size_t steps, size_t allowed, size_t refused) {
    struct rng rng = { seed };
    struct round_result result;
    failed_count = failures_seen = 0;
    fill_with_ballast();
    size_t base = grows_now();
    walloc_test_fail_grow_after(allowed, refused);
    for (size_t i = 0; i < steps; i++) step(&rng, base, allowed);
    result.refused = walloc_test_fail_grow_after(SIZE_MAX, 0);
    result.grows = grows_now() - base;
    result.failures = failures_seen;
    CHECK(walloc_check() == 0);
    CHECK(failures_seen == 0 || result.refused > 0);

    size_t spoiled = 0;
    for (size_t i = 0; i < SLOTS; i++) spoiled += slots[i].p && !intact(&slots[i]);
    CHECK(spoiled == 0);

    size_t retried_failures = 0;
    for (size_t i = 0; i < failed_count; i++) {
        void *p = perform(&failed[i]);
        retried_failures += !p || !good_block(&failed[i], p);
        walloc_free(p);
    }
    CHECK(retried_failures == 0);

    for (size_t i = 0; i < SLOTS; i++)
        if (slots[i].p) release(&slots[i]);
    drop_ballast();
    CHECK(walloc_check() == 0);
    return result;
}

/* Tiers under refused growth: the tier allocation that cannot grow calls the pressure
 * callback once and fails with ENOMEM; nothing is recycled behind the program's back (every
 * earlier tier block keeps its contents, no tier counts recycled bytes), and the same request
 * succeeds once growth is allowed again. Swept over the first grows, as for malloc. */
#define TIER_BLOCKS 2000

static unsigned pressure_calls;
static unsigned char *tier_blocks[TIER_BLOCKS];
static size_t tier_sizes[TIER_BLOCKS];

static int count_pressure(walloc_tiers *t, unsigned tier, size_t need, void *arg) {
    (void)t, (void)tier, (void)need, (void)arg;
    pressure_calls++;
    return 0;
}

static void tier_round(struct rng *rng, size_t allowed) {
    walloc_tiers *t = walloc_tiers_create(64 * KiB, NULL, 0);
    if (!CHECK(t != NULL)) return;
    walloc_tiers_on_pressure(t, count_pressure, NULL);
    fill_with_ballast();
    pressure_calls = 0;
    walloc_test_fail_grow_after(allowed, SIZE_MAX);
    size_t count = 0, size = 0;
    unsigned char *p = NULL;
    while (count < TIER_BLOCKS) {
        size = 1 * KiB + (size_t)rng_below(rng, 48 * KiB);
        errno = 0;
        if (!(p = walloc_tier_alloc(t, WALLOC_TIER_SCENE, size))) break;
        pattern_fill(p, size, pattern_seed(p, size));
        tier_blocks[count] = p;
        tier_sizes[count++] = size;
    }
    CHECK(p == NULL && errno == ENOMEM && pressure_calls == 1);
    size_t spoiled = 0;
    for (size_t i = 0; i < count; i++)
        spoiled += !pattern_holds(tier_blocks[i], tier_sizes[i], pattern_seed(tier_blocks[i], tier_sizes[i]));
    CHECK(spoiled == 0);
    for (unsigned tier = 0; tier < 3; tier++) {
        struct walloc_tier_stats stats;
        walloc_tier_get_stats(t, tier, &stats);
        CHECK(stats.recycled == 0);
    }
    CHECK(walloc_check() == 0);
    walloc_test_fail_grow_after(SIZE_MAX, 0);
    CHECK(walloc_tier_alloc(t, WALLOC_TIER_SCENE, size) != NULL);
    walloc_tiers_destroy(t);
    drop_ballast();
    CHECK(walloc_check() == 0);
}

#if !defined(__wasm__)
/* The fuzzer starts every input on a fresh heap: after the sweep's hundreds of MiB, a reset
 * heap must look like a new one and work like one. */
static void reset_gives_a_fresh_heap(void) {
    walloc_test_reset();
    struct walloc_stats stats;
    walloc_get_stats(&stats);
    CHECK(stats.alloc_count == 0 && stats.live_bytes == 0 && stats.grow_count == 0);
    CHECK(stats.memory_bytes <= 1 * MiB);
    struct block b = { walloc_malloc(1000), 1000 };
    if (!CHECK(b.p != NULL)) return;
    fill(&b);
    release(&b);
    CHECK(walloc_check() == 0);
}

/* Found by the fuzzer: on a fresh heap, a 12 MiB request moves the page map to the front of
 * the memory it grows, which cuts the free span at the top off from the new memory; growth
 * must still deliver one run long enough, not fail once and succeed on the next call. */
static void growth_that_moves_the_map_serves_at_once(void) {
    walloc_test_reset();
    void *small = walloc_calloc(1, 128 * KiB);
    errno = 0;
    void *big = walloc_calloc(1, 12368896);
    CHECK(small != NULL && big != NULL && errno == 0);
    walloc_free(big);
    walloc_free(small);
    CHECK(walloc_check() == 0);
}
#endif

int main(int argc, char **argv) {
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
    size_t steps = argc > 2 ? strtoull(argv[2], NULL, 0) : 4000;
    size_t rounds = argc > 3 ? strtoull(argv[3], NULL, 0) : 24;

    /* Unhindered, the workload shows how many grows there are to sweep over. */
    struct round_result free_run = run_round(seed, steps, SIZE_MAX, 0);
    CHECK(free_run.refused == 0 && free_run.grows > 2);
    size_t stride = free_run.grows / rounds + 1;
    size_t rounds_run = 0, refusals = 0, failures = 0, missed = 0;
    for (size_t n = 0; n < free_run.grows; n += stride) {
        /* Growth refused for good: no grow gets through past the nth, and once one is refused
         * some request fails. A round whose layout needs n grows or fewer refuses none. */
        struct round_result always = run_round(seed, steps, n, SIZE_MAX);
        CHECK(always.grows <= n);
        CHECK(always.refused == 0 || always.failures > 0);
        missed += always.refused == 0;
        /* One refusal: walloc may retry and succeed, so failing is allowed, not required. */
        struct round_result once = run_round(seed, steps, n, 1);
        CHECK(once.refused <= 1);
        refusals += always.refused + once.refused;
        failures += always.failures + once.failures;
        rounds_run += 2;
    }
    /* The ballast makes each round grow about as often as the first: a sweep whose injections
     * mostly hit nothing would test nothing. */
    CHECK(missed * 4 <= rounds_run);
    struct rng tier_rng = { seed };
    for (size_t n = 0; n < 8; n++) tier_round(&tier_rng, n);
    printf("fault sweep: %zu grows unhindered, %zu rounds (%zu refused nothing), %zu grows refused, "
           "%zu requests failed\n", free_run.grows, rounds_run, missed, refusals, failures);
#if !defined(__wasm__)
    reset_gives_a_fresh_heap();
    growth_that_moves_the_map_serves_at_once();
#endif
    return check_summary();
}
