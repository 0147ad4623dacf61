/* secure.h - the checks of the secure build (-DWALLOC_SECURE, shipped as libwalloc-secure.a).
 *
 * wasm has no guard pages and no mprotect, so the secure build checks in software what other
 * hardened allocators get from the MMU:
 *  - a canary: the 8 bytes after each block's usable size hold a value keyed by a secret and
 *    the block's address. free, realloc and walloc_check compare it, so an overflow of even
 *    one byte past malloc_usable_size() is reported (`heap overflow past 0x<block> (canary)`).
 *  - the first 32 bytes of a freed block are filled with WL_FREED_BYTE, and must still hold
 *    them when a small block is handed out again and when a large one leaves the quarantine,
 *    or walloc_check looks: a write after free is reported, zeros included. Blocks of a new
 *    small span get the fill too, so "never used" needs no look at the block.
 *  - a quarantine of recently freed blocks delays their reuse, so a double free or a use of a
 *    freed pointer is caught even after other allocations. Whether a block is in it is asked
 *    of a set of addresses out of band, never of the block's bytes: a write after free could
 *    forge those, and a double free would then queue one block twice.
 *  - the secret comes from WASI random_get, from getentropy natively, or from walloc_seed().
 * Every report is fatal: one line, then the trap, so nothing is freed or reused after it.
 *
 * In the default build every helper here is an empty inline function and WL_CANARY_SIZE is 0,
 * so the callers carry no #ifdef and their fast paths compile exactly as before.
 */
#ifndef WALLOC_SECURE_H
#define WALLOC_SECURE_H

#include "types.h"

#define WL_FREED_BYTE 0xdb

/* A freed block on its way back to its span: the quarantine keeps what the free found out
 * about it (span, index, usable size), so releasing it later looks nothing up again. */
struct wl_freed {
    void *p;
    struct span *span;
    int index;
    size_t usable;
};

#ifdef WALLOC_SECURE

#include "report.h"

#define WL_CANARY_SIZE 8
/* The fill covers the first 4 words of a freed block: a stale pointer mostly writes the fields
 * at the start of an object (links, counts, flags), and filling whole blocks of kilobytes
 * would cost more than the rest of malloc and free together. */
#define WL_FILL_WORDS 4u
#define WL_FREED_WORD (0x0101010101010101ull * WL_FREED_BYTE)

extern uint64_t wl_secure_secret;

/* The canary of the block at `p`: keyed by the secret and the address, so it cannot be
 * guessed, nor copied from another block. One multiply: it stops overflows, not an attacker
 * who can already read the heap. */
static inline uint64_t wl_secure_canary_of(const void *p) {
    uint64_t x = (wl_secure_secret ^ (uintptr_t)p) * 0x9e3779b97f4a7c15ull;
    return x ^ (x >> 29);
}

/* Offset of fill word `i` in a block of `usable` bytes (a multiple of 8, at least 8). A block
 * shorter than the fill repeats its last word, so the fill and its check are always
 * WL_FILL_WORDS fixed loads or stores: with a loop bounded by the block's size instead, V8 ran
 * the secure build's small-object churn at half the speed. */
static inline size_t wl_secure_fill_offset(size_t usable, unsigned i) {
    size_t last = usable / 8 - 1;
    return 8 * (i < last ? i : last);
}

static inline void wl_secure_fill(void *p, size_t usable) {
    uint64_t word = WL_FREED_WORD;
    for (unsigned i = 0; i < WL_FILL_WORDS; i++)
        __builtin_memcpy((unsigned char *)p + wl_secure_fill_offset(usable, i), &word, 8);
}

/* Whether every fill word of the block holds `word`. */
static inline int wl_secure_fill_is(const void *p, size_t usable, uint64_t word) {
    uint64_t seen = 0;
    for (unsigned i = 0; i < WL_FILL_WORDS; i++) {
        uint64_t w;
        __builtin_memcpy(&w, (const unsigned char *)p + wl_secure_fill_offset(usable, i), 8);
        seen |= w ^ word;
    }
    return seen == 0;
}

