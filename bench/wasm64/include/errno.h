/* errno.h of the freestanding benchmark shim, for bench/floor.c: WASI's numbers, as walloc's
 * freestanding build uses them. */
#ifndef WALLOC_BENCH_ERRNO_H
#define WALLOC_BENCH_ERRNO_H

extern int errno;
#define EINVAL 28
#define ENOMEM 48

#endif
