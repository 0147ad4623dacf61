/* test_gc_final.c - what the collector does at the end of an object's life, natively and on
 * wasm32-wasi: finalizers (once, in order, on demand), disappearing links, uncollectable
 * objects, and the call sequence of nottinygc. gc_fixture.h says how the tests keep and drop
 * objects.
 */
#include "gc_fixture.h"

TEST(finalizers_run_once_for_unreachable_objects_only) {
    clean_slate();
    finalized = 0;
    static void *keep[50];
    GC_add_roots(keep, keep + 50);
    for (int i = 0; i < 50; i++) {
        keep[i] = GC_malloc(24);
        GC_register_finalizer(keep[i], count_finalizer, (void *)(uintptr_t)1000, NULL, NULL);
    }
    finalizable_garbage(300, 40);
    finalizable_garbage(5, 50000);
    GC_gcollect();
    CHECK(finalized == 305);
    GC_gcollect();
    CHECK(finalized == 305);
    GC_remove_roots(keep, keep + 50);
    for (int i = 0; i < 50; i++) keep[i] = NULL;
    GC_gcollect();
    CHECK(finalized == 305 + 50 * 1000);
}

static NOINLINE void chained_finalizables(void) {
    struct node *a = GC_malloc(sizeof *a), *b = GC_malloc(sizeof *b);
    if (!a || !b) return;
    a->next = b;
    GC_register_finalizer(a, count_finalizer, (void *)(uintptr_t)1, NULL, NULL);
    GC_register_finalizer(b, count_finalizer, (void *)(uintptr_t)100, NULL, NULL);
}

/* a points to b: a is finalized first, b at the next collection. */
TEST(finalizers_run_in_reachability_order) {
    clean_slate();
    finalized = 0;
    chained_finalizables();
    GC_gcollect();
    CHECK(finalized == 1);
    GC_gcollect();
    CHECK(finalized == 101);
}

static unsigned long notified;
static void notifier(void) { notified++; }

TEST(finalize_on_demand_waits_for_invoke) {
    clean_slate();
    finalized = notified = 0;
    GC_set_finalize_on_demand(1);
    GC_set_finalizer_notifier(notifier);
    finalizable_garbage(10, 16);
    GC_gcollect();
    CHECK(finalized == 0 && notified == 1 && GC_should_invoke_finalizers());
    GC_gcollect(); /* the waiting objects stay alive */
    CHECK(GC_invoke_finalizers() == 10 && finalized == 10 && !GC_should_invoke_finalizers());
    GC_set_finalize_on_demand(0);
    GC_set_finalizer_notifier(NULL);
}

TEST(disappearing_links_clear_exactly_when_the_target_dies) {
    if (!CHECK(weak_object(0, 32, 0) && weak_object(1, 200000, 1) && weak_object(2, 48, 0))) return;
    put(&root[0], 2, 0);
    GC_gcollect();
    CHECK(dead(0) && dead(1) && !dead(2));
    CHECK(GC_unregister_disappearing_link(&weak[2]) == 1 && GC_unregister_disappearing_link(&weak[2]) == 0);
    CHECK(weak_object(3, 16, 0));
    CHECK(GC_general_register_disappearing_link(&weak[3], weak[3]) == GC_DUPLICATE);
    root[0] = NULL;
    GC_gcollect();
    CHECK(!dead(2) && dead(3));
    weak[2] = NULL;
}


static NOINLINE uintptr_t uncollectable_holding(int scanned_slot, int atomic_slot) {
    void **u = GC_malloc_uncollectable(4 * sizeof(void *));
    uintptr_t *a = GC_malloc_atomic_uncollectable(64);
    if (!u || !a) return 0;
    put((void *volatile *)&u[0], scanned_slot, 0);
    put_word(&a[0], atomic_slot);
    weak[10] = a;
    return ~(uintptr_t)u; /* hidden, so this frame's copy retains nothing */
}

TEST(uncollectable_objects_live_and_retain) {
    if (!CHECK(weak_object(0, 32, 0) && weak_object(1, 32, 0))) return;
    uintptr_t hidden = uncollectable_holding(0, 1);
    if (!CHECK(hidden != 0)) return;
    GC_gcollect();
    CHECK(!dead(0) && dead(1));
    CHECK(GC_base((void *)(~hidden + 4)) == (void *)~hidden);
    GC_free((void *)~hidden);
    GC_free(weak[10]);
    weak[10] = NULL;
    GC_gcollect();
    CHECK(dead(0));
}

