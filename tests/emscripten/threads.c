/* threads.c - the threads build under emscripten's -pthread (make test-emscripten-threads):
 * build/emscripten-threads/libwalloc.a linked with -sMALLOC=none, so that emscripten's runtime
 * allocates each thread's stack, thread-local block and descriptor from walloc too.
 *
 *   threads                    pthreads that come and go without calling walloc_thread_exit,
 *                              then the scenarios of tests/threads/scenarios.c (churn, exchange,
 *                              tiers, recycle, exit) on 1, 2 and 4 pthreads, each verified
 *                              (walloc_check and exact stats) once the threads are done
 *   threads --list             the death scenario, for tests/death.sh
 *   threads double-free-race   four pthreads free one block at once: the program must stop with
 *                              one report naming it (tests/emscripten/run.mjs maps the trap,
 *                              which emscripten carries from the worker to the main thread, to
 *                              an abort's status) */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "crew.h"
#include "scenarios.h"
#include "walloc.h"

/* The scenarios on the crew (crew.h): their counts must not include emscripten's allocations
 * for starting threads. */
#define CREW 4 /* the pool of workers emscripten starts with the program (emscripten.mk) */

static int scenario_job(int id, const void *scenario) {
    if (scenario) return scenario_run(scenario, id);
    scenario_double_free(id);
    return 0;
}

/* ---- threads that come and go ---- */

/* Sizes across the classes a thread caches (up to 32 KiB). */
static const unsigned class_sizes[] = { 8, 16, 48, 128, 160, 256, 320, 512, 640, 1024, 2048, 9000, 30000 };
#define CLASSES (sizeof class_sizes / sizeof class_sizes[0])
#define KEPT 24 /* per class: more than a cache holds, so that some go back to the heap */

/* Fills the thread's caches (and takes a span per class to serve it alone), then returns
 * without walloc_thread_exit: the pthread's exit must give everything back. Returns where its
 * thread-local block was, NULL when memory ran out. */
static void *visitor(void *arg) {
    (void)arg;
    void *held[CLASSES][KEPT];
    for (unsigned c = 0; c < CLASSES; c++)
        for (int i = 0; i < KEPT; i++)
            if (!(held[c][i] = walloc_malloc(class_sizes[c]))) return NULL;
    for (unsigned c = 0; c < CLASSES; c++)
        for (int i = 0; i < KEPT; i++) walloc_free(held[c][i]);
    return __builtin_wasm_tls_base();
}

#define VISITORS 150

/* One thread after another ends with its caches full. Each exit must hand the caches and the
 * serving spans back and leave the heap whole, although emscripten frees the thread-local block
 * that holds the cache while the thread still runs (src/platform.c); and the blocks emscripten
 * allocates for a thread must all be freed once it is joined: live bytes as before, exactly,
 * and the heap no larger after the last thread than after the first. The thread-local blocks
 * must be used again: a thread left enrolled keeps its own block in its cache, and every
 * thread then gets a new one. */
static int visitors(void) {
    struct walloc_stats before, first, now;
    void *blocks[VISITORS];
    int distinct = 0;
    walloc_get_stats(&before);
    for (int v = 0; v < VISITORS; v++) {
        pthread_t thread;
        void *block = NULL;
        if (pthread_create(&thread, NULL, visitor, NULL) != 0) return printf("FAIL visitors: pthread_create failed\n"), 1;
        pthread_join(thread, &block);
        if (!block) return printf("FAIL visitors: thread %d ran out of memory\n", v), 1;
        if (walloc_check() != 0) return printf("FAIL visitors: after thread %d: %s\n", v, walloc_last_error()), 1;
        walloc_get_stats(v ? &now : &first);
        int seen = 0;
        for (int i = 0; i < distinct; i++) seen |= blocks[i] == block;
        if (!seen) blocks[distinct++] = block;
    }
    if (now.live_bytes != before.live_bytes)
        return printf("FAIL visitors: live bytes %zu after the threads, %zu before\n", now.live_bytes, before.live_bytes), 1;
    if (now.heap_bytes != first.heap_bytes)
        return printf("FAIL visitors: the heap grew from %zu to %zu bytes\n", first.heap_bytes, now.heap_bytes), 1;
    if (now.alloc_count - before.alloc_count != now.free_count - before.free_count)
        return printf("FAIL visitors: %zu allocations, %zu frees\n", now.alloc_count - before.alloc_count,
                      now.free_count - before.free_count), 1;
    /* What the main thread's cache and the heap's order leave unused at once is a few blocks. */
    if (distinct > VISITORS / 4)
        return printf("FAIL visitors: %d threads had %d different thread-local blocks\n", VISITORS, distinct), 1;
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        printf("double-free-race\n");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "double-free-race") == 0) {
        if (crew_start(CREW) || threads_setup(CREW)) return printf("setup failed: %s\n", threads_failure()), 1;
        printf("expect-kind double free\nexpect-pointer %p\n", double_free_target());
        fflush(stdout);
        crew_run(scenario_job, NULL, CREW);
        printf("no thread reported the double free\n");
        return 0;
    }
    /* The visitors first, each on a worker of the pool, which the crew then keeps. The first
     * failure ends the run: a thread that gave up may leave the others waiting, and the heap
     * may no longer be whole. */
    int passed = 0, err = visitors();
    if (!err) printf("ok %d pthreads ended with full caches, one after another\n", VISITORS), passed++;
    if (!err && crew_start(CREW)) err = printf("FAIL: cannot start the crew\n");
    static const char *const scenarios[] = { "churn", "exchange", "tiers", "recycle", "exit" };
    static const int counts[] = { 1, 2, CREW };
    for (unsigned c = 0; c < sizeof counts / sizeof *counts && !err; c++)
        for (unsigned s = 0; s < sizeof scenarios / sizeof *scenarios && !err; s++) {
            err = threads_setup(counts[c]);
            if (!err) err = crew_run(scenario_job, scenarios[s], counts[c]);
            if (!err) err = scenario_verify(scenarios[s]);
            if (err) printf("FAIL %s on %d pthreads (%d): %s\n", scenarios[s], counts[c], err, threads_failure());
            else printf("ok %s on %d pthreads\n", scenarios[s], counts[c]), passed++;
        }
    printf("%d passed, %d failed\n", passed, err != 0);
    return err != 0;
}
