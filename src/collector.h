/* collector.h - the garbage collector's data model (the bdwgc API is include/gc.h).
 *
 * A non-moving mark-sweep collector on walloc's page layer. Its memory is spans of kind GC
 * beside malloc's, the tiers' and the free pool, so pages a collection frees go back to the
 * one pool every part of walloc draws from.
 *
 * Objects. A request of up to WL_GC_SMALL_MAX bytes takes a block of walloc's size classes (from
 * 16 bytes), in a span of one class and one kind; the span's descriptor holds a bit per block
 * for "not allocated" and one for "marked" (256 blocks at most, so both fit where a small span
 * keeps its free bitmap). A larger request is a span of its own, its mark in the descriptor
 * too. Nothing the collector needs is stored inside an object: a typed object's descriptor is
 * its span's, as typed spans serve one descriptor each (bdwgc adds a word to every typed
 * object for it, which for a 16-byte node costs a larger size class).
 *
 * Kinds decide what marking does with an object:
 *   NORMAL     scanned conservatively: every aligned word that points into an allocated object
 *              (at its start or inside it: interior pointers count) marks that object;
 *   ATOMIC     never scanned (strings, numbers): it cannot retain anything;
 *   TYPED      scanned only at the words its descriptor names (gc_typed.h), so an integer in a
 *              non-pointer word retains nothing;
 *   UNCOLLECTABLE, ATOMIC_UNCOLLECTABLE  never collected; the first is a root: scanned at
 *              every collection.
 * malloc's memory is never scanned (register it with GC_add_roots if it holds GC pointers).
 *
 * Black-listing. A root word (static data, stack, registered range) that points into memory
 * where no object lives is remembered per slice: a constant of libc's tables or an integer on
 * the stack that happens to look like an address would otherwise retain whatever the collector
 * later puts there. Scanned objects are not placed on such slices (a small span found there
 * serves pointer-free objects instead; a large object looks elsewhere). The list is rebuilt at
 * each collection, and at start-up from the static data.
 *
 * A collection: clear nothing (marks are 0 between collections), mark from the roots (data
 * segment, shadow stack, registered ranges, the embedder's callback, uncollectable objects)
 * with an explicit mark stack that survives overflow, clear disappearing links to unmarked
 * objects, keep finalizable unmarked objects (and what they reach) for their finalizers, then
 * sweep: unmarked blocks become free, empty spans and dead large objects go back to the page
 * layer, and every mark bit is cleared again.
 */
#ifndef WALLOC_COLLECTOR_H
#define WALLOC_COLLECTOR_H

#include "small.h"

enum wl_gc_kind {
    WL_GC_NORMAL,
    WL_GC_ATOMIC,
    WL_GC_TYPED,
    WL_GC_UNCOLLECTABLE,
    WL_GC_ATOMIC_UNCOLLECTABLE,
    WL_GC_KINDS
};
/* gc_kind flag of a large object that only a pointer into its first page retains. */
#define WL_GC_OFF_PAGE 0x80u
#define WL_GC_KIND_MASK 0x7fu

#define WL_GC_SMALL_MAX WL_SMALL_MAX
#define WL_GC_FIRST_CLASS 1u      /* 16 bytes: the first class with at most 256 blocks a span */
#define WL_GC_MAX_BLOCKS 256u
/* size_class of a descriptor that holds one large object */
#define WL_GC_LARGE_CLASS 0xffu

/* bdwgc's descriptor encoding (gc_typed.h): the low two bits are the tag. */
#define WL_DS_TAG_BITS 2u
#define WL_DS_TAGS 3u
#define WL_DS_LENGTH 0u     /* the rest: the length in bytes of a prefix scanned conservatively */
#define WL_DS_BITMAP 1u     /* the rest: one bit per word, the first word in the top bit */
#define WL_DS_PROC 2u       /* walloc's extended descriptor: the rest indexes a bitmap table */
#define WL_WORD_BITS (8u * (unsigned)sizeof(uintptr_t))

typedef uintptr_t wl_descr;

/* Slices per bit of the black list's summary: 64 bytes of the list. */
#define WL_BLACKLIST_CHUNK 512u

/* One list of spans with free blocks per kind and class, and the span serving allocation. */
struct wl_gc_class {
    struct span *current;
    struct span *available;
};

