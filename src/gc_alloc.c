/* gc_alloc.c - the collector's spans: allocation by kind and size class, explicit free, the
 * sweep, and the lookups that map an address to its object (collector.h has the model). */
#include "gc.h"
#include "collector.h"
#include "pages.h"
#include "platform.h"
#include "report.h"
#include "small.h"

WL_STATE struct wl_gc_state wl_gc;

static int small_kind(unsigned kind) { return (kind & WL_GC_KIND_MASK) < WL_GC_KINDS; }
static int collectable(unsigned kind) {
    kind &= WL_GC_KIND_MASK;
    return kind != WL_GC_UNCOLLECTABLE && kind != WL_GC_ATOMIC_UNCOLLECTABLE;
}

/* The bits of word `w` of a span's bitmaps that stand for its `blocks` blocks. */
static uint64_t block_bits(unsigned blocks, unsigned w) {
    unsigned below = blocks > w * 64 ? blocks - w * 64 : 0;
    return below >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << below) - 1;
}

static void set_all_free(struct span *s, unsigned blocks) {
    for (unsigned w = 0; w < WL_BITMAP_WORDS / 2; w++) {
        s->gc.free[w] = block_bits(blocks, w);
        s->gc.marks[w] = 0;
    }
}

/* Whether the collector may take `slices` more: GC_set_max_heap_size caps its spans. */
static int within_cap(uint32_t slices) {
    return !wl_gc.max_heap || wl_heap.gc_bytes + ((size_t)slices << WL_SLICE_SHIFT) <= wl_gc.max_heap;
}

/* When the free pool cannot hold `slices`, memory grows by a 32nd of the heap at once rather
 * than by the page or two a span needs: each memory.grow costs V8 a new ArrayBuffer and, soon,
 * a collection of its own, and list churn spent 18 % of its time growing 64 KiB at a time.
 * What the heap holds beyond its need stays under 3 %. */
static void grow_ahead(uint32_t slices) {
    size_t needed = (size_t)slices << WL_SLICE_SHIFT;
    size_t ahead = (size_t)(wl_heap.end_slice - wl_heap.first_slice) << (WL_SLICE_SHIFT - 5);
    if (wl_heap.free_span_bytes >= needed || ahead <= needed) return;
    if (within_cap((uint32_t)((ahead + WL_SLICE_SIZE - 1) >> WL_SLICE_SHIFT))) wl_gc_expand(ahead);
}

/* The page layer is shared with other threads' malloc in the threads build: its calls and the
 * heap's counters are under the lock (the collector itself runs on one thread, walloc.h). */
static struct span *take_span(uint32_t slices, unsigned kind, unsigned cls, wl_descr d) {
    wl_lock();
    struct span *s = NULL;
    if (within_cap(slices)) {
        grow_ahead(slices);
        s = wl_span_alloc(slices, 1, SPAN_GC);
        if (s) wl_heap.gc_bytes += (size_t)slices << WL_SLICE_SHIFT;
    }
    wl_unlock();
    if (!s) return NULL;
    s->size_class = (uint8_t)cls;
    s->gc_kind = (uint8_t)kind;
    s->group = 0;
    s->next = NULL;
    s->gc_descr = d;
    if (s->first < wl_gc.low_slice || !wl_gc.high_slice) wl_gc.low_slice = s->first;
    if (s->first + s->count > wl_gc.high_slice) wl_gc.high_slice = s->first + s->count;
    return s;
}

static void give_back(struct span *s) {
    wl_lock();
    wl_heap.gc_bytes -= (size_t)s->count << WL_SLICE_SHIFT;
    wl_span_release(s);
    wl_unlock();
}

static unsigned free_blocks(const struct span *s) {
    unsigned count = 0;
    for (unsigned w = 0; w < WL_BITMAP_WORDS / 2; w++) count += (unsigned)__builtin_popcountll(s->gc.free[w]);
    return count;
}

static void list_available(struct span *s) {
    struct wl_gc_class *k = &wl_gc.classes[s->gc_kind][s->size_class];
    if (s->group || k->current == s) return;
    s->group = 1;
    s->next = k->available;
    k->available = s;
}

static int scanned(unsigned kind) {
    kind &= WL_GC_KIND_MASK;
    return kind != WL_GC_ATOMIC && kind != WL_GC_ATOMIC_UNCOLLECTABLE;
}

/* A new small span for `kind` and `cls`. One that lands on black-listed slices serves
 * pointer-free objects of its class instead (nothing they hold is scanned), and another is
 * taken: however many it takes, as the black list is bounded by the root words that made it,
 * and an object placed where a constant of the static data points would be retained, with
 * all it reaches, for the rest of the run. When memory runs out first, the last span taken
 * serves anyway. */
