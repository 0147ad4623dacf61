/* medium.c - the blocks malloc asks for above WL_CLASSED_MAX and up to WL_MEDIUM_MAX, cut at
 * their own size from shared spans.
 *
 * Why not size classes: above 1 KiB a class rounds a request up by as much as an eighth, and
 * each of the forty classes there keeps partly used spans of its own. A program whose requests
 * sit just above a power of two (SQLite's 4 KiB page plus a header) or spread over many sizes
 * pays both. Here a block takes its request rounded to 16 bytes plus a 4-byte header, from any
 * medium span, and a freed block merges with its free neighbours, so memory one size used
 * serves any other.
 *
 * A span of WL_MEDIUM_SLICES slices:
 *
 *     [live bitmap, a bit per 16 bytes of the span][block][block]...[end mark]
 *
 * A block starts 4 bytes before a 16-byte boundary, so the program's pointer, just after the
 * header, is aligned to 16. Block sizes are multiples of 16 and count the header. The header
 * holds the size and two flags: FREE, and PREV_FREE (the block before is free). A free block
 * also holds the offsets of its bin neighbours after its header (wl_link: 32 or 64 bits, as the
 * target's memory needs, types.h) and its size again in its last word, where the next block
 * finds it to merge. Two free blocks never touch. The end mark is the header of a block of size
 * 0 that is never free, so no merge runs off the span.
 *
 * Free blocks sit in bins, sixteen per doubling of size, with a bitmap over the bins of each
 * doubling and one over the doublings (TLSF's two levels). malloc looks at the first block in
 * its own size's bin, which serves when it is long enough, and otherwise takes the first block
 * of the next non-empty bin, all of whose blocks fit: two bit searches, never a list walk. What
 * the request leaves of the block, from 16 bytes up, is a free block again. Free blocks shorter
 * than WL_MEDIUM_LISTED_MIN can serve no medium request, so they sit in no bin and wait for a
 * neighbour to merge with.
 *
 * free does not trust the block to say whether a pointer is a live block: the bit of the
 * pointer's granule in the live bitmap does. A stray write can still break the headers, which
 * is why the secure build keeps size classes for these sizes (types.h).
 *
 * A span that empties goes back to the page layer, except one kept as a spare, so a program
 * that allocates and frees one medium block in a loop does not take and return a span each time.
 * The spare goes back too when a request fails for want of memory (malloc.c): where it lies it
 * may split the free run that request needs.
 */
#include "medium.h"
#include "platform.h"
#include "pages.h"
#include "report.h"
#include "small.h"

#define FREE 1u
#define PREV_FREE 2u
#define FLAGS (FREE | PREV_FREE)

#define SPAN_BYTES ((uint32_t)WL_MEDIUM_SLICES << WL_SLICE_SHIFT)
#define BITMAP_BYTES (SPAN_BYTES / (uint32_t)WL_GRANULE / 8)
/* The first block's header sits just before the first granule after the bitmap, and the end
 * mark in the span's last word. */
#define FIRST_BLOCK (BITMAP_BYTES + (uint32_t)WL_GRANULE - WL_MEDIUM_HEADER)
#define REGION_BYTES (SPAN_BYTES - WL_MEDIUM_HEADER - FIRST_BLOCK)

_Static_assert(WL_MEDIUM_LISTED_MIN == 1024u, "bin_of counts doublings from 1 KiB");
_Static_assert(REGION_BYTES < (1024u << WL_MEDIUM_BIN_GROUPS), "a bin group per doubling up to the span");
_Static_assert(WL_CLASSED_MAX + WL_MEDIUM_HEADER >= WL_MEDIUM_LISTED_MIN, "every request can use a listed block");
_Static_assert(WL_MEDIUM_HEADER + 2 * sizeof(wl_link) + 4 <= WL_MEDIUM_LISTED_MIN, "a listed block holds its links");

static inline uint32_t *word_at(wl_off off) { return (uint32_t *)wl_ptr_of(off); }
static inline uint32_t size_of(uint32_t header) { return header & ~FLAGS; }
static inline wl_link *next_link(wl_off b) { return (wl_link *)wl_ptr_of(b + 4); }
static inline wl_link *prev_link(wl_off b) { return (wl_link *)wl_ptr_of(b + 4 + sizeof(wl_link)); }

