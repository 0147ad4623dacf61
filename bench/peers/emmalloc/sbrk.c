/* The memory emmalloc asks for with sbrk, on WebAssembly: a break that starts at the linker's
 * __heap_base and moves through linear memory, growing it with memory.grow when the break
 * passes its end. Emscripten's own sbrk works the same way; wasi-libc's does not fit, as it
 * only hands out whole pages from the end of memory. */
#include <errno.h>
#include <stdint.h>

#include "emscripten/heap.h"

#define WASM_PAGE 65536u

extern unsigned char __heap_base;

static uintptr_t brk_end;

size_t emscripten_get_heap_size(void) {
    return __builtin_wasm_memory_size(0) * WASM_PAGE;
}

size_t emscripten_get_heap_max(void) {
    return (size_t)0 - WASM_PAGE;
}

void *emmalloc_shim_sbrk(intptr_t increment) {
    if (!brk_end) brk_end = (uintptr_t)&__heap_base;
    uintptr_t old = brk_end;
    uintptr_t end = old + (uintptr_t)increment;
    if ((increment > 0 && end < old) || (increment < 0 && end > old) || end < (uintptr_t)&__heap_base) {
        errno = ENOMEM;
        return (void *)-1;
    }
    size_t have = emscripten_get_heap_size();
    if (end > have) {
        size_t pages = (end - have + WASM_PAGE - 1) / WASM_PAGE;
        if (__builtin_wasm_memory_grow(0, pages) == SIZE_MAX) {
            errno = ENOMEM;
            return (void *)-1;
        }
    }
    brk_end = end;
    return (void *)old;
}
