/* gc_typed.h - typed objects of walloc's collector (gc.h), with bdwgc's API: a descriptor says
 * which words of an object may hold pointers, and only those are scanned, so an integer, hash
 * or float in any other word never keeps an object alive.
 *
 * Descriptors use bdwgc's encoding: raw ones built by a caller (a GC_DS_BITMAP with the first
 * word in the top bit, or a GC_DS_LENGTH byte count of a prefix that may all be pointers) work
 * as they do there. GC_make_descriptor returns one of those, or an extended one for layouts
 * longer than a word of bits.
 */
#ifndef WALLOC_GC_TYPED_H
#define WALLOC_GC_TYPED_H

#include "gc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef GC_word GC_descr;

#define GC_WORDSZ (8 * sizeof(GC_word))
#define GC_DS_TAG_BITS 2
#define GC_DS_TAGS ((1 << GC_DS_TAG_BITS) - 1)
#define GC_DS_LENGTH 0
#define GC_DS_BITMAP 1
#define GC_DS_PROC 2
#define GC_DS_PER_OBJECT 3

/* Bit `index` of a layout bitmap (an array of GC_word): set for a word that may be a pointer. */
#define GC_get_bit(bm, index) (((bm)[(index) / GC_WORDSZ] >> ((index) % GC_WORDSZ)) & 1)
#define GC_set_bit(bm, index) ((bm)[(index) / GC_WORDSZ] |= (GC_word)1 << ((index) % GC_WORDSZ))
#define GC_WORD_OFFSET(t, f) (offsetof(t, f) / sizeof(GC_word))
#define GC_WORD_LEN(t) (sizeof(t) / sizeof(GC_word))
#define GC_BITMAP_SIZE(t) ((GC_WORD_LEN(t) + GC_WORDSZ - 1) / GC_WORDSZ)

/* The descriptor of objects whose first `len` words are laid out as `bitmap` says (words past
 * len hold no pointer). Build it once per type and keep it: a layout longer than a word of
 * bits takes an entry of a table that lives as long as the program. O(len). */
GC_descr GC_make_descriptor(const GC_word *bitmap, size_t len);

/* A zeroed object of `size` bytes scanned only where `d` says; NULL on exhaustion. The
 * descriptor is kept in a word after the object, as bdwgc does. O(1) amortized. */
void *GC_malloc_explicitly_typed(size_t size, GC_descr d);
/* The same; above 32 KiB only pointers into its first page keep it alive. */
void *GC_malloc_explicitly_typed_ignore_off_page(size_t size, GC_descr d);
/* An array of n elements of `size` bytes each laid out as `d`, zeroed; NULL when n * size
 * overflows or memory runs out. Arrays of one element type share one descriptor entry. */
void *GC_calloc_explicitly_typed(size_t n, size_t size, GC_descr d);

#define GC_MALLOC_EXPLICITLY_TYPED(n, d) GC_malloc_explicitly_typed(n, d)
#define GC_CALLOC_EXPLICITLY_TYPED(n, s, d) GC_calloc_explicitly_typed(n, s, d)

#ifdef __cplusplus
}
#endif

#endif
