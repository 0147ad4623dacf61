/* small.c - size classes and the span traffic of small blocks.
 *
 * A class's span length is the fewest slices (up to 16) that waste at most 1/16 of the span on
 * the tail that no block fits in, with at most 512 blocks so one bitmap of eight words covers
 * them. A span that empties goes back to the page layer, where any class or large block can
 * take it, unless it is the only span its class has left with room: keeping that one avoids
 * a release and a refill on every alloc/free pair at the edge of a span.
 */
#include "small.h"
#include "pages.h"

struct size_class wl_classes[WL_CLASS_COUNT];

static uint32_t class_size(unsigned cls) {
    if (cls <= 8) return cls == 0 ? 8 : cls * 16;
    unsigned top = 7 + (cls - 9) / 8, step = (cls - 9) % 8;
    return (1u << top) + (step + 1) * (1u << (top - 3));
}

void wl_classes_init(void) {
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
            if (waste * 16 <= bytes) break;
        }
        c->size = size;
        c->reciprocal = (uint32_t)((((uint64_t)1 << 32) + size - 1) / size);
        c->slices = (uint16_t)best;
        c->blocks = (uint16_t)(best * WL_SLICE_SIZE / size);
        c->available = NULL;
    }
}

struct span *wl_small_refill(unsigned cls) {
    struct size_class *c = &wl_classes[cls];
    if (!wl_heap.ready && !wl_heap_init()) return NULL; /* the class table is built there */
    struct span *s = wl_span_alloc(c->slices, 1, SPAN_SMALL);
    if (!s) return NULL;
    s->size_class = (uint8_t)cls;
    s->free_blocks = c->blocks;
    s->hint = 0;
    for (unsigned w = 0; w < WL_BITMAP_WORDS; w++) {
        unsigned below = c->blocks > w * 64 ? c->blocks - w * 64 : 0;
        s->free_bits[w] = below >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << below) - 1;
    }
    wl_heap.small_span_bytes += (size_t)s->count << WL_SLICE_SHIFT;
    wl_heap.small_block_bytes += (size_t)c->blocks * c->size;
    c->available = s;
    return s;
}

static void unlink_span(struct size_class *c, struct span *s) {
    if (s->prev) s->prev->next = s->next;
    else c->available = s->next;
    if (s->next) s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

void wl_small_span_changed(struct size_class *c, struct span *s) {
    if (s->free_blocks == 1) {
        s->prev = NULL;
        s->next = c->available;
        if (s->next) s->next->prev = s;
        c->available = s;
    }
    if (s->free_blocks == c->blocks && (c->available != s || s->next)) {
        unlink_span(c, s);
        wl_heap.small_span_bytes -= (size_t)s->count << WL_SLICE_SHIFT;
        wl_heap.small_block_bytes -= (size_t)c->blocks * c->size;
        wl_span_release(s);
    }
}
