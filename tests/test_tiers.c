/* test_tiers.c - one test per rule of the tiered arenas (include/walloc.h, "Tiered arenas").
 *
 * Growth is made to fail without touching the engine: with walloc_set_limit at the current size
 * of memory, any request larger than all free heap memory is refused. The heap is checked with
 * walloc_check() after every test. Built with -DWALLOC_DEBUG (library and test alike), the
 * recycling tests expect poison where the plain build expects the old bytes untouched.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "walloc.h"
#include "sizes.h"
#include "check.h"
#include "pattern.h"

#define POISON 0xDE

static struct walloc_stats heap_now(void) {
    struct walloc_stats stats;
    walloc_get_stats(&stats);
    return stats;
}

static struct walloc_tier_stats tier_now(const walloc_tiers *t, unsigned tier) {
    struct walloc_tier_stats stats;
    walloc_tier_get_stats(t, tier, &stats);
    return stats;
}

static int aligned_to(const void *p, size_t alignment) {
    return (uintptr_t)p % alignment == 0;
}

/* A tier allocation filled with a pattern of its own, to be checked later. */
struct block {
    unsigned char *p;
    size_t size;
};

static struct block take(walloc_tiers *t, unsigned tier, size_t size) {
    struct block b = { walloc_tier_alloc(t, tier, size), size };
    if (b.p) pattern_fill(b.p, size, pattern_seed(b.p, size));
    return b;
}

static int intact(struct block b) {
    return b.p && pattern_holds(b.p, b.size, pattern_seed(b.p, b.size));
}

/* Whether a recycled range shows what the build promises: poison with WALLOC_DEBUG, else the
 * old bytes, since recycling does not touch memory. */
#ifdef WALLOC_DEBUG
static int recycled_as_promised(struct block b) {
    for (size_t i = 0; i < b.size; i++)
        if (b.p[i] != POISON) return 0;
    return 1;
}
#else
static int recycled_as_promised(struct block b) {
    return intact(b);
}
#endif

static walloc_tiers *one_tier(size_t reserve, size_t alignment) {
    walloc_tier_config config = { "only", 100, alignment };
    return walloc_tiers_create(reserve, &config, 1);
}

TEST(create_rejects_bad_configs_with_einval) {
    walloc_tier_config good = { "a", 10, 16 };
    walloc_tier_config over[2] = { { "a", 60, 8 }, { "b", 41, 8 } };
    walloc_tier_config odd = { "a", 10, 24 }, zero = { "a", 10, 0 }, big_share = { "a", 101, 8 };
    walloc_tier_config nine[9];
    for (int i = 0; i < 9; i++) nine[i] = good;
    struct { const walloc_tier_config *configs; unsigned count; } bad[] = {
        { &good, 0 }, { nine, 9 }, { over, 2 }, { &odd, 1 }, { &zero, 1 }, { &big_share, 1 },
    };
    struct walloc_stats before = heap_now();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        CHECK(walloc_tiers_create(64 * KiB, bad[i].configs, bad[i].count) == NULL && errno == EINVAL);
    }
    CHECK(heap_now().tier_bytes == before.tier_bytes);
    walloc_tiers *eight = walloc_tiers_create(64 * KiB, nine, 8);
    CHECK(eight != NULL);
    walloc_tiers_destroy(eight);
}

TEST(null_tiers_and_unknown_index_are_errors) {
    walloc_tiers *t = walloc_tiers_create(64 * KiB, NULL, 0);
    if (!CHECK(t != NULL)) return;
    walloc_tiers *none = NULL;
    unsigned unknown[] = { 3, 8, 1000 };
    for (int i = 0; i < 4; i++) {
        walloc_tiers *which = i == 0 ? none : t;
        unsigned tier = i == 0 ? 0 : unknown[i - 1];
        errno = 0;
        CHECK(walloc_tier_alloc(which, tier, 16) == NULL && errno == EINVAL);
        errno = 0;
        walloc_tier_reset(which, tier);
        CHECK(errno == EINVAL);
        errno = 0;
        CHECK(walloc_tier_compact(which, tier, 0) == -1 && errno == EINVAL);
        walloc_mark mark = walloc_tier_mark(which, tier);
        CHECK(walloc_tier_release(which, tier, mark) == -1);
        CHECK(walloc_tier_release(t, 0, mark) == -1);
        CHECK(walloc_tier_owns(which, tier, t) == 0);
        struct walloc_tier_stats stats = tier_now(which, tier);
        CHECK(stats.capacity == 0 && stats.chunks == 0 && stats.name == NULL);
    }
    errno = 0;
    walloc_tiers_on_pressure(NULL, NULL, NULL);
    CHECK(errno == EINVAL);
    walloc_tiers_destroy(NULL);
    walloc_tiers_destroy(t);
}

