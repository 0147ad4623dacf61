/* large.c - large blocks: a span per block, rounded to 4 KiB slices, so the waste is under one
 * slice (at most 1/8 of a block just above 32 KiB, less and less beyond). */
#include "large.h"
#include "pages.h"
#include "secure.h"
#include "small.h"

static uint32_t slices_for(size_t size) {
    return (uint32_t)((size + WL_SLICE_SIZE - 1) >> WL_SLICE_SHIFT);
}

static void count_resize(uint32_t before, uint32_t after) {
    size_t old_bytes = (size_t)before << WL_SLICE_SHIFT, new_bytes = (size_t)after << WL_SLICE_SHIFT;
    wl_heap.large_live_bytes = wl_heap.large_live_bytes - old_bytes + new_bytes;
    wl_heap.live_bytes -= old_bytes;
    wl_count_live(new_bytes);
}

void *wl_large_alloc(size_t size, size_t alignment) {
    if (size > WL_MAX_REQUEST + WL_CANARY_SIZE || alignment > WL_MAX_ALIGNMENT) return NULL;
    uint32_t align_slices = alignment > WL_SLICE_SIZE ? (uint32_t)(alignment >> WL_SLICE_SHIFT) : 1;
    struct span *s = wl_span_alloc(slices_for(size ? size : 1), align_slices, SPAN_LARGE);
    if (!s) return NULL;
    size_t bytes = (size_t)s->count << WL_SLICE_SHIFT;
    wl_heap.large_live_bytes += bytes;
    wl_count_alloc(bytes);
    return wl_ptr_of(wl_span_start(s));
}

void wl_large_free(struct span *s) {
    size_t bytes = (size_t)s->count << WL_SLICE_SHIFT;
    wl_heap.large_live_bytes -= bytes;
    wl_heap.live_bytes -= bytes;
    wl_heap.free_count++;
    wl_span_release(s);
}

int wl_large_resize(struct span *s, size_t size) {
    if (size > WL_MAX_REQUEST + WL_CANARY_SIZE) return 0;
    uint32_t before = s->count, wanted = slices_for(size ? size : 1);
    if (wanted == before) return 1;
    if (wanted < before) wl_span_shrink(s, wanted);
    else if (wanted > before && !wl_span_extend(s, wanted)) return 0;
    count_resize(before, s->count);
    return 1;
}
