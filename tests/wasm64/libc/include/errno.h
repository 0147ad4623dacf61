/* errno.h of the wasm64 test libc (tests/wasm64/libc/libc.c): WASI's numbers. */
#ifndef WALLOC_W64LIBC_ERRNO_H
#define WALLOC_W64LIBC_ERRNO_H

extern int errno;
#define EINVAL 28
#define ENOMEM 48

#endif