TEST(default_layout_is_render_scene_entity_50_30_20) {
    struct walloc_stats before = heap_now();
    walloc_tiers *t = walloc_tiers_create(1 * MiB, NULL, 0);
    if (!CHECK(t != NULL)) return;
    const char *names[] = { "render", "scene", "entity" };
    size_t shares[] = { 512 * KiB, 1 * MiB * 30 / 100, 1 * MiB * 20 / 100 };
    size_t alignments[] = { 128, 64, 8 }, total = 0;
    for (unsigned tier = WALLOC_TIER_RENDER; tier <= WALLOC_TIER_ENTITY; tier++) {
        struct walloc_tier_stats s = tier_now(t, tier);
        CHECK(strcmp(s.name, names[tier]) == 0);
        CHECK(s.capacity >= shares[tier] && s.capacity < shares[tier] + 4 * KiB);
        CHECK(s.used == 0 && s.chunks == 1);
        total += s.capacity;
        for (size_t size = 1; size < 300; size += 37) {
            void *p = walloc_tier_alloc(t, tier, size);
            CHECK(p && aligned_to(p, alignments[tier]));
        }
    }
    CHECK(heap_now().tier_bytes == before.tier_bytes + total);
    walloc_tiers_destroy(t);
    CHECK(heap_now().tier_bytes == before.tier_bytes);
}

/* Every power of two, small and large (large ones come from span alignment), at creation and
 * in chained chunks. */
TEST(every_power_of_two_alignment_holds_across_growth) {
    for (size_t alignment = 1; alignment <= 1 * MiB; alignment *= 4) {
        walloc_tiers *t = one_tier(8 * KiB, alignment);
        if (!CHECK(t != NULL)) return;
        int misaligned = 0;
        for (size_t i = 0; i < 40; i++) {
            char *p = walloc_tier_alloc(t, 0, 1 + i * 997);
            misaligned += !p || !aligned_to(p, alignment);
        }
        CHECK(misaligned == 0);
        CHECK(tier_now(t, 0).capacity >= tier_now(t, 0).used);
        walloc_tiers_destroy(t);
    }
}

TEST(size_zero_is_valid_and_inside_the_tier) {
    walloc_tiers *t = one_tier(4 * KiB, 16);
    if (!CHECK(t != NULL)) return;
    char *a = walloc_tier_alloc(t, 0, 0);
    char *b = walloc_tier_alloc(t, 0, 1);
    CHECK(a != NULL && b == a && walloc_tier_owns(t, 0, b));
    CHECK(walloc_tier_alloc(t, 0, 0) == a + 16);
    walloc_tiers_destroy(t);
}

/* A 0-byte block taken when the chunk is exactly full must not point at the chunk's end, where
 * the next span (perhaps a live malloc block) begins: the tier grows first. */
TEST(size_zero_at_a_full_chunk_stays_inside_the_tier) {
    walloc_tiers *t = one_tier(4 * KiB, 16);
    if (!CHECK(t != NULL)) return;
    size_t capacity = tier_now(t, 0).capacity;
    char *first = walloc_tier_alloc(t, 0, capacity);
    CHECK(first != NULL && walloc_tier_alloc(t, 0, 0) != NULL);
    CHECK(tier_now(t, 0).used < tier_now(t, 0).capacity);
    walloc_tiers_destroy(t);
}

