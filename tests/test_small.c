/* test_small.c - the stack of recent frees of the size classes (src/types.h): a block freed
 * is handed out next, newest first; a block the stack holds counts as free everywhere; and no
 * span is kept from going back to the page layer by blocks the stack holds.
 * Double frees of parked and settled blocks are death scenarios (test_death.c). The default
 * build only: the secure build's quarantine holds freed blocks before the stack sees them.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "walloc.h"
#include "sizes.h"
#include "check.h"

static struct walloc_stats stats_now(void) {
    struct walloc_stats stats;
    walloc_get_stats(&stats);
    return stats;
}

/* A block parks only while its span is at least three quarters full (src/small.h): these tests
 * fill whole spans of one size first. */
enum { FILL = 400 };
static char *filled[FILL];

static void fill_spans(size_t size) {
    for (int i = 0; i < FILL; i++) filled[i] = walloc_malloc(size);
}

static void free_filled(void) {
    for (int i = 0; i < FILL; i++) walloc_free(filled[i]);
}

TEST(the_block_freed_last_is_handed_out_first) {
    fill_spans(48);
    char *a = filled[100], *b = filled[150], *c = filled[200];
    walloc_free(a);
    walloc_free(b);
    walloc_free(c);
    CHECK(walloc_check() == 0);
    CHECK((filled[200] = walloc_malloc(48)) == c);
    CHECK((filled[150] = walloc_malloc(48)) == b);
    CHECK((filled[100] = walloc_malloc(48)) == a);
    free_filled();
}

/* A parked block is free: the counters drop at free, the heap check agrees, and a calloc that
 * takes it back clears what the program left in it. */
TEST(a_parked_block_is_free_to_the_counters_and_to_calloc) {
    fill_spans(200);
    unsigned char *p = (unsigned char *)filled[77];
    memset(p, 0xAB, 200);
    struct walloc_stats before = stats_now();
    walloc_free(p);
    struct walloc_stats after = stats_now();
    CHECK(after.live_bytes + walloc_malloc_usable_size(filled[78]) == before.live_bytes);
    CHECK(after.free_count == before.free_count + 1);
    CHECK(walloc_check() == 0);
    unsigned char *q = walloc_calloc(1, 200);
    CHECK(q == p);
    int zero = 1;
    for (int i = 0; i < 200; i++) zero &= q[i] == 0;
    CHECK(zero);
    filled[77] = (char *)q;
    free_filled();
}

/* More frees than the stack holds: those past its room complete in their spans at once, and no
 * block is handed out twice, whether it comes from the stack or from a span's bitmap, nor while
 * still live. */
TEST(frees_beyond_the_stack_settle_and_every_block_comes_back_once) {
    enum { COUNT = 300 };
    static char *blocks[COUNT], *again[COUNT];
    for (int i = 0; i < COUNT; i++) blocks[i] = walloc_malloc(64);
    for (int i = 0; i < COUNT; i += 3) walloc_free(blocks[i]);
    for (int i = 1; i < COUNT; i += 3) walloc_free(blocks[i]);
    CHECK(walloc_check() == 0);
    int count = 0;
    for (int i = 0; i < COUNT; i++)
        if (i % 3 != 2) again[count++] = walloc_malloc(64);
    int live = 0, repeated = 0, reused = 0;
    for (int i = 0; i < count; i++) {
        for (int j = 0; j < COUNT; j++) {
            live += again[i] == blocks[j] && j % 3 == 2;
            reused += again[i] == blocks[j];
        }
        for (int j = 0; j < i; j++) repeated += again[i] == again[j];
    }
    CHECK(live == 0);
    CHECK(repeated == 0);
    CHECK(reused >= 16);
    CHECK(walloc_check() == 0);
    for (int i = 0; i < count; i++) walloc_free(again[i]);
    for (int i = 2; i < COUNT; i += 3) walloc_free(blocks[i]);
    CHECK(walloc_check() == 0);
}

/* Sixteen spans, spread over a capped heap, whose last live block is freed last, while the
 * stack of recent frees has room: had the stack kept those blocks, the spans would split the
 * heap, and a request for half of it would fail. */
TEST(exhaustion_takes_back_spans_that_only_parked_blocks_hold) {
    enum { MOST = 1 << 17, HOSTAGES = 16 };
    static char *blocks[MOST];
    size_t previous = walloc_set_limit(stats_now().memory_bytes + 4 * MiB);
    int count = 0;
    while (count < MOST && (blocks[count] = walloc_malloc(64)) != NULL) count++;
    if (!CHECK(count > 0 && count < MOST)) {
        walloc_set_limit(previous);
        return;
    }
    uintptr_t low = UINTPTR_MAX, high = 0;
    for (int i = 0; i < count; i++) {
        if ((uintptr_t)blocks[i] < low) low = (uintptr_t)blocks[i];
        if ((uintptr_t)blocks[i] > high) high = (uintptr_t)blocks[i];
    }
    /* The block nearest the middle of each sixteenth of the filled range is freed last. */
    int hostage[HOSTAGES];
    for (int h = 0; h < HOSTAGES; h++) {
        uintptr_t target = low + (high - low) / HOSTAGES * h + (high - low) / (2 * HOSTAGES);
        uintptr_t best = UINTPTR_MAX;
        for (int i = 0; i < count; i++) {
            uintptr_t at = (uintptr_t)blocks[i], distance = at > target ? at - target : target - at;
            if (distance < best) best = distance, hostage[h] = i;
        }
    }
    for (int i = 0; i < count; i++) {
        int kept = 0;
        for (int h = 0; h < HOSTAGES; h++) kept |= hostage[h] == i;
        if (!kept) walloc_free(blocks[i]);
    }
    for (int h = 0; h < HOSTAGES; h++) walloc_free(blocks[hostage[h]]);
    CHECK(walloc_check() == 0);
    size_t half = (high - low) / 2;
    void *big = walloc_malloc(half);
    CHECK(big != NULL);
    CHECK(walloc_check() == 0);
    walloc_free(big);
    walloc_set_limit(previous);
}

static const struct test_entry tests[] = {
    TEST_ENTRY(the_block_freed_last_is_handed_out_first),
    TEST_ENTRY(a_parked_block_is_free_to_the_counters_and_to_calloc),
    TEST_ENTRY(frees_beyond_the_stack_settle_and_every_block_comes_back_once),
    TEST_ENTRY(exhaustion_takes_back_spans_that_only_parked_blocks_hold),
};

int main(int argc, char **argv) {
    walloc_free(walloc_malloc(1));
    return check_main(tests, TEST_COUNT(tests), argc, argv, check_heap_is_consistent);
}
