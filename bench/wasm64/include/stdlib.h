/* stdlib.h of the freestanding benchmark shim: the malloc family is walloc's (include/walloc.h
 * declares it on wasm), exit and strtol are the shim's. */
#ifndef WALLOC_BENCH_STDLIB_H
#define WALLOC_BENCH_STDLIB_H

#include <stddef.h>
#include "walloc.h"

_Noreturn void exit(int status);
long strtol(const char *text, char **end, int base);

#endif
