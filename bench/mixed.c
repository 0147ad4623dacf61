/* mixed: a general-purpose program's mix. Sizes run up to 1 MiB but are skewed to small ones
 * (85 % up to 256 B, 12 % up to 16 KiB, 2.5 % up to 256 KiB, 0.5 % up to 1 MiB); steps
 * allocate (one in eight with calloc), free or realloc random slots of a pool. The requested
 * bytes live at once are tracked, and their peak, divided by the linear memory the program
 * ends with, gives the heap efficiency.
 * Usage: mixed [steps] */
#include "bench.h"

#define WORKLOAD "mixed"
#define SLOTS 8192

static unsigned char *blocks[SLOTS];
static size_t sizes[SLOTS];
static uint32_t keys[SLOTS];

static size_t random_size(void) {
    uint32_t band = rng_below(1000);
    if (band < 850) return rng_between(1, 256);
    if (band < 970) return rng_between(257, 16 * 1024);
    if (band < 995) return rng_between(16 * 1024 + 1, 256 * 1024);
    return rng_between(256 * 1024 + 1, 1024 * 1024);
}

static void release(int slot) {
    if (!blocks[slot]) return;
    verify_stamp(WORKLOAD, blocks[slot], sizes[slot], keys[slot]);
    count_free(sizes[slot]);
    free(blocks[slot]);
    blocks[slot] = NULL;
}

static void place(int slot) {
    release(slot);
    size_t size = random_size();
    int zeroed = rng_below(8) == 0;
    unsigned char *block = checked(WORKLOAD, zeroed ? calloc(1, size) : malloc(size));
    if (zeroed && (block[size / 2] != 0 || block[size - 1] != 0)) die(WORKLOAD, "calloc not zeroed");
    blocks[slot] = block;
    sizes[slot] = size;
    keys[slot] = rng_next();
    stamp(block, size, keys[slot]);
    count_alloc(size);
}

static void resize(int slot) {
    if (!blocks[slot]) {
        place(slot);
        return;
    }
    size_t size = random_size();
    unsigned char *moved = checked(WORKLOAD, realloc(blocks[slot], size));
    size_t kept = sizes[slot] < size ? sizes[slot] : size;
    verify_prefix(WORKLOAD, moved, kept, keys[slot]);
    count_free(sizes[slot]);
    count_alloc(size);
    blocks[slot] = moved;
    sizes[slot] = size;
    stamp(moved, size, keys[slot]);
}

int main(int argc, char **argv) {
    long steps = arg_or(argc, argv, 1, 2000000);
    for (long step = 0; step < steps; step++) {
        uint32_t action = rng_below(100);
        int slot = (int)rng_below(SLOTS);
        if (action < 45) place(slot);
        else if (action < 90) release(slot);
        else resize(slot);
    }
    for (int slot = 0; slot < SLOTS; slot++) release(slot);
    report(WORKLOAD, steps);
    return 0;
}
