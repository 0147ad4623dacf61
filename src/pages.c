/* pages.c - the page layer.
 *
 * The heap owns [start, end) of linear memory and grows it at the top with memory.grow, one
 * wasm page (64 KiB) at a time and never more than the request needs, so peak memory follows
 * peak use. New memory arrives zeroed; the `zeroed` flag follows it through splits and merges
 * so that calloc can skip clearing it.
 *
 * Meta slices (the page map and descriptors) come from the lowest free memory, or, when there
 * is none, are cut from the front of the memory being added before it becomes a free span:
 * that breaks the circle of "a free span needs a descriptor, a descriptor needs a slice".
 * Every operation that may split spans first makes sure WL_DESCRIPTOR_RESERVE
 * descriptors are at hand, so a split never has to allocate in the middle.
 *
 * The lowest free memory is high in a heap that is filling up, so meta taken then lands in
 * what becomes, once the program frees its blocks, the middle of one long free run. Meta
 * settles: when a release leaves meta slices next to free memory, the next request that finds
 * no free span long enough first packs the descriptors low (descriptors.c) and moves the page
 * map to the lowest free memory that holds it, and only then grows the heap. After a program
 * frees everything, meta sits at the bottom of the heap, except the slices of descriptors that
 * still describe in-use spans (a size class's serving span, a tier chunk), which cannot move.
 *
 * If something other than walloc grows memory (a host in the freestanding build), the pages it
 * took are simply never mapped: they are not ours, and a free of a pointer into them is invalid.
 */
#include "walloc.h"
#include "pages.h"
#include "descriptors.h"
#include "platform.h"
#include "secure.h"
#include "small.h"

#define WL_MAX_DESCRIPTOR_REFILL 64
#define WL_ENTRIES_PER_SLICE ((uint32_t)(WL_SLICE_SIZE / sizeof(struct span *)))

WL_STATE struct heap wl_heap;
WL_STATE struct span wl_meta_span = { .kind = SPAN_META };
WL_STATE struct span wl_free_interior = { .kind = SPAN_DEAD };
WL_STATE struct span wl_host_memory = { .kind = SPAN_DEAD };

#define WL_SLICES_PER_PAGE ((uint32_t)(WL_WASM_PAGE_SIZE >> WL_SLICE_SHIFT))

static uint32_t end_slice(void) { return wl_heap.end_slice; }

unsigned wl_bin_of(uint32_t count) {
    if (count <= WL_EXACT_BINS) return count - 1;
    unsigned top = 31u - (unsigned)__builtin_clz(count);
    return WL_EXACT_BINS + (top - 5) * 4 + ((count >> (top - 2)) & 3);
}

/* bin_insert and bin_remove are called from many places; kept out of line they cost a call per
 * span operation, which measured as noise, and save a tenth of the library's code. */
__attribute__((noinline)) static void bin_insert(struct span *s) {
    unsigned b = wl_bin_of(s->count);
    s->bin = (uint8_t)b;
    s->prev = NULL;
    s->next = wl_heap.bins[b];
    if (s->next) s->next->prev = s;
    wl_heap.bins[b] = s;
    wl_heap.bin_mask[b >> 6] |= (uint64_t)1 << (b & 63);
    wl_heap.free_span_bytes += (size_t)s->count << WL_SLICE_SHIFT;
}

__attribute__((noinline)) static void bin_remove(struct span *s) {
    unsigned b = s->bin;
    if (s->prev) s->prev->next = s->next;
    else wl_heap.bins[b] = s->next;
    if (s->next) s->next->prev = s->prev;
    if (!wl_heap.bins[b]) wl_heap.bin_mask[b >> 6] &= ~((uint64_t)1 << (b & 63));
    wl_heap.free_span_bytes -= (size_t)s->count << WL_SLICE_SHIFT;
}

/* First non-empty bin at or after `b`, or WL_BIN_COUNT. */
static unsigned next_bin(unsigned b) {
    for (unsigned word = b >> 6; word < 2; word++) {
        uint64_t bits = wl_heap.bin_mask[word];
        if (word == b >> 6) bits &= ~(uint64_t)0 << (b & 63);
        if (bits) return word * 64 + (unsigned)__builtin_ctzll(bits);
    }
    return WL_BIN_COUNT;
}

