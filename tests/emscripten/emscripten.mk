# emscripten.mk - walloc for emscripten (Debian's emcc 3.1.6): build/emscripten/libwalloc.a and
# libwalloc-secure.a, and their tests under node. Included by the top Makefile.
#
#   make emscripten        the two libraries
#   make test-emscripten   test_api, test_death (every scenario through tests/death.sh, the
#                          trap mapped to an abort by run.mjs) and test_stress (on both
#                          libraries, as tests/secure.mk picks it) linked with -sMALLOC=none,
#                          a C++ program (containers, strings, new/delete) and Module._malloc
#                          from JavaScript; part of `make test`
#
# A program links walloc instead of emscripten's dlmalloc with
#   emcc ... -sMALLOC=none -sALLOW_MEMORY_GROWTH=1 build/emscripten/libwalloc.a
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
$(patsubst src/%.c,build/emscripten/%.o,$(SRCS)) $(patsubst src/%.c,build/emscripten/secure/%.o,$(SRCS)): | $(EM_TOOL)

.PHONY: emscripten test-emscripten em-deps
emscripten: $(EM_LIB) $(EM_SECURE_LIB)
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