struct wl_gc_root {
    uintptr_t low, high;
};

struct wl_gc_state {
    int ready;
    int disabled;                 /* GC_disable count */
    int collecting;
    int no_data_scan, no_stack_scan;
    int scanning_roots;           /* root words that hit no object black-list their slice */
    uint8_t *blacklist;           /* a bit per slice below blacklist_slices (malloc memory) */
    uint32_t blacklist_slices;
    /* a bit per WL_BLACKLIST_CHUNK slices that has any bit set, so that clearing the list
     * touches only those: root words reach up to 4 GiB, a 128 KiB bitmap to clear whole */
    uint64_t blacklist_dirty[WL_MAX_SLICES / WL_BLACKLIST_CHUNK / 64];
    int java_finalization, finalize_on_demand, all_interior;
    unsigned long free_space_divisor;
    size_t max_heap;              /* 0: no cap of its own */
    size_t gc_no;
    size_t allocated_since;       /* bytes allocated since the last collection */
    size_t freed_since;           /* bytes GC_free gave back since then */
    size_t total_allocated;
    size_t reclaimed_last, reclaimed_before;
    size_t heap_after;            /* bytes of GC spans after the last collection */
    size_t trigger;               /* allocated_since that starts the next one (gc_api.c) */
    size_t allocated_before;
    size_t free_in_spans;         /* free block bytes in small GC spans */
    uint32_t low_slice, high_slice; /* every GC span lies in [low_slice, high_slice) */
    struct wl_gc_class classes[WL_GC_KINDS][WL_CLASS_COUNT];
    struct wl_gc_root *roots;
    size_t root_count, root_capacity;
    void (*push_other_roots)(void);
    void (*warn)(char *, uintptr_t);
    void (*on_event)(int);
    void (*finalizer_notifier)(void);
};

extern struct wl_gc_state wl_gc;

/* gc_api.c: whether allocation is due to start a collection, and the stack zeroing the entry
 * points do before one (gc_api.c says why). */
static inline int wl_gc_should_collect(void) {
    return !wl_gc.disabled && !wl_gc.collecting && wl_gc.allocated_since >= wl_gc.trigger;
}
size_t wl_gc_clear_stack(size_t value);

/* gc_alloc.c */
/* Allocation out of line: the first object of a span, large objects, collections. */
void *wl_gc_alloc(size_t size, unsigned kind, int off_page);
/* A typed object: its span serves descriptor `d` alone. */
void *wl_gc_alloc_typed(size_t size, wl_descr d, int off_page);

static inline unsigned wl_gc_class_of(size_t size) {
    unsigned cls = wl_class_of(size);
    return cls < WL_GC_FIRST_CLASS ? WL_GC_FIRST_CLASS : cls;
}

/* A free block of small span `s` of class `cls` (NULL when it has none, or `s` is NULL),
 * taken. Free blocks are kept zero and a span's were counted as allocated when it began to
 * serve, so taking one touches nothing else. */
static inline void *wl_gc_take_block(struct span *s, unsigned cls) {
    if (!s) return NULL;
    for (unsigned w = 0; w < WL_BITMAP_WORDS / 2; w++) {
        uint64_t bits = s->gc.free[w];
        if (bits) {
            s->gc.free[w] = bits & (bits - 1);
            unsigned index = w * 64 + (unsigned)__builtin_ctzll(bits);
            return wl_ptr_of(wl_span_start(s) + (wl_off)index * wl_classes[cls].size);
        }
    }
    return NULL;
}

/* The allocation fast path, inlined into GC_malloc and its kin: a block of the serving span
 * of its kind and class, else the out-of-line path. */
static inline __attribute__((always_inline)) void *wl_gc_alloc_inline(size_t size, unsigned kind) {
    if (size <= WL_CLASS_TABLE_LIMIT) {
        unsigned cls = wl_gc_class_of(size);
        void *p = wl_gc_take_block(wl_gc.classes[kind][cls].current, cls);
        if (p) return p;
    }
    /* A collection may follow: the stack below is zeroed first (gc_api.c says why). */
    if (wl_gc_should_collect()) size = wl_gc_clear_stack(size);
    return wl_gc_alloc(size, kind, 0);
}