static struct span *find_free(uint32_t count) {
    unsigned b = wl_bin_of(count);
    if (b >= WL_EXACT_BINS) {
        for (struct span *s = wl_heap.bins[b]; s; s = s->next)
            if (s->count >= count) return s;
        b++;
        if (b == WL_BIN_COUNT) return NULL;
    }
    b = next_bin(b);
    return b < WL_BIN_COUNT ? wl_heap.bins[b] : NULL;
}

WL_COLD static void mark_meta(uint32_t first, uint32_t count) {
    for (uint32_t i = 0; i < count; i++) wl_map_set(first + i, &wl_meta_span);
    wl_heap.meta_bytes += (size_t)count << WL_SLICE_SHIFT;
}

/* Points the map entries of slices leaving use at wl_free_interior, so that no entry is left
 * naming a descriptor that may later describe some other span. */
static void forget_slices(uint32_t first, uint32_t count) {
    for (uint32_t i = 0; i < count; i++) wl_map_set(first + i, &wl_free_interior);
}

/* The free span that begins at `slice`, or NULL. */
static struct span *free_span_starting(uint32_t slice) {
    struct span *s = slice < end_slice() ? wl_map_get(slice) : NULL;
    return s && s->kind == SPAN_FREE && s->first == slice ? s : NULL;
}

/* The free span that ends just before `slice`, or NULL. */
static struct span *free_span_ending(uint32_t slice) {
    struct span *s = slice > wl_heap.first_slice ? wl_map_get(slice - 1) : NULL;
    return s && s->kind == SPAN_FREE && s->first + s->count == slice ? s : NULL;
}

/* Makes [first, first+count) a free span, merged with free neighbours. */
static void make_free(struct span *s, uint32_t first, uint32_t count, int zeroed) {
    struct span *left = free_span_ending(first), *right = free_span_starting(first + count);
    if (left) {
        bin_remove(left);
        wl_map_set(first - 1, &wl_free_interior);
        first = left->first;
        count += left->count;
        zeroed &= left->zeroed;
        wl_descriptor_put(left);
    }
    if (right) {
        bin_remove(right);
        wl_map_set(first + count, &wl_free_interior);
        count += right->count;
        zeroed &= right->zeroed;
        wl_descriptor_put(right);
    }
    s->first = first;
    s->count = count;
    s->kind = SPAN_FREE;
    s->zeroed = (uint8_t)zeroed;
    wl_map_set(first, s);
    wl_map_set(first + count - 1, s);
    bin_insert(s);
}

/* Gives meta slices back as free memory; the pool must hold a descriptor for it. */
WL_COLD void wl_release_meta(uint32_t first, uint32_t count) {
    forget_slices(first, count);
    wl_heap.meta_bytes -= (size_t)count << WL_SLICE_SHIFT;
    make_free(wl_descriptor_take(), first, count, 0);
}

/* The lowest free span of at least `count` slices, or NULL. Meta slices come from the bottom
 * of the heap, so that they do not cut the long free runs that large blocks need. Meta is taken
 * rarely (descriptor slices in growing batches, a new map when the heap doubles, settling), so
 * a walk over the bins is cheap. */
WL_COLD struct span *wl_lowest_free_span(uint32_t count) {
    struct span *lowest = NULL;
    for (unsigned b = next_bin(0); b < WL_BIN_COUNT; b = next_bin(b + 1))
        for (struct span *s = wl_heap.bins[b]; s; s = s->next)
            if (s->count >= count && (!lowest || s->first < lowest->first)) lowest = s;
    return lowest;
}

/* Takes `count` meta slices from the front of free span `f`; returns the first of them. */
WL_COLD uint32_t wl_take_meta_front(struct span *f, uint32_t count) {
    uint32_t slice = f->first;
    bin_remove(f);
    f->first += count;
    f->count -= count;
    if (f->count) {
        wl_map_set(f->first, f);
        bin_insert(f);
    } else {
        wl_descriptor_put(f);
    }
    mark_meta(slice, count);
    return slice;
}

