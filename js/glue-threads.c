/* glue-threads.c - what threads.mjs needs from the threads build (src/threads.h) beyond glue.c,
 * which walloc-threads.wasm holds too: starting and ending a thread, a block size that does not
 * stop the heap, and the word that says it has stopped.
 *
 * The module is linked with --shared-memory (js.mk) and instantiated once per thread on one
 * WebAssembly.Memory. Each instance has its own __stack_pointer and __tls_base globals, but
 * both start out pointing at the same place for every instance: the linker's stack, and 0. So
 * every thread needs a stack and a thread-local block (walloc's cache, glue.c's scratch words)
 * of its own before its first call: the first thread gets static ones, the others an area that
 * an existing thread allocates for them and the host installs. */
#include "glue.h"
#include "walloc.h"
#include "medium.h"
#include "pages.h"
#include "platform.h"
#include "small.h"
#include "threads.h"

/* wasm-ld's: copies the module's thread-local initial data to `block` and points __tls_base
 * at it. */
void __wasm_init_tls(void *block);

/* The first thread's thread-local block. It cannot come from malloc: malloc's cache lives in
 * the very block being set up. The block holds walloc's thread cache and glue.c's per-thread
 * buffers, 12 KiB in all as of this writing; the rest is room for the cache to grow, and
 * wjs_first_thread says when it outgrew even that. */
static _Alignas(16) unsigned char first_tls[32768];

/* Sets up the first instance as walloc's first thread, on the linker's stack. Returns 0, doing
 * nothing, when the thread-local block outgrew first_tls (threads.mjs then refuses the module). */
EXPORT(wjs_first_thread) int wjs_first_thread(void) {
    if (__builtin_wasm_tls_size() > sizeof first_tls) return 0;
    __wasm_init_tls(first_tls);
    return 1;
}

static size_t tls_bytes(void) { return (__builtin_wasm_tls_size() + 15) & ~(size_t)15; }

/* On a thread already set up: an area for another thread, `stack` bytes of stack (a multiple
 * of 16; the stack grows down from area + stack) followed by its thread-local block. NULL when
 * memory runs out. */
EXPORT(wjs_thread_area) void *wjs_thread_area(size_t stack) {
    if (stack > SIZE_MAX - tls_bytes()) return NULL;
    return walloc_aligned_alloc(16, stack + tls_bytes());
}

/* On the new thread, after the host set its __stack_pointer to `tls`, the top of its stack and
 * the start of its thread-local block. */
EXPORT(wjs_thread_init) void wjs_thread_init(void *tls) { __wasm_init_tls(tls); }

/* Ends the calling thread's use of the heap: its cached blocks go back (walloc_thread_exit),
 * then its own area (0 for the first thread, whose area is static). That free runs on the
 * stack it frees, which is sound because nothing reads the area after it: the library keeps
 * span records out of line and writes nothing into a large block it frees, this frame keeps no
 * data on the stack, and the stack pointer comes back from a wasm local, not from memory. The
 * area is a large block: wjs_thread_area asks for more than the medium limit (threads.mjs). */
EXPORT(wjs_thread_exit) void wjs_thread_exit(void *area) {
    walloc_thread_exit();
    walloc_free(area);
}

/* The usable size of the live malloc block starting at `p`, or 0 when `p` starts none. Unlike
 * malloc_usable_size it never reports: in the threads build a report stops the heap for every
 * thread (threads.mjs), and the views and copies of threads.mjs ask this of any pointer they
 * are given. A small block is live while its free bit is clear (the heap's view) and it is not
 * claimed (no thread's cache holds it); a medium one by its live bit; a large one is the start
 * of its span. Under the lock, as walloc_malloc_usable_size reads the same records. */
EXPORT(wjs_live_size) size_t wjs_live_size(void *p) {
    wl_off off = wl_off_of(p);
    size_t size = 0;
    wl_lock();
    const struct span *s = wl_span_containing(off);
    if (s && s->kind == SPAN_SMALL) {
        int index = wl_small_index(s, off);
        if (index >= 0 && !wl_small_is_free(s, (unsigned)index) && !wl_thread_is_claimed(s, (unsigned)index))
            size = wl_classes[s->size_class].size;
    } else if (s && wl_is_medium(s)) {
        if (wl_medium_is_live(s, off)) size = wl_medium_usable(off);
    } else if (s && off == wl_span_start(s)) {
        size = (size_t)s->count << WL_SLICE_SHIFT;
    }
    wl_unlock();
    return size;
}

/* 0 while the heap runs; threads.mjs sets it when a call trapped on a report, which may have
 * left walloc's lock taken: from then on no thread enters the module. One word in the shared
 * memory, so every thread's instance finds it at the same address. */
static int stopped;

EXPORT(wjs_stop_word) int *wjs_stop_word(void) { return &stopped; }