/* The bytes a request of `size` takes with its canary, and at least 8 usable ones for the fill
 * (SIZE_MAX when that overflows, which then fails as too large). */
static inline size_t wl_secure_size(size_t size) {
    if (size > SIZE_MAX - WL_CANARY_SIZE) return SIZE_MAX;
    return (size < 8 ? 8 : size) + WL_CANARY_SIZE;
}

/* Draws the secret; called when the heap is set up. */
void wl_secure_init(void);

/* Reports the block whose canary after `usable` bytes was overwritten. */
static inline void wl_secure_check_canary(const void *p, size_t usable) {
    uint64_t stored;
    __builtin_memcpy(&stored, (const unsigned char *)p + usable, sizeof stored);
    if (__builtin_expect(stored != wl_secure_canary_of(p), 0)) wl_fatal_overflow(p);
}

/* Prepares a block about to be handed out: a small one (`small`) must still hold the fill of
 * its last free (or of its new span), else the write after free is reported; the canary goes
 * after `usable`. */
static inline void wl_secure_handout(void *p, size_t usable, int small) {
    if (small && __builtin_expect(!wl_secure_fill_is(p, usable, WL_FREED_WORD), 0))
        wl_fatal("write after free", p);
    uint64_t canary = wl_secure_canary_of(p);
    __builtin_memcpy((unsigned char *)p + usable, &canary, sizeof canary);
}

/* The quarantine: a ring of the last blocks freed, up to WL_QUARANTINE_SLOTS of them and about
 * WL_QUARANTINE_BYTES in all. Blocks above WL_QUARANTINE_LARGEST skip it (they are filled and
 * released at once), so it never holds enough memory to make an allocation fail; and should
 * memory run out anyway, the caller empties it and retries. Its operations are inline: called
 * through secure.c, every free built a wl_freed on the shadow stack and made two calls, which
 * cost small-object churn a tenth of the default build's time. */
#define WL_QUARANTINE_SLOTS 64u
#define WL_QUARANTINE_BYTES ((size_t)4 << 20)
#define WL_QUARANTINE_LARGEST ((size_t)256 << 10)
/* How many blocks of the ring hash to each of WL_HELD_SLOTS counters: a block whose counter is
 * 0 is surely not in the quarantine, which is the answer for nearly every free (64 blocks over
 * 1024 counters), and only the rare block whose counter is not 0 has the ring searched. Add and
 * remove are one increment each, with no probe loop: an open-addressed set of the addresses
 * cost the secure build's small-object churn a fifth more time under V8 than this. */
#define WL_HELD_BITS 10u
#define WL_HELD_SLOTS (1u << WL_HELD_BITS)

struct wl_quarantine {
    struct wl_freed ring[WL_QUARANTINE_SLOTS];
    unsigned oldest, count;
    size_t bytes;
    uint8_t held[WL_HELD_SLOTS];
};

extern struct wl_quarantine wl_quarantine;

static inline unsigned wl_held_slot(const void *p) {
    return ((uint32_t)((uintptr_t)p >> 3) * 0x9e3779b1u) >> (32 - WL_HELD_BITS);
}

/* Reports the quarantined block `h` when its fill was written to. */
void wl_secure_check_fill(const struct wl_freed *h);

/* Takes the oldest block out of the quarantine into *out, checked, for release; 0 when it is
 * empty. An allocation that runs out of memory empties the quarantine and tries again. A small
 * block is checked when it is handed out again (wl_secure_handout), so only large blocks, whose
 * pages the page layer recycles unchecked, are checked here. */
