/* threads.c - the emscripten threads benchmark (bench/emscripten/threads.mjs): the workloads of
 * bench/threads/work.c (churn, random actions; each thread on blocks of its own) run by 1 and 2
 * pthreads at once, each doing the same work, in a program built once per allocator: walloc's
 * emscripten threads build, and emscripten's dlmalloc and emmalloc with -pthread, each of which
 * takes one lock around every call. Rounds alternate the workloads and thread counts after a
 * warm-up of each; what is timed is the main thread's wall time from starting the threads to
 * the last one done. One line per configuration, with every round's time:
 *   result <workload> <threads> <ms> <ms>...
 *   threads CHURN_OPS RANDOM_OPS ROUNDS */
#include <emscripten.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../tests/emscripten/crew.h"

/* bench/threads/work.c: runs one workload as thread `id`, with the ops per thread set
 * beforehand; returns 0 (a block that lost its stamp traps). */
int run(int workload, int id);
void set_ops(long ops);

#define MAX_THREADS 2
#define MAX_ROUNDS 31

static const char *const workload_names[] = { "churn", "random-actions" };
#define WORKLOADS 2

static int work_job(int id, const void *workload) { return run(*(const int *)workload, id); }

static double timed(int workload, int threads) {
    double start = emscripten_get_now();
    crew_run(work_job, &workload, threads);
    return emscripten_get_now() - start;
}

int main(int argc, char **argv) {
    if (argc != 4) return fprintf(stderr, "usage: threads CHURN_OPS RANDOM_OPS ROUNDS\n"), 2;
    long ops[WORKLOADS] = { atol(argv[1]), atol(argv[2]) };
    int rounds = atoi(argv[3]);
    if (rounds < 1 || rounds > MAX_ROUNDS) return fprintf(stderr, "rounds: 1 to %d\n", MAX_ROUNDS), 2;
    if (crew_start(MAX_THREADS) != 0) return fprintf(stderr, "cannot start the threads\n"), 1;
    static double ms[WORKLOADS][MAX_THREADS + 1][MAX_ROUNDS];
    for (int w = 0; w < WORKLOADS; w++) /* the warm-up: a tenth of the work, not timed */
        for (int threads = 1; threads <= MAX_THREADS; threads++) {
            set_ops(ops[w] / 10);
            timed(w, threads);
        }
    for (int round = 0; round < rounds; round++)
        for (int w = 0; w < WORKLOADS; w++)
            for (int threads = 1; threads <= MAX_THREADS; threads++) {
                set_ops(ops[w]);
                ms[w][threads][round] = timed(w, threads);
            }
    for (int w = 0; w < WORKLOADS; w++)
        for (int threads = 1; threads <= MAX_THREADS; threads++) {
            printf("result %s %d", workload_names[w], threads);
            for (int round = 0; round < rounds; round++) printf(" %.2f", ms[w][threads][round]);
            printf("\n");
        }
    return 0;
}
