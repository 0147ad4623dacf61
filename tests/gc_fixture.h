/* gc_fixture.h - what the collector's tests share (test_gc.c, test_gc_final.c).
 *
 * Roots are kept where every build sees them: in static data (the `root` array) or in memory
 * the test registers. A pointer held only in a wasm local is invisible to the collector (the
 * README's rule), so objects meant to die are made, and stored, by functions that have
 * returned by the time of the collection (their frames are below the stack pointer, never
 * scanned), and objects meant to live are stored in `root` first. Whether an object died is
 * seen through a disappearing link in malloc's memory (never scanned, so it retains nothing) or
 * a finalizer, never by touching it.
 */
#ifndef WALLOC_TESTS_GC_FIXTURE_H
#define WALLOC_TESTS_GC_FIXTURE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#if !defined(__wasm__)
#include <signal.h>
#include <unistd.h>
#endif

#include "gc.h"
#include "gc_typed.h"
#include "sizes.h"
#include "check.h"

#define NOINLINE __attribute__((noinline))

/* The collector's test hook: a cap on the mark stack, so that overflow can be forced. */
extern size_t wl_gc_mark_stack_limit;

static void *volatile root[16];

struct node {
    struct node *next;
    uintptr_t value;
};

static inline struct walloc_stats heap_now(void) {
    struct walloc_stats s;
    walloc_get_stats(&s);
    return s;
}

/* Forgets every root and collects twice (finalized objects die at the second). */
static inline void clean_slate(void) {
    for (size_t i = 0; i < sizeof root / sizeof root[0]; i++) root[i] = NULL;
    GC_gcollect();
    GC_gcollect();
}

static unsigned long finalized;
static inline void count_finalizer(void *obj, void *data) {
    (void)obj;
    finalized += (uintptr_t)data;
}

#define WEAK_SLOTS 64
static void **weak;

/* An object of `size` bytes (atomic or not) that only the disappearing link weak[i] points to;
 * returns 0 when it could not be made. */
static inline NOINLINE int weak_object(int i, size_t size, int atomic) {
    GC_unregister_disappearing_link(&weak[i]);
    void *p = atomic ? GC_malloc_atomic(size) : GC_malloc(size);
    if (!p) return 0;
    weak[i] = p;
    return GC_general_register_disappearing_link(&weak[i], p) == GC_SUCCESS;
}

/* Stores weak[i] (plus `offset` bytes) at `at`, from a frame that is gone at the collection. */
static inline NOINLINE void put(void *volatile *at, int i, size_t offset) { *at = (char *)weak[i] + offset; }
static inline NOINLINE void put_word(uintptr_t *at, int i) { *at = (uintptr_t)weak[i]; }
static inline int dead(int i) { return weak[i] == NULL; }


static inline NOINLINE void finalizable_garbage(unsigned count, size_t size) {
    for (unsigned i = 0; i < count; i++) {
        void *p = GC_malloc(size);
        if (p) GC_register_finalizer(p, count_finalizer, (void *)(uintptr_t)1, NULL, NULL);
    }
}

/* The runner of either program: the collector set up, the weak slots made. */
static inline int gc_test_main(const struct test_entry *tests, size_t count, int argc, char **argv) {
    GC_INIT();
    weak = walloc_calloc(WEAK_SLOTS, sizeof *weak);
    if (!weak) return 1;
    return check_main(tests, count, argc, argv, check_heap_is_consistent);
}

#endif
