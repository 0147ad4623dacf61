/* types.h - the whole data model of walloc, in one place.
 *
 * Linear memory is cut into 4 KiB slices. A contiguous run of slices is a span, described by a
 * `struct span` that lives out of line, in descriptor slices of its own. Every span is one of:
 *
 *   FREE   memory the page layer can hand to anyone; free spans never touch each other (they
 *          coalesce on release) and sit in bins by length for best-fit search.
 *   SMALL  a run of 1..16 slices cut into equal blocks of one size class (8 B .. 32 KiB). A
 *          bitmap in the descriptor says which blocks are free, so blocks carry no header and
 *          no in-band link a stray write could corrupt. One span per class serves malloc; the
 *          others with free blocks wait in fullness groups (below) until it is full. Blocks
 *          freed a moment ago are served first, from the class's stack of recent frees (below). malloc
 *          uses the classes up to WL_CLASSED_MAX (all of them in the secure build); aligned
 *          requests use all of them.
 *   MEDIUM WL_MEDIUM_SLICES slices (256 KiB) where the blocks malloc asks for above
 *          WL_CLASSED_MAX and up to WL_MEDIUM_MAX are carved at their own size and merged when
 *          freed (medium.c): a 4-byte header before each block, free blocks in bins by size. A
 *          bitmap at the span's start marks the live block starts, so free checks a pointer
 *          without trusting in-band data. Fixed-length spans: shorter first spans for small
 *          programs fragmented, and cost more memory on every workload measured.
 *   LARGE  one block of more than WL_MEDIUM_MAX (a resized one: of more than WL_SMALL_MAX),
 *          rounded up to whole slices; a medium request too when memory is too short for a
 *          new medium span.
 *   TIER   a chunk of a tiered arena (tiers.c): bump memory that is never a malloc block, so
 *          free() of a pointer into it is an invalid free. Its descriptor links the chunks of
 *          its tier oldest first and says where in the tier the chunk begins.
 *   GC     memory of the garbage collector (collector.h): a run of slices cut into objects of
 *          one size class and one kind (scanned, pointer-free, uncollectable, typed), with
 *          allocation and mark bits in the descriptor, or one large object. Never a malloc
 *          block: free() of a pointer into it is an invalid free, and the collector never
 *          looks inside malloc's spans.
 *
 * The page map sends a slice number to the descriptor of the span it belongs to: one array,
 * indexed by slice, that covers memory up to the heap's end (4 bytes per 4 KiB on wasm32, 0.1 %;
 * 8 on wasm64).
 * When the heap outgrows it, a map twice as large replaces it and the old one's slices become
 * free memory. The entries of every slice of an in-use span are exact, so `free` finds its
 * span in two loads and can prove the pointer is a block start. A free span's first and last
 * entries point at its descriptor (that is all coalescing needs); the slices between point at
 * the static descriptor wl_free_interior (or are NULL, in memory never handed out). So an entry
 * whose descriptor is SMALL, MEDIUM or LARGE is always exact, and free needs no range check.
 *
 * Descriptors and the map are "meta" slices: their map entries point at one static descriptor of
 * kind META, so a pointer into them is never mistaken for a block. Unused descriptors wait in a
 * pool; the slices that hold descriptors form a list by address. Meta is taken from the lowest
 * free memory, and moves lower when the heap empties around it (it "settles", pages.c): only
 * wl_heap.map points at the map, and only the page layer at a free span's descriptor, so both
 * can move; a descriptor slice that describes an in-use span stays until the span is released.
 * Pages that something else (a host in the freestanding build) grew between walloc's own
 * growths are not the heap's: their entries point at the static descriptor wl_host_memory.
 *
 * Addresses inside walloc are offsets into linear memory (`wl_off`). On wasm the memory starts
 * at 0 and an offset is the pointer itself; natively the emulated memory starts wherever the
 * platform reserved it.
 *
 * The threads build (threads.h) keeps all of this, behind one lock, and adds per thread a stack
 * of free blocks for each size class, taken from spans that serve that thread alone, and per
 * small span a second bitmap, `claimed_bits`, of the blocks that are not the program's (free or
 * in some thread's stack): what lets a free outside the lock prove its block live. Every size up
 * to 32 KiB has a class there, so it has no medium spans.
 */
