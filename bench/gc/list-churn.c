/* list churn: one singly linked list of N cells stays alive throughout, while N-cell lists are
 * built, walked and dropped R times. A cell is a pointer and a 32-bit value (8 bytes on
 * wasm32), allocated with GC_malloc; each list is built by pushing cells at its head.
 * Usage: list-churn [N [R]]     (1 000 000 and 50 by default) */
#include "harness.h"

typedef struct cell {
    struct cell *next;
    uint32_t value;
} cell;

static cell *build(long length, uint32_t seed) {
    cell *head = NULL;
    for (long i = 0; i < length; i++) {
        cell *c = gc_alloc(sizeof(cell));
        c->next = head;
        c->value = seed + (uint32_t)i;
        head = c;
    }
    return head;
}

static uint32_t walk(const cell *c) {
    uint32_t sum = 0;
    for (; c; c = c->next) sum = sum * 31 + c->value;
    return sum;
}

static void drop(cell *c) {
#ifdef GC_FLOOR
    while (c) {
        cell *next = c->next;
        free(c);
        c = next;
    }
#else
    (void)c;
#endif
}

int main(int argc, char **argv) {
    long length = arg_or(argc, argv, 1, 1000000);
    long rounds = arg_or(argc, argv, 2, 50);
    gc_start();
    uint32_t checksum = DIGEST_START;
    double start = now_ms();
    cell *kept = build(length, 0x9e3779b9u);
    sample_heap();
    for (long round = 0; round < rounds; round++) {
        cell *list = build(length, (uint32_t)round);
        checksum = digest(checksum, walk(list));
        drop(list);
        sample_heap();
    }
    checksum = digest(checksum, walk(kept));
    drop(kept);
    report(now_ms() - start, checksum, "");
    return 0;
}
