/* secure.h - the checks of the secure build (-DWALLOC_SECURE, shipped as libwalloc-secure.a).
 *
 * wasm has no guard pages and no mprotect, so the secure build checks in software what other
 * hardened allocators get from the MMU:
 *  - a canary: the 8 bytes after each block's usable size hold a value keyed by a secret and
 *    the block's address. free, realloc and walloc_check compare it, so an overflow of even
 *    one byte past malloc_usable_size() is reported (`heap overflow past 0x<block> (canary)`).
 *  - freed memory is filled with WL_FREED_BYTE; a small block handed out again must still hold
 *    it (or still be zero, never used), and so must a block leaving the quarantine: a write
 *    after free is reported.
 *  - a quarantine of recently freed blocks delays their reuse, so a double free or a use of a
 *    freed pointer is caught even after other allocations.
 *  - the secret comes from WASI random_get, from getentropy natively, or from walloc_seed().
 * Every report is fatal: one line, then the trap, so nothing is freed or reused after it.
 *
 * In the default build every helper here is an empty inline function and WL_CANARY_SIZE is 0,
 * so the callers carry no #ifdef and their fast paths compile exactly as before.
 */
#ifndef WALLOC_SECURE_H
#define WALLOC_SECURE_H

#include "types.h"

#define WL_FREED_BYTE 0xdb

#ifdef WALLOC_SECURE

#define WL_CANARY_SIZE 8

/* Draws the secret; called when the heap is set up. */
void wl_secure_init(void);

/* Prepares a block about to be handed out: a small one (`small`) must still be filled or zero
 * from its last free, else the write after free is reported; the canary goes after `usable`. */
void wl_secure_handout(void *p, size_t usable, int small);

/* Takes a block the program freed: checks its canary and that it is not already in the
 * quarantine, fills it and queues it. Returns the block that leaves the quarantine, checked
 * and ready to be released, or NULL when none leaves. */
void *wl_secure_retire(void *p, size_t usable, int small);

/* Whether `p` waits in the quarantine: freed, whatever the bitmaps say. */
int wl_secure_held(const void *p);

/* Takes the oldest block out of the quarantine, checked, for release; NULL when it is empty.
 * An allocation that runs out of memory empties the quarantine and tries again. */
void *wl_secure_flush_one(void);

/* Reports the block whose canary after `usable` bytes was overwritten. */
void wl_secure_check_canary(const void *p, size_t usable);

/* A new small span: unless its memory is still zero, every block gets the freed fill, so
 * that a block handed out for the first time passes the check of a reused one. */
void wl_secure_new_span(void *start, size_t bytes, int zeroed);

/* Empties the quarantine without releasing anything (walloc_test_reset). */
void wl_secure_forget(void);

/* For walloc_check: the canary of every block of in-use span `s` that is not free, and the
 * fill of every block in the quarantine. Fatal on the first broken one. */
void wl_secure_check_span(const struct span *s);
void wl_secure_check_quarantine(void);

#else

#define WL_CANARY_SIZE 0

static inline void wl_secure_init(void) {}
static inline void wl_secure_handout(void *p, size_t usable, int small) {
    (void)p, (void)usable, (void)small;
}
static inline void *wl_secure_retire(void *p, size_t usable, int small) {
    (void)usable, (void)small;
    return p;
}
static inline int wl_secure_held(const void *p) { return (void)p, 0; }
static inline void *wl_secure_flush_one(void) { return NULL; }
static inline void wl_secure_check_canary(const void *p, size_t usable) { (void)p, (void)usable; }
static inline void wl_secure_new_span(void *start, size_t bytes, int zeroed) {
    (void)start, (void)bytes, (void)zeroed;
}
static inline void wl_secure_forget(void) {}
static inline void wl_secure_check_span(const struct span *s) { (void)s; }
static inline void wl_secure_check_quarantine(void) {}

#endif

/* The bytes a request of `size` takes with its canary (SIZE_MAX when that overflows, which
 * then fails as too large). */
static inline size_t wl_secure_size(size_t size) {
    return size > SIZE_MAX - WL_CANARY_SIZE ? SIZE_MAX : size + WL_CANARY_SIZE;
}

#endif
