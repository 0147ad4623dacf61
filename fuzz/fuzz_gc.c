/* fuzz_gc.c - the collector's half of the fuzz_heap target: GC operations mixed with the
 * malloc-family and tier ones on the same heap, each checked against a model of what must
 * stay alive.
 *
 * The model holds up to GC_SLOTS objects. The only pointers the fuzzer keeps to them are in
 * `root_table`, malloc memory registered with GC_add_roots (a root only through that call),
 * and in the first word of other objects (the link word: a child, which the parent's scan must
 * find); the model's own copies are complemented, so they retain nothing. An object is live
 * while a rooted object, or an uncollectable one, reaches it through link words. Pointers
 * point up to a page into their object, so interior pointers are exercised too.
 *
 * Every object but its link word holds a pattern derived from its address and size. After
 * every collection (explicit, or started by an allocation) every live object must still be
 * allocated (GC_base, GC_size), hold its pattern and its link word, and no disappearing link
 * to it may have been cleared; walloc_check() runs after every GC operation. Finalizers check
 * that the object they get is no live one, ran at most once and not after GC_free or a
 * replacement, and still holds its pattern (it is kept for its finalizer). New objects are
 * zeroed and overlap no malloc block, tier block or live object.
 *
 * What the model cannot ask for: that garbage dies. The native stack is scanned
 * conservatively and may hold any stale pointer, so dead objects may stay.
 */
#include <errno.h>
#include <string.h>

#include "gc.h"
#include "gc_typed.h"
#include "fuzz.h"
#include "pattern.h"
#include "sizes.h"

#define GC_SLOTS 32
#define CELLS 16
#define RECORDS 256
#define WORD sizeof(void *)
/* As for malloc blocks: patterns whole up to this size, else only at both ends. */
#define GC_FILL_LIMIT (64 * KiB)
#define GC_EDGE 64

struct gc_slot {
    uintptr_t hidden;   /* ~address; 0: empty */
    size_t size;
    size_t offset;      /* root_table and link words point this far into the object */
    unsigned long serial; /* tells this object from a later one at the same address */
    int uncollectable, scanned;
    int rooted;
    int child;          /* the slot its link word holds, or -1 */
    int record;         /* its finalizer's record, or -1 */
};

enum record_state { ARMED, RAN, CANCELLED };
struct record {
    uintptr_t hidden;
    size_t size;
    unsigned long serial;
    enum record_state state;
};

struct link {
    int active;
    uintptr_t hidden;
    unsigned long serial;
};

static struct gc_slot gc_slots[GC_SLOTS];
static void **root_table, **cells;
static struct record records[RECORDS];
static size_t record_count;
static struct link links[CELLS];
static unsigned long serials;
static size_t seen_gc_no;
static int disabled, started;

static unsigned char *address(const struct gc_slot *s) { return (unsigned char *)~s->hidden; }

/* The pattern covers everything after the link word (all of an object shorter than one). */
static size_t pattern_start(size_t size) { return size < WORD ? 0 : WORD; }

static void gc_fill(unsigned char *p, size_t size) {
    size_t from = pattern_start(size);
    uint64_t seed = pattern_seed(p, size);
    if (size <= GC_FILL_LIMIT) {
        pattern_fill(p + from, size - from, seed);
    } else {
        pattern_fill(p + from, GC_EDGE, seed);
        pattern_fill(p + size - GC_EDGE, GC_EDGE, seed + 1);
    }
}

/* Whether the first `upto` bytes of an object filled for `size` bytes at `p` (before a move:
 * `seed` is that of the old address) still hold their pattern. */
static int gc_holds(const unsigned char *p, size_t upto, size_t size, uint64_t seed) {
    size_t from = pattern_start(size);
    if (upto <= from) return 1;
    if (size <= GC_FILL_LIMIT) return pattern_holds(p + from, (upto < size ? upto : size) - from, seed);
    if (!pattern_holds(p + from, upto < from + GC_EDGE ? upto - from : GC_EDGE, seed)) return 0;
    return upto < size || pattern_holds(p + size - GC_EDGE, GC_EDGE, seed + 1);
}

static uintptr_t link_word_of(const struct gc_slot *s) {
    if (s->child < 0) return 0;
    const struct gc_slot *c = &gc_slots[s->child];
    return (uintptr_t)address(c) + c->offset;
}

static void set_link_word(struct gc_slot *s, int child) {
    s->child = child;
    uintptr_t word = link_word_of(s);
    memcpy(address(s), &word, WORD);
}