TEST(tier_memory_is_not_malloc_memory) {
    walloc_tiers *t = walloc_tiers_create(256 * KiB, NULL, 0);
    if (!CHECK(t != NULL)) return;
    struct walloc_stats before = heap_now();
    void *m = walloc_malloc(100);
    void *p = walloc_tier_alloc(t, WALLOC_TIER_SCENE, 100000);
    struct walloc_stats after = heap_now();
    CHECK(after.live_bytes == before.live_bytes + walloc_malloc_usable_size(m));
    CHECK(after.tier_bytes > before.tier_bytes);
    CHECK(!walloc_tier_owns(t, WALLOC_TIER_SCENE, m) && walloc_tier_owns(t, WALLOC_TIER_SCENE, p));
    CHECK(!walloc_tier_owns(t, WALLOC_TIER_RENDER, p) && !walloc_tier_owns(t, WALLOC_TIER_ENTITY, p));
    walloc_free(m);
    walloc_tiers_destroy(t);
}

TEST(owns_only_the_live_part) {
    walloc_tiers *t = one_tier(16 * KiB, 8);
    if (!CHECK(t != NULL)) return;
    char *a = walloc_tier_alloc(t, 0, 100);
    CHECK(walloc_tier_owns(t, 0, a) && walloc_tier_owns(t, 0, a + 99));
    CHECK(!walloc_tier_owns(t, 0, a + 104) && !walloc_tier_owns(t, 0, a - 1));
    CHECK(!walloc_tier_owns(t, 0, NULL) && !walloc_tier_owns(t, 0, &a));
    walloc_tier_reset(t, 0);
    CHECK(!walloc_tier_owns(t, 0, a));
    walloc_tiers_destroy(t);
}

TEST(reset_recycles_everything_without_touching_memory) {
    walloc_tiers *t = one_tier(64 * KiB, 8);
    if (!CHECK(t != NULL)) return;
    struct block a = take(t, 0, 1000), b = take(t, 0, 3000);
    size_t used = tier_now(t, 0).used;
    walloc_tier_reset(t, 0);
    struct walloc_tier_stats s = tier_now(t, 0);
    CHECK(s.used == 0 && s.recycled == used && s.resets == 1 && s.high_water == used);
    CHECK(recycled_as_promised(a) && recycled_as_promised(b));
    CHECK(walloc_tier_alloc(t, 0, 8) == a.p);
    CHECK(s.total_allocated == 4000);
    walloc_tiers_destroy(t);
}

TEST(compact_keeps_the_first_bytes_exactly) {
    walloc_tiers *t = one_tier(64 * KiB, 8);
    if (!CHECK(t != NULL)) return;
    struct block keep[10], drop[10];
    for (int i = 0; i < 10; i++) keep[i] = take(t, 0, 100 + (size_t)i * 8);
    size_t persistent = tier_now(t, 0).used;
    for (int i = 0; i < 10; i++) drop[i] = take(t, 0, 500);
    CHECK(walloc_tier_compact(t, 0, persistent) == 0);
    CHECK(tier_now(t, 0).used == persistent);
    int kept = 0, recycled = 0;
    for (int i = 0; i < 10; i++) {
        kept += intact(keep[i]) && walloc_tier_owns(t, 0, keep[i].p);
        recycled += recycled_as_promised(drop[i]) && !walloc_tier_owns(t, 0, drop[i].p);
    }
    CHECK(kept == 10 && recycled == 10);
    CHECK(walloc_tier_alloc(t, 0, 1) == drop[0].p);
    walloc_tiers_destroy(t);
}

TEST(compact_beyond_used_is_rejected_and_changes_nothing) {
    walloc_tiers *t = one_tier(64 * KiB, 8);
    if (!CHECK(t != NULL)) return;
    struct block a = take(t, 0, 4000);
    walloc_mark mark = walloc_tier_mark(t, 0);
    struct walloc_tier_stats before = tier_now(t, 0);
    errno = 0;
    CHECK(walloc_tier_compact(t, 0, before.used + 1) == -1 && errno == EINVAL);
    CHECK(walloc_tier_compact(t, 0, SIZE_MAX) == -1);
    struct walloc_tier_stats after = tier_now(t, 0);
    CHECK(after.used == before.used && after.recycled == before.recycled && intact(a));
    CHECK(walloc_tier_release(t, 0, mark) == 0);
    walloc_tiers_destroy(t);
}

