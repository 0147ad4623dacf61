# emscripten.mk - walloc for emscripten (Debian's emcc 3.1.6): build/emscripten/libwalloc.a,
# libwalloc-secure.a and the threads build, and their tests under node. Included by the top
# Makefile.
#
#   make emscripten        the three libraries
#   make test-emscripten   test_api, test_death (every scenario through tests/death.sh, the
#                          trap mapped to an abort by run.mjs) and test_stress (on both
#                          libraries, as tests/secure.mk picks it) linked with -sMALLOC=none,
#                          a C++ program (containers, strings, new/delete) and Module._malloc
#                          from JavaScript; part of `make test`
#   make test-emscripten-threads
#                          the threads build (build/emscripten-threads/libwalloc.a, compiled
#                          with -pthread -DWALLOC_THREADS) under emscripten's pthreads: pthreads
#                          that end with full caches, the scenarios of tests/threads on 1, 2 and
#                          4 pthreads, the double-free race through tests/death.sh, and C++
#                          threads (std::thread, containers, new and delete across threads);
#                          part of `make test`
#
# A program links walloc instead of emscripten's dlmalloc with
#   emcc ... -sMALLOC=none -sALLOW_MEMORY_GROWTH=1 build/emscripten/libwalloc.a
# and, with threads, compiles and links with -pthread -DWALLOC_THREADS and
# build/emscripten-threads/libwalloc.a (a pthread gives its cache back as it ends, by itself).
# (README, "emscripten"). Debian's emcc needs NODE_PATH=/usr/share/nodejs under this node, and
# the JavaScript it writes reads the .wasm with fetch() under node 18+ unless linked with
# -sWASM_ASYNC_COMPILATION=0.

EMCC := NODE_PATH=/usr/share/nodejs emcc
EMXX := NODE_PATH=/usr/share/nodejs em++
EM_LIB := build/emscripten/libwalloc.a
EM_SECURE_LIB := build/emscripten/libwalloc-secure.a
EM_DIR := build/emscripten/tests
EM_LINK := -O2 -Wall -Wextra -Werror -Iinclude -Itests -sMALLOC=none -sALLOW_MEMORY_GROWTH=1 \
  -sMAXIMUM_MEMORY=4GB -sWASM_ASYNC_COMPILATION=0 -sENVIRONMENT=node
# emcc is installed by scripts/install-deps when a target here needs it.
EM_TOOL := $(if $(shell command -v emcc),,em-deps)

$(eval $(call lib_rule,build/emscripten,$(EMCC) -O2 -Wall -Wextra -Werror -Iinclude,$(EM_LIB)))
$(eval $(call lib_rule,build/emscripten/secure,$(EMCC) -O2 -Wall -Wextra -Werror -Iinclude -DWALLOC_SECURE,$(EM_SECURE_LIB)))
# The threads build for emscripten's -pthread. Its program links it the same way, compiled and
# linked with -pthread -DWALLOC_THREADS; src/platform.c then also supplies the
# emscripten_builtin_ functions through which emscripten's runtime allocates each thread.
EM_THREADS_LIB := build/emscripten-threads/libwalloc.a
$(eval $(call lib_rule,build/emscripten-threads,$(EMCC) -pthread -DWALLOC_THREADS -O2 -Wall -Wextra -Werror -Iinclude,$(EM_THREADS_LIB)))
$(patsubst src/%.c,build/emscripten/%.o,$(SRCS)) $(patsubst src/%.c,build/emscripten/secure/%.o,$(SRCS)) \
  $(patsubst src/%.c,build/emscripten-threads/%.o,$(SRCS)): | $(EM_TOOL)

.PHONY: emscripten test-emscripten test-emscripten-threads em-deps
emscripten: $(EM_LIB) $(EM_SECURE_LIB) $(EM_THREADS_LIB)
em-deps:
	bash scripts/install-deps

$(EM_DIR)/test_%.js: tests/test_%.c $(TEST_HDRS) $(EM_LIB)
	@mkdir -p $(@D)
	$(EMCC) $(EM_LINK) $< $(EM_LIB) -o $@
