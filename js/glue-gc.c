/* glue-gc.c - the garbage collector (include/gc.h) for pages that opt in. It is linked into
 * walloc-gc.wasm only: the collector adds about 15 KB to the module, which pages that never
 * use it should not fetch. walloc.mjs calls GC_malloc, GC_malloc_atomic, GC_size and
 * GC_gcollect directly (js.mk exports them); this file holds the roots and the figures.
 *
 * JavaScript holds pointers as numbers, which no collector can see, so an object the page
 * keeps goes in a root slot: a table that is itself an uncollectable GC object, which the
 * collector scans at every collection. */
#include "gc.h"
#include "glue.h"

static uintptr_t *roots;
static uint32_t root_count;

/* Starts the collector with `count` empty root slots (1 to 2^30 - 1, which walloc.mjs has
 * checked: the table's size must fit 32 bits). The scan of static data goes off: no global of
 * this module holds a GC pointer, and numbers such as the scratch words' would read as
 * addresses and keep garbage alive. Returns 0, changing nothing, when memory runs out. O(count). */
EXPORT(wjs_gc_start) int wjs_gc_start(uint32_t count) {
    uintptr_t *table = GC_malloc_uncollectable((size_t)count * sizeof *table);
    if (!table) return 0;
    GC_set_no_dls(1);
    roots = table;
    root_count = count;
    return 1;
}

/* Puts `p` (0 empties the slot) in root slot `slot` and returns what the slot held. walloc.mjs
 * has checked both; a slot past the table is ignored and reads as 0, so no call can write
 * outside it. O(1). */
EXPORT(wjs_gc_set_root) uintptr_t wjs_gc_set_root(uint32_t slot, uintptr_t p) {
    if (slot >= root_count) return 0;
    uintptr_t previous = roots[slot];
    roots[slot] = p;
    return previous;
}

/* The collector's figures in the scratch words: bytes of its spans, free bytes inside them,
 * bytes allocated in all and since the last collection, collections done. O(1). */
EXPORT(wjs_gc_stats) void wjs_gc_stats(void) {
    const wjs_word words[] = { GC_get_heap_size(), GC_get_free_bytes(), GC_get_total_bytes(),
                               GC_get_bytes_since_gc(), GC_get_gc_no() };
    wjs_publish(words, sizeof words / sizeof *words);
}
