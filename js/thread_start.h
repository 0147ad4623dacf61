/* thread_start.h - what a host needs to start a thread of a wasm module linked with
 * --shared-memory (every thread instantiates it on the one imported memory): included by one
 * file of each such module (js/glue-threads.c for the package, tests/threads/wasm.c,
 * bench/threads/work.c). Each instance has its own __stack_pointer and __tls_base, but both
 * start out pointing at the same place for every instance: the linker's stack, and 0. The host calls
 * first_thread_init on the first instance; for each further thread, thread_area on a thread
 * already running, then, on the new thread's instance, sets its exported __stack_pointer to
 * the area's address + the stack size and calls thread_init with that same address. */
#ifndef THREAD_START_H
#define THREAD_START_H

#include "walloc.h"

#ifndef EXPORT
#define EXPORT(name) __attribute__((export_name(#name)))
#endif

void __wasm_init_tls(void *block);

/* The first instance's thread-local block: wasm-ld leaves __tls_base at 0 until someone calls
 * __wasm_init_tls, and walloc's cache lives there, so it cannot come from malloc. walloc's cache
 * and the package's per-thread buffers take 12 KiB as of this writing; the rest is room to grow,
 * and first_thread_init says when the block outgrew even that. */
static _Alignas(16) unsigned char first_tls[32768];

EXPORT(first_thread_init) int first_thread_init(void) {
    if (__builtin_wasm_tls_size() > sizeof first_tls) return 1;
    __wasm_init_tls(first_tls);
    return 0;
}

/* On a thread already set up: memory for another thread, `stack` bytes of stack (a multiple of
 * 16, growing down from the returned address + `stack`) followed by its thread-local block; a
 * block of its own, which the thread may free when it ends. NULL when memory runs out. */
EXPORT(thread_area) void *thread_area(size_t stack) {
    size_t tls = (__builtin_wasm_tls_size() + 15) & ~(size_t)15;
    return stack > SIZE_MAX - tls ? NULL : aligned_alloc(16, stack + tls);
}

/* On the new thread, once the host set its __stack_pointer to `tls` (the area's stack top). */
EXPORT(thread_init) void thread_init(void *tls) { __wasm_init_tls(tls); }

#endif
