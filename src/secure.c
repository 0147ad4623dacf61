/* secure.c - canaries, freed-memory fill and the quarantine of the secure build (secure.h),
 * and walloc_seed, which every build has. */
#include "walloc.h"
#include "platform.h"
#include "report.h"
#include "secure.h"
#include "small.h"

#ifdef WALLOC_SECURE


WL_STATE struct wl_quarantine wl_quarantine;
WL_STATE static int seeded;
WL_STATE uint64_t wl_secure_secret;

void wl_secure_init(void) {
    if (seeded) return;
    uint64_t drawn = 0;
    /* Without a source of randomness (freestanding: the host is expected to call walloc_seed),
     * the secret's own address is the least bad secret. */
    if (!wl_platform_random(&drawn, sizeof drawn)) drawn = (uintptr_t)&wl_secure_secret;
    wl_secure_secret = drawn;
    seeded = 1;
}

void wl_secure_check_fill(const struct wl_freed *h) {
    if (!wl_secure_fill_is(h->p, h->usable, WL_FREED_WORD))
        wl_fatal("write after free", h->p);
}

void wl_secure_new_span(struct span *s, size_t block_size, unsigned blocks) {
    unsigned char *start = wl_ptr_of(wl_span_start(s));
    for (unsigned i = 0; i < blocks; i++)
        wl_secure_fill(start + (size_t)i * block_size, block_size - WL_CANARY_SIZE);
    s->zeroed = 0;
}

int wl_secure_in_ring(const void *p) {
    const struct wl_quarantine *q = &wl_quarantine;
    for (unsigned i = 0; i < q->count; i++)
        if (q->ring[(q->oldest + i) % WL_QUARANTINE_SLOTS].p == p) return 1;
    return 0;
}

void wl_secure_check_span(const struct span *s) {
    const unsigned char *start = wl_ptr_of(wl_span_start(s));
    if (s->kind != SPAN_SMALL) {
        wl_secure_check_canary(start, ((size_t)s->count << WL_SLICE_SHIFT) - WL_CANARY_SIZE);
        return;
    }
    const struct size_class *c = &wl_classes[s->size_class];
    for (unsigned i = 0; i < c->blocks; i++)
        if (!wl_small_is_free(s, i))
            wl_secure_check_canary(start + (size_t)i * c->size, c->size - WL_CANARY_SIZE);
}

void wl_secure_check_quarantine(void) {
    for (unsigned i = 0; i < WL_QUARANTINE_SLOTS; i++)
        if (wl_quarantine.ring[i].p) wl_secure_check_fill(&wl_quarantine.ring[i]);
}

int walloc_seed(unsigned long long seed) {
    if (wl_heap.ready) return -1;
    wl_secure_secret = seed;
    seeded = 1;
    return 0;
}

#else

int walloc_seed(unsigned long long seed) {
    (void)seed;
    return 0;
}

#endif
