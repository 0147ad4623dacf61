/* malloc.c - the public malloc family: picks small, medium or large, checks pointers, reports
 * misuse.
 * The secure build's checks (secure.h) enter through hand_out, retire, out_of_memory and the
 * quarantine test in live_block; in the default build they compile to nothing. So do the
 * threads build's (threads.h): its thread caches in front of malloc and free, the lock around
 * everything else, and the claimed bit of small blocks. */
#include "walloc.h"
#include "large.h"
#include "medium.h"
#include "pages.h"
#include "platform.h"
#include "report.h"
#include "secure.h"
#include "small.h"
#include "threads.h"

/* Whether `off` is the start of a live block of in-use span `s` (NULL when the map has none);
 * *index receives the block index in a small span. */
static inline int starts_live_block(const struct span *s, wl_off off, int *index) {
    if (!s) return 0;
    if (__builtin_expect(s->kind == SPAN_SMALL, 1)) {
        *index = wl_small_index(s, off);
        return *index >= 0 && !wl_small_is_free(s, (unsigned)*index) && !wl_thread_is_claimed(s, (unsigned)*index);
    }
    if (wl_is_medium(s)) return wl_medium_is_live(s, off);
    return off == wl_span_start(s);
}

/* Stops the program over a pointer that is not a live block: `freed_what` when it points at a
 * freed small block, into a free medium block or at the start of a page of free heap memory,
 * `invalid_what` otherwise. */
_Noreturn static void report_bad_pointer(void *ptr, const char *freed_what,
                                         const char *invalid_what) {
    wl_off off = wl_off_of(ptr);
    struct span *s = wl_span_containing(off);
    int freed = s ? (s->kind == SPAN_SMALL && wl_small_index(s, off) >= 0) ||
                        (wl_is_medium(s) && wl_medium_is_free(s, off))
                  : (off & (WL_SLICE_SIZE - 1)) == 0 && wl_is_free_memory(off);
    if (WL_CANARY_SIZE && s && wl_secure_held(ptr)) freed = 1;
    wl_fatal(freed ? freed_what : invalid_what, ptr);
}

/* The span of the live block `ptr` starts, and its block index when small; anything else is
 * reported and the program stops. A block in the secure build's quarantine is freed, though
 * its span still counts it in use. Forced inline: left to itself clang called it from free
 * and realloc, which cost random actions and realloc growth 6-10 % under V8. */
static inline __attribute__((always_inline)) struct span *live_block(void *ptr, int *index,
                                                                     const char *freed_what,
                                                                     const char *invalid_what) {
    wl_off off = wl_off_of(ptr);
    struct span *s = wl_span_containing(off);
    if (__builtin_expect(!starts_live_block(s, off, index) || wl_secure_held(ptr), 0))
        report_bad_pointer(ptr, freed_what, invalid_what);
    return s;
}

/* live_block as a call, shared by realloc and malloc_usable_size: realloc costs a copy or a
 * resize besides, and a third inlined check would cost the module 200 bytes. */
static __attribute__((noinline)) struct span *live_block_called(void *ptr, int *index, const char *freed_what,
                                                               const char *invalid_what) {
    return live_block(ptr, index, freed_what, invalid_what);
}

static inline void release_block(void *p, struct span *s, int index) {
    if (__builtin_expect(s->kind == SPAN_SMALL, 1)) wl_small_free(s, (unsigned)index);
    else if (wl_is_medium(s)) wl_medium_free(s, wl_off_of(p));
    else wl_large_free(s);
}

/* What the program may use of the live block `p` of span `s`: the secure build keeps its last
 * bytes for the canary. */
static size_t usable_size(const void *p, const struct span *s) {
    size_t bytes = s->kind == SPAN_SMALL ? wl_classes[s->size_class].size
                   : wl_is_medium(s)     ? wl_medium_usable(wl_off_of(p))
                                         : (size_t)s->count << WL_SLICE_SHIFT;
    return bytes - WL_CANARY_SIZE;
}

/* A block of `usable` bytes on its way to the program: the secure build checks a reused small
 * block for writes after free and sets its canary. Callers pass what they know of the block,
 * so the hot path does not look its span up again. */
static inline void *hand_out(void *p, size_t usable, int small) {
    wl_secure_handout(p, usable, small);
    return p;
}

static inline void *hand_out_small(void *p, unsigned cls) {
    if (WL_THREADED) {
        struct span *s = wl_span_containing(wl_off_of(p));
        wl_thread_unclaim(s, (unsigned)wl_small_index(s, wl_off_of(p)));
    }
    return hand_out(p, wl_classes[cls].size - WL_CANARY_SIZE, 1);
}

