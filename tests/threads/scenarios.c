/* scenarios.c - the threads test's scenarios (scenarios.h). Every block a thread holds carries a
 * pattern drawn from its address, size and owner, checked before it is freed; every thread
 * counts what it allocated and freed, and the verification compares the sums with walloc's
 * stats, which must be exact once the threads are quiet. */
#include "scenarios.h"

#include <stdint.h>

#include "walloc.h"

/* ---- shared state (static data is shared by every thread and every wasm instance) ---- */

static int thread_count;
static struct walloc_stats baseline;
static size_t total_allocs, total_frees;   /* what the threads did, added up at their end */
static char failure[160];
static int failed;
static void *target;

static walloc_tiers *tiers;
static size_t tier_baseline;
#define TIER_BLOCKS 20000
static struct tier_block { unsigned char *p; uint32_t size; } *tier_blocks[THREADS_MAX];

#define RING 256
struct ring {
    void *block[RING];
    uint32_t size[RING];
    uint32_t head, tail; /* head: next to take (consumer), tail: next to fill (producer) */
};
static struct ring *rings;

/* ---- reporting ---- */

static size_t text_length(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

static int fail(int code, const char *what) {
    if (!__atomic_exchange_n(&failed, 1, __ATOMIC_ACQ_REL)) {
        size_t n = text_length(what);
        if (n >= sizeof failure) n = sizeof failure - 1;
        for (size_t i = 0; i < n; i++) failure[i] = what[i];
        failure[n] = 0;
    }
    return code;
}

const char *threads_failure(void) { return failure; }

static int same(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

/* ---- patterns and a generator ---- */

static uint64_t mix(uint64_t x) {
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ull;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dull;
    return x ^ (x >> 33);
}

static uint32_t next(uint64_t *state) {
    *state += 0x9e3779b97f4a7c15ull;
    return (uint32_t)(mix(*state) >> 32);
}

static uint32_t between(uint64_t *state, uint32_t low, uint32_t high) {
    return low + next(state) % (high - low + 1);
}

static unsigned char pattern_byte(const void *p, size_t size, size_t i) {
    uint64_t seed = mix((uint64_t)(uintptr_t)p * 31 + size);
    return (unsigned char)(seed >> ((i & 7) * 8)) ^ (unsigned char)(i >> 3);
}

static void fill(unsigned char *p, size_t size) {
    for (size_t i = 0; i < size; i++) p[i] = pattern_byte(p, size, i);
}

static int intact(const unsigned char *p, size_t size) {
    for (size_t i = 0; i < size; i++)
        if (p[i] != pattern_byte(p, size, i)) return 0;
    return 1;
}

/* ---- setup and the barrier ---- */

static int arrived, generation;

static void barrier(void) {
    int gen = __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&arrived, 1, __ATOMIC_ACQ_REL) == thread_count) {
        __atomic_store_n(&arrived, 0, __ATOMIC_RELAXED);
        __atomic_add_fetch(&generation, 1, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&generation, __ATOMIC_ACQUIRE) == gen) {
    }
}

int threads_setup(int count) {
    if (count < 1 || count > THREADS_MAX) return fail(1, "bad thread count");
    thread_count = count;
    total_allocs = total_frees = 0;
    rings = walloc_calloc((size_t)count, sizeof *rings);
    target = walloc_malloc(32);
    if (!tiers) tiers = walloc_tiers_create(64 << 10, NULL, 0);
    for (int i = 0; i < count; i++)
        if (!tier_blocks[i]) tier_blocks[i] = walloc_malloc(TIER_BLOCKS * sizeof *tier_blocks[i]);
    if (!rings || !target || !tiers || !tier_blocks[count - 1]) return fail(2, "setup ran out of memory");
    struct walloc_tier_stats ts;
    walloc_tier_get_stats(tiers, 0, &ts);
    tier_baseline = ts.total_allocated;
    walloc_get_stats(&baseline);
    return 0;
}

static void add_counts(size_t allocs, size_t frees) {
    __atomic_add_fetch(&total_allocs, allocs, __ATOMIC_RELAXED);
    __atomic_add_fetch(&total_frees, frees, __ATOMIC_RELAXED);
}

