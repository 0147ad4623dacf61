/* churn: small-object churn. 10 000 objects of 8 to 256 bytes stay live while random slots are
 * replaced (freed, then reallocated with a new size) over and over: the common pattern of
 * programs that build and drop many small nodes, strings and records.
 * Usage: churn [replacements] */
#include "bench.h"

#define WORKLOAD "churn"
#define LIVE 10000
#define MIN_SIZE 8
#define MAX_SIZE 256

static unsigned char *blocks[LIVE];
static size_t sizes[LIVE];
static uint32_t keys[LIVE];

static void fill(int slot) {
    size_t size = rng_between(MIN_SIZE, MAX_SIZE);
    blocks[slot] = checked(WORKLOAD, malloc(size));
    sizes[slot] = size;
    keys[slot] = rng_next();
    stamp(blocks[slot], size, keys[slot]);
    count_alloc(size);
}

static void release(int slot) {
    verify_stamp(WORKLOAD, blocks[slot], sizes[slot], keys[slot]);
    count_free(sizes[slot]);
    free(blocks[slot]);
}

int main(int argc, char **argv) {
    long replacements = arg_or(argc, argv, 1, 6000000);
    for (int slot = 0; slot < LIVE; slot++) fill(slot);
    for (long i = 0; i < replacements; i++) {
        int slot = (int)rng_below(LIVE);
        release(slot);
        fill(slot);
    }
    for (int slot = 0; slot < LIVE; slot++) release(slot);
    report(WORKLOAD, replacements);
    return 0;
}
