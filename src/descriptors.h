/* descriptors.h - inside the page layer: the pool of span descriptors and the descriptor slices
 * that hold them (descriptors.c), shared by pages.c and descriptors.c only; the layers above see
 * pages.h. */
#ifndef WALLOC_DESCRIPTORS_H
#define WALLOC_DESCRIPTORS_H

#include "types.h"

/* Every operation that may split spans first makes sure this many dead descriptors are at
 * hand, so a split never has to allocate in the middle. */
#define WL_DESCRIPTOR_RESERVE 3

/* The pool of dead descriptors (wl_heap.dead, wl_heap.dead_count), doubly linked so that
 * packing can take out the descriptors of a slice it gives back. take needs a non-empty pool. */
void wl_descriptor_put(struct span *s);
struct span *wl_descriptor_take(void);

/* Turns one meta slice into dead descriptors. Its memory may be dirty: each one is written. */
void wl_descriptors_fill(uint32_t slice);

/* Empties descriptor slices high in the heap into dead descriptors lower in it (cut from the
 * lowest free memory when there are too few) and gives the emptied slices back as free memory;
 * the pool keeps WL_DESCRIPTOR_RESERVE. Slices that describe in-use spans stay where they are. */
void wl_descriptors_pack(void);

/* Relinks the pool lowest descriptor first. */
void wl_descriptors_order_pool(void);

/* What descriptors.c uses of pages.c. */
struct span *wl_lowest_free_span(uint32_t count);
uint32_t wl_take_meta_front(struct span *f, uint32_t count);
void wl_release_meta(uint32_t first, uint32_t count);

#endif