static inline void *hand_out_large(void *p) {
    if (WL_CANARY_SIZE) hand_out(p, usable_size(p, wl_span_containing(wl_off_of(p))), 0);
    return p;
}

/* Frees the live block `ptr` (of span `s`, index `index` when small). The secure build queues
 * it in the quarantine instead and frees the block that leaves it, if any. The threads build
 * first claims a small block: another thread may be freeing it too. */
WL_INLINE void retire(void *ptr, struct span *s, int index) {
    if (s->kind == SPAN_SMALL && !wl_thread_claim(s, (unsigned)index)) wl_fatal("double free", ptr);
    struct wl_freed block = { ptr, s, index, WL_CANARY_SIZE ? usable_size(ptr, s) : 0 }, leaving;
    if (wl_secure_retire(&block, &leaving)) release_block(leaving.p, leaving.span, leaving.index);
}

static void *allocate(size_t size, size_t alignment, int clear);

/* A medium block; when the medium spans have no room and no new one can be had (memory is
 * capped or refused), a span of its own as a large block gets: free slices too few for a
 * medium span may still hold it. */
static void *medium_or_large(size_t need) {
    void *p = wl_medium_alloc(need);
    return p ? p : wl_large_alloc(need, 1);
}

/* A request memory could not serve. What is held back for speed goes back (the empty medium
 * span kept for the next medium block, whose place may split the run the request needs, and
 * what the secure build's quarantine holds, if that could help) and the request is tried once
 * more; otherwise it fails with ENOMEM. */
static void *out_of_memory(size_t size, size_t alignment, int clear) {
    int released = wl_medium_release_spare();
    if (wl_secure_drain(wl_secure_size(size))) released = 1;
    if (released) return allocate(size, alignment, clear);
    wl_platform_set_errno(WL_ENOMEM);
    return NULL;
}

#ifdef WALLOC_SECURE
/* An upper bound of what emptying the quarantine could make available: every free byte, every
 * quarantined one and what memory may still grow by. */
static uint64_t drained_room(void) {
    struct walloc_stats s;
    walloc_get_stats(&s);
    uint64_t memory = (uint64_t)wl_platform_memory_pages() * WL_WASM_PAGE_SIZE;
    uint64_t limit = (uint64_t)wl_heap.limit_pages * WL_WASM_PAGE_SIZE;
    return s.free_bytes + wl_quarantine.bytes + (limit > memory ? limit - memory : 0);
}

int wl_secure_drain(size_t need) {
    if (!wl_quarantine.count || need > WL_MAX_REQUEST + WL_CANARY_SIZE || need > drained_room())
        return 0;
    for (struct wl_freed block; wl_secure_flush_one(&block);) release_block(block.p, block.span, block.index);
    return 1;
}
#endif

/* A block of `size` bytes at `alignment` (a power of two); zero-filled when `clear`. malloc
 * has its own shorter path: no alignment search, no clearing. */
static void *allocate(size_t size, size_t alignment, int clear) {
    void *p;
    size_t need = wl_secure_size(size);
    if (need > WL_CLASSED_MAX && need <= WL_MEDIUM_MAX && alignment <= WL_GRANULE) {
        p = medium_or_large(need);
    } else if (need <= WL_SMALL_MAX && alignment <= WL_SLICE_SIZE) {
        /* Blocks start at multiples of their size from a slice boundary, so a class whose size
         * is a multiple of the alignment yields aligned blocks; powers of two always qualify. */
        unsigned cls = wl_class_of(need > alignment ? need : alignment);
        while (wl_classes[cls].size % alignment) cls++;
        p = wl_small_alloc(cls);
        if (p) p = hand_out_small(p, cls);
    } else {
        p = wl_large_alloc(need, alignment);
        if (p) p = hand_out_large(p);
    }
    if (__builtin_expect(!p, 0)) return out_of_memory(size, alignment, clear);
    if (clear) {
        const struct span *s = wl_span_containing(wl_off_of(p));
        if (s->kind == SPAN_SMALL || !s->zeroed) wl_platform_zero(p, size);
    }
    return p;
}

WL_INLINE void *heap_malloc(size_t size) {
    size_t need = wl_secure_size(size);
    if (need <= WL_CLASSED_MAX) {
        unsigned cls = wl_class_of(need);
        void *p = wl_small_alloc(cls);
        if (__builtin_expect(p != NULL, 1)) return hand_out_small(p, cls);
    } else if (need <= WL_MEDIUM_MAX) {
        /* No hand_out: the secure build, the only one it does anything in, has no medium range. */
        void *p = medium_or_large(need);
        if (p) return p;
    } else {
        void *p = wl_large_alloc(need, 1);
        if (p) return hand_out_large(p);
    }
    return out_of_memory(size, 1, 0);
}

