/* test_gameloop.c - the game loop of the reference README (walloc-rust's tiered allocator), on
 * walloc's tiers, for 600 frames:
 *
 *   SCENE   persistent level data loaded first, then per-frame scene objects on top of it;
 *           every 30 frames compact(SCENE, persistent) recycles the objects and keeps the level.
 *   RENDER  per-frame command buffers, and every 8th frame a large texture (1 to 5 MiB, more
 *           than the tier's reserve, so the tier grows); reset at the end of every frame.
 *   ENTITY  short-lived entities, reset every 10 frames.
 *   malloc  six blocks per frame (100 B to 20 KiB) beside the tiers, freed at the end of it.
 *
 * Every block carries a pattern checked before it is recycled; the level data is checked every
 * frame. After the warm-up (two rounds of the texture cycle) linear memory must not grow: the
 * chunks that RENDER chains for a texture go back at the reset and are found again next time.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "walloc.h"
#include "sizes.h"
#include "check.h"
#include "pattern.h"

#define FRAMES 600
#define WARM_UP 64
#define LEVEL_BLOCKS 48
#define RENDER_PER_FRAME 50
#define SCENE_PER_FRAME 20
#define ENTITY_PER_FRAME 100
#define MALLOC_PER_FRAME 6
#define COMPACT_EVERY 30
#define ENTITY_RESET_EVERY 10
#define TEXTURE_EVERY 8

struct block {
    unsigned char *p;
    size_t size;
};

static struct block level[LEVEL_BLOCKS];
static struct block render[RENDER_PER_FRAME];
static struct block scene[SCENE_PER_FRAME * COMPACT_EVERY];
static struct block entity[ENTITY_PER_FRAME * ENTITY_RESET_EVERY];
static struct rng rng = { 42 };

static size_t between(size_t low, size_t high) {
    return low + (size_t)rng_below(&rng, high - low + 1);
}

/* A block of `low` to `high` bytes from `tier`, filled with a pattern of its own. */
static struct block take(walloc_tiers *t, unsigned tier, size_t low, size_t high) {
    struct block b = { NULL, between(low, high) };
    b.p = walloc_tier_alloc(t, tier, b.size);
    if (b.p) pattern_fill(b.p, b.size, pattern_seed(b.p, b.size));
    return b;
}

static int holds(struct block b) {
    return b.p && pattern_holds(b.p, b.size, pattern_seed(b.p, b.size));
}

/* How many of `blocks` lost their pattern (or were never given). */
static size_t broken(const struct block *blocks, size_t count) {
    size_t bad = 0;
    for (size_t i = 0; i < count; i++) bad += !holds(blocks[i]);
    return bad;
}

/* A texture is written one word per 4 KiB page and at both ends, as an upload would touch
 * every page without the test paying for every byte. */
static uint64_t texture_word(const unsigned char *base, size_t at) {
    return pattern_mix((uint64_t)(uintptr_t)base + at);
}

static void texture_fill(unsigned char *p, size_t size) {
    for (size_t at = 0; at + 8 <= size; at += 4 * KiB) {
        uint64_t word = texture_word(p, at);
        memcpy(p + at, &word, 8);
    }
}

static int texture_holds(const unsigned char *p, size_t size) {
    for (size_t at = 0; at + 8 <= size; at += 4 * KiB) {
        uint64_t word;
        memcpy(&word, p + at, 8);
        if (word != texture_word(p, at)) return 0;
    }
    return 1;
}