TEST(nested_marks_release_inner_then_outer) {
    walloc_tiers *t = walloc_tiers_create(256 * KiB, NULL, 0);
    if (!CHECK(t != NULL)) return;
    unsigned tier = WALLOC_TIER_SCENE;
    struct block level = take(t, tier, 5000);
    walloc_mark scene = walloc_tier_mark(t, tier);
    struct block object = take(t, tier, 700);
    walloc_mark entity = walloc_tier_mark(t, tier);
    for (int frame = 0; frame < 5; frame++) {
        struct block transient = take(t, tier, 900);
        CHECK(walloc_tier_release(t, tier, entity) == 0);
        CHECK(tier_now(t, tier).used == entity.offset);
        CHECK(!walloc_tier_owns(t, tier, transient.p) && intact(object) && intact(level));
    }
    CHECK(walloc_tier_release(t, tier, scene) == 0);
    CHECK(tier_now(t, tier).used == scene.offset && intact(level) && !walloc_tier_owns(t, tier, object.p));
    errno = 0;
    CHECK(walloc_tier_release(t, tier, entity) == -1 && errno == EINVAL);
    CHECK(walloc_tier_release(t, tier, scene) == 0);
    walloc_tiers_destroy(t);
}

TEST(stale_marks_are_rejected) {
    walloc_tiers *t = one_tier(64 * KiB, 8);
    if (!CHECK(t != NULL)) return;
    walloc_tier_alloc(t, 0, 100);
    walloc_mark m = walloc_tier_mark(t, 0);
    walloc_tier_alloc(t, 0, 100);
    walloc_tier_reset(t, 0);
    walloc_tier_alloc(t, 0, 300);
    CHECK(walloc_tier_release(t, 0, m) == -1);

    m = walloc_tier_mark(t, 0);
    walloc_tier_alloc(t, 0, 100);
    CHECK(walloc_tier_compact(t, 0, m.offset) == 0);
    walloc_tier_alloc(t, 0, 100);
    CHECK(walloc_tier_release(t, 0, m) == 0);
    CHECK(walloc_tier_compact(t, 0, m.offset - 8) == 0);
    walloc_tier_alloc(t, 0, 100);
    CHECK(walloc_tier_release(t, 0, m) == -1);

    m = walloc_tier_mark(t, 0);
    walloc_tier_alloc(t, 0, 100);
    walloc_mark inner = walloc_tier_mark(t, 0);
    walloc_tier_alloc(t, 0, 100);
    CHECK(walloc_tier_release(t, 0, m) == 0);
    walloc_tier_alloc(t, 0, 300);
    CHECK(walloc_tier_release(t, 0, inner) == -1);

    walloc_mark forged = { tier_now(t, 0).used + 8, m.generation };
    CHECK(walloc_tier_release(t, 0, forged) == -1);
    walloc_tiers_destroy(t);
}

/* More release levels than the tier tells apart exactly: rising compacts must not make an old
 * mark below all of them stale. */
TEST(old_marks_survive_many_rising_compacts) {
    walloc_tiers *t = one_tier(64 * KiB, 8);
    if (!CHECK(t != NULL)) return;
    struct block base = take(t, 0, 64);
    walloc_mark m = walloc_tier_mark(t, 0);
    for (int i = 0; i < 100; i++) {
        walloc_tier_alloc(t, 0, 16);
        walloc_tier_alloc(t, 0, 16);
        CHECK(walloc_tier_compact(t, 0, tier_now(t, 0).used - 16) == 0);
    }
    CHECK(walloc_tier_release(t, 0, m) == 0 && intact(base) && tier_now(t, 0).used == 64);
    walloc_tiers_destroy(t);
}

/* A one-tier arena whose chunk is followed directly by a malloc block, so that the tier
 * cannot grow in place: both are larger than all free memory, so both come from growth at the
 * top of the heap, the block right after the chunk. *capacity receives the chunk's size. */
