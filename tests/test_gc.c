/* test_gc.c - the garbage collector (include/gc.h, gc_typed.h), natively and on wasm32-wasi:
 * allocation, marking, roots, typed objects, black-listing and exhaustion. Finalizers,
 * disappearing links, uncollectable objects and the call sequences of nottinygc are in
 * test_gc_final.c; gc_fixture.h says how the tests keep and drop objects.
 */
#include "gc_fixture.h"
TEST(objects_are_zeroed_even_over_reused_memory) {
    for (int round = 0; round < 3; round++) {
        for (size_t size = 1; size <= 70000; size = size * 3 + 5) {
            unsigned char *p = GC_malloc(size), *a = GC_malloc_atomic(size);
            if (!CHECK(p && a)) return;
            size_t dirty = 0;
            for (size_t i = 0; i < size; i++) dirty += p[i] | a[i];
            CHECK(dirty == 0);
            memset(p, 0xab, size);
            memset(a, 0xcd, size);
        }
        GC_gcollect();
    }
}

TEST(malloc_zero_is_a_distinct_object) {
    void *a = GC_malloc(0), *b = GC_malloc(0);
    CHECK(a && b && a != b);
    CHECK(GC_base(a) == a && GC_size(a) >= 1);
}

TEST(base_and_size_answer_for_interior_pointers) {
    char *small = GC_malloc(100), *large = GC_malloc(100000);
    if (!CHECK(small && large)) return;
    root[0] = small;
    root[1] = large;
    CHECK(GC_base(small + 57) == small && GC_base(large + 99999) == large && GC_base(large + 70000) == large);
    CHECK(GC_size(small) >= 100 && GC_size(large) >= 100000);
    CHECK(GC_size(small + 1) == 0);
    int local;
    void *m = walloc_malloc(64);
    CHECK(GC_base(&local) == NULL && GC_base(m) == NULL && !GC_is_heap_ptr(m));
    CHECK(GC_is_heap_ptr(small + 99) && GC_is_heap_ptr(large));
    walloc_free(m);
    clean_slate();
}

