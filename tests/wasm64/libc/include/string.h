/* string.h of the wasm64 test libc. */
#ifndef WALLOC_W64LIBC_STRING_H
#define WALLOC_W64LIBC_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int byte, size_t n);
int memcmp(const void *a, const void *b, size_t n);
int strcmp(const char *a, const char *b);
size_t strlen(const char *s);
char *strcpy(char *restrict dst, const char *restrict src);

#endif
