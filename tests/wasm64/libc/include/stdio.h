/* stdio.h of the wasm64 test libc: formatted output straight to WASI's fd_write. */
#ifndef WALLOC_W64LIBC_STDIO_H
#define WALLOC_W64LIBC_STDIO_H

typedef struct w64libc_stream FILE;
extern FILE *stdout, *stderr;

int printf(const char *format, ...);
int fprintf(FILE *stream, const char *format, ...);
int puts(const char *s);
int putchar(int c);
int fflush(FILE *stream);

#endif