static inline uint32_t block_size(size_t request) {
    return (uint32_t)((request + WL_MEDIUM_HEADER + WL_GRANULE - 1) & ~(WL_GRANULE - 1));
}

/* Bin of a free block of `size` >= WL_MEDIUM_LISTED_MIN bytes: sixteen per doubling. */
static inline unsigned bin_of(uint32_t size) {
    unsigned top = 31u - (unsigned)__builtin_clz(size);
    return (top - 10) * 16 + ((size >> (top - 4)) & 15);
}

static inline void set_live(wl_off span_start, wl_off off, int live) {
    uint32_t rel = (uint32_t)(off - span_start), bit = 1u << ((rel >> 4) & 31);
    uint32_t *bits = word_at(span_start) + (rel >> 9);
    *bits = live ? *bits | bit : *bits & ~bit;
}

/* Where a link goes that has no block to go to: the bin operations store unconditionally, as
 * which way a branch on an empty neighbour goes is a coin toss the processor mispredicts. */
WL_STATE static wl_link nowhere;

/* The bin operations stay out of line: inlined at each of their callers they made the malloc
 * family 600 bytes larger for no speed that could be told from noise. */
__attribute__((noinline)) static void bin_insert(wl_off b, uint32_t size) {
    unsigned bin = bin_of(size);
    wl_link head = wl_heap.medium_bins[bin];
    *next_link(b) = head;
    *prev_link(b) = 0;
    *(head ? prev_link(head) : &nowhere) = (wl_link)b;
    wl_heap.medium_bin_mask[bin >> 4] |= (uint16_t)(1u << (bin & 15));
    wl_heap.medium_group_mask |= (uint8_t)(1u << (bin >> 4));
    wl_heap.medium_bins[bin] = (wl_link)b;
}

__attribute__((noinline)) static void bin_remove(wl_off b, uint32_t size) {
    wl_link next = *next_link(b), prev = *prev_link(b);
    *(next ? prev_link(next) : &nowhere) = prev;
    if (prev) {
        *next_link(prev) = next;
        return;
    }
    unsigned bin = bin_of(size);
    wl_heap.medium_bins[bin] = next;
    if (!next && !(wl_heap.medium_bin_mask[bin >> 4] &= (uint16_t)~(1u << (bin & 15))))
        wl_heap.medium_group_mask &= (uint8_t)~(1u << (bin >> 4));
}

/* Marks [b, b + size) a free block and lists it when it is long enough to serve. */
static void put_free(wl_off b, uint32_t size) {
    *word_at(b) = size | FREE;
    *word_at(b + size - 4) = size;
    if (size >= WL_MEDIUM_LISTED_MIN) bin_insert(b, size);
}

/* Takes out of its bin a free block of at least `size` bytes; 0 when no bin has one. */
static wl_off take_fitting(uint32_t size) {
    unsigned bin = bin_of(size);
    wl_off b = wl_heap.medium_bins[bin];
    if (!b || size_of(*word_at(b)) < size) {
        unsigned group = bin >> 4;
        uint32_t above = wl_heap.medium_bin_mask[group] & (0xFFFEu << (bin & 15));
        if (!above) {
            uint32_t groups = wl_heap.medium_group_mask & (0xFEu << group);
            if (!groups) return 0;
            group = (unsigned)__builtin_ctz(groups);
            above = wl_heap.medium_bin_mask[group];
        }
        bin = group * 16 + (unsigned)__builtin_ctz(above);
        b = wl_heap.medium_bins[bin];
    }
    bin_remove(b, size_of(*word_at(b)));
    return b;
}

/* A new medium span whose blocks are one free block, which is returned unlisted; 0 when the
 * page layer has no memory. */
static WL_COLD wl_off add_span(void) {
    struct span *s = wl_span_alloc(WL_MEDIUM_SLICES, 1, SPAN_MEDIUM);
    if (!s) return 0;
    wl_off start = wl_span_start(s), b = start + FIRST_BLOCK;
    if (!s->zeroed) wl_platform_zero(wl_ptr_of(start), BITMAP_BYTES);
    s->zeroed = 0;
    *word_at(b) = REGION_BYTES | FREE;
    *word_at(start + SPAN_BYTES - WL_MEDIUM_HEADER) = PREV_FREE;
    wl_heap.medium_free_bytes += REGION_BYTES;
    return b;
}

