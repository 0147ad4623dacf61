/* gc_mark.c - marking: an explicit stack of ranges to scan, never recursion, so a list of a
 * million nodes costs one stack entry at a time; the stack grows in malloc's memory (which is
 * never scanned) and, should it fail to grow, the mark survives: entries that do not fit are
 * dropped and every marked object is scanned again once the stack is empty.
 *
 * A candidate pointer is any aligned word of a scanned range. It retains an object when it
 * points at the object's start or, unless GC_set_all_interior_pointers(0), anywhere inside it
 * (a large object allocated "ignore off page": only inside its first page). */
#include "collector.h"

#if defined(__clang__) || defined(__GNUC__)
/* Scanning reads whole stacks and data segments word by word, redzones included. */
#define WL_SCANS_ANYTHING __attribute__((no_sanitize("address")))
#else
#define WL_SCANS_ANYTHING
#endif

struct mark_entry {
    uintptr_t base;   /* address of the first word */
    size_t bytes;     /* of the range or object */
    wl_descr descr;   /* how to scan it: WL_DS_LENGTH (conservatively, `bytes`) or typed */
};

#define WL_MARK_STACK_FIRST 4096u

WL_STATE static struct mark_entry *stack;
WL_STATE static size_t depth, capacity;
WL_STATE static int overflowed;

/* Test hook: caps the mark stack so that tests can force the overflow path. */
WL_STATE size_t wl_gc_mark_stack_limit = SIZE_MAX;

/* Room for one more entry: 0 when the stack cannot grow (the entry is then dropped and the
 * overflow recovered from). */
static WL_COLD int grow_stack(void) {
    size_t wanted = capacity ? capacity * 2 : WL_MARK_STACK_FIRST;
    if (wanted > wl_gc_mark_stack_limit) wanted = wl_gc_mark_stack_limit;
    struct mark_entry *bigger = wanted > capacity ? walloc_realloc(stack, wanted * sizeof *stack) : NULL;
    if (!bigger) {
        overflowed = 1;
        return 0;
    }
    stack = bigger;
    capacity = wanted;
    return 1;
}

static void push(uintptr_t base, size_t bytes, wl_descr descr) {
    if (depth == capacity && !grow_stack()) return;
    stack[depth++] = (struct mark_entry){ base, bytes, descr };
}

/* The entry that scans the marked object at `base` (of span `s`, `size` bytes); bytes is 0
 * for an object that holds no pointers. A typed object's descriptor is its span's. */
static inline __attribute__((always_inline)) struct mark_entry contents(const struct span *s, uintptr_t base,
                                                                        size_t size) {
    unsigned kind = s->gc_kind & WL_GC_KIND_MASK;
    if (kind == WL_GC_ATOMIC || kind == WL_GC_ATOMIC_UNCOLLECTABLE) return (struct mark_entry){ base, 0, 0 };
    if (kind != WL_GC_TYPED) return (struct mark_entry){ base, size, WL_DS_LENGTH | (wl_descr)size };
    return (struct mark_entry){ base, size, s->gc_descr };
}

/* What a scanning loop keeps in locals: the top of the mark stack, the settings every word is
 * tested against, and the small span the last word hit, whose blocks the next word most often
 * hits too (lists and trees are allocated in order), with its geometry: a hit there skips the
 * page map and the span's class. Only cold calls leave the loop, and they see `depth` put
 * back. */
struct marker {
    struct mark_entry *stack;
    size_t depth, capacity;
    uint32_t low_slice, slices;
    int all_interior;
    struct span *last;
    wl_off last_base;
    uint32_t last_bytes, last_size, last_reciprocal;
};

static inline __attribute__((always_inline)) struct marker marker_load(void) {
    return (struct marker){ stack, depth, capacity, wl_gc.low_slice, wl_gc.high_slice - wl_gc.low_slice,
                            wl_gc.all_interior, NULL, 0, 0, 0, 0 };
}

/* The object of a GC span that `word` points into: its span, or NULL when the word points
 * into no span of the collector or, when `allocated_only`, into a free block. Marking from the
 * heap skips that test: a free block is all zeroes (gc_alloc.c keeps it so), so marking one
 * retains nothing and costs less than the load of its free bit would on every word. *start
 * and *index name the object. */
