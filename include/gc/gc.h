/* <gc/gc.h>, as bdwgc installs it: the same header as <gc.h>. */
#include "../gc.h"
