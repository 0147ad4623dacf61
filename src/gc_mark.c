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

static struct mark_entry *stack;
static size_t depth, capacity;
static int overflowed;

/* Test hook: caps the mark stack so that tests can force the overflow path. */
size_t wl_gc_mark_stack_limit = SIZE_MAX;

static int grow_stack(void) {
    size_t wanted = capacity ? capacity * 2 : WL_MARK_STACK_FIRST;
    if (wanted > wl_gc_mark_stack_limit) wanted = wl_gc_mark_stack_limit;
    if (wanted <= capacity) return 0;
    struct mark_entry *bigger = walloc_realloc(stack, wanted * sizeof *stack);
    if (!bigger) return 0;
    stack = bigger;
    capacity = wanted;
    return 1;
}

static void push(uintptr_t base, size_t bytes, wl_descr descr) {
    if (depth == capacity && !grow_stack()) {
        overflowed = 1;
        return;
    }
    stack[depth++] = (struct mark_entry){ base, bytes, descr };
}

/* The descriptor of a typed object sits in its last word. */
static wl_descr typed_descr(uintptr_t base, size_t bytes) {
    wl_descr d;
    __builtin_memcpy(&d, (const void *)(base + bytes - sizeof d), sizeof d);
    return d;
}

/* Queues the contents of the marked object at `start` (of span `s`, `size` bytes). */
static void push_contents(const struct span *s, wl_off start, size_t size) {
    unsigned kind = s->gc_kind & WL_GC_KIND_MASK;
    uintptr_t base = (uintptr_t)wl_ptr_of(start);
    if (kind == WL_GC_ATOMIC || kind == WL_GC_ATOMIC_UNCOLLECTABLE) return;
    if (kind == WL_GC_TYPED) push(base, size - sizeof(wl_descr), typed_descr(base, size));
    else push(base, size, WL_DS_LENGTH | (wl_descr)size);
}

static int test_and_set_mark(struct span *s, unsigned index) {
    uint64_t bit = (uint64_t)1 << (index & 63);
    if (s->gc.marks[index >> 6] & bit) return 0;
    s->gc.marks[index >> 6] |= bit;
    return 1;
}

/* Remembers that a root word points at slice `slice`, where no object lives. */
static void blacklist(wl_off off) {
    if (sizeof(wl_off) > 4 && off >= WL_MAX_MEMORY) return;
    uint32_t slice = wl_slice_of(off);
    if (slice < wl_heap.first_slice) return;
    if (slice >= wl_gc.blacklist_slices) {
        uint32_t slices = (slice + 1 + 8191) & ~(uint32_t)8191;
        uint8_t *bigger = walloc_realloc(wl_gc.blacklist, slices / 8);
        if (!bigger) return;
        __builtin_memset(bigger + wl_gc.blacklist_slices / 8, 0, (slices - wl_gc.blacklist_slices) / 8);
        wl_gc.blacklist = bigger;
        wl_gc.blacklist_slices = slices;
    }
    wl_gc.blacklist[slice / 8] |= (uint8_t)(1u << (slice % 8));
}

int wl_gc_blacklisted(uint32_t first, uint32_t count) {
    for (uint32_t slice = first; slice < first + count && slice < wl_gc.blacklist_slices; slice++)
        if ((wl_gc.blacklist[slice / 8] >> (slice % 8)) & 1) return 1;
    return 0;
}

/* Marks what `word` points into, if anything. */
static inline void mark_candidate(uintptr_t word) {
    wl_off off = (wl_off)(word - wl_memory_base);
    struct span *s = wl_gc_span_of(off);
    if (!s) {
        if (wl_gc.scanning_roots) blacklist(off);
        return;
    }
    size_t size;
    unsigned index;
    wl_off start = wl_gc_object_at(s, off, &size, &index);
    if (!start && wl_gc.scanning_roots) blacklist(off);
    if (!start || (off != start && !wl_gc.all_interior)) return;
    if ((s->gc_kind & WL_GC_OFF_PAGE) && off - start >= WL_SLICE_SIZE) return;
    if (test_and_set_mark(s, index)) push_contents(s, start, size);
}

