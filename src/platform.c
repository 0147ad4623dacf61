/* platform.c - linear memory, errno and the error channel for each platform, and the fault
 * injection hook that makes memory.grow fail on demand. */
#if !defined(__wasm__)
#define _GNU_SOURCE /* pthread_getattr_np, for the bounds of the stack the collector scans */
#endif
#include "walloc.h"
#include "platform.h"

#if defined(__wasm__)

extern unsigned char __heap_base, __global_base, __data_end;

wl_off wl_platform_init(void) { return (wl_off)&__heap_base; }

void wl_platform_data_range(uintptr_t *low, uintptr_t *high) {
    *low = (uintptr_t)&__global_base;
    *high = (uintptr_t)&__data_end;
}

/* wasm-ld puts the stack after the data (its top is __heap_base) or, with --stack-first,
 * below it (its top is __global_base): the stack pointer says which. */
void wl_platform_scan_stack(void (*scan)(uintptr_t low, uintptr_t high)) {
    volatile uintptr_t here = 0;
    uintptr_t sp = (uintptr_t)&here;
    uintptr_t top = sp < (uintptr_t)&__global_base ? (uintptr_t)&__global_base : (uintptr_t)&__heap_base;
    scan(sp, top);
}

uint32_t wl_platform_memory_pages(void) { return (uint32_t)__builtin_wasm_memory_size(0); }

#if defined(__EMSCRIPTEN__)
/* emscripten's JavaScript keeps typed-array views of memory that a grow detaches: its own call
 * makes new ones, or the next memcpy or stdio call from JavaScript would throw. */
extern void emscripten_notify_memory_growth(size_t memory_index);
#endif

static int64_t engine_grow(uint32_t pages) {
    size_t old = __builtin_wasm_memory_grow(0, pages);
    if (old == (size_t)-1) return -1;
#if defined(__EMSCRIPTEN__)
    emscripten_notify_memory_growth(0);
#endif
    return (int64_t)old;
}

_Noreturn void wl_platform_trap(void) { __builtin_trap(); }

#if defined(WALLOC_FREESTANDING)

int wl_platform_random(void *out, size_t bytes) {
    (void)out, (void)bytes;
    return 0;
}
void wl_platform_set_errno(int code) { (void)code; }
void wl_platform_write_error(const char *text, size_t length) { (void)text; (void)length; }

#else

#include <errno.h>
#include <unistd.h>
#if !defined(__EMSCRIPTEN__)
#include <wasi/api.h>
#endif

int wl_platform_random(void *out, size_t bytes) {
#if defined(__EMSCRIPTEN__)
    return getentropy(out, bytes) == 0;
#else
    return __wasi_random_get(out, bytes) == 0;
#endif
}
void wl_platform_set_errno(int code) { errno = code; }
void wl_platform_write_error(const char *text, size_t length) { (void)!write(2, text, length); }

#endif

#else /* native */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The emulated memory starts with one page of pretend static data, and __heap_base sits at an
 * odd offset inside the second page so that rounding up to a slice is exercised natively too.
 * The initial memory above __heap_base holds garbage, as a memory a host hands in may: the
 * native tests then check that walloc trusts only memory it grew itself to be zero. */
#define NATIVE_HEAP_BASE ((wl_off)WL_WASM_PAGE_SIZE + 0x1230)
#define NATIVE_INITIAL_PAGES 2u
#define NATIVE_GARBAGE 0xa5

WL_STATE static uint32_t native_pages;
WL_STATE static void *native_region;

/* Offsets, not addresses, must carry alignment (on wasm they are the same), so the region is
 * placed on a 2 GiB boundary, the largest alignment walloc serves: 6 GiB are reserved, which
 * costs address space only. */
#define NATIVE_ALIGNMENT ((uint64_t)1 << 31)

uint32_t wl_platform_memory_pages(void) { return native_pages; }

WL_STATE wl_off wl_memory_base;

static int64_t engine_grow(uint32_t pages) {
    uint64_t old = native_pages;
    if (old + pages > (WL_MAX_MEMORY / WL_WASM_PAGE_SIZE)) return -1;
    void *at = (void *)(wl_memory_base + old * WL_WASM_PAGE_SIZE);
    if (pages && mprotect(at, (size_t)pages * WL_WASM_PAGE_SIZE, PROT_READ | PROT_WRITE) != 0)
        return -1;
    native_pages = (uint32_t)(old + pages);
    return (int64_t)old;
}

wl_off wl_platform_init(void) {
    void *region = mmap(NULL, (size_t)(WL_MAX_MEMORY + NATIVE_ALIGNMENT), PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED) {
        static const char msg[] = "walloc: cannot reserve the emulated linear memory\n";
        wl_platform_write_error(msg, sizeof msg - 1);
        abort();
    }
    native_region = region;
    wl_memory_base = ((wl_off)region + NATIVE_ALIGNMENT - 1) & ~(wl_off)(NATIVE_ALIGNMENT - 1);
    native_pages = 0;
    if (engine_grow(NATIVE_INITIAL_PAGES) < 0) abort();
    __builtin_memset(wl_ptr_of(NATIVE_HEAP_BASE), NATIVE_GARBAGE,
                     NATIVE_INITIAL_PAGES * WL_WASM_PAGE_SIZE - NATIVE_HEAP_BASE);
    return NATIVE_HEAP_BASE;
}

