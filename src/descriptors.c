/* descriptors.c - the pool of span descriptors, the slices that hold them, and packing those
 * slices low in the heap.
 *
 * Descriptor slices are meta slices cut from the lowest free memory when the pool runs low.
 * While a heap fills, the lowest free memory is high in it, so they end up spread over the heap;
 * once it empties they would cut the free runs that large blocks need. Packing (called by the
 * page layer's settling, pages.c) moves the live descriptors of the highest slices into dead
 * ones lower down and gives the emptied slices back.
 *
 * Only free spans' descriptors move: the page layer alone refers to them, from the bins and
 * from the map entries of the span's first and last slices. An in-use span's descriptor is
 * referred to from the layers above (size-class rings, tiers, the secure build's quarantine)
 * and holds its slice in place until the span is released.
 *
 * The slices form a list by address, linked through the bytes each has left after its
 * descriptors, so packing can walk down from the highest while it searches up from the lowest
 * for dead descriptors.
 */
#include "descriptors.h"
#include "pages.h"
#include "platform.h"
#include "report.h"

/* A descriptor slice's neighbours in the list, as slice numbers; 0 stands for none, as slice 0
 * is never the heap's (the heap begins above __heap_base). */
struct descriptor_links {
    uint32_t lower, higher;
};

#define DESCRIPTORS_PER_SLICE ((WL_SLICE_SIZE - sizeof(struct descriptor_links)) / sizeof(struct span))

/* Out of line: inlined at their dozen callers in the page layer, the pool operations made the
 * malloc family 460 bytes larger, and they run once per span operation, not per block. */
__attribute__((noinline)) void wl_descriptor_put(struct span *s) {
    s->kind = SPAN_DEAD;
    s->prev = NULL;
    s->next = wl_heap.dead;
    if (s->next) s->next->prev = s;
    wl_heap.dead = s;
    wl_heap.dead_count++;
}

__attribute__((noinline)) static void descriptor_unlink(struct span *s) {
    if (s->prev) s->prev->next = s->next;
    else wl_heap.dead = s->next;
    if (s->next) s->next->prev = s->prev;
    wl_heap.dead_count--;
}

__attribute__((noinline)) struct span *wl_descriptor_take(void) {
    struct span *s = wl_heap.dead;
    descriptor_unlink(s);
    return s;
}

static struct span *descriptors_in(uint32_t slice) { return wl_ptr_of(wl_slice_off(slice)); }

static struct descriptor_links *links_of(uint32_t slice) {
    return wl_ptr_of(wl_slice_off(slice + 1) - sizeof(struct descriptor_links));
}

static uint32_t slice_holding(const struct span *d) { return wl_slice_of(wl_off_of(d)); }

/* Adds a new descriptor slice to the list. New slices are most often the highest, so the search
 * for its place starts at the top. */
static void list_slice(uint32_t slice) {
    uint32_t lower = wl_heap.highest_descriptor_slice;
    while (lower > slice) lower = links_of(lower)->lower;
    uint32_t higher = lower ? links_of(lower)->higher : wl_heap.lowest_descriptor_slice;
    *links_of(slice) = (struct descriptor_links){ lower, higher };
    if (lower) links_of(lower)->higher = slice;
    else wl_heap.lowest_descriptor_slice = slice;
    if (higher) links_of(higher)->lower = slice;
    else wl_heap.highest_descriptor_slice = slice;
}

static void unlist_slice(uint32_t slice) {
    struct descriptor_links links = *links_of(slice);
    if (links.lower) links_of(links.lower)->higher = links.higher;
    else wl_heap.lowest_descriptor_slice = links.higher;
    if (links.higher) links_of(links.higher)->lower = links.lower;
    else wl_heap.highest_descriptor_slice = links.lower;
}

WL_COLD void wl_descriptors_fill(uint32_t slice) {
    wl_heap.descriptor_slices++;
    struct span *d = descriptors_in(slice);
    wl_platform_zero(d, DESCRIPTORS_PER_SLICE * sizeof *d); /* every one SPAN_DEAD */
    for (size_t i = 0; i < DESCRIPTORS_PER_SLICE; i++) wl_descriptor_put(&d[i]);
    list_slice(slice);
}

/* Whether descriptor slice `slice` describes an in-use span. */
static int describes_in_use_span(uint32_t slice) {
    struct span *d = descriptors_in(slice);
    for (size_t i = 0; i < DESCRIPTORS_PER_SLICE; i++)
        if (d[i].kind != SPAN_DEAD && d[i].kind != SPAN_FREE) return 1;
    return 0;
}

/* Moves free span `from`'s descriptor to `to`, a descriptor taken from the pool. */
static void move_free_descriptor(struct span *from, struct span *to) {
    wl_platform_copy(to, from, sizeof *to);
    if (to->prev) to->prev->next = to;
    else wl_heap.bins[to->bin] = to;
    if (to->next) to->next->prev = to;
    wl_map_set(to->first, to);
    wl_map_set(to->first + to->count - 1, to);
    wl_descriptor_put(from);
}

/* Where the search for dead descriptors goes on, from the bottom of the heap up. */
struct dead_search {
    uint32_t slice, index;
};

