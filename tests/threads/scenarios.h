/* scenarios.h - what the threads test runs on every thread, written once for both drivers: the
 * native one (native.c, pthreads under ThreadSanitizer) and the wasm one (wasm.c, exported to
 * tests/threads/run.mjs, which runs it in node workers or browser Web Workers on one shared
 * memory). Freestanding: walloc and compiler atomics only.
 *
 * A run: the driver calls threads_setup(count) on one thread, then scenario_run(name, id) on
 * `count` threads at once, then scenario_verify(name) on one thread after they all returned.
 * Each returns 0, or a nonzero code that names the first thing found wrong (threads_failure()
 * says what). */
#ifndef THREADS_SCENARIOS_H
#define THREADS_SCENARIOS_H

#include <stddef.h>

#define THREADS_MAX 8

/* Allocates the shared state of a run with `count` threads; 0, or nonzero when memory failed. */
int threads_setup(int count);

/* The scenarios, by name: "churn", "exchange", "tiers", "recycle", "exit" (see scenarios.c). */
int scenario_run(const char *name, int id);
int scenario_verify(const char *name);

/* The death scenario: every thread frees one shared block at once. One of them must report
 * `walloc: double free of 0x<block>` and stop the program; the block's address is what
 * double_free_target() returns once threads_setup has run. */
void scenario_double_free(int id);
void *double_free_target(void);

/* What the first failure was, as text (static storage), or "" when none. */
const char *threads_failure(void);

#endif
