/* stats.c - counters, the growth cap, and walloc_check's walk over the whole heap. */
#include "walloc.h"
#include "collector.h"
#include "medium.h"
#include "pages.h"
#include "platform.h"
#include "report.h"
#include "secure.h"
#include "small.h"
#include "threads.h"

static size_t clamp_size(uint64_t bytes) { return bytes > SIZE_MAX ? SIZE_MAX : (size_t)bytes; }

size_t walloc_set_limit(size_t bytes) {
    wl_lock();
    if (!wl_heap.ready) wl_heap_init();
    uint64_t previous = (uint64_t)wl_heap.limit_pages * WL_WASM_PAGE_SIZE;
    uint64_t most = WL_MAX_MEMORY / WL_WASM_PAGE_SIZE;
    uint64_t pages = bytes == SIZE_MAX ? most : (uint64_t)bytes / WL_WASM_PAGE_SIZE;
    wl_heap.limit_pages = (uint32_t)(pages < most ? pages : most);
    wl_unlock();
    return clamp_size(previous);
}

/* Blocks in threads' caches (threads.h) are live to the heap and free to the program: each
 * thread's share of the counts is what it pushed less what it spilled, less what it holds for
 * allocations (in single-threaded builds the totals are all 0). */
void walloc_get_stats(struct walloc_stats *out) {
    wl_lock();
    if (!wl_heap.ready) wl_heap_init();
    struct wl_thread_totals threads;
    wl_thread_totals(&threads);
    size_t small_live = wl_heap.live_bytes - wl_heap.large_live_bytes - wl_heap.medium_live_bytes;
    out->heap_bytes = (size_t)(wl_heap.end_slice - wl_heap.first_slice) << WL_SLICE_SHIFT;
    out->live_bytes = wl_heap.live_bytes - threads.cached_bytes;
    out->peak_live_bytes = wl_heap.peak_live_bytes;
    out->free_bytes = wl_heap.free_span_bytes + (wl_heap.small_block_bytes - small_live) + wl_heap.medium_free_bytes +
                      threads.cached_bytes;
    out->meta_bytes = wl_heap.meta_bytes;
    out->alloc_count = wl_heap.alloc_count + threads.pushes - threads.spills - threads.cached_blocks;
    out->free_count = wl_heap.free_count + threads.pushes - threads.spills;
    out->grow_count = wl_heap.grow_count;
    out->memory_bytes = clamp_size((uint64_t)wl_platform_memory_pages() * WL_WASM_PAGE_SIZE);
    out->tier_bytes = wl_heap.tier_bytes;
    out->gc_bytes = wl_heap.gc_bytes;
    wl_unlock();
}

/* What the walk over spans adds up, to compare with the running counters. */
struct tally {
    size_t spans, free_spans, available_spans;
    size_t free_bytes, live_bytes, large_live_bytes, small_span_bytes, small_block_bytes, meta_bytes;
    size_t tier_bytes, gc_bytes;
    size_t medium_live_bytes, medium_free_bytes, medium_listed;
    size_t parked;           /* small blocks whose bit is set beyond their span's free_blocks */
    size_t cached;           /* threads build: small blocks claimed but live to the heap */
    struct wl_thread_totals threads; /* what the threads' caches and spans say, read once */
};

static int check_small(const struct span *s, struct tally *t) {
    wl_off at = wl_span_start(s);
    if (s->size_class >= WL_CLASS_COUNT) return wl_check_failed(-10, "bad size class", at);
    const struct size_class *c = &wl_classes[s->size_class];
    if (s->count != c->slices) return wl_check_failed(-11, "small span of wrong length", at);
    unsigned free_bits = 0, below_hint = 0;
    for (unsigned w = 0; w < WL_BITMAP_WORDS; w++) {
        uint64_t bits = s->free_bits[w];
        unsigned below = c->blocks > w * 64 ? c->blocks - w * 64 : 0;
        if (below < 64 && (bits >> below)) return wl_check_failed(-12, "free bit past the last block", at);
        if (w < s->hint) below_hint += (unsigned)__builtin_popcountll(bits);
        free_bits += (unsigned)__builtin_popcountll(bits);
    }
    /* Parked blocks (types.h) have their bits set but are not in free_blocks, and are the only
     * free bits allowed below the hint; check_recent counts the ring's side. */
    if (free_bits != (unsigned)s->free_blocks + s->parked)
        return wl_check_failed(-14, "free block count disagrees with bitmap", at);
    if (below_hint > s->parked) return wl_check_failed(-13, "free bit below the search hint", at);
    if (s->parked && s->free_blocks + s->parked == c->blocks)
        return wl_check_failed(-18, "small span kept by parked blocks alone", at);
    t->parked += s->parked;
    int err = wl_thread_check_span(s, &t->cached);
    if (err) return err;
    int full = s->group == WL_GROUP_FULL;
    if ((full ? s->free_blocks > c->most_free[WL_GROUP_FULL] : s->free_blocks == 0) ||
        (s->group == WL_GROUP_CURRENT) != (c->current == s))
        return wl_check_failed(-16, "small span in the wrong fullness group", at);
    if (!full) t->available_spans++;
    t->live_bytes += (size_t)(c->blocks - free_bits) * c->size;
    t->small_span_bytes += (size_t)s->count << WL_SLICE_SHIFT;
    t->small_block_bytes += (size_t)c->blocks * c->size;
    return 0;
}

