/* tiers.c - tiered arenas (include/walloc.h): bump allocation in chains of TIER spans.
 *
 * A tier bumps a cursor through its last chunk. Every chunk is a page span of kind TIER, so the
 * page map tells a tier pointer from a malloc block (free() reports it as invalid) and answers
 * walloc_tier_owns in O(1); the descriptor links the chunks oldest first and records the tier
 * offset where the chunk begins. The offsets of a chain are contiguous (a chunk begins where
 * the previous one ends, its unused tail included), so an offset names one place in the tier,
 * and the cursor is always in the last chunk: recycling down to an offset gives back every
 * chunk after the one holding it.
 *
 * Marks. A mark (offset, generation) is stale once a recycle went below its offset after it was
 * taken. Each recycle bumps the tier's generation; the tier keeps the recycles that later ones
 * did not undercut (`level`, oldest first, offsets rising). The first of them younger than a
 * mark is the lowest the tier went since the mark, which is all the check needs. Nested marks
 * keep the list as short as the nesting is deep; should it fill, its two oldest entries merge
 * into one that remembers the lower offset, which can only make the check stricter.
 *
 * Threads (walloc.h says what may overlap what): the inline fast path bumps with a
 * compare-and-swap and everything here runs under the lock, so bump does the same. A new
 * position is published as "end = 0, cursor, end": a thread that read the old cursor fails its
 * swap, one that reads the new cursor before the new end finds no room and waits on the lock.
 * A thread may still have read the old end just before, and swap the old cursor just before it
 * moves: its block lands where the tier was before the recycle, as if allocated just before it.
 * So that such a block never lies in memory malloc could hand out, the threads build keeps the
 * chunks a recycle cuts off as the tier's spares, which the next growth chains again, and gives
 * them back only with the tiers.
 */
#include "walloc.h"
#include "pages.h"
#include "platform.h"
#include "secure.h"

#define WL_TIER_LEVELS 32
#define WL_TIER_MAX_ALIGNMENT ((size_t)1 << 31)
#define WL_TIER_POISON 0xDE

#ifdef WALLOC_DEBUG
#define WL_POISON_RECYCLED 1
#else
#define WL_POISON_RECYCLED 0
#endif

/* A recycle down to `offset` that made the tier's generation `generation`. */
struct level {
    unsigned generation;
    size_t offset;
};

struct tier {
    struct walloc_tier_bump *bump; /* its cursor, in `last`, for the inline fast path */
    struct span *first, *last;
    struct span *spare;            /* threads build: chunks cut off by recycles, to chain again */
    const char *name;
    size_t high_water, recycled, chunks, resets;
    unsigned generation;
    unsigned levels;
    struct level level[WL_TIER_LEVELS];
};

/* The bump state comes first, where walloc.h's inline walloc_tier_alloc finds it; the entries
 * of tiers that do not exist hold a cursor past their end, so that path always falls through
 * to walloc_tier_alloc_slow, which reports them. */
struct walloc_tiers {
    struct walloc_tier_bump bump[WALLOC_TIERS_MAX];
    unsigned count;
    int in_pressure;
    int (*pressure)(walloc_tiers *, unsigned, size_t, void *);
    void *pressure_arg;
    struct tier tiers[];
};

static const walloc_tier_config default_configs[] = {
    { "render", 50, 128 },
    { "scene", 30, 64 },
    { "entity", 20, 8 },
};

static uint64_t chunk_start(const struct span *s) { return (uintptr_t)wl_ptr_of(wl_span_start(s)); }
static size_t chunk_bytes(const struct span *s) { return (size_t)s->count << WL_SLICE_SHIFT; }
static size_t used_of(const struct tier *r) {
    return r->last->tier.base + (size_t)(__atomic_load_n(&r->bump->cursor, __ATOMIC_RELAXED) - chunk_start(r->last));
}
static size_t capacity_of(const struct tier *r) { return r->last->tier.base + chunk_bytes(r->last); }
static uint32_t slices_for(uint64_t bytes) { return (uint32_t)((bytes + WL_SLICE_SIZE - 1) >> WL_SLICE_SHIFT); }

