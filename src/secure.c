/* secure.c - canaries, freed-memory fill and the quarantine of the secure build (secure.h),
 * and walloc_seed, which every build has. */
#include "walloc.h"
#include "platform.h"
#include "report.h"
#include "secure.h"
#include "small.h"

#ifdef WALLOC_SECURE

#if defined(WALLOC_FREESTANDING)
#elif defined(__wasm__)
#include <wasi/api.h>
#else
#include <unistd.h>
#endif

/* The quarantine: a ring of the last blocks freed, up to QUARANTINE_SLOTS of them and about
 * QUARANTINE_BYTES in all. Blocks above QUARANTINE_LARGEST skip it (they are filled and
 * released at once), so it never holds enough memory to make an allocation fail; and should
 * memory run out anyway, the caller empties it and retries. */
#define QUARANTINE_SLOTS 64
#define QUARANTINE_BYTES ((size_t)4 << 20)
#define QUARANTINE_LARGEST ((size_t)256 << 10)

static struct wl_freed ring[QUARANTINE_SLOTS];
static unsigned ring_oldest, ring_count;
static size_t ring_bytes;
static int seeded;
uint64_t wl_secure_secret;

void wl_secure_init(void) {
    if (seeded) return;
    uint64_t drawn = 0;
#if defined(WALLOC_FREESTANDING)
    /* No source of randomness without an import: the host is expected to call walloc_seed. */
    drawn = (uintptr_t)&wl_secure_secret;
#elif defined(__wasm__)
    if (__wasi_random_get((uint8_t *)&drawn, sizeof drawn) != 0) drawn = (uintptr_t)&wl_secure_secret;
#else
    if (getentropy(&drawn, sizeof drawn) != 0) drawn = (uintptr_t)&wl_secure_secret;
#endif
    wl_secure_secret = drawn;
    seeded = 1;
}

static void check_fill(const struct wl_freed *h) {
    if (!wl_secure_fill_is(h->p, h->usable, WL_FREED_WORD))
        wl_fatal("write after free", h->p);
}

void wl_secure_new_span(void *start, size_t block_size, unsigned blocks, int zeroed) {
    for (unsigned i = 0; !zeroed && i < blocks; i++)
        wl_secure_fill((unsigned char *)start + (size_t)i * block_size, block_size - WL_CANARY_SIZE);
}

int wl_secure_in_quarantine(const void *p) {
    for (unsigned i = 0; i < QUARANTINE_SLOTS; i++)
        if (ring[i].p == p) return 1;
    return 0;
}

/* A small block is checked when it is handed out again (secure.h), so only large blocks, whose
 * pages the page layer recycles unchecked, are checked on their way out. */
int wl_secure_flush_one(struct wl_freed *out) {
    if (!ring_count) return 0;
    struct wl_freed *h = &ring[ring_oldest];
    if (h->usable > WL_SMALL_MAX) check_fill(h);
    *out = *h;
    ring_bytes -= h->usable;
    h->p = NULL;
    ring_oldest = (ring_oldest + 1) % QUARANTINE_SLOTS;
    ring_count--;
    return 1;
}

int wl_secure_retire(const struct wl_freed *block, struct wl_freed *leaving) {
    wl_secure_check_canary(block->p, block->usable);
    wl_secure_fill(block->p, block->usable);
    if (block->usable > QUARANTINE_LARGEST) {
        *leaving = *block;
        return 1;
    }
    int left = 0;
    if (ring_count == QUARANTINE_SLOTS || ring_bytes + block->usable > QUARANTINE_BYTES)
        left = wl_secure_flush_one(leaving);
    ring[(ring_oldest + ring_count) % QUARANTINE_SLOTS] = *block;
    ring_count++;
    ring_bytes += block->usable;
    return left;
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
    for (unsigned i = 0; i < QUARANTINE_SLOTS; i++)
        if (ring[i].p) check_fill(&ring[i]);
}

void wl_secure_forget(void) {
    __builtin_memset(ring, 0, sizeof ring);
    ring_oldest = ring_count = 0;
    ring_bytes = 0;
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
