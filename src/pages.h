/* pages.h - the page layer: growth of linear memory, the page map, span descriptors, and free
 * spans that any size class or large block can take. Everything above it asks for spans. */
#ifndef WALLOC_PAGES_H
#define WALLOC_PAGES_H

#include "types.h"

/* Sets up the heap on first use; returns 0 when even the first descriptors cannot be had. */
int wl_heap_init(void);

/* An in-use span of `count` slices whose first slice is a multiple of `align_slices` (a power
 * of two), with every map entry pointing at it and `zeroed` telling whether its memory is still
 * all zero. Best fit among free spans, else memory grows. NULL (errno ENOMEM) when refused. */
struct span *wl_span_alloc(uint32_t count, uint32_t align_slices, enum span_kind kind);

/* Returns an in-use span to the free pool, merging it with free neighbours. */
void wl_span_release(struct span *s);

/* Grows an in-use span in place to `count` slices, from the free span after it or new memory
 * at the top; returns 0 (changing nothing) when that is not possible. */
int wl_span_extend(struct span *s, uint32_t count);

/* Cuts an in-use span down to `count` (>= 1) slices, freeing its tail. */
void wl_span_shrink(struct span *s, uint32_t count);

/* The span of malloc blocks (SMALL, MEDIUM or LARGE) holding offset `off`, or NULL. Map
 * entries of in-use spans are exact and no other entry names an in-use descriptor, so the kind
 * is the whole test. */
static inline struct span *wl_span_containing(wl_off off) {
    if (sizeof(wl_off) > 4 && off >= WL_MAX_MEMORY) return NULL;
    struct span *s = wl_map_get(wl_slice_of(off));
    return s && (unsigned)(s->kind - SPAN_SMALL) <= SPAN_LARGE - SPAN_SMALL ? s : NULL;
}

/* Whether `off` lies in heap memory that is not in use: freed, never handed out, or a span
 * released since. Used only to word error reports. */
int wl_is_free_memory(wl_off off);

/* The free span ending where the heap ends, if any (for walloc_check and growth). */
struct span *wl_top_free_span(void);

/* Bin of a free span of `count` slices (for walloc_check). */
unsigned wl_bin_of(uint32_t count);

/* For walloc_check: 0 when the list of descriptor slices runs up the heap through
 * wl_heap.descriptor_slices meta slices and the pool holds exactly their dead descriptors. */
int wl_descriptors_check(void);

#endif
