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

static struct held slots[SLOTS];

static void place(int slot) {
    held_drop(WORKLOAD, &slots[slot]);
    size_t size = rng_between(1, MAX_SIZE);
    held_take(WORKLOAD, &slots[slot], malloc(size), size);
}

/* realloc of an empty slot is a malloc, which takes a fresh stamp. */
static void resize(int slot) {
    size_t size = rng_between(1, MAX_SIZE);
    if (slots[slot].block) held_resize(WORKLOAD, &slots[slot], size);
    else held_take(WORKLOAD, &slots[slot], realloc(NULL, size), size);
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
        else held_drop(WORKLOAD, &slots[slot]);
    }
    for (int slot = 0; slot < SLOTS; slot++) held_drop(WORKLOAD, &slots[slot]);
    report(realloc_percent ? WORKLOAD "-realloc" : WORKLOAD, steps);
    return 0;
}
