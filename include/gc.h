/* gc.h - walloc's garbage collector, with the API of bdwgc (the Boehm-Demers-Weiser collector),
 * so that programs written for it (TinyGo's boehm mode, nottinygc, C programs) relink against
 * libwalloc.a unchanged. It shares walloc's heap: its pages come from and go back to the pool
 * malloc and the tiers use.
 *
 * What it is: a non-moving mark-sweep collector. Objects are found from the roots: the static
 * data, the shadow stack, ranges registered with GC_add_roots, what the embedder pushes from
 * GC_set_push_other_roots, and uncollectable objects. Ordinary objects are scanned
 * conservatively (any word that points into an object keeps it, interior pointers included);
 * atomic ones are never scanned; typed ones (gc_typed.h) only at their pointer words. malloc's
 * memory is never scanned: register it with GC_add_roots if it holds GC pointers. Every object
 * is zeroed when handed out, atomic ones too.
 *
 * The wasm rule: a pointer held only in a wasm local (the engine's value stack, not linear
 * memory) is invisible to any collector. Either link through binaryen's
 * `wasm-opt --spill-pointers` (it keeps pointer locals in the shadow stack too), or collect
 * only where no such pointer is live (README, "Garbage collector").
 *
 * Errors: exhaustion (the engine refuses memory, GC_set_max_heap_size, walloc_set_limit)
 * returns NULL after a collection, with errno = ENOMEM and a message to the warn proc; it never
 * traps. A request above WALLOC_MAX_REQUEST is exhaustion. Misuse (GC_free of a pointer that
 * is not the start of a live GC object, a double GC_free) stops the program with one line
 * naming the pointer, like malloc misuse (walloc.h).
 *
 * Not provided (declared at the end so that a call fails to link rather than doing nothing):
 * incremental and generational mode, threads, GC_malloc_stubborn-era APIs, debug allocation.
 * Single-threaded, like the rest of walloc.
 */
#ifndef WALLOC_GC_H
#define WALLOC_GC_H

#include <stddef.h>
#include <stdint.h>

#include "walloc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uintptr_t GC_word;
typedef intptr_t GC_signed_word;
typedef void (*GC_finalization_proc)(void *obj, void *client_data);
typedef void (*GC_warn_proc)(char *msg, GC_word arg);
typedef void (*GC_push_other_roots_proc)(void);
typedef void (*GC_finalizer_notifier_proc)(void);

/* Sets the collector up; any other call does it too, so it is optional. O(1). */
void GC_init(void);
#define GC_INIT() GC_init()

/* Returns `size` zeroed bytes, scanned conservatively, or NULL (exhaustion, after a
 * collection). O(1) amortized: a block of a size class (up to 32 KiB) or a page span; may
 * start a collection first (GC_set_free_space_divisor). */
void *GC_malloc(size_t size);
/* As GC_malloc, for objects that hold no pointer: never scanned, zeroed all the same. */
void *GC_malloc_atomic(size_t size);
/* As GC_malloc, but never collected: a root, scanned at every collection, until GC_free. */
void *GC_malloc_uncollectable(size_t size);
/* As GC_malloc_atomic, never collected, never scanned. */
void *GC_malloc_atomic_uncollectable(size_t size);
/* As GC_malloc / GC_malloc_atomic; an object above 32 KiB is then kept alive only by pointers
 * into its first 4 KiB page, which lowers false retention of large objects. */
void *GC_malloc_ignore_off_page(size_t size);
void *GC_malloc_atomic_ignore_off_page(size_t size);

/* GC_malloc_kind: k is GC_I_PTRFREE (atomic) or GC_I_NORMAL; anything else is NORMAL. */
#define GC_I_PTRFREE 0
#define GC_I_NORMAL 1
void *GC_malloc_kind(size_t size, int k);

/* Resizes a GC object: NULL is GC_malloc, size 0 frees it and returns NULL; an object that must
 * move is copied into a new one of its kind (a typed one becomes conservative) and the old one
 * freed. O(size). NULL on exhaustion, the old object untouched. */
void *GC_realloc(void *p, size_t size);

/* Frees a GC object at once (NULL does nothing); its finalizer and links go with it. A pointer
 * that is not the start of a live GC object is fatal (`walloc: invalid GC_free of 0x...`,
 * `double GC_free`). O(1). */
void GC_free(void *p);

/* Copies of a string in atomic objects; NULL on exhaustion. O(length). */
char *GC_strdup(const char *s);
char *GC_strndup(const char *s, size_t n);

/* Collects now: marks from the roots, runs the finalization steps, sweeps; empty spans go back
 * to walloc's pool. Does nothing while the collector is disabled. Cost: O(reachable bytes +
 * GC spans). */
void GC_gcollect(void);
/* The same, and memory is already given back by GC_gcollect: kept for bdwgc's callers. */
void GC_gcollect_and_unmap(void);

