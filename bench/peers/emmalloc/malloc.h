/* wasi-libc's malloc.h lacks struct mallinfo, which emmalloc fills in for mallinfo(). This
 * adds the classic field layout (as in glibc and emscripten) on top of the real header. */
#ifndef BENCH_MALLOC_SHIM_H
#define BENCH_MALLOC_SHIM_H

#include_next <malloc.h>

struct mallinfo {
    int arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};

#endif