static int atomic_uncollectable(const struct gc_slot *s) { return s->uncollectable && !s->scanned; }

static int serial_live(unsigned long serial) {
    for (size_t i = 0; i < GC_SLOTS; i++)
        if (gc_slots[i].hidden && gc_slots[i].serial == serial) return 1;
    return 0;
}

static void verify_object(const struct gc_slot *s) {
    unsigned char *p = address(s);
    if (GC_base(p + s->offset) != p || GC_size(p) < s->size) broken("live GC object no longer allocated", p, s->size);
    if (!gc_holds(p, s->size, s->size, pattern_seed(p, s->size))) broken("contents of a live GC object changed", p, s->size);
    uintptr_t word = 0;
    if (s->size >= WORD) memcpy(&word, p, WORD);
    if (s->size >= WORD && word != link_word_of(s)) broken("link word of a live GC object changed", p, s->size);
}

/* After a collection: every live object intact, every link to one uncleared; links the
 * collector cleared are no longer registered. */
static void verify_all(void) {
    for (size_t i = 0; i < GC_SLOTS; i++)
        if (gc_slots[i].hidden) verify_object(&gc_slots[i]);
    for (size_t k = 0; k < CELLS; k++) {
        struct link *l = &links[k];
        if (!l->active) continue;
        if (!cells[k]) {
            if (serial_live(l->serial)) broken("disappearing link to a live object cleared", (void *)~l->hidden, 0);
            l->active = 0;
        } else if ((uintptr_t)cells[k] != ~l->hidden) {
            broken("disappearing link changed but not cleared", cells[k], 0);
        }
    }
    check_heap();
}

/* Verifies everything if a collection ran since the last look. */
static void after_collections(void) {
    size_t now = GC_get_gc_no();
    if (now == seen_gc_no) return;
    seen_gc_no = now;
    verify_all();
}

static void on_finalize(void *obj, void *data) {
    size_t r = (uintptr_t)data - 1;
    if (r >= record_count) broken("finalizer called with foreign client data", obj, 0);
    struct record *rec = &records[r];
    if (rec->state == RAN) broken("finalizer ran twice", obj, rec->size);
    if (rec->state == CANCELLED) broken("finalizer ran after GC_free, a move or its removal", obj, rec->size);
    if ((uintptr_t)obj != ~rec->hidden) broken("finalizer got another object", obj, rec->size);
    if (serial_live(rec->serial)) broken("finalizer ran for a live object", obj, rec->size);
    if (!gc_holds(obj, rec->size, rec->size, pattern_seed(obj, rec->size)))
        broken("object kept for its finalizer changed", obj, rec->size);
    rec->state = RAN;
}

/* Forgets every slot that no root reaches any more: garbage, which the collector may take. */
static void settle(void) {
    int live[GC_SLOTS] = { 0 };
    int changed = 1;
    for (size_t i = 0; i < GC_SLOTS; i++)
        live[i] = gc_slots[i].hidden && (gc_slots[i].rooted || gc_slots[i].uncollectable);
    while (changed) {
        changed = 0;
        for (size_t i = 0; i < GC_SLOTS; i++) {
            int c = gc_slots[i].child;
            if (live[i] && c >= 0 && !live[c]) live[c] = changed = 1;
        }
    }
    for (size_t i = 0; i < GC_SLOTS; i++)
        if (!live[i]) gc_slots[i].hidden = 0;
    for (size_t i = 0; i < GC_SLOTS; i++)
        if (gc_slots[i].child >= 0 && !gc_slots[gc_slots[i].child].hidden) gc_slots[i].child = -1;
}

/* Takes every pointer the fuzzer holds to slot `i` away: its root and the link words of its
 * parents. */
static void detach(size_t i) {
    root_table[i] = NULL;
    gc_slots[i].rooted = 0;
    for (size_t k = 0; k < GC_SLOTS; k++)
        if (gc_slots[k].hidden && gc_slots[k].child == (int)i) set_link_word(&gc_slots[k], -1);
}

/* The collector forgets the finalizer and links of an object freed by GC_free (or GC_realloc
 * when it moves), so must the model. */
static void forget_registrations(struct gc_slot *s) {
    if (s->record >= 0) records[s->record].state = CANCELLED;
    s->record = -1;
    for (size_t k = 0; k < CELLS; k++)
        if (links[k].active && links[k].serial == s->serial) links[k].active = 0;
}

