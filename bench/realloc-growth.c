/* realloc-growth: 64 vectors grow side by side, 16 bytes per realloc, like dynamic arrays or
 * string builders that grow one element at a time without keeping a capacity. Each push goes
 * to a random vector; a vector that reaches its target length (8 to 48 KiB) is checked in full,
 * freed and started again empty. An allocator that can grow blocks in place wins here; one
 * that moves them pays a copy of the whole vector per push.
 * Usage: realloc-growth [pushes] */
#include "bench.h"

#define WORKLOAD "realloc-growth"
#define VECTORS 64
#define STEP 16
#define MIN_TARGET (8 * 1024)
#define MAX_TARGET (48 * 1024)

struct vector {
    uint32_t *words;
    size_t bytes;
    size_t target;
    uint32_t key;
};

static struct vector vectors[VECTORS];

static uint32_t word_value(uint32_t key, size_t index) {
    return key ^ (uint32_t)(index * 0x9e3779b9u);
}

static void start(struct vector *v) {
    v->words = NULL;
    v->bytes = 0;
    v->target = rng_between(MIN_TARGET / STEP, MAX_TARGET / STEP) * STEP;
    v->key = rng_next();
}

static void finish(struct vector *v) {
    size_t count = v->bytes / sizeof(uint32_t);
    uint32_t folded = 0;
    for (size_t i = 0; i < count; i++) {
        if (v->words[i] != word_value(v->key, i)) die(WORKLOAD, "vector contents lost");
        folded ^= v->words[i];
    }
    checksum = checksum * 31 + folded;
    count_free(v->bytes);
    free(v->words);
}

static void push(struct vector *v) {
    v->words = checked(WORKLOAD, realloc(v->words, v->bytes + STEP));
    size_t first = v->bytes / sizeof(uint32_t);
    for (size_t i = first; i < first + STEP / sizeof(uint32_t); i++) v->words[i] = word_value(v->key, i);
    v->bytes += STEP;
    count_alloc(STEP);
}

int main(int argc, char **argv) {
    long pushes = arg_or(argc, argv, 1, 2000000);
    for (int i = 0; i < VECTORS; i++) start(&vectors[i]);
    for (long i = 0; i < pushes; i++) {
        struct vector *v = &vectors[rng_below(VECTORS)];
        push(v);
        if (v->bytes == v->target) {
            finish(v);
            start(v);
        }
    }
    for (int i = 0; i < VECTORS; i++) finish(&vectors[i]);
    report(WORKLOAD, pushes);
    return 0;
}