static walloc_tiers *tier_before_a_block(void **neighbour, size_t *capacity) {
    walloc_tiers *t = one_tier(heap_now().free_bytes + 64 * KiB, 8);
    if (!CHECK(t != NULL)) return NULL;
    char *start = walloc_tier_alloc(t, 0, 0);
    *capacity = tier_now(t, 0).capacity;
    *neighbour = walloc_malloc(heap_now().free_bytes + 64 * KiB);
    if (CHECK(*neighbour == start + *capacity)) return t;
    walloc_free(*neighbour);
    walloc_tiers_destroy(t);
    return NULL;
}

/* Chained while the neighbour blocks the way; the new chunk, at the top of the heap, then grows
 * in place. */
TEST(growth_chains_or_extends_and_keeps_every_block) {
    void *neighbour;
    size_t capacity;
    walloc_tiers *t = tier_before_a_block(&neighbour, &capacity);
    if (!t) return;
    static struct block blocks[200];
    size_t n = 0;
    blocks[n++] = take(t, 0, capacity - 3000);
    for (; tier_now(t, 0).chunks == 1 && n < 100; n++) blocks[n] = take(t, 0, 1000 + n * 10);
    CHECK(tier_now(t, 0).chunks == 2 && !walloc_tier_owns(t, 0, neighbour));
    walloc_free(neighbour);
    size_t chained = tier_now(t, 0).capacity;
    blocks[n++] = take(t, 0, chained);
    for (; n < 200; n++) blocks[n] = take(t, 0, 1000 + n * 10);
    struct walloc_tier_stats s = tier_now(t, 0);
    CHECK(s.chunks == 2 && s.capacity > chained);
    size_t good = 0;
    for (size_t i = 0; i < n; i++) good += intact(blocks[i]) && walloc_tier_owns(t, 0, blocks[i].p);
    CHECK(good == n);
    CHECK(walloc_check() == 0);
    size_t tier_bytes = heap_now().tier_bytes;
    walloc_tier_reset(t, 0);
    CHECK(tier_now(t, 0).chunks == 1 && tier_now(t, 0).capacity == capacity);
    CHECK(heap_now().tier_bytes == tier_bytes - (s.capacity - capacity));
    walloc_tiers_destroy(t);
}

TEST(compact_and_release_give_back_chunks_after_the_kept_part) {
    void *neighbour;
    size_t capacity;
    walloc_tiers *t = tier_before_a_block(&neighbour, &capacity);
    if (!t) return;
    struct block first = take(t, 0, capacity / 2);
    walloc_mark m = walloc_tier_mark(t, 0);
    struct block second = take(t, 0, capacity / 4);
    struct block third = take(t, 0, capacity);
    CHECK(tier_now(t, 0).chunks == 2);
    CHECK(walloc_tier_owns(t, 0, third.p) && intact(first) && intact(second) && intact(third));
    CHECK(walloc_tier_release(t, 0, m) == 0);
    CHECK(tier_now(t, 0).chunks == 1 && intact(first) && !walloc_tier_owns(t, 0, second.p));
    take(t, 0, capacity);
    CHECK(tier_now(t, 0).chunks == 2);
    CHECK(walloc_tier_compact(t, 0, capacity / 2) == 0 && tier_now(t, 0).chunks == 1 && intact(first));
    walloc_free(neighbour);
    walloc_tiers_destroy(t);
}

/* What a callback saw, in order. */
struct pressure_log {
    int calls;
    unsigned tier;
    size_t need, used_at_call;
    int data_intact_at_call;
    struct block watched;
    enum { DO_NOTHING, RESET_TIER, ALLOCATE_AGAIN, FREE_MALLOC } action;
    void *hog;
    void *nested;
};

static int on_pressure(walloc_tiers *t, unsigned tier, size_t need, void *arg) {
    struct pressure_log *log = arg;
    log->calls++;
    log->tier = tier;
    log->need = need;
    log->used_at_call = tier_now(t, tier).used;
    log->data_intact_at_call = intact(log->watched);
    if (log->action == RESET_TIER) walloc_tier_reset(t, tier);
    if (log->action == ALLOCATE_AGAIN) log->nested = walloc_tier_alloc(t, tier, need);
    if (log->action == FREE_MALLOC) walloc_free(log->hog);
    return 0;
}

