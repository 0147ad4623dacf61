/* dlmalloc-lock.h - how the threads benchmark builds its global-lock peer: emscripten's copy of
 * dlmalloc (system/lib/dlmalloc.c, from the Debian package, never committed) for freestanding
 * wasm32 with its own spin lock around every call (USE_LOCKS, USE_SPIN_LOCKS: what wasi-libc's
 * dlmalloc does under threads). Force-included before dlmalloc.c; dlmalloc-lock.c supplies the
 * few functions it needs from a libc. */
#include <stddef.h>
#include <stdint.h>
#define LACKS_UNISTD_H 1
#define LACKS_FCNTL_H 1
#define LACKS_SYS_PARAM_H 1
#define LACKS_SYS_MMAN_H 1
#define LACKS_STRINGS_H 1
#define LACKS_STRING_H 1
#define LACKS_SYS_TYPES_H 1
#define LACKS_ERRNO_H 1
#define LACKS_STDLIB_H 1
#define LACKS_SCHED_H 1
#define LACKS_TIME_H 1
#define HAVE_MMAP 0
#define HAVE_MREMAP 0
#define NO_MALLOC_STATS 1
#define USE_LOCKS 1
#define USE_SPIN_LOCKS 1
#define MORECORE peer_sbrk
#define MORECORE_CONTIGUOUS 1
#define MALLOC_FAILURE_ACTION
#define ABORT __builtin_trap()
#define ENOMEM 48
#define EINVAL 28
typedef long ssize_t;
void *peer_sbrk(intptr_t increment);
void *memset(void *to, int byte, size_t bytes);
void *memcpy(void *to, const void *from, size_t bytes);
int sched_yield(void);
