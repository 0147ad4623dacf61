/* What a module sees on walloc's first call when its host hands it the memory
 * (--import-memory): the memory above __heap_base may hold anything, and the initial memory may
 * end anywhere after it. startup.mjs fills that memory with garbage before the first call and
 * links the module so that __heap_base falls where the heap's first region is too small for
 * its own meta slices; these exports answer with 1 for "as promised" and 0 (or a walloc_check
 * code) otherwise. */
#include "walloc.h"

#define EXPORT(name) __attribute__((export_name(#name)))

/* Whether a calloc of `size` bytes is all zero. The block is kept, so that each call is served
 * from memory no earlier call used. */
EXPORT(calloc_is_zero) int calloc_is_zero(size_t size) {
    unsigned char *p = calloc(size, 1);
    if (!p) return 0;
    unsigned char seen = 0;
    for (size_t i = 0; i < size; i++) seen |= p[i];
    return seen == 0;
}

/* Checks the heap after a first small block, after a medium one and after freeing both:
 * walloc_check's first failing code, or 0 when it is consistent every time. */
EXPORT(first_calls_check) int first_calls_check(void) {
    void *p = malloc(100);
    int code = walloc_check();
    void *q = malloc(5000);
    if (!code) code = walloc_check();
    free(p);
    free(q);
    if (!code) code = walloc_check();
    return p && q ? code : -1000;
}
