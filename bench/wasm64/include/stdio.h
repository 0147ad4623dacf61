/* stdio.h of the freestanding benchmark shim (bench/wasm64/shim.c): what the synthetic
 * workloads print with, for wasm32 and wasm64 alike. Output goes to a buffer the host reads. */
#ifndef WALLOC_BENCH_STDIO_H
#define WALLOC_BENCH_STDIO_H

typedef struct shim_stream FILE;
extern FILE *stdout, *stderr;

int printf(const char *format, ...);
int fprintf(FILE *stream, const char *format, ...);

#endif
