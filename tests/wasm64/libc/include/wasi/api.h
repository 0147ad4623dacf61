/* wasi/api.h of the wasm64 test libc: the one WASI call walloc's platform layer makes itself
 * (the secure build's seed). */
#ifndef WALLOC_W64LIBC_WASI_API_H
#define WALLOC_W64LIBC_WASI_API_H

#include <stddef.h>
#include <stdint.h>

typedef uint16_t __wasi_errno_t;
__wasi_errno_t __wasi_random_get(uint8_t *buf, size_t len);

#endif