static void free_slot(size_t i) {
    struct gc_slot *s = &gc_slots[i];
    detach(i);
    forget_registrations(s);
    GC_free(address(s));
    s->hidden = 0;
    settle();
}

/* Empties slot `i`: an uncollectable object is freed, any other left to the collector. */
static void vacate(size_t i) {
    if (!gc_slots[i].hidden) return;
    if (gc_slots[i].uncollectable) {
        free_slot(i);
        return;
    }
    detach(i);
    settle();
}

static void root(size_t i) {
    struct gc_slot *s = &gc_slots[i];
    root_table[i] = address(s) + s->offset;
    s->rooted = 1;
}

/* A descriptor whose first word is a pointer (the link word), for `words` words; other words
 * are pointers where the input says, so the pattern there may look like one. */
static GC_descr descriptor(size_t words, uint8_t bits) {
    GC_word bitmap[2] = { 0 };
    GC_set_bit(bitmap, 0);
    for (unsigned b = 0; b < 8; b++)
        if ((bits >> b) & 1) GC_set_bit(bitmap, (b * 13 + 5) % words);
    return GC_make_descriptor(bitmap, words);
}

enum variant { V_NORMAL, V_ATOMIC, V_TYPED, V_TYPED_ARRAY, V_UNCOLLECTABLE, V_ATOMIC_UNCOLLECTABLE,
               V_OFF_PAGE, V_ATOMIC_OFF_PAGE, V_COUNT };

static void alloc_op(size_t i, struct input *in) {
    vacate(i);
    size_t size = next_size(in, 1);
    enum variant v = (enum variant)(next_byte(in) % V_COUNT);
    uint8_t extra = next_byte(in), offset_byte = next_byte(in);
    /* A typed layout needs whole words; an extended descriptor's table may not grow while
     * memory is refused, and a failure there is not what this tests. */
    if ((v == V_TYPED || v == V_TYPED_ARRAY) && (size < WORD || grow_refused)) v = V_NORMAL;
    size_t words = size / WORD < 128 ? size / WORD : 128, count = 1 + extra % 8;
    errno = 0;
    unsigned char *p;
    switch (v) {
    case V_ATOMIC: p = GC_malloc_atomic(size); break;
    case V_TYPED: p = GC_malloc_explicitly_typed(size, descriptor(words, extra)); break;
    case V_TYPED_ARRAY:
        words = words / count ? words / count : 1;
        size = count * words * WORD;
        p = GC_calloc_explicitly_typed(count, words * WORD, descriptor(words, extra));
        break;
    case V_UNCOLLECTABLE: p = GC_malloc_uncollectable(size); break;
    case V_ATOMIC_UNCOLLECTABLE: p = GC_malloc_atomic_uncollectable(size); break;
    case V_OFF_PAGE: p = GC_malloc_ignore_off_page(size); break;
    case V_ATOMIC_OFF_PAGE: p = GC_malloc_atomic_ignore_off_page(size); break;
    default: p = GC_malloc(size); break;
    }
    if (!p) {
        failed(errno, size, 1);
        return;
    }
    size_t first = size < GC_FILL_LIMIT ? size : GC_FILL_LIMIT;
    if (!all_zero(p, first) || (size > first && !all_zero(p + size - GC_EDGE, GC_EDGE)))
        broken("GC object not zeroed", p, size);
    if (GC_base(p) != p || GC_size(p) < size) broken("GC object smaller than its request", p, size);
    check_no_overlap(p, size);
    struct gc_slot *s = &gc_slots[i];
    *s = (struct gc_slot){ .hidden = ~(uintptr_t)p, .size = size, .serial = ++serials, .child = -1, .record = -1 };
    s->uncollectable = v == V_UNCOLLECTABLE || v == V_ATOMIC_UNCOLLECTABLE;
    s->scanned = !(v == V_ATOMIC || v == V_ATOMIC_UNCOLLECTABLE || v == V_ATOMIC_OFF_PAGE);
    /* Within the object and its first page: an ignore-off-page object needs no more. */
    s->offset = offset_byte * 16 % (size < 4096 ? (size ? size : 1) : 4096);
    gc_fill(p, size);
    root(i);
}

