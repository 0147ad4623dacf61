/* frag-soak: the classic fragmenting pattern, repeated. Each round allocates a run of small
 * objects (16 to 64 B), frees every other one, which leaves holes that never merge, then
 * allocates larger objects (128 to 1024 B) that do not fit those holes. What a round keeps
 * stays live for four rounds and is then freed, so the live size is bounded and an allocator
 * that reuses its holes holds its memory flat while one that does not keeps growing.
 * Usage: frag-soak [rounds] */
#include "bench.h"

#define WORKLOAD "frag-soak"
#define SMALL_PER_ROUND 20000
#define LARGE_PER_ROUND 5000
#define ROUNDS_KEPT 4

struct object {
    unsigned char *block;
    size_t size;
    uint32_t key;
};

/* Survivors of a round: the odd-numbered small objects, then the large ones. */
#define KEPT_PER_ROUND (SMALL_PER_ROUND / 2 + LARGE_PER_ROUND)

static struct object small[SMALL_PER_ROUND];
static struct object kept[ROUNDS_KEPT][KEPT_PER_ROUND];

static struct object make(size_t min_size, size_t max_size) {
    struct object o;
    o.size = rng_between(min_size, max_size);
    o.block = checked(WORKLOAD, malloc(o.size));
    o.key = rng_next();
    stamp(o.block, o.size, o.key);
    count_alloc(o.size);
    return o;
}

static void drop(struct object *o) {
    verify_stamp(WORKLOAD, o->block, o->size, o->key);
    count_free(o->size);
    free(o->block);
    o->block = NULL;
}

static void drop_round(struct object *round) {
    for (int i = 0; i < KEPT_PER_ROUND; i++) {
        if (round[i].block) drop(&round[i]);
    }
}

int main(int argc, char **argv) {
    long rounds = arg_or(argc, argv, 1, 200);
    for (long r = 0; r < rounds; r++) {
        struct object *keep = kept[r % ROUNDS_KEPT];
        drop_round(keep);
        for (int i = 0; i < SMALL_PER_ROUND; i++) small[i] = make(16, 64);
        int count = 0;
        for (int i = 0; i < SMALL_PER_ROUND; i++) {
            if (i % 2 == 0) drop(&small[i]);
            else keep[count++] = small[i];
        }
        for (int i = 0; i < LARGE_PER_ROUND; i++) keep[count++] = make(128, 1024);
    }
    for (int r = 0; r < ROUNDS_KEPT; r++) drop_round(kept[r]);
    report(WORKLOAD, rounds);
    return 0;
}
