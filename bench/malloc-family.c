/* The code-size module has no code of its own: bench.mk links it with --no-entry and exports
 * the whole malloc family, so the module holds exactly what an allocator needs to provide
 * them. Built once with walloc and once with wasi-libc's dlmalloc. */
