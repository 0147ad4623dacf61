/* libc.c - the little of a C library that walloc's C tests (test_api, test_stress, test_death)
 * use, for wasm64, where wasi-libc does not exist. With it the tests build for wasm64 as they
 * are and run under the project's own WASI host (tests/host/run.mjs) in node 24.
 *
 * The host speaks wasi_snapshot_preview1 with 32-bit addresses, so the imports below take i32
 * offsets and their structures (iovecs, argv) are laid out as on wasm32. Everything passed to
 * the host lies in this file's static data, at the bottom of memory; bytes to write from past
 * 4 GiB would go through a bounce buffer. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

#define WASI(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
WASI(fd_write) int32_t wasi_fd_write(int32_t fd, uint32_t iovs, uint32_t count, uint32_t written);
WASI(proc_exit) _Noreturn void wasi_proc_exit(int32_t status);
WASI(args_sizes_get) int32_t wasi_args_sizes_get(uint32_t count, uint32_t bytes);
WASI(args_get) int32_t wasi_args_get(uint32_t argv, uint32_t buffer);
WASI(random_get) int32_t wasi_random_get(uint32_t buffer, uint32_t length);

#define MAX_ARGS 64
#define ARG_BYTES 4096
#define LINE_BYTES 1024

int errno;

struct w64libc_stream { int fd; };
static struct w64libc_stream streams[2] = { { 1 }, { 2 } };
FILE *stdout = &streams[0], *stderr = &streams[1];

static uint32_t low(const void *p) { return (uint32_t)(uintptr_t)p; }

long write(int fd, const void *bytes, size_t n) {
    static unsigned char bounce[LINE_BYTES];
    static uint32_t iov[2], written;
    size_t done = 0;
    while (done < n) {
        const unsigned char *from = (const unsigned char *)bytes + done;
        size_t chunk = n - done;
        if ((uintptr_t)from + chunk > UINT32_MAX) {
            chunk = chunk < sizeof bounce ? chunk : sizeof bounce;
            memcpy(bounce, from, chunk);
            from = bounce;
        }
        iov[0] = low(from);
        iov[1] = (uint32_t)chunk;
        if (wasi_fd_write(fd, low(iov), 1, low(&written)) != 0) return -1;
        done += written;
    }
    return (long)done;
}

__wasi_errno_t __wasi_random_get(uint8_t *buf, size_t len) {
    static uint8_t bytes[256];
    if (len > sizeof bytes) return EINVAL;
    int32_t result = wasi_random_get(low(bytes), (uint32_t)len);
    memcpy(buf, bytes, len);
    return (__wasi_errno_t)result;
}

_Noreturn void exit(int status) { wasi_proc_exit(status); }
_Noreturn void abort(void) { __builtin_trap(); }

int main(int argc, char **argv);

/* The program's entry: the arguments from the host (32-bit offsets into `text`), then main. */
__attribute__((export_name("_start"))) void _start(void) {
    static uint32_t count, bytes, offsets[MAX_ARGS];
    static char text[ARG_BYTES];
    static char *argv[MAX_ARGS + 1];
    if (wasi_args_sizes_get(low(&count), low(&bytes)) != 0 || count > MAX_ARGS || bytes > ARG_BYTES ||
        wasi_args_get(low(offsets), low(text)) != 0)
        exit(2);
    for (uint32_t i = 0; i < count; i++) argv[i] = (char *)(uintptr_t)offsets[i];
    exit(main((int)count, argv));
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
    __builtin_memcpy(dst, src, n);
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    __builtin_memmove(dst, src, n);
    return dst;
}

void *memset(void *dst, int byte, size_t n) {
    __builtin_memset(dst, byte, n);
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return x[i] - y[i];
    return 0;
}

