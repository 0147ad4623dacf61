/* dlmalloc-lock.c - the libc functions the locked dlmalloc peer calls (dlmalloc-lock.h): sbrk
 * over memory.grow (dlmalloc calls it under its lock), memset and memcpy as bulk-memory
 * instructions, a yield that wasm has not got, and malloc, aligned_alloc and free by their
 * standard names. */
#include <stddef.h>
#include <stdint.h>

extern unsigned char __heap_base;
static uintptr_t brk;

void *peer_sbrk(intptr_t increment) {
    if (!brk) brk = (uintptr_t)&__heap_base;
    uintptr_t old = brk, end = old + (uintptr_t)increment, have = __builtin_wasm_memory_size(0) << 16;
    if (increment < 0) return (void *)-1;
    if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) >> 16) == (size_t)-1) return (void *)-1;
    brk = end;
    return (void *)old;
}

void *memset(void *to, int byte, size_t bytes) {
    __builtin_memset(to, byte, bytes);
    return to;
}

void *memcpy(void *to, const void *from, size_t bytes) {
    __builtin_memcpy(to, from, bytes);
    return to;
}

int sched_yield(void) { return 0; }

/* Emscripten's copy names its functions with the dl prefix; the workloads call the standard
 * names. */
void *dlmalloc(size_t bytes);
void *dlmemalign(size_t alignment, size_t bytes);
void dlfree(void *block);
void *malloc(size_t bytes) { return dlmalloc(bytes); }
void *aligned_alloc(size_t alignment, size_t bytes) { return dlmemalign(alignment, bytes); }
void free(void *block) { dlfree(block); }
