/* small.h - blocks of up to 32 KiB, served from spans of one size class.
 *
 * The fast paths live here, inline: a free sets the block's bit and parks the block in its
 * class's stack of recent frees; a malloc takes the newest parked block back. Everything else
 * (the lowest set bit of the serving span when the stack is empty, choosing the next serving
 * span, moving a span between fullness groups, a new span, a span that empties) is out of line
 * in small.c.
 */
#ifndef WALLOC_SMALL_H
#define WALLOC_SMALL_H

#include "types.h"

/* Rings of spans (a class's fullness groups; in the threads build a thread's own spans): a span
 * joins at the tail, before `*head`, and leaves from anywhere; an empty ring is NULL. */
static inline void wl_ring_add(struct span **head, struct span *s) {
    if (*head) {
        s->next = *head;
        s->prev = (*head)->prev;
        (*head)->prev->next = s;
        (*head)->prev = s;
    } else {
        s->next = s->prev = s;
        *head = s;
    }
}

static inline void wl_ring_remove(struct span **head, struct span *s) {
    if (s->next == s) {
        *head = NULL;
    } else {
        s->prev->next = s->next;
        s->next->prev = s->prev;
        if (*head == s) *head = s->next;
    }
    s->next = s->prev = NULL;
}

/* Builds the size-class table; called once by the page layer's first use. */
void wl_classes_init(void);

/* Gives `cls` a serving span: the first in its fullest non-empty group, else a new one; returns
 * NULL when memory runs out (the caller sets errno). */
struct span *wl_small_refill(unsigned cls);

/* Called by wl_small_free when `s` has more free blocks than its group allows: it moves to a
 * sparser group, or back to the page layer when it is empty. */
void wl_small_regroup(struct size_class *c, struct span *s);

extern const uint8_t wl_class_table[WL_CLASS_TABLE_SIZE];

/* Size class of a request of at most WL_SMALL_MAX bytes: a table lookup up to 1 KiB. */
static inline unsigned wl_class_of(size_t size) {
    if (size <= WL_CLASS_TABLE_LIMIT) return wl_class_table[(size + 7) >> 3];
    return wl_class_of_large(size);
}

/* Adds to the live bytes and keeps their peak. */
static inline void wl_count_live(size_t bytes) {
    wl_heap.live_bytes += bytes;
    if (wl_heap.live_bytes > wl_heap.peak_live_bytes) wl_heap.peak_live_bytes = wl_heap.live_bytes;
}

static inline void wl_count_alloc(size_t bytes) {
    wl_count_live(bytes);
    wl_heap.alloc_count++;
}

/* For the threads build's caches (threads.h), under the lock: a span that serves one thread
 * (WL_GROUP_THREAD) from the class's groups or new, NULL when memory runs out; up to `want`
 * blocks from its bitmap into `out` (a span left without free blocks becomes full, and the thread
 * lets it go); and giving up a span that still has free blocks. */
struct span *wl_small_adopt(unsigned cls);
unsigned wl_small_take_many(struct span *s, struct recent_block *out, unsigned want);
void wl_small_disown(struct span *s);

/* Called when a span's last free block was taken: it leaves the class's serving place or its
 * group's ring and is full. */
void wl_small_filled(struct size_class *c, struct span *s);

/* Completes the free of a block that the stack of recent frees does not take; a span left with
 * free and parked blocks only takes its parked blocks back first. */
void wl_small_settle(struct size_class *c, struct span *s, unsigned index);

/* A block of class `cls` from the lowest set bit of the serving span (a new serving span when
 * there is none), or NULL when memory runs out. Out of line: it serves while a program builds
 * up its data, where a call is little beside the work, and inlined into every allocating path
 * it cost the module 70 bytes. */
void *wl_small_take(unsigned cls);

/* A block of class `cls`, or NULL when memory runs out: the block freed last, else what
 * wl_small_take finds. */
WL_INLINE void *wl_small_alloc(unsigned cls) {
    struct size_class *c = &wl_classes[cls];
    if (__builtin_expect(!c->recent_count, 0)) return wl_small_take(cls);
    const struct recent_block *top = &wl_recent[cls][--c->recent_count];
    struct span *s = top->span;
    unsigned index = top->index;
    s->free_bits[index >> 6] &= ~((uint64_t)1 << (index & 63));
    s->parked--;
    wl_count_alloc(c->size);
    return wl_ptr_of(wl_span_start(s) + (wl_off)index * c->size);
}

/* Block index of `off` in small span `s`, or -1 when `off` is not the start of one of its
 * blocks. The reciprocal is exact for every offset inside a span (< 64 KiB). */
static inline int wl_small_index(const struct span *s, wl_off off) {
    const struct size_class *c = &wl_classes[s->size_class];
    uint32_t rel = (uint32_t)(off - wl_span_start(s));
    uint32_t index = (uint32_t)(((uint64_t)rel * c->reciprocal) >> 32);
    if (index * c->size != rel || index >= c->blocks) return -1;
    return (int)index;
}

static inline int wl_small_is_free(const struct span *s, unsigned index) {
    return (int)((s->free_bits[index >> 6] >> (index & 63)) & 1);
}

/* Releases block `index` of `s`, which the caller proved live: into the stack of recent frees
 * while it has room, else straight into its span's bookkeeping. A burst of frees (a program
 * dropping a whole tree) thus pays no eviction per block, and the stack keeps the first blocks
 * of the burst, which the next allocations take back. A block of a span that is a quarter free
 * or more completes at once too: reused first, the blocks of sparse spans keep those spans from
 * draining (with no such rule test_frag's heap crept by 512 KiB, twice what it allows; with
 * half, churn took 1.88 MiB, as before the stack; with a quarter, 1.81 MiB), and the last block
 * of a span must complete for the span to go back to the page layer. The threads build parks
 * nothing here: its threads take blocks from the bitmaps of spans of their own (threads.h),
 * which must not hold a parked block. */
WL_INLINE void wl_small_free(struct span *s, unsigned index) {
    struct size_class *c = &wl_classes[s->size_class];
    s->free_bits[index >> 6] |= (uint64_t)1 << (index & 63);
    wl_heap.live_bytes -= c->size;
    wl_heap.free_count++;
    if (__builtin_expect(WL_THREADED || c->recent_count == WL_RECENT || 4u * (s->free_blocks + s->parked + 1u) > c->blocks, 0)) {
        wl_small_settle(c, s, index);
        return;
    }
    s->parked++;
    wl_recent[s->size_class][c->recent_count++] = (struct recent_block){ s, index };
}

#endif