static inline __attribute__((always_inline)) struct span *find_object(struct marker *m, uintptr_t word,
                                                                      int allocated_only, wl_off *start,
                                                                      unsigned *index) {
    wl_off off = (wl_off)(word - wl_memory_base);
    struct span *s = m->last;
    if ((wl_off)(off - m->last_base) >= m->last_bytes) {
        if (sizeof(wl_off) > 4 && off >= WL_MAX_MEMORY) return NULL;
        uint32_t slice = wl_slice_of(off);
        if (slice - m->low_slice >= m->slices) return NULL;
        s = wl_heap.map[slice];
        if (!s || s->kind != SPAN_GC) return NULL;
        wl_off base = wl_span_start(s);
        if (s->size_class == WL_GC_LARGE_CLASS) {
            if ((s->gc_kind & WL_GC_OFF_PAGE) && off - base >= WL_SLICE_SIZE) return NULL;
            *start = base;
            *index = 0;
            return s;
        }
        const struct size_class *c = &wl_classes[s->size_class];
        if (off - base >= (wl_off)c->blocks * c->size) return NULL;
        m->last = s;
        m->last_base = base;
        m->last_bytes = (uint32_t)c->blocks * c->size;
        m->last_size = c->size;
        m->last_reciprocal = c->reciprocal;
    }
    uint32_t i = (uint32_t)(((uint64_t)(uint32_t)(off - m->last_base) * m->last_reciprocal) >> 32);
    if (allocated_only && ((s->gc.free[i >> 6] >> (i & 63)) & 1)) return NULL;
    *start = m->last_base + (wl_off)i * m->last_size;
    *index = i;
    return s;
}

static inline int test_and_set_mark(struct span *s, unsigned index) {
    uint64_t bit = (uint64_t)1 << (index & 63);
    if (s->gc.marks[index >> 6] & bit) return 0;
    s->gc.marks[index >> 6] |= bit;
    return 1;
}

/* Marks the object `word` was found to point into (found by find_object) and queues its
 * contents. */
static inline __attribute__((always_inline)) void mark_found(struct marker *m, uintptr_t word, struct span *s,
                                                             wl_off start, unsigned index) {
    if (((wl_off)(word - wl_memory_base) != start && !m->all_interior) || !test_and_set_mark(s, index)) return;
    struct mark_entry e = contents(s, (uintptr_t)wl_ptr_of(start), wl_gc_object_size(s));
    if (!e.bytes) return;
    if (m->depth == m->capacity) {
        depth = m->depth;
        if (!grow_stack()) return;
        m->stack = stack;
        m->capacity = capacity;
    }
    m->stack[m->depth++] = e;
}

/* Whether slice `slice` is on the black list. */
static inline int blacklisted(uint32_t slice) {
    return slice < wl_gc.blacklist_slices && ((wl_gc.blacklist[slice / 8] >> (slice % 8)) & 1);
}

/* Puts `slice` on the black list (growing it in 32 MiB steps of memory), and its chunk on
 * the summary. */
static WL_COLD void blacklist(uint32_t slice) {
    if (slice >= wl_gc.blacklist_slices) {
        uint32_t slices = (slice + 1 + 8191) & ~(uint32_t)8191;
        uint8_t *bigger = walloc_realloc(wl_gc.blacklist, slices / 8);
        if (!bigger) return;
        __builtin_memset(bigger + wl_gc.blacklist_slices / 8, 0, (slices - wl_gc.blacklist_slices) / 8);
        wl_gc.blacklist = bigger;
        wl_gc.blacklist_slices = slices;
    }
    wl_gc.blacklist[slice / 8] |= (uint8_t)(1u << (slice % 8));
    uint32_t chunk = slice / WL_BLACKLIST_CHUNK;
    wl_gc.blacklist_dirty[chunk / 64] |= (uint64_t)1 << (chunk % 64);
}

/* A word that hit no object black-lists its slice when the slice lies where the heap is or
 * may grow, below `reach` slices past the heap's start. Root words reach all of memory: the
 * heap would later grow under a constant of static data. A word of a scanned object reaches
 * twice the heap's span: further out it waits for the heap to grow nearer (a collection then
 * sees it again), as objects full of numbers, say hashes, would otherwise black-list most of
 * memory. Cheap when the slice is black-listed already: one number in many objects costs a
 * test, not a call. */
