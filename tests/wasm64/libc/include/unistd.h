/* unistd.h of the wasm64 test libc: write, which walloc's reports go through. */
#ifndef WALLOC_W64LIBC_UNISTD_H
#define WALLOC_W64LIBC_UNISTD_H

#include <stddef.h>

long write(int fd, const void *bytes, size_t n);

#endif