/* The start of the GC object `p` points into, or NULL. O(1). */
void *GC_base(void *p);
/* The usable size of the GC object at `p` (its start), 0 for anything else. O(1). */
size_t GC_size(const void *p);
/* Whether `p` points into memory the collector holds (allocated or not). O(1). */
int GC_is_heap_ptr(const void *p);

/* Finalization. fn(obj, cd) runs once, after a collection finds obj unreachable (never while
 * it is reachable); obj is freed at a later collection unless the finalizer made it reachable
 * again. An object reachable from another finalizable object is finalized after it;
 * _ignore_self ignores the object's pointers to itself, _no_order ignores all such order.
 * fn == NULL removes the finalizer. *ofn and *ocd (when not NULL) receive the previous ones. A
 * cycle of finalizable objects is never finalized. O(finalizable objects). */
void GC_register_finalizer(void *obj, GC_finalization_proc fn, void *cd, GC_finalization_proc *ofn, void **ocd);
void GC_register_finalizer_ignore_self(void *obj, GC_finalization_proc fn, void *cd, GC_finalization_proc *ofn,
                                       void **ocd);
void GC_register_finalizer_no_order(void *obj, GC_finalization_proc fn, void *cd, GC_finalization_proc *ofn,
                                    void **ocd);
/* Runs the finalizers of the objects found unreachable and not finalized yet; returns how many
 * ran. Collections call it themselves unless finalize-on-demand is set. */
int GC_invoke_finalizers(void);
/* Whether finalizers are waiting (with finalize-on-demand). */
int GC_should_invoke_finalizers(void);
/* With 1, finalizers wait for GC_invoke_finalizers; the notifier (if set) is called at the end
 * of each collection that left some waiting. */
void GC_set_finalize_on_demand(int value);
int GC_get_finalize_on_demand(void);
void GC_set_finalizer_notifier(GC_finalizer_notifier_proc fn);
GC_finalizer_notifier_proc GC_get_finalizer_notifier(void);
/* Accepted for bdwgc's callers; Java's order is what the collector does anyway. */
void GC_set_java_finalization(int value);
int GC_get_java_finalization(void);

/* Weak references. *link is set to NULL when obj is found unreachable (before finalizers run:
 * an object kept only for its finalizer is gone for its links); the registration goes too, as
 * it does when the object holding `link` is freed. Returns GC_SUCCESS, GC_DUPLICATE (link
 * already registered), GC_NO_MEMORY, or GC_UNIMPLEMENTED for an unaligned link or an obj that
 * is not a GC object. GC_register_disappearing_link(link) uses *link's object. O(links). */
#define GC_SUCCESS 0
#define GC_DUPLICATE 1
#define GC_NO_MEMORY 2
#define GC_UNIMPLEMENTED 3
int GC_general_register_disappearing_link(void **link, const void *obj);
int GC_register_disappearing_link(void **link);
/* Returns 1 when link was registered (and is no more), 0 otherwise. */
int GC_unregister_disappearing_link(void **link);

/* Roots. [low, high_plus_1) is scanned conservatively at every collection until removed.
 * GC_remove_roots removes what lies in the range (parts of larger ranges outside it stay).
 * GC_clear_roots removes every range and stops the automatic scan of the static data, as
 * bdwgc's does. O(ranges). */
void GC_add_roots(void *low, void *high_plus_1);
void GC_remove_roots(void *low, void *high_plus_1);
void GC_clear_roots(void);
/* With 1, the static data is not scanned (for embedders that push their own roots). */
void GC_set_no_dls(int value);
int GC_get_no_dls(void);
/* walloc's switch for the shadow stack scan (bdwgc has none): with 0 the stack is not
 * scanned, for embedders that push their stack themselves, as TinyGo does. Default 1. */
void walloc_gc_scan_stack(int enable);
/* fn is called during each collection's root marking; it reports roots with GC_push_all
 * (queued), GC_push_all_eager or GC_push_all_stack (scanned at once), all conservative. */
void GC_set_push_other_roots(GC_push_other_roots_proc fn);
GC_push_other_roots_proc GC_get_push_other_roots(void);
void GC_push_all(void *bottom, void *top);
void GC_push_all_eager(void *bottom, void *top);
void GC_push_all_stack(void *bottom, void *top);

/* Heap figures, all O(1): bytes of GC spans (GC_get_heap_size), free bytes inside them,
 * bytes allocated in all, collections done, linear memory obtained from the engine. */
size_t GC_get_heap_size(void);
size_t GC_get_free_bytes(void);
size_t GC_get_total_bytes(void);
size_t GC_get_bytes_since_gc(void);
size_t GC_get_gc_no(void);
size_t GC_get_obtained_from_os_bytes(void);
size_t GC_get_unmapped_bytes(void);
void GC_get_heap_usage_safe(GC_word *heap_size, GC_word *free_bytes, GC_word *unmapped_bytes, GC_word *bytes_since_gc,
                            GC_word *total_bytes);

