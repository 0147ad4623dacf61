/* churn: small-object churn. 10 000 objects of 8 to 256 bytes stay live while random slots are
 * replaced (freed, then reallocated with a new size) over and over: the common pattern of
 * programs that build and drop many small nodes, strings and records.
 * Usage: churn [replacements] */
#include "bench.h"

#define WORKLOAD "churn"
#define LIVE 10000
#define MIN_SIZE 8
#define MAX_SIZE 256

static struct held slots[LIVE];

static void fill(int slot) {
    size_t size = rng_between(MIN_SIZE, MAX_SIZE);
    held_take(WORKLOAD, &slots[slot], malloc(size), size);
}

int main(int argc, char **argv) {
    long replacements = arg_or(argc, argv, 1, 6000000);
    for (int slot = 0; slot < LIVE; slot++) fill(slot);
    for (long i = 0; i < replacements; i++) {
        int slot = (int)rng_below(LIVE);
        held_drop(WORKLOAD, &slots[slot]);
        fill(slot);
    }
    for (int slot = 0; slot < LIVE; slot++) held_drop(WORKLOAD, &slots[slot]);
    report(WORKLOAD, replacements);
    return 0;
}
