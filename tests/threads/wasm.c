/* wasm.c - the threads test's wasm driver: exports the scenarios (scenarios.h) and what a host
 * needs to start a thread on a shared memory, for tests/threads/run.mjs. A module linked with
 * --shared-memory is instantiated once per thread on one memory; each instance has its own
 * stack pointer and thread-local block, which the host sets up as below. */
#include "scenarios.h"
#include "walloc.h"

#define EXPORT(name) __attribute__((export_name(#name)))

void __wasm_init_tls(void *block);

/* The first instance's thread-local block: wasm-ld leaves __tls_base at 0 until someone calls
 * __wasm_init_tls, and walloc's cache lives there, so it cannot come from malloc. */
static _Alignas(16) unsigned char first_tls[8192];

EXPORT(first_thread_init) int first_thread_init(void) {
    if (__builtin_wasm_tls_size() > sizeof first_tls) return 1;
    __wasm_init_tls(first_tls);
    return 0;
}

/* On a thread that is already set up: memory for another thread's stack (`stack` bytes, its
 * top is the returned address + `stack`) followed by its thread-local block. */
EXPORT(thread_area) void *thread_area(unsigned stack) {
    return walloc_aligned_alloc(16, stack + ((__builtin_wasm_tls_size() + 15) & ~15u));
}

/* On the new thread, once the host set its __stack_pointer to `tls` (the area's stack top). */
EXPORT(thread_init) void thread_init(void *tls) { __wasm_init_tls(tls); }

static const char *const names[] = { "churn", "exchange", "tiers", "exit" };

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