/* An atomic uncollectable object with a finalizer (client data 1) and the link weak[0],
 * which is the only place its address is kept. */
static NOINLINE int finalizable_atomic_uncollectable(void) {
    void *p = GC_malloc_atomic_uncollectable(64);
    if (!p) return 0;
    GC_register_finalizer(p, count_finalizer, (void *)(uintptr_t)1, NULL, NULL);
    GC_unregister_disappearing_link(&weak[0]);
    weak[0] = p;
    return GC_general_register_disappearing_link(&weak[0], p) == GC_SUCCESS;
}

/* Uncollectable objects live until GC_free, pointed to or not: a collection neither runs their
 * finalizers nor clears links to them, the atomic kind included (found by fuzz_heap: it was
 * never marked, so gc_final.c took it for unreachable). */
TEST(uncollectable_objects_are_never_finalized_or_unlinked) {
    clean_slate();
    finalized = 0;
    if (!CHECK(finalizable_atomic_uncollectable())) return;
    GC_gcollect();
    GC_gcollect();
    CHECK(finalized == 0 && !dead(0));
    if (dead(0)) return;
    GC_register_finalizer(weak[0], NULL, NULL, NULL, NULL);
    GC_free(weak[0]);
    weak[0] = NULL;
}


static unsigned long starts, ends;
static void count_events(GC_EventType e) {
    starts += e == GC_EVENT_START;
    ends += e == GC_EVENT_END;
}

static NOINLINE int nottinygc_objects(GC_descr d) {
    size_t sizes[] = { 24, 4096, 100 * 1024 - 8, 100 * 1024 + 8, 300000 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        void *typed = GC_malloc_explicitly_typed(sizes[i], d);
        void *plain = GC_malloc(sizes[i]), *atomic = GC_malloc_atomic(sizes[i]);
        if (!typed || !plain || !atomic) return 0;
        GC_register_finalizer(typed, count_finalizer, (void *)(uintptr_t)7, NULL, NULL);
    }
    return 1;
}

/* nottinygc: descriptors built once and cached, typed and untyped objects above and below
 * 100 KiB, collection events, finalizers with client data. */
TEST(nottinygc_call_sequence) {
    GC_set_on_collection_event(count_events);
    static GC_descr cached;
    GC_word bitmap[1] = { 0 };
    GC_set_bit(bitmap, 0);
    if (!cached) cached = GC_make_descriptor(bitmap, 4);
    CHECK(GC_make_descriptor(bitmap, 4) == cached);
    finalized = 0;
    CHECK(nottinygc_objects(cached));
    size_t before = GC_get_gc_no();
    GC_gcollect();
    CHECK(GC_get_gc_no() == before + 1 && starts == ends && starts >= 1);
    CHECK(finalized == 7 * 5);
    GC_word heap, free_bytes, unmapped, since, total;
    GC_get_heap_usage_safe(&heap, &free_bytes, &unmapped, &since, &total);
    CHECK(heap == GC_get_heap_size() && free_bytes <= heap && total >= 300000);
    struct GC_prof_stats_s stats;
    CHECK(GC_get_prof_stats(&stats, sizeof stats) == sizeof stats && stats.gc_no == GC_get_gc_no());
    GC_set_on_collection_event(NULL);
}

static const struct test_entry tests[] = {
    TEST_ENTRY(finalizers_run_once_for_unreachable_objects_only),
    TEST_ENTRY(finalizers_run_in_reachability_order),
    TEST_ENTRY(finalize_on_demand_waits_for_invoke),
    TEST_ENTRY(disappearing_links_clear_exactly_when_the_target_dies),
    TEST_ENTRY(uncollectable_objects_live_and_retain),
    TEST_ENTRY(uncollectable_objects_are_never_finalized_or_unlinked),
    TEST_ENTRY(nottinygc_call_sequence),
};

int main(int argc, char **argv) { return gc_test_main(tests, TEST_COUNT(tests), argc, argv); }