void wl_platform_release(void) {
    munmap(native_region, (size_t)(WL_MAX_MEMORY + NATIVE_ALIGNMENT));
    native_region = NULL;
    native_pages = 0;
}

extern char __data_start, _end;

void wl_platform_data_range(uintptr_t *low, uintptr_t *high) {
    *low = (uintptr_t)&__data_start;
    *high = (uintptr_t)&_end;
}

void wl_platform_scan_stack(void (*scan)(uintptr_t low, uintptr_t high)) {
    jmp_buf registers; /* callee-saved registers land here, inside the range scanned */
    setjmp(registers);
    pthread_attr_t attr;
    void *base = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstack(&attr, &base, &size);
        pthread_attr_destroy(&attr);
    }
    uintptr_t low = (uintptr_t)&registers, high = (uintptr_t)base + size;
    if (high > low) scan(low, high);
}

int wl_platform_random(void *out, size_t bytes) { return getentropy(out, bytes) == 0; }
void wl_platform_set_errno(int code) { errno = code; }
void wl_platform_write_error(const char *text, size_t length) { (void)!write(2, text, length); }
_Noreturn void wl_platform_trap(void) { abort(); }

#endif

#if defined(WALLOC_THREADS)
WL_STATE int wl_lock_word;

/* A spinner's pause: natively every 64th call gives the processor away, so that a holder
 * descheduled on a busy machine gets to run; wasm has no such call and spins. */
void wl_platform_pause(void) {
#if !defined(__wasm__)
    static _Thread_local unsigned spins;
    if (++spins % 64 == 0) sched_yield();
#endif
}

#if defined(__wasm__)
void wl_platform_on_thread_exit(void (*fn)(void)) { (void)fn; }
#else
WL_STATE static pthread_key_t exit_key;
WL_STATE static int exit_key_made;
WL_STATE static void (*exit_hook)(void);

static void thread_exits(void *value) {
    (void)value;
    exit_hook();
}

/* Called under walloc's lock, so the key is made once. A non-NULL value is what makes the
 * destructor run. */
void wl_platform_on_thread_exit(void (*fn)(void)) {
    if (!exit_key_made) {
        exit_hook = fn;
        exit_key_made = pthread_key_create(&exit_key, thread_exits) == 0;
    }
    if (exit_key_made) pthread_setspecific(exit_key, &exit_key);
}
#endif

#if defined(__EMSCRIPTEN__)
#include <pthread.h>

/* emscripten's runtime (-pthread) allocates and frees each thread's thread-local block, key
 * array, stack and descriptor through these three, which its own allocators define and a
 * program linked with -sMALLOC=none must. emscripten 3.1.6 ends a thread by freeing, on that
 * thread, its thread-local block, where wl_self lives, and then its key array: a small block,
 * which free would cache in wl_self, enrolling the thread again inside freed memory. So the
 * first of these frees is the thread's exit: its cache goes back (walloc_thread_exit) and its
 * thread-local block is held instead of freed. Every later free on the thread ends with
 * walloc_thread_exit again, and the block is freed with the thread's descriptor, which the main
 * thread frees (_emscripten_thread_free_data) once the thread runs no more code. */
struct held_tls {
    void *thread, *block;
    struct held_tls *next;
};
static _Thread_local struct held_tls held;      /* inside the block it describes */
WL_STATE static struct held_tls *held_blocks;   /* under the lock */

void *emscripten_builtin_malloc(size_t size) { return walloc_malloc(size); }
void *emscripten_builtin_memalign(size_t alignment, size_t size) { return walloc_memalign(alignment, size); }

void emscripten_builtin_free(void *p) {
    if (p && p == __builtin_wasm_tls_base()) {
        walloc_thread_exit();
        held = (struct held_tls){ pthread_self(), p, NULL };
        wl_lock();
        held.next = held_blocks;
        held_blocks = &held;
        wl_unlock();
        return;
    }
    void *block = NULL;
    wl_lock();
    for (struct held_tls **h = &held_blocks; *h; h = &(*h)->next)
        if ((*h)->thread == p) {
            block = (*h)->block;
            *h = (*h)->next;
            break;
        }
    wl_unlock();
    walloc_free(block);
    walloc_free(p);
    if (held.block) walloc_thread_exit();
}
#endif
#endif

/* Fault injection (walloc_test_fail_grow_after): calls still allowed, then calls to refuse. */
WL_STATE static size_t grow_allowed = SIZE_MAX;
WL_STATE static size_t grow_refusals;
WL_STATE static size_t grow_refused;

int64_t wl_platform_grow(uint32_t pages) {
    if (grow_allowed) {
        if (grow_allowed != SIZE_MAX) grow_allowed--;
        return engine_grow(pages);
    }
    if (!grow_refusals) {
        grow_allowed = SIZE_MAX;
        return engine_grow(pages);
    }
    if (grow_refusals != SIZE_MAX) grow_refusals--;
    grow_refused++;
    return -1;
}

size_t walloc_test_fail_grow_after(size_t allowed, size_t refused) {
    size_t previous = grow_refused;
    grow_allowed = allowed;
    grow_refusals = refused;
    grow_refused = 0;
    return previous;
}
