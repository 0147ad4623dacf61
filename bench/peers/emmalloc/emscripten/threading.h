/* Stand-in for emscripten/threading.h. emmalloc includes it for its pthread build only; the
 * benchmark build is single-threaded (no __EMSCRIPTEN_PTHREADS__), so nothing is needed. */
