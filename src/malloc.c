/* malloc.c - the public malloc family: picks small or large, checks pointers, reports misuse. */
#include "walloc.h"
#include "large.h"
#include "pages.h"
#include "platform.h"
#include "report.h"
#include "small.h"

/* Whether `off` is the start of a live block of in-use span `s` (NULL when the map has none);
 * *index receives the block index in a small span. */
static inline int starts_live_block(const struct span *s, wl_off off, int *index) {
    if (!s) return 0;
    if (s->kind != SPAN_SMALL) return off == wl_span_start(s);
    *index = wl_small_index(s, off);
    return *index >= 0 && !wl_small_is_free(s, (unsigned)*index);
}

/* Stops the program over a pointer that is not a live block: `freed_what` when it points at a
 * freed small block or at the start of a page of free heap memory, `invalid_what` otherwise. */
_Noreturn static void report_bad_pointer(void *ptr, const char *freed_what,
                                         const char *invalid_what) {
    wl_off off = wl_off_of(ptr);
    struct span *s = wl_span_containing(off);
    int freed = s ? s->kind == SPAN_SMALL && wl_small_index(s, off) >= 0
                  : (off & (WL_SLICE_SIZE - 1)) == 0 && wl_is_free_memory(off);
    wl_fatal(freed ? freed_what : invalid_what, ptr);
}

/* The span of the live block `ptr` starts, and its block index when small; anything else is
 * reported and the program stops. */
static inline struct span *live_block(void *ptr, int *index, const char *freed_what,
                                      const char *invalid_what) {
    wl_off off = wl_off_of(ptr);
    struct span *s = wl_span_containing(off);
    if (__builtin_expect(!starts_live_block(s, off, index), 0))
        report_bad_pointer(ptr, freed_what, invalid_what);
    return s;
}

static inline void release_block(struct span *s, int index) {
    if (s->kind == SPAN_SMALL) wl_small_free(s, (unsigned)index);
    else wl_large_free(s);
}

/* A block of `size` bytes at `alignment` (a power of two); zero-filled when `clear`. malloc
 * has its own shorter path: no alignment search, no clearing. */
static void *allocate(size_t size, size_t alignment, int clear) {
    void *p;
    if (size <= WL_SMALL_MAX && alignment <= WL_SLICE_SIZE) {
        /* Blocks start at multiples of their size from a slice boundary, so a class whose size
         * is a multiple of the alignment yields aligned blocks; powers of two always qualify. */
        unsigned cls = wl_class_of(size > alignment ? size : alignment);
        while (wl_classes[cls].size % alignment) cls++;
        p = wl_small_alloc(cls);
    } else {
        p = wl_large_alloc(size, alignment);
    }
    if (__builtin_expect(!p, 0)) wl_platform_set_errno(WL_ENOMEM);
    else if (clear && !wl_span_containing(wl_off_of(p))->zeroed) __builtin_memset(p, 0, size);
    return p;
}

void *walloc_malloc(size_t size) {
    void *p;
    if (size <= WL_SMALL_MAX) p = wl_small_alloc(wl_class_of(size));
    else p = wl_large_alloc(size, 1);
    if (!p) wl_platform_set_errno(WL_ENOMEM);
    return p;
}

void walloc_free(void *ptr) {
    if (!ptr) return;
    int index;
    release_block(live_block(ptr, &index, "double free", "invalid free"), index);
}

void *walloc_calloc(size_t count, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) {
        wl_platform_set_errno(WL_ENOMEM);
        return NULL;
    }
    return allocate(total, 1, 1);
}

void *walloc_aligned_alloc(size_t alignment, size_t size) {
    if (alignment == 0 || (alignment & (alignment - 1))) {
        wl_platform_set_errno(WL_EINVAL);
        return NULL;
    }
    return allocate(size, alignment, 0);
}

void *walloc_memalign(size_t alignment, size_t size) {
    return walloc_aligned_alloc(alignment, size);
}

int walloc_posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1))) return WL_EINVAL;
    void *p = allocate(size, alignment, 0);
    if (!p) return WL_ENOMEM;
    *out = p;
    return 0;
}

static size_t usable_size(const struct span *s) {
    return s->kind == SPAN_SMALL ? wl_classes[s->size_class].size : (size_t)s->count << WL_SLICE_SHIFT;
}

size_t walloc_malloc_usable_size(void *ptr) {
    if (!ptr) return 0;
    int index;
    return usable_size(live_block(ptr, &index, "malloc_usable_size after free",
                                  "invalid malloc_usable_size"));
}

void *walloc_realloc(void *ptr, size_t size) {
    if (!ptr) return walloc_malloc(size);
    int index;
    struct span *s = live_block(ptr, &index, "realloc after free", "invalid realloc");
    size_t usable = usable_size(s);
    if (s->kind == SPAN_SMALL) {
        /* Stay while the block is no more than twice what is asked. */
        if (size <= usable && size >= usable / 2) return ptr;
    } else if (size > WL_SMALL_MAX && wl_large_resize(s, size)) {
        return ptr;
    }
    void *moved = walloc_malloc(size);
    if (!moved) return NULL;
    __builtin_memcpy(moved, ptr, size < usable ? size : usable);
    release_block(s, index);
    return moved;
}

#if defined(__wasm__)
/* The standard names are the same functions, so wasi-libc's dlmalloc is never pulled in. */
#define WL_ALIAS(name, target) __typeof__(target) name __attribute__((alias(#target)))
WL_ALIAS(malloc, walloc_malloc);
WL_ALIAS(free, walloc_free);
WL_ALIAS(calloc, walloc_calloc);
WL_ALIAS(realloc, walloc_realloc);
WL_ALIAS(aligned_alloc, walloc_aligned_alloc);
WL_ALIAS(memalign, walloc_memalign);
WL_ALIAS(posix_memalign, walloc_posix_memalign);
WL_ALIAS(malloc_usable_size, walloc_malloc_usable_size);
WL_ALIAS(__libc_malloc, walloc_malloc);
WL_ALIAS(__libc_free, walloc_free);
WL_ALIAS(__libc_calloc, walloc_calloc);
WL_ALIAS(__libc_realloc, walloc_realloc);
#endif