TEST(huge_requests_fail_with_enomem) {
    errno = 0;
    CHECK(GC_malloc(SIZE_MAX) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(GC_malloc_atomic(WALLOC_MAX_REQUEST + 1) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(GC_calloc_explicitly_typed(SIZE_MAX / 2, 4, GC_DS_LENGTH | 4) == NULL && errno == ENOMEM);
}

/* A list of `n` nodes holding 0..n-1, kept in root[slot], built under collections. */
static NOINLINE void build_list(int slot, uintptr_t n) {
    root[slot] = NULL;
    for (uintptr_t i = n; i-- > 0;) {
        struct node *node = GC_malloc(sizeof *node);
        if (!node) return;
        node->next = root[slot];
        node->value = i;
        root[slot] = node;
        if (i % 4096 == 0) GC_malloc(1000); /* garbage between the nodes */
    }
}

static NOINLINE void reverse_list(int slot) {
    struct node *done = NULL, *at = root[slot];
    while (at) {
        struct node *next = at->next;
        at->next = done;
        done = at;
        at = next;
    }
    root[slot] = done;
}

static uintptr_t count_in_order(int slot, int ascending, uintptr_t n) {
    uintptr_t seen = 0;
    for (struct node *at = root[slot]; at; at = at->next, seen++)
        if (at->value != (ascending ? seen : n - 1 - seen)) return SIZE_MAX;
    return seen;
}

TEST(list_reversal_survives_repeated_collection) {
    const uintptr_t n = 200000;
    build_list(0, n);
    for (int round = 0; round < 6; round++) {
        GC_gcollect();
        for (int i = 0; i < 2000; i++) GC_malloc(64);
        CHECK(count_in_order(0, round % 2 == 0, n) == n);
        reverse_list(0);
    }
    clean_slate();
}

struct tree {
    struct tree *left, *right;
    uintptr_t depth;
};

/* Nodes being built are kept in `path` by depth: a parent held only in a wasm local would be
 * invisible while its children are made. */
static void *volatile path[32];

static NOINLINE struct tree *make_tree(uintptr_t depth) {
    struct tree *t = GC_malloc(sizeof *t);
    if (!t) return NULL;
    path[depth] = t;
    t->depth = depth;
    if (depth) {
        t->left = make_tree(depth - 1);
        t = path[depth];
        t->right = make_tree(depth - 1);
        t = path[depth];
    }
    path[depth] = NULL;
    return t;
}

static uintptr_t tree_nodes(const struct tree *t, uintptr_t depth) {
    if (!t || t->depth != depth) return 0;
    if (!depth) return 1;
    uintptr_t l = tree_nodes(t->left, depth - 1), r = tree_nodes(t->right, depth - 1);
    return l && r ? 1 + l + r : 0;
}

TEST(trees_built_under_collection_keep_every_node) {
    GC_set_free_space_divisor(8);
    root[1] = make_tree(14);
    for (int i = 0; i < 20; i++) root[2] = make_tree(10);
    CHECK(GC_get_gc_no() > 0);
    CHECK(tree_nodes(root[1], 14) == (1u << 15) - 1);
    CHECK(tree_nodes(root[2], 10) == (1u << 11) - 1);
    GC_set_free_space_divisor(3);
    clean_slate();
}

static NOINLINE void churn(size_t bytes) {
    for (size_t done = 0; done < bytes;) {
        size_t size = 16 + (done / 16) % 3000;
        if (done % 64 == 0) size = 40000 + done % 90000;
        void *p = (done / 16) % 3 ? GC_malloc(size) : GC_malloc_atomic(size);
        if (!p) return;
        root[3] = p; /* one object stays live at a time */
        done += size;
    }
}

TEST(heap_stays_bounded_under_churn) {
    clean_slate();
    size_t before = heap_now().memory_bytes;
    size_t total_before = GC_get_total_bytes();
    churn((size_t)320 * MiB);
    CHECK(GC_get_total_bytes() - total_before >= (size_t)300 * MiB);
    CHECK(heap_now().memory_bytes <= before + 16 * MiB);
    clean_slate();
}

struct typed {
    void *pointer;
    uintptr_t number;
    void *second;
};

/* Two layouts of one size: a pointer and a number, in either order. */
struct pair {
    uintptr_t a, b;
};

static GC_descr pair_descr(int pointer_word) {
    GC_word bitmap[GC_BITMAP_SIZE(struct pair)] = { 0 };
    GC_set_bit(bitmap, pointer_word);
    return GC_make_descriptor(bitmap, GC_WORD_LEN(struct pair));
}

/* Typed objects of one size class but different types share no span, so each is scanned by
 * its own layout; and the descriptor costs them no room (it is the span's). */
TEST(typed_objects_of_one_size_keep_their_own_layouts) {
    clean_slate();
    GC_descr first = pair_descr(0), second = pair_descr(1);
    struct pair *p[8];
    for (int i = 0; i < 8; i++) {
        p[i] = GC_malloc_explicitly_typed(sizeof(struct pair), i % 2 ? second : first);
        if (!CHECK(p[i] != NULL)) return;
        root[i] = p[i];
    }
    CHECK(GC_size(p[0]) == GC_size(GC_malloc(sizeof(struct pair))));
    for (int i = 0; i < 8; i++) {
        if (!CHECK(weak_object(2 * i, 32, 0) && weak_object(2 * i + 1, 32, 0))) return;
        /* the pointer word holds weak[2i], the number word weak[2i+1] */
        put_word(i % 2 ? &p[i]->b : &p[i]->a, 2 * i);
        put_word(i % 2 ? &p[i]->a : &p[i]->b, 2 * i + 1);
    }
    GC_gcollect();
    unsigned kept = 0, retained = 0;
    for (int i = 0; i < 8; i++) {
        kept += !dead(2 * i);
        retained += !dead(2 * i + 1);
    }
    CHECK(kept == 8);
    /* Mixed layouts would lose four pointer words and scan four numbers; one stray retention is
     * allowed, for a stale slot of wasm's shadow stack that may hold any address. */
    CHECK(retained <= 1);
    clean_slate();
}

TEST(typed_objects_are_scanned_only_at_their_pointer_words) {
    static GC_descr descr;
    if (!descr) {
        GC_word bitmap[GC_BITMAP_SIZE(struct typed)] = { 0 };
        GC_set_bit(bitmap, GC_WORD_OFFSET(struct typed, pointer));
        GC_set_bit(bitmap, GC_WORD_OFFSET(struct typed, second));
        descr = GC_make_descriptor(bitmap, GC_WORD_LEN(struct typed));
    }
    struct typed *t = GC_malloc_explicitly_typed(sizeof *t, descr);
    if (!CHECK(t != NULL)) return;
    root[4] = t;
    if (!CHECK(weak_object(0, 64, 0) && weak_object(1, 64, 0) && weak_object(2, 64, 0))) return;
    put_word(&t->number, 0);
    put((void *volatile *)&t->pointer, 1, 0);
    put((void *volatile *)&t->second, 2, 8);
    GC_gcollect();
    CHECK(dead(0) && !dead(1) && !dead(2));
    CHECK(GC_size(t) >= sizeof *t);
    clean_slate();
}

TEST(conservative_objects_keep_what_any_word_points_to) {
    root[4] = GC_malloc(3 * sizeof(uintptr_t));
    if (!CHECK(root[4] != NULL)) return;
    if (!CHECK(weak_object(0, 64, 0))) return;
    put_word((uintptr_t *)root[4] + 1, 0);
    GC_gcollect();
    CHECK(!dead(0));
    clean_slate();
    CHECK(dead(0));
}

TEST(raw_bitmap_descriptors_and_typed_arrays_work) {
    GC_descr only_second = GC_DS_BITMAP | ((GC_word)1 << (GC_WORDSZ - 2));
    void **t = GC_malloc_explicitly_typed(4 * sizeof(void *), only_second);
    void **array = GC_calloc_explicitly_typed(1000, 2 * sizeof(void *), only_second);
    if (!CHECK(t && array)) return;
    root[5] = t;
    root[6] = array;
    for (int i = 0; i < 4; i++)
        if (!CHECK(weak_object(i, 32, 0))) return;
    put((void *volatile *)&t[0], 0, 0);
    put((void *volatile *)&t[1], 1, 0);
    put((void *volatile *)&array[2 * 700], 2, 0);
    put((void *volatile *)&array[2 * 700 + 1], 3, 0);
    GC_gcollect();
    CHECK(dead(0) && !dead(1) && dead(2) && !dead(3));
    clean_slate();
}

TEST(long_layouts_get_extended_descriptors) {
    enum { WORDS = 100 };
    GC_word bitmap[(WORDS + GC_WORDSZ - 1) / GC_WORDSZ] = { 0 };
    GC_set_bit(bitmap, 1);
    GC_set_bit(bitmap, 97);
    GC_descr d = GC_make_descriptor(bitmap, WORDS);
    CHECK((d & GC_DS_TAGS) != GC_DS_BITMAP);
    void **t = GC_malloc_explicitly_typed(WORDS * sizeof(void *), d);
    if (!CHECK(t != NULL)) return;
    root[7] = t;
    for (int i = 0; i < 3; i++)
        if (!CHECK(weak_object(i, 32, 0))) return;
    put((void *volatile *)&t[1], 0, 0);
    put((void *volatile *)&t[97], 1, 0);
    put((void *volatile *)&t[50], 2, 0);
    GC_gcollect();
    CHECK(!dead(0) && !dead(1) && dead(2));
    clean_slate();
}

/* An atomic object in root[8] holding the addresses of eight objects only weak links know. */
static NOINLINE int atomic_holder(void) {
    uintptr_t *atomic = GC_malloc_atomic(8 * sizeof(uintptr_t));
    if (!atomic) return 0;
    root[8] = atomic;
    for (int i = 0; i < 8; i++) {
        if (!weak_object(i, 16 + 64 * (size_t)i, 0)) return 0;
        put_word(&atomic[i], i);
    }
    return 1;
}

TEST(atomic_objects_full_of_pointers_retain_nothing) {
    if (!CHECK(atomic_holder())) return;
    GC_gcollect();
    int cleared = 0;
    for (int i = 0; i < 8; i++) cleared += dead(i);
    CHECK(cleared == 8);
    clean_slate();
}

TEST(malloc_memory_is_a_root_only_when_registered) {
    void **block = walloc_malloc(4 * sizeof(void *));
    if (!CHECK(block != NULL)) return;
    if (!CHECK(weak_object(0, 32, 0))) return;
    put((void *volatile *)&block[0], 0, 0);
    GC_gcollect();
    CHECK(dead(0));
    GC_add_roots(block, block + 4);
    if (!CHECK(weak_object(1, 32, 0))) return;
    put((void *volatile *)&block[1], 1, 0);
    GC_gcollect();
    CHECK(!dead(1));
    GC_remove_roots(block, block + 4);
    GC_gcollect();
    CHECK(dead(1));
    walloc_free(block);
}

static void *volatile static_root;

static NOINLINE int stack_root_survives(void) {
    void *volatile on_stack = NULL;
    put(&on_stack, 1, 0);
    GC_gcollect();
    return !dead(1) && on_stack == weak[1];
}

TEST(static_data_and_the_stack_are_roots) {
    if (!CHECK(weak_object(0, 32, 0) && weak_object(1, 32, 0))) return;
    put(&static_root, 0, 0);
    CHECK(stack_root_survives());
    CHECK(!dead(0));
    static_root = NULL;
    GC_gcollect();
    CHECK(dead(0) && dead(1));
}

/* Words of static data that look like pointers into memory the heap has not reached yet: a
 * run of consecutive slices, then slices far apart. */
#define DECOYS 32
static volatile uintptr_t decoys[DECOYS];

static NOINLINE int chain_of_nodes(size_t bytes) {
    for (size_t made = 0; made < bytes; made += sizeof(struct node)) {
        struct node *n = GC_malloc(sizeof *n);
        if (!n) return 0;
        n->next = root[0];
        root[0] = n;
    }
    return 1;
}

TEST(scanned_objects_avoid_slices_that_root_words_point_at) {
    clean_slate();
    char *here = GC_malloc(16);
    if (!CHECK(here != NULL)) return;
    for (uintptr_t i = 0; i < DECOYS; i++)
        decoys[i] = (uintptr_t)here + (i < 16 ? (1u << 20) + i * 4096 : (2u << 20) + (i - 16) * (256u << 10)) + 40;
    here = NULL;
    GC_gcollect();
    CHECK(chain_of_nodes(12u << 20));
    struct walloc_stats s = heap_now();
    CHECK(s.gc_bytes >= (12u << 20));
    unsigned hit = 0;
    for (int i = 0; i < DECOYS; i++) hit += GC_base((void *)decoys[i]) != NULL;
    CHECK(hit == 0);
    for (int i = 0; i < DECOYS; i++) decoys[i] = 0;
    clean_slate();
}

static void *pushed_area[4];
static unsigned long pushes;
static void push_my_roots(void) {
    pushes++;
    GC_push_all(pushed_area, pushed_area + 4);
}

/* TinyGo's boehm mode: no data or stack scan, the embedder pushes its roots. */
TEST(embedder_pushes_its_own_roots_with_automatic_scans_off) {
    clean_slate();
    if (!CHECK(weak_object(0, 32, 0) && weak_object(1, 32, 0))) return;
    put(&static_root, 0, 0);
    put(&pushed_area[2], 1, 0);
    GC_set_no_dls(1);
    walloc_gc_scan_stack(0);
    GC_set_push_other_roots(push_my_roots);
    GC_gcollect();
    CHECK(pushes == 1 && dead(0) && !dead(1));
    GC_set_push_other_roots(NULL);
    GC_set_no_dls(0);
    walloc_gc_scan_stack(1);
    pushed_area[2] = NULL;
    static_root = NULL;
    GC_gcollect();
    CHECK(dead(1));
}

static NOINLINE int off_page_pair(void) {
    char *far = GC_malloc_ignore_off_page(100000), *near = GC_malloc_ignore_off_page(100000);
    if (!far || !near) return 0;
    weak[0] = far;
    weak[1] = near;
    root[9] = far + 50000;
    root[10] = near + 100;
    return GC_general_register_disappearing_link(&weak[0], far) == GC_SUCCESS &&
           GC_general_register_disappearing_link(&weak[1], near) == GC_SUCCESS;
}

TEST(ignore_off_page_objects_need_a_pointer_into_their_first_page) {
    if (!CHECK(off_page_pair())) return;
    GC_gcollect();
    CHECK(dead(0) && !dead(1));
    clean_slate();
    CHECK(dead(1));
}

static NOINLINE void wide_structure(size_t n) {
    void **array = GC_malloc(n * sizeof(void *));
    if (!array) return;
    root[11] = array;
    for (size_t i = 0; i < n; i++) {
        struct node *node = GC_malloc(sizeof *node);
        if (!node) return;
        node->value = i;
        node->next = GC_malloc_atomic(8);
        array[i] = node;
    }
}

/* Every object of a wide structure is queued at once; a mark stack capped at 64 entries must
 * overflow and recover without losing one. */
TEST(mark_stack_overflow_loses_nothing) {
    const size_t n = 20000;
    wide_structure(n);
    size_t limit = wl_gc_mark_stack_limit;
    wl_gc_mark_stack_limit = 64;
    GC_gcollect();
    wl_gc_mark_stack_limit = limit;
    for (int i = 0; i < 3000; i++) GC_malloc(sizeof(struct node)); /* reuses anything lost */
    struct node **array = root[11];
    size_t intact = 0;
    for (size_t i = 0; array && i < n; i++)
        intact += array[i]->value == i && GC_base(array[i]->next) == array[i]->next;
    CHECK(intact == n);
    clean_slate();
}

TEST(free_and_realloc_keep_the_contents) {
    char *p = GC_malloc(40);
    if (!CHECK(p != NULL)) return;
    strcpy(p, "collected");
    root[12] = p;
    char *q = GC_realloc(p, 5000);
    if (!CHECK(q != NULL)) return;
    root[12] = q;
    CHECK(strcmp(q, "collected") == 0 && GC_size(q) >= 5000);
    char *s = GC_strdup("walloc"), *t = GC_strndup("walloc", 3);
    CHECK(s && t && strcmp(s, "walloc") == 0 && strcmp(t, "wal") == 0);
    GC_free(s);
    GC_free(t);
    CHECK(GC_realloc(q, 0) == NULL);
    root[12] = NULL;
    void *r = GC_realloc(NULL, 10);
    CHECK(r != NULL);
    GC_free(r);
}

TEST(disabled_collector_does_not_collect) {
    size_t before = GC_get_gc_no();
    GC_disable();
    GC_disable();
    GC_enable();
    CHECK(GC_is_disabled());
    GC_gcollect();
    CHECK(GC_get_gc_no() == before);
    GC_enable();
    CHECK(!GC_is_disabled());
    GC_gcollect();
    CHECK(GC_get_gc_no() == before + 1);
}

static unsigned long warnings;
static void count_warning(char *message, GC_word value) {
    (void)message, (void)value;
    warnings++;
}

TEST(exhaustion_returns_null_and_warns) {
    clean_slate();
    GC_set_warn_proc(count_warning);
    GC_set_max_heap_size(GC_get_heap_size() + 1 * MiB);
    void *p = GC_malloc(4 * MiB);
    CHECK(p == NULL && warnings == 1);
    size_t got = 0;
    for (int i = 0; i < 200; i++) {
        void **q = GC_malloc(64 * 1024);
        if (!q) break;
        q[0] = root[13]; /* every one stays reachable */
        root[13] = q;
        got++;
    }
    CHECK(got < 200 && warnings >= 2);
    GC_set_max_heap_size(0);
    GC_set_warn_proc(NULL);
    clean_slate();
    CHECK(GC_malloc(4 * MiB) != NULL);
}

TEST(gc_spans_are_counted_and_checked) {
    void *p = GC_malloc(1000);
    root[0] = p;
    struct walloc_stats s = heap_now();
    CHECK(s.gc_bytes == GC_get_heap_size() && s.gc_bytes >= 4096);
    CHECK(walloc_check() == 0);
    clean_slate();
}

#if !defined(__wasm__)
/* The collector's state is walloc's too: walloc_test_reset (the fuzzer's fresh heap per input)
 * must forget its serving spans, registered roots and finalizers, which lie in or point into
 * the memory the reset gives back. Natively only, like the reset; the last test, as it drops
 * the whole heap (`weak` is made anew). */
TEST(reset_forgets_the_collector) {
    static void *kept[2];
    GC_add_roots(kept, kept + 2);
    kept[0] = GC_malloc(100);
    kept[1] = GC_malloc_atomic(5000);
    finalizable_garbage(3, 48);
    walloc_test_reset();
    weak = walloc_calloc(WEAK_SLOTS, sizeof *weak);
    CHECK(weak && GC_get_total_bytes() == 0 && GC_get_heap_size() == 0 && GC_get_gc_no() == 0);
    kept[0] = GC_malloc(100);
    kept[1] = GC_malloc(100);
    CHECK(kept[0] && kept[1] && kept[0] != kept[1] && GC_base(kept[1]) == kept[1]);
    finalized = 0;
    GC_gcollect();
    CHECK(finalized == 0 && GC_get_gc_no() == 1 && GC_size(kept[0]) >= 100);
}

static void hung(int signal_number) {
    (void)signal_number;
    CHECK(!"the collection ended within 10 seconds");
    _exit(check_summary());
}

/* A collection whose mark stack can get no room at all (none allocated yet and memory
 * refused; here the test hook's cap of 0) must still end and lose nothing. Found by fuzz_heap
 * (growth refused before an input's first collection): the rescan after an overflow pushed each
 * marked object to scan it, the push was dropped, and passes went on forever. Natively only: a
 * fresh collector needs walloc_test_reset, and an alarm stops a hang. */
TEST(mark_stack_without_room_does_not_hang_the_collection) {
    walloc_test_reset();
    weak = walloc_calloc(WEAK_SLOTS, sizeof *weak);
    wl_gc_mark_stack_limit = 0;
    struct node *n = GC_malloc(sizeof *n);
    if (!CHECK(weak && n)) return;
    root[0] = n;
    n->next = GC_malloc(sizeof *n);
    n = NULL;
    signal(SIGALRM, hung);
    alarm(10);
    GC_gcollect();
    alarm(0);
    wl_gc_mark_stack_limit = SIZE_MAX;
    n = root[0];
    CHECK(n->next && GC_base(n->next) == n->next);
    clean_slate();
}
#endif

static const struct test_entry tests[] = {
    TEST_ENTRY(objects_are_zeroed_even_over_reused_memory),
    TEST_ENTRY(malloc_zero_is_a_distinct_object),
    TEST_ENTRY(base_and_size_answer_for_interior_pointers),
    TEST_ENTRY(huge_requests_fail_with_enomem),
    TEST_ENTRY(list_reversal_survives_repeated_collection),
    TEST_ENTRY(trees_built_under_collection_keep_every_node),
    TEST_ENTRY(heap_stays_bounded_under_churn),
    TEST_ENTRY(typed_objects_are_scanned_only_at_their_pointer_words),
    TEST_ENTRY(typed_objects_of_one_size_keep_their_own_layouts),
    TEST_ENTRY(conservative_objects_keep_what_any_word_points_to),
    TEST_ENTRY(raw_bitmap_descriptors_and_typed_arrays_work),
    TEST_ENTRY(long_layouts_get_extended_descriptors),
    TEST_ENTRY(atomic_objects_full_of_pointers_retain_nothing),
    TEST_ENTRY(malloc_memory_is_a_root_only_when_registered),
    TEST_ENTRY(static_data_and_the_stack_are_roots),
    TEST_ENTRY(scanned_objects_avoid_slices_that_root_words_point_at),
    TEST_ENTRY(embedder_pushes_its_own_roots_with_automatic_scans_off),
    TEST_ENTRY(ignore_off_page_objects_need_a_pointer_into_their_first_page),
    TEST_ENTRY(mark_stack_overflow_loses_nothing),
    TEST_ENTRY(free_and_realloc_keep_the_contents),
    TEST_ENTRY(disabled_collector_does_not_collect),
    TEST_ENTRY(exhaustion_returns_null_and_warns),
    TEST_ENTRY(gc_spans_are_counted_and_checked),
#if !defined(__wasm__)
    TEST_ENTRY(reset_forgets_the_collector),
    TEST_ENTRY(mark_stack_without_room_does_not_hang_the_collection),
#endif
};

int main(int argc, char **argv) { return gc_test_main(tests, TEST_COUNT(tests), argc, argv); }
