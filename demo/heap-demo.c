/* heap-demo: a small WASI program that puts walloc to work the way an application would and
 * prints what the heap looks like after each phase. Built and run by `make demo`. */
#include "walloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct word {
    char *text;
    unsigned count;
    struct word *next;
};

#define BUCKETS 4096
static struct word *table[BUCKETS];

/* Static, not on the stack: wasm-ld gives a program 64 KiB of stack by default. */
#define PARTICLES 20000
static float *particles[PARTICLES];

/* Blocks whose address escapes through here are really allocated: the compiler may not fold
 * a malloc/memset/free sequence away. */
static void *volatile escaped;

static unsigned hash(const char *s) {
    unsigned h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h % BUCKETS;
}

static void count_word(const char *text) {
    struct word **slot = &table[hash(text)];
    for (struct word *w = *slot; w; w = w->next)
        if (strcmp(w->text, text) == 0) { w->count++; return; }
    struct word *w = malloc(sizeof *w);
    w->text = strdup(text);
    w->count = 1;
    w->next = *slot;
    *slot = w;
}

static void forget_words(void) {
    for (unsigned b = 0; b < BUCKETS; b++)
        while (table[b]) {
            struct word *w = table[b];
            table[b] = w->next;
            free(w->text);
            free(w);
        }
}

static void show(const char *phase) {
    struct walloc_stats s;
    walloc_get_stats(&s);
    printf("%-34s %9zu KiB %9zu KiB %9zu KiB %9zu KiB %6zu %s\n", phase, s.memory_bytes >> 10,
           s.live_bytes >> 10, s.peak_live_bytes >> 10, s.free_bytes >> 10, s.grow_count,
           walloc_check() == 0 ? "ok" : walloc_last_error());
}

int main(void) {
    printf("walloc demo: a heap at work (memory = linear memory, live = usable bytes in use)\n\n");
    printf("%-34s %13s %13s %13s %13s %6s %s\n", "phase", "memory", "live", "peak live", "free",
           "grows", "check");
    show("start");

    unsigned seed = 7;
    char word[16];
    for (int i = 0; i < 200000; i++) {
        seed = seed * 1103515245u + 12345u;
        int length = 2 + (int)(seed >> 28) % 12;
        for (int k = 0; k < length; k++) {
            seed = seed * 1103515245u + 12345u;
            word[k] = (char)('a' + (seed >> 16) % 6);
        }
        word[length] = '\0';
        count_word(word);
    }
    show("200 000 words counted (strdup)");

    for (int i = 0; i < PARTICLES; i++) particles[i] = calloc(4 + i % 28, sizeof(float));
    for (int i = 0; i < PARTICLES; i += 2) free(particles[i]);
    show("20 000 particles, half freed");

    unsigned char *frames[8];
    unsigned long checksum = 0;
    for (int f = 0; f < 8; f++) {
        frames[f] = malloc(1280 * 720 * 4);
        escaped = frames[f];
        memset(frames[f], f + 1, 1280 * 720 * 4);
    }
    for (int f = 0; f < 8; f++) checksum += frames[f][f * 4099];
    show("8 frame buffers of 3.5 MiB");
    for (int f = 0; f < 8; f++) free(frames[f]);
    show("frame buffers dropped");

    for (int i = 1; i < PARTICLES; i += 2) particles[i] = realloc(particles[i], 64 * sizeof(float));
    show("odd particles grown by realloc");
    for (int i = 1; i < PARTICLES; i += 2) free(particles[i]);
    forget_words();
    show("everything freed");

    struct walloc_stats before, after;
    walloc_get_stats(&before);
    unsigned char *reused = malloc(16 << 20);
    escaped = reused;
    reused[12345] = 1;
    checksum += reused[12345];
    walloc_get_stats(&after);
    show(after.memory_bytes == before.memory_bytes ? "one 16 MiB block: freed pages reused"
                                                   : "one 16 MiB block: memory had to grow");
    free(reused);
    printf("\nchecksum %lu\n", checksum);

    return walloc_check() == 0 ? 0 : 1;
}