static struct span *new_small_span(unsigned kind, unsigned cls, wl_descr d) {
    const struct size_class *c = &wl_classes[cls];
    struct span *last = NULL;
    for (;;) {
        struct span *s = take_span(c->slices, kind, cls, d);
        if (!s) break;
        if (!s->zeroed) wl_platform_zero(wl_ptr_of(wl_span_start(s)), (size_t)c->blocks * c->size);
        s->zeroed = 0;
        set_all_free(s, c->blocks);
        wl_gc.free_in_spans += (size_t)c->blocks * c->size;
        if (!scanned(kind) || !wl_gc_blacklisted(s->first, s->count)) return s;
        s->gc_kind = WL_GC_ATOMIC;
        list_available(s);
        last = s;
    }
    if (!last) return NULL;
    struct wl_gc_class *atomic = &wl_gc.classes[WL_GC_ATOMIC][cls];
    atomic->available = last->next;
    last->group = 0;
    last->next = NULL;
    last->gc_kind = (uint8_t)kind;
    return last;
}

/* Spans of a typed class's list looked at for one of the wanted descriptor: programs use a
 * few types per size class, and a long list of other types' spans is not worth walking. */
#define WL_GC_TYPED_SEARCH 8

/* A span with free blocks from the list of `k`, of descriptor `d` (0 but for typed spans). */
static struct span *unlist_available(struct wl_gc_class *k, wl_descr d) {
    struct span **link = &k->available;
    for (int looked = 0; *link && looked < WL_GC_TYPED_SEARCH; link = &(*link)->next, looked++) {
        struct span *s = *link;
        if (s->gc_descr != d) continue;
        *link = s->next;
        s->group = 0;
        s->next = NULL;
        return s;
    }
    return NULL;
}

/* The serving span of `k` stops serving (a typed class switches descriptors, or a sweep
 * begins): its free blocks, counted as allocated when it began to serve, are given back to
 * the counts. */
static void retire_current(struct wl_gc_class *k, unsigned cls) {
    struct span *s = k->current;
    size_t unused = (size_t)free_blocks(s) * wl_classes[cls].size;
    wl_gc.free_in_spans += unused;
    wl_gc.total_allocated -= unused;
    wl_gc.allocated_since -= unused < wl_gc.allocated_since ? unused : wl_gc.allocated_since;
    k->current = NULL;
    if (unused) list_available(s);
}

static struct span *serving_span(unsigned kind, unsigned cls, wl_descr d) {
    struct wl_gc_class *k = &wl_gc.classes[kind][cls];
    struct span *s = unlist_available(k, d);
    if (!s && !(s = new_small_span(kind, cls, d))) return NULL;
    k->current = s;
    size_t bytes = (size_t)free_blocks(s) * wl_classes[cls].size;
    wl_gc.free_in_spans -= bytes;
    wl_gc.allocated_since += bytes;
    wl_gc.total_allocated += bytes;
    return s;
}

static void *alloc_small(size_t size, unsigned kind, wl_descr d) {
    unsigned cls = wl_gc_class_of(size);
    struct wl_gc_class *k = &wl_gc.classes[kind][cls];
    if (k->current && k->current->gc_descr != d) retire_current(k, cls);
    void *p = wl_gc_take_block(k->current, cls);
    while (!p) {
        struct span *s = serving_span(kind, cls, d);
        if (!s) return NULL;
        p = wl_gc_take_block(s, cls);
    }
    return p;
}

/* A span for a large object of `kind`, off black-listed slices if a few tries find one: the
 * spans tried meanwhile are held, so that the page layer offers others, then given back.
 * Tries are few, as each holds a whole large run. Whatever its kind, a large object is kept
 * alive by any word into it (into its first page when allocated ignore-off-page), and on wasm
 * static data is full of such words: a 200 KB string laid over the slices they point at would
 * never die. */
#define WL_GC_PLACEMENT_TRIES 8

static int falsely_reachable(const struct span *s, unsigned kind) {
    uint32_t reach = (kind & WL_GC_OFF_PAGE) || !wl_gc.all_interior ? 1 : s->count;
    return wl_gc_blacklisted(s->first, reach);
}

/* Tries that grow memory stop once it grew by the object's size or an eighth of the heap,
 * whichever is more: each adds to the heap for good, and a large array tried eight times over
 * would add eight of itself. */
static struct span *large_span(uint32_t slices, unsigned kind, wl_descr d) {
    struct span *held[WL_GC_PLACEMENT_TRIES], *s;
    int count = 0;
    uint32_t end = wl_heap.end_slice, heap = end - wl_heap.first_slice;
    uint32_t may_grow = slices > heap / 8 ? slices : heap / 8;
    while ((s = take_span(slices, kind, WL_GC_LARGE_CLASS, d)) && count < WL_GC_PLACEMENT_TRIES &&
           wl_heap.end_slice - end < may_grow && falsely_reachable(s, kind))
        held[count++] = s;
    if (!s && count) s = held[--count];
    while (count) give_back(held[--count]);
    return s;
}