/* The public functions take the threads build's lock around the heap (platform.h), except
 * where a thread's cache serves them; in other builds the lock is nothing. */
void *walloc_malloc(size_t size) {
    void *p;
    if (WL_THREADED && size <= WL_CLASSED_MAX && (p = wl_thread_alloc(wl_class_of(size)))) return p;
    wl_lock();
    p = heap_malloc(size);
    wl_unlock();
    return p;
}

void walloc_free(void *ptr) {
    if (!ptr || wl_thread_free(ptr)) return;
    wl_lock();
    int index;
    struct span *s = live_block(ptr, &index, "double free", "invalid free");
    retire(ptr, s, index);
    wl_unlock();
}

static void *allocate_locked(size_t size, size_t alignment, int clear) {
    wl_lock();
    void *p = allocate(size, alignment, clear);
    wl_unlock();
    return p;
}

void *walloc_calloc(size_t count, size_t size) {
    size_t total;
    if (wl_mul_overflow(count, size, &total)) {
        wl_platform_set_errno(WL_ENOMEM);
        return NULL;
    }
    return allocate_locked(total, 1, 1);
}

void *walloc_aligned_alloc(size_t alignment, size_t size) {
    if (alignment == 0 || (alignment & (alignment - 1))) {
        wl_platform_set_errno(WL_EINVAL);
        return NULL;
    }
    return allocate_locked(size, alignment, 0);
}

void *walloc_memalign(size_t alignment, size_t size) {
    return walloc_aligned_alloc(alignment, size);
}

int walloc_posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1))) return WL_EINVAL;
    void *p = allocate_locked(size, alignment, 0);
    if (!p) return WL_ENOMEM;
    *out = p;
    return 0;
}

size_t walloc_malloc_usable_size(void *ptr) {
    if (!ptr) return 0;
    int index;
    wl_lock();
    size_t bytes = usable_size(ptr, live_block_called(ptr, &index, "malloc_usable_size after free",
                                                      "invalid malloc_usable_size"));
    wl_unlock();
    return bytes;
}

/* realloc's allocations, made under the lock it holds: the threads build must not take it
 * again. A single-threaded build calls malloc itself, which saves a copy of malloc's code. */
#if WL_THREADED
static __attribute__((noinline)) void *realloc_malloc(size_t size) { return heap_malloc(size); }
#else
#define realloc_malloc walloc_malloc
#endif

static void *heap_realloc(void *ptr, size_t size) {
    int index;
    struct span *s = live_block_called(ptr, &index, "realloc after free", "invalid realloc");
    size_t usable = usable_size(ptr, s);
    wl_secure_check_canary(ptr, usable);
    if (s->kind == SPAN_SMALL) {
        /* Stay while the block is no more than twice what is asked. */
        if (size <= usable && size >= usable / 2) return ptr;
    } else if (wl_is_medium(s)) {
        /* A medium block grows in place up to the medium limit and shrinks in place always. */
        if ((size <= WL_MEDIUM_MAX || size <= usable) && wl_medium_resize(wl_off_of(ptr), size)) return ptr;
    } else if (size > WL_SMALL_MAX && wl_large_resize(s, wl_secure_size(size))) {
        /* A large block stays a span down to WL_SMALL_MAX: under a slice of waste, no copy. */
        return hand_out(ptr, usable_size(ptr, s), 0);
    }
    /* A block past WL_CLASSED_MAX that moves to grow by less than an eighth gets an eighth more
     * than asked, the room a size class would give it: a medium or large block otherwise fits
     * its request closely, and a buffer growing in small steps would move at every step. A
     * program that grows its buffers by doubling gets exactly what it asks for. */
    void *moved = NULL;
    int room = size > usable && size > WL_CLASSED_MAX && size - usable < usable / 8;
    if (room && size / 8 <= SIZE_MAX - size) moved = realloc_malloc(size + size / 8);
    if (!moved && !(moved = realloc_malloc(size))) return NULL;
    wl_platform_copy(moved, ptr, size < usable ? size : usable);
    retire(ptr, s, index);
    return moved;
}

void *walloc_realloc(void *ptr, size_t size) {
    if (!ptr) return walloc_malloc(size);
    wl_lock();
    void *p = heap_realloc(ptr, size);
    wl_unlock();
    return p;
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
