/* work.c - the threads benchmark's workloads (bench/threads/run.mjs), each run by every thread
 * on blocks of its own: churn (10 000 live blocks of 8 to 256 bytes replaced at random, as
 * bench/churn.c) and random actions (2048 slots, blocks of 1 to 10 000 bytes allocated and freed
 * at random, as bench/random-actions.c). Blocks carry a stamp checked before they are freed, as
 * bench/bench.h does. Built once per allocator: walloc's threads build and a dlmalloc behind one
 * lock as modules for --shared-memory, and walloc's single-threaded build as a plain module
 * (SINGLE_THREADED: one thread, no thread start). Freestanding: malloc and free only. */
#include <stddef.h>
#include <stdint.h>

#include "walloc.h"
#if !defined(SINGLE_THREADED)
#include "../../js/thread_start.h"
#else
#define EXPORT(name) __attribute__((export_name(#name)))
#endif

#define THREADS 8
#define CHURN_LIVE 10000
#define SLOTS 2048

struct held {
    unsigned char *block;
    uint32_t size, key;
};

/* A cache line each: threads that wrote neighbouring states would measure the line's
 * ping-pong, not the allocator. */
struct thread_state {
    _Alignas(64) uint64_t rng, checksum;
    struct held *held;
};
static struct thread_state states[THREADS];

static uint32_t next(struct thread_state *t) {
    t->rng ^= t->rng >> 12;
    t->rng ^= t->rng << 25;
    t->rng ^= t->rng >> 27;
    return (uint32_t)((t->rng * 0x2545f4914f6cdd1dull) >> 32);
}

static uint32_t between(struct thread_state *t, uint32_t low, uint32_t high) {
    return low + (uint32_t)(((uint64_t)next(t) * (high - low + 1)) >> 32);
}

static uint64_t stamp_word(uint32_t key) { return (key | (uint64_t)key << 32) * 0x9e3779b97f4a7c15ull; }

/* Byte i of a block's stamp: the word's bytes over and over; a block carries its first eight
 * (fewer if shorter) and its last. */
static unsigned char stamp_byte(uint64_t word, uint32_t i) { return (unsigned char)(word >> (i % 8 * 8)); }

static void take(struct thread_state *t, struct held *h, uint32_t size) {
    unsigned char *p = malloc(size);
    if (!p) __builtin_trap();
    uint64_t word = stamp_word(h->key = next(t));
    if (size >= 8) __builtin_memcpy(p, &word, 8);
    else for (uint32_t i = 0; i < size; i++) p[i] = stamp_byte(word, i);
    p[size - 1] = stamp_byte(word, size - 1);
    h->block = p;
    h->size = size;
}

static void drop(struct thread_state *t, struct held *h) {
    if (!h->block) return;
    uint64_t word = stamp_word(h->key), found = 0;
    uint32_t head = h->size < 8 ? h->size : 8;
    for (uint32_t i = 0; i < head; i++) {
        if (h->block[i] != stamp_byte(word, i)) __builtin_trap();
        found = found << 8 | h->block[i];
    }
    if (h->block[h->size - 1] != stamp_byte(word, h->size - 1)) __builtin_trap();
    t->checksum = t->checksum * 31 + found;
    free(h->block);
    h->block = NULL;
}

static void churn(struct thread_state *t, long ops) {
    for (int i = 0; i < CHURN_LIVE; i++) take(t, &t->held[i], between(t, 8, 256));
    for (long op = 0; op < ops; op++) {
        struct held *h = &t->held[between(t, 0, CHURN_LIVE - 1)];
        drop(t, h);
        take(t, h, between(t, 8, 256));
    }
    for (int i = 0; i < CHURN_LIVE; i++) drop(t, &t->held[i]);
}

static void random_actions(struct thread_state *t, long ops) {
    for (long op = 0; op < ops; op++) {
        struct held *h = &t->held[between(t, 0, SLOTS - 1)];
        drop(t, h);
        if (next(t) & 1) take(t, h, between(t, 1, 10000));
    }
    for (int i = 0; i < SLOTS; i++) drop(t, &t->held[i]);
}

static long ops_per_thread;

EXPORT(set_ops) void set_ops(long ops) { ops_per_thread = ops; }

/* Runs workload 0 (churn) or 1 (random actions) as thread `id`; returns 0 (a lost stamp traps). */
EXPORT(run) int run(int workload, int id) {
    struct thread_state *t = &states[id];
    t->rng = 0x2545f4914f6cdd1dull + (uint64_t)id * 0x9e3779b97f4a7c15ull;
    if (!t->held && !(t->held = malloc(CHURN_LIVE * sizeof *t->held))) __builtin_trap();
    __builtin_memset(t->held, 0, CHURN_LIVE * sizeof *t->held);
    if (workload == 0) churn(t, ops_per_thread);
    else random_actions(t, ops_per_thread);
    return 0;
}
