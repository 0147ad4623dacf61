/* random-actions: blocks of 1 to 10 000 bytes, uniformly, come and go at random over a pool of
 * slots (the shape of talc's random-actions benchmark). Each step picks a slot and an action:
 * allocate into it (freeing what was there), free it, or, when a realloc share is given,
 * resize it to a new random size.
 * Usage: random-actions [steps] [realloc percent]; the rest is split evenly between
 * allocations and frees, so about half of the slots are live at any time. */
#include "bench.h"

#define WORKLOAD "random-actions"
#define SLOTS 2048
#define MAX_SIZE 10000

static unsigned char *blocks[SLOTS];
static size_t sizes[SLOTS];
static uint32_t keys[SLOTS];

static void release(int slot) {
    if (!blocks[slot]) return;
    verify_stamp(WORKLOAD, blocks[slot], sizes[slot], keys[slot]);
    count_free(sizes[slot]);
    free(blocks[slot]);
    blocks[slot] = NULL;
}

static void place(int slot) {
    release(slot);
    size_t size = rng_between(1, MAX_SIZE);
    blocks[slot] = checked(WORKLOAD, malloc(size));
    sizes[slot] = size;
    keys[slot] = rng_next();
    stamp(blocks[slot], size, keys[slot]);
    count_alloc(size);
}

/* realloc keeps the key: the preserved prefix must still carry the old stamp. */
static void resize(int slot) {
    size_t old_size = blocks[slot] ? sizes[slot] : 0;
    size_t size = rng_between(1, MAX_SIZE);
    unsigned char *moved = checked(WORKLOAD, realloc(blocks[slot], size));
    if (blocks[slot]) {
        size_t kept = old_size < size ? old_size : size;
        verify_prefix(WORKLOAD, moved, kept, keys[slot]);
    } else {
        keys[slot] = rng_next();
    }
    count_free(old_size);
    count_alloc(size);
    blocks[slot] = moved;
    sizes[slot] = size;
    stamp(moved, size, keys[slot]);
}

int main(int argc, char **argv) {
    long steps = arg_or(argc, argv, 1, 3000000);
    long realloc_percent = arg_or(argc, argv, 2, 0);
    if (realloc_percent > 100) die(WORKLOAD, "realloc percent above 100");
    uint32_t resize_below = (uint32_t)realloc_percent;
    uint32_t alloc_below = resize_below + (100 - resize_below) / 2;
    for (long step = 0; step < steps; step++) {
        uint32_t action = rng_below(100);
        int slot = (int)rng_below(SLOTS);
        if (action < resize_below) resize(slot);
        else if (action < alloc_below) place(slot);
        else release(slot);
    }
    for (int slot = 0; slot < SLOTS; slot++) release(slot);
    report(realloc_percent ? WORKLOAD "-realloc" : WORKLOAD, steps);
    return 0;
}
