/* native.c - the threads test's native driver: every scenario (scenarios.c) on 1, 2 and 4
 * pthreads against build/native-tsan/libwalloc.a, under ThreadSanitizer, then the double-free
 * race in a child process of its own, which must die with walloc's report naming the block.
 *
 *   test_threads                 everything; ends with `N passed, M failed`
 *   test_threads double-free     the race alone (prints the block it expects reported first) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "scenarios.h"

struct job {
    const char *name;
    int id, result;
};

static void *run_job(void *arg) {
    struct job *job = arg;
    if (job->name) job->result = scenario_run(job->name, job->id);
    else scenario_double_free(job->id);
    return NULL;
}

/* Runs `name` (NULL: the double free) on `count` threads; returns the first nonzero result. */
static int run_threads(const char *name, int count) {
    pthread_t thread[THREADS_MAX];
    struct job job[THREADS_MAX];
    for (int i = 0; i < count; i++) {
        job[i] = (struct job){ name, i, 0 };
        if (pthread_create(&thread[i], NULL, run_job, &job[i]) != 0) return -1;
    }
    int result = 0;
    for (int i = 0; i < count; i++) {
        pthread_join(thread[i], NULL);
        if (job[i].result && !result) result = job[i].result;
    }
    return result;
}

static int double_free_child(void) {
    if (threads_setup(4)) return 1;
    printf("expect-pointer %p\n", double_free_target());
    fflush(stdout);
    run_threads(NULL, 4);
    printf("no thread reported the double free\n");
    return 0;
}

/* Runs this program's double-free mode and checks it stopped with the report for its block. */
static int double_free_reported(const char *self) {
    char command[4096], output[8192] = "", expected[64] = "";
    snprintf(command, sizeof command, "'%s' double-free 2>&1", self);
    FILE *child = popen(command, "r");
    if (!child) return 0;
    size_t length = fread(output, 1, sizeof output - 1, child);
    output[length] = 0;
    int status = pclose(child);
    const char *line = strstr(output, "expect-pointer ");
    if (line) snprintf(expected, sizeof expected, "walloc: double free of %.*s", (int)strcspn(line + 15, "\n"), line + 15);
    int ok = line && status != 0 && strstr(output, expected) && !strstr(output, "ThreadSanitizer");
    if (!ok) printf("double-free race: status %d, output:\n%s\n", status, output);
    return ok;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "double-free") == 0) return double_free_child();
    static const char *const scenarios[] = { "churn", "exchange", "tiers", "recycle", "exit" };
    static const int counts[] = { 1, 2, 4 };
    int passed = 0, failed = 0;
    for (unsigned c = 0; c < sizeof counts / sizeof counts[0]; c++)
        for (unsigned s = 0; s < sizeof scenarios / sizeof scenarios[0]; s++) {
            int err = threads_setup(counts[c]);
            if (!err) err = run_threads(scenarios[s], counts[c]);
            if (!err) err = scenario_verify(scenarios[s]);
            if (err) printf("%s on %d threads: failed (%d): %s\n", scenarios[s], counts[c], err, threads_failure());
            err ? failed++ : passed++;
            if (err) break;
        }
    double_free_reported(argv[0]) ? passed++ : failed++;
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
