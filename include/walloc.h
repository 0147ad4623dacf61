/* walloc.h - memory management for WebAssembly.
 *
 * Linked into a wasm32-wasi program, libwalloc.a replaces wasi-libc's malloc family (dlmalloc
 * is then not linked at all). The freestanding wasm32 and wasm64 builds need no libc and no
 * import but their memory; on wasm64 (memory64) the heap, single blocks and tiers grow past
 * 4 GiB. The native build runs the same core over an emulated linear memory, for sanitizers.
 *
 * Names: every function exists as walloc_<name> in all builds. In the wasm32-wasi and
 * freestanding builds the standard names (malloc, free, calloc, realloc, aligned_alloc,
 * posix_memalign, memalign, malloc_usable_size, and libc's internal __libc_malloc,
 * __libc_free, __libc_calloc, __libc_realloc) are the same functions. The native build keeps
 * only the walloc_ names so that it can live beside the host C library and its sanitizers.
 *
 * Threads: the libraries above are single-threaded, as wasm32-wasi programs are today: call
 * them from one thread only. The threads build (build/wasm32-threads/libwalloc.a, freestanding,
 * for modules linked with --shared-memory; build/native-tsan natively, under ThreadSanitizer)
 * may be called from any number of threads at once; compile the program with -DWALLOC_THREADS,
 * which makes walloc_tier_alloc atomic (and a program that forgets fails to link: the threads
 * build names its tier slow path differently). What it promises:
 *  - every function of the malloc family, the stats, the check, the limit and the tier functions
 *    may be called from any thread at any time, and a block may be freed by another thread than
 *    the one that allocated it. Blocks up to 32 KiB come from a cache per size class per thread
 *    (up to 16 blocks, fewer of the larger classes: about 2 MiB per thread at most), without a
 *    lock; the rest takes one lock. Every size up to 32 KiB has a size class there, as in the
 *    secure build, which costs up to an eighth of a block above 1 KiB.
 *  - misuse is reported as above; of two threads freeing one block at once, one reports the
 *    double free. A free racing with the release of a span by another thread's free of a
 *    different, invalid pointer is undefined, as any use of freed memory is.
 *  - a thread that stops allocating should call walloc_thread_exit() (natively and under
 *    emscripten's pthreads it runs by itself when the thread ends): its cached blocks and its
 *    spans go back to the heap. Until then they count as free in the stats but only that thread
 *    can reuse them.
 *  - the collector (gc.h) is single-threaded: one thread makes every GC_ call, and only that
 *    thread's stack is scanned; other threads may use malloc and tiers meanwhile.
 *  - the secure build has no threads build.
 *
 * Errors, for every function below:
 *  - exhaustion (the engine refuses memory.grow, the cap of walloc_set_limit() is reached, or a
 *    size cannot be represented) returns NULL with errno = ENOMEM; walloc never traps for it.
 *    So does every request above WALLOC_MAX_REQUEST, even where memory could hold it.
 *  - heap corruption detected by a check (a pointer passed to free/realloc/malloc_usable_size
 *    that is not the start of a live block: a double free, an interior, foreign or unaligned
 *    pointer) is fatal: one line `walloc: <what> of 0x<ptr>` goes to stderr (in the
 *    freestanding build it is kept for walloc_last_error()), then the program traps
 *    (`unreachable` on wasm, abort() natively). Nothing is freed after the report.
 *
 * The secure build (libwalloc-secure.a, the same API) adds checks wasm's lack of an MMU
 * otherwise leaves out, each fatal like the above: an 8-byte canary after every block, keyed
 * by a secret and the address, checked by free, realloc and walloc_check, so a write into the
 * first 8 bytes past malloc_usable_size() is reported (`walloc: heap overflow past 0x<block>
 * (canary)`); the first 32 bytes of every freed block filled, and checked when a small block
 * is handed out again or a large one leaves the quarantine (`walloc: write after free of
 * 0x<block>`, whatever was written, zeros included); and a quarantine of the last 64 freed
 * blocks (up to 4 MiB, blocks up to 256 KiB), so a double free is caught after other
 * allocations too. Whether a block is in the quarantine is kept out of band: a write after
 * free cannot make it pass for live. Its differences: malloc_usable_size() is 8 bytes less than
 * the block, walloc_get_stats() counts canaries and quarantined blocks as live, and an
 * allocation (malloc's family, walloc_tier_alloc, walloc_tiers_create) that finds memory
 * exhausted first empties the quarantine and tries again, unless the request exceeds every
 * free, quarantined and growable byte together (such a request fails with ENOMEM and leaves the
 * quarantine as it was, so no request size can switch the double-free check off). Tier memory
 * has none of these checks.
 */