#ifndef WALLOC_TYPES_H
#define WALLOC_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "walloc.h"

typedef uintptr_t wl_off;

/* 1 in the threads build (threads.h), for the few places where it changes what the core does. */
#if defined(WALLOC_THREADS)
#define WL_THREADED 1
#else
#define WL_THREADED 0
#endif

/* For code that runs rarely (growing memory, refilling descriptors): kept out of its callers
 * and compiled for size, so the fast paths stay small without a separate build of its file. */
#if defined(__clang__)
#define WL_COLD __attribute__((cold, minsize, noinline))
#else
#define WL_COLD __attribute__((cold, noinline))
#endif

/* For the fast paths: clang otherwise outlines them into calls once they grow a branch or two,
 * which cost churn 3 % under V8 (246 against 239 ms) with the stack of recent frees. */
#define WL_INLINE static inline __attribute__((always_inline))

/* Every mutable global of walloc lives in this one section. Its sizes, offsets and span
 * pointers look like heap addresses to a conservative scan, so the collector's scan of static
 * data skips the section (gc_roots.c): scanned, walloc's own bookkeeping would retain garbage
 * that happens to sit where a byte count points. Linkers name its ends __start_/__stop_. */
#define WL_STATE __attribute__((section("walloc_state")))
extern char __start_walloc_state[], __stop_walloc_state[];

#define WL_SLICE_SHIFT 12
#define WL_SLICE_SIZE ((size_t)1 << WL_SLICE_SHIFT)
#define WL_WASM_PAGE_SIZE ((size_t)65536)

/* How far linear memory reaches, the one thing that differs between the 32-bit and the 64-bit
 * wasm targets. wasm32 (and the native build, which emulates it) ends at 4 GiB. wasm64 ends
 * where the engine stops it (16 GiB in V8 today); walloc's own ceiling there is 1 TiB, which
 * keeps slice numbers, slice counts and wasm page counts in 32 bits on both targets, so spans,
 * the page map and the heap's bounds are laid out alike. What follows from the ceiling: the
 * bins of free spans reach a span of all memory (WL_BIN_COUNT), and what holds a byte offset,
 * the links of free medium blocks and the heads of their bins (`wl_link`), is 32 bits where
 * memory ends at 4 GiB and 64 on wasm64. Pointers in descriptors and the map are pointer-sized
 * anyway. */
#if defined(__wasm64__)
#define WL_MEMORY_BITS 40
typedef uint64_t wl_link;
#else
#define WL_MEMORY_BITS 32
typedef uint32_t wl_link;
#endif
#define WL_MAX_MEMORY ((uint64_t)1 << WL_MEMORY_BITS)
#define WL_MAX_SLICES ((uint32_t)(WL_MAX_MEMORY >> WL_SLICE_SHIFT))


/* Requests above this fail with ENOMEM (walloc.h says why), before any arithmetic could
 * overflow. Alignments go up to 2 GiB. */
#define WL_MAX_REQUEST WALLOC_MAX_REQUEST
#define WL_MAX_ALIGNMENT ((size_t)1 << 31)

#define WL_SMALL_MAX 32768u
#define WL_CLASS_COUNT 73
#define WL_SMALL_MAX_SLICES 16
#define WL_BITMAP_WORDS 8
#define WL_MAX_BLOCKS (WL_BITMAP_WORDS * 64)

/* malloc serves requests up to WL_CLASSED_MAX from size classes and the rest up to
 * WL_MEDIUM_MAX from medium spans. Classes round up by as much as an eighth and every class
 * keeps spans of its own, which above 1 KiB costs more memory than a header per block; the
 * secure build keeps the classes, which have no in-band metadata to forge, and so does the
 * threads build, whose threads take classed blocks from caches of their own without a lock,
 * where medium blocks, merged across the whole heap, would serve every thread under one. */
