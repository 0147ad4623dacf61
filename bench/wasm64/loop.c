/* loop: nothing but malloc and free, for bench-wasm64 (bench/wasm64/run.mjs): random sizes of
 * 16 B to 2 KiB in 4096 slots, no stamps and no checks, so that walloc's own code is most of the
 * time and the wasm64 / wasm32 ratio is the allocator's rather than a workload's.
 * Usage: loop [steps] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SLOTS 4096

static void *slots[SLOTS];

int main(int argc, char **argv) {
    long steps = argc > 1 ? strtol(argv[1], NULL, 10) : 20000000;
    uint32_t x = 12345, allocations = 0;
    for (long i = 0; i < steps; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        unsigned slot = x & (SLOTS - 1);
        if (slots[slot]) {
            free(slots[slot]);
            slots[slot] = NULL;
        } else {
            if (!(slots[slot] = malloc(16 + (x >> 20) % 2033))) {
                fprintf(stderr, "loop: out of memory\n");
                exit(2);
            }
            allocations++;
        }
    }
    for (unsigned slot = 0; slot < SLOTS; slot++) free(slots[slot]);
    printf("result workload=loop ops=%ld checksum=%u\n", steps, allocations);
    return 0;
}
