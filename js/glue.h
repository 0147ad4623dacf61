/* glue.h - what the two halves of the JavaScript glue share: glue.c, in every walloc module
 * walloc.mjs loads, and glue-gc.c, only in walloc-gc.wasm (js.mk). */
#ifndef WALLOC_JS_GLUE_H
#define WALLOC_JS_GLUE_H

#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(#name)))

/* A scratch word: as wide as a size_t, so counters and offsets past 4 GiB reach walloc.mjs whole
 * on wasm64 (abi.mjs reads them as 64-bit words there, as 32-bit words on wasm32). */
typedef size_t wjs_word;

/* Copies `count` (at most 16) words into the scratch words, which walloc.mjs reads right after
 * the call that published them. O(count), no errors. */
void wjs_publish(const wjs_word *words, unsigned count);

#endif
