/* gcbench: the binary-tree benchmark of Ellis and Kovac that Hans Boehm carried to C as
 * GCBench, written here anew from its description. With D the depth given (16 by default):
 *   - a tree of depth D + 2 is built and dropped, to stretch the heap;
 *   - a long-lived tree of depth D is built top-down, and a long-lived array of doubles (500 000
 *     of them at depth 16, half as many for each level less) is filled;
 *   - then, for each depth d = 4, 6, ..., D, as many trees of depth d as make up twice the
 *     nodes of the stretch tree are built and dropped one by one, first top-down (a node is
 *     allocated, then its children are hung under it) and then as many bottom-up (the children
 *     exist before their parent);
 *   - at the end the long-lived tree and array must still hold what was put in them.
 * A node is two pointers and two ints (16 bytes on wasm32), allocated with GC_malloc, or with
 * -DGC_TYPED with GC_malloc_explicitly_typed under a descriptor that names the two pointers
 * alone. The array is GC_malloc_atomic.
 * Usage: gcbench [D]     (16 by default, at least 4) */
#include "harness.h"
#ifdef GC_TYPED
#include "gc_typed.h"
#endif

#define MIN_DEPTH 4
#define ARRAY_AT_16 500000

typedef struct node {
    struct node *left, *right;
    int i, j;
} node;

#ifdef GC_TYPED
static GC_descr node_descriptor;

static void describe_node(void) {
    GC_word bitmap[GC_BITMAP_SIZE(node)] = {0};
    GC_set_bit(bitmap, GC_WORD_OFFSET(node, left));
    GC_set_bit(bitmap, GC_WORD_OFFSET(node, right));
    node_descriptor = GC_make_descriptor(bitmap, GC_WORD_LEN(node));
}

static node *allocate_node(void) {
    node *n = GC_malloc_explicitly_typed(sizeof(node), node_descriptor);
    if (!n) fail("out of memory");
    return n;
}
#else
static void describe_node(void) {}
static node *allocate_node(void) { return gc_alloc(sizeof(node)); }
#endif

static node *new_node(node *left, node *right) {
    node *n = allocate_node();
    n->left = left;
    n->right = right;
    n->i = 0;
    n->j = 0;
    return n;
}

static long tree_size(int depth) { return (1L << (depth + 1)) - 1; }

/* Top-down: the node exists, its children are made and then filled in. */
static void populate(int depth, node *n) {
    if (depth <= 0) return;
    n->left = new_node(NULL, NULL);
    n->right = new_node(NULL, NULL);
    populate(depth - 1, n->left);
    populate(depth - 1, n->right);
}

/* Bottom-up: the left subtree is held (in a local, spilled to the shadow stack by
 * --spill-pointers) while the right one is built. */
static node *make_tree(int depth) {
    if (depth <= 0) return new_node(NULL, NULL);
    node *left = make_tree(depth - 1);
    node *right = make_tree(depth - 1);
    return new_node(left, right);
}

static void drop_tree(node *n) {
#ifdef GC_FLOOR
    if (!n) return;
    drop_tree(n->left);
    drop_tree(n->right);
    free(n);
#else
    (void)n;
#endif
}

static long count_nodes(const node *n) {
    return n ? 1 + count_nodes(n->left) + count_nodes(n->right) : 0;
}

int main(int argc, char **argv) {
    int depth = (int)arg_or(argc, argv, 1, 16);
    if (depth < MIN_DEPTH || depth > 24) fail("gcbench: the depth must be 4 to 24");
    int stretch_depth = depth + 2;
    long array_size = depth >= 16 ? ARRAY_AT_16 << (depth - 16) : ARRAY_AT_16 >> (16 - depth);
    gc_start();
    describe_node();
    uint32_t checksum = DIGEST_START;
    double start = now_ms();

    node *stretch = make_tree(stretch_depth);
    checksum = digest(checksum, (uint32_t)count_nodes(stretch));
    drop_tree(stretch);
    sample_heap();

    node *long_lived = new_node(NULL, NULL);
    populate(depth, long_lived);
    double *array = gc_alloc_atomic((size_t)array_size * sizeof(double));
    for (long i = 0; i < array_size; i++) array[i] = 1.0 / (double)(i + 1);
    sample_heap();

    for (int d = MIN_DEPTH; d <= depth; d += 2) {
        long iterations = 2 * tree_size(stretch_depth) / tree_size(d);
        for (long k = 0; k < iterations; k++) {
            node *tree = new_node(NULL, NULL);
            populate(d, tree);
            drop_tree(tree);
        }
        for (long k = 0; k < iterations; k++) drop_tree(make_tree(d));
        checksum = digest(checksum, (uint32_t)(iterations * tree_size(d)));
        sample_heap();
    }

    if (count_nodes(long_lived) != tree_size(depth)) fail("gcbench: the long-lived tree lost nodes");
    for (long i = 0; i < array_size; i += 997) {
        if (array[i] != 1.0 / (double)(i + 1)) fail("gcbench: the long-lived array changed");
    }
    checksum = digest(checksum, (uint32_t)tree_size(depth));
    drop_tree(long_lived);
    gc_drop(array);
    report(now_ms() - start, checksum, "");
    return 0;
}