static uint32_t slices_of_map(uint64_t entries) {
    return (uint32_t)((entries + WL_ENTRIES_PER_SLICE - 1) / WL_ENTRIES_PER_SLICE);
}

/* Slices of the map that replaces the current one when the heap reaches `last`. */
static uint32_t map_slices_for(uint32_t last) {
    uint64_t entries = (uint64_t)wl_heap.map_entries * 2;
    if (entries < last) entries = last;
    if (entries > WL_MAX_SLICES) entries = WL_MAX_SLICES;
    return slices_of_map(entries);
}

/* Makes the page map cover slices below `last`, moving it to a new array twice as large (or
 * as large as needed) from the lowest free memory, else from the front of the region being
 * added ([*cursor, region_last), zero when `fresh`). The old array is left to the caller to
 * free, once descriptors are at hand. */
WL_COLD static int cover_map(uint32_t last, uint32_t *cursor, uint32_t region_last, int fresh) {
    if (last <= wl_heap.map_entries) return 1;
    uint32_t slices = map_slices_for(last), first;
    struct span *below = wl_lowest_free_span(slices);
    if (below) {
        first = wl_take_meta_front(below, slices);
        wl_platform_zero(wl_ptr_of(wl_slice_off(first)), (size_t)slices << WL_SLICE_SHIFT);
    } else if (*cursor + slices <= region_last) {
        first = *cursor;
        *cursor += slices;
        if (!fresh) wl_platform_zero(wl_ptr_of(wl_slice_off(first)), (size_t)slices << WL_SLICE_SHIFT);
    } else {
        return 0;
    }
    struct span **map = wl_ptr_of(wl_slice_off(first));
    if (wl_heap.map_entries) wl_platform_copy(map, wl_heap.map, wl_heap.map_entries * sizeof *map);
    __atomic_store_n(&wl_heap.map, map, __ATOMIC_RELAXED);
    __atomic_store_n(&wl_heap.map_entries,
                     slices * WL_ENTRIES_PER_SLICE < WL_MAX_SLICES ? slices * WL_ENTRIES_PER_SLICE : WL_MAX_SLICES,
                     __ATOMIC_RELEASE);
    if (!below) mark_meta(first, slices);
    return 1;
}

/* Takes ownership of the slices [first, last): map coverage, descriptors if the pool is low,
 * then a free span, whose memory is known to be zero when `fresh`; a map that moved leaves its
 * old slices free. Pages between the heap's end and `first` were grown by someone else: they
 * are marked as not the heap's. Returns 0 when the region is too small to carry its own meta
 * slices. */
WL_COLD static int add_region(uint32_t first, uint32_t last, int fresh) {
    uint32_t cursor = first;
    struct span **old_map = wl_heap.map;
    uint32_t old_map_slices = slices_of_map(wl_heap.map_entries);
    if (!cover_map(last, &cursor, last, fresh)) return 0;
    for (uint32_t slice = wl_heap.end_slice; slice < first; slice++) wl_map_set(slice, &wl_host_memory);
    wl_heap.end_slice = last;
    while (wl_heap.dead_count < WL_DESCRIPTOR_RESERVE + 1) {
        if (cursor == last) return 0;
        mark_meta(cursor, 1);
        wl_descriptors_fill(cursor++);
    }
    /* The threads build keeps an old map as meta: another thread's free may still be reading
     * it (types.h). The old maps together are smaller than the current one. */
    if (old_map && wl_heap.map != old_map && !WL_THREADED)
        wl_release_meta(wl_slice_of(wl_off_of(old_map)), old_map_slices);
    if (cursor < last) make_free(wl_descriptor_take(), cursor, last - cursor, fresh);
    return 1;
}

/* Grows memory by `pages`, plus what the new memory must give to meta: a larger map when no
 * free memory below can hold it, and a slice of descriptors when the pool is low. */