TEST(game_loop_keeps_persistent_data_and_memory_flat) {
    walloc_tiers *t = walloc_tiers_create(8 * MiB, NULL, 0);
    if (!CHECK(t != NULL)) return;
    for (size_t i = 0; i < LEVEL_BLOCKS; i++) level[i] = take(t, WALLOC_TIER_SCENE, 1 * KiB, 10 * KiB);
    struct walloc_tier_stats loaded;
    walloc_tier_get_stats(t, WALLOC_TIER_SCENE, &loaded);
    size_t persistent = loaded.used;
    CHECK(persistent > LEVEL_BLOCKS * KiB);

    size_t texture_sizes[] = { 1 * MiB, 3 * MiB, 2 * MiB, 5 * MiB };
    size_t malloc_sizes[MALLOC_PER_FRAME] = { 100, 256, 1000, 4000, 12000, 20000 };
    size_t scene_count = 0, entity_count = 0;
    size_t level_lost = 0, render_lost = 0, scene_lost = 0, entity_lost = 0, texture_lost = 0;
    size_t failed_allocations = 0, frames_grown = 0, not_owned = 0;
    size_t memory_after_warm_up = 0, texture_bytes = 0;
    for (int frame = 0; frame < FRAMES; frame++) {
        for (size_t i = 0; i < RENDER_PER_FRAME; i++)
            render[i] = take(t, WALLOC_TIER_RENDER, 64, 2048);
        unsigned char *texture = NULL;
        size_t texture_size = texture_sizes[(frame / TEXTURE_EVERY) % 4];
        if (frame % TEXTURE_EVERY == 0) {
            texture = walloc_tier_alloc(t, WALLOC_TIER_RENDER, texture_size);
            if (texture) texture_fill(texture, texture_size);
            else failed_allocations++;
            texture_bytes += texture_size;
        }
        for (size_t i = 0; i < SCENE_PER_FRAME; i++, scene_count++)
            scene[scene_count] = take(t, WALLOC_TIER_SCENE, 256, 4 * KiB);
        for (size_t i = 0; i < ENTITY_PER_FRAME; i++, entity_count++)
            entity[entity_count] = take(t, WALLOC_TIER_ENTITY, 16, 256);
        void *heap_blocks[MALLOC_PER_FRAME];
        for (size_t i = 0; i < MALLOC_PER_FRAME; i++) heap_blocks[i] = walloc_malloc(malloc_sizes[i]);

        /* End of frame: check what was drawn, then recycle. */
        render_lost += broken(render, RENDER_PER_FRAME);
        if (texture) {
            texture_lost += !texture_holds(texture, texture_size);
            not_owned += !walloc_tier_owns(t, WALLOC_TIER_RENDER, texture + texture_size - 1);
        }
        walloc_tier_reset(t, WALLOC_TIER_RENDER);
        for (size_t i = 0; i < MALLOC_PER_FRAME; i++) {
            failed_allocations += heap_blocks[i] == NULL;
            walloc_free(heap_blocks[i]);
        }
        if ((frame + 1) % ENTITY_RESET_EVERY == 0) {
            entity_lost += broken(entity, entity_count);
            walloc_tier_reset(t, WALLOC_TIER_ENTITY);
            entity_count = 0;
        }
        if ((frame + 1) % COMPACT_EVERY == 0) {
            scene_lost += broken(scene, scene_count);
            CHECK(walloc_tier_compact(t, WALLOC_TIER_SCENE, persistent) == 0);
            scene_count = 0;
        }
        level_lost += broken(level, LEVEL_BLOCKS);
        for (size_t i = 0; i < LEVEL_BLOCKS; i++) not_owned += !walloc_tier_owns(t, WALLOC_TIER_SCENE, level[i].p);

        struct walloc_stats heap;
        walloc_get_stats(&heap);
        if (frame == WARM_UP) memory_after_warm_up = heap.memory_bytes;
        if (frame > WARM_UP) frames_grown += heap.memory_bytes != memory_after_warm_up;
        if (frame % 100 == 0) CHECK(walloc_check() == 0);
    }
    CHECK(failed_allocations == 0 && not_owned == 0);
    CHECK(level_lost == 0 && render_lost == 0 && scene_lost == 0 && entity_lost == 0 && texture_lost == 0);
    CHECK(frames_grown == 0);

    struct walloc_tier_stats render_stats, scene_stats, entity_stats;
    walloc_tier_get_stats(t, WALLOC_TIER_RENDER, &render_stats);
    walloc_tier_get_stats(t, WALLOC_TIER_SCENE, &scene_stats);
    walloc_tier_get_stats(t, WALLOC_TIER_ENTITY, &entity_stats);
    CHECK(render_stats.resets == FRAMES && render_stats.used == 0 && render_stats.chunks == 1);
    CHECK(render_stats.high_water >= 5 * MiB);
    CHECK(entity_stats.resets == FRAMES / ENTITY_RESET_EVERY && entity_stats.used == 0);
    CHECK(scene_stats.used == persistent);
    CHECK(render_stats.recycled >= texture_bytes && render_stats.total_allocated >= texture_bytes);
    struct walloc_stats heap;
    walloc_get_stats(&heap);
    printf("game loop: %d frames, linear memory %zu KiB (flat after frame %d), tiers hold %zu KiB;\n"
           "  recycled render %zu MiB, scene %zu KiB, entity %zu KiB; render high water %zu KiB\n",
           FRAMES, heap.memory_bytes / KiB, WARM_UP, heap.tier_bytes / KiB, render_stats.recycled / MiB,
           scene_stats.recycled / KiB, entity_stats.recycled / KiB, render_stats.high_water / KiB);
    walloc_tiers_destroy(t);
}

static const struct test_entry tests[] = {
    TEST_ENTRY(game_loop_keeps_persistent_data_and_memory_flat),
};

int main(int argc, char **argv) {
    return check_main(tests, TEST_COUNT(tests), argc, argv, check_heap_is_consistent);
}