/* A dead descriptor from a slice below `limit`, taken out of the pool: the next one the search
 * finds, else one of a new descriptor slice cut from the lowest free memory, if that lies below
 * `limit`; NULL when there is none. The search never returns to slices it passed: a descriptor
 * that died there since is missed, which can only cost a new slice where an old one had room. */
static struct span *take_dead_below(struct dead_search *at, uint32_t limit) {
    for (;;) {
        for (; at->slice && at->slice < limit; at->slice = links_of(at->slice)->higher, at->index = 0) {
            struct span *d = descriptors_in(at->slice);
            while (at->index < DESCRIPTORS_PER_SLICE) {
                struct span *s = &d[at->index++];
                if (s->kind == SPAN_DEAD) {
                    descriptor_unlink(s);
                    return s;
                }
            }
        }
        struct span *f = wl_lowest_free_span(1);
        if (!f || f->first >= limit) return NULL;
        *at = (struct dead_search){ wl_take_meta_front(f, 1), 0 };
        wl_descriptors_fill(at->slice);
    }
}

/* Moves the free spans' descriptors of `slice`, which describes no in-use span, to dead ones
 * lower in the heap; returns 0 when there were too few. */
static int empty_slice(uint32_t slice, struct dead_search *low) {
    struct span *d = descriptors_in(slice);
    for (size_t i = 0; i < DESCRIPTORS_PER_SLICE; i++) {
        if (d[i].kind != SPAN_FREE) continue;
        struct span *to = take_dead_below(low, slice);
        if (!to) return 0;
        /* The new descriptor slice it may have cut took the whole free span d[i] described. */
        if (d[i].kind == SPAN_FREE) move_free_descriptor(&d[i], to);
        else wl_descriptor_put(to);
    }
    return 1;
}

/* Gives back a slice whose descriptors are all dead, unless the pool would then fall below the
 * reserve (releasing it takes a descriptor too); returns whether it did. */
static int release_slice(uint32_t slice) {
    if (wl_heap.dead_count <= DESCRIPTORS_PER_SLICE + WL_DESCRIPTOR_RESERVE) return 0;
    struct span *d = descriptors_in(slice);
    for (size_t i = 0; i < DESCRIPTORS_PER_SLICE; i++) descriptor_unlink(&d[i]);
    unlist_slice(slice);
    wl_heap.descriptor_slices--;
    wl_release_meta(slice, 1);
    return 1;
}

/* A slice cut while emptying another lies below it and is not visited: nothing lower is free
 * to empty it into. The search only looks below the slice being emptied, so it never reaches
 * back up to a slice given back. */
WL_COLD void wl_descriptors_pack(void) {
    struct dead_search low = { wl_heap.lowest_descriptor_slice, 0 };
    for (uint32_t slice = wl_heap.highest_descriptor_slice, lower; slice; slice = lower) {
        lower = links_of(slice)->lower;
        if (describes_in_use_span(slice)) continue;
        if (!empty_slice(slice, &low) || !release_slice(slice)) return;
    }
}

/* New spans then take descriptors low in the heap, and the slices above describe fewer and
 * fewer spans until packing can give them back. */
WL_COLD void wl_descriptors_order_pool(void) {
    wl_heap.dead = NULL;
    wl_heap.dead_count = 0;
    for (uint32_t slice = wl_heap.highest_descriptor_slice; slice; slice = links_of(slice)->lower) {
        struct span *d = descriptors_in(slice);
        for (size_t i = DESCRIPTORS_PER_SLICE; i-- > 0;)
            if (d[i].kind == SPAN_DEAD) wl_descriptor_put(&d[i]);
    }
}

/* For the check: whether `slice` is meta outside the page map. */
static int holds_descriptors(uint32_t slice) {
    uint32_t map = wl_slice_of(wl_off_of(wl_heap.map));
    uint32_t map_slices = (uint32_t)((wl_heap.map_entries * sizeof *wl_heap.map) >> WL_SLICE_SHIFT);
    return wl_map_get(slice) == &wl_meta_span && (slice < map || slice >= map + map_slices);
}

int wl_descriptors_check(void) {
    uint32_t listed = 0, lower = 0, slice;
    size_t dead = 0, pooled = 0;
    for (slice = wl_heap.lowest_descriptor_slice; slice; lower = slice, slice = links_of(slice)->higher) {
        if (++listed > wl_heap.descriptor_slices || slice <= lower || links_of(slice)->lower != lower ||
            !holds_descriptors(slice))
            return wl_check_failed(-60, "bad descriptor slice list", wl_slice_off(slice));
        for (size_t i = 0; i < DESCRIPTORS_PER_SLICE; i++) dead += descriptors_in(slice)[i].kind == SPAN_DEAD;
    }
    if (listed != wl_heap.descriptor_slices || lower != wl_heap.highest_descriptor_slice)
        return wl_check_failed(-61, "descriptor slice missing from the list", 0);
    for (const struct span *s = wl_heap.dead, *prev = NULL; s; prev = s, s = s->next)
        if (++pooled > dead || s->kind != SPAN_DEAD || s->prev != prev || !holds_descriptors(slice_holding(s)))
            return wl_check_failed(-62, "bad descriptor in the pool", wl_off_of(s));
    if (pooled != dead || pooled != wl_heap.dead_count)
        return wl_check_failed(-63, "dead descriptor missing from the pool", 0);
    return 0;
}
