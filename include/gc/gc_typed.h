/* <gc/gc_typed.h>, as bdwgc installs it: the same header as <gc_typed.h>. */
#include "../gc_typed.h"