static int check_map_covers(const struct span *s) {
    for (uint32_t i = 0; i < s->count; i++)
        if (wl_map_get(s->first + i) != s)
            return wl_check_failed(-15, "page map entry of a live span is wrong", wl_slice_off(s->first + i));
    return 0;
}

static int walk_spans(struct tally *t) {
    uint32_t slice = wl_heap.first_slice, end = wl_heap.end_slice;
    int previous_free = 0, err;
    while (slice < end) {
        struct span *s = wl_map_get(slice);
        wl_off at = wl_slice_off(slice);
        if (!s || s == &wl_meta_span || s == &wl_host_memory) {
            if (s == &wl_meta_span) t->meta_bytes += WL_SLICE_SIZE;
            previous_free = 0;
            slice++;
            continue;
        }
        if (s->first != slice) return wl_check_failed(-1, "page map entry does not start a span", at);
        if (s->count == 0 || s->count > end - slice) return wl_check_failed(-2, "span runs past the heap", at);
        t->spans++;
        switch (s->kind) {
        case SPAN_FREE:
            if (previous_free) return wl_check_failed(-3, "free spans left unmerged", at);
            if (wl_map_get(slice + s->count - 1) != s) return wl_check_failed(-4, "free span's last map entry is wrong", at);
            for (uint32_t i = 1; i + 1 < s->count; i++) {
                struct span *inside = wl_map_get(slice + i);
                if (inside && inside != &wl_free_interior)
                    return wl_check_failed(-7, "stale page map entry inside a free span", wl_slice_off(slice + i));
            }
            if (s->bin != wl_bin_of(s->count)) return wl_check_failed(-5, "free span in the wrong bin", at);
            t->free_spans++;
            t->free_bytes += (size_t)s->count << WL_SLICE_SHIFT;
            break;
        case SPAN_SMALL:
            if ((err = check_map_covers(s)) || (err = check_small(s, t))) return err;
            wl_secure_check_span(s);
            break;
        case SPAN_MEDIUM: {
            size_t live = 0;
            if ((err = check_map_covers(s)) ||
                (err = wl_medium_check_span(s, &live, &t->medium_free_bytes, &t->medium_listed)))
                return err;
            t->live_bytes += live;
            t->medium_live_bytes += live;
            break;
        }
        case SPAN_LARGE:
            if ((err = check_map_covers(s))) return err;
            wl_secure_check_span(s);
            t->live_bytes += (size_t)s->count << WL_SLICE_SHIFT;
            t->large_live_bytes += (size_t)s->count << WL_SLICE_SHIFT;
            break;
        case SPAN_TIER:
            if ((err = check_map_covers(s))) return err;
            if (!s->tier.owner) return wl_check_failed(-8, "tier chunk without a tier", at);
            t->tier_bytes += (size_t)s->count << WL_SLICE_SHIFT;
            break;
        case SPAN_GC:
            if ((err = check_map_covers(s)) || (err = wl_gc_check_span(s))) return err;
            t->gc_bytes += (size_t)s->count << WL_SLICE_SHIFT;
            break;
        default:
            return wl_check_failed(-6, "span of unknown kind", at);
        }
        previous_free = s->kind == SPAN_FREE;
        slice += s->count;
    }
    return 0;
}

/* The stack of recent frees of class `cls`: free blocks of in-use spans of that class, each held
 * once (a block held twice would be handed out twice). Counts them into *parked. */
static int check_recent(unsigned cls, size_t *parked) {
    const struct size_class *c = &wl_classes[cls];
    if (c->recent_count > WL_RECENT) return wl_check_failed(-27, "stack of recent frees overflows", 0);
    *parked += c->recent_count;
    for (unsigned i = 0; i < c->recent_count; i++) {
        const struct recent_block *r = &wl_recent[cls][i];
        const struct span *s = r->span;
        if (!s || s->kind != SPAN_SMALL || s->size_class != cls || r->index >= c->blocks ||
            wl_map_get(s->first) != s || !wl_small_is_free(s, r->index))
            return wl_check_failed(-28, "bad block in the stack of recent frees", s ? wl_span_start(s) : 0);
        for (unsigned j = 0; j < i; j++) {
            const struct recent_block *q = &wl_recent[cls][j];
            if (q->span == s && q->index == r->index)
                return wl_check_failed(-29, "block held twice in the stack of recent frees", wl_span_start(s));
        }
    }
    return 0;
}