WL_COLD static int grow_pages(uint32_t pages) {
    uint64_t now = wl_platform_memory_pages(), total = pages;
    uint32_t descriptor_slice_needed = wl_heap.dead_count <= WL_DESCRIPTOR_RESERVE;
    for (int settle = 0; settle < 3; settle++) {
        uint64_t last = (now + total) * WL_SLICES_PER_PAGE, meta_slices = descriptor_slice_needed;
        if (last > WL_MAX_SLICES) return 0;
        if (last > wl_heap.map_entries) {
            uint32_t map_slices = map_slices_for((uint32_t)last);
            if (!wl_lowest_free_span(map_slices)) meta_slices += map_slices;
        }
        uint64_t meta_pages = (meta_slices * WL_SLICE_SIZE + WL_WASM_PAGE_SIZE - 1) / WL_WASM_PAGE_SIZE;
        if (pages + meta_pages == total) break;
        total = pages + meta_pages;
    }
    if (now + total > wl_heap.limit_pages) return 0;
    int64_t old = wl_platform_grow((uint32_t)total);
    if (old < 0) return 0;
    wl_heap.grow_count++;
    uint32_t first = (uint32_t)old * WL_SLICES_PER_PAGE;
    return add_region(first, first + (uint32_t)total * WL_SLICES_PER_PAGE, 1);
}

struct span *wl_top_free_span(void) { return free_span_ending(end_slice()); }

/* Grows memory until the free span at the top holds `count` slices; returns it or NULL. More
 * rounds are there for memory that something else grew in between (not contiguous) and for
 * meta slices placed in front of the new memory. */
WL_COLD static struct span *grow(uint32_t count) {
    for (int round = 0; round < 3; round++) {
        struct span *top = wl_top_free_span();
        uint32_t have = top ? top->count : 0;
        if (have >= count) return top;
        /* A growth counts on the free span at the top. When meta slices (a moved map) took the
         * front of the new memory, that span is cut off from it; a second growth by the
         * difference can be cut off again, so the last round asks for the whole run. */
        if (round == 2) have = 0;
        uint64_t missing = (uint64_t)(count - have) << WL_SLICE_SHIFT;
        uint64_t pages = (missing + WL_WASM_PAGE_SIZE - 1) / WL_WASM_PAGE_SIZE;
        if (pages > WL_MAX_MEMORY / WL_WASM_PAGE_SIZE || !grow_pages((uint32_t)pages)) return NULL;
    }
    struct span *top = wl_top_free_span();
    return top && top->count >= count ? top : NULL;
}

/* Brings the descriptor pool back to WL_DESCRIPTOR_RESERVE, from the lowest free slices or new
 * memory. Each refill takes as many slices as the pool already has (up to 64), so a heap of many
 * small spans gets its descriptors in a few long runs instead of a slice between every 42
 * spans, which would leave no long free run for a large block. */
WL_COLD static int refill_descriptors(void) {
    while (wl_heap.dead_count < WL_DESCRIPTOR_RESERVE) {
        uint32_t wanted = wl_heap.descriptor_slices ? wl_heap.descriptor_slices : 1;
        if (wanted > WL_MAX_DESCRIPTOR_REFILL) wanted = WL_MAX_DESCRIPTOR_REFILL;
        uint32_t pages = (wanted * (uint32_t)WL_SLICE_SIZE + WL_WASM_PAGE_SIZE - 1) / WL_WASM_PAGE_SIZE;
        struct span *below = wl_lowest_free_span(wanted);
        if (!below && grow_pages(pages)) below = wl_lowest_free_span(wanted);
        if (!below) below = wl_lowest_free_span(wanted = 1);
        if (!below) return 0;
        uint32_t first = wl_take_meta_front(below, wanted);
        for (uint32_t i = 0; i < wanted; i++) wl_descriptors_fill(first + i);
    }
    return 1;
}

/* Keeps WL_DESCRIPTOR_RESERVE descriptors at hand; the check stays inline, the refill is cold. */
static inline int reserve_descriptors(void) {
    return wl_heap.dead_count >= WL_DESCRIPTOR_RESERVE || refill_descriptors();
}

/* The memory present before walloc's first call is not taken as zero: a host that hands in its
 * memory (Walloc.instantiate({ memory }), a module linked with --import-memory) may have written
 * above __heap_base, and calloc must not trust it. Only memory walloc grew itself is fresh. */