#if defined(WALLOC_SECURE) || defined(WALLOC_THREADS)
#define WL_CLASSED_MAX WL_SMALL_MAX
#define WL_MEDIUM_MAX WL_SMALL_MAX
#else
#define WL_CLASSED_MAX 1024u
#define WL_MEDIUM_MAX 65536u
#endif
#define WL_GRANULE ((size_t)16)
#define WL_MEDIUM_HEADER 4u
#define WL_MEDIUM_SLICES 64u
/* Bins of free medium blocks: sixteen per doubling from 1 KiB to the span size. Shorter free
 * blocks are in no bin: no medium request fits them. */
#define WL_MEDIUM_LISTED_MIN 1024u
#define WL_MEDIUM_BIN_GROUPS 8
#define WL_MEDIUM_BINS (WL_MEDIUM_BIN_GROUPS * 16)

/* Free spans up to 32 slices have a bin per length; longer ones four bins per doubling, up to
 * a span of all memory: 96 bins on wasm32, 128 on wasm64 (the bits of bin_mask). */
#define WL_EXACT_BINS 32
#define WL_BIN_COUNT (WL_EXACT_BINS + 4 * (WL_MEMORY_BITS - WL_SLICE_SHIFT - 4))

/* The kinds that hold malloc blocks are consecutive, so one comparison tells them apart. */
enum span_kind { SPAN_DEAD, SPAN_FREE, SPAN_SMALL, SPAN_MEDIUM, SPAN_LARGE, SPAN_META, SPAN_TIER, SPAN_GC };

struct span {
    uint32_t first;          /* first slice number */
    uint32_t count;          /* length in slices */
    uint8_t kind;            /* enum span_kind */
    uint8_t size_class;      /* SMALL: index into wl_classes */
    union {
        uint8_t zeroed;      /* the memory of every free block (FREE: of the span) is still zero;
                                never claimed of SMALL spans, whose calloc always clears */
        uint8_t parked;      /* SMALL: its blocks parked in the stack of recent frees */
    };
    union {
        uint8_t bin;         /* FREE: the bin it is listed in */
        uint8_t gc_kind;     /* GC: the kind of its objects (collector.h) */
        uint8_t owner;       /* SMALL, threads build: the number of the thread whose blocks it
                                serves (threads.h), 0 for none */
    };
    uint16_t free_blocks;    /* SMALL: free blocks, not counting the parked ones (whose bits
                                are set too) */
    uint8_t hint;            /* SMALL: no free bit lies in a word below this one, but those
                                of blocks parked in the stack of recent frees */
    uint8_t group;           /* SMALL: a fullness group, WL_GROUP_FULL, WL_GROUP_CURRENT or
                                WL_GROUP_THREAD;
                                GC: whether it is in its class's list of spans with room */
    struct span *next;       /* SMALL: group ring; FREE: bin list; DEAD: descriptor pool;
                                TIER: the tier's next (younger) chunk; GC: its class's list */
    union {
        struct span *prev;
        uintptr_t gc_descr;  /* GC, typed: the type descriptor of all its objects (gc_typed.h) */
    };
    union {
        uint64_t free_bits[WL_BITMAP_WORDS]; /* SMALL: bit i set = block i is free */
        struct {
            const void *owner;   /* the tier (tiers.c) the chunk belongs to */
            size_t base;         /* tier offset of the chunk's first byte */
        } tier;                  /* TIER */
        struct {
            uint64_t free[WL_BITMAP_WORDS / 2]; /* bit i set = object i is not allocated */
            uint64_t marks[WL_BITMAP_WORDS / 2]; /* set during a collection: reachable */
        } gc;                    /* GC: up to 256 objects a span; a large object uses marks bit 0 */
    };
#if defined(WALLOC_THREADS)
    uint64_t claimed_bits[WL_BITMAP_WORDS]; /* SMALL, threads build: bit i clear = block i is
                                the program's; set while it is free or in a thread's cache
                                (threads.h). Changed only by atomic read-modify-writes */
#endif
};

