/* tiers.c - tier allocation throughput against a bare pointer bump and against malloc/free of
 * the same objects, all in one run (bench/README.md, "Tiers").
 *
 *   tiers.wasm [frames] [repetitions] [check]
 *
 * A frame allocates OBJECTS objects, 16 to 256 bytes (sizes from a fixed table, aligned 8: the
 * ENTITY tier of the default layout), writes the first word of each, then recycles them all:
 * the bump pointer rewinds, the tier resets, malloc frees each object. Methods take turns frame
 * by frame, so drift in the machine's load is shared; a repetition sums each method's frames,
 * and the table shows the median of the repetitions.
 *
 * The bare bump is measured twice: inlined into the frame loop (the cheapest bump there is, what
 * an engine writes by hand) and behind a call, as every allocator in a library is reached. The
 * called bump is the baseline of the target, because it costs what walloc_tier_alloc cannot
 * avoid either (the call) and nothing more. The program is linked without wasm-opt
 * (bench/tiers.mk), which would inline every function called from one place, walloc's too.
 * With check = 1 the program fails (exit 1) when tiers are slower than 1.2 times the called
 * bump.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "walloc.h"
#include "bench.h"

#define OBJECTS 10000
#define SIZE_TABLE 1024
#define MAX_REPETITIONS 31
#define TARGET_RATIO 1.2

enum { BUMP_INLINED, BUMP_CALLED, TIERS, MALLOC_FREE, METHODS };
static const char *const method_names[METHODS] = { "bump, inlined", "bump, called", "walloc tiers", "malloc/free" };

static size_t sizes[SIZE_TABLE];
static void *objects[OBJECTS];
static walloc_tiers *tiers;

struct bump {
    uintptr_t cursor, start, end;
};
static struct bump arena;

static inline void *bump(struct bump *b, size_t size) {
    uintptr_t at = (b->cursor + 7) & ~(uintptr_t)7;
    if (at > b->end || size > b->end - at) return NULL;
    b->cursor = at + size;
    return (void *)at;
}

static __attribute__((noinline)) void *bump_called(struct bump *b, size_t size) {
    return bump(b, size);
}

static inline void touch(void *p, uint64_t value) {
    memcpy(p, &value, sizeof value);
}

static uint64_t first_word(const void *p) {
    uint64_t value;
    memcpy(&value, p, sizeof value);
    return value;
}

/* One frame per method, each its own loop, so that no method's code shares a loop body (and
 * its registers) with another's. Each returns the first word of the last object. */
static uint64_t frame_bump_inlined(void) {
    void *p = NULL;
    for (size_t i = 0; i < OBJECTS; i++) touch(p = checked("tiers", bump(&arena, sizes[i % SIZE_TABLE])), i);
    arena.cursor = arena.start;
    return first_word(p);
}

static uint64_t frame_bump_called(void) {
    void *p = NULL;
    for (size_t i = 0; i < OBJECTS; i++) touch(p = checked("tiers", bump_called(&arena, sizes[i % SIZE_TABLE])), i);
    arena.cursor = arena.start;
    return first_word(p);
}

static uint64_t frame_tiers(void) {
    void *p = NULL;
    for (size_t i = 0; i < OBJECTS; i++)
        touch(p = checked("tiers", walloc_tier_alloc(tiers, WALLOC_TIER_ENTITY, sizes[i % SIZE_TABLE])), i);
    uint64_t last = first_word(p);
    walloc_tier_reset(tiers, WALLOC_TIER_ENTITY);
    return last;
}

static uint64_t frame_malloc(void) {
    for (size_t i = 0; i < OBJECTS; i++) touch(objects[i] = checked("tiers", malloc(sizes[i % SIZE_TABLE])), i);
    uint64_t last = first_word(objects[OBJECTS - 1]);
    for (size_t i = 0; i < OBJECTS; i++) free(objects[i]);
    return last;
}

static uint64_t (*const frame[METHODS])(void) = { frame_bump_inlined, frame_bump_called, frame_tiers, frame_malloc };

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, size_t count) {
    qsort(values, count, sizeof values[0], compare_doubles);
    return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

int main(int argc, char **argv) {
    long frames = arg_or(argc, argv, 1, 2000);
    long repetitions = arg_or(argc, argv, 2, 7);
    long check = arg_or(argc, argv, 3, 0);
    if (frames < 1 || repetitions < 1 || repetitions > MAX_REPETITIONS) die("tiers", "bad frames or repetitions");
    size_t frame_bytes = 0;
    for (size_t i = 0; i < SIZE_TABLE; i++) sizes[i] = rng_between(16, 256);
    for (size_t i = 0; i < OBJECTS; i++) frame_bytes += (sizes[i % SIZE_TABLE] + 7) & ~(size_t)7;
    arena.start = arena.cursor = (uintptr_t)checked("tiers", malloc(frame_bytes + 8));
    arena.end = arena.start + frame_bytes + 8;
    /* ENTITY gets 20 % of the reserve: a whole frame, so the timed frames never grow it. */
    tiers = checked("tiers", walloc_tiers_create(frame_bytes * 5 + 64 * 1024, NULL, 0));

    static double ns[METHODS][MAX_REPETITIONS];
    uint64_t sums[METHODS] = { 0 };
    for (int method = 0; method < METHODS; method++) frame[method]();
    for (long r = 0; r < repetitions; r++) {
        double total[METHODS] = { 0 };
        for (long f = 0; f < frames; f++) {
            for (int method = 0; method < METHODS; method++) {
                double start = now_ns();
                sums[method] += frame[method]();
                total[method] += now_ns() - start;
            }
        }
        for (int method = 0; method < METHODS; method++) ns[method][r] = total[method] / ((double)frames * OBJECTS);
    }
    for (int method = 1; method < METHODS; method++)
        if (sums[method] != sums[0]) die("tiers", "methods disagree on the objects' contents");

    double per_alloc[METHODS];
    for (int method = 0; method < METHODS; method++) per_alloc[method] = median(ns[method], (size_t)repetitions);
    printf("tiers: %ld frames x %d objects of 16-256 B (aligned 8), median of %ld\n", frames, OBJECTS, repetitions);
    printf("%-14s %9s %15s %15s\n", "method", "ns/alloc", "/ bump called", "/ bump inlined");
    for (int method = 0; method < METHODS; method++)
        printf("%-14s %9.2f %14.2fx %14.2fx\n", method_names[method], per_alloc[method],
               per_alloc[method] / per_alloc[BUMP_CALLED], per_alloc[method] / per_alloc[BUMP_INLINED]);
    double ratio = per_alloc[TIERS] / per_alloc[BUMP_CALLED];
    int met = ratio <= TARGET_RATIO;
    printf("target: walloc tiers within %.1fx of the called bump: %.2fx, %s\n", TARGET_RATIO, ratio,
           met ? "met" : "MISSED");
    printf("result workload=tiers tiers_vs_called_bump=%.3f tiers_vs_inlined_bump=%.3f malloc_vs_tiers=%.3f\n",
           ratio, per_alloc[TIERS] / per_alloc[BUMP_INLINED], per_alloc[MALLOC_FREE] / per_alloc[TIERS]);
    walloc_tiers_destroy(tiers);
    free((void *)arena.start);
    return check && !met;
}
