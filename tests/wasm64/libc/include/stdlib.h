/* stdlib.h of the wasm64 test libc: the malloc family is walloc's (walloc.h declares the
 * standard names on wasm); the rest is the libc's. */
#ifndef WALLOC_W64LIBC_STDLIB_H
#define WALLOC_W64LIBC_STDLIB_H

#include <stddef.h>
#include "walloc.h"

_Noreturn void exit(int status);
_Noreturn void abort(void);
unsigned long strtoul(const char *text, char **end, int base);
unsigned long long strtoull(const char *text, char **end, int base);
void qsort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *));

#endif