WL_COLD int wl_heap_init(void) {
    wl_off base = wl_platform_init();
    uint32_t first = (uint32_t)((base + WL_SLICE_SIZE - 1) >> WL_SLICE_SHIFT);
    uint32_t end = wl_platform_memory_pages() * WL_SLICES_PER_PAGE;
    uint32_t limit_pages = (uint32_t)(WL_MAX_MEMORY / WL_WASM_PAGE_SIZE);
    wl_heap.limit_pages = limit_pages;
    wl_heap.first_slice = wl_heap.end_slice = first;
    if (first >= end || !add_region(first, end, 0)) {
        /* Too little memory after __heap_base to hold its own meta slices: it stays unused, and
         * so does whatever the attempt counted, and the heap begins at the next page that
         * memory.grow brings. */
        uint32_t start = end > first ? end : first;
        wl_heap = (struct heap){ .limit_pages = limit_pages, .first_slice = start, .end_slice = start };
    }
    wl_classes_init();
    wl_secure_init();
    wl_heap.ready = 1;
    return reserve_descriptors();
}

#if !defined(__wasm__)
#include <stdlib.h>

/* Every mutable global of walloc lives in the walloc_state section (types.h, WL_STATE): the
 * page layer's, the class table, the secure build's quarantine and the collector's spans,
 * roots, finalizers, mark stack and layouts. A copy of the section taken before main is walloc
 * as new. The copy's pointer stays outside the section, or the reset would wipe it. */
static unsigned char *initial_state;

__attribute__((constructor)) static void keep_initial_state(void) {
    size_t size = (size_t)(__stop_walloc_state - __start_walloc_state);
    initial_state = malloc(size ? size : 1);
    if (initial_state) __builtin_memcpy(initial_state, __start_walloc_state, size);
}

/* Gives the memory back and every global its start-up value, so the next call sets walloc up
 * as on first use. Resetting wl_heap and the class table alone left the collector's lists and
 * tables pointing into the memory just given back. */
void walloc_test_reset(void) {
    if (!initial_state) abort();
    if (wl_heap.ready) wl_platform_release();
    __builtin_memcpy(__start_walloc_state, initial_state, (size_t)(__stop_walloc_state - __start_walloc_state));
}
#endif

/* Cuts `count` slices at `at` out of free span `f`; the pieces before and after stay free. */
static struct span *carve(struct span *f, uint32_t at, uint32_t count, enum span_kind kind) {
    uint32_t end = f->first + f->count;
    int zeroed = f->zeroed;
    struct span *s = f;
    bin_remove(f);
    if (at > f->first) {
        f->count = at - f->first;
        wl_map_set(at - 1, f);
        bin_insert(f);
        s = wl_descriptor_take();
    }
    if (at + count < end) {
        struct span *rest = wl_descriptor_take();
        rest->first = at + count;
        rest->count = end - rest->first;
        rest->kind = SPAN_FREE;
        rest->zeroed = (uint8_t)zeroed;
        wl_map_set(rest->first, rest);
        wl_map_set(end - 1, rest);
        bin_insert(rest);
    }
    s->first = at;
    s->count = count;
    s->kind = (uint8_t)kind;
    s->zeroed = (uint8_t)zeroed;
    s->next = s->prev = NULL;
    for (uint32_t i = 0; i < count; i++) wl_map_set(at + i, s);
    return s;
}

/* Moves the page map to the lowest free memory that holds it, if that lies below it: only
 * wl_heap.map points at it. Giving its old slices back takes a descriptor, which the reserve
 * must spare. The threads build never moves it: other threads read it without the lock. */
WL_COLD static void move_map_down(void) {
    uint32_t slices = slices_of_map(wl_heap.map_entries), old = wl_slice_of(wl_off_of(wl_heap.map));
    struct span *below = wl_lowest_free_span(slices);
    if (WL_THREADED || !below || below->first > old || wl_heap.dead_count <= WL_DESCRIPTOR_RESERVE)
        return;
    struct span **map = wl_ptr_of(wl_slice_off(wl_take_meta_front(below, slices)));
    wl_platform_copy(map, wl_heap.map, (size_t)wl_heap.map_entries * sizeof *map);
    __atomic_store_n(&wl_heap.map, map, __ATOMIC_RELAXED);
    wl_release_meta(old, slices);
}