static inline __attribute__((always_inline)) void note_miss(const struct marker *m, uintptr_t word,
                                                            uint32_t reach) {
    wl_off off = (wl_off)(word - wl_memory_base);
    if (sizeof(wl_off) > 4 && off >= WL_MAX_MEMORY) return;
    uint32_t slice = wl_slice_of(off);
    if (slice - wl_heap.first_slice >= reach || blacklisted(slice)) return;
    depth = m->depth;
    blacklist(slice);
}

void wl_gc_blacklist_slices(uint32_t first, uint32_t count) {
    for (uint32_t slice = first; slice < first + count; slice++) blacklist(slice);
}

void wl_gc_blacklist_clear(void) {
    for (unsigned w = 0; w < sizeof wl_gc.blacklist_dirty / sizeof wl_gc.blacklist_dirty[0]; w++) {
        for (uint64_t bits = wl_gc.blacklist_dirty[w]; bits; bits &= bits - 1) {
            uint32_t chunk = w * 64 + (unsigned)__builtin_ctzll(bits);
            __builtin_memset(wl_gc.blacklist + chunk * (WL_BLACKLIST_CHUNK / 8), 0, WL_BLACKLIST_CHUNK / 8);
        }
        wl_gc.blacklist_dirty[w] = 0;
    }
}

int wl_gc_blacklisted(uint32_t first, uint32_t count) {
    for (uint32_t slice = first; slice < first + count; slice++)
        if (blacklisted(slice)) return 1;
    return 0;
}

/* Marks what `word` points into and queues its contents: the step every scanned word takes. */
static inline __attribute__((always_inline)) void consider(struct marker *m, uintptr_t word) {
    wl_off start;
    unsigned index;
    struct span *s = find_object(m, word, 0, &start, &index);
    if (s) mark_found(m, word, s, start, index);
    else note_miss(m, word, 2 * (wl_heap.end_slice - wl_heap.first_slice));
}

/* Marks what the words of a root range point into, at once, and black-lists the slices of
 * heap memory those that hit no object point at. */
