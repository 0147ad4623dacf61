/* threads.h - the threads build: a cache of small blocks per thread in front of one locked heap.
 *
 * Built with -DWALLOC_THREADS (build/wasm32-threads, build/native-threads), walloc serves
 * several threads on one memory. The heap itself (the page layer, spans, medium and large
 * blocks, tiers' growth, the stats and the check) stays the single-threaded code behind one lock
 * (platform.h). What scales is the small blocks (up to WL_CLASSED_MAX), where programs spend
 * their calls: each thread keeps, per size class, a stack of up to WL_CACHE_DEPTH blocks of its
 * own. malloc pops one, free pushes one, neither takes the lock; an empty stack takes half a
 * stack's worth from the heap under the lock in one go, a full one gives the older half back.
 * So a thread that frees what it allocated, or what another thread handed it, runs without the
 * lock almost always, and a producer/consumer pair takes it once per half stack.
 *
 * The stacks hold (span, index) pairs out of line, as the heap's stack of recent frees does:
 * there is no link inside a free block for a stray write to forge.
 *
 * Misuse across threads: every small span has a second bitmap, claimed_bits (types.h). A block's
 * bit is clear while the program holds the block and set while it is free in the heap or sits
 * in some thread's stack. A free sets it with one atomic fetch-or, and finding it set already is
 * a double free: of two threads freeing one block at once exactly one sees the bit clear, and
 * the other reports. Handing a block out clears the bit with one atomic fetch-and. The heap's
 * own free bitmap is only touched under the lock and counts cached blocks as live; the check
 * compares the two.
 *
 * What a thread's stacks hold counts as free in the stats: live bytes, free bytes and the
 * alloc/free counts are the heap's counters corrected by every enrolled thread's stacks and push
 * and spill counts, read under the lock. A thread enrolls on its first slow path and leaves with
 * walloc_thread_exit (natively also when it exits), which gives its blocks back and folds its
 * counts into the heap's.
 *
 * Single-threaded builds see the inline stubs at the end: the hooks cost nothing there.
 */
#ifndef WALLOC_THREADS_H
#define WALLOC_THREADS_H

#include "types.h"

#if defined(WALLOC_THREADS)

#if defined(WALLOC_SECURE)
#error "the secure build has no threads build (its quarantine is one global queue)"
#endif

#include "report.h"
#include "small.h"

/* Every class is cached: the threads build serves all of them to malloc (types.h). A stack holds
 * up to WL_CACHE_DEPTH blocks, fewer of the larger classes (WL_CACHE_BYTES' worth, at least
 * two), so that a thread holds at most about 2 MiB; half a stack's worth is what a refill takes
 * and a spill gives back. With 16 KiB' worth, random actions (blocks of 1 to 10 000 bytes) took
 * the lock at one call in five and ran no faster on two threads than on one; with 64 KiB' worth
 * at one in forty, and 1.8 times as fast on two (natively). */
#define WL_CACHED_CLASSES WL_CLASS_COUNT
#define WL_CACHE_DEPTH 16
#define WL_CACHE_BYTES 65536
_Static_assert(WL_CLASSED_MAX == WL_SMALL_MAX, "every class is cached");

struct wl_thread {
    uint8_t count[WL_CACHED_CLASSES]; /* blocks in each class's stack */
    uint8_t depth[WL_CACHED_CLASSES]; /* how many each may hold once the thread is enrolled
                                      (never 0: at least 2), 0 before: the first free then takes
                                      the slow path, which enrolls the thread */
    size_t pushes;                 /* frees that went into the stacks */
    size_t spills;                 /* blocks the stacks gave back to the heap */
    struct wl_thread *next, *prev; /* the enrolled threads, under the lock */
    struct span *serving[WL_CACHED_CLASSES]; /* the span each refill takes from, serving this
                                      thread alone (WL_GROUP_THREAD) */
    struct span *partial[WL_CACHED_CLASSES]; /* rings of this thread's other spans with free
                                      blocks (WL_GROUP_OWNED), which the next refills use */
    uint8_t number;                /* what its spans' `owner` holds: 1..WL_OWNERS - 1, or 0 when
                                      every number is taken and its spans are nobody's */
    struct recent_block blocks[WL_CACHED_CLASSES][WL_CACHE_DEPTH];
};

extern _Thread_local struct wl_thread wl_self;

/* A thread's own counters, which the stats read under the lock while the thread may be
 * changing them. Natively the store is a relaxed atomic, which costs what a plain store does and
 * tells ThreadSanitizer the race is meant; wasm's atomic store is sequentially consistent (an
 * exchange on x86-64), so there it is a plain store, which wasm defines for racing readers. */
#if defined(__wasm__)
#define WL_OWN_STORE(place, value) ((place) = (value))
#else
#define WL_OWN_STORE(place, value) __atomic_store_n(&(place), (value), __ATOMIC_RELAXED)
#endif

/* 1 when block `index` of `s` was the program's and is now claimed, 0 when it was already
 * free or cached (the caller reports a double free). */
static inline int wl_thread_claim(struct span *s, unsigned index) {
    uint64_t bit = (uint64_t)1 << (index & 63);
    return !(__atomic_fetch_or(&s->claimed_bits[index >> 6], bit, __ATOMIC_ACQ_REL) & bit);
}

static inline void wl_thread_unclaim(struct span *s, unsigned index) {
    __atomic_fetch_and(&s->claimed_bits[index >> 6], ~((uint64_t)1 << (index & 63)), __ATOMIC_RELEASE);
}

