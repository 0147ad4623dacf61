/* crew.h - a crew of pthreads started once that run one job after another, all members at once,
 * for emscripten programs: the threads test (tests/emscripten/threads.c) and the threads
 * benchmark (bench/emscripten/threads.c). Header-only, for one file of a program.
 *
 * Why a crew and not a pthread per job: emscripten's runtime allocates a thread's descriptor,
 * stack, key array and thread-local block when it starts one, which would count in what the
 * test compares and in what the benchmark times; and a pthread_create on the main thread can
 * only take a worker of the pool emscripten started with the program (-sPTHREAD_POOL_SIZE),
 * since a new worker loads only once the main thread returns to node's event loop. */
#ifndef CREW_H
#define CREW_H

#include <pthread.h>
#include <stdint.h>

/* A job: runs as crew member `id` with the argument given to crew_run; returns 0 or a code. */
typedef int (*crew_job)(int id, const void *arg);

static pthread_mutex_t crew_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t crew_wake = PTHREAD_COND_INITIALIZER, crew_done = PTHREAD_COND_INITIALIZER;
static struct {
    unsigned round; /* raised for each job */
    crew_job job;
    const void *arg;
    int count;      /* members taking part in this round */
    int finished, result;
    int ready;      /* members running */
} crew;

static void *crew_member(void *arg) {
    int id = (int)(intptr_t)arg;
    unsigned seen = 0;
    pthread_mutex_lock(&crew_lock);
    crew.ready++;
    pthread_cond_signal(&crew_done);
    pthread_mutex_unlock(&crew_lock);
    for (;;) {
        pthread_mutex_lock(&crew_lock);
        while (crew.round == seen) pthread_cond_wait(&crew_wake, &crew_lock);
        seen = crew.round;
        crew_job job = crew.job;
        const void *job_arg = crew.arg;
        int count = crew.count;
        pthread_mutex_unlock(&crew_lock);
        if (id >= count) continue;
        int result = job(id, job_arg);
        pthread_mutex_lock(&crew_lock);
        if (result && !crew.result) crew.result = result;
        if (++crew.finished == count) pthread_cond_signal(&crew_done);
        pthread_mutex_unlock(&crew_lock);
    }
}

/* Starts `size` members and returns once every one runs (a thread allocates its thread-local
 * block when it starts running, which may be after pthread_create returned); 0, or -1 when a
 * thread could not be created. */
static int crew_start(int size) {
    for (intptr_t id = 0; id < size; id++) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, crew_member, (void *)id) != 0) return -1;
        pthread_detach(thread);
    }
    pthread_mutex_lock(&crew_lock);
    while (crew.ready < size) pthread_cond_wait(&crew_done, &crew_lock);
    pthread_mutex_unlock(&crew_lock);
    return 0;
}

/* Runs job(id, arg) on members 0 to count - 1 at once and waits for them all; 0, or the first
 * nonzero result. */
static int crew_run(crew_job job, const void *arg, int count) {
    pthread_mutex_lock(&crew_lock);
    crew.job = job;
    crew.arg = arg;
    crew.count = count;
    crew.finished = crew.result = 0;
    crew.round++;
    pthread_cond_broadcast(&crew_wake);
    while (crew.finished < count) pthread_cond_wait(&crew_done, &crew_lock);
    int result = crew.result;
    pthread_mutex_unlock(&crew_lock);
    return result;
}

#endif