/* ---- churn: each thread replaces random blocks of its own, of every size walloc serves ---- */

#define SLOTS 1000
#define CHURN_STEPS 40000

static uint32_t churn_size(uint64_t *rng) {
    uint32_t r = next(rng) % 100;
    if (r < 70) return between(rng, 1, 256);
    if (r < 95) return between(rng, 257, 1024);
    return between(rng, 1025, 20000);
}

static int churn(int id) {
    struct { unsigned char *p; uint32_t size; } *slot = walloc_calloc(SLOTS, sizeof *slot);
    if (!slot) return fail(10, "churn: no memory for the slots");
    size_t allocs = 1, frees = 0;
    uint64_t rng = (uint64_t)id * 7919 + 1;
    barrier();
    for (int step = 0; step < CHURN_STEPS; step++) {
        unsigned i = next(&rng) % SLOTS;
        uint32_t size = churn_size(&rng);
        unsigned char *p;
        if (slot[i].p && !intact(slot[i].p, slot[i].size)) return fail(11, "churn: a held block changed");
        if (slot[i].p && step % 5 == 0) {
            p = walloc_realloc(slot[i].p, size); /* moves or not; the old bytes must survive */
            if (!p) return fail(12, "churn: realloc failed");
            uint32_t kept = size < slot[i].size ? size : slot[i].size;
            for (uint32_t k = 0; k < kept; k++)
                if (p[k] != pattern_byte(slot[i].p, slot[i].size, k)) return fail(13, "churn: realloc lost bytes");
            if (p != slot[i].p) allocs++, frees++; /* a realloc that moved counts as both */
        } else {
            if (slot[i].p) walloc_free(slot[i].p), frees++;
            p = step % 7 == 0 ? walloc_calloc(1, size) : step % 11 == 0 ? walloc_aligned_alloc(64, size) : walloc_malloc(size);
            if (!p) return fail(14, "churn: allocation failed");
            allocs++;
            if (step % 7 == 0)
                for (uint32_t k = 0; k < size; k++)
                    if (p[k]) return fail(15, "churn: calloc block not zero");
            if (step % 7 && step % 11 == 0 && ((uintptr_t)p & 63)) return fail(16, "churn: aligned_alloc misaligned");
        }
        if (walloc_malloc_usable_size(p) < size) return fail(17, "churn: usable size too small");
        fill(p, size);
        slot[i].p = p;
        slot[i].size = size;
    }
    for (unsigned i = 0; i < SLOTS; i++) {
        if (!slot[i].p) continue;
        if (!intact(slot[i].p, slot[i].size)) return fail(11, "churn: a held block changed");
        walloc_free(slot[i].p), frees++;
    }
    walloc_free(slot), frees++;
    add_counts(allocs, frees);
    return 0;
}

/* ---- exchange: each thread sends blocks to the next one, which checks and frees them ---- */

#define EXCHANGED 20000

static int exchange(int id) {
    struct ring *out = &rings[(id + 1) % thread_count], *in = &rings[id];
    uint64_t rng = (uint64_t)id * 104729 + 3;
    size_t sent = 0, received = 0, allocs = 0, frees = 0;
    barrier();
    while (sent < EXCHANGED || received < EXCHANGED) {
        uint32_t tail = __atomic_load_n(&out->tail, __ATOMIC_RELAXED);
        if (sent < EXCHANGED && tail - __atomic_load_n(&out->head, __ATOMIC_ACQUIRE) < RING) {
            uint32_t size = next(&rng) % 8 ? between(&rng, 1, 512) : between(&rng, 513, 4096);
            unsigned char *p = walloc_malloc(size);
            if (!p) return fail(20, "exchange: allocation failed");
            allocs++;
            fill(p, size);
            out->block[tail % RING] = p;
            out->size[tail % RING] = size;
            __atomic_store_n(&out->tail, tail + 1, __ATOMIC_RELEASE);
            sent++;
        }
        uint32_t head = __atomic_load_n(&in->head, __ATOMIC_RELAXED);
        if (head != __atomic_load_n(&in->tail, __ATOMIC_ACQUIRE)) {
            unsigned char *p = in->block[head % RING];
            uint32_t size = in->size[head % RING];
            __atomic_store_n(&in->head, head + 1, __ATOMIC_RELEASE);
            if (!intact(p, size)) return fail(21, "exchange: a block changed between threads");
            walloc_free(p);
            frees++;
            received++;
        }
    }
    add_counts(allocs, frees);
    return 0;
}

