/* report.h - how walloc tells the program what went wrong. */
#ifndef WALLOC_REPORT_H
#define WALLOC_REPORT_H

#include "types.h"

/* Reports `walloc: <what> of 0x<ptr>` on stderr and in walloc_last_error(), then traps. */
_Noreturn void wl_fatal(const char *what, const void *ptr);

/* Reports `walloc: heap overflow past 0x<ptr> (canary)` for the block at `ptr`, then traps. */
_Noreturn void wl_fatal_overflow(const void *ptr);

/* Records `walloc: heap check failed: <what> at 0x<where>`, writes it to stderr and returns
 * `code` (negative), for walloc_check. */
int wl_check_failed(int code, const char *what, wl_off where);

#endif
