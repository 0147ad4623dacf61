/* small.c - size classes and the span traffic of small blocks.
 *
 * A class's span length is the fewest slices (up to 16) that waste at most 1/8 of the span on
 * the tail that no block fits in, with at most 512 blocks so one bitmap of eight words covers
 * them.
 *
 * Malloc takes blocks from one serving span per class until it is full; the next one comes
 * from the class's fullness groups (types.h: how many there are trades speed for density).
 * A span that empties goes back to the page layer, where any class or large block can take
 * it; the serving span never does, so an alloc/free pair at the edge of a span never costs a
 * release and a refill.
 */
#include "small.h"
#include "secure.h"
#include "pages.h"
#include "threads.h"

WL_STATE struct size_class wl_classes[WL_CLASS_COUNT];
WL_STATE struct recent_block wl_recent[WL_CLASS_COUNT][WL_RECENT];

#define C8(a) a, a, a, a, a, a, a, a
/* wl_class_of_large for sizes of 8-byte steps up to 1 KiB: index (size + 7) / 8. */
const uint8_t wl_class_table[WL_CLASS_TABLE_SIZE] = {
    0, 0, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8,
    9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16,
    17, 17, 17, 17, 18, 18, 18, 18, 19, 19, 19, 19, 20, 20, 20, 20,
    21, 21, 21, 21, 22, 22, 22, 22, 23, 23, 23, 23, 24, 24, 24, 24,
    C8(25), C8(26), C8(27), C8(28), C8(29), C8(30), C8(31), C8(32),
};

static uint32_t class_size(unsigned cls) {
    if (cls <= 8) return cls == 0 ? 8 : cls * 16;
    unsigned top = 7 + (cls - 9) / 8, step = (cls - 9) % 8;
    return (1u << top) + (step + 1) * (1u << (top - 3));
}

WL_COLD void wl_classes_init(void) {
    for (unsigned cls = 0; cls < WL_CLASS_COUNT; cls++) {
        struct size_class *c = &wl_classes[cls];
        uint32_t size = class_size(cls), best = 0;
        uint64_t best_waste = 0;
        for (uint32_t slices = 1; slices <= WL_SMALL_MAX_SLICES; slices++) {
            uint64_t bytes = slices * (uint64_t)WL_SLICE_SIZE, blocks = bytes / size;
            if (blocks > WL_MAX_BLOCKS) break;
            if (!blocks) continue;
            uint64_t waste = bytes - blocks * size;
            /* waste/bytes < best_waste/best_bytes, without division */
            if (!best || waste * best * WL_SLICE_SIZE < best_waste * bytes) {
                best = slices;
                best_waste = waste;
            }
            if (waste * 8 <= bytes) break;
        }
        c->size = size;
        c->reciprocal = (uint32_t)((((uint64_t)1 << 32) + size - 1) / size);
        c->slices = (uint16_t)best;
        c->blocks = (uint16_t)(best * WL_SLICE_SIZE / size);
        for (unsigned g = 0; g + 1 < WL_FULLNESS_GROUPS; g++)
            c->most_free[g] = (uint16_t)(c->blocks * (g + 1) / WL_FULLNESS_GROUPS);
        c->most_free[WL_FULLNESS_GROUPS - 1] = (uint16_t)(c->blocks - 1);
        c->most_free[WL_GROUP_FULL] = 0;
        c->most_free[WL_GROUP_CURRENT] = UINT16_MAX;
        c->most_free[WL_GROUP_THREAD] = UINT16_MAX;
        c->most_free[WL_GROUP_OWNED] = (uint16_t)(c->blocks - 1);
        c->current = NULL;
        c->recent_count = 0;
        for (unsigned g = 0; g < WL_FULLNESS_GROUPS; g++) c->groups[g] = NULL;
        c->group_mask = 0;
    }
}

/* Spans join a group's ring at the tail and leave from anywhere. In the threads build a span
 * that belongs to a thread joins that thread's ring instead (threads.h). */
static void group_add(struct size_class *c, struct span *s) {
    if (wl_thread_keeps(s)) return;
    unsigned g = 0;
    while (s->free_blocks > c->most_free[g]) g++;
    wl_ring_add(&c->groups[g], s);
    c->group_mask |= (uint8_t)(1u << g);
    s->group = (uint8_t)g;
}

static void group_remove(struct size_class *c, struct span *s) {
    if (wl_thread_lets_go(s)) return;
    unsigned g = s->group;
    wl_ring_remove(&c->groups[g], s);
    if (!c->groups[g]) c->group_mask &= (uint8_t)~(1u << g);
}

/* Once per span, not per block: compiled for size, which pays for live_block's inlining in
 * malloc.c. */