static void realloc_op(size_t i, struct input *in) {
    struct gc_slot *s = &gc_slots[i];
    size_t size = next_size(in, 1);
    if (!s->hidden) return;
    if (!size) {
        /* GC_realloc(p, 0) is GC_free(p). */
        detach(i);
        forget_registrations(s);
        if (GC_realloc(address(s), 0) != NULL) broken("GC_realloc to 0 returned an object", address(s), 0);
        s->hidden = 0;
        settle();
        return;
    }
    unsigned char *old = address(s);
    size_t old_size = s->size;
    uint64_t seed = pattern_seed(old, old_size);
    uintptr_t old_word = link_word_of(s), word = 0;
    errno = 0;
    unsigned char *p = GC_realloc(old, size);
    if (!p) {
        failed(errno, size, 1);
        verify_object(s);
        return;
    }
    if (!gc_holds(p, size, old_size, seed)) broken("GC_realloc lost contents", p, size);
    if (size >= WORD && old_size >= WORD) memcpy(&word, p, WORD);
    if (word != (size >= WORD && old_size >= WORD ? old_word : 0)) broken("GC_realloc lost the link word", p, size);
    s->hidden = 0; /* the old object is gone (or is this one): no overlap check against it */
    check_no_overlap(p, size);
    if (GC_base(p) != p || GC_size(p) < size) broken("GC_realloc result smaller than its request", p, size);
    s->hidden = ~(uintptr_t)p;
    s->size = size;
    s->offset = size < 4096 ? s->offset % size : s->offset;
    if (p != old) {
        /* A new object of the old one's kind (conservative if it was typed: its link word is
         * scanned either way); the old one was freed, with its finalizer and links. */
        forget_registrations(s);
        s->serial = ++serials;
    } else if (s->record >= 0) {
        records[s->record].size = size;
    }
    if (size < WORD) s->child = -1;
    gc_fill(p, size);
    if (size >= WORD) set_link_word(s, s->child);
    if (s->rooted) root(i);
    for (size_t k = 0; k < GC_SLOTS; k++)
        if (gc_slots[k].hidden && gc_slots[k].child == (int)i) set_link_word(&gc_slots[k], (int)i);
    settle();
}

/* Slot `i` holds slot `j` in its link word; with the input's leave, j loses its root. */
static void attach_op(size_t i, struct input *in) {
    uint8_t b = next_byte(in);
    size_t j = b % GC_SLOTS;
    struct gc_slot *s = &gc_slots[i];
    if (!s->hidden || !gc_slots[j].hidden || !s->scanned || s->size < WORD) return;
    set_link_word(s, (int)j);
    if (b & 0x80) {
        root_table[j] = NULL;
        gc_slots[j].rooted = 0;
    }
    settle();
}

static void finalizer_op(size_t i, struct input *in) {
    uint8_t how = next_byte(in) % 4;
    struct gc_slot *s = &gc_slots[i];
    /* A registration that cannot grow its table is dropped without a word: the model could not
     * know what the next one returns as the previous finalizer. Atomic uncollectable objects
     * get none: the collector runs their finalizers while they live, a known defect (test_gc:
     * uncollectable_objects_are_never_finalized_or_unlinked). */
    if (!s->hidden || grow_refused || record_count == RECORDS || atomic_uncollectable(s)) return;
    GC_finalization_proc fn = how == 3 ? NULL : on_finalize, old_fn = NULL;
    void *data = how == 3 ? NULL : (void *)(uintptr_t)(record_count + 1), *old_data = NULL;
    unsigned char *p = address(s);
    if (how == 0) GC_register_finalizer(p, fn, data, &old_fn, &old_data);
    else if (how == 1) GC_register_finalizer_ignore_self(p, fn, data, &old_fn, &old_data);
    else GC_register_finalizer_no_order(p, fn, data, &old_fn, &old_data);
    void *expected = s->record >= 0 ? (void *)(uintptr_t)(s->record + 1) : NULL;
    if (old_data != expected || (old_fn != NULL) != (expected != NULL) || (old_fn && old_fn != on_finalize))
        broken("registering a finalizer returned the wrong previous one", p, s->size);
    if (s->record >= 0) records[s->record].state = CANCELLED;
    s->record = -1;
    if (!fn) return;
    records[record_count] = (struct record){ s->hidden, s->size, s->serial, ARMED };
    s->record = (int)record_count++;
}

