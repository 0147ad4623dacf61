# js.mk - the JavaScript package (js/), its tests, the browser demo and the JS benchmark.
#
#   make js/walloc.wasm   the freestanding module walloc.mjs loads (part of `make`)
#   make js/walloc-gc.wasm  the same with the garbage collector, for Walloc.instantiate({ gc })
#   make js/walloc64.wasm the wasm64 build, for Walloc.instantiate({ memory64: true })
#   make js/walloc-threads.wasm  the threads build on a shared memory, for WallocThreads (threads.mjs)
#   make test-js          node --test suites of the package (tests/js/*.test.mjs)
#   make test-browser     the demo and the installed package in Debian's chromium (driven by
#                         playwright-core) and Firefox ESR (puppeteer-core)
#   make test-types       walloc.d.ts type-checked by tsc, as a TypeScript user imports it
#   make demo-web         serves demo/index.html on http://localhost:8080/demo/
#   make bench-js         copyIn/copyOut and fill/copy against typed-array and u32 loops
#                         (part of `make bench`; `make bench-quick` runs it briefly)

WASM_OPT ?= wasm-opt

JS_WASM := js/walloc.wasm
JS_GC_WASM := js/walloc-gc.wasm
JS64_WASM := js/walloc64.wasm
JS_THREADS_WASM := js/walloc-threads.wasm
JS_MODULES := $(JS_WASM) $(JS_GC_WASM) $(JS64_WASM) $(JS_THREADS_WASM)
JS_GLUE_OBJ := build/wasm32/js/glue.o
JS_GLUE_GC_OBJ := build/wasm32/js/glue-gc.o

# The library functions walloc.mjs calls (js/glue.c exports its own with export_name).
# __stack_pointer is exported so that JavaScript can put the stack back after a trap, which
# unwinds wasm frames without running their epilogues.
JS_EXPORTS := walloc_malloc walloc_free walloc_calloc walloc_realloc walloc_malloc_usable_size \
	walloc_check walloc_last_error __stack_pointer
# walloc-gc.wasm adds the collector's functions walloc.mjs calls (js/glue-gc.c has the rest).
JS_GC_EXPORTS := GC_malloc GC_malloc_atomic GC_size GC_gcollect

# The memory is always imported (walloc.mjs creates it unless given one), with a fixed initial
# size that walloc.mjs knows (INITIAL_PAGES): the link fails should static data outgrow it.
JS_LDFLAGS := -Wl,--no-entry -Wl,--import-memory -Wl,--initial-memory=131072 \
	$(JS_EXPORTS:%=-Wl,--export=%)

build/wasm32/js/%.o: js/%.c js/glue.h include/gc.h $(HDRS) js/js.mk | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(FREE_FLAGS) -Isrc -mmutable-globals -c $< -o $@

$(JS_WASM): $(JS_GLUE_OBJ) $(FREE_LIB)
	$(CLANG) --target=wasm32 -nostdlib $(JS_LDFLAGS) $^ -o build/wasm32/js/walloc.linked.wasm
	$(WASM_OPT) -O2 --strip-debug --strip-producers build/wasm32/js/walloc.linked.wasm -o $@

$(JS_GC_WASM): $(JS_GLUE_OBJ) $(JS_GLUE_GC_OBJ) $(FREE_LIB)
	$(CLANG) --target=wasm32 -nostdlib $(JS_LDFLAGS) $(JS_GC_EXPORTS:%=-Wl,--export=%) $^ \
		-o build/wasm32/js/walloc-gc.linked.wasm
	$(WASM_OPT) -O2 --strip-debug --strip-producers build/wasm32/js/walloc-gc.linked.wasm -o $@

