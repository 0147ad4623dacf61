/* shim.c - the little of a C library that the synthetic workloads (bench/random-actions.c and the rest) use, so that the
 * same sources run freestanding on wasm32 and wasm64 and the two can be timed side by side in
 * one engine (wasi-libc has no wasm64). The host writes the arguments into args_buffer(),
 * calls run(argc), and reads what the program printed from output_buffer(); exit() records the
 * status and traps, which ends the call. Formats: %s %c %d %ld %lu %zu %llx with 0-padding and
 * a width, all the workloads print. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define ARGS_BYTES 1024
#define MAX_ARGS 16
#define OUTPUT_BYTES 4096

int main(int argc, char **argv);

struct shim_stream { int unused; };
static struct shim_stream streams[2];
FILE *stdout = &streams[0], *stderr = &streams[1];

int errno;

static char args[ARGS_BYTES];
static char output[OUTPUT_BYTES];
static size_t output_length;
static int exit_status;

EXPORT(args_buffer) char *args_buffer(void) { return args; }
EXPORT(output_buffer) char *output_buffer(void) { return output; }
EXPORT(output_size) size_t output_size(void) { return output_length; }
EXPORT(exit_code) int exit_code(void) { return exit_status; }

/* Runs main with the `argc` NUL-terminated strings the host put in args_buffer() (argv[0] is
 * the first); returns main's status. */
EXPORT(run) int run(int argc) {
    char *argv[MAX_ARGS + 1];
    char *at = args;
    if (argc > MAX_ARGS) argc = MAX_ARGS;
    for (int i = 0; i < argc; i++) {
        argv[i] = at;
        while (*at && at < args + ARGS_BYTES - 1) at++;
        at++;
    }
    argv[argc] = 0;
    output_length = 0;
    return exit_status = main(argc, argv);
}

_Noreturn void exit(int status) {
    exit_status = status;
    __builtin_trap();
}

void *memset(void *dst, int byte, size_t n) {
    __builtin_memset(dst, byte, n);
    return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
    __builtin_memcpy(dst, src, n);
    return dst;
}

#if defined(__wasm64__)
/* The 128-bit multiply that __builtin_mul_overflow of two 64-bit sizes calls on wasm64 (floor.c's
 * calloc), which no compiler runtime for wasm64 ships; built from 32-bit halves, so that it
 * needs no multiply wider than 64 bits itself. */
unsigned __int128 __multi3(unsigned __int128 a, unsigned __int128 b) {
    uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64), b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
    uint64_t ll = (a0 & 0xffffffff) * (b0 & 0xffffffff), lh = (a0 & 0xffffffff) * (b0 >> 32);
    uint64_t hl = (a0 >> 32) * (b0 & 0xffffffff), hh = (a0 >> 32) * (b0 >> 32);
    uint64_t mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff);
    uint64_t low = mid << 32 | (ll & 0xffffffff);
    uint64_t high = hh + (lh >> 32) + (hl >> 32) + (mid >> 32) + a0 * b1 + a1 * b0;
    return (unsigned __int128)high << 64 | low;
}
#endif

long strtol(const char *text, char **end, int base) {
    long value = 0;
    int negative = *text == '-';
    if (negative || *text == '+') text++;
    while (*text >= '0' && *text <= '9' && base == 10) value = value * 10 + (*text++ - '0');
    if (end) *end = (char *)(uintptr_t)text;
    return negative ? -value : value;
}

static void put(char c) {
    if (output_length < OUTPUT_BYTES - 1) output[output_length++] = c;
}

/* `value` in `base`, at least `width` digits, padded with `pad`. */
static void put_number(unsigned long long value, unsigned base, int width, char pad) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[value % base];
        value /= base;
    } while (value);
    while (width-- > n) put(pad);
    while (n) put(digits[--n]);
}

static int format(const char *f, va_list ap) {
    size_t start = output_length;
    for (; *f; f++) {
        if (*f != '%') {
            put(*f);
            continue;
        }
        char pad = *++f == '0' ? '0' : ' ';
        int width = 0, longs = 0, size = 0;
        while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
        while (*f == 'l') longs++, f++;
        if (*f == 'z') size = 1, f++;
        if (*f == 's') {
            for (const char *s = va_arg(ap, const char *); *s; s++) put(*s);
        } else if (*f == 'c') {
            put((char)va_arg(ap, int));
        } else if (*f == 'd') {
            long long v = longs > 1 ? va_arg(ap, long long) : longs ? va_arg(ap, long) : va_arg(ap, int);
            if (v < 0) put('-');
            put_number(v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, 10, width, pad);
        } else if (*f == 'u' || *f == 'x') {
            unsigned long long v = size ? va_arg(ap, size_t) : longs > 1 ? va_arg(ap, unsigned long long)
                                 : longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            put_number(v, *f == 'x' ? 16 : 10, width, pad);
        } else {
            put('%');
            if (*f) put(*f);
            else break;
        }
    }
    return (int)(output_length - start);
}

int printf(const char *f, ...) {
    va_list ap;
    va_start(ap, f);
    int n = format(f, ap);
    va_end(ap);
    return n;
}

int fprintf(FILE *stream, const char *f, ...) {
    (void)stream;
    va_list ap;
    va_start(ap, f);
    int n = format(f, ap);
    va_end(ap);
    return n;
}
