/* Where bdwgc gets its memory on wasm32-wasi: compiled into build/peers/bdwgc/libgc.a beside
 * bdwgc's own gc.c by bench/gc/build-bdwgc.sh, whose configuration (PLATFORM_GETMEM) makes
 * bdwgc's GET_MEM call platform_get_mem.
 *
 * bdwgc asks for multiples of its 4 KiB heap block, and wants them 4 KiB-aligned. wasm memory
 * grows by 64 KiB pages only (wasi-libc's sbrk aborts on anything else), so the requests are
 * cut from pages grown here: what is left of the last page serves the next request, as long
 * as nobody else (wasi-libc's malloc, through sbrk) grew the memory in between. If someone did,
 * the rest is given up and cutting starts again at the new end of memory. */
#include <stddef.h>
#include <stdint.h>

#define WASM_PAGE 65536u
#define HEAP_BLOCK 4096u

void *platform_get_mem(size_t bytes);

static uintptr_t cut, cut_end;

void *platform_get_mem(size_t bytes) {
    uintptr_t memory_end = (uintptr_t)__builtin_wasm_memory_size(0) * WASM_PAGE;
    if (bytes > SIZE_MAX - HEAP_BLOCK - WASM_PAGE) return NULL;
    bytes = (bytes + HEAP_BLOCK - 1) & ~(uintptr_t)(HEAP_BLOCK - 1);
    if (cut_end != memory_end) cut = cut_end = memory_end;
    if (bytes > cut_end - cut) {
        size_t pages = (bytes - (cut_end - cut) + WASM_PAGE - 1) / WASM_PAGE;
        if (__builtin_wasm_memory_grow(0, pages) == SIZE_MAX) return NULL;
        cut_end += pages * WASM_PAGE;
    }
    void *block = (void *)cut;
    cut += bytes;
    return block;
}