void *wl_medium_alloc(size_t request) {
    uint32_t size = block_size(request);
    wl_off b = take_fitting(size);
    if (!b && !(b = add_span())) return NULL;
    uint32_t have = size_of(*word_at(b)), rest = have - size;
    /* Only an empty span has a block this long: the spare, or a new span while there is none. */
    if (have == REGION_BYTES) wl_heap.medium_spare = NULL;
    if (rest >= WL_GRANULE) {
        put_free(b + size, rest);
    } else {
        size = have;
        *word_at(b + size) &= ~PREV_FREE;
    }
    *word_at(b) = size;
    set_live(wl_span_start(wl_map_get(wl_slice_of(b))), b + WL_MEDIUM_HEADER, 1);
    wl_heap.medium_free_bytes -= size;
    wl_heap.medium_live_bytes += size - WL_MEDIUM_HEADER;
    wl_count_alloc(size - WL_MEDIUM_HEADER);
    return wl_ptr_of(b + WL_MEDIUM_HEADER);
}

/* Whether the span `s`, now one free block, should stay: it does as the spare, if there is
 * none yet; otherwise it goes back to the page layer. */
static WL_COLD int keep_empty_span(struct span *s) {
    if (!wl_heap.medium_spare) {
        wl_heap.medium_spare = s;
        return 1;
    }
    wl_heap.medium_free_bytes -= REGION_BYTES;
    wl_span_release(s);
    return 0;
}

WL_COLD int wl_medium_release_spare(void) {
    struct span *s = wl_heap.medium_spare;
    if (!s) return 0;
    bin_remove(wl_span_start(s) + FIRST_BLOCK, REGION_BYTES);
    wl_heap.medium_spare = NULL;
    wl_heap.medium_free_bytes -= REGION_BYTES;
    wl_span_release(s);
    return 1;
}

void wl_medium_free(struct span *s, wl_off off) {
    wl_off b = off - WL_MEDIUM_HEADER;
    uint32_t header = *word_at(b), size = size_of(header), after = *word_at(b + size);
    set_live(wl_span_start(s), off, 0);
    wl_heap.medium_live_bytes -= size - WL_MEDIUM_HEADER;
    wl_heap.live_bytes -= size - WL_MEDIUM_HEADER;
    wl_heap.medium_free_bytes += size;
    wl_heap.free_count++;
    if (after & FREE) {
        uint32_t next = size_of(after);
        if (next >= WL_MEDIUM_LISTED_MIN) bin_remove(b + size, next);
        size += next;
    }
    if (header & PREV_FREE) {
        uint32_t prev = *word_at(b - 4);
        b -= prev;
        if (prev >= WL_MEDIUM_LISTED_MIN) bin_remove(b, prev);
        size += prev;
    }
    *word_at(b + size) |= PREV_FREE;
    if (size == REGION_BYTES && !keep_empty_span(s)) return;
    put_free(b, size);
}

int wl_medium_resize(wl_off off, size_t request) {
    wl_off b = off - WL_MEDIUM_HEADER;
    uint32_t header = *word_at(b), have = size_of(header), want = block_size(request);
    uint32_t after = *word_at(b + have), next = after & FREE ? size_of(after) : 0;
    if (want > have) {
        if (have + next < want) return 0;
        /* A block that grows takes 256 bytes more than asked where its neighbour has room: a
         * buffer grown in small steps then resizes once per 256 bytes, not at every step
         * (realloc growth ran 1.3x as fast). An eighth more, the room a block that moves gets,
         * was as fast but cost that workload 12 % more memory. */
        want = want + 256 < have + next ? want + 256 : have + next;
    } else if (have - want < have / 8) {
        /* A block that shrinks by less than an eighth stays as it is: that eighth is the room
         * it was given to grow into. */
        return 1;
    }
    /* The block becomes `want` bytes; its tail, with the free block after it, is free again. */
    uint32_t tail = have + next - want;
    if (next >= WL_MEDIUM_LISTED_MIN) bin_remove(b + have, next);
    if (tail < WL_GRANULE) {
        want += tail;
        *word_at(b + want) &= ~PREV_FREE;
    } else {
        put_free(b + want, tail);
        *word_at(b + want + tail) |= PREV_FREE;
    }
    *word_at(b) = want | (header & PREV_FREE);
    wl_heap.medium_free_bytes = wl_heap.medium_free_bytes + have - want;
    wl_heap.medium_live_bytes = wl_heap.medium_live_bytes + want - have;
    wl_heap.live_bytes -= have - WL_MEDIUM_HEADER;
    wl_count_live(want - WL_MEDIUM_HEADER);
    return 1;
}

