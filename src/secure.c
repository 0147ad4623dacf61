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
/* Large blocks are filled only this far on free: their pages go back to the page layer, and
 * catching a write after free at the start of a buffer is what matters most. */
#define LARGE_FILL ((size_t)4096)

struct held {
    unsigned char *p;
    size_t usable;
    size_t filled;
};

static struct held ring[QUARANTINE_SLOTS];
static unsigned ring_oldest, ring_count;
static size_t ring_bytes;
static uint64_t secret;
static int seeded;

/* splitmix64's finalizer: every input bit reaches every output bit. */
static uint64_t scramble(uint64_t x) {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void wl_secure_init(void) {
    if (seeded) return;
    uint64_t drawn = 0;
#if defined(WALLOC_FREESTANDING)
    /* No source of randomness without an import: the host is expected to call walloc_seed. */
    drawn = (uintptr_t)&secret;
#elif defined(__wasm__)
    if (__wasi_random_get((uint8_t *)&drawn, sizeof drawn) != 0) drawn = (uintptr_t)&secret;
#else
    if (getentropy(&drawn, sizeof drawn) != 0) drawn = (uintptr_t)&secret;
#endif
    secret = scramble(drawn ^ 0x5bd1e9955bd1e995ull);
    seeded = 1;
}

static uint64_t canary_of(const void *p) { return scramble(secret ^ (uintptr_t)p); }

void wl_secure_check_canary(const void *p, size_t usable) {
    uint64_t stored, expected = canary_of(p);
    __builtin_memcpy(&stored, (const unsigned char *)p + usable, sizeof stored);
    if (stored != expected) wl_fatal_overflow(p);
}

/* Whether [p, p+n) holds `byte` everywhere; n is a multiple of 8 for every block. */
static int holds_byte(const unsigned char *p, size_t n, unsigned char byte) {
    uint64_t word = 0x0101010101010101ull * byte, seen = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        __builtin_memcpy(&w, p + i, 8);
        seen |= w ^ word;
    }
    for (; i < n; i++) seen |= p[i] ^ byte;
    return seen == 0;
}

void wl_secure_handout(void *p, size_t usable, int small) {
    unsigned char *bytes = p;
    if (small && usable) {
        unsigned char first = bytes[0];
        if ((first != WL_FREED_BYTE && first != 0) || !holds_byte(bytes, usable, first))
            wl_fatal("write after free", p);
    }
    uint64_t canary = canary_of(p);
    __builtin_memcpy(bytes + usable, &canary, sizeof canary);
}

void wl_secure_new_span(void *start, size_t bytes, int zeroed) {
    if (!zeroed) __builtin_memset(start, WL_FREED_BYTE, bytes);
}

int wl_secure_held(const void *p) {
    for (unsigned i = 0; i < QUARANTINE_SLOTS; i++)
        if (ring[i].p == p) return 1;
    return 0;
}

void *wl_secure_flush_one(void) {
    if (!ring_count) return NULL;
    struct held *h = &ring[ring_oldest];
    void *p = h->p;
    if (!holds_byte(h->p, h->filled, WL_FREED_BYTE)) wl_fatal("write after free", p);
    ring_bytes -= h->usable;
    h->p = NULL;
    ring_oldest = (ring_oldest + 1) % QUARANTINE_SLOTS;
    ring_count--;
    return p;
}

void *wl_secure_retire(void *p, size_t usable, int small) {
    wl_secure_check_canary(p, usable);
    if (wl_secure_held(p)) wl_fatal("double free", p);
    size_t filled = small || usable < LARGE_FILL ? usable : LARGE_FILL;
    __builtin_memset(p, WL_FREED_BYTE, filled);
    if (usable > QUARANTINE_LARGEST) return p;
    void *leaving = NULL;
    if (ring_count == QUARANTINE_SLOTS || ring_bytes + usable > QUARANTINE_BYTES)
        leaving = wl_secure_flush_one();
    unsigned slot = (ring_oldest + ring_count) % QUARANTINE_SLOTS;
    ring[slot] = (struct held){ p, usable, filled };
    ring_count++;
    ring_bytes += usable;
    return leaving;
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
        if (ring[i].p && !holds_byte(ring[i].p, ring[i].filled, WL_FREED_BYTE))
            wl_fatal("write after free", ring[i].p);
}

void wl_secure_forget(void) {
    __builtin_memset(ring, 0, sizeof ring);
    ring_oldest = ring_count = 0;
    ring_bytes = 0;
}

int walloc_seed(unsigned long long seed) {
    if (wl_heap.ready) return -1;
    secret = scramble((uint64_t)seed ^ 0x2545f4914f6cdd1dull);
    seeded = 1;
    return 0;
}

#else

int walloc_seed(unsigned long long seed) {
    (void)seed;
    return 0;
}

#endif