struct GC_prof_stats_s {
    GC_word heapsize_full;
    GC_word free_bytes_full;
    GC_word unmapped_bytes;
    GC_word bytes_allocd_since_gc;
    GC_word allocd_bytes_before_gc;
    GC_word non_gc_bytes;
    GC_word gc_no;
    GC_word markers_m1;
    GC_word bytes_reclaimed_since_gc;
    GC_word reclaimed_bytes_before_gc;
    GC_word expl_freed_bytes_since_gc;
    GC_word obtained_from_os_bytes;
};
/* Fills up to stats_sz bytes of *stats; returns how many it filled. O(1). */
size_t GC_get_prof_stats(struct GC_prof_stats_s *stats, size_t stats_sz);

/* Caps the bytes of GC spans (0: no cap but walloc's own). */
void GC_set_max_heap_size(GC_word n);
/* Grows linear memory by about `bytes` now, leaving the pages free in walloc's pool; returns 1,
 * or 0 when refused. */
int GC_expand_hp(size_t bytes);

/* GC_disable nests; while disabled no collection runs, GC_gcollect included. */
void GC_enable(void);
void GC_disable(void);
int GC_is_disabled(void);
/* A collection starts once the bytes allocated since the last one pass the heap's size divided
 * by this (default 3, at least 256 KiB): higher collects more often in a smaller heap. */
void GC_set_free_space_divisor(GC_word value);
GC_word GC_get_free_space_divisor(void);
/* With 0, only pointers to an object's first byte keep it alive. Default 1. */
void GC_set_all_interior_pointers(int value);
int GC_get_all_interior_pointers(void);

/* The warn proc gets each warning (out of memory...); the default writes it to stderr where
 * there is one. GC_ignore_warn_proc drops them. */
void GC_set_warn_proc(GC_warn_proc fn);
GC_warn_proc GC_get_warn_proc(void);
void GC_ignore_warn_proc(char *msg, GC_word arg);

typedef enum {
    GC_EVENT_START,
    GC_EVENT_MARK_START,
    GC_EVENT_MARK_END,
    GC_EVENT_RECLAIM_START,
    GC_EVENT_RECLAIM_END,
    GC_EVENT_END
} GC_EventType;
typedef void (*GC_on_collection_event_proc)(GC_EventType event);
/* fn is called at each of the events above during every collection. */
void GC_set_on_collection_event(GC_on_collection_event_proc fn);
GC_on_collection_event_proc GC_get_on_collection_event(void);

#define GC_MALLOC(n) GC_malloc(n)
#define GC_MALLOC_ATOMIC(n) GC_malloc_atomic(n)
#define GC_MALLOC_UNCOLLECTABLE(n) GC_malloc_uncollectable(n)
#define GC_MALLOC_ATOMIC_UNCOLLECTABLE(n) GC_malloc_atomic_uncollectable(n)
#define GC_MALLOC_IGNORE_OFF_PAGE(n) GC_malloc_ignore_off_page(n)
#define GC_MALLOC_ATOMIC_IGNORE_OFF_PAGE(n) GC_malloc_atomic_ignore_off_page(n)
#define GC_REALLOC(p, n) GC_realloc(p, n)
#define GC_FREE(p) GC_free(p)
#define GC_STRDUP(s) GC_strdup(s)
#define GC_STRNDUP(s, n) GC_strndup(s, n)
#define GC_NEW(t) ((t *)GC_MALLOC(sizeof(t)))
#define GC_NEW_ATOMIC(t) ((t *)GC_MALLOC_ATOMIC(sizeof(t)))
#define GC_NEW_UNCOLLECTABLE(t) ((t *)GC_MALLOC_UNCOLLECTABLE(sizeof(t)))
#define GC_REGISTER_FINALIZER(p, f, d, of, od) GC_register_finalizer(p, f, d, of, od)
#define GC_REGISTER_FINALIZER_IGNORE_SELF(p, f, d, of, od) GC_register_finalizer_ignore_self(p, f, d, of, od)
#define GC_REGISTER_FINALIZER_NO_ORDER(p, f, d, of, od) GC_register_finalizer_no_order(p, f, d, of, od)
#define GC_GENERAL_REGISTER_DISAPPEARING_LINK(link, obj) GC_general_register_disappearing_link(link, obj)
#define GC_REGISTER_DISPLACEMENT(n) ((void)(n))
#define GC_HIDE_POINTER(p) (~(GC_word)(p))
#define GC_REVEAL_POINTER(p) ((void *)GC_HIDE_POINTER(p))

/* Not provided: declared only so that a program calling them fails to link. */
void GC_enable_incremental(void);
void GC_start_incremental_collection(void);
int GC_collect_a_little(void);
void GC_allow_register_threads(void);
int GC_register_my_thread(const void *stack_base);
int GC_unregister_my_thread(void);
void *GC_debug_malloc(size_t size, const char *file, int line);
void GC_set_dont_precollect(int value);

#ifdef __cplusplus
}
#endif

#endif
