/* Shared by the GC benchmarks (the .c files of bench/gc/). Each program uses bdwgc's C API only, through
 * "gc.h" (and "gc_typed.h") as found on the include path: the same source links against
 * bdwgc's headers and libgc.a, or against walloc's include/ and libwalloc.a. Built with
 * -DGC_FLOOR, a program frees what it drops with free() instead and links against wasi-libc's
 * malloc: the floor, what the workload costs with explicit memory management.
 *
 * A program prints one line for bench/gc/run.mjs:
 *   result ms=... gc=... heap=... mem=... checksum=... [more key=value pairs]
 * ms: the workload's time (GC_INIT excluded); gc: collections (GC_get_gc_no); heap: the peak
 * of GC_get_heap_size over the samples the program takes; mem: the linear memory at the end,
 * which is its peak, as wasm memory never shrinks; checksum: a digest of what the workload
 * computed, which must be the same for every collector. The floor reports gc=0 heap=0. */
#ifndef GC_BENCH_HARNESS_H
#define GC_BENCH_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef GC_FLOOR
#include "gc.h"
#endif

static inline void fail(const char *what) {
    fprintf(stderr, "%s\n", what);
    exit(2);
}

#ifdef GC_FLOOR
static inline void *gc_alloc(size_t size) {
    void *block = malloc(size);
    if (!block) fail("out of memory");
    return block;
}
#define gc_alloc_atomic gc_alloc
static inline void gc_drop(void *block) { free(block); }
static inline void gc_start(void) {}
static inline unsigned long gc_count(void) { return 0; }
static inline size_t gc_heap_size(void) { return 0; }
#else
static inline void *gc_alloc(size_t size) {
    void *block = GC_malloc(size);
    if (!block) fail("out of memory");
    return block;
}
static inline void *gc_alloc_atomic(size_t size) {
    void *block = GC_malloc_atomic(size);
    if (!block) fail("out of memory");
    return block;
}
/* Dropping is forgetting: the collector finds the block unreachable. */
static inline void gc_drop(void *block) { (void)block; }
static inline void gc_start(void) {
#ifdef GC_INIT
    GC_INIT();
#endif
}
static inline unsigned long gc_count(void) { return (unsigned long)GC_get_gc_no(); }
static inline size_t gc_heap_size(void) { return GC_get_heap_size(); }
#endif

static size_t peak_heap;

/* Called where the heap is likely at its largest: GC_get_heap_size is cheap, but no program
 * calls it per allocation. */
static inline void sample_heap(void) {
    size_t heap = gc_heap_size();
    if (heap > peak_heap) peak_heap = heap;
}

static inline double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* FNV-1a, a word at a time. */
static inline uint32_t digest(uint32_t hash, uint32_t value) {
    for (int i = 0; i < 4; i++) hash = (hash ^ ((value >> (8 * i)) & 0xff)) * 0x01000193u;
    return hash;
}
#define DIGEST_START 0x811c9dc5u

static inline long arg_or(int argc, char **argv, int index, long fallback) {
    if (argc <= index) return fallback;
    char *end;
    long value = strtol(argv[index], &end, 10);
    if (*end || value <= 0) {
        fprintf(stderr, "bad argument: %s\n", argv[index]);
        exit(2);
    }
    return value;
}

/* xorshift32: the same values on every run and with every collector. */
static inline uint32_t next_random(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* Prints the result line; `extra` is "" or more " key=value" pairs. */
static inline void report(double ms, uint32_t checksum, const char *extra) {
    sample_heap();
    unsigned long long memory = (unsigned long long)__builtin_wasm_memory_size(0) * 65536u;
    printf("result ms=%.3f gc=%lu heap=%zu mem=%llu checksum=%08x%s\n", ms, gc_count(), peak_heap, memory,
           (unsigned)checksum, extra);
}

#endif
