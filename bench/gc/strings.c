/* strings: the benchmark nottinygc (a collector for TinyGo on wasm) measures itself with. Each
 * round builds three pointer-free strings of 100 000 bytes by repeated doubling, from a single
 * character: a string of length n becomes one of length 2n (the last step stops at 100 000)
 * by allocating the longer one and copying the shorter into it twice. The three are dropped
 * together at the end of the round, with every intermediate string before them. The blocks are
 * GC_malloc_atomic: the collector never scans them.
 * Usage: strings [rounds]     (1000 by default) */
#include "harness.h"

#define LENGTH 100000
#define STRINGS 3

static char *build(char seed) {
    size_t length = 1;
    char *text = gc_alloc_atomic(length);
    text[0] = seed;
    while (length < LENGTH) {
        size_t doubled = length * 2 < LENGTH ? length * 2 : LENGTH;
        char *longer = gc_alloc_atomic(doubled);
        memcpy(longer, text, length);
        memcpy(longer + length, text, doubled - length);
        gc_drop(text);
        text = longer;
        length = doubled;
    }
    return text;
}

int main(int argc, char **argv) {
    long rounds = arg_or(argc, argv, 1, 1000);
    gc_start();
    uint32_t checksum = DIGEST_START;
    double start = now_ms();
    for (long round = 0; round < rounds; round++) {
        char *strings[STRINGS];
        for (int i = 0; i < STRINGS; i++) strings[i] = build((char)('a' + (round * STRINGS + i) % 26));
        for (int i = 0; i < STRINGS; i++) {
            /* Each string is its seed repeated: read back a byte from its far end. */
            size_t at = LENGTH - 1 - (size_t)(round * 7919 + i) % 1000;
            checksum = digest(checksum, (uint8_t)strings[i][at]);
        }
        for (int i = 0; i < STRINGS; i++) gc_drop(strings[i]);
        sample_heap();
    }
    report(now_ms() - start, checksum, "");
    return 0;
}
