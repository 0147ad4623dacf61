/* false retention: what a conservative collector keeps because a word that is no pointer
 * looks like one. Beside a live tree (depth 14, 16-byte nodes), a 1 MiB array that the
 * collector scans (GC_malloc) holds 262 144 random 32-bit values, the noise. Then L lists of 32
 * junk objects of 64 bytes (GC_malloc; each points to the one allocated before it) are built
 * and dropped, the last 1024 of them held at any time; then all are dropped and GC_gcollect
 * runs. With `atomic` the noise array is GC_malloc_atomic instead, never scanned: the control.
 *
 * Reported, beside the usual figures:
 *   live      bytes the program still holds: tree, noise, the window of list heads, and the
 *             log and table this measurement keeps (all requested sizes)
 *   used      GC_get_heap_size() - GC_get_free_bytes() after the last collection: what the
 *             collector itself counts as not free (it includes the free space of blocks that
 *             are partly used)
 *   retained  bytes of junk that the noise keeps alive, found by walking: every junk object
 *             that a noise value points into (at any offset: interior pointers count) must
 *             be kept by a collector that scans the noise, and with it every object of its list
 *             allocated before it, which it reaches through its `next`. The program logs where
 *             each junk object was allocated, so the walk needs nothing from the collector: a
 *             noise value hits the last object allocated at the address it points into, which
 *             has been reachable from the noise since its allocation. 0 for `atomic`.
 *   refs      noise values that point into junk (0 for `atomic`)
 * Usage: false-retention [scanned|atomic [L]]     (scanned and 8192 by default) */
#include "harness.h"

#define TREE_DEPTH 14
#define NOISE_WORDS 262144
#define LIST_LENGTH 32
#define WINDOW 1024

typedef struct node {
    struct node *left, *right;
    int i, j;
} node;

typedef struct junk {
    struct junk *next;
    uint32_t payload[15];
} junk;

/* The roots, in static data, which every collector scans. */
static node *tree;
static uint32_t *noise;
static junk **window;
/* Per junk object, in allocation order: its address in the high half, its number in the low. */
static uint64_t *allocation_log;
/* Per list: how many of its objects (the oldest ones) the noise keeps. */
static uint8_t *kept_per_list;

static node *make_tree(int depth) {
    node *n = gc_alloc(sizeof(node));
    n->left = depth > 0 ? make_tree(depth - 1) : NULL;
    n->right = depth > 0 ? make_tree(depth - 1) : NULL;
    n->i = depth;
    n->j = 0;
    return n;
}

static long count_nodes(const node *n) {
    return n ? 1 + count_nodes(n->left) + count_nodes(n->right) : 0;
}

static int by_address(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int scanned = 1;
    if (argc > 1) {
        if (!strcmp(argv[1], "atomic")) scanned = 0;
        else if (strcmp(argv[1], "scanned")) fail("false-retention: the mode is scanned or atomic");
    }
    long lists = arg_or(argc, argv, 2, 8192);
    long window_size = lists < WINDOW ? lists : WINDOW;
    long objects = lists * LIST_LENGTH;
    gc_start();
    double start = now_ms();

    tree = make_tree(TREE_DEPTH);
    size_t noise_bytes = NOISE_WORDS * sizeof(uint32_t);
    noise = scanned ? gc_alloc(noise_bytes) : gc_alloc_atomic(noise_bytes);
    uint32_t state = 0x6d2b79f5u;
    for (long i = 0; i < NOISE_WORDS; i++) noise[i] = next_random(&state);
    window = gc_alloc((size_t)window_size * sizeof(junk *));
    allocation_log = gc_alloc_atomic((size_t)objects * sizeof(uint64_t));
    kept_per_list = gc_alloc_atomic((size_t)lists);
    memset(kept_per_list, 0, (size_t)lists);
    size_t live = (size_t)count_nodes(tree) * sizeof(node) + noise_bytes + (size_t)window_size * sizeof(junk *) +
                  (size_t)objects * sizeof(uint64_t) + (size_t)lists;
    sample_heap();

    uint32_t number = 0;
    for (long l = 0; l < lists; l++) {
        junk *head = NULL;
        for (int k = 0; k < LIST_LENGTH; k++) {
            junk *j = gc_alloc(sizeof(junk));
            j->next = head;
            j->payload[0] = number;
            allocation_log[number] = (uint64_t)(uintptr_t)j << 32 | number;
            number++;
            head = j;
        }
        window[l % window_size] = head;
        if (l % 64 == 63) sample_heap();
    }
    for (long w = 0; w < window_size; w++) window[w] = NULL;
    GC_gcollect();
    double ms = now_ms() - start;
    sample_heap();
    size_t used = GC_get_heap_size() - GC_get_free_bytes();

    /* The walk. Sorted by address, and for each address the last object allocated there. */
    qsort(allocation_log, (size_t)objects, sizeof(uint64_t), by_address);
    long unique = 0;
    for (long i = 0; i < objects; i++) {
        if (unique > 0 && allocation_log[unique - 1] >> 32 == allocation_log[i] >> 32) unique--;
        allocation_log[unique++] = allocation_log[i];
    }
    unsigned refs = 0;
    for (long i = 0; scanned && i < NOISE_WORDS; i++) {
        uint64_t value = noise[i];
        long low = 0, high = unique;  /* the last entry at or below value is low - 1 */
        while (low < high) {
            long mid = low + (high - low) / 2;
            if (allocation_log[mid] >> 32 <= value) low = mid + 1;
            else high = mid;
        }
        if (low == 0 || value - (allocation_log[low - 1] >> 32) >= sizeof(junk)) continue;
        uint32_t hit = (uint32_t)allocation_log[low - 1];
        uint8_t kept = (uint8_t)(hit % LIST_LENGTH + 1);
        if (kept > kept_per_list[hit / LIST_LENGTH]) kept_per_list[hit / LIST_LENGTH] = kept;
        refs++;
    }
    size_t retained = 0;
    for (long l = 0; l < lists; l++) retained += kept_per_list[l] * sizeof(junk);

    uint32_t checksum = digest(digest(DIGEST_START, (uint32_t)count_nodes(tree)), number);
    char extra[160];
    snprintf(extra, sizeof extra, " mode=%s live=%zu used=%zu retained=%zu refs=%u", scanned ? "scanned" : "atomic",
             live, used, retained, refs);
    report(ms, checksum, extra);
    return 0;
}
