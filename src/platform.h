/* platform.h - the only place that knows where walloc runs.
 *
 * Four platforms share the core: wasm32-wasi (libc present), freestanding wasm32 and wasm64
 * (nothing but the module's memory; wasm64's limits are in types.h) and native x86-64, where
 * linear memory is emulated by one reserved region whose pages become accessible as it
 * "grows", so sanitizers and valgrind see the same code.
 */
#ifndef WALLOC_PLATFORM_H
#define WALLOC_PLATFORM_H

#include "types.h"

/* errno values as the C library of the platform numbers them (WASI's differ from Linux's); the
 * freestanding build has no errno but posix_memalign still returns WASI's numbers. */
#if defined(WALLOC_FREESTANDING)
#define WL_ENOMEM 48
#define WL_EINVAL 28
#else
#include <errno.h>
#define WL_ENOMEM ENOMEM
#define WL_EINVAL EINVAL
#endif

/* Zeroes `bytes` at `p`, and copies `bytes` from `from` to `to` (which do not overlap). On wasm
 * they are one memory.fill and one memory.copy (bulk memory, in every engine since 2021), which
 * the engine runs as a native memset and memcpy: a loop of stores in wasm is several times
 * slower, and the collector zeroes every block it frees. They also keep libc's memset and
 * memcpy (1.6 KB in wasi-libc) out of a program that needs nothing else of them. The library
 * is built without the feature and these two functions ask for it; wasm's code generator gives
 * a whole file one feature set, so every file that calls them is compiled with bulk memory,
 * and its struct copies and clears become memory.copy and memory.fill too. */
#if defined(__wasm__)
#define WL_BULK_MEMORY __attribute__((target("bulk-memory")))
#else
#define WL_BULK_MEMORY
#endif
WL_BULK_MEMORY static inline void wl_platform_zero(void *p, size_t bytes) {
    __builtin_memset(p, 0, bytes);
}

WL_BULK_MEMORY static inline void wl_platform_copy(void *to, const void *from, size_t bytes) {
    __builtin_memcpy(to, from, bytes);
}

/* count * size in *total; 1 when the product overflows size_t (nothing stored then). On wasm64
 * __builtin_mul_overflow calls __multi3, a 128-bit multiply that no compiler runtime for wasm64
 * supplies (and clang turns a check by division back into that call), so the product is built
 * from 32-bit halves: two high halves overflow at once, else the one cross term must fit in 32
 * bits and the sum must not wrap. */
static inline int wl_mul_overflow(size_t count, size_t size, size_t *total) {
#if defined(__wasm64__)
    uint64_t count_high = count >> 32, size_high = size >> 32;
    if (count_high && size_high) return 1;
    uint64_t cross = count_high * (uint32_t)size + size_high * (uint32_t)count;
    uint64_t low = (uint64_t)(uint32_t)count * (uint32_t)size;
    if (cross >> 32 || low + (cross << 32) < low) return 1;
    *total = low + (cross << 32);
    return 0;
#else
    return __builtin_mul_overflow(count, size, total);
#endif
}

/* Sets wl_memory_base (natively; on wasm it is 0) and returns the offset where the heap may
 * begin (__heap_base). */
wl_off wl_platform_init(void);

/* Current size of linear memory, in wasm pages. */
uint32_t wl_platform_memory_pages(void);

/* Grows linear memory by `pages`; returns the old size in pages, or -1 when refused (by the
 * engine, or by the fault injection of walloc_test_fail_grow_after). */
int64_t wl_platform_grow(uint32_t pages);

#if !defined(__wasm__)
/* Gives the emulated memory back (walloc_test_reset); wl_platform_init may reserve it anew. */
void wl_platform_release(void);
#endif

/* The program's static data, which the collector scans as a root: on wasm [__global_base,
 * __data_end), whichever layout wasm-ld chose; natively the executable's data and bss. */
void wl_platform_data_range(uintptr_t *low, uintptr_t *high);

/* Calls scan(low, high) over the live part of the stack that holds the program's pointers: on
 * wasm the shadow stack from the stack pointer to its top (__heap_base, or __global_base when
 * linked with --stack-first; values held only in wasm locals are not in it), natively the C
 * stack from the caller's frame up, registers spilled into it first. Stale slots below the
 * stack pointer are never scanned. */
void wl_platform_scan_stack(void (*scan)(uintptr_t low, uintptr_t high));

/* Fills `bytes` at `out` with random bytes: WASI's random_get, emscripten's and the native
 * getentropy (crypto.getRandomValues or the kernel's). 0 where there is no source (the
 * freestanding build imports nothing). */
int wl_platform_random(void *out, size_t bytes);

/* Sets errno where the platform has one. */
void wl_platform_set_errno(int code);

/* Writes one line of diagnostics to stderr where there is one. */
void wl_platform_write_error(const char *text, size_t length);

/* Stops the program after a fatal report. */
_Noreturn void wl_platform_trap(void);

/* The threads build (-DWALLOC_THREADS, threads.h) runs one heap behind one lock, with a cache
 * per thread in front of it. The lock is a word taken by an atomic exchange and spun on: wasm
 * code on a browser's main thread may not block (memory.atomic.wait traps there), and every
 * critical section is short (a refill or spill of a thread cache, a medium or large call, a
 * page-layer call), so spinning costs less than a wait/notify pair would; natively the spinner
 * yields the processor now and then. Single-threaded builds compile both to nothing. */
#if defined(WALLOC_THREADS)
extern int wl_lock_word;
/* Set by a fatal report (report.c). The reporting thread may hold the lock when it traps, and
 * will never give it back: a thread waiting for it traps too instead of spinning forever. */
extern int wl_reported;
void wl_platform_pause(void);
static inline void wl_lock(void) {
    while (__atomic_exchange_n(&wl_lock_word, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&wl_lock_word, __ATOMIC_RELAXED)) {
            if (__atomic_load_n(&wl_reported, __ATOMIC_RELAXED)) wl_platform_trap();
            wl_platform_pause();
        }
}
static inline void wl_unlock(void) { __atomic_store_n(&wl_lock_word, 0, __ATOMIC_RELEASE); }

/* Has `fn` called when the calling thread exits, where the platform tells (natively, a pthread
 * key's destructor); on wasm the embedder calls walloc_thread_exit itself. */
void wl_platform_on_thread_exit(void (*fn)(void));
#else
static inline void wl_lock(void) {}
static inline void wl_unlock(void) {}
#endif

#endif