/* Every list is walked with a step bound, so a cycle is reported instead of hanging. */
static int check_lists(const struct tally *t) {
    size_t listed = 0, binned = 0, parked = 0;
    for (unsigned cls = 0; cls < WL_CLASS_COUNT; cls++) {
        const struct size_class *c = &wl_classes[cls];
        int err = check_recent(cls, &parked);
        if (err) return err;
        if (c->current) listed++;
        for (unsigned g = 0; g < WL_FULLNESS_GROUPS; g++) {
            const struct span *head = c->groups[g], *s = head;
            if (((c->group_mask >> g) & 1) != (head != NULL)) return wl_check_failed(-19, "group mask disagrees with groups", 0);
            do {
                if (!s) break;
                if (++listed > t->spans) return wl_check_failed(-20, "fullness group ring loops", 0);
                if (s->kind != SPAN_SMALL || s->size_class != cls || s->group != g || s->next->prev != s ||
                    s->free_blocks > c->most_free[g] || (g && s->free_blocks <= c->most_free[g - 1]))
                    return wl_check_failed(-21, "bad span in a fullness group", wl_span_start(s));
                s = s->next;
            } while (s != head);
        }
    }
    listed += t->threads.owned_spans; /* the spans threads own (threads.h) */
    if (listed != t->available_spans) return wl_check_failed(-22, "span with free blocks missing from its fullness group", 0);
    if (parked != t->parked) return wl_check_failed(-17, "free bits disagree with the rings of recent frees", 0);
    for (unsigned b = 0; b < WL_BIN_COUNT; b++) {
        const struct span *prev = NULL;
        int nonempty = (int)((wl_heap.bin_mask[b >> 6] >> (b & 63)) & 1);
        if (nonempty != (wl_heap.bins[b] != NULL)) return wl_check_failed(-23, "bin mask disagrees with bins", 0);
        for (const struct span *s = wl_heap.bins[b]; s; prev = s, s = s->next) {
            if (++binned > t->spans) return wl_check_failed(-24, "free bin loops", 0);
            if (s->kind != SPAN_FREE || s->bin != b || s->prev != prev)
                return wl_check_failed(-25, "bad span in a free bin", wl_span_start(s));
        }
    }
    if (binned != t->free_spans) return wl_check_failed(-26, "free span missing from the bins", 0);
    return wl_medium_check_bins(t->medium_listed);
}

static int check_counters(const struct tally *t) {
    if (t->live_bytes != wl_heap.live_bytes) return wl_check_failed(-30, "live byte count is off", 0);
    if (t->large_live_bytes != wl_heap.large_live_bytes) return wl_check_failed(-31, "large live byte count is off", 0);
    if (t->free_bytes != wl_heap.free_span_bytes) return wl_check_failed(-32, "free span byte count is off", 0);
    if (t->small_span_bytes != wl_heap.small_span_bytes || t->small_block_bytes != wl_heap.small_block_bytes)
        return wl_check_failed(-33, "small span byte counts are off", 0);
    if (t->meta_bytes != wl_heap.meta_bytes) return wl_check_failed(-34, "meta byte count is off", 0);
    if (t->tier_bytes != wl_heap.tier_bytes) return wl_check_failed(-35, "tier byte count is off", 0);
    if (t->gc_bytes != wl_heap.gc_bytes) return wl_check_failed(-37, "collector byte count is off", 0);
    if (t->medium_live_bytes != wl_heap.medium_live_bytes || t->medium_free_bytes != wl_heap.medium_free_bytes)
        return wl_check_failed(-36, "medium byte counts are off", 0);
    return 0;
}

/* The threads build: what the spans say threads' caches hold is what the caches say. */
static int check_threads(const struct tally *t) {
    if (t->cached != t->threads.cached_blocks) return wl_check_failed(-94, "claimed blocks disagree with the thread caches", 0);
    return wl_thread_check_own();
}

static int check_locked(void) {
    if (!wl_heap.ready) return 0;
    struct tally t = { 0 };
    int err;
    wl_thread_totals(&t.threads);
    if ((err = walk_spans(&t)) || (err = check_lists(&t)) || (err = check_counters(&t)) ||
        (err = check_threads(&t)) || (err = wl_descriptors_check()))
        return err;
    wl_secure_check_quarantine();
    return 0;
}

int walloc_check(void) {
    wl_lock();
    int err = check_locked();
    wl_unlock();
    return err;
}