static inline int wl_secure_flush_one(struct wl_freed *out) {
    struct wl_quarantine *q = &wl_quarantine;
    if (!q->count) return 0;
    struct wl_freed *h = &q->ring[q->oldest];
    if (__builtin_expect(h->usable > WL_SMALL_MAX, 0)) wl_secure_check_fill(h);
    *out = *h;
    q->bytes -= h->usable;
    q->held[wl_held_slot(h->p)]--;
    h->p = NULL;
    q->oldest = (q->oldest + 1) % WL_QUARANTINE_SLOTS;
    q->count--;
    return 1;
}

/* Takes a block the program freed (the caller made sure it is not in the quarantine already):
 * checks its canary, fills it and queues it. Returns 1 with *leaving set to the block that
 * leaves the quarantine, checked and ready to be released, or 0 when none leaves. */
static inline int wl_secure_retire(const struct wl_freed *block, struct wl_freed *leaving) {
    struct wl_quarantine *q = &wl_quarantine;
    wl_secure_check_canary(block->p, block->usable);
    wl_secure_fill(block->p, block->usable);
    if (__builtin_expect(block->usable > WL_QUARANTINE_LARGEST, 0)) {
        *leaving = *block;
        return 1;
    }
    int left = 0;
    if (q->count == WL_QUARANTINE_SLOTS || q->bytes + block->usable > WL_QUARANTINE_BYTES)
        left = wl_secure_flush_one(leaving);
    q->ring[(q->oldest + q->count) % WL_QUARANTINE_SLOTS] = *block;
    q->held[wl_held_slot(block->p)]++;
    q->count++;
    q->bytes += block->usable;
    return left;
}

/* Whether `p` is in the ring of the quarantine (a search of it, for wl_secure_held). */
int wl_secure_in_ring(const void *p);

/* Whether `p` waits in the quarantine: freed, whatever the bitmaps say, and whatever the block's
 * bytes say. Usually one load of its counter. */
static inline int wl_secure_held(const void *p) {
    return __builtin_expect(wl_quarantine.held[wl_held_slot(p)] != 0, 0) && wl_secure_in_ring(p);
}

/* Empties the quarantine, releasing its blocks for real, when that could let a request of
 * `need` bytes succeed: an allocation that found memory exhausted (malloc's family and the
 * tiers) calls it and retries once when it returns 1. A request larger than every free,
 * quarantined and growable byte together would fail anyway, and emptying the quarantine for
 * it would let one caller-chosen size switch double-free detection off; it returns 0 then, as
 * it does when the quarantine is empty. Defined in malloc.c, which releases blocks. */
int wl_secure_drain(size_t need);

/* A new small span `s` of `blocks` blocks: every block gets the freed fill, so that a block
 * handed out for the first time passes the check of a reused one, and the span no longer
 * counts as zeroed. */
void wl_secure_new_span(struct span *s, size_t block_size, unsigned blocks);

/* For walloc_check: the canary of every block of in-use span `s` that is not free, and the
 * fill of every block in the quarantine. Fatal on the first broken one. */
void wl_secure_check_span(const struct span *s);
void wl_secure_check_quarantine(void);

#else

#define WL_CANARY_SIZE 0

static inline size_t wl_secure_size(size_t size) { return size; }

static inline void wl_secure_init(void) {}
static inline void wl_secure_handout(void *p, size_t usable, int small) {
    (void)p, (void)usable, (void)small;
}
static inline int wl_secure_retire(const struct wl_freed *block, struct wl_freed *leaving) {
    *leaving = *block;
    return 1;
}
static inline int wl_secure_held(const void *p) { return (void)p, 0; }
static inline int wl_secure_flush_one(struct wl_freed *out) { return (void)out, 0; }
static inline int wl_secure_drain(size_t need) { return (void)need, 0; }
static inline void wl_secure_check_canary(const void *p, size_t usable) { (void)p, (void)usable; }
static inline void wl_secure_new_span(struct span *s, size_t block_size, unsigned blocks) {
    (void)s, (void)block_size, (void)blocks;
}
static inline void wl_secure_check_span(const struct span *s) { (void)s; }
static inline void wl_secure_check_quarantine(void) {}

#endif


#endif