/* A span that is neither serving malloc nor full sits in the group of the smallest index whose
 * `most_free` bound its free blocks are within: group 0 holds the fullest spans. Two more values
 * of span->group stand for the full spans (in no ring) and the serving one, with bounds 0 and
 * "never", so free moves a span between groups with one comparison on its fast path.
 *
 * The count of groups trades speed for density. With four (by quarter, Hoard's fullness
 * groups) malloc serves from the fullest spans and the sparse ones drain: small-object churn
 * took 7 % less memory, but ran 35 % slower under V8, as the serving span changed every few
 * allocations and each change touched a cold span. With one group, spans serve in the order
 * they got a block back (a span waits and gathers free blocks before it serves again), and
 * walloc stays ahead of dlmalloc on speed; that is the setting. */
#define WL_FULLNESS_GROUPS 1
/* The threads build adds two: a span serving one thread's cache (threads.h), in no ring and
 * never released while it serves, as the class's own serving span; and a span of that thread's
 * with free blocks that does not serve, in the thread's own ring of the class. */
enum { WL_GROUP_FULL = WL_FULLNESS_GROUPS, WL_GROUP_CURRENT, WL_GROUP_THREAD, WL_GROUP_OWNED, WL_GROUP_KINDS };

/* Each class keeps a stack of recently freed blocks (wl_recent): a free sets the block's bit, so
 * the block is free to every check, and parks it in the stack while the stack has room; malloc
 * takes the newest parked block back by clearing the bit. A parked block is not yet counted in
 * its span's free_blocks, hint or group; the span counts it in `parked`. So a program that frees
 * and allocates blocks of one size touches a bit, the stack and two counters, never the span's
 * bookkeeping, and gets back memory it touched a moment ago; and there is no link inside a
 * block for a stray write to forge. A free that finds the stack full, or whose span is a quarter
 * free or more (sparse spans should drain, not serve), completes at once; a span that empties
 * takes its parked blocks out of the stack first. So parked blocks never keep a span from going
 * back to the page layer. While the stack holds blocks the serving span's bitmap is not searched, so
 * a parked block cannot be handed out twice. */
#define WL_RECENT 16
struct recent_block {
    struct span *span;
    uint32_t index;
};

struct size_class {
    struct span *current;    /* the span malloc takes blocks from; it has a free block */
    uint8_t recent_count;    /* blocks parked in the stack of recent frees */
    struct span *groups[WL_FULLNESS_GROUPS]; /* rings of the other spans with free blocks */
    uint32_t size;           /* block size in bytes */
    uint32_t reciprocal;     /* ceil(2^32 / size): block index = offset * reciprocal >> 32 */
    uint16_t slices;         /* length of its spans */
    uint16_t blocks;         /* blocks per span */
    uint16_t most_free[WL_GROUP_KINDS]; /* free blocks a span of each group may have */
    uint8_t group_mask;      /* bit g set = groups[g] is not empty */
};

struct heap {
    int ready;
    uint32_t first_slice;    /* the heap's first slice: __heap_base rounded up to a slice */
    uint32_t end_slice;      /* the slice after the heap's last: a wasm page boundary. Kept in
                                slices because a heap that reaches 4 GiB ends at 2^32, which a
                                32-bit offset cannot hold */
    uint32_t limit_pages;    /* walloc_set_limit, in wasm pages */
    struct span *bins[WL_BIN_COUNT];
    uint64_t bin_mask[2];    /* bit b set = bins[b] is not empty */
    struct span *dead;       /* the pool of unused descriptors (descriptors.h) */
    uint32_t dead_count;
    uint32_t descriptor_slices;
    uint32_t lowest_descriptor_slice, highest_descriptor_slice; /* ends of their list */
    int meta_may_move;       /* a release left meta slices next to free memory: settle them
                                before a request grows the heap */
    size_t free_span_bytes;
    size_t small_span_bytes; /* bytes of SMALL spans, blocks and tail waste */
    size_t small_block_bytes;/* blocks * size over SMALL spans */
    size_t large_live_bytes;
    size_t medium_live_bytes; /* usable bytes of live medium blocks */
    size_t medium_free_bytes; /* bytes of free medium blocks, headers included */
    wl_link medium_bins[WL_MEDIUM_BINS]; /* offset of the first free block of each bin, or 0 */
    uint16_t medium_bin_mask[WL_MEDIUM_BIN_GROUPS]; /* bit b: medium_bins[16 * group + b] */
    uint8_t medium_group_mask; /* bit g: medium_bin_mask[g] is not 0 */
    struct span *medium_spare; /* an empty medium span kept for the next allocation */
    size_t meta_bytes;
    size_t tier_bytes;       /* bytes of TIER spans */
    size_t gc_bytes;         /* bytes of GC spans */
    size_t live_bytes;
    size_t peak_live_bytes;
    size_t alloc_count;
    size_t free_count;
    size_t grow_count;
    struct span **map;       /* entry per slice, for slices below map_entries */
    uint32_t map_entries;
};

