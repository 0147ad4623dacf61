/* glue-threads.c - what threads.mjs needs from the threads build (src/threads.h) beyond glue.c,
 * which walloc-threads.wasm holds too: starting and ending a thread, a block size that does not
 * stop the heap, and the word that says it has stopped.
 *
 * The module is linked with --shared-memory (js.mk) and instantiated once per thread on one
 * WebAssembly.Memory; every thread needs a stack and a thread-local block (walloc's cache,
 * glue.c's scratch words) of its own before its first call, which thread_start.h's exports set
 * up: the first thread gets static ones, the others an area that an existing thread allocates
 * for them and the host installs. */
#include "glue.h"
#include "walloc.h"
#include "medium.h"
#include "pages.h"
#include "platform.h"
#include "small.h"
#include "threads.h"
#include "thread_start.h"

/* Ends the calling thread's use of the heap: its cached blocks go back (walloc_thread_exit),
 * then its own area (0 for the first thread, whose area is static). That free runs on the
 * stack it frees, which is sound because nothing reads the area after it: the library keeps
 * span records out of line and writes nothing into a large block it frees, this frame keeps no
 * data on the stack, and the stack pointer comes back from a wasm local, not from memory. The
 * area is a large block: thread_area is asked for more than the medium limit (threads.mjs). */
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
