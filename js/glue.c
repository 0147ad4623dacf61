/* glue.c - what walloc.mjs needs from the freestanding build beyond the malloc family, which it
 * calls directly. Structures are copied into a fixed array of words so the JavaScript
 * side never depends on the C layout of walloc's structs. The same file serves the wasm64
 * module, walloc64.wasm: its words are 64 bits there (glue.h). */
#include "glue.h"
#include "walloc.h"
#include "platform.h"
#include "types.h"

/* Results of the calls below land here; JavaScript reads them right after the call. */
static WJS_PER_THREAD wjs_word scratch[16];

EXPORT(wjs_scratch) wjs_word *wjs_scratch(void) { return scratch; }

void wjs_publish(const wjs_word *words, unsigned count) {
    for (unsigned i = 0; i < count; i++) scratch[i] = words[i];
}

/* walloc_get_stats in the scratch words, in the order of struct walloc_stats. */
EXPORT(wjs_stats) void wjs_stats(void) {
    struct walloc_stats s;
    walloc_get_stats(&s);
    const wjs_word words[] = { s.heap_bytes, s.live_bytes, s.peak_live_bytes, s.free_bytes, s.meta_bytes,
                               s.alloc_count, s.free_count, s.grow_count, s.memory_bytes, s.tier_bytes,
                               s.gc_bytes };
    wjs_publish(words, sizeof words / sizeof *words);
}

/* walloc_set_limit counted in wasm pages, which say 4 GiB exactly where a wasm32 size_t cannot:
 * walloc_set_limit takes SIZE_MAX for it and returns it as SIZE_MAX. (On wasm64 every cap fits.) */
EXPORT(wjs_set_limit_pages) uint32_t wjs_set_limit_pages(uint32_t pages) {
    const uint32_t all = (uint32_t)(WL_MAX_MEMORY / WL_WASM_PAGE_SIZE);
    size_t previous = walloc_set_limit(pages < all ? (size_t)pages * WL_WASM_PAGE_SIZE : SIZE_MAX);
    return previous == SIZE_MAX ? all : (uint32_t)(previous / WL_WASM_PAGE_SIZE);
}

/* With -mbulk-memory these compile to single memory.fill / memory.copy instructions; the
 * caller has already checked both ranges against their blocks. */
EXPORT(wjs_fill) void wjs_fill(unsigned char *dst, int byte, size_t n) { __builtin_memset(dst, byte, n); }
EXPORT(wjs_copy) void wjs_copy(unsigned char *dst, const unsigned char *src, size_t n) {
    __builtin_memmove(dst, src, n);
}

/* The memory map reads walloc's page map directly: one code per 4 KiB slice, the numbers of
 * Walloc.SLICE in walloc.mjs. New codes go at the end: pages already drawn keep their numbers. */
enum { MAP_UNUSED, MAP_STATIC, MAP_META, MAP_FREE, MAP_SMALL, MAP_LARGE, MAP_TIER, MAP_GC };

static WJS_PER_THREAD uint8_t map_out[4096];

EXPORT(wjs_map_capacity) uint32_t wjs_map_capacity(void) { return sizeof map_out; }

static uint8_t slice_code(uint32_t slice) {
    if (!wl_heap.ready || slice < wl_heap.first_slice) return MAP_STATIC;
    if (slice >= wl_heap.end_slice) return MAP_UNUSED;
    const struct span *s = wl_map_get(slice);
    if (s == &wl_host_memory) return MAP_UNUSED;
    if (!s || s == &wl_free_interior) return MAP_FREE;
    if (s == &wl_meta_span) return MAP_META;
    switch (s->kind) {
    case SPAN_FREE: return MAP_FREE;
    case SPAN_SMALL:
    case SPAN_MEDIUM: return MAP_SMALL;
    case SPAN_LARGE: return MAP_LARGE;
    case SPAN_TIER: return MAP_TIER;
    case SPAN_GC: return MAP_GC;
    default: return MAP_UNUSED;
    }
}

/* Codes for `count` (<= wjs_map_capacity()) slices from slice `first`; returns where they are.
 * Under the threads build's lock (nothing elsewhere): other threads' calls change the spans read. */
EXPORT(wjs_memory_map) uint8_t *wjs_memory_map(uint32_t first, uint32_t count) {
    wl_lock();
    for (uint32_t i = 0; i < count && i < sizeof map_out; i++) map_out[i] = slice_code(first + i);
    wl_unlock();
    return map_out;
}

/* Tiers: one walloc_tiers per module instance, created by walloc.mjs at instantiation. */
static walloc_tiers *tiers;
static walloc_tier_config configs[WALLOC_TIERS_MAX];

EXPORT(wjs_tier_config) void wjs_tier_config(unsigned i, const char *name, unsigned share, size_t alignment) {
    if (i >= WALLOC_TIERS_MAX) return;
    configs[i] = (walloc_tier_config){ name, share, alignment };
}

/* count 0 takes the default layout. Returns 0 when walloc refused the layout or the memory. */
EXPORT(wjs_tiers_create) int wjs_tiers_create(size_t reserve_bytes, unsigned count) {
    tiers = walloc_tiers_create(reserve_bytes, count ? configs : NULL, count);
    return tiers != NULL;
}

/* The scratch words get the tier's `used` after (word 0) and before (word 1) the allocation:
 * walloc.mjs keeps them to know which blocks a compact or release recycles. */
EXPORT(wjs_tier_alloc) void *wjs_tier_alloc(unsigned tier, size_t size) {
    scratch[1] = walloc_tier_mark(tiers, tier).offset;
    void *p = walloc_tier_alloc(tiers, tier, size);
    scratch[0] = walloc_tier_mark(tiers, tier).offset;
    return p;
}

EXPORT(wjs_tier_reset) void wjs_tier_reset(unsigned tier) { walloc_tier_reset(tiers, tier); }

EXPORT(wjs_tier_compact) int wjs_tier_compact(unsigned tier, size_t keep) {
    return walloc_tier_compact(tiers, tier, keep);
}

EXPORT(wjs_tier_mark) void wjs_tier_mark(unsigned tier) {
    walloc_mark m = walloc_tier_mark(tiers, tier);
    scratch[0] = m.offset;
    scratch[1] = m.generation;
}

EXPORT(wjs_tier_release) int wjs_tier_release(unsigned tier, size_t offset, unsigned generation) {
    return walloc_tier_release(tiers, tier, (walloc_mark){ offset, generation });
}

EXPORT(wjs_tier_stats) void wjs_tier_stats(unsigned tier) {
    struct walloc_tier_stats s;
    walloc_tier_get_stats(tiers, tier, &s);
    const wjs_word words[] = { s.used, s.capacity, s.high_water, s.total_allocated, s.recycled, s.chunks, s.resets };
    wjs_publish(words, sizeof words / sizeof *words);
}