static void *alloc_large(size_t size, unsigned kind, int off_page, wl_descr d) {
    uint32_t slices = (uint32_t)((size + WL_SLICE_SIZE - 1) >> WL_SLICE_SHIFT);
    struct span *s = large_span(slices, kind | (off_page ? WL_GC_OFF_PAGE : 0), d);
    if (!s) return NULL;
    set_all_free(s, 0);
    size_t bytes = (size_t)slices << WL_SLICE_SHIFT;
    unsigned char *p = wl_ptr_of(wl_span_start(s));
    /* A scanned object is scanned whole, so its tail must hold no stale pointer either. */
    if (!s->zeroed) wl_platform_zero(p, kind == WL_GC_ATOMIC ? size : bytes);
    s->zeroed = 0;
    wl_gc.allocated_since += bytes;
    wl_gc.total_allocated += bytes;
    return p;
}

/* One attempt, with no collection: NULL when memory (or the cap) runs out. */
static void *try_alloc(size_t size, unsigned kind, int off_page, wl_descr d) {
    if (size <= WL_GC_SMALL_MAX) return alloc_small(size ? size : 1, kind, d);
    return alloc_large(size, kind, off_page, d);
}

static void *alloc_collecting(size_t size, unsigned kind, int off_page, wl_descr d) {
    if (size > WL_MAX_REQUEST) {
        wl_platform_set_errno(WL_ENOMEM);
        return NULL;
    }
    if (!wl_gc.ready) wl_gc_setup();
    if (wl_gc_should_collect()) wl_gc_collect();
    void *p = try_alloc(size, kind, off_page, d);
    if (!p && !wl_gc.disabled && !wl_gc.collecting) {
        wl_gc_collect();
        p = try_alloc(size, kind, off_page, d);
    }
    if (!p) {
        wl_gc_warn("walloc GC: out of memory for an object of %lu bytes\n", size);
        wl_platform_set_errno(WL_ENOMEM);
    }
    return p;
}

void *wl_gc_alloc(size_t size, unsigned kind, int off_page) { return alloc_collecting(size, kind, off_page, 0); }

void *wl_gc_alloc_typed(size_t size, wl_descr d, int off_page) {
    return alloc_collecting(size, WL_GC_TYPED, off_page, d);
}

unsigned wl_gc_object_count(const struct span *s) {
    return s->size_class == WL_GC_LARGE_CLASS ? 1 : wl_classes[s->size_class].blocks;
}

struct span *wl_gc_next_span(uint32_t *slice) {
    while (*slice < wl_gc.high_slice) {
        struct span *s = wl_map_get(*slice);
        int starts = s && s->first == *slice && s->count && s->kind != SPAN_DEAD && s->kind != SPAN_META;
        *slice += starts ? s->count : 1;
        if (starts && s->kind == SPAN_GC) return s;
    }
    return NULL;
}

wl_off wl_gc_object_at(const struct span *s, wl_off off, size_t *size, unsigned *index) {
    wl_off start = wl_span_start(s);
    *size = wl_gc_object_size(s);
    if (s->size_class == WL_GC_LARGE_CLASS) {
        *index = 0;
        return start;
    }
    const struct size_class *c = &wl_classes[s->size_class];
    uint32_t rel = (uint32_t)(off - start);
    uint32_t i = (uint32_t)(((uint64_t)rel * c->reciprocal) >> 32);
    if (i >= c->blocks || ((s->gc.free[i >> 6] >> (i & 63)) & 1)) return 0;
    *index = i;
    return start + (wl_off)i * c->size;
}

void wl_gc_free_object(struct span *s, unsigned index) {
    if (s->size_class == WL_GC_LARGE_CLASS) {
        give_back(s);
        return;
    }
    size_t block = wl_classes[s->size_class].size;
    wl_platform_zero(wl_ptr_of(wl_span_start(s) + (wl_off)index * block), block);
    s->gc.free[index >> 6] |= (uint64_t)1 << (index & 63);
    wl_gc.freed_since += block;
    /* A serving span's free blocks were counted as allocated when it began to serve. */
    if (wl_gc.classes[s->gc_kind][s->size_class].current == s) return;
    wl_gc.free_in_spans += block;
    list_available(s);
}

/* Zeroes the blocks of word `w` of span `s` whose bit is set in `dead`, a run at a time: a
 * free block is kept zero, so allocation hands it out without touching it. */