WL_SCANS_ANYTHING void wl_gc_mark_range(uintptr_t low, uintptr_t high) {
    uintptr_t at = (low + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
    for (; at + sizeof(uintptr_t) <= high; at += sizeof(uintptr_t)) mark_candidate(*(const uintptr_t *)at);
}

void wl_gc_push_range(uintptr_t low, uintptr_t high) {
    uintptr_t at = (low + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
    size_t bytes = high > at ? (high - at) & ~(size_t)(sizeof(uintptr_t) - 1) : 0;
    if (bytes) push(at, bytes, WL_DS_LENGTH | (wl_descr)bytes);
}

/* The words of `bytes` at `base` whose bit is set in `bits` (word i: bit WORD_BITS-1-i). */
static void mark_bitmap_words(uintptr_t base, size_t bytes, wl_descr bits) {
    const uintptr_t *words = (const uintptr_t *)base;
    for (size_t i = 0; bits && (i + 1) * sizeof(uintptr_t) <= bytes; i++, bits <<= 1)
        if (bits >> (WL_WORD_BITS - 1)) mark_candidate(words[i]);
}

void wl_gc_mark_words(uintptr_t base, size_t bytes, const uintptr_t *bitmap, size_t words) {
    const uintptr_t *at = (const uintptr_t *)base;
    for (size_t i = 0; i < words && (i + 1) * sizeof(uintptr_t) <= bytes; i++)
        if ((bitmap[i / WL_WORD_BITS] >> (i % WL_WORD_BITS)) & 1) mark_candidate(at[i]);
}

static void scan(const struct mark_entry *e) {
    switch (e->descr & WL_DS_TAGS) {
    case WL_DS_LENGTH: {
        size_t length = e->descr & ~(wl_descr)WL_DS_TAGS;
        wl_gc_mark_range(e->base, e->base + (length < e->bytes ? length : e->bytes));
        break;
    }
    case WL_DS_BITMAP:
        mark_bitmap_words(e->base, e->bytes, e->descr & ~(wl_descr)WL_DS_TAGS);
        break;
    default:
        wl_gc_scan_typed(e->base, e->bytes, e->descr);
        break;
    }
}

static void drain_stack(void) {
    while (depth) {
        struct mark_entry e = stack[--depth];
        scan(&e);
    }
}

/* After an overflow: every marked object that can hold pointers is scanned again, one at a
 * time with the stack drained after each, so the stack never needs more room than one object's
 * children. A pass that overflows has marked something new, so passes end. */
static void rescan_marked(void) {
    uint32_t slice = wl_gc.low_slice;
    for (struct span *s; (s = wl_gc_next_span(&slice));) {
        size_t size = wl_gc_object_size(s);
        for (unsigned i = 0, blocks = wl_gc_object_count(s); i < blocks; i++) {
            if (!((s->gc.marks[i >> 6] >> (i & 63)) & 1)) continue;
            push_contents(s, wl_span_start(s) + (wl_off)i * size, size);
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

/* Uncollectable objects are roots: the scanned ones are marked and queued at each collection. */
void wl_gc_mark_uncollectable(void) {
    uint32_t slice = wl_gc.low_slice;
    for (struct span *s; (s = wl_gc_next_span(&slice));) {
        if ((s->gc_kind & WL_GC_KIND_MASK) != WL_GC_UNCOLLECTABLE) continue;
        size_t size = wl_gc_object_size(s);
        for (unsigned i = 0, blocks = wl_gc_object_count(s); i < blocks; i++)
            if (s->size_class == WL_GC_LARGE_CLASS || !((s->gc.free[i >> 6] >> (i & 63)) & 1))
                wl_gc_mark_and_push(s, wl_span_start(s) + (wl_off)i * size);
    }
}