/* With the limit at the current memory size, the tier full and a request larger than all
 * free memory, growth is refused: the callback runs once, before anything is recycled. */
TEST(pressure_callback_runs_once_then_the_allocation_is_retried) {
    int actions[] = { RESET_TIER, DO_NOTHING, ALLOCATE_AGAIN, FREE_MALLOC };
    for (int i = 0; i < 4; i++) {
        walloc_tiers *t = one_tier(heap_now().free_bytes + 1 * MiB, 8);
        if (!CHECK(t != NULL)) return;
        struct pressure_log log = { .action = actions[i] };
        log.watched = take(t, 0, 1000);
        size_t capacity = tier_now(t, 0).capacity;
        walloc_tier_alloc(t, 0, capacity - tier_now(t, 0).used);
        size_t need = heap_now().free_bytes + 4 * KiB;
        if (actions[i] == FREE_MALLOC) {
            log.hog = walloc_malloc(need + 1 * MiB);
            need = heap_now().free_bytes + 4 * KiB;
        }
        walloc_tiers_on_pressure(t, on_pressure, &log);
        size_t previous = walloc_set_limit(heap_now().memory_bytes);
        errno = 0;
        unsigned char *p = walloc_tier_alloc(t, 0, need);
        walloc_set_limit(previous);
        CHECK(log.calls == 1 && log.tier == 0 && log.need == need);
        CHECK(log.used_at_call == capacity && log.data_intact_at_call);
        if (actions[i] == RESET_TIER) CHECK(p == log.watched.p);
        if (actions[i] == DO_NOTHING) CHECK(p == NULL && errno == ENOMEM && intact(log.watched));
        if (actions[i] == ALLOCATE_AGAIN) CHECK(p == NULL && log.nested == NULL && intact(log.watched));
        if (actions[i] == FREE_MALLOC) CHECK(p != NULL && walloc_tier_owns(t, 0, p) && intact(log.watched));
        walloc_tiers_destroy(t);
    }
}

TEST(null_at_the_limit_with_nothing_lost) {
    walloc_tiers *t = walloc_tiers_create(256 * KiB, NULL, 0);
    if (!CHECK(t != NULL)) return;
    static struct block blocks[200];
    for (size_t i = 0; i < 200; i++) blocks[i] = take(t, (unsigned)(i % 3), 100 + i * 13);
    struct walloc_tier_stats before = tier_now(t, WALLOC_TIER_ENTITY);
    size_t previous = walloc_set_limit(heap_now().memory_bytes);
    errno = 0;
    CHECK(walloc_tier_alloc(t, WALLOC_TIER_ENTITY, heap_now().free_bytes + 1 * MiB) == NULL && errno == ENOMEM);
    CHECK(walloc_tier_alloc(t, WALLOC_TIER_ENTITY, SIZE_MAX) == NULL);
    walloc_set_limit(previous);
    struct walloc_tier_stats after = tier_now(t, WALLOC_TIER_ENTITY);
    CHECK(after.used == before.used && after.capacity == before.capacity);
    CHECK(after.total_allocated == before.total_allocated && after.recycled == 0);
    size_t good = 0;
    for (size_t i = 0; i < 200; i++) good += intact(blocks[i]) && walloc_tier_owns(t, (unsigned)(i % 3), blocks[i].p);
    CHECK(good == 200);
    CHECK(walloc_tier_alloc(t, WALLOC_TIER_ENTITY, 1 * MiB) != NULL);
    walloc_tiers_destroy(t);
}

/* Fills memory up to a cap with 128 KiB blocks and frees `freed` of them: in the secure build
 * they wait in the quarantine, which an allocation finding memory exhausted must empty first.
 * Returns the previous cap; the rest of the blocks stay in `blocks`. */
