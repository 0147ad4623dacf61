/* report.c - fatal reports and walloc_last_error. The message is built by hand (no printf):
 * the freestanding build has none, and a heap that just found itself corrupt should not call
 * into code that may allocate. Everything here runs once, at the end, so it is compiled for
 * size (WL_COLD). */
#include "walloc.h"
#include "platform.h"
#include "report.h"

WL_STATE static char last_error[160];

static WL_COLD size_t append(size_t at, const char *text) {
    while (*text && at < sizeof last_error - 2) last_error[at++] = *text++;
    return at;
}

static WL_COLD size_t append_hex(size_t at, uintptr_t value) {
    char digits[2 * sizeof value];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[value & 15];
        value >>= 4;
    } while (value);
    at = append(at, "0x");
    while (n && at < sizeof last_error - 2) last_error[at++] = digits[--n];
    return at;
}

static WL_COLD void publish(size_t at) {
    last_error[at] = '\n';
    wl_platform_write_error(last_error, at + 1);
    last_error[at] = '\0';
}

/* Once a fatal report is out (platform.h: what threads waiting for the lock do then). */
WL_STATE int wl_reported;

/* `walloc: <what><joint>0x<ptr><tail>`, then the trap. In the threads build several threads can
 * find misuse at once (a block freed by two of them): the first one's report is the one kept,
 * and the others wait until it is out (natively their abort would end the process before it)
 * and trap without writing over it. */
_Noreturn static WL_COLD void fatal(const char *what, const char *joint, const void *ptr, const char *tail) {
    WL_STATE static int reporting;
    if (WL_THREADED && __atomic_exchange_n(&reporting, 1, __ATOMIC_ACQ_REL)) {
        while (!__atomic_load_n(&wl_reported, __ATOMIC_ACQUIRE)) {
        }
        wl_platform_trap();
    }
    size_t at = append(0, "walloc: ");
    at = append(at, what);
    at = append(at, joint);
    publish(append(append_hex(at, (uintptr_t)ptr), tail));
    __atomic_store_n(&wl_reported, 1, __ATOMIC_RELEASE);
    wl_platform_trap();
}

_Noreturn void wl_fatal(const char *what, const void *ptr) { fatal(what, " of ", ptr, ""); }

_Noreturn void wl_fatal_overflow(const void *ptr) {
    fatal("heap overflow", " past ", ptr, " (canary)");
}

int wl_check_failed(int code, const char *what, wl_off where) {
    size_t at = append(0, "walloc: heap check failed: ");
    at = append(at, what);
    at = append(at, " at ");
    publish(append_hex(at, (uintptr_t)wl_ptr_of(where)));
    return code;
}

const char *walloc_last_error(void) { return last_error; }
