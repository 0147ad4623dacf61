/* string.h of the freestanding benchmark shim: the two functions clang may call for copies and
 * fills it does not expand inline. */
#ifndef WALLOC_BENCH_STRING_H
#define WALLOC_BENCH_STRING_H

#include <stddef.h>

void *memset(void *dst, int byte, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);

#endif
