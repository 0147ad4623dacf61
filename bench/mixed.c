/* mixed: a general-purpose program's mix. Sizes run up to 1 MiB but are skewed to small ones
 * (85 % up to 256 B, 12 % up to 16 KiB, 2.5 % up to 256 KiB, 0.5 % up to 1 MiB); steps
 * allocate (one in eight with calloc), free or realloc random slots of a pool. The requested
 * bytes live at once are tracked, and their peak, divided by the linear memory the program
 * ends with, gives the heap efficiency.
 * Usage: mixed [steps] */
#include "bench.h"

#define WORKLOAD "mixed"
#define SLOTS 8192

static struct held slots[SLOTS];

static size_t random_size(void) {
    uint32_t band = rng_below(1000);
    if (band < 850) return rng_between(1, 256);
    if (band < 970) return rng_between(257, 16 * 1024);
    if (band < 995) return rng_between(16 * 1024 + 1, 256 * 1024);
    return rng_between(256 * 1024 + 1, 1024 * 1024);
}

static void place(int slot) {
    held_drop(WORKLOAD, &slots[slot]);
    size_t size = random_size();
    int zeroed = rng_below(8) == 0;
    unsigned char *block = checked(WORKLOAD, zeroed ? calloc(1, size) : malloc(size));
    if (zeroed && (block[size / 2] != 0 || block[size - 1] != 0)) die(WORKLOAD, "calloc not zeroed");
    held_take(WORKLOAD, &slots[slot], block, size);
}

static void resize(int slot) {
    if (slots[slot].block) held_resize(WORKLOAD, &slots[slot], random_size());
    else place(slot);
}

int main(int argc, char **argv) {
    long steps = arg_or(argc, argv, 1, 2000000);
    for (long step = 0; step < steps; step++) {
        uint32_t action = rng_below(100);
        int slot = (int)rng_below(SLOTS);
        if (action < 45) place(slot);
        else if (action < 90) held_drop(WORKLOAD, &slots[slot]);
        else resize(slot);
    }
    for (int slot = 0; slot < SLOTS; slot++) held_drop(WORKLOAD, &slots[slot]);
    report(WORKLOAD, steps);
    return 0;
}
