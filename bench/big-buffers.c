/* big-buffers: buffers of 100 KB (a little more than 97 KiB, so not a page multiple) are
 * allocated, filled with memset and dropped, with up to four of them live at a time, the way
 * I/O buffers, decoded images or scratch arrays come and go. It measures the large-block path
 * and whether freed spans are reused instead of growing memory. memset runs at tens of GB/s
 * under V8, so the default is 80 000 buffers: 3000 would be over in some 40 ms.
 * Usage: big-buffers [buffers] */
#include <string.h>

#include "bench.h"

#define WORKLOAD "big-buffers"
#define BUFFER_SIZE 100000
#define MAX_LIVE 4
#define SAMPLE_STRIDE 4093

static unsigned char *live[MAX_LIVE];
static unsigned char fills[MAX_LIVE];

static void drop(int slot) {
    if (!live[slot]) return;
    for (size_t i = 0; i < BUFFER_SIZE; i += SAMPLE_STRIDE) {
        if (live[slot][i] != fills[slot]) die(WORKLOAD, "buffer contents lost");
        checksum = checksum * 31 + live[slot][i];
    }
    if (live[slot][BUFFER_SIZE - 1] != fills[slot]) die(WORKLOAD, "buffer tail lost");
    count_free(BUFFER_SIZE);
    free(live[slot]);
    live[slot] = NULL;
}

int main(int argc, char **argv) {
    long buffers = arg_or(argc, argv, 1, 80000);
    for (long i = 0; i < buffers; i++) {
        /* A random slot, so buffers do not always die in allocation order. */
        int slot = (int)rng_below(MAX_LIVE);
        drop(slot);
        live[slot] = checked(WORKLOAD, malloc(BUFFER_SIZE));
        fills[slot] = (unsigned char)rng_next();
        memset(live[slot], fills[slot], BUFFER_SIZE);
        count_alloc(BUFFER_SIZE);
    }
    for (int slot = 0; slot < MAX_LIVE; slot++) drop(slot);
    report(WORKLOAD, buffers);
    return 0;
}
