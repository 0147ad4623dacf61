/* inttypes.h of the wasm64 test libc: the format macros the tests print with, as clang
 * defines them for the target. */
#ifndef WALLOC_W64LIBC_INTTYPES_H
#define WALLOC_W64LIBC_INTTYPES_H

#include <stdint.h>

#define PRIu64 __UINT64_FMTu__
#define PRIxPTR __UINTPTR_FMTx__

#endif
