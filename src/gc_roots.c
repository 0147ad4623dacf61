/* gc_roots.c - where marking starts: the program's static data, the shadow stack, ranges the
 * program registered (GC_add_roots), whatever the embedder pushes from its callback
 * (GC_set_push_other_roots, as TinyGo does), uncollectable objects and objects waiting for
 * their finalizer.
 *
 * The rule on wasm: a pointer held only in a wasm local (the engine's value stack, not linear
 * memory) is invisible to any collector. A program either runs binaryen's
 * `wasm-opt --spill-pointers`, which keeps every pointer-typed local in the shadow stack as
 * well, or collects only where no such pointer is live (README, "Garbage collector"). */
#include "collector.h"
#include "platform.h"

static int add_root(uintptr_t low, uintptr_t high) {
    if (wl_gc.root_count == wl_gc.root_capacity) {
        size_t wanted = wl_gc.root_capacity ? wl_gc.root_capacity * 2 : 16;
        struct wl_gc_root *bigger = walloc_realloc(wl_gc.roots, wanted * sizeof *bigger);
        if (!bigger) return 0;
        wl_gc.roots = bigger;
        wl_gc.root_capacity = wanted;
    }
    wl_gc.roots[wl_gc.root_count++] = (struct wl_gc_root){ low, high };
    return 1;
}

void GC_add_roots(void *low, void *high_plus_1) {
    uintptr_t low_at = (uintptr_t)low, high = (uintptr_t)high_plus_1;
    if (high <= low_at) return;
    if (!add_root(low_at, high)) wl_gc_warn("walloc GC: no memory to register a root range of %lu bytes\n", high - low_at);
}

/* Removes every registered range inside [low, high); a range that only overlaps it keeps the
 * parts outside, as bdwgc does. */
void GC_remove_roots(void *low, void *high_plus_1) {
    uintptr_t low_at = (uintptr_t)low, high = (uintptr_t)high_plus_1;
    for (size_t i = 0; i < wl_gc.root_count;) {
        struct wl_gc_root *r = &wl_gc.roots[i];
        if (r->high <= low_at || r->low >= high) {
            i++;
        } else if (r->low < low_at && r->high > high) {
            uintptr_t tail = r->high;
            r->high = low_at;
            if (!add_root(high, tail)) wl_gc_warn("walloc GC: no memory to split a root range at %lu\n", high);
            i++;
        } else if (r->low < low_at) {
            r->high = low_at;
            i++;
        } else if (r->high > high) {
            r->low = high;
            i++;
        } else {
            *r = wl_gc.roots[--wl_gc.root_count];
        }
    }
}

/* bdwgc's data segment is a registered root too, which GC_clear_roots removes: here it stops
 * the data scan, and the embedder then names every root itself. */
void GC_clear_roots(void) {
    wl_gc.root_count = 0;
    wl_gc.no_data_scan = 1;
}

void GC_set_no_dls(int no_dls) { wl_gc.no_data_scan = no_dls != 0; }
int GC_get_no_dls(void) { return wl_gc.no_data_scan; }
void walloc_gc_scan_stack(int enable) { wl_gc.no_stack_scan = !enable; }

void GC_set_push_other_roots(void (*fn)(void)) { wl_gc.push_other_roots = fn; }
void (*GC_get_push_other_roots(void))(void) { return wl_gc.push_other_roots; }

void GC_push_all(void *bottom, void *top) { wl_gc_push_range((uintptr_t)bottom, (uintptr_t)top); }
void GC_push_all_eager(void *bottom, void *top) { wl_gc_mark_range((uintptr_t)bottom, (uintptr_t)top); }
void GC_push_all_stack(void *bottom, void *top) { wl_gc_mark_range((uintptr_t)bottom, (uintptr_t)top); }

/* The static data less walloc's own state (types.h, WL_STATE). */
static void scan_static_data(void) {
    uintptr_t low, high, own_low = (uintptr_t)__start_walloc_state, own_high = (uintptr_t)__stop_walloc_state;
    wl_platform_data_range(&low, &high);
    if (own_low < low || own_high > high || own_low >= own_high) {
        wl_gc_mark_range(low, high);
        return;
    }
    wl_gc_mark_range(low, own_low);
    wl_gc_mark_range(own_high, high);
}

void wl_gc_blacklist_static_data(void) {
    wl_gc.scanning_roots = 1;
    scan_static_data();
    wl_gc.scanning_roots = 0;
}

void wl_gc_mark_roots(void) {
    wl_gc_blacklist_clear();
    wl_gc.scanning_roots = 1;
    if (!wl_gc.no_data_scan) scan_static_data();
    for (size_t i = 0; i < wl_gc.root_count; i++) wl_gc_mark_range(wl_gc.roots[i].low, wl_gc.roots[i].high);
    if (!wl_gc.no_stack_scan) wl_platform_scan_stack(wl_gc_mark_range);
    wl_gc.scanning_roots = 0;
    if (wl_gc.push_other_roots) wl_gc.push_other_roots();
    wl_gc_mark_uncollectable();
    wl_gc_mark_ready();
}
