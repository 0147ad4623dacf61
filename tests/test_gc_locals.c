/* test_gc_locals.c - the wasm rule of the collector (README, "Garbage collector"), both ways.
 *
 * A pointer held only in a wasm local lives in the engine's value stack, which no collector
 * sees. Built through binaryen's `wasm-opt --spill-pointers` (tests/spill.mk), every pointer-
 * sized local live across a call is also stored in the shadow stack, which the collector scans:
 * the "only in a local" tests must pass there, and they fail in a plain build, which spill.mk
 * checks too. The safe pattern (pointers kept in roots or in GC objects reachable from them,
 * collections only where no pointer is held in a local) must work in both builds; so must the
 * other side of the rule, that stale slots below the stack pointer retain nothing.
 *
 * Whether an object lives is seen through its finalizer (which must not run) and its contents
 * (a freed block is zeroed and reused), never by keeping a pointer to it where it would count.
 */
#include <stdint.h>
#include <stdio.h>

#include "gc.h"
#include "check.h"

#define NOINLINE __attribute__((noinline))

/* A cell's words derive from its address and are never valid addresses themselves: on wasm32
 * the complement of a heap address lies above any memory these tests grow. */
#define CELL_WORDS 8
struct cell {
    uintptr_t words[CELL_WORDS];
};

static int cell_intact(const struct cell *c) {
    for (uintptr_t i = 0; i < CELL_WORDS; i++)
        if (c->words[i] != ~((uintptr_t)c + i)) return 0;
    return 1;
}

/* Finalizers are told apart by their client data: each test watches one token, so garbage
 * left by an earlier test that is finalized meanwhile does not count. */
static uintptr_t watched, next_token = 1;
static unsigned long watched_finalized;
static void watch_finalizer(void *obj, void *token) {
    (void)obj;
    watched_finalized += (uintptr_t)token == watched;
}

static uintptr_t watch_new_token(void) {
    watched = next_token++;
    watched_finalized = 0;
    return watched;
}

/* A filled cell whose finalizer reports `token`; NULL when memory is out. */
static NOINLINE struct cell *new_cell(uintptr_t token) {
    struct cell *c = GC_malloc(sizeof *c);
    if (!c) return NULL;
    for (uintptr_t i = 0; i < CELL_WORDS; i++) c->words[i] = ~((uintptr_t)c + i);
    GC_register_finalizer(c, watch_finalizer, (void *)token, NULL, NULL);
    return c;
}

/* A collection one frame below the caller, so that the caller's pointers are in its frame (or
 * only in its locals) while the collector runs. */
static NOINLINE void collect_in_callee(void) { GC_gcollect(); }

/* --- Only with --spill-pointers: a pointer in a local is a root. --- */

/* `c` lives in a local across both calls. A finalized object is freed at the next collection,
 * so without the pass the second one zeroes and frees the cell. */
TEST(a_pointer_only_in_a_local_survives_a_collection_in_a_callee) {
    struct cell *c = new_cell(watch_new_token());
    if (!CHECK(c != NULL)) return;
    collect_in_callee();
    collect_in_callee();
    CHECK(watched_finalized == 0);
    CHECK(GC_base(c) == c && cell_intact(c));
}

struct node {
    struct node *next;
    uintptr_t value; /* ~index: never an address */
};

static NOINLINE struct node *cons(uintptr_t value, struct node *next) {
    struct node *n = GC_malloc(sizeof *n);
    if (!n) return NULL;
    n->next = next;
    n->value = ~value;
    return n;
}

#define LIST_NODES 60000u

/* The nodes of a list whose head is only in `list`, counted while they hold their index in
 * order; the walk stops at LIST_NODES, as a list freed under it may have become a cycle. */
static uintptr_t intact_nodes(const struct node *list) {
    uintptr_t seen = 0;
    for (; list && seen < LIST_NODES; list = list->next, seen++)
        if (list->value != ~(uintptr_t)(LIST_NODES - 1 - seen)) break;
    return seen;
}

/* The collections start themselves, inside GC_malloc, while the head is in a local only. */
TEST(a_list_held_only_in_a_local_survives_the_collections_its_growth_starts) {
    size_t collections = GC_get_gc_no();
    struct node *list = NULL;
    for (uintptr_t i = 0; i < LIST_NODES; i++) {
        struct node *n = cons(i, list);
        if (!n) break;
        list = n;
        if (i % 64 == 0) GC_malloc_atomic(2000); /* garbage, so that collections come often */
    }
    CHECK(GC_get_gc_no() >= collections + 3);
    CHECK(intact_nodes(list) == LIST_NODES);
}

/* --- In every build: the safe pattern. --- */

static void *volatile in_static_data[2];
static void **registered; /* malloc memory, a root only through GC_add_roots (main) */

struct holder {
    struct cell *cell;
    uintptr_t padding;
};