/* ---- tiers: every thread bumps in the same two tiers at once, which grow meanwhile ---- */

static int tier_run(int id) {
    struct tier_block *mine = tier_blocks[id];
    uint64_t rng = (uint64_t)id * 15485863 + 5;
    barrier();
    for (int i = 0; i < TIER_BLOCKS; i++) {
        uint32_t size = between(&rng, 1, 48);
        unsigned char *p = walloc_tier_alloc(tiers, (unsigned)(i & 1) * 2, size);
        if (!p) return fail(30, "tiers: allocation failed");
        fill(p, size);
        mine[i].p = p;
        mine[i].size = size;
    }
    return 0;
}

static int tier_verify(void) {
    size_t bytes = 0;
    for (int t = 0; t < thread_count; t++)
        for (int i = 0; i < TIER_BLOCKS; i++) {
            struct tier_block *b = &tier_blocks[t][i];
            if (!intact(b->p, b->size)) return fail(31, "tiers: two threads were given overlapping memory");
            if (!walloc_tier_owns(tiers, (unsigned)(i & 1) * 2, b->p)) return fail(32, "tiers: block not owned by its tier");
            if (!(i & 1)) bytes += b->size;
        }
    struct walloc_tier_stats ts;
    walloc_tier_get_stats(tiers, 0, &ts);
    if (ts.total_allocated - tier_baseline != bytes) return fail(33, "tiers: total_allocated is off");
    walloc_tier_reset(tiers, 0);
    walloc_tier_reset(tiers, 2);
    return 0;
}

/* ---- recycle: thread 0 resets and releases a tier that every thread allocates in ---- */

#define RECYCLE_STEPS 20000
#define RECYCLE_HELD 64

/* Tier blocks racing with a recycle may be recycled under their writer and handed to another
 * thread, so they are written with relaxed atomic stores (a race the scenario means) and only
 * malloc's blocks are checked: a tier block that strayed outside the tier's memory would break
 * them (and ThreadSanitizer would see the plain writes meet the atomic ones). */
static int recycle(int id) {
    struct { unsigned char *p; uint32_t size; } held[RECYCLE_HELD] = { { 0, 0 } };
    uint64_t rng = (uint64_t)id * 7777 + 11;
    size_t allocs = 0, frees = 0;
    barrier();
    for (int step = 0; step < RECYCLE_STEPS; step++) {
        uint32_t size = between(&rng, 1, 300);
        unsigned char *t = walloc_tier_alloc(tiers, 1, size);
        if (!t) return fail(50, "recycle: tier allocation failed");
        __atomic_store_n(&t[0], (unsigned char)step, __ATOMIC_RELAXED);
        __atomic_store_n(&t[size - 1], (unsigned char)step, __ATOMIC_RELAXED);
        unsigned i = next(&rng) % RECYCLE_HELD;
        if (held[i].p) {
            if (!intact(held[i].p, held[i].size)) return fail(51, "recycle: a malloc block was overwritten");
            walloc_free(held[i].p), frees++;
        }
        held[i].size = between(&rng, 1, 300);
        if (!(held[i].p = walloc_malloc(held[i].size))) return fail(52, "recycle: malloc failed");
        allocs++;
        fill(held[i].p, held[i].size);
        if (id == 0 && step % 500 == 0) {
            walloc_mark mark = walloc_tier_mark(tiers, 1);
            if (step % 1000 == 0) walloc_tier_reset(tiers, 1);
            else if (walloc_tier_release(tiers, 1, mark) != 0) return fail(53, "recycle: release of a fresh mark failed");
        }
    }
    for (unsigned i = 0; i < RECYCLE_HELD; i++) {
        if (!held[i].p) continue;
        if (!intact(held[i].p, held[i].size)) return fail(51, "recycle: a malloc block was overwritten");
        walloc_free(held[i].p), frees++;
    }
    add_counts(allocs, frees);
    return 0;
}

