/* gc_typed.c - typed objects (gc_typed.h): the descriptor says which words can hold pointers,
 * so the rest (integers, hashes, floats) never retains anything.
 *
 * Descriptors use bdwgc's encoding, so raw ones built by callers work: the low two bits are a
 * tag; GC_DS_LENGTH means "the first n bytes may all be pointers", GC_DS_BITMAP holds a bit per
 * word, the first word in the top bit. A layout too long for one bitmap word becomes an
 * extended descriptor: tag 2 and the index of an entry of a table kept here (bdwgc's own
 * extended descriptors are opaque too). An array made by GC_calloc_explicitly_typed gets an
 * extended entry that repeats the element's layout over the whole object. */
#include "gc.h"
#include "gc_typed.h"
#include "collector.h"
#include "platform.h"

struct layout {
    uintptr_t *bits;     /* bit i of the bitmap (word i / WORD_BITS) = word i may be a pointer */
    size_t words;        /* words the bitmap covers */
    size_t stride;       /* bytes between elements that repeat the layout; 0: it is not repeated */
    wl_descr element;    /* for an array: the element's descriptor, to find the entry again */
};

WL_STATE static struct layout *layouts;
WL_STATE static size_t layout_count, layout_capacity;

static wl_descr extended(size_t index) { return ((wl_descr)index << WL_DS_TAG_BITS) | WL_DS_PROC; }

/* Adds a layout of `words` words (bits copied from `bits`, or all set when NULL); returns its
 * descriptor, or 0 (no pointers at all: still a correct, if useless, answer) when out of memory. */
static wl_descr add_layout(const uintptr_t *bits, size_t words, size_t stride, wl_descr element) {
    size_t bitmap_words = (words + WL_WORD_BITS - 1) / WL_WORD_BITS;
    if (layout_count == layout_capacity) {
        size_t wanted = layout_capacity ? layout_capacity * 2 : 8;
        struct layout *bigger = walloc_realloc(layouts, wanted * sizeof *bigger);
        if (!bigger) return WL_DS_LENGTH;
        layouts = bigger;
        layout_capacity = wanted;
    }
    uintptr_t *copy = walloc_malloc(bitmap_words * sizeof *copy);
    if (!copy) return WL_DS_LENGTH;
    for (size_t i = 0; i < bitmap_words; i++) copy[i] = bits ? bits[i] : ~(uintptr_t)0;
    layouts[layout_count] = (struct layout){ copy, words, stride, element };
    return extended(layout_count++);
}

static size_t last_set_bit(const GC_word *bitmap, size_t len) {
    size_t last = SIZE_MAX;
    for (size_t i = 0; i < len; i++)
        if (GC_get_bit(bitmap, i)) last = i;
    return last;
}

GC_descr GC_make_descriptor(const GC_word *bitmap, size_t len) {
    size_t last = last_set_bit(bitmap, len);
    if (last == SIZE_MAX) return WL_DS_LENGTH;
    size_t i = 0;
    while (i <= last && GC_get_bit(bitmap, i)) i++;
    if (i > last) return (GC_descr)((last + 1) * sizeof(GC_word)) | WL_DS_LENGTH;
    if (last < WL_WORD_BITS - WL_DS_TAG_BITS) {
        GC_descr d = WL_DS_BITMAP;
        for (size_t w = 0; w <= last; w++)
            if (GC_get_bit(bitmap, w)) d |= (GC_descr)1 << (WL_WORD_BITS - 1 - w);
        return d;
    }
    return add_layout((const uintptr_t *)bitmap, last + 1, 0, 0);
}

/* The layout of an element described by `d` as a bitmap of `words` words, into `bits`. */
static void element_bits(wl_descr d, size_t words, uintptr_t *bits) {
    size_t bitmap_words = (words + WL_WORD_BITS - 1) / WL_WORD_BITS;
    for (size_t i = 0; i < bitmap_words; i++) bits[i] = 0;
    for (size_t w = 0; w < words; w++) {
        int pointer;
        switch (d & WL_DS_TAGS) {
        case WL_DS_LENGTH: pointer = w * sizeof(uintptr_t) < (d & ~(wl_descr)WL_DS_TAGS); break;
        case WL_DS_BITMAP: pointer = w < WL_WORD_BITS - WL_DS_TAG_BITS && ((d >> (WL_WORD_BITS - 1 - w)) & 1); break;
        default: {
            const struct layout *l = &layouts[d >> WL_DS_TAG_BITS];
            pointer = w < l->words && ((l->bits[w / WL_WORD_BITS] >> (w % WL_WORD_BITS)) & 1);
        }
        }
        if (pointer) bits[w / WL_WORD_BITS] |= (uintptr_t)1 << (w % WL_WORD_BITS);
    }
}

/* The descriptor of an array of elements of `size` bytes laid out as `d`: found again for the
 * same pair, so a program that callocs the same type again and again adds one entry. */
static wl_descr array_descr(size_t size, wl_descr d) {
    for (size_t i = 0; i < layout_count; i++)
        if (layouts[i].stride == size && layouts[i].element == d) return extended(i);
    size_t words = size / sizeof(uintptr_t);
    uintptr_t *bits = walloc_malloc(((words + WL_WORD_BITS - 1) / WL_WORD_BITS + 1) * sizeof *bits);
    if (!bits) return WL_DS_LENGTH | (wl_descr)size;
    element_bits(d, words, bits);
    wl_descr result = add_layout(bits, words, size, d);
    walloc_free(bits);
    return result;
}

void wl_gc_scan_typed(uintptr_t base, size_t bytes, wl_descr d) {
    const struct layout *l = &layouts[d >> WL_DS_TAG_BITS];
    size_t step = l->stride ? l->stride : bytes;
    for (size_t at = 0; at < bytes && step; at += step) {
        size_t left = bytes - at;
        wl_gc_mark_words(base + at, left < step ? left : step, l->bits, l->words);
        if (!l->stride) break;
    }
}

static void *typed_alloc(size_t size, GC_descr d, int off_page) { return wl_gc_alloc_typed(size, d, off_page); }

void *GC_malloc_explicitly_typed(size_t size, GC_descr d) { return typed_alloc(size, d, 0); }

void *GC_malloc_explicitly_typed_ignore_off_page(size_t size, GC_descr d) { return typed_alloc(size, d, 1); }

void *GC_calloc_explicitly_typed(size_t n, size_t size, GC_descr d) {
    size_t total;
    if (wl_mul_overflow(n, size, &total)) return wl_gc_alloc(SIZE_MAX, WL_GC_NORMAL, 0);
    if (size % sizeof(GC_word) || (d & WL_DS_TAGS) == WL_DS_LENGTH) {
        if ((d & WL_DS_TAGS) == WL_DS_LENGTH && (d & ~(wl_descr)WL_DS_TAGS) == 0) return GC_malloc_atomic(total);
        if (size % sizeof(GC_word)) return GC_malloc(total);
    }
    return typed_alloc(total, array_descr(size, d), 0);
}
