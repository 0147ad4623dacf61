/* Shared by the benchmark workloads. They use only the standard malloc family, so one source
 * links against walloc and against wasi-libc's dlmalloc alike.
 *
 * Every block gets a stamp: its first bytes and its last byte hold a pattern derived from a
 * per-block key, checked again before the block is freed. The stores therefore cannot be
 * optimized away, touching the ends of a block also touches its pages (as a real program
 * would), and an allocator that hands out overlapping blocks or loses data on realloc makes
 * the workload fail instead of looking fast. What was read back goes into a checksum that
 * both allocators must print identically, as it depends on the random sequence alone. */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define STAMP_HEAD 8

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
static uint64_t checksum;
static size_t live_bytes;
static size_t peak_live_bytes;

/* xorshift64*: fast, and the same sequence on every engine, so both allocators see exactly
 * the same requests. */
static inline uint32_t rng_next(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static inline uint32_t rng_below(uint32_t bound) {
    return (uint32_t)(((uint64_t)rng_next() * bound) >> 32);
}

static inline uint32_t rng_between(uint32_t low, uint32_t high) {
    return low + rng_below(high - low + 1);
}

/* The stamp of a block is the 8 bytes of a word derived from its key: in full at the head of a
 * block of 8 bytes or more (one store, one load), byte by byte in a shorter one, and one byte
 * of it again at the block's last byte. A word, not a byte loop, keeps the harness's own cost
 * small next to the allocator's, which is what the workloads measure. */
static inline uint64_t stamp_word(uint32_t key) {
    return (key | (uint64_t)key << 32) * 0x9e3779b97f4a7c15ULL;
}

static inline unsigned char stamp_byte(uint64_t word, size_t index) {
    return (unsigned char)(word >> (index % STAMP_HEAD * 8));
}

static inline void die(const char *workload, const char *what) {
    fprintf(stderr, "%s: %s\n", workload, what);
    exit(2);
}

static inline void *checked(const char *workload, void *block) {
    if (!block) die(workload, "out of memory");
    return block;
}

static inline void stamp(unsigned char *block, size_t size, uint32_t key) {
    uint64_t word = stamp_word(key);
    if (size >= STAMP_HEAD) __builtin_memcpy(block, &word, STAMP_HEAD);
    else for (size_t i = 0; i < size; i++) block[i] = stamp_byte(word, i);
    if (size) block[size - 1] = stamp_byte(word, size - 1);
}

/* Checks the stamp's bytes among the first `kept` bytes of a block: what realloc preserves. */
static inline void verify_prefix(const char *workload, const unsigned char *block, size_t kept,
                                 uint32_t key) {
    uint64_t word = stamp_word(key), found = 0;
    if (kept >= STAMP_HEAD) {
        __builtin_memcpy(&found, block, STAMP_HEAD);
        if (found != word) die(workload, "block contents lost");
    } else {
        for (size_t i = 0; i < kept; i++) {
            if (block[i] != stamp_byte(word, i)) die(workload, "block contents lost");
            found = found << 8 | block[i];
        }
    }
    checksum = checksum * 31 + found;
}

static inline void verify_stamp(const char *workload, const unsigned char *block, size_t size,
                                uint32_t key) {
    verify_prefix(workload, block, size, key);
    if (size == 0) return;
    if (block[size - 1] != stamp_byte(stamp_word(key), size - 1)) die(workload, "block tail lost");
    checksum = checksum * 31 + block[size - 1];
}

static inline void count_alloc(size_t size) {
    live_bytes += size;
    if (live_bytes > peak_live_bytes) peak_live_bytes = live_bytes;
}

static inline void count_free(size_t size) {
    live_bytes -= size;
}

/* A block a workload holds: what it asked for and the key of the stamp it carries. */
struct held {
    unsigned char *block;
    size_t size;
    uint32_t key;
};

/* Takes a fresh block into `h`: stamps it with a new key and counts it live. */
static inline void held_take(const char *workload, struct held *h, void *block, size_t size) {
    h->block = checked(workload, block);
    h->size = size;
    h->key = rng_next();
    stamp(h->block, size, h->key);
    count_alloc(size);
}

/* Verifies the stamp of the block in `h`, if any, and frees it. */
static inline void held_drop(const char *workload, struct held *h) {
    if (!h->block) return;
    verify_stamp(workload, h->block, h->size, h->key);
    count_free(h->size);
    free(h->block);
    h->block = NULL;
}

/* Reallocates the (live) block in `h` to `size`. The key stays: the prefix realloc preserves
 * must still carry the old stamp, and the whole block is stamped again after. */
static inline void held_resize(const char *workload, struct held *h, size_t size) {
    unsigned char *moved = checked(workload, realloc(h->block, size));
    verify_prefix(workload, moved, h->size < size ? h->size : size, h->key);
    count_free(h->size);
    count_alloc(size);
    h->block = moved;
    h->size = size;
    stamp(moved, size, h->key);
}

/* The iteration count comes from argv[1] so that the smoke run can use a small one. */
static inline long arg_or(int argc, char **argv, int index, long fallback) {
    if (argc <= index) return fallback;
    char *end;
    long value = strtol(argv[index], &end, 10);
    if (*end || value < 0) {
        fprintf(stderr, "bad argument: %s\n", argv[index]);
        exit(2);
    }
    return value;
}

/* The one line the runner parses: it compares the checksum across allocators and uses
 * peak_live for heap efficiency. */
static inline void report(const char *workload, long ops) {
    if (live_bytes != 0) die(workload, "live bytes left at exit");
    printf("result workload=%s ops=%ld checksum=%016llx peak_live=%zu\n", workload, ops,
           (unsigned long long)checksum, peak_live_bytes);
}

#endif
