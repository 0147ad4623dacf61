/* medium.h - blocks of more than WL_CLASSED_MAX and up to WL_MEDIUM_MAX bytes, carved at their
 * own size from shared spans and merged again when freed (medium.c has the design). */
#ifndef WALLOC_MEDIUM_H
#define WALLOC_MEDIUM_H

#include "types.h"

/* Whether `s` is a medium span. The secure build has none, so its calls to medium.c compile
 * away. */
static inline int wl_is_medium(const struct span *s) {
    return WL_MEDIUM_MAX > WL_CLASSED_MAX && s->kind == SPAN_MEDIUM;
}

/* A block of at least `size` bytes (WL_CLASSED_MAX < size <= WL_MEDIUM_MAX), aligned to 16 and
 * counted live; NULL when memory runs out (the caller sets errno). O(1): two bitmap searches
 * and list operations, or a new span from the page layer. */
void *wl_medium_alloc(size_t size);

/* Whether `off`, inside medium span `s`, is the start of a live block: one bit out of band, so
 * an interior or stale pointer is never taken for a block whatever the memory holds. */
static inline int wl_medium_is_live(const struct span *s, wl_off off) {
    uint32_t rel = (uint32_t)(off - wl_span_start(s));
    const uint32_t *live = (const uint32_t *)wl_ptr_of(wl_span_start(s));
    return (rel & (WL_GRANULE - 1)) == 0 && ((live[rel >> 9] >> ((rel >> 4) & 31)) & 1);
}

/* What the program may use of the live medium block at `off`. */
static inline size_t wl_medium_usable(wl_off off) {
    return (*(const uint32_t *)wl_ptr_of(off - WL_MEDIUM_HEADER) & ~(uint32_t)(WL_GRANULE - 1)) -
           WL_MEDIUM_HEADER;
}

/* Releases the live block at `off` of span `s`, merging it with free neighbours; a span left
 * empty goes back to the page layer unless it is the one empty span kept for the next burst. */
void wl_medium_free(struct span *s, wl_off off);

/* Gives the empty span kept for the next medium block back to the page layer, for a request
 * that memory could not serve otherwise; returns whether there was one. */
int wl_medium_release_spare(void);

/* Resizes the live block at `off` in place to hold `size` bytes (at most WL_MEDIUM_MAX):
 * shrinking frees its tail, growing takes from the free block after it. Returns 0, changing
 * nothing, when that block is missing or too short. */
int wl_medium_resize(wl_off off, size_t size);

/* Whether `off` lies in a free block of medium span `s` (for wording error reports; walks the
 * span's blocks). */
int wl_medium_is_free(const struct span *s, wl_off off);

/* For walloc_check: 0 when the blocks, flags and live bits of medium span `s` agree, else the
 * failed check's code; adds the span's live bytes to *live, its free bytes to *free_bytes and
 * the number of its listed free blocks to *listed. */
int wl_medium_check_span(const struct span *s, size_t *live, size_t *free_bytes, size_t *listed);

/* For walloc_check: 0 when the bins hold exactly `listed` free blocks, each in its right bin,
 * with consistent links and masks. */
int wl_medium_check_bins(size_t listed);

#endif