static size_t fill_to_cap_and_free(void **blocks, size_t count, size_t freed) {
    size_t previous = walloc_set_limit(heap_now().memory_bytes + 4 * MiB);
    size_t i = 0;
    for (; i < count && (blocks[i] = walloc_malloc(128 * KiB)); i++)
        ;
    CHECK(i < count && i >= freed);
    while (freed--) walloc_free(blocks[--i]);
    blocks[i] = NULL;
    return previous;
}

static void free_blocks(void **blocks) {
    for (size_t i = 0; blocks[i]; i++) walloc_free(blocks[i]);
}

TEST(tiers_find_memory_the_quarantine_holds) {
    walloc_tiers *t = one_tier(4 * KiB, 8);
    if (!CHECK(t != NULL)) return;
    static void *blocks[2048];
    size_t previous = fill_to_cap_and_free(blocks, 2048, 8);
    errno = 0;
    CHECK(walloc_tier_alloc(t, 0, 512 * KiB) != NULL);
    walloc_set_limit(previous);
    free_blocks(blocks);
    walloc_tiers_destroy(t);

    previous = fill_to_cap_and_free(blocks, 2048, 8);
    walloc_tier_config config = { "fresh", 100, 8 };
    t = walloc_tiers_create(512 * KiB, &config, 1);
    CHECK(t != NULL);
    walloc_set_limit(previous);
    free_blocks(blocks);
    walloc_tiers_destroy(t);
}

TEST(stats_count_allocations_recycling_and_peaks) {
    walloc_tiers *t = one_tier(64 * KiB, 8);
    if (!CHECK(t != NULL)) return;
    size_t total = 0, recycled = 0, peak = 0;
    for (int round = 1; round <= 5; round++) {
        for (int i = 0; i < round * 10; i++) {
            walloc_tier_alloc(t, 0, 24);
            total += 24;
        }
        size_t used = tier_now(t, 0).used;
        CHECK(used == (size_t)round * 10 * 24);
        if (used > peak) peak = used;
        recycled += used;
        walloc_tier_reset(t, 0);
    }
    struct walloc_tier_stats s = tier_now(t, 0);
    CHECK(s.total_allocated == total && s.recycled == recycled && s.high_water == peak);
    CHECK(s.resets == 5 && s.used == 0 && s.chunks == 1 && s.capacity == 64 * KiB);
    walloc_tiers_destroy(t);
}

static const struct test_entry tests[] = {
    TEST_ENTRY(growth_chains_or_extends_and_keeps_every_block),
    TEST_ENTRY(compact_and_release_give_back_chunks_after_the_kept_part),
    TEST_ENTRY(create_rejects_bad_configs_with_einval),
    TEST_ENTRY(null_tiers_and_unknown_index_are_errors),
    TEST_ENTRY(default_layout_is_render_scene_entity_50_30_20),
    TEST_ENTRY(every_power_of_two_alignment_holds_across_growth),
    TEST_ENTRY(size_zero_is_valid_and_inside_the_tier),
    TEST_ENTRY(size_zero_at_a_full_chunk_stays_inside_the_tier),
    TEST_ENTRY(tier_memory_is_not_malloc_memory),
    TEST_ENTRY(owns_only_the_live_part),
    TEST_ENTRY(reset_recycles_everything_without_touching_memory),
    TEST_ENTRY(compact_keeps_the_first_bytes_exactly),
    TEST_ENTRY(compact_beyond_used_is_rejected_and_changes_nothing),
    TEST_ENTRY(nested_marks_release_inner_then_outer),
    TEST_ENTRY(stale_marks_are_rejected),
    TEST_ENTRY(old_marks_survive_many_rising_compacts),
    TEST_ENTRY(pressure_callback_runs_once_then_the_allocation_is_retried),
    TEST_ENTRY(null_at_the_limit_with_nothing_lost),
    TEST_ENTRY(stats_count_allocations_recycling_and_peaks),
    TEST_ENTRY(tiers_find_memory_the_quarantine_holds),
};

int main(int argc, char **argv) {
    return check_main(tests, TEST_COUNT(tests), argc, argv, check_heap_is_consistent);
}
