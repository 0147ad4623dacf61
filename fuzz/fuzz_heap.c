/* fuzz_heap.c - libFuzzer target: bytes become a sequence of malloc-family, tier and
 * garbage-collector calls on walloc, each checked against a shadow model of the live blocks.
 *
 * Every operation takes one opcode byte, one slot byte and, where it needs them, a size (one
 * byte picks the scale, two give the value) and an alignment byte. The model holds up to
 * SLOTS blocks with their requested sizes; each block is filled with a pattern derived from
 * its address and size. After each call the target checks what walloc.h promises: a new block
 * is aligned, holds its request, overlaps no live block and (calloc) is zero; realloc keeps
 * the contents up to the smaller size; a failed call leaves errno = ENOMEM and the old block
 * intact, and may only happen for huge sizes or while memory.grow is refused through the
 * fault-injection hook; freed blocks still match their pattern. walloc_check() runs every
 * CHECK_EVERY operations and at the end of each input, after every block is freed. A broken
 * promise aborts with a one-line reason, which libFuzzer records as a crash.
 *
 * The default tiers (walloc_tiers_create) take part too: tier allocations must be aligned,
 * owned by their tier, apart from every malloc block and other tier block, and keep their
 * contents until a reset of their tier or a release to a mark taken before them.
 *
 * The collector's operations (fuzz_gc.c) share the heap: GC objects of every kind, realloc,
 * free, collections, finalizers and disappearing links, with a model of which objects must
 * survive. New blocks of either side must miss the other's live ones.
 *
 * Each input starts on a fresh heap (walloc_test_reset), so a crash reproduces from its input
 * alone.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "walloc.h"
#include "fuzz.h"
#include "pattern.h"
#include "sizes.h"

#define SLOTS 64
#define CHECK_EVERY 256
/* Blocks up to this size are filled and checked whole; larger ones only at both ends, so a
 * 2 GiB block costs address space, not resident memory. */
#define FILL_LIMIT (64 * KiB)
#define EDGE 64

enum op {
    OP_MALLOC, OP_CALLOC, OP_REALLOC, OP_ALIGNED, OP_POSIX_MEMALIGN, OP_FREE, OP_FREE_ALL_BUT,
    OP_FAIL_GROW, OP_TIER_ALLOC, OP_TIER_RESET, OP_TIER_MARK, OP_TIER_RELEASE,
    OP_GC_FIRST, OP_COUNT = OP_GC_FIRST + GC_OP_COUNT
};

/* The default tiers and their alignments (walloc.h). */
#define TIERS 3
static const size_t tier_alignment[TIERS] = { 128, 64, 8 };

struct block {
    unsigned char *p;
    size_t size;
};

static struct block slots[SLOTS];

/* Tier allocations the model still holds: live until their tier is reset or released below
 * them. `seq` orders them, so that a release to a mark drops exactly the later ones. */
struct tier_block {
    struct block b;
    unsigned tier;
    unsigned long seq;
};

static struct tier_block tier_blocks[SLOTS];
static size_t tier_block_count;
static unsigned long tier_seq;
static walloc_tiers *tiers;
static walloc_mark marks[TIERS];
static unsigned long mark_seq[TIERS];
int grow_refused;

_Noreturn void broken(const char *what, const void *p, size_t size) {
    fprintf(stderr, "fuzz_heap: %s (block %p, size %zu)\n", what, p, size);
    abort();
}

uint8_t next_byte(struct input *in) {
    if (!in->left) return 0;
    in->left--;
    return *in->data++;
}

/* Scales from a few bytes to past 4 GiB, weighted toward small blocks; the top scales are
 * requests no wasm memory can hold, which must fail cleanly. Blocks around 2 GiB, which
 * cost nothing while untouched, only come from calls that do not write them (`touching`
 * is 0): calloc would clear and realloc copy them, and resident memory is what the fuzzer
 * limits. */
size_t next_size(struct input *in, int touching) {
    uint8_t scale = next_byte(in);
    size_t value = next_byte(in) | (size_t)next_byte(in) << 8;
    scale %= 32;
    if (scale < 10) return value % 64;
    if (scale < 16) return value % 1024;
    if (scale < 20) return value % (32 * KiB + 16);
    if (scale < 23) return value * 16;
    if (scale < 26) return value * 64;
    if (scale < 28) return (size_t)1 << (value % 25);
    if (scale == 28) return touching ? value * 256 : ((size_t)1 << 31) + value - 32768;
    if (scale == 29) return (size_t)0xFFFF0000u + value % 64 - 32;
    return SIZE_MAX - value;
}

static size_t next_alignment(struct input *in) { return (size_t)1 << (next_byte(in) % 24); }

