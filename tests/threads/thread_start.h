/* thread_start.h - what a host needs to start a thread of a wasm module linked with
 * --shared-memory (every thread instantiates it on the one imported memory): included by one
 * file of each such module (tests/threads/wasm.c, bench/threads/work.c). The host calls
 * first_thread_init on the first instance; for each further thread, thread_area on a thread
 * already running, then, on the new thread's instance, sets its exported __stack_pointer to
 * the area's address + the stack size and calls thread_init with that same address. */
#ifndef THREAD_START_H
#define THREAD_START_H

#include "walloc.h"

#define EXPORT(name) __attribute__((export_name(#name)))

void __wasm_init_tls(void *block);

/* The first instance's thread-local block: wasm-ld leaves __tls_base at 0 until someone calls
 * __wasm_init_tls, and walloc's cache lives there, so it cannot come from malloc. */
static _Alignas(16) unsigned char first_tls[16384];

EXPORT(first_thread_init) int first_thread_init(void) {
    if (__builtin_wasm_tls_size() > sizeof first_tls) return 1;
    __wasm_init_tls(first_tls);
    return 0;
}

/* Memory for another thread's stack (`stack` bytes, a multiple of 16, growing down from the
 * returned address + `stack`) followed by its thread-local block; never freed. Plain malloc,
 * rounded up to 16 bytes, so that the benchmark's other allocators serve it too. */
EXPORT(thread_area) void *thread_area(unsigned stack) {
    unsigned char *area = malloc(stack + ((__builtin_wasm_tls_size() + 15) & ~15u) + 16);
    return area ? area + (-(uintptr_t)area & 15) : NULL;
}

/* On the new thread, once the host set its __stack_pointer to `tls` (the area's stack top). */
EXPORT(thread_init) void thread_init(void *tls) { __wasm_init_tls(tls); }

#endif