WL_SCANS_ANYTHING void wl_gc_mark_range(uintptr_t low, uintptr_t high) {
    uintptr_t at = (low + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
    struct marker m = marker_load();
    int roots = wl_gc.scanning_roots;
    for (; at + sizeof(uintptr_t) <= high; at += sizeof(uintptr_t)) {
        uintptr_t word = *(const uintptr_t *)at;
        wl_off start;
        unsigned index;
        struct span *s = find_object(&m, word, 1, &start, &index);
        if (s) mark_found(&m, word, s, start, index);
        else if (roots) note_miss(&m, word, WL_MAX_SLICES);
    }
    depth = m.depth;
}

void wl_gc_push_range(uintptr_t low, uintptr_t high) {
    uintptr_t at = (low + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
    size_t bytes = high > at ? (high - at) & ~(size_t)(sizeof(uintptr_t) - 1) : 0;
    if (bytes) push(at, bytes, WL_DS_LENGTH | (wl_descr)bytes);
}

void wl_gc_mark_words(uintptr_t base, size_t bytes, const uintptr_t *bitmap, size_t words) {
    const uintptr_t *at = (const uintptr_t *)base;
    struct marker m = marker_load();
    for (size_t i = 0; i < words && (i + 1) * sizeof(uintptr_t) <= bytes; i++)
        if ((bitmap[i / WL_WORD_BITS] >> (i % WL_WORD_BITS)) & 1) consider(&m, at[i]);
    depth = m.depth;
}

/* The mark loop: every entry is scanned here, its words tested inline, except extended
 * layouts (gc_typed.c). Conservative ranges take every word, last first, so that the first
 * word's object is the next one popped: structures are mostly built first child first, and
 * marking then walks memory in the order it was allocated, which the cache's prefetcher
 * follows (a tree of 8 MiB marked 3.6 times faster natively than first word first). A bitmap
 * descriptor (bdwgc's encoding: word i at bit WORD_BITS-1-i) names the words it takes. */
static inline __attribute__((always_inline)) void scan_entry(struct marker *m, struct mark_entry e) {
    const uintptr_t *words = (const uintptr_t *)e.base;
    size_t count = e.bytes / sizeof(uintptr_t);
    wl_descr tag = e.descr & WL_DS_TAGS, rest = e.descr & ~(wl_descr)WL_DS_TAGS;
    if (tag == WL_DS_LENGTH) {
        if (rest / sizeof(uintptr_t) < count) count = rest / sizeof(uintptr_t);
        while (count) consider(m, words[--count]);
    } else if (tag == WL_DS_BITMAP) {
        for (size_t i = 0; rest && i < count; i++, rest <<= 1)
            if (rest >> (WL_WORD_BITS - 1)) consider(m, words[i]);
    } else {
        depth = m->depth;
        wl_gc_scan_typed(e.base, e.bytes, e.descr);
        *m = marker_load();
    }
}

static WL_SCANS_ANYTHING void drain_stack(void) {
    struct marker m = marker_load();
    while (m.depth) scan_entry(&m, m.stack[--m.depth]);
    depth = 0;
}

/* After an overflow: every marked object that can hold pointers is scanned again, one at a
 * time with the stack drained after each, so the stack never needs more room than one object's
 * children. The object is scanned without the stack, which may have no room at all: its
 * children are marked even when they cannot be queued, so a pass that overflows has marked
 * something new, and passes end. */
static void rescan_marked(void) {
    uint32_t slice = wl_gc.low_slice;
    for (struct span *s; (s = wl_gc_next_span(&slice));) {
        size_t size = wl_gc_object_size(s);
        for (unsigned i = 0, blocks = wl_gc_object_count(s); i < blocks; i++) {
            if (!((s->gc.marks[i >> 6] >> (i & 63)) & 1)) continue;
            struct mark_entry e = contents(s, (uintptr_t)wl_ptr_of(wl_span_start(s) + (wl_off)i * size), size);
            if (!e.bytes) continue;
            struct marker m = marker_load();
            scan_entry(&m, e);
            depth = m.depth;
            drain_stack();
        }
    }
}

void wl_gc_mark_drain(void) {
    drain_stack();
    while (overflowed) {
        overflowed = 0;
        rescan_marked();
    }
}

int wl_gc_is_marked(const struct span *s, wl_off off) {
    size_t size;
    unsigned index;
    if (!wl_gc_object_at(s, off, &size, &index)) return 0;
    return (int)((s->gc.marks[index >> 6] >> (index & 63)) & 1);
}

static void push_contents(const struct span *s, wl_off start, size_t size) {
    struct mark_entry e = contents(s, (uintptr_t)wl_ptr_of(start), size);
    if (e.bytes) push(e.base, e.bytes, e.descr);
}

void wl_gc_mark_and_push(struct span *s, wl_off start) {
    size_t size;
    unsigned index;
    if (wl_gc_object_at(s, start, &size, &index) == start && test_and_set_mark(s, index))
        push_contents(s, start, size);
}

void wl_gc_push_children(const struct span *s, wl_off start) {
    size_t size;
    unsigned index;
    if (wl_gc_object_at(s, start, &size, &index) == start) push_contents(s, start, size);
}

/* Uncollectable objects are roots: marked at each collection (so that their finalizers and
 * links see them live), and the scanned ones queued. */
void wl_gc_mark_uncollectable(void) {
    uint32_t slice = wl_gc.low_slice;
    for (struct span *s; (s = wl_gc_next_span(&slice));) {
        unsigned kind = s->gc_kind & WL_GC_KIND_MASK;
        if (kind != WL_GC_UNCOLLECTABLE && kind != WL_GC_ATOMIC_UNCOLLECTABLE) continue;
        size_t size = wl_gc_object_size(s);
        for (unsigned i = 0, blocks = wl_gc_object_count(s); i < blocks; i++)
            if ((s->size_class == WL_GC_LARGE_CLASS || !((s->gc.free[i >> 6] >> (i & 63)) & 1)) &&
                test_and_set_mark(s, i))
                push_contents(s, wl_span_start(s) + (wl_off)i * size, size);
    }
}