/* A failure is legitimate while growth is refused, for requests of a GiB or more, and when
 * the request (with room for its alignment) does not fit in what is left of 4 GiB: free spans
 * in the middle of the heap may be too short, and only the top can grow. */
static int may_fail(size_t size, size_t alignment) {
    struct walloc_stats stats;
    walloc_get_stats(&stats);
    uint64_t room = ((uint64_t)1 << 32) - stats.memory_bytes + stats.free_bytes;
    return grow_refused || size >= ((size_t)1 << 30) || (uint64_t)size + alignment + 64 * MiB > room;
}

static void fill(const struct block *b) {
    uint64_t seed = pattern_seed(b->p, b->size);
    if (b->size <= FILL_LIMIT) {
        pattern_fill(b->p, b->size, seed);
    } else {
        pattern_fill(b->p, EDGE, seed);
        pattern_fill(b->p + b->size - EDGE, EDGE, seed + 1);
    }
}

/* Checks the first `size` bytes of a block filled for `filled` bytes with `seed`. */
static int holds_prefix(const unsigned char *p, size_t size, size_t filled, uint64_t seed) {
    if (filled <= FILL_LIMIT) return pattern_holds(p, size < filled ? size : filled, seed);
    if (!pattern_holds(p, size < EDGE ? size : EDGE, seed)) return 0;
    return size < filled || pattern_holds(p + filled - EDGE, EDGE, seed + 1);
}

static void verify(const struct block *b) {
    if (!holds_prefix(b->p, b->size, b->size, pattern_seed(b->p, b->size)))
        broken("contents of a live block changed", b->p, b->size);
}

static void check_apart(const unsigned char *p, size_t size, const struct block *o) {
    size_t a = size ? size : 1, b = o->size ? o->size : 1;
    if (o->p && p < o->p + b && o->p < p + a) broken("block overlaps a live block", p, size);
}

void check_no_overlap(const unsigned char *p, size_t size) {
    for (size_t i = 0; i < SLOTS; i++) check_apart(p, size, &slots[i]);
    for (size_t i = 0; i < tier_block_count; i++) check_apart(p, size, &tier_blocks[i].b);
    gc_check_apart(p, size);
}

static void check_new_block(const unsigned char *p, size_t size, size_t alignment, int zeroed) {
    size_t natural = size >= 16 ? 16 : 8;
    if (size > WALLOC_MAX_REQUEST) broken("block larger than WALLOC_MAX_REQUEST handed out", p, size);
    if ((uintptr_t)p % (alignment > natural ? alignment : natural))
        broken("block misaligned", p, size);
    if (walloc_malloc_usable_size((void *)p) < size) broken("usable size below the request", p, size);
    if (zeroed && !all_zero(p, size <= FILL_LIMIT ? size : EDGE)) broken("calloc block not zero", p, size);
    check_no_overlap(p, size);
}

void failed(int error, size_t size, size_t alignment) {
    if (error != ENOMEM) broken("failure without ENOMEM", NULL, size);
    if (!may_fail(size, alignment)) broken("allocation failed with memory to spare", NULL, size);
}

static void release(struct block *b) {
    if (!b->p) return;
    verify(b);
    walloc_free(b->p);
    b->p = NULL;
}

static void place(struct block *b, unsigned char *p, size_t size) {
    b->p = p;
    b->size = size;
    fill(b);
}

static void allocate(struct block *b, enum op op, size_t size, size_t alignment) {
    unsigned char *p = NULL;
    int code = 0;
    release(b);
    errno = 0;
    switch (op) {
    case OP_MALLOC: p = walloc_malloc(size); break;
    case OP_CALLOC: p = walloc_calloc(1, size); break;
    case OP_ALIGNED: p = walloc_aligned_alloc(alignment, size); break;
    default:
        if (alignment < sizeof(void *)) alignment = sizeof(void *);
        code = walloc_posix_memalign((void **)&p, alignment, size);
        errno = code;
        break;
    }
    if (!p) {
        failed(errno, size, alignment);
        return;
    }
    if (code) broken("posix_memalign stored a block and failed", p, size);
    check_new_block(p, size, op == OP_MALLOC || op == OP_CALLOC ? 1 : alignment, op == OP_CALLOC);
    place(b, p, size);
}

static void resize(struct block *b, size_t size) {
    unsigned char *old = b->p;
    size_t old_size = b->size;
    uint64_t seed = old ? pattern_seed(old, old_size) : 0;
    errno = 0;
    unsigned char *p = walloc_realloc(old, size);
    if (!p) {
        failed(errno, size, 1);
        if (old) verify(b);
        return;
    }
    if (old && !holds_prefix(p, size, old_size, seed)) broken("realloc lost contents", p, size);
    b->p = NULL; /* the old block is gone: no overlap check against it */
    check_new_block(p, size, 1, 0);
    place(b, p, size);
}

