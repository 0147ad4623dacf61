/* death_secure.h - the scenarios of test_death.c that only the secure build's checks catch:
 * overflows into the canary, writes after free, double frees after other allocations (the
 * quarantine). Included by test_death.c when built with -DWALLOC_SECURE, after the helpers
 * (allocate, expect, expect_survival) it uses. */
#ifndef WALLOC_TESTS_DEATH_SECURE_H
#define WALLOC_TESTS_DEATH_SECURE_H

/* The quarantine holds this many blocks: freeing as many others pushes a block out of it. */
#define QUARANTINE_SLOTS 64

/* Frees `count` fresh blocks of `size` bytes, which pushes older blocks out of the quarantine. */
static void churn(size_t size, size_t count) {
    for (size_t i = 0; i < count; i++)
        walloc_free(allocate(size));
}

/* A block whose first `bytes` past its usable size are overwritten. Each byte is flipped, not
 * set to a constant: the canary is keyed by a random secret, and a constant would match its
 * byte in one run out of 256 and leave nothing to report. */
static char *overflowed(size_t size, size_t bytes) {
    char *p = allocate(size);
    char *past = p + walloc_malloc_usable_size(p);
    for (size_t i = 0; i < bytes; i++) past[i] = (char)~past[i];
    return p;
}

static void overflow_small_1(void) {
    char *p = overflowed(24, 1);
    expect("heap overflow", p);
    walloc_free(p);
}

static void overflow_small_8(void) {
    char *p = overflowed(100, 8);
    expect("heap overflow", p);
    walloc_free(p);
}

static void overflow_large_1(void) {
    char *p = overflowed(100 * KiB, 1);
    expect("heap overflow", p);
    walloc_free(p);
}

/* In-band metadata forged from a valid copy: the canary of another block of the same class
 * does not fit, because canaries are keyed by the address as well as the secret. */
static void forged_canary(void) {
    char *p = allocate(48), *q = allocate(48);
    size_t usable = walloc_malloc_usable_size(p);
    memcpy(p + usable, q + usable, 8);
    expect("heap overflow", p);
    walloc_free(p);
}

static void overflow_seen_by_realloc(void) {
    char *p = overflowed(40, 8);
    expect("heap overflow", p);
    walloc_realloc(p, 4000);
}

static void overflow_seen_by_check(void) {
    allocate(40);
    char *p = overflowed(300, 1);
    allocate(40);
    expect("heap overflow", p);
    walloc_check();
}

/* Allocates blocks of `size` until one of them is handed out at `p` again. */
static void reuse(size_t size, const char *p) {
    for (size_t i = 0; i < 4096 && allocate(size) != p; i++)
        ;
}

/* The write is made while the block waits in the quarantine, found when it is handed out. */
static void write_after_free_small(void) {
    char *p = allocate(64);
    walloc_free(p);
    p[10] = 1;
    expect("write after free", p);
    churn(64, QUARANTINE_SLOTS);
    reuse(64, p);
}

/* The write comes after the block left the quarantine. */
static void write_after_free_reused(void) {
    char *p = allocate(200);
    walloc_free(p);
    churn(5000, QUARANTINE_SLOTS);
    p[20] = 1;
    expect("write after free", p);
    reuse(200, p);
}

static void write_after_free_large(void) {
    char *p = allocate(100 * KiB);
    walloc_free(p);
    p[0] = 1;
    expect("write after free", p);
    churn(64, QUARANTINE_SLOTS);
}

static void write_after_free_seen_by_check(void) {
    char *p = allocate(64);
    walloc_free(p);
    p[31] = 0;
    expect("write after free", p);
    walloc_check();
}

/* The same size is allocated and freed in between: without the quarantine the freed block
 * would be live again by now and the second free would be legitimate. */
static void double_free_after_reuse_of_its_size(void) {
    char *p = allocate(64);
    walloc_free(p);
    churn(64, QUARANTINE_SLOTS / 2);
    expect("double free", p);
    walloc_free(p);
}

static void double_free_large_in_quarantine(void) {
    char *p = allocate(100 * KiB);
    walloc_free(p);
    allocate(100 * KiB);
    expect("double free", p);
    walloc_free(p);
}

