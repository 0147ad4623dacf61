/* Stand-in for emscripten/heap.h: the heap queries emmalloc makes for mallinfo and its
 * unclaimed-memory statistic, answered from the linear memory (bench/peers/emmalloc/sbrk.c). */
#ifndef BENCH_EMSCRIPTEN_HEAP_SHIM_H
#define BENCH_EMSCRIPTEN_HEAP_SHIM_H

#include <stddef.h>
#include <stdint.h>

/* The sbrk emmalloc calls: a rename so that it can never be confused with wasi-libc's own
 * sbrk, which only takes whole 64 KiB pages and cannot shrink. */
#define sbrk emmalloc_shim_sbrk
void *emmalloc_shim_sbrk(intptr_t increment);

size_t emscripten_get_heap_size(void);
size_t emscripten_get_heap_max(void);

#endif