#ifndef WALLOC_H
#define WALLOC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The largest block any allocating function hands out (malloc, calloc, realloc, aligned_alloc,
 * memalign, posix_memalign, walloc_tier_alloc). On wasm32 it is PTRDIFF_MAX, 2 GiB - 1: the
 * difference of two pointers into a larger block would overflow ptrdiff_t, which is undefined
 * and which compilers do exploit (clang folds `p + n > p` to `(int)n > 0`), so larger requests
 * fail with ENOMEM as glibc, mimalloc and dlmalloc refuse them. The native build, which emulates
 * a wasm32 memory, has the same limit. On wasm64 ptrdiff_t has 64 bits and the limit is walloc's
 * ceiling of linear memory, 1 TiB - 1 (the engine's own limit, 16 GiB in V8, comes first): sizes
 * past 4 GiB are served, and every size computation (calloc's product, rounding, canaries) is
 * checked at 64 bits. */
#if defined(__wasm64__)
#define WALLOC_MAX_REQUEST (((size_t)1 << 40) - 1)
#else
#define WALLOC_MAX_REQUEST ((size_t)0x7FFFFFFF)
#endif

/* Returns a block of at least `size` bytes, aligned to 16 when size >= 16 (to 8 below), or
 * NULL with errno = ENOMEM. malloc(0) returns a unique pointer that must be freed. Cost, by
 * size: up to 1 KiB O(1), the block of its size class freed last while a short stack of such
 * frees holds one (likely still in the cache), else the lowest set bit of the bitmap of the
 * class's current span (classes round up by at most an eighth); up to 64 KiB O(1), a block cut
 * at the request rounded to 16 bytes plus a 4-byte header from shared medium spans, found
 * through two bitmaps of free-block bins; larger blocks are page spans found by best fit in
 * O(log n) bins. Memory grows when nothing fits. The secure build serves everything up to 32
 * KiB from size classes, which carry no header to corrupt. */
void *walloc_malloc(size_t size);

/* Releases a block returned by the malloc family; free(NULL) does nothing. Cost: O(1) for
 * small blocks (a bit in its span's bitmap, and a slot in its class's stack of recent frees);
 * medium blocks merge with free neighbours in O(1), and a medium span left empty goes back to
 * the page pool (one is kept); large spans coalesce with free neighbours in O(1) (plus one
 * page-table write per 4 KiB page when a span changes owner). A pointer that is not
 * the start of a live block (double free, interior, foreign or unaligned pointer) is reported
 * and traps; for medium blocks that is decided by a bitmap outside the blocks, never by what
 * the memory before the pointer holds. */
void walloc_free(void *ptr);

/* Returns `count * size` zeroed bytes, or NULL with errno = ENOMEM when the product overflows
 * or memory runs out. Memory fresh from memory.grow is already zero and is not cleared again,
 * so a large calloc costs O(1) when it is served from new memory. */
void *walloc_calloc(size_t count, size_t size);

/* Resizes a block, keeping its contents up to the smaller size. A small block stays in place
 * while it holds `size` and is no more than twice `size`. A medium block shrinks in place
 * (freeing its tail once that is an eighth of it or more) and grows in place into a free block
 * after it, up to 64 KiB, taking up to 256 bytes more than asked so that a buffer grown in
 * small steps is resized once per 256 bytes. A large block shrinks in place and grows in place into free memory
 * after it (or new memory at the top of the heap), but moves when `size` drops to 32 KiB or
 * less. Otherwise the block moves (one copy); a block past 1 KiB that moves to grow by less
 * than an eighth is given an eighth more, so a buffer grown in small steps moves rarely.
 * realloc(NULL, n) is malloc(n); realloc(p, 0) returns a minimal block (never NULL while
 * memory lasts) that must still be freed. On failure it returns NULL with errno = ENOMEM and
 * leaves the old block untouched. Invalid pointers trap as in free(). */
void *walloc_realloc(void *ptr, size_t size);

/* Returns `size` bytes aligned to `alignment`, which must be a power of two (any power up to
 * 2 GiB; a non-power of two fails with EINVAL). Alignments up to 16 are served as malloc
 * serves them; up to 4 KiB, sizes up to 32 KiB come from size classes whose blocks fall on
 * that alignment; the rest carve an aligned span and give the rest of it back. Errors: NULL with errno = EINVAL or ENOMEM. */
void *walloc_aligned_alloc(size_t alignment, size_t size);

/* Same as aligned_alloc (the obsolete name some code still calls). */
void *walloc_memalign(size_t alignment, size_t size);

/* Stores an aligned block in *out and returns 0; returns EINVAL when `alignment` is not a power
 * of two multiple of sizeof(void *), ENOMEM when memory runs out. On error *out is untouched. */
int walloc_posix_memalign(void **out, size_t alignment, size_t size);

/* Returns the usable size of a live block (its size class, its medium block less the header,
 * or its span; >= the request), 0 for NULL. O(1). A pointer that is not a live block traps as
 * in free(). */
size_t walloc_malloc_usable_size(void *ptr);

/* Caps the linear memory the heap may grow to, in bytes (rounded down to 64 KiB pages; the
 * cap counts all of linear memory, static data included). Returns the previous cap. The
 * default is whatever the engine allows: 4 GiB on wasm32, walloc's ceiling of 1 TiB on wasm64
 * (where the engine refuses earlier, at 16 GiB in V8, and a cap above 4 GiB is honoured to the
 * page); SIZE_MAX, or any value past the ceiling, asks for it back. A wasm32 size_t cannot hold
 * 4 GiB: there the default cap is returned as SIZE_MAX, so the value returned can always be
 * passed back to restore it. A cap below the memory already in use stops further growth;
 * nothing is given back. O(1), no errors. */
size_t walloc_set_limit(size_t bytes);

/* Seeds the secret of the secure build (libwalloc-secure.a), which keys its canaries; the
 * default build ignores it and returns 0. The secret comes from WASI random_get on wasm32-wasi
 * (where libc allocates before main, so this call always comes too late there) and from
 * getentropy natively; the freestanding build has no source of randomness, so its host should
 * call this with 64 random bits before the first allocation. Returns 0, or -1 when the heap is
 * already in use (its canaries are keyed with the old secret, so nothing changes). O(1). */
int walloc_seed(unsigned long long seed);

/* What the heap is made of: heap_bytes = the small spans (live blocks, free blocks, tail waste)
 * + medium spans + live large blocks + free pages + meta_bytes + tier_bytes + gc_bytes. Tier
 * and collector memory is counted only in tier_bytes and gc_bytes: it is neither live malloc
 * memory nor free. */
struct walloc_stats {
    size_t heap_bytes;      /* linear memory the heap owns: from its first page to its end */
    size_t live_bytes;      /* usable bytes of live malloc blocks (tier memory excluded) */
    size_t peak_live_bytes; /* highest live_bytes seen */
    size_t free_bytes;      /* free pages plus free blocks in partly used spans */
    size_t meta_bytes;      /* page table leaves and span descriptors */
    size_t alloc_count;     /* successful allocations (malloc, calloc, realloc that moved...) */
    size_t free_count;      /* blocks released */
    size_t grow_count;      /* successful memory.grow calls */
    size_t memory_bytes;    /* current size of linear memory (SIZE_MAX at 4 GiB on wasm32; exact on wasm64) */
    size_t tier_bytes;      /* pages held by tiered arenas (their chunks' capacity) */
    size_t gc_bytes;        /* pages held by the garbage collector (gc.h) */
};

/* Fills *out with the counters above. O(1): they are kept up to date on every call. In the
 * threads build the cost is O(threads and the spans they own): blocks in threads' caches count
 * as free, and each
 * thread's share of the counts is added under the lock. The figures are exact while no other
 * thread is inside walloc; while others allocate, each is a value it held a moment ago. There
 * peak_live_bytes counts cached blocks as live (it can exceed the true peak by what the caches
 * hold, about 2 MiB per thread at most). */
void walloc_get_stats(struct walloc_stats *out);

/* Walks the whole heap (every span, bitmap, free list, medium block header, page-table entry,
 * span descriptor and tier chunk) and returns 0 when it is consistent, a negative code
 * otherwise, with a one-line message on stderr and in walloc_last_error(). Cost: O(heap size /
 * 4 KiB + live small blocks / 64 + medium blocks); meant for tests. The threads build checks
 * under the lock, the calling thread's cache too; call it where no other thread is inside
 * walloc, since it compares the blocks claimed in the heap with what every cache holds. */
int walloc_check(void);

/* Gives the calling thread's cached small blocks back to the heap and folds its counts into the
 * heap's (threads build; elsewhere it does nothing). The thread may allocate again afterwards.
 * Call it before a thread's stack and thread-local memory are reclaimed: natively it runs by
 * itself when a pthread exits (under emscripten's pthreads too); other wasm hosts call it at the
 * end of each worker. Cost: under the lock, O(cached blocks and the thread's spans). */
void walloc_thread_exit(void);

/* The last error message walloc produced (a fatal report or a failed walloc_check), or "" when
 * none. The freestanding build has no stderr: a host reads the message here after the trap. */
const char *walloc_last_error(void);

/* Tiered arenas: bump allocation in a few tiers (by default RENDER, SCENE, ENTITY) that are
 * recycled wholesale (reset, compact, release to a mark) instead of freed object by object.
 *
 * A tier is a chain of chunks, page spans of the same heap that serves malloc (so tiers and
 * malloc share one linear memory and never overlap). Positions in a tier are offsets counted
 * from its start across its chunks: walloc_mark.offset, the `keep` of compact and
 * walloc_tier_stats.used are all in this unit. `used` includes alignment padding and the tail
 * of a chunk left unused when the next allocation went to a new chunk.
 *
 * Guarantees: an allocation stays valid, in place and owned by its tier until a reset, compact
 * or release recycles the range it lies in; growth never moves or drops earlier allocations;
 * walloc never recycles anything on its own (when memory runs out it asks the pressure
 * callback, then fails with NULL). free() or realloc() of a pointer into a tier is reported as
 * `walloc: invalid free` (resp. invalid realloc) and traps like any invalid pointer. Built with
 * -DWALLOC_DEBUG, recycled ranges are filled with the byte 0xDE so that stale use shows up.
 *
 * Errors: a NULL walloc_tiers or an unknown tier index makes the call fail (NULL, -1, an
 * invalid mark, 0 or zeroed stats, as each function says) with errno = EINVAL; exhaustion gives
 * NULL with errno = ENOMEM. Single-threaded, like the rest of walloc. */
typedef struct walloc_tiers walloc_tiers;

typedef struct walloc_tier_config {
    const char *name;       /* kept as a pointer (not copied): it must outlive the tiers */
    unsigned share_percent; /* part of reserve_bytes the tier starts with */
    size_t alignment;       /* of every allocation in the tier: a power of two up to 2 GiB */
} walloc_tier_config;

enum { WALLOC_TIER_RENDER = 0, WALLOC_TIER_SCENE = 1, WALLOC_TIER_ENTITY = 2 };

#define WALLOC_TIERS_MAX 8

typedef struct walloc_mark {
    size_t offset;          /* the tier's `used` when the mark was taken */
    unsigned generation;    /* the tier's count of recycles (reset, compact, release) then */
} walloc_mark;

struct walloc_tier_stats {
    const char *name;       /* from the config */
    size_t used;            /* offset of the next allocation: bytes in use, padding included */
    size_t capacity;        /* bytes of the tier's chunks */
    size_t high_water;      /* highest `used` since creation */
    size_t total_allocated; /* sum of all sizes ever handed out */
    size_t recycled;        /* bytes given back by reset, compact and release */
    size_t chunks;          /* chunks in the chain (1 unless the tier grew by chaining) */
    size_t resets;          /* calls of walloc_tier_reset */
};

/* Creates `count` tiers (1 to 8) described by `configs`, each starting with share_percent of
 * `reserve_bytes` (rounded up to 4 KiB pages, at least one page) taken from the page layer;
 * with configs == NULL, `count` is ignored and the default layout is used: RENDER 50 % aligned
 * 128, SCENE 30 % aligned 64, ENTITY 20 % aligned 8. Shares may add up to less than 100 (the
 * rest stays with malloc). Cost: one small malloc and one span per tier. Errors: NULL with
 * errno = EINVAL for count 0 or > 8, shares summing to more than 100 or an alignment that is
 * not a power of two up to 2 GiB; NULL with errno = ENOMEM when the memory cannot be had
 * (nothing is kept then). */
walloc_tiers *walloc_tiers_create(size_t reserve_bytes, const walloc_tier_config *configs, unsigned count);

/* Gives every chunk of every tier back to the page layer and frees `t`; all tier memory is
 * invalid afterwards. destroy(NULL) does nothing. Cost: O(chunks + their pages). */
void walloc_tiers_destroy(walloc_tiers *t);

/* Returns `size` bytes (0 is valid and gives a pointer into the tier) aligned to the tier's
 * alignment. Cost: O(1), a pointer bump inlined at the call site; when the current chunk is full
 * the tier grows, in place if the memory after its chunk is free, else by chaining a new chunk at
 * least as large as the tier (O(its pages)). When growth is refused (4 GiB, the engine,
 * walloc_set_limit) the pressure callback, if set, is called once and the allocation retried once.
 * Errors: NULL with errno = ENOMEM when memory runs out or `size` exceeds WALLOC_MAX_REQUEST
 * (earlier allocations are untouched), EINVAL for a NULL `t` or an unknown tier.
 * Threads build: any number of threads may allocate in one tier at once (the bump is a
 * compare-and-swap on the cursor), and growth, the pressure callback (called without the lock),
 * reset, compact, release and every other tier's calls may overlap them. A block allocated while
 * another thread recycles its tier is either older than the recycle (and recycled with the rest)
 * or younger: which one is the caller's race. It never lies outside the tier's memory: the
 * threads build keeps the chunks a recycle cuts off (tier_bytes counts them) and chains them
 * again as the tier grows, and gives them back only in walloc_tiers_destroy, which must not
 * overlap anything else on the same tiers. mark, owns and get_stats may run at any time; what
 * they report of a tier being allocated in is a moment's value. */
static inline void *walloc_tier_alloc(walloc_tiers *t, unsigned tier, size_t size);

/* The part of each tier that walloc_tier_alloc's inline fast path reads and moves. It is in the
 * header only so that the common case compiles to a few instructions at the call site, like a
 * hand-written bump; it sits at the start of every walloc_tiers. Programs must not touch it. */
struct walloc_tier_bump {
    uint64_t cursor;         /* address of the next free byte (64-bit: a chunk may end where a
                                32-bit address would wrap) */
    uint64_t end;            /* end of the tier's last chunk */
    uint64_t mask;           /* the tier's alignment - 1 */
    size_t total_allocated;  /* sum of the sizes handed out */
};

/* The out-of-line part of walloc_tier_alloc: the errors, growth and the pressure callback. Call
 * walloc_tier_alloc instead. The threads build names it differently, so that a program built
 * without -DWALLOC_THREADS, whose inline bump is not atomic, cannot link with it. */
#if defined(WALLOC_THREADS)
#define walloc_tier_alloc_slow walloc_tier_alloc_slow_threads
#endif
void *walloc_tier_alloc_slow(walloc_tiers *t, unsigned tier, size_t size);

/* Strictly below the end, so that even a 0-byte block lies inside the chunk (an exact fit takes
 * the slow path). Where size_t has 32 bits the 64-bit sum cannot wrap. */
#define WALLOC_TIER_FITS(at, size, end) \
    (sizeof(size_t) < sizeof(uint64_t) ? (at) + (size) < (end) : (at) < (end) && (size) < (end) - (at))

static inline void *walloc_tier_alloc(walloc_tiers *t, unsigned tier, size_t size) {
    if (t && tier < WALLOC_TIERS_MAX && size <= WALLOC_MAX_REQUEST) {
        struct walloc_tier_bump *b = (struct walloc_tier_bump *)(void *)t + tier;
#if defined(WALLOC_THREADS)
        /* Threads bump with a compare-and-swap on the cursor; a chunk that is being replaced
         * reads as ending at 0 (tiers.c), which sends the thread to the slow path's lock. */
        uint64_t cursor = __atomic_load_n(&b->cursor, __ATOMIC_RELAXED), at;
        do {
            at = (cursor + b->mask) & ~b->mask;
            if (!WALLOC_TIER_FITS(at, size, __atomic_load_n(&b->end, __ATOMIC_ACQUIRE)))
                return walloc_tier_alloc_slow(t, tier, size);
        } while (!__atomic_compare_exchange_n(&b->cursor, &cursor, at + size, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
        __atomic_fetch_add(&b->total_allocated, size, __ATOMIC_RELAXED);
        return (void *)(uintptr_t)at;
#else
        uint64_t at = (b->cursor + b->mask) & ~b->mask;
        if (WALLOC_TIER_FITS(at, size, b->end)) {
            b->cursor = at + size;
            b->total_allocated += size;
            return (void *)(uintptr_t)at;
        }
#endif
    }
    return walloc_tier_alloc_slow(t, tier, size);
}

/* Recycles everything in the tier: `used` drops to 0, chained chunks go back to the page layer
 * (the first chunk stays), marks with a non-zero offset become stale. Cost: O(1) while the tier
 * has one chunk; chained chunks cost O(their pages). Errors: a NULL `t` or unknown tier does
 * nothing but set errno = EINVAL. */
void walloc_tier_reset(walloc_tiers *t, unsigned tier);

/* Keeps the first `keep_bytes` of the tier exactly as they are (the persistent part) and
 * recycles everything after them, giving back chunks that lie wholly after them; marks above
 * `keep_bytes` become stale. Cost: as reset, plus a walk over the chain. Returns 0, or -1 with
 * errno = EINVAL (nothing changed) when keep_bytes exceeds `used`, `t` is NULL or the tier
 * unknown. */
int walloc_tier_compact(walloc_tiers *t, unsigned tier, size_t keep_bytes);

/* Returns a mark of the tier's current position, for walloc_tier_release. Marks nest: release
 * of an inner mark leaves outer marks valid, and a mark stays valid (it can be released again
 * and again) until a reset, compact or release goes below its offset. Cost: O(1), changes
 * nothing. Errors: for a NULL `t` or unknown tier, a mark that every release rejects. */
walloc_mark walloc_tier_mark(const walloc_tiers *t, unsigned tier);

/* Recycles everything allocated in the tier after `mark` was taken. Cost: as compact. Returns
 * 0, or -1 with errno = EINVAL (nothing changed) for a stale mark (a reset, compact or release
 * went below its offset since it was taken), a mark of another tier that does not fit this
 * one, a NULL `t` or an unknown tier. Up to 32 release levels above each other are told apart
 * exactly; past that an old inner mark may be rejected, but a stale one is never honoured. */
int walloc_tier_release(walloc_tiers *t, unsigned tier, walloc_mark mark);

/* Returns 1 when `p` points into the live part of the tier (below `used`, in one of its
 * chunks), else 0 (also for NULL `t` or an unknown tier, with errno = EINVAL). Cost: O(1), a
 * page map lookup. */
int walloc_tier_owns(const walloc_tiers *t, unsigned tier, const void *p);

/* Fills *out with the tier's counters (see struct walloc_tier_stats). Cost: O(1). Errors: a
 * NULL `t` or unknown tier zeroes *out and sets errno = EINVAL. */
void walloc_tier_get_stats(const walloc_tiers *t, unsigned tier, struct walloc_tier_stats *out);

/* Sets the function called when a tier cannot grow: cb(t, tier, need, arg), with `need` the
 * size of the allocation that failed. It may recycle whatever the application chooses (reset,
 * compact, release, free, another tier); its return value is ignored, and the allocation is
 * retried once after it. An allocation made inside the callback fails instead of calling it
 * again. cb == NULL removes it. It must not destroy `t`. Cost: O(1). A NULL `t` does nothing
 * but set errno = EINVAL. */
void walloc_tiers_on_pressure(walloc_tiers *t, int (*cb)(walloc_tiers *, unsigned tier, size_t need, void *arg), void *arg);

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