_Static_assert(WL_BIN_COUNT <= 2 * 64, "bin_mask has a bit per bin");

extern struct heap wl_heap;
extern struct size_class wl_classes[WL_CLASS_COUNT];
extern struct recent_block wl_recent[WL_CLASS_COUNT][WL_RECENT];
extern struct span wl_meta_span;
extern struct span wl_free_interior;
extern struct span wl_host_memory;
/* On wasm linear memory starts at address 0, a constant the compiler folds away. */
#if defined(__wasm__)
#define wl_memory_base ((wl_off)0)
#else
extern wl_off wl_memory_base;
#endif

static inline wl_off wl_off_of(const void *p) { return (uintptr_t)p - wl_memory_base; }
static inline void *wl_ptr_of(wl_off off) { return (void *)(wl_memory_base + off); }
static inline uint32_t wl_slice_of(wl_off off) { return (uint32_t)(off >> WL_SLICE_SHIFT); }
static inline wl_off wl_slice_off(uint32_t slice) { return (wl_off)slice << WL_SLICE_SHIFT; }
static inline wl_off wl_span_start(const struct span *s) { return wl_slice_off(s->first); }

/* The descriptor the map holds for a slice, or NULL past the map. The threads build reads the
 * map without the lock when a thread frees into its cache (threads.h), so the map and its
 * entries are read and written as atomics: a new map is published before its length, and an old
 * map stays where it was (pages.c). Elsewhere these are plain loads and stores: wasm without the
 * atomics feature compiles them so, and so does x86-64 for these orders. */
static inline struct span *wl_map_get(uint32_t slice) {
    uint32_t entries = __atomic_load_n(&wl_heap.map_entries, __ATOMIC_ACQUIRE);
    struct span **map = __atomic_load_n(&wl_heap.map, __ATOMIC_RELAXED);
    return slice < entries ? __atomic_load_n(&map[slice], __ATOMIC_RELAXED) : NULL;
}

static inline void wl_map_set(uint32_t slice, struct span *s) {
    __atomic_store_n(&wl_heap.map[slice], s, __ATOMIC_RELAXED);
}

/* Size classes: 8, then steps of 16 up to 128, then eight classes per doubling, so rounding
 * wastes at most 1/8 of a block above 128 bytes. Up to WL_CLASS_TABLE_LIMIT a table answers
 * (small.h); this is the arithmetic behind it, for any size up to WL_SMALL_MAX. */
#define WL_CLASS_TABLE_LIMIT 1024
#define WL_CLASS_TABLE_SIZE (WL_CLASS_TABLE_LIMIT / 8 + 1)
static inline unsigned wl_class_of_large(size_t size) {
    if (size <= 8) return 0;
    if (size <= 128) return (unsigned)((size + 15) >> 4);
    unsigned top = 31u - (unsigned)__builtin_clz((unsigned)(size - 1));
    unsigned step = (unsigned)((size - 1 - ((size_t)1 << top)) >> (top - 3));
    return 9 + (top - 7) * 8 + step;
}

#endif
