/* sizes.h - byte units shared by the walloc tests. */
#ifndef WALLOC_TESTS_SIZES_H
#define WALLOC_TESTS_SIZES_H

#include <stddef.h>

#define KiB ((size_t)1024)
#define MiB (1024 * KiB)

#endif