static inline int wl_thread_is_claimed(const struct span *s, unsigned index) {
    return (int)((__atomic_load_n(&s->claimed_bits[index >> 6], __ATOMIC_ACQUIRE) >> (index & 63)) & 1);
}

/* Spans belong to the thread that first served from them until it exits: a span whose blocks
 * come back, by whichever thread's free, joins its owner's ring, not the class's, and serves
 * only that thread again. So two threads never get blocks of one span, and never write to one
 * cache line or claimed word between them, unless a block is handed over: with spans shared,
 * churn on two threads ran no faster than on one. A thread that exits gives its numbered spans
 * up (threads.c); its full ones pass to the next thread given its number. */
#define WL_OWNERS 256

/* Under the lock, from small.c: 1 when `s` belongs to a live thread and joined that thread's
 * ring (group WL_GROUP_OWNED); 0 when it belongs to nobody (its owner is cleared) and the
 * caller lists it with its class. */
int wl_thread_keeps(struct span *s);

/* Under the lock, from small.c: 1 when `s` was in its owner's ring and left it, else 0. */
int wl_thread_lets_go(struct span *s);

/* Under the lock: refills the calling thread's stack of class `cls` and returns how many blocks
 * it now holds, 0 when memory ran out (malloc's locked path then reports ENOMEM). */
unsigned wl_thread_refill(unsigned cls);

/* Under the lock: the stack of `s`'s class is full (or the thread not yet enrolled): gives the
 * older half back to the heap, then pushes block `index` of `s`, which the caller claimed. */
void wl_thread_spill(struct span *s, unsigned index);

/* A block of class `cls` (< WL_CACHED_CLASSES) from the calling thread's stack, or NULL when the
 * heap has none to give. */
WL_INLINE void *wl_thread_alloc(unsigned cls) {
    struct wl_thread *t = &wl_self;
    unsigned n = t->count[cls];
    if (__builtin_expect(!n, 0) && !(n = wl_thread_refill(cls))) return NULL;
    struct recent_block b = t->blocks[cls][--n];
    WL_OWN_STORE(t->count[cls], (uint8_t)n);
    wl_thread_unclaim(b.span, b.index);
    return wl_ptr_of(wl_span_start(b.span) + (wl_off)b.index * wl_classes[cls].size);
}

/* Takes the small block `p` into the calling thread's stack and returns 1, or returns 0 when
 * `p` is not the start of a block of a cached class (the caller's locked path decides what it
 * is). Reports a double free when the block is already free or cached. */
WL_INLINE int wl_thread_free(void *p) {
    wl_off off = wl_off_of(p);
    struct span *s = wl_map_get(wl_slice_of(off));
    if (!s || s->kind != SPAN_SMALL || s->size_class >= WL_CACHED_CLASSES) return 0;
    int index = wl_small_index(s, off);
    if (index < 0) return 0;
    if (__builtin_expect(!wl_thread_claim(s, (unsigned)index), 0)) wl_fatal("double free", p);
    struct wl_thread *t = &wl_self;
    unsigned cls = s->size_class, n = t->count[cls];
    if (__builtin_expect(n >= t->depth[cls], 0)) {
        wl_thread_spill(s, (unsigned)index);
        return 1;
    }
    t->blocks[cls][n] = (struct recent_block){ s, (uint32_t)index };
    WL_OWN_STORE(t->count[cls], (uint8_t)(n + 1));
    WL_OWN_STORE(t->pushes, t->pushes + 1);
    return 1;
}

/* What the enrolled threads' stacks change in the heap's counters (stats.c). */
struct wl_thread_totals {
    size_t cached_blocks, cached_bytes;
    size_t pushes, spills;
    size_t owned_spans;          /* serving spans and spans in threads' rings */
};

/* Under the lock: sums every enrolled thread's stacks and counts. */
void wl_thread_totals(struct wl_thread_totals *out);

/* Under the lock, for walloc_check: every free block of small span `s` is claimed; adds its
 * claimed blocks that the heap counts live (those in threads' stacks) to *cached. 0 or a
 * negative code. */
int wl_thread_check_span(const struct span *s, size_t *cached);

/* Under the lock, for walloc_check: the calling thread's stacks hold distinct claimed blocks
 * that the heap counts live; 0 or a negative code. */
int wl_thread_check_own(void);

/* Under the lock, for a new small span: every block is free, so every block is claimed. */
static inline void wl_thread_new_span(struct span *s) {
    for (unsigned w = 0; w < WL_BITMAP_WORDS; w++) s->claimed_bits[w] = s->free_bits[w];
    s->owner = 0;
}

#else

static inline int wl_thread_claim(struct span *s, unsigned index) { (void)s, (void)index; return 1; }
static inline void wl_thread_unclaim(struct span *s, unsigned index) { (void)s, (void)index; }
static inline int wl_thread_is_claimed(const struct span *s, unsigned index) { (void)s, (void)index; return 0; }
static inline void *wl_thread_alloc(unsigned cls) { (void)cls; return NULL; }
static inline int wl_thread_free(void *p) { (void)p; return 0; }
static inline void wl_thread_new_span(struct span *s) { (void)s; }
static inline int wl_thread_keeps(struct span *s) { (void)s; return 0; }
static inline int wl_thread_lets_go(struct span *s) { (void)s; return 0; }
struct wl_thread_totals {
    size_t cached_blocks, cached_bytes, pushes, spills, owned_spans;
};
static inline void wl_thread_totals(struct wl_thread_totals *out) { *out = (struct wl_thread_totals){ 0 }; }
static inline int wl_thread_check_own(void) { return 0; }
static inline int wl_thread_check_span(const struct span *s, size_t *cached) { (void)s, (void)cached; return 0; }

#endif

#endif
