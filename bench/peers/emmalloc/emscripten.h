/* Stand-in for emscripten.h, enough to compile emscripten's emmalloc.c for wasm32-wasi in the
 * benchmarks. The only things emmalloc takes from it are the EM_ASM console logging of its
 * verbose and debug-dump paths, which have no host to run in under WASI and become no-ops. */
#ifndef BENCH_EMSCRIPTEN_SHIM_H
#define BENCH_EMSCRIPTEN_SHIM_H

#define EM_ASM(...) ((void)0)
#define MAIN_THREAD_ASYNC_EM_ASM(...) ((void)0)

#endif