# walloc64.wasm: the same glue over build/wasm64/libwalloc.a, for Walloc.instantiate({ memory64 })
# (no collector yet); its static data is larger, so it starts with three pages (abi.mjs knows).
# wasm-ld 14 zeroes the .bss of an imported 64-bit memory with a memory.fill whose length is an
# i32, which engines reject: the glue keeps its zeroed data in .data instead (the library has no
# .bss). Debian's wasm-opt 108 reads what clang 14 emits for wasm64 (README, "wasm64").
JS64_LDFLAGS := -Wl,--no-entry -Wl,--import-memory -Wl,--initial-memory=196608 $(JS_EXPORTS:%=-Wl,--export=%)

build/wasm64/js/glue.o: js/glue.c js/glue.h $(HDRS) js/js.mk | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(FREE64_FLAGS) -fno-zero-initialized-in-bss -Isrc -mmutable-globals -c $< -o $@

$(JS64_WASM): build/wasm64/js/glue.o $(FREE64_LIB)
	$(CLANG) --target=wasm64 -nostdlib $(JS64_LDFLAGS) $^ -o build/wasm64/js/walloc64.linked.wasm
	$(WASM_OPT) -O2 --strip-debug --strip-producers build/wasm64/js/walloc64.linked.wasm -o $@

# walloc-threads.wasm: glue.c and glue-threads.c over build/wasm32-threads/libwalloc.a, for
# WallocThreads. Every thread instantiates it on one shared memory, which threads.mjs creates
# with the same three initial pages (static data, the first thread's stack and thread-local
# block) and a maximum of at most --max-memory (all of wasm32's 4 GiB: the page picks its own
# maximum below it). The glue is built with the library's flags: a module on a shared memory
# needs atomics and bulk memory in every object.
JS_THREADS_LDFLAGS := -Wl,--no-entry -Wl,--shared-memory -Wl,--import-memory -Wl,--initial-memory=196608 \
	-Wl,--max-memory=4294967296 $(JS_EXPORTS:%=-Wl,--export=%)

build/wasm32-threads/js/%.o: js/%.c js/glue.h js/thread_start.h $(HDRS) js/js.mk | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(THREADS_FLAGS) -Isrc -c $< -o $@

$(JS_THREADS_WASM): build/wasm32-threads/js/glue.o build/wasm32-threads/js/glue-threads.o $(THREADS_LIB)
	$(CLANG) --target=wasm32 -nostdlib $(JS_THREADS_LDFLAGS) $^ -o build/wasm32-threads/js/walloc-threads.linked.wasm
	$(WASM_OPT) -O2 --strip-debug --strip-producers build/wasm32-threads/js/walloc-threads.linked.wasm -o $@

all: $(JS_MODULES)

JS_NODE_MODULES := tests/js/node_modules/.package-lock.json

# npm ci only when the lock file is newer than what is installed.
$(JS_NODE_MODULES): tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund
	@touch $@

.PHONY: test-js test-browser test-types demo-web bench-js bench-js-quick
test-js: $(JS_MODULES)
	$(NODE) --test tests/js/

test-browser: $(JS_MODULES) $(JS_NODE_MODULES) build/wasm32/tests/fs_test.wasm | $(DEPS)
	command -v chromium >/dev/null && command -v firefox-esr >/dev/null || bash scripts/install-deps
	$(NODE) tests/js/browser.mjs chromium
	$(NODE) tests/js/browser.mjs firefox

demo-web: $(JS_MODULES)
	$(NODE) demo/serve.mjs

bench-js: $(JS_WASM)
	$(NODE) bench/js-copy.mjs

bench-js-quick: $(JS_WASM)
	$(NODE) bench/js-copy.mjs --quick

# walloc.d.ts as a TypeScript user imports it (the package is a file: dependency of tests/js):
# tsc --strict over tests/js/types/usage.ts, whose @ts-expect-error lines are misuses that the
# declarations must reject.
test-types: $(JS_NODE_MODULES)
	$(NODE) tests/js/node_modules/typescript/bin/tsc -p tests/js/types/tsconfig.json

test:: test-js test-browser test-types
bench:: bench-js
bench-quick:: bench-js-quick
