/* walloc.h - memory management for WebAssembly.
 *
 * Linked into a wasm32-wasi program, libwalloc.a replaces wasi-libc's malloc family (dlmalloc
 * is then not linked at all). The freestanding wasm32 build needs no libc and no import but its
 * memory. The native build runs the same core over an emulated linear memory, for sanitizers.
 *
 * Names: every function exists as walloc_<name> in all builds. In the wasm32-wasi and
 * freestanding builds the standard names (malloc, free, calloc, realloc, aligned_alloc,
 * posix_memalign, memalign, malloc_usable_size, and libc's internal __libc_malloc,
 * __libc_free, __libc_calloc, __libc_realloc) are the same functions. The native build keeps
 * only the walloc_ names so that it can live beside the host C library and its sanitizers.
 *
 * Threads: walloc is single-threaded, as wasm32-wasi programs are today. Call it from one
 * thread only.
 *
 * Errors, for every function below:
 *  - exhaustion (the engine refuses memory.grow, the cap of walloc_set_limit() is reached, or a
 *    size cannot be represented) returns NULL with errno = ENOMEM; walloc never traps for it.
 *  - heap corruption detected by a check (a pointer passed to free/realloc/malloc_usable_size
 *    that is not the start of a live block: a double free, an interior, foreign or unaligned
 *    pointer) is fatal: one line `walloc: <what> of 0x<ptr>` goes to stderr (in the
 *    freestanding build it is kept for walloc_last_error()), then the program traps
 *    (`unreachable` on wasm, abort() natively). Nothing is freed after the report.
 */
#ifndef WALLOC_H
#define WALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Returns a block of at least `size` bytes, aligned to 16 when size >= 16 (to 8 below), or
 * NULL with errno = ENOMEM. malloc(0) returns a unique pointer that must be freed. Cost: O(1)
 * for sizes up to 32 KiB (the lowest set bit of the bitmap of its size class's current span);
 * larger
 * blocks are page spans found by best fit in O(log n) bins, growing memory when none fits. */
void *walloc_malloc(size_t size);

/* Releases a block returned by the malloc family; free(NULL) does nothing. Cost: O(1) for
 * small blocks; large spans coalesce with free neighbours in O(1) (plus one page-table write
 * per 4 KiB page when a span changes owner). A pointer that is not the start of a live block
 * (double free, interior, foreign or unaligned pointer) is reported and traps. */
void walloc_free(void *ptr);

/* Returns `count * size` zeroed bytes, or NULL with errno = ENOMEM when the product overflows
 * or memory runs out. Memory fresh from memory.grow is already zero and is not cleared again,
 * so a large calloc costs O(1) when it is served from new memory. */
void *walloc_calloc(size_t count, size_t size);

/* Resizes a block, keeping its contents up to the smaller size. A small block stays in place
 * while it holds `size` and is no more than twice `size`. A large block shrinks in place and
 * grows in place into free memory after it (or new memory at the top of the heap), but moves
 * to a size class when `size` drops to 32 KiB or less. Otherwise the block moves (one copy).
 * realloc(NULL, n) is malloc(n); realloc(p, 0) returns a minimal block (never NULL while
 * memory lasts) that must still be freed. On failure it returns NULL with errno = ENOMEM and
 * leaves the old block untouched. Invalid pointers trap as in free(). */
void *walloc_realloc(void *ptr, size_t size);

/* Returns `size` bytes aligned to `alignment`, which must be a power of two (any power up to
 * 2 GiB; a non-power of two fails with EINVAL). Alignments up to 4 KiB are served from size
 * classes whose blocks fall on that alignment; larger ones carve an aligned span and give the
 * rest back. Errors: NULL with errno = EINVAL or ENOMEM. */
void *walloc_aligned_alloc(size_t alignment, size_t size);

/* Same as aligned_alloc (the obsolete name some code still calls). */
void *walloc_memalign(size_t alignment, size_t size);

/* Stores an aligned block in *out and returns 0; returns EINVAL when `alignment` is not a power
 * of two multiple of sizeof(void *), ENOMEM when memory runs out. On error *out is untouched. */
int walloc_posix_memalign(void **out, size_t alignment, size_t size);

/* Returns the usable size of a live block (its size class or span, >= the request), 0 for
 * NULL. O(1). A pointer that is not a live block traps as in free(). */
size_t walloc_malloc_usable_size(void *ptr);

/* Caps the linear memory the heap may grow to, in bytes (rounded down to 64 KiB pages; the
 * cap counts all of linear memory, static data included). Returns the previous cap. The
 * default is 4 GiB, i.e. whatever the engine allows. A cap below the memory already in use
 * stops further growth; nothing is given back. */
size_t walloc_set_limit(size_t bytes);

struct walloc_stats {
    size_t heap_bytes;      /* linear memory the heap owns: from its first page to its end */
    size_t live_bytes;      /* usable bytes of live blocks */
    size_t peak_live_bytes; /* highest live_bytes seen */
    size_t free_bytes;      /* free pages plus free blocks in partly used spans */
    size_t meta_bytes;      /* page table leaves and span descriptors */
    size_t alloc_count;     /* successful allocations (malloc, calloc, realloc that moved...) */
    size_t free_count;      /* blocks released */
    size_t grow_count;      /* successful memory.grow calls */
    size_t memory_bytes;    /* current size of linear memory */
};

/* Fills *out with the counters above. O(1): they are kept up to date on every call. */
void walloc_get_stats(struct walloc_stats *out);

/* Walks the whole heap (every span, bitmap, free list and page-table entry) and returns 0 when
 * it is consistent, a negative code otherwise, with a one-line message on stderr and in
 * walloc_last_error(). Cost: O(heap size / 4 KiB + live small blocks / 64); meant for tests. */
int walloc_check(void);

/* The last error message walloc produced (a fatal report or a failed walloc_check), or "" when
 * none. The freestanding build has no stderr: a host reads the message here after the trap. */
const char *walloc_last_error(void);

/* ---- Testing hooks. For test suites only: a program in production never calls these. ---- */

/* Fault injection: the next `allowed` calls walloc makes to memory.grow go to the engine as
 * usual, the `refused` calls after them fail as if the engine had refused (SIZE_MAX: every
 * call, until this function is called again), and later calls go to the engine again. So
 * (n, 1) fails only the (n+1)th call, (n, SIZE_MAX) every call from the (n+1)th on, and
 * (SIZE_MAX, 0) turns the injection off, which is the initial state. A refused grow is
 * handled like real exhaustion: the allocation returns NULL with errno = ENOMEM and the heap
 * stays consistent. Returns how many calls the previous setting refused. O(1); the check costs
 * one comparison per memory.grow, so the hook is present in every build. */
size_t walloc_test_fail_grow_after(size_t allowed, size_t refused);

#if !defined(__wasm__)
/* Native build only: forgets the whole heap, as if the program had just started. Every block
 * becomes invalid and the emulated memory is given back; the next call reserves it anew. For
 * a fuzzer, so that each input runs on a fresh heap and a crash reproduces from its input
 * alone. Cost: one munmap. (wasm memory cannot shrink, so the wasm builds have no such hook.) */
void walloc_test_reset(void);
#endif

#if defined(__wasm__)
void *malloc(size_t size);
void free(void *ptr);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);
void *aligned_alloc(size_t alignment, size_t size);
void *memalign(size_t alignment, size_t size);
int posix_memalign(void **out, size_t alignment, size_t size);
size_t malloc_usable_size(void *ptr);
#endif

#ifdef __cplusplus
}
#endif

#endif