/* Runs when a request finds no free span long enough while a release left meta slices next to
 * free memory (wl_heap.meta_may_move), before memory grows. The pool keeps its reserve. */
WL_COLD static void settle_meta(void) {
    wl_heap.meta_may_move = 0;
    wl_descriptors_pack();
    move_map_down();
    wl_descriptors_order_pool();
}

struct span *wl_span_alloc(uint32_t count, uint32_t align_slices, enum span_kind kind) {
    if ((!wl_heap.ready && !wl_heap_init()) || !reserve_descriptors()) return NULL;
    uint64_t needed = (uint64_t)count + align_slices - 1;
    if (needed > WL_MAX_SLICES) return NULL;
    struct span *f = find_free((uint32_t)needed);
    if (!f && wl_heap.meta_may_move) {
        /* Settling may have joined a run long enough; the second call grows memory if not. */
        settle_meta();
        return wl_span_alloc(count, align_slices, kind);
    }
    if (!f) f = grow((uint32_t)needed);
    if (!f) return NULL;
    uint32_t at = (f->first + align_slices - 1) & ~(align_slices - 1);
    return carve(f, at, count, kind);
}

static int is_meta(uint32_t slice) { return wl_map_get(slice) == &wl_meta_span; }

static int is_free(uint32_t slice) {
    struct span *s = wl_map_get(slice);
    return s && s->kind == SPAN_FREE;
}

/* Free span `f` was just made of released memory. Meta slices may now cut a free run that they
 * could get out of: when `f` touches one, or when the descriptor slice holding `f`'s descriptor,
 * which described an in-use span until now, touches free memory. */
WL_COLD static void note_released(const struct span *f) {
    uint32_t holder = wl_slice_of(wl_off_of(f));
    if (is_meta(f->first - 1) || is_meta(f->first + f->count) || is_free(holder - 1) || is_free(holder + 1))
        wl_heap.meta_may_move = 1;
}

void wl_span_release(struct span *s) {
    forget_slices(s->first, s->count);
    make_free(s, s->first, s->count, 0);
    note_released(s);
}

/* wl_span_extend and wl_span_shrink serve realloc of large blocks only, where the copy they
 * save costs far more than their own code: compiled for size. */
WL_COLD int wl_span_extend(struct span *s, uint32_t count) {
    uint32_t end = s->first + s->count, missing = count - s->count;
    if (!reserve_descriptors()) return 0;
    struct span *right = free_span_starting(end);
    if (!right || right->count < missing) {
        int at_top = right ? right->first + right->count == end_slice() : end == end_slice();
        if (!at_top || !grow(missing)) return 0;
        right = free_span_starting(end);
        if (!right || right->count < missing) return 0;
    }
    bin_remove(right);
    if (right->count > missing) {
        right->first += missing;
        right->count -= missing;
        wl_map_set(right->first, right);
        bin_insert(right);
    } else {
        wl_descriptor_put(right);
    }
    for (uint32_t i = end; i < s->first + count; i++) wl_map_set(i, s);
    s->count = count;
    return 1;
}

WL_COLD void wl_span_shrink(struct span *s, uint32_t count) {
    if (count >= s->count || !reserve_descriptors()) return;
    uint32_t tail = s->first + count, tail_count = s->count - count;
    s->count = count;
    forget_slices(tail, tail_count);
    struct span *f = wl_descriptor_take();
    make_free(f, tail, tail_count, 0);
    note_released(f);
}

int wl_is_free_memory(wl_off off) {
    if (sizeof(wl_off) > 4 && off >= WL_MAX_MEMORY) return 0;
    uint32_t slice = wl_slice_of(off);
    if (slice < wl_heap.first_slice || slice >= wl_heap.end_slice) return 0;
    struct span *s = wl_map_get(slice);
    return s && (s->kind == SPAN_FREE || s == &wl_free_interior);
}