static void link_op(size_t i, struct input *in) {
    uint8_t b = next_byte(in);
    size_t k = b % CELLS;
    struct link *l = &links[k];
    if (b & 0x80) {
        int expected = l->active;
        if (GC_unregister_disappearing_link(&cells[k]) != expected) broken("unregistering a link answered wrong", cells[k], k);
        l->active = 0;
        return;
    }
    struct gc_slot *s = &gc_slots[i];
    if (!s->hidden || atomic_uncollectable(s)) return; /* as for finalizers */
    if (!l->active) cells[k] = address(s);
    int result = GC_general_register_disappearing_link(&cells[k], address(s));
    if (l->active) {
        if (result != GC_DUPLICATE) broken("a link registered twice is no duplicate", cells[k], k);
        return;
    }
    if (result == GC_NO_MEMORY && grow_refused) return;
    if (result != GC_SUCCESS) broken("registering a disappearing link failed", cells[k], k);
    *l = (struct link){ 1, s->hidden, s->serial };
}

static void setting_op(struct input *in) {
    uint8_t b = next_byte(in);
    switch (b % 5) {
    case 0: GC_disable(); disabled++; break;
    case 1:
        if (disabled) GC_enable(), disabled--;
        break;
    case 2: GC_set_finalize_on_demand(!GC_get_finalize_on_demand()); break;
    case 3: GC_invoke_finalizers(); break;
    default: GC_set_free_space_divisor(1 + b / 5 % 40); break;
    }
}

void gc_check_apart(const unsigned char *p, size_t size) {
    size_t a = size ? size : 1;
    for (size_t i = 0; i < GC_SLOTS; i++) {
        const struct gc_slot *s = &gc_slots[i];
        if (!s->hidden) continue;
        const unsigned char *q = address(s);
        if (p < q + (s->size ? s->size : 1) && q < p + a) broken("block overlaps a live GC object", p, size);
    }
}

/* Each input starts on a fresh heap, the collector's state included (walloc_test_reset). */
void gc_begin_input(void) {
    memset(gc_slots, 0, sizeof gc_slots);
    memset(links, 0, sizeof links);
    record_count = 0;
    disabled = 0;
    started = 0;
}

/* The collector is set up at an input's first GC operation, so inputs without any do not pay
 * for it: its set-up black-lists from the static data, which in this binary is 10 MB of
 * sanitizer and libFuzzer state. For the same reason that data is not scanned as a root
 * (GC_set_no_dls): the roots are the registered table and the stack, as for an embedder such
 * as TinyGo.
 *
 * A first collection, with memory to spare, gives the mark stack its room: a collection whose
 * stack cannot get any never ends, a defect of gc_mark.c (test_gc:
 * mark_stack_without_room_does_not_hang_the_collection). So an input that refuses growth
 * before its first GC operation does no GC operation at all. */
static int start(void) {
    if (started) return 1;
    if (grow_refused) return 0;
    GC_set_warn_proc(GC_ignore_warn_proc);
    GC_set_no_dls(1);
    root_table = walloc_calloc(GC_SLOTS, sizeof *root_table);
    cells = walloc_calloc(CELLS, sizeof *cells);
    if (!root_table || !cells) broken("no memory for the GC model on a fresh heap", NULL, 0);
    GC_add_roots(root_table, root_table + GC_SLOTS);
    root_table[0] = GC_malloc(16);
    GC_gcollect();
    root_table[0] = NULL;
    seen_gc_no = GC_get_gc_no();
    started = 1;
    return 1;
}

void gc_op(enum gc_op op, size_t slot, struct input *in) {
    size_t i = slot % GC_SLOTS;
    if (!start()) return;
    switch (op) {
    case GC_OP_ALLOC: alloc_op(i, in); break;
    case GC_OP_REALLOC: realloc_op(i, in); break;
    case GC_OP_FREE:
        if (gc_slots[i].hidden) free_slot(i);
        break;
    case GC_OP_DROP:
        if (gc_slots[i].hidden) {
            root_table[i] = NULL;
            gc_slots[i].rooted = 0;
            settle();
        }
        break;
    case GC_OP_ATTACH: attach_op(i, in); break;
    case GC_OP_COLLECT: {
        size_t before = GC_get_gc_no();
        GC_gcollect();
        if ((GC_get_gc_no() == before) != (disabled > 0)) broken("GC_gcollect ran or not against GC_disable", NULL, 0);
        break;
    }
    case GC_OP_FINALIZER: finalizer_op(i, in); break;
    case GC_OP_LINK: link_op(i, in); break;
    default: setting_op(in); break;
    }
    after_collections();
    check_heap();
}

/* Collects once more with the collector enabled and checks the survivors. */
void gc_end_input(void) {
    if (!started) return;
    for (; disabled; disabled--) GC_enable();
    GC_set_finalize_on_demand(0);
    GC_gcollect();
    after_collections();
    walloc_free(cells);
    walloc_free(root_table);
}
