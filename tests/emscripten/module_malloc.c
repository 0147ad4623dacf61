/* A module with no main: JavaScript calls Module._malloc and Module._free (module_malloc.mjs),
 * and reads walloc's view of the heap through these. */
#include <emscripten.h>
#include "walloc.h"

EMSCRIPTEN_KEEPALIVE int heap_check(void) { return walloc_check(); }
EMSCRIPTEN_KEEPALIVE size_t usable_size(void *p) { return malloc_usable_size(p); }
