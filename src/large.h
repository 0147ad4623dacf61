/* large.h - blocks of more than 32 KiB (and over-aligned ones): one span each. */
#ifndef WALLOC_LARGE_H
#define WALLOC_LARGE_H

#include "types.h"

/* A span of whole slices for `size` bytes on an `alignment` boundary (a power of two); its
 * descriptor's `zeroed` says whether the memory is known to be zero. NULL when refused (the
 * caller sets errno). */
void *wl_large_alloc(size_t size, size_t alignment);

/* Releases large span `s`. */
void wl_large_free(struct span *s);

/* Resizes large span `s` in place to hold `size` bytes; returns 0 when it cannot. */
int wl_large_resize(struct span *s, size_t size);

#endif