int wl_medium_is_free(const struct span *s, wl_off off) {
    wl_off b = wl_span_start(s) + FIRST_BLOCK, end = b + REGION_BYTES;
    for (uint32_t header, size; b < end; b += size) {
        header = *word_at(b);
        size = size_of(header);
        if (size < WL_GRANULE || size > end - b) return 0;
        if ((header & FREE) && off > b && off < b + size) return 1;
    }
    return 0;
}

int wl_medium_check_span(const struct span *s, size_t *live, size_t *free_bytes, size_t *listed) {
    wl_off start = wl_span_start(s), b = start + FIRST_BLOCK, end = b + REGION_BYTES;
    uint32_t header = 0, live_blocks = 0, live_bits = 0;
    if (s->count != WL_MEDIUM_SLICES) return wl_check_failed(-40, "medium span of wrong length", start);
    for (uint32_t size, prev_free = 0; b < end; b += size, prev_free = header & FREE) {
        header = *word_at(b);
        size = size_of(header);
        if (size < WL_GRANULE || size > end - b) return wl_check_failed(-41, "medium block of impossible size", b);
        if (!!(header & PREV_FREE) != !!prev_free) return wl_check_failed(-42, "medium block's PREV_FREE flag is wrong", b);
        if ((header & FREE) && prev_free) return wl_check_failed(-43, "free medium blocks left unmerged", b);
        if ((header & FREE) && *word_at(b + size - 4) != size) return wl_check_failed(-44, "free medium block's last word is wrong", b);
        if (wl_medium_is_live(s, b + WL_MEDIUM_HEADER) == !!(header & FREE))
            return wl_check_failed(-45, "live bit disagrees with the medium block", b);
        if (header & FREE) {
            *free_bytes += size;
            *listed += size >= WL_MEDIUM_LISTED_MIN;
            if (size == REGION_BYTES && s != wl_heap.medium_spare) return wl_check_failed(-46, "empty medium span kept", start);
        } else {
            *live += size - WL_MEDIUM_HEADER;
            live_blocks++;
        }
    }
    if (b != end || *word_at(end) != (header & FREE ? PREV_FREE : 0))
        return wl_check_failed(-47, "medium span's end mark is wrong", end);
    for (uint32_t w = 0; w < BITMAP_BYTES / 4; w++) live_bits += (uint32_t)__builtin_popcount(word_at(start)[w]);
    if (live_bits != live_blocks) return wl_check_failed(-48, "live bit where no medium block starts", start);
    return 0;
}

int wl_medium_check_bins(size_t listed) {
    size_t seen = 0;
    if (wl_heap.medium_spare && wl_heap.medium_spare->kind != SPAN_MEDIUM)
        return wl_check_failed(-49, "spare medium span is not one", 0);
    for (unsigned bin = 0; bin < WL_MEDIUM_BINS; bin++) {
        unsigned group = bin >> 4, marked = (wl_heap.medium_bin_mask[group] >> (bin & 15)) & 1;
        if (marked != (wl_heap.medium_bins[bin] != 0) ||
            ((wl_heap.medium_group_mask >> group) & 1) != (wl_heap.medium_bin_mask[group] != 0))
            return wl_check_failed(-50, "medium bin masks disagree with the bins", 0);
        for (wl_off b = wl_heap.medium_bins[bin], prev = 0; b; prev = b, b = *next_link(b)) {
            const struct span *s = wl_map_get(wl_slice_of(b));
            if (++seen > listed || !s || s->kind != SPAN_MEDIUM || ((b + WL_MEDIUM_HEADER) & (WL_GRANULE - 1)))
                return wl_check_failed(-51, "medium bin holds what no span lists as free", b);
            uint32_t header = *word_at(b);
            if (!(header & FREE) || size_of(header) < WL_MEDIUM_LISTED_MIN || bin_of(size_of(header)) != bin ||
                *prev_link(b) != prev)
                return wl_check_failed(-52, "bad block in a medium bin", b);
        }
    }
    if (seen != listed) return wl_check_failed(-53, "free medium block missing from its bin", 0);
    return 0;
}