$(EM_DIR)/secure_test_stress.js: tests/test_stress.c $(TEST_HDRS) $(EM_SECURE_LIB)
	@mkdir -p $(@D)
	$(EMCC) $(EM_LINK) -DWALLOC_SECURE $< $(EM_SECURE_LIB) -o $@
$(EM_DIR)/cpp_test.js: tests/emscripten/cpp_test.cpp include/walloc.h $(EM_LIB)
	@mkdir -p $(@D)
	$(EMXX) $(EM_LINK) $< $(EM_LIB) -o $@
$(EM_DIR)/module_malloc.js: tests/emscripten/module_malloc.c include/walloc.h $(EM_LIB)
	@mkdir -p $(@D)
	$(EMCC) $(EM_LINK) --no-entry -sEXPORTED_FUNCTIONS=_malloc,_free $< $(EM_LIB) -o $@

EM_TESTS := $(EM_DIR)/test_api.js $(EM_DIR)/test_death.js $(EM_DIR)/test_stress.js $(EM_DIR)/secure_test_stress.js \
  $(EM_DIR)/cpp_test.js $(EM_DIR)/module_malloc.js

test-emscripten: $(EM_TESTS)
	$(NODE) $(EM_DIR)/test_api.js
	sh tests/death.sh $(NODE) tests/emscripten/run.mjs $(EM_DIR)/test_death.js
	$(NODE) $(EM_DIR)/test_stress.js 2 100000 2000
	$(NODE) $(EM_DIR)/secure_test_stress.js 3 100000 2000
	$(NODE) $(EM_DIR)/cpp_test.js
	$(NODE) tests/emscripten/module_malloc.mjs $(EM_DIR)/module_malloc.js

test:: test-emscripten

EM_THREADS_DIR := build/emscripten-threads/tests
# Four workers started with the program, as many pthreads as a scenario runs at once (more would
# be started on demand, which a pthread_create on the main thread cannot wait for). The runtime
# exits when main returns, or node would wait on the idle workers.
# Memory is 64 MiB from the start and does not grow (the tests peak near 33 MiB): in node 20 a
# worker sees another thread's memory.grow late, and until then its accesses to the new memory
# trap as out of bounds (V8; memory.grow(0) on that thread makes it catch up). A block one
# thread took from memory it just grew, used at once by another, then kills the test at random;
# without growth a test that needs more memory fails with ENOMEM instead.
EM_THREADS_LINK := -O2 -Wall -Wextra -Werror -Iinclude -Itests -sMALLOC=none -sINITIAL_MEMORY=64MB \
  -sWASM_ASYNC_COMPILATION=0 -sENVIRONMENT=node -pthread -DWALLOC_THREADS -sPTHREAD_POOL_SIZE=4 -sEXIT_RUNTIME=1

$(EM_THREADS_DIR)/threads.js: tests/emscripten/threads.c tests/emscripten/crew.h $(THREADS_TEST_SRCS) include/walloc.h $(EM_THREADS_LIB) tests/emscripten/emscripten.mk
	@mkdir -p $(@D)
	$(EMCC) $(EM_THREADS_LINK) -Itests/threads $< tests/threads/scenarios.c $(EM_THREADS_LIB) -o $@
$(EM_THREADS_DIR)/threads_cpp.js: tests/emscripten/threads_cpp.cpp include/walloc.h $(EM_THREADS_LIB) tests/emscripten/emscripten.mk
	@mkdir -p $(@D)
	$(EMXX) $(EM_THREADS_LINK) $< $(EM_THREADS_LIB) -o $@

# A broken thread cache tends to hang (a thread waiting on one that trapped, a cycle in the list
# of threads) rather than fail: each run gets two minutes, about fifty times what it takes.
test-emscripten-threads: $(EM_THREADS_DIR)/threads.js $(EM_THREADS_DIR)/threads_cpp.js
	timeout 120 $(NODE) $(EM_THREADS_DIR)/threads.js
	sh tests/death.sh timeout 120 $(NODE) tests/emscripten/run.mjs $(EM_THREADS_DIR)/threads.js
	timeout 120 $(NODE) $(EM_THREADS_DIR)/threads_cpp.js

test:: test-emscripten-threads