/* Out of the test's frame, so that no copy of a pointer stays there for the last collection. */
static NOINLINE int rooted_cells_intact(void) {
    const struct holder *h = in_static_data[1];
    return h->cell && cell_intact(h->cell) && cell_intact(in_static_data[0]) && cell_intact(registered[0]);
}

/* Each call's result goes straight to memory that is a root: no pointer waits in a local of
 * the test while the collector runs. */
TEST(objects_in_roots_and_reachable_from_them_survive_collections_in_callees) {
    uintptr_t token = watch_new_token();
    in_static_data[0] = new_cell(token);
    registered[0] = new_cell(token);
    in_static_data[1] = GC_malloc(sizeof(struct holder));
    if (!CHECK(in_static_data[0] && registered[0] && in_static_data[1])) return;
    ((struct holder *)in_static_data[1])->cell = new_cell(token);
    collect_in_callee();
    collect_in_callee();
    CHECK(watched_finalized == 0 && rooted_cells_intact());
    in_static_data[0] = in_static_data[1] = registered[0] = NULL;
    collect_in_callee();
    CHECK(watched_finalized == 3);
}

static void *volatile rooted_list;

/* One step of work: its objects are linked into a root before it returns. */
static NOINLINE void push_rooted(uintptr_t value) {
    struct node *n = cons(value, rooted_list);
    if (n) rooted_list = n;
    GC_malloc(3000); /* garbage */
}

/* The program's own loop collects between steps, where it holds no pointer in a local. */
TEST(collecting_only_where_no_pointer_is_in_a_local_keeps_everything) {
    enum { STEPS = 200 };
    rooted_list = NULL;
    for (uintptr_t i = 0; i < STEPS; i++) {
        push_rooted(i);
        if (i % 10 == 0) GC_gcollect();
    }
    uintptr_t intact = 0;
    for (const struct node *n = rooted_list; n && intact < STEPS; n = n->next, intact++)
        if (n->value != ~(STEPS - 1 - intact)) break;
    CHECK(intact == STEPS);
    rooted_list = NULL;
}

/* --- In every build: stale slots below the stack pointer retain nothing. --- */

static volatile uintptr_t sink;

/* Leaves pointers into `c` in the 64 bytes of its frame and returns. It calls nothing, so the
 * pass gives it no spill area and the array lies right below the caller's stack pointer: where
 * the frames of the caller's next call, the collection, are laid. */
static NOINLINE void leave_pointers_and_return(const char *c) {
    volatile uintptr_t in_frame[16];
    for (unsigned i = 0; i < 16; i++) in_frame[i] = (uintptr_t)c + 4 * (i % CELL_WORDS);
}

TEST(a_pointer_left_by_a_returned_callee_retains_nothing) {
    leave_pointers_and_return((const char *)new_cell(watch_new_token()));
    GC_gcollect();
    CHECK(watched_finalized == 1);
}

/* Frames of 32 words each, every word pointing into `c`, `depth` deep. */
static NOINLINE uintptr_t bury(const char *c, unsigned depth) {
    volatile uintptr_t frame[32];
    for (unsigned i = 0; i < 32; i++) frame[i] = (uintptr_t)c + 8 * (i % CELL_WORDS);
    uintptr_t below = depth ? bury(c, depth - 1) : 0;
    return below + frame[depth % 32];
}

/* Zeroes the 2 KiB just below the caller, so that only the deep frames keep their pointers. */
static NOINLINE void scrub(void) {
    volatile uintptr_t area[2048 / sizeof(uintptr_t)];
    for (unsigned i = 0; i < sizeof area / sizeof area[0]; i++) area[i] = 0;
}

static NOINLINE void bury_new_cell(uintptr_t token) {
    struct cell *c = new_cell(token);
    if (c) sink += bury((const char *)c, 64);
}

/* The buried frames lie 2 to 10 KiB below the caller: deeper than the collector's own frames
 * and the stack it zeroes, so only the scan's start at the stack pointer keeps them out. */
TEST(stale_slots_deep_below_the_stack_pointer_retain_nothing) {
    bury_new_cell(watch_new_token());
    scrub();
    GC_gcollect();
    CHECK(watched_finalized == 1);
}

static const struct test_entry tests[] = {
    TEST_ENTRY(a_pointer_only_in_a_local_survives_a_collection_in_a_callee),
    TEST_ENTRY(a_list_held_only_in_a_local_survives_the_collections_its_growth_starts),
    TEST_ENTRY(objects_in_roots_and_reachable_from_them_survive_collections_in_callees),
    TEST_ENTRY(collecting_only_where_no_pointer_is_in_a_local_keeps_everything),
    TEST_ENTRY(a_pointer_left_by_a_returned_callee_retains_nothing),
    TEST_ENTRY(stale_slots_deep_below_the_stack_pointer_retain_nothing),
};

int main(int argc, char **argv) {
    GC_INIT();
    registered = walloc_calloc(1, sizeof *registered);
    if (!registered) return 1;
    GC_add_roots(registered, registered + 1);
    return check_main(tests, TEST_COUNT(tests), argc, argv, check_heap_is_consistent);
}