static WL_COLD struct span *new_span(unsigned cls) {
    struct size_class *c = &wl_classes[cls];
    struct span *s = wl_span_alloc(c->slices, 1, SPAN_SMALL);
    if (!s) return NULL;
    s->size_class = (uint8_t)cls;
    s->free_blocks = c->blocks;
    s->hint = 0;
    s->parked = 0;
    for (unsigned w = 0; w < WL_BITMAP_WORDS; w++) {
        unsigned below = c->blocks > w * 64 ? c->blocks - w * 64 : 0;
        s->free_bits[w] = below >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << below) - 1;
    }
    wl_thread_new_span(s);
    wl_heap.small_span_bytes += (size_t)s->count << WL_SLICE_SHIFT;
    wl_heap.small_block_bytes += (size_t)c->blocks * c->size;
    wl_secure_new_span(s, c->size, c->blocks);
    return s;
}

/* A span to serve class `cls` from: the first in its fullest non-empty group, else a new one. */
static struct span *serving_span(unsigned cls, unsigned group) {
    struct size_class *c = &wl_classes[cls];
    if (!wl_heap.ready && !wl_heap_init()) return NULL; /* the class table is built there */
    struct span *s;
    if (c->group_mask) {
        s = c->groups[__builtin_ctz(c->group_mask)];
        group_remove(c, s);
    } else if (!(s = new_span(cls))) {
        return NULL;
    }
    s->group = (uint8_t)group;
    return s;
}

__attribute__((noinline)) struct span *wl_small_refill(unsigned cls) {
    return wl_classes[cls].current = serving_span(cls, WL_GROUP_CURRENT);
}

struct span *wl_small_adopt(unsigned cls) { return serving_span(cls, WL_GROUP_THREAD); }

unsigned wl_small_take_many(struct span *s, struct recent_block *out, unsigned want) {
    const struct size_class *c = &wl_classes[s->size_class];
    unsigned n = 0, word = s->hint;
    for (; n < want && s->free_blocks; n++) {
        uint64_t bits;
        while ((bits = s->free_bits[word]) == 0) word++;
        s->free_bits[word] = bits & (bits - 1);
        s->free_blocks--;
        wl_count_alloc(c->size);
        out[n] = (struct recent_block){ s, word * 64 + (unsigned)__builtin_ctzll(bits) };
    }
    s->hint = (uint8_t)word;
    if (!s->free_blocks) s->group = WL_GROUP_FULL;
    return n;
}

void wl_small_disown(struct span *s) {
    s->group = WL_GROUP_FULL;
    if (s->free_blocks) wl_small_regroup(&wl_classes[s->size_class], s);
}

__attribute__((noinline)) void wl_small_filled(struct size_class *c, struct span *s) {
    if (s->group == WL_GROUP_CURRENT) c->current = NULL;
    else group_remove(c, s);
    s->group = WL_GROUP_FULL;
}

/* Takes the blocks of `s`, whose every other block is free, out of its class's stack of recent
 * frees and counts them free in the span. The top entry fills each hole: the stack's order is
 * only a preference. */
static WL_COLD void unpark_span(struct size_class *c, struct span *s) {
    struct recent_block *stack = wl_recent[s->size_class];
    for (unsigned i = 0; i < c->recent_count;) {
        if (stack[i].span == s) stack[i] = stack[--c->recent_count];
        else i++;
    }
    s->free_blocks = (uint16_t)(s->free_blocks + s->parked);
    s->parked = 0;
    s->hint = 0;
}

void wl_small_settle(struct size_class *c, struct span *s, unsigned index) {
    unsigned word = index >> 6;
    if (word < s->hint) s->hint = (uint8_t)word;
    if (++s->free_blocks + s->parked == c->blocks && s->parked) unpark_span(c, s);
    if (s->free_blocks > c->most_free[s->group]) wl_small_regroup(c, s);
}

void *wl_small_take(unsigned cls) {
    struct size_class *c = &wl_classes[cls];
    struct span *s = c->current;
    if (__builtin_expect(s == NULL, 0) && !(s = wl_small_refill(cls))) return NULL;
    unsigned word = s->hint;
    uint64_t bits;
    while ((bits = s->free_bits[word]) == 0) word++;
    s->hint = (uint8_t)word;
    s->free_bits[word] = bits & (bits - 1);
    if (--s->free_blocks == 0) wl_small_filled(c, s);
    wl_count_alloc(c->size);
    unsigned index = word * 64 + (unsigned)__builtin_ctzll(bits);
    return wl_ptr_of(wl_span_start(s) + (wl_off)index * c->size);
}

__attribute__((noinline)) void wl_small_regroup(struct size_class *c, struct span *s) {
    if (s->group != WL_GROUP_FULL) group_remove(c, s);
    if (s->free_blocks < c->blocks) {
        group_add(c, s);
        return;
    }
    wl_heap.small_span_bytes -= (size_t)s->count << WL_SLICE_SHIFT;
    wl_heap.small_block_bytes -= (size_t)c->blocks * c->size;
    wl_span_release(s);
}