static void free_all_but(size_t keep) {
    for (size_t i = 0; i < SLOTS; i++)
        if (i != keep) release(&slots[i]);
}

/* Forgets the blocks of `tier` from number `from_seq` on, once every tier block still shows
 * its pattern (recycled memory may then be handed out again). */
static void drop_tier_blocks(unsigned tier, unsigned long from_seq) {
    size_t kept = 0;
    for (size_t i = 0; i < tier_block_count; i++) {
        struct tier_block *t = &tier_blocks[i];
        verify(&t->b);
        if (t->tier != tier || t->seq < from_seq) tier_blocks[kept++] = *t;
    }
    tier_block_count = kept;
}

/* Tier operations; `slot` picks the tier. Only allocations of at least one byte are tracked
 * (a size-0 allocation may share its address with the next one of its tier). */
static void tier_op(enum op op, size_t slot, struct input *in) {
    unsigned tier = (unsigned)(slot % TIERS);
    if (!tiers) return;
    if (op == OP_TIER_RESET) {
        walloc_tier_reset(tiers, tier);
        drop_tier_blocks(tier, 0);
    } else if (op == OP_TIER_MARK) {
        marks[tier] = walloc_tier_mark(tiers, tier);
        mark_seq[tier] = tier_seq;
    } else if (op == OP_TIER_RELEASE) {
        if (walloc_tier_release(tiers, tier, marks[tier]) == 0) drop_tier_blocks(tier, mark_seq[tier]);
    } else {
        size_t size = next_size(in, 1);
        errno = 0;
        unsigned char *p = walloc_tier_alloc(tiers, tier, size);
        if (!p) {
            failed(errno, size, tier_alignment[tier]);
            return;
        }
        if (size > WALLOC_MAX_REQUEST) broken("tier block larger than WALLOC_MAX_REQUEST", p, size);
        if ((uintptr_t)p % tier_alignment[tier]) broken("tier block misaligned", p, size);
        /* A size-0 block is a position that the next block of its tier may share, but it lies
         * inside the tier, never on a malloc block. */
        if (!size) {
            for (size_t i = 0; i < SLOTS; i++) check_apart(p, 0, &slots[i]);
            return;
        }
        if (!walloc_tier_owns(tiers, tier, p)) broken("tier does not own its block", p, size);
        check_no_overlap(p, size);
        if (tier_block_count == SLOTS) return;
        struct tier_block *t = &tier_blocks[tier_block_count++];
        t->tier = tier;
        t->seq = tier_seq++;
        place(&t->b, p, size);
    }
}

void check_heap(void) {
    if (walloc_check() != 0) broken(walloc_last_error(), NULL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct input in = { data, size };
    walloc_test_reset();
    gc_begin_input();
    tier_block_count = 0;
    tier_seq = 0;
    tiers = walloc_tiers_create(256 * KiB, NULL, 0);
    for (unsigned i = 0; i < TIERS; i++) {
        marks[i] = walloc_tier_mark(tiers, i);
        mark_seq[i] = 0;
    }
    for (unsigned step = 1; in.left; step++) {
        enum op op = (enum op)(next_byte(&in) % OP_COUNT);
        size_t slot = next_byte(&in) % SLOTS;
        struct block *b = &slots[slot];
        switch (op) {
        case OP_REALLOC: resize(b, next_size(&in, 1)); break;
        case OP_FREE: release(b); break;
        case OP_FREE_ALL_BUT: free_all_but(slot); break;
        case OP_FAIL_GROW: {
            /* After a few more grows, refuse once, a few times or for good. */
            static const size_t refusals[] = { 1, 4, SIZE_MAX };
            walloc_test_fail_grow_after(slot % 8, refusals[next_byte(&in) % 3]);
            grow_refused = 1;
            break;
        }
        case OP_TIER_ALLOC: case OP_TIER_RESET: case OP_TIER_MARK: case OP_TIER_RELEASE:
            tier_op(op, slot, &in);
            break;
        case OP_MALLOC: case OP_CALLOC: case OP_ALIGNED: case OP_POSIX_MEMALIGN: {
            size_t request = next_size(&in, op == OP_CALLOC);
            allocate(b, op, request, op == OP_ALIGNED || op == OP_POSIX_MEMALIGN ? next_alignment(&in) : 1);
            break;
        }
        default: gc_op((enum gc_op)(op - OP_GC_FIRST), slot, &in); break;
        }
        if (step % CHECK_EVERY == 0) check_heap();
    }
    gc_end_input();
    free_all_but(SLOTS);
    for (unsigned i = 0; i < TIERS; i++) drop_tier_blocks(i, 0);
    walloc_tiers_destroy(tiers);
    walloc_test_fail_grow_after(SIZE_MAX, 0);
    grow_refused = 0;
    check_heap();
    return 0;
}
