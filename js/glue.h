/* glue.h - what the two halves of the JavaScript glue share: glue.c, in every walloc module
 * walloc.mjs loads, and glue-gc.c, only in walloc-gc.wasm (js.mk). */
#ifndef WALLOC_JS_GLUE_H
#define WALLOC_JS_GLUE_H

#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(#name)))

/* Copies `count` (at most 16) words into the scratch words, which walloc.mjs reads right after
 * the call that published them. O(count), no errors. */
void wjs_publish(const uint32_t *words, unsigned count);

#endif