int strcmp(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

char *strcpy(char *restrict dst, const char *restrict src) {
    return memcpy(dst, src, strlen(src) + 1);
}

/* Decimal only, which is all the tests parse. */
unsigned long long strtoull(const char *text, char **end, int base) {
    unsigned long long value = 0;
    while (base == 10 && *text >= '0' && *text <= '9') value = value * 10 + (unsigned long long)(*text++ - '0');
    if (end) *end = (char *)(uintptr_t)text;
    return value;
}

unsigned long strtoul(const char *text, char **end, int base) { return strtoull(text, end, base); }

static void swap(unsigned char *a, unsigned char *b, size_t size) {
    for (size_t i = 0; i < size; i++) {
        unsigned char t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

/* Heapsort: O(n log n) without recursion or memory. */
static void sift_down(unsigned char *base, size_t root, size_t count, size_t size,
                      int (*compare)(const void *, const void *)) {
    for (size_t child; (child = 2 * root + 1) < count; root = child) {
        if (child + 1 < count && compare(base + child * size, base + (child + 1) * size) < 0) child++;
        if (compare(base + root * size, base + child * size) >= 0) return;
        swap(base + root * size, base + child * size, size);
    }
}

void qsort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *)) {
    unsigned char *b = base;
    for (size_t i = count / 2; i-- > 0;) sift_down(b, i, count, size, compare);
    for (size_t end = count; end-- > 1;) {
        swap(b, b + end * size, size);
        sift_down(b, 0, end, size, compare);
    }
}

/* printf's formats: flags 0 and -, a width, the length modifiers l, ll and z, and the
 * conversions d i u x s c p %, what the tests print with. */
struct line {
    char text[LINE_BYTES];
    size_t length;
    int fd;
};

static void put(struct line *l, char c) {
    if (l->length == sizeof l->text) {
        write(l->fd, l->text, l->length);
        l->length = 0;
    }
    l->text[l->length++] = c;
}

static void put_padded(struct line *l, const char *s, size_t n, int width, char pad, int left) {
    for (int i = (int)n; !left && i < width; i++) put(l, pad);
    for (size_t i = 0; i < n; i++) put(l, s[i]);
    for (int i = (int)n; left && i < width; i++) put(l, ' ');
}

static int format(int fd, const char *f, va_list ap) {
    struct line l = { .length = 0, .fd = fd };
    size_t total = 0;
    for (; *f; f++) {
        if (*f != '%') {
            put(&l, *f);
            total++;
            continue;
        }
        f++;
        int left = 0, width = 0, longs = 0, sized = 0;
        char pad = ' ';
        for (; *f == '-' || *f == '0'; f++) {
            if (*f == '-') left = 1;
            else pad = '0';
        }
        while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
        for (; *f == 'l' || *f == 'z'; f++) {
            if (*f == 'l') longs++;
            else sized = 1;
        }
        char digits[24];
        const char *end = digits + sizeof digits, *at = end;
        if (*f == 's') {
            at = va_arg(ap, const char *);
            end = at + strlen(at);
        } else if (*f == 'c' || *f == '%') {
            digits[0] = *f == 'c' ? (char)va_arg(ap, int) : '%';
            at = digits;
            end = digits + 1;
        } else {
            unsigned base = *f == 'x' || *f == 'p' ? 16 : 10;
            unsigned long long v;
            int negative = 0;
            if (*f == 'p') v = (uintptr_t)va_arg(ap, void *);
            else if (sized) v = va_arg(ap, size_t);
            else if (*f == 'd' || *f == 'i') {
                long long s = longs > 1 ? va_arg(ap, long long) : longs ? va_arg(ap, long) : va_arg(ap, int);
                negative = s < 0;
                v = negative ? 0ull - (unsigned long long)s : (unsigned long long)s;
            } else v = longs > 1 ? va_arg(ap, unsigned long long) : longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            char *digit = digits + sizeof digits;
            do *--digit = "0123456789abcdef"[v % base]; while (v /= base);
            if (*f == 'p') *--digit = 'x', *--digit = '0';
            if (negative) *--digit = '-';
            at = digit;
        }
        if (!*f) break;
        size_t n = (size_t)(end - at);
        put_padded(&l, at, n, width, pad, left);
        total += n > (size_t)width ? n : (size_t)width;
    }
    if (l.length) write(fd, l.text, l.length);
    return (int)total;
}

int printf(const char *f, ...) {
    va_list ap;
    va_start(ap, f);
    int n = format(1, f, ap);
    va_end(ap);
    return n;
}

int fprintf(FILE *stream, const char *f, ...) {
    va_list ap;
    va_start(ap, f);
    int n = format(stream->fd, f, ap);
    va_end(ap);
    return n;
}

/* clang turns printf("text\n") and printf("c") into these. */
int puts(const char *s) {
    size_t n = strlen(s);
    if (write(1, s, n) < 0 || write(1, "\n", 1) < 0) return -1;
    return (int)n + 1;
}

int putchar(int c) {
    unsigned char byte = (unsigned char)c;
    return write(1, &byte, 1) == 1 ? c : -1;
}

int fflush(FILE *stream) {
    (void)stream;
    return 0;
}
