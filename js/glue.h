/* glue.h - what the parts of the JavaScript glue share: glue.c, in every walloc module
 * walloc.mjs loads, glue-gc.c, only in walloc-gc.wasm, and glue-threads.c, only in
 * walloc-threads.wasm (js.mk). */
#ifndef WALLOC_JS_GLUE_H
#define WALLOC_JS_GLUE_H

#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(#name)))

/* A scratch word: as wide as a size_t, so counters and offsets past 4 GiB reach walloc.mjs whole
 * on wasm64 (abi.mjs reads them as 64-bit words there, as 32-bit words on wasm32). */
typedef size_t wjs_word;

/* walloc-threads.wasm runs this glue on several threads at once (glue-threads.c): what a call
 * leaves for JavaScript to read right after it must be the calling thread's own, or another
 * thread's call could overwrite it in between. Elsewhere it is a plain static. */
#if defined(WALLOC_THREADS)
#define WJS_PER_THREAD _Thread_local
#else
#define WJS_PER_THREAD
#endif

/* Copies `count` (at most 16) words into the scratch words, which walloc.mjs reads right after
 * the call that published them. O(count), no errors. */
void wjs_publish(const wjs_word *words, unsigned count);

#endif
