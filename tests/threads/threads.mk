# threads.mk - tests of the threads build (src/threads.h), included by the Makefile.
#
#   make test-threads          the scenarios of tests/threads/scenarios.c natively on pthreads
#                              under ThreadSanitizer, then on wasm in node worker_threads
#   make test-threads-browser  the wasm test with Web Workers in Chromium and Firefox
#
# The same C scenarios run everywhere: churn, exchange (blocks handed between threads), tiers
# (concurrent bumps), exit; then a double free from every thread at once.

THREADS_TEST_WASM := build/wasm32-threads/tests/test_threads.wasm
THREADS_TEST_NATIVE := build/native-tsan/tests/test_threads
THREADS_TEST_SRCS := tests/threads/scenarios.c tests/threads/scenarios.h js/thread_start.h
# A module for --shared-memory: every thread instantiates it on the one imported memory, and the
# host sets each instance's stack pointer (tests/threads/wasm.c says how).
THREADS_LINK := -Wl,--no-entry -Wl,--shared-memory -Wl,--import-memory -Wl,--max-memory=268435456 \
	-Wl,--export=__stack_pointer

$(THREADS_TEST_WASM): tests/threads/wasm.c $(THREADS_TEST_SRCS) $(THREADS_LIB) include/walloc.h
	@mkdir -p $(@D)
	$(CLANG) $(THREADS_FLAGS) -Itests/threads $(THREADS_LINK) tests/threads/wasm.c tests/threads/scenarios.c \
		$(THREADS_LIB) -o $@

$(THREADS_TEST_NATIVE): tests/threads/native.c $(THREADS_TEST_SRCS) $(TSAN_LIB) include/walloc.h
	@mkdir -p $(@D)
	$(CC_NATIVE) -O1 -gdwarf-4 -fsanitize=thread -DWALLOC_THREADS -Wall -Wextra -Werror -Iinclude -Itests/threads \
		tests/threads/native.c tests/threads/scenarios.c $(TSAN_LIB) -lpthread -o $@

.PHONY: test-threads test-threads-browser
test-threads: $(THREADS_TEST_NATIVE) $(THREADS_TEST_WASM)
	TSAN_OPTIONS=halt_on_error=1 $(THREADS_TEST_NATIVE)
	$(NODE) tests/threads/run.mjs $(THREADS_TEST_WASM)

test-threads-browser: $(THREADS_TEST_WASM) $(JS_NODE_MODULES) | $(DEPS)
	$(NODE) tests/threads/browser.mjs chromium
	$(NODE) tests/threads/browser.mjs firefox

test:: test-threads test-threads-browser