static void usable_size_in_quarantine(void) {
    char *p = allocate(64);
    walloc_free(p);
    expect("any", p);
    walloc_malloc_usable_size(p);
}

/* The secret keys the canaries of blocks already out: it cannot change under them. (Whether
 * a seed before the first malloc takes cannot be seen from main on wasm32-wasi, where libc
 * allocates during start-up.) */
static void seed_after_first_malloc(void) {
    allocate(10);
    expect_survival();
    if (walloc_seed(678) != -1) {
        printf("walloc_seed did not return -1 with the heap in use\n");
        survived_badly = 1;
    }
}

/* A write after free into the first word (obj->next = ...) must not make a quarantined block
 * pass for live: membership is asked of the held set, not of the block. */
static char *freed_and_written(size_t size, uint64_t word) {
    char *p = allocate(size);
    walloc_free(p);
    memcpy(p, &word, sizeof word);
    return p;
}

static void double_free_after_write_after_free(void) {
    char *p = freed_and_written(64, 0x1122334455667788u);
    expect("double free", p);
    walloc_free(p);
}

static void double_free_large_after_write_after_free(void) {
    char *p = freed_and_written(100 * KiB, 0);
    expect("double free", p);
    walloc_free(p);
}

static void realloc_after_write_after_free(void) {
    char *p = freed_and_written(64, 0);
    expect("realloc after free", p);
    walloc_realloc(p, 100);
}

static void usable_size_after_write_after_free(void) {
    char *p = freed_and_written(64, 0x1122334455667788u);
    expect("malloc_usable_size after free", p);
    walloc_malloc_usable_size(p);
}

/* Zeros are a write too (an object cleared after its free): a never-used block is told apart
 * by the fill of its new span, not by being zero. */
static void write_after_free_of_zeros(void) {
    char *p = allocate(64);
    walloc_free(p);
    memset(p, 0, 32);
    expect("write after free", p);
    churn(64, QUARANTINE_SLOTS);
    reuse(64, p);
}

/* A request no heap could serve must not empty the quarantine: the stale free of `p` is still
 * a double free, not a free of whatever block took its place. */
static void double_free_after_impossible_request(void) {
    char *p = allocate(32);
    walloc_free(p);
    if (walloc_malloc(SIZE_MAX) || walloc_malloc(WALLOC_MAX_REQUEST + 1) ||
        walloc_aligned_alloc(64, SIZE_MAX - 64) || walloc_realloc(NULL, SIZE_MAX - 4096)) {
        printf("setup failed: an impossible request was served\n");
        fflush(stdout);
    }
    allocate(32);
    expect("double free", p);
    walloc_free(p);
}

#define SECURE_SCENARIOS \
    { "overflow-small-1", overflow_small_1 }, \
    { "overflow-small-8", overflow_small_8 }, \
    { "overflow-large-1", overflow_large_1 }, \
    { "forged-canary", forged_canary }, \
    { "overflow-seen-by-realloc", overflow_seen_by_realloc }, \
    { "overflow-seen-by-check", overflow_seen_by_check }, \
    { "write-after-free-small", write_after_free_small }, \
    { "write-after-free-reused", write_after_free_reused }, \
    { "write-after-free-large", write_after_free_large }, \
    { "write-after-free-seen-by-check", write_after_free_seen_by_check }, \
    { "double-free-after-reuse-of-its-size", double_free_after_reuse_of_its_size }, \
    { "double-free-large-in-quarantine", double_free_large_in_quarantine }, \
    { "usable-size-in-quarantine", usable_size_in_quarantine }, \
    { "seed-after-first-malloc", seed_after_first_malloc }, \
    { "double-free-after-write-after-free", double_free_after_write_after_free }, \
    { "double-free-large-after-write-after-free", double_free_large_after_write_after_free }, \
    { "realloc-after-write-after-free", realloc_after_write_after_free }, \
    { "usable-size-after-write-after-free", usable_size_after_write_after_free }, \
    { "write-after-free-of-zeros", write_after_free_of_zeros }, \
    { "double-free-after-impossible-request", double_free_after_impossible_request },

#endif