/* The API takes a const walloc_tiers where it only reads; the tier is the same either way. */
static struct tier *tier_of(const walloc_tiers *t, unsigned tier) {
    if (__builtin_expect(t && tier < t->count, 1)) return (struct tier *)&t->tiers[tier];
    wl_platform_set_errno(WL_EINVAL);
    return NULL;
}

/* Whether `size` bytes at `at` end by `end`, a 0-byte block starting before it: one at `end`
 * would be the address of whatever follows the chunk, maybe a live malloc block. Where size_t
 * is narrower than 64 bits the sum cannot wrap, so one comparison does. */
static inline int fits(uint64_t at, size_t size, uint64_t end) {
    if (size == 0) return at < end;
    if (sizeof(size_t) < sizeof(uint64_t)) return at + size <= end;
    return at <= end && size <= end - at;
}

static void *bump(struct tier *r, size_t size) {
    struct walloc_tier_bump *b = r->bump;
    uint64_t at;
    if (WL_THREADED) {
        uint64_t cursor = __atomic_load_n(&b->cursor, __ATOMIC_RELAXED);
        do {
            at = (cursor + b->mask) & ~b->mask;
            if (!fits(at, size, __atomic_load_n(&b->end, __ATOMIC_ACQUIRE))) return NULL;
        } while (!__atomic_compare_exchange_n(&b->cursor, &cursor, at + size, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
        __atomic_fetch_add(&b->total_allocated, size, __ATOMIC_RELAXED);
        return (void *)(uintptr_t)at;
    }
    at = (b->cursor + b->mask) & ~b->mask;
    if (!fits(at, size, b->end)) return NULL;
    b->cursor = at + size;
    b->total_allocated += size;
    return (void *)(uintptr_t)at;
}

/* Points the bump at [start, end), as the top describes. */
static void set_bump(struct walloc_tier_bump *b, uint64_t start, uint64_t end) {
    __atomic_store_n(&b->end, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&b->cursor, start, __ATOMIC_RELEASE);
    __atomic_store_n(&b->end, end, __ATOMIC_RELEASE);
}

/* Makes span `s` the tier's new last chunk, beginning at tier offset `base`; a spare chunk
 * (`counted`) is in tier_bytes already. */
static void adopt_chunk(struct tier *r, struct span *s, size_t base, int counted) {
    s->tier.owner = r;
    s->tier.base = base;
    s->next = NULL;
    if (r->last) r->last->next = s;
    else r->first = s;
    r->last = s;
    r->chunks++;
    set_bump(r->bump, chunk_start(s), chunk_start(s) + chunk_bytes(s));
    if (!counted) wl_heap.tier_bytes += chunk_bytes(s);
}

static uint32_t align_slices(uint64_t mask) {
    return mask >= WL_SLICE_SIZE ? (uint32_t)((mask + 1) >> WL_SLICE_SHIFT) : 1;
}

/* Lengthens the last chunk so that `size` more bytes fit: by as much as it already has if the
 * memory after it allows, else by just enough. */
static int grow_in_place(struct tier *r, size_t size) {
    struct span *last = r->last;
    uint64_t at = (__atomic_load_n(&r->bump->cursor, __ATOMIC_RELAXED) + r->bump->mask) & ~r->bump->mask;
    uint32_t count = last->count, needed = slices_for(at + (size ? size : 1) - r->bump->end);
    uint32_t more = needed > count ? needed : count;
    if (!wl_span_extend(last, count + more) && (more == needed || !wl_span_extend(last, count + needed)))
        return 0;
    __atomic_store_n(&r->bump->end, chunk_start(last) + chunk_bytes(last), __ATOMIC_RELEASE);
    wl_heap.tier_bytes += (size_t)(last->count - count) << WL_SLICE_SHIFT;
    return 1;
}

/* Chains a new chunk that holds `size` bytes: as large as the whole tier if possible, so that
 * a growing tier needs few chunks, else just large enough. */
static int chain(struct tier *r, size_t size) {
    size_t capacity = capacity_of(r);
    uint32_t needed = slices_for(size ? size : 1), whole = slices_for(capacity);
    uint32_t preferred = whole > needed && whole <= WL_MAX_SLICES ? whole : needed;
    for (struct span **at = &r->spare, *s; (s = *at); at = &s->next) {
        if (s->count < needed) continue;
        *at = s->next;
        adopt_chunk(r, s, capacity, 1);
        return 1;
    }
    struct span *s = wl_span_alloc(preferred, align_slices(r->bump->mask), SPAN_TIER);
    if (!s && preferred != needed) s = wl_span_alloc(needed, align_slices(r->bump->mask), SPAN_TIER);
    if (!s) return 0;
    adopt_chunk(r, s, capacity, 0);
    return 1;
}

static void *grow_and_bump(struct tier *r, size_t size) {
    return grow_in_place(r, size) || chain(r, size) ? bump(r, size) : NULL;
}

/* The allocation that did not fit: growth, then the pressure callback and one more try. */
static void *alloc_slow(walloc_tiers *t, unsigned tier, size_t size) {
    struct tier *r = &t->tiers[tier];
    void *p = grow_and_bump(r, size);
    if (!p && wl_secure_drain(size)) p = grow_and_bump(r, size);
    if (!p && t->pressure && !t->in_pressure) {
        t->in_pressure = 1;
        wl_unlock(); /* the callback recycles tiers, which takes the lock */
        t->pressure(t, tier, size, t->pressure_arg);
        wl_lock();
        t->in_pressure = 0;
        p = bump(r, size);
        if (!p) p = grow_and_bump(r, size);
    }
    if (!p) wl_platform_set_errno(WL_ENOMEM);
    return p;
}

void *walloc_tier_alloc_slow(walloc_tiers *t, unsigned tier, size_t size) {
    struct tier *r = tier_of(t, tier);
    if (!r) return NULL;
    if (size > WL_MAX_REQUEST) {
        wl_platform_set_errno(WL_ENOMEM);
        return NULL;
    }
    wl_lock();
    void *p = bump(r, size);
    if (!p) p = alloc_slow(t, tier, size);
    wl_unlock();
    return p;
}

/* Fills the tier's offsets [from, to) with poison, chunk by chunk from `c` on. */
static void poison(const struct span *c, size_t from, size_t to) {
    for (; c && c->tier.base < to; c = c->next) {
        size_t lo = from > c->tier.base ? from : c->tier.base;
        size_t hi = c->tier.base + chunk_bytes(c) < to ? c->tier.base + chunk_bytes(c) : to;
        if (lo < hi) __builtin_memset(wl_ptr_of(wl_span_start(c) + (lo - c->tier.base)), WL_TIER_POISON, hi - lo);
    }
}

/* Records a recycle down to `offset`: drops the recycles it undercuts (see the top). */
static void note_level(struct tier *r, size_t offset) {
    unsigned n = r->levels;
    r->generation++;
    while (n && r->level[n - 1].offset >= offset) n--;
    if (n == WL_TIER_LEVELS) {
        r->level[1].offset = r->level[0].offset;
        __builtin_memmove(&r->level[0], &r->level[1], (WL_TIER_LEVELS - 1) * sizeof r->level[0]);
        n--;
    }
    r->level[n] = (struct level){ r->generation, offset };
    r->levels = n + 1;
}

/* Gives chunk `s` and those chained after it back to the page layer; returns how many. */
static size_t release_chunks(struct span *s) {
    size_t count = 0;
    for (struct span *next; s; s = next, count++) {
        next = s->next;
        wl_heap.tier_bytes -= chunk_bytes(s);
        wl_span_release(s);
    }
    return count;
}

/* Keeps chunk `s` and those chained after it as the tier's spares; returns how many. */
static size_t spare_chunks(struct tier *r, struct span *s) {
    size_t count = 0;
    for (struct span *next; s; s = next, count++) {
        next = s->next;
        s->next = r->spare;
        r->spare = s;
    }
    return count;
}

/* Moves the cursor back to `offset` (<= used) and gives back the chunks after it (the threads
 * build keeps them, see the top). The cursor moves first, so that a racing bump lands in a
 * chunk that stays. */
static void recycle_to(struct tier *r, size_t offset) {
    size_t used = used_of(r);
    struct span *keep = r->first;
    while (offset >= keep->tier.base + chunk_bytes(keep) && keep->next) keep = keep->next;
    if (used > r->high_water) r->high_water = used;
    r->recycled += used - offset;
    if (WL_POISON_RECYCLED) poison(keep, offset, used);
    set_bump(r->bump, chunk_start(keep) + (offset - keep->tier.base), chunk_start(keep) + chunk_bytes(keep));
    struct span *cut = keep->next;
    keep->next = NULL;
    r->last = keep;
    r->chunks -= WL_THREADED ? spare_chunks(r, cut) : release_chunks(cut);
    note_level(r, offset);
}

void walloc_tier_reset(walloc_tiers *t, unsigned tier) {
    struct tier *r = tier_of(t, tier);
    if (!r) return;
    wl_lock();
    r->resets++;
    recycle_to(r, 0);
    wl_unlock();
}

int walloc_tier_compact(walloc_tiers *t, unsigned tier, size_t keep_bytes) {
    struct tier *r = tier_of(t, tier);
    if (!r) return -1;
    wl_lock();
    int fits_used = keep_bytes <= used_of(r);
    if (fits_used) recycle_to(r, keep_bytes);
    wl_unlock();
    if (fits_used) return 0;
    wl_platform_set_errno(WL_EINVAL);
    return -1;
}

walloc_mark walloc_tier_mark(const walloc_tiers *t, unsigned tier) {
    const struct tier *r = tier_of(t, tier);
    if (!r) return (walloc_mark){ SIZE_MAX, 0 };
    wl_lock();
    walloc_mark mark = { used_of(r), r->generation };
    wl_unlock();
    return mark;
}

/* Ages count recycles back from now, so the comparison survives the generation wrapping. */
static int mark_valid(const struct tier *r, walloc_mark mark) {
    unsigned age = r->generation - mark.generation;
    if (mark.offset > used_of(r)) return 0;
    for (unsigned i = 0; i < r->levels; i++)
        if (r->generation - r->level[i].generation < age) return mark.offset <= r->level[i].offset;
    return 1;
}

int walloc_tier_release(walloc_tiers *t, unsigned tier, walloc_mark mark) {
    struct tier *r = tier_of(t, tier);
    if (!r) return -1;
    wl_lock();
    int valid = mark_valid(r, mark);
    if (valid) recycle_to(r, mark.offset);
    wl_unlock();
    if (valid) return 0;
    wl_platform_set_errno(WL_EINVAL);
    return -1;
}

int walloc_tier_owns(const walloc_tiers *t, unsigned tier, const void *p) {
    const struct tier *r = tier_of(t, tier);
    if (!r) return 0;
    wl_off off = wl_off_of(p);
    if (sizeof(wl_off) > 4 && off >= WL_MAX_MEMORY) return 0;
    wl_lock();
    const struct span *s = wl_map_get(wl_slice_of(off));
    int owns = s && s->kind == SPAN_TIER && s->tier.owner == r && s->tier.base + (off - wl_span_start(s)) < used_of(r);
    wl_unlock();
    return owns;
}

void walloc_tier_get_stats(const walloc_tiers *t, unsigned tier, struct walloc_tier_stats *out) {
    const struct tier *r = tier_of(t, tier);
    if (!r) {
        *out = (struct walloc_tier_stats){ 0 };
        return;
    }
    wl_lock();
    size_t used = used_of(r);
    out->name = r->name;
    out->used = used;
    out->capacity = capacity_of(r);
    out->high_water = used > r->high_water ? used : r->high_water;
    out->total_allocated = __atomic_load_n(&r->bump->total_allocated, __ATOMIC_RELAXED);
    out->recycled = r->recycled;
    out->chunks = r->chunks;
    out->resets = r->resets;
    wl_unlock();
}

void walloc_tiers_on_pressure(walloc_tiers *t, int (*cb)(walloc_tiers *, unsigned, size_t, void *), void *arg) {
    if (!t) {
        wl_platform_set_errno(WL_EINVAL);
        return;
    }
    t->pressure = cb;
    t->pressure_arg = arg;
}

static int configs_valid(const walloc_tier_config *configs, unsigned count) {
    unsigned shares = 0;
    if (count == 0 || count > WALLOC_TIERS_MAX) return 0;
    for (unsigned i = 0; i < count; i++) {
        size_t a = configs[i].alignment;
        if (a == 0 || (a & (a - 1)) || a > WL_TIER_MAX_ALIGNMENT || configs[i].share_percent > 100) return 0;
        shares += configs[i].share_percent;
    }
    return shares <= 100;
}

/* share percent of `reserve`, without overflowing even a 64-bit size. */
static uint64_t share_of(size_t reserve, unsigned share) {
    return (uint64_t)(reserve / 100) * share + (uint64_t)(reserve % 100) * share / 100;
}

static int tier_init(struct tier *r, const walloc_tier_config *config, uint64_t bytes) {
    uint64_t slices = bytes ? (bytes + WL_SLICE_SIZE - 1) >> WL_SLICE_SHIFT : 1;
    r->bump->mask = config->alignment - 1;
    r->name = config->name;
    if (slices > WL_MAX_SLICES) return 0;
    struct span *s = wl_span_alloc((uint32_t)slices, align_slices(r->bump->mask), SPAN_TIER);
    if (!s && wl_secure_drain((size_t)slices << WL_SLICE_SHIFT))
        s = wl_span_alloc((uint32_t)slices, align_slices(r->bump->mask), SPAN_TIER);
    if (!s) return 0;
    adopt_chunk(r, s, 0, 0);
    return 1;
}

walloc_tiers *walloc_tiers_create(size_t reserve_bytes, const walloc_tier_config *configs, unsigned count) {
    if (!configs) {
        configs = default_configs;
        count = sizeof default_configs / sizeof default_configs[0];
    }
    if (!configs_valid(configs, count)) {
        wl_platform_set_errno(WL_EINVAL);
        return NULL;
    }
    size_t bytes = sizeof(walloc_tiers) + count * sizeof(struct tier);
    walloc_tiers *t = walloc_malloc(bytes);
    if (!t) return NULL;
    __builtin_memset(t, 0, bytes);
    for (unsigned i = 0; i < WALLOC_TIERS_MAX; i++) t->bump[i].cursor = 1;
    wl_lock();
    for (unsigned i = 0; i < count; i++) {
        t->tiers[i].bump = &t->bump[i];
        if (!tier_init(&t->tiers[i], &configs[i], share_of(reserve_bytes, configs[i].share_percent))) break;
        t->count++;
    }
    wl_unlock();
    if (t->count == count) return t;
    walloc_tiers_destroy(t);
    wl_platform_set_errno(WL_ENOMEM);
    return NULL;
}

void walloc_tiers_destroy(walloc_tiers *t) {
    if (!t) return;
    wl_lock();
    for (unsigned i = 0; i < t->count; i++) release_chunks(t->tiers[i].first), release_chunks(t->tiers[i].spare);
    wl_unlock();
    walloc_free(t);
}