/* The recycle race made to happen on one thread: a bump that read the tier's cursor and end
 * just before a reset cut its chunk off may still complete (its swap succeeds if the cursor
 * comes back to where it was), so the cut-off chunk must stay the tier's. Grows tier 1 to two
 * chunks, notes the free tail of the last one as such a thread would, resets, and then fills
 * memory with malloc blocks: none may land in that tail. */
#define STRAY_BLOCKS 256
#define STRAY_SIZE 16384

static int recycle_verify(void) {
    struct walloc_tier_stats ts;
    do {
        if (!walloc_tier_alloc(tiers, 1, 4096)) return fail(54, "recycle: tier growth failed");
        walloc_tier_get_stats(tiers, 1, &ts);
    } while (ts.chunks < 2);
    const struct walloc_tier_bump *b = (const struct walloc_tier_bump *)(const void *)tiers + 1;
    uintptr_t tail = (uintptr_t)__atomic_load_n(&b->cursor, __ATOMIC_RELAXED);
    uintptr_t end = (uintptr_t)__atomic_load_n(&b->end, __ATOMIC_RELAXED);
    walloc_tier_reset(tiers, 1);
    void **blocks = walloc_malloc(STRAY_BLOCKS * sizeof *blocks);
    if (!blocks) return fail(55, "recycle: no memory for the check");
    int err = 0;
    for (int i = 0; i < STRAY_BLOCKS; i++) {
        uintptr_t p = (uintptr_t)(blocks[i] = walloc_malloc(STRAY_SIZE));
        if (p && p < end && p + STRAY_SIZE > tail && !err)
            err = fail(56, "recycle: malloc handed out a chunk a reset cut off while a bump could still land in it");
    }
    for (int i = 0; i < STRAY_BLOCKS; i++) walloc_free(blocks[i]);
    walloc_free(blocks);
    add_counts(STRAY_BLOCKS + 1, STRAY_BLOCKS + 1);
    return err;
}

/* ---- exit: threads fill their caches, hand some blocks over, and leave ---- */

static int exit_run(int id) {
    void *held[64];
    uint64_t rng = (uint64_t)id * 613 + 9;
    size_t allocs = 0, frees = 0;
    barrier();
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 64; i++) {
            if (!(held[i] = walloc_malloc(between(&rng, 1, 1024)))) return fail(40, "exit: allocation failed");
            allocs++;
        }
        for (int i = 0; i < 64; i++) walloc_free(held[i]), frees++;
    }
    add_counts(allocs, frees);
    walloc_thread_exit();
    return 0;
}

/* ---- the driver's entry points ---- */

int scenario_run(const char *name, int id) {
    if (same(name, "churn")) return churn(id);
    if (same(name, "exchange")) return exchange(id);
    if (same(name, "tiers")) return tier_run(id);
    if (same(name, "exit")) return exit_run(id);
    if (same(name, "recycle")) return recycle(id);
    return fail(3, "unknown scenario");
}

/* After a run: the heap is consistent, every block is back (live bytes as before) and the
 * counts grew by exactly what the threads did. */
int scenario_verify(const char *name) {
    if (failed) return 4;
    if (same(name, "tiers") && tier_verify()) return 5;
    if (same(name, "recycle") && recycle_verify()) return 5;
    if (walloc_check() != 0) return fail(6, walloc_last_error());
    struct walloc_stats now;
    walloc_get_stats(&now);
    if (now.live_bytes != baseline.live_bytes) return fail(7, "live bytes differ from before the run");
    if (now.alloc_count - baseline.alloc_count != total_allocs) return fail(8, "alloc_count is off");
    if (now.free_count - baseline.free_count != total_frees) return fail(9, "free_count is off");
    walloc_free(rings);
    walloc_free(target);
    return 0;
}

void *double_free_target(void) { return target; }

void scenario_double_free(int id) {
    (void)id;
    barrier();
    walloc_free(target);
}
