/* The floor of the benchmarks: the least an allocator can do and still serve each workload.
 *
 * A workload's time is its own work (drawing requests, stamping and checking blocks, missing
 * the cache on a random block) plus the allocator's. This "allocator" does almost nothing, so
 * its time is close to the workload's own: a LIFO free list per 16-byte size (per power of two
 * above 64 KiB), a 16-byte header holding the list, no checks, no statistics, and memory never
 * given back or shared between sizes. No program should use it. Measured in the same run, it
 * tells how far ahead of dlmalloc any allocator could possibly be on that workload, which is
 * what a speed target has to be read against (bench/README.md). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define HEADER 16u
#define STEP_LISTS 4096u     /* sizes up to 64 KiB, one list per 16 bytes */
#define LISTS (STEP_LISTS + 32u)
#define NO_LIST LISTS        /* an over-aligned block: never reused */

extern unsigned char __heap_base;

static void *free_lists[LISTS];
static uintptr_t top, end;

/* The list of a request and the bytes its blocks hold. */
static unsigned list_of(size_t size, size_t *bytes) {
    if (size <= (size_t)STEP_LISTS * 16 - 16) {
        *bytes = size ? (size + 15) & ~(size_t)15 : 16; /* room for the list link */
        return (unsigned)(*bytes >> 4);
    }
    unsigned shift = 64u - (unsigned)__builtin_clzll((unsigned long long)size - 1);
    *bytes = (size_t)1 << shift;
    return STEP_LISTS + shift - 16;
}

static void *carve(size_t bytes) {
    if (!top) {
        top = ((uintptr_t)&__heap_base + 15) & ~(uintptr_t)15;
        end = (uintptr_t)__builtin_wasm_memory_size(0) * 65536;
    }
    if (bytes > SIZE_MAX - top) return NULL;
    uintptr_t start = top, next = top + bytes;
    if (next > end) {
        size_t pages = (next - end + 65535) / 65536;
        if (__builtin_wasm_memory_grow(0, pages) == SIZE_MAX) return NULL;
        end += pages * 65536;
    }
    top = next;
    return (void *)start;
}

void *malloc(size_t size) {
    size_t bytes;
    if (size > ((size_t)1 << 31)) {
        errno = ENOMEM;
        return NULL;
    }
    unsigned list = list_of(size, &bytes);
    void **block = free_lists[list];
    if (block) {
        free_lists[list] = *block;
        return block;
    }
    uint32_t *header = carve(HEADER + bytes);
    if (!header) {
        errno = ENOMEM;
        return NULL;
    }
    header[0] = list;
    header[1] = (uint32_t)bytes;
    return (unsigned char *)header + HEADER;
}

static uint32_t *header_of(void *p) { return (uint32_t *)((unsigned char *)p - HEADER); }

void free(void *p) {
    if (!p) return;
    unsigned list = header_of(p)[0];
    if (list == NO_LIST) return;
    *(void **)p = free_lists[list];
    free_lists[list] = p;
}

size_t malloc_usable_size(void *p) { return p ? header_of(p)[1] : 0; }

void *calloc(size_t count, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = malloc(total);
    if (p) __builtin_memset(p, 0, total);
    return p;
}

void *realloc(void *p, size_t size) {
    if (!p) return malloc(size);
    size_t have = header_of(p)[1];
    if (size <= have) return p;
    /* Doubling, as any allocator's in-place growth amortizes: copying on every step of
     * realloc-growth would make the floor the slowest of all. */
    void *moved = malloc(size > 2 * have ? size : 2 * have);
    if (moved) {
        __builtin_memcpy(moved, p, have);
        free(p);
    }
    return moved;
}

/* Over-aligned requests take a larger block and start at its first aligned address, with a
 * header of their own in front that keeps the block out of the free lists for good. Only the
 * real programs ask, rarely. */
void *aligned_alloc(size_t alignment, size_t size) {
    if (alignment <= HEADER) return malloc(size);
    unsigned char *p = malloc(size + alignment);
    if (!p) return NULL;
    unsigned char *aligned = (unsigned char *)(((uintptr_t)p + alignment - 1) & ~(uintptr_t)(alignment - 1));
    uint32_t bytes = header_of(p)[1] - (uint32_t)(aligned - p);
    header_of(aligned)[0] = NO_LIST;
    header_of(aligned)[1] = bytes;
    return aligned;
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1))) return EINVAL;
    void *p = aligned_alloc(alignment, size);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void *__libc_malloc(size_t size) { return malloc(size); }
void __libc_free(void *p) { free(p); }
void *__libc_calloc(size_t count, size_t size) { return calloc(count, size); }
void *__libc_realloc(void *p, size_t size) { return realloc(p, size); }