size_t wl_gc_sweep(void);
/* The GC span holding `off`, or NULL. */
static inline struct span *wl_gc_span_of(wl_off off) {
    if (sizeof(wl_off) > 4 && off >= WL_MAX_MEMORY) return NULL;
    uint32_t slice = wl_slice_of(off);
    if (slice < wl_gc.low_slice || slice >= wl_gc.high_slice) return NULL;
    struct span *s = wl_map_get(slice);
    return s && s->kind == SPAN_GC ? s : NULL;
}
/* Start (*size bytes, block *index) of the allocated object of GC span `s` that holds `off`;
 * 0 when `off` lies in a free block or past the last block. */
wl_off wl_gc_object_at(const struct span *s, wl_off off, size_t *size, unsigned *index);
static inline size_t wl_gc_object_size(const struct span *s) {
    if (s->size_class == WL_GC_LARGE_CLASS) return (size_t)s->count << WL_SLICE_SHIFT;
    return wl_classes[s->size_class].size;
}
/* Objects (allocated or not) a GC span has room for: its class's blocks, or 1. */
unsigned wl_gc_object_count(const struct span *s);
/* The next GC span at or after *slice, with *slice moved past it (so the caller may release
 * it), or NULL after the last. Walks the page map from wl_gc.low_slice to high_slice. */
struct span *wl_gc_next_span(uint32_t *slice);
/* Frees block `index` of `s` (the whole span for a large object). */
void wl_gc_free_object(struct span *s, unsigned index);
/* For walloc_check: 0 when GC span `s` is consistent, else the failed check's code. */
int wl_gc_check_span(const struct span *s);

/* gc_mark.c */
/* Marks, at once, what the words of [low, high) point into. */
void wl_gc_mark_range(uintptr_t low, uintptr_t high);
/* Queues [low, high) to be scanned conservatively by the next drain. */
void wl_gc_push_range(uintptr_t low, uintptr_t high);
/* Marks the words of `bytes` at `base` whose bit is set in `bitmap` (word i: bit i). */
void wl_gc_mark_words(uintptr_t base, size_t bytes, const uintptr_t *bitmap, size_t words);
/* Scans everything queued, recovering from any overflow of the mark stack. */
void wl_gc_mark_drain(void);
int wl_gc_is_marked(const struct span *s, wl_off off);
/* Marks the object starting at `start` of span `s` and queues its contents. */
void wl_gc_mark_and_push(struct span *s, wl_off start);
/* Queues the contents of the object at `start` without marking it. */
void wl_gc_push_children(const struct span *s, wl_off start);
void wl_gc_mark_uncollectable(void);
extern size_t wl_gc_mark_stack_limit;

/* Whether any slice of [first, first + count) is black-listed. */
int wl_gc_blacklisted(uint32_t first, uint32_t count);
/* Black-lists `count` slices from `first`: a word pointed at a free block there (the sweep finds
 * it marked). */
void wl_gc_blacklist_slices(uint32_t first, uint32_t count);
/* Empties the black list, before the roots are scanned again. */
void wl_gc_blacklist_clear(void);

/* gc_roots.c */
/* Rebuilds the black list from the static data alone (start-up). */
void wl_gc_blacklist_static_data(void);
/* Marks from every root: data segment, shadow stack, registered ranges, the embedder's
 * callback, uncollectable objects and objects waiting for their finalizer. */
void wl_gc_mark_roots(void);

/* gc_final.c */
void wl_gc_clear_dead_links(void);
void wl_gc_queue_finalizers(void);
void wl_gc_mark_ready(void);
void wl_gc_forget_freed(void);
void wl_gc_forget_object(uintptr_t p);
size_t wl_gc_ready_count(void);

/* gc_typed.c */
/* Scans `bytes` at `base` by an extended (WL_DS_PROC) descriptor. */
void wl_gc_scan_typed(uintptr_t base, size_t bytes, wl_descr d);

/* gc_api.c */
void wl_gc_setup(void);

/* Grows the free pool by `bytes` (GC_expand_hp without the lock, which the caller holds): 1, or 0
 * when memory could not grow. */
int wl_gc_expand(size_t bytes);
void wl_gc_collect(void);
void wl_gc_warn(const char *message, uintptr_t value);

#endif