static void zero_runs(const struct span *s, size_t size, unsigned w, uint64_t dead) {
    while (dead) {
        unsigned first = (unsigned)__builtin_ctzll(dead);
        uint64_t rest = dead >> first;
        unsigned run = ~rest ? (unsigned)__builtin_ctzll(~rest) : 64 - first;
        wl_platform_zero(wl_ptr_of(wl_span_start(s) + (wl_off)(w * 64 + first) * size), run * size);
        dead &= ~(run == 64 ? ~(uint64_t)0 : (((uint64_t)1 << run) - 1) << first);
    }
}

/* Sweeps small span `s`: its unmarked blocks become free. Returns the bytes freed; *empty says
 * whether no block is left. */
static size_t sweep_small(struct span *s, int *empty) {
    const struct size_class *c = &wl_classes[s->size_class];
    unsigned freed = 0, allocated = 0;
    uint64_t dead[WL_BITMAP_WORDS / 2], pointed_at_free = 0;
    int reclaim = collectable(s->gc_kind);
    for (unsigned w = 0; w < WL_BITMAP_WORDS / 2; w++) {
        uint64_t used = ~s->gc.free[w] & block_bits(c->blocks, w);
        pointed_at_free |= s->gc.free[w] & s->gc.marks[w];
        dead[w] = reclaim ? used & ~s->gc.marks[w] : 0;
        s->gc.free[w] |= dead[w];
        s->gc.marks[w] = 0;
        freed += (unsigned)__builtin_popcountll(dead[w]);
        allocated += (unsigned)__builtin_popcountll(used & ~dead[w]);
    }
    *empty = allocated == 0;
    /* The mark loop marks free blocks too (they are zero, so it costs nothing): a marked free
     * block is a word that points where no object lives, which black-lists the span. */
    if (pointed_at_free) wl_gc_blacklist_slices(s->first, s->count);
    if (!*empty)
        for (unsigned w = 0; w < WL_BITMAP_WORDS / 2; w++) zero_runs(s, c->size, w, dead[w]);
    wl_gc.free_in_spans += (size_t)freed * c->size;
    return (size_t)freed * c->size;
}

size_t wl_gc_sweep(void) {
    size_t freed = 0;
    for (unsigned kind = 0; kind < WL_GC_KINDS; kind++)
        for (unsigned cls = 0; cls < WL_CLASS_COUNT; cls++) {
            struct wl_gc_class *k = &wl_gc.classes[kind][cls];
            if (k->current) retire_current(k, cls);
            *k = (struct wl_gc_class){ NULL, NULL };
        }
    uint32_t slice = wl_gc.low_slice;
    for (struct span *s; (s = wl_gc_next_span(&slice));) {
        if (s->size_class == WL_GC_LARGE_CLASS) {
            if (collectable(s->gc_kind) && !(s->gc.marks[0] & 1)) {
                freed += (size_t)s->count << WL_SLICE_SHIFT;
                give_back(s);
            } else {
                s->gc.marks[0] = 0;
            }
            continue;
        }
        int empty;
        freed += sweep_small(s, &empty);
        s->group = 0;
        if (empty) {
            const struct size_class *c = &wl_classes[s->size_class];
            wl_gc.free_in_spans -= (size_t)c->blocks * c->size;
            give_back(s);
        } else if (free_blocks(s) && !(scanned(s->gc_kind) && wl_gc_blacklisted(s->first, s->count))) {
            /* A scanned span on black-listed slices takes no new objects: it empties as its
             * objects die and goes back, or serves again once no word points at it. */
            list_available(s);
        }
    }
    return freed;
}

static int full_of_free_bits(const struct span *s, unsigned blocks) {
    for (unsigned w = 0; w < WL_BITMAP_WORDS / 2; w++)
        if (s->gc.free[w] & ~block_bits(blocks, w)) return 0;
    return 1;
}

int wl_gc_check_span(const struct span *s) {
    wl_off at = wl_span_start(s);
    if ((s->gc_kind & WL_GC_KIND_MASK) >= WL_GC_KINDS) return wl_check_failed(-70, "collector span of unknown kind", at);
    if (s->first < wl_gc.low_slice || s->first + s->count > wl_gc.high_slice)
        return wl_check_failed(-71, "collector span outside the collector's bounds", at);
    for (unsigned w = 0; w < WL_BITMAP_WORDS / 2; w++)
        if (s->gc.marks[w] && !wl_gc.collecting) return wl_check_failed(-72, "mark bit left after a collection", at);
    if (s->size_class == WL_GC_LARGE_CLASS) return 0;
    if (s->size_class < WL_GC_FIRST_CLASS || s->size_class >= WL_CLASS_COUNT || !small_kind(s->gc_kind) ||
        s->count != wl_classes[s->size_class].slices)
        return wl_check_failed(-73, "collector span of a wrong class or length", at);
    if (!full_of_free_bits(s, wl_classes[s->size_class].blocks))
        return wl_check_failed(-74, "collector free bit past the last block", at);
    return 0;
}
