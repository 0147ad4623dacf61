/* wasm.c - the threads test's wasm driver: exports the scenarios (scenarios.h) and what a host
 * needs to start a thread on a shared memory (thread_start.h), for tests/threads/harness.mjs. */
#include "scenarios.h"
#include "../../js/thread_start.h"

static const char *const names[] = { "churn", "exchange", "tiers", "recycle", "exit" };

EXPORT(scenario_count) int scenario_count(void) { return sizeof names / sizeof names[0]; }
EXPORT(scenario_name) const char *scenario_name(int i) { return names[i]; }
EXPORT(setup) int setup(int count) { return threads_setup(count); }
EXPORT(run) int run(int scenario, int id) { return scenario_run(names[scenario], id); }
EXPORT(verify) int verify(int scenario) { return scenario_verify(names[scenario]); }
EXPORT(double_free) void double_free(int id) { scenario_double_free(id); }
EXPORT(target) void *target(void) { return double_free_target(); }
EXPORT(failure) const char *failure(void) { return threads_failure(); }
EXPORT(last_error) const char *last_error(void) { return walloc_last_error(); }
EXPORT(thread_exit) void thread_exit(void) { walloc_thread_exit(); }
