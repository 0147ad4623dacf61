# walloc build. `make` builds the three libraries; `make test` runs the whole suite;
# `make demo` runs the demo; `make bench` runs the benchmarks. See README.md.

CLANG    ?= clang
AR       := llvm-ar
NODE     ?= node
CC_NATIVE ?= clang

SRCS     := $(wildcard src/*.c)
HDRS     := $(wildcard src/*.h) include/walloc.h Makefile

WASM_FLAGS   := -O2 -Wall -Wextra -Werror -Iinclude
WASI_FLAGS   := --target=wasm32-wasi $(WASM_FLAGS)
FREE_FLAGS   := --target=wasm32 -ffreestanding -nostdlib -mbulk-memory -DWALLOC_FREESTANDING $(WASM_FLAGS)
# The same freestanding build for wasm64 (memory64): only the target differs, the sources pick
# their limits and the width of stored offsets from it (src/types.h).
FREE64_FLAGS := --target=wasm64 -ffreestanding -nostdlib -mbulk-memory -DWALLOC_FREESTANDING $(WASM_FLAGS)
# The threads build (src/threads.h): freestanding wasm32 for modules linked with --shared-memory
# (thread-locals need local-exec with clang 14, and a host sets each instance's stack pointer,
# hence mutable globals), and natively under ThreadSanitizer.
THREADS_FLAGS := --target=wasm32 -ffreestanding -nostdlib -mbulk-memory -matomics -mmutable-globals \
	-ftls-model=local-exec -DWALLOC_FREESTANDING -DWALLOC_THREADS $(WASM_FLAGS)
NATIVE_FLAGS := -O2 -gdwarf-4 -Wall -Wextra -Werror -Iinclude
SAN_FLAGS    := -O1 -gdwarf-4 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -Iinclude

WASI_LIB   := build/wasm32-wasi/libwalloc.a
FREE_LIB   := build/wasm32/libwalloc.a
FREE64_LIB := build/wasm64/libwalloc.a
NATIVE_LIB := build/native/libwalloc.a
SAN_LIB    := build/native-san/libwalloc.a
THREADS_LIB := build/wasm32-threads/libwalloc.a
TSAN_LIB   := build/native-tsan/libwalloc.a
# The secure build (src/secure.h): the same sources with -DWALLOC_SECURE.
SECURE_LIBS := $(patsubst %.a,%-secure.a,$(WASI_LIB) $(FREE_LIB) $(FREE64_LIB) $(NATIVE_LIB) $(SAN_LIB))

# Tools come from scripts/install-deps, which runs only when one is missing.
TOOLS_OK := $(shell command -v $(CLANG) >/dev/null && command -v wasm-ld >/dev/null && \
	command -v $(AR) >/dev/null && command -v wasm-opt >/dev/null && command -v $(NODE) >/dev/null && \
	command -v wasm-interp >/dev/null && command -v valgrind >/dev/null && \
	test -f /usr/lib/wasm32-wasi/libc.a && echo yes)
ifneq ($(TOOLS_OK),yes)
DEPS := deps
endif

.PHONY: all deps test demo bench bench-quick clean
all: $(WASI_LIB) $(FREE_LIB) $(FREE64_LIB) $(NATIVE_LIB) $(SAN_LIB) $(SECURE_LIBS) $(THREADS_LIB) $(TSAN_LIB)

deps:
	bash scripts/install-deps

# $(1): directory of the objects, $(2): compile command, $(3): the library.
define lib_rule
$(1)/%.o: src/%.c $(HDRS) | $(DEPS)
	@mkdir -p $$(@D)
	$(2) -c $$< -o $$@
$(3): $(patsubst src/%.c,$(1)/%.o,$(SRCS))
	rm -f $$@
	$(AR) rcs $$@ $$^
endef
PLATFORMS := wasm32-wasi wasm32 wasm64 native native-san
COMPILE_wasm32-wasi := $(CLANG) $(WASI_FLAGS)
COMPILE_wasm32      := $(CLANG) $(FREE_FLAGS)
COMPILE_wasm64      := $(CLANG) $(FREE64_FLAGS)
COMPILE_native      := $(CC_NATIVE) $(NATIVE_FLAGS)
COMPILE_native-san  := $(CC_NATIVE) $(SAN_FLAGS)
$(foreach p,$(PLATFORMS),$(eval $(call lib_rule,build/$(p),$(COMPILE_$(p)),build/$(p)/libwalloc.a)))
$(eval $(call lib_rule,build/wasm32-threads,$(CLANG) $(THREADS_FLAGS),$(THREADS_LIB)))
$(eval $(call lib_rule,build/native-tsan,$(CC_NATIVE) -O1 -gdwarf-4 -fsanitize=thread -DWALLOC_THREADS -Wall -Wextra -Werror -Iinclude,$(TSAN_LIB)))
$(foreach p,$(PLATFORMS),$(eval $(call lib_rule,build/$(p)/secure,$(COMPILE_$(p)) -DWALLOC_SECURE,\
	build/$(p)/libwalloc-secure.a)))

-include tests/tests.mk
-include bench/bench.mk
-include bench/tiers.mk
-include bench/gc.mk
-include tests/spill.mk
-include demo/demo.mk
-include tests/freestanding/freestanding.mk
-include fuzz/fuzz.mk
-include tests/secure.mk
-include tests/interp-wasi.mk
-include js/js.mk
-include tests/wasm64/wasm64.mk
-include tests/threads/threads.mk
-include bench/wasm64/wasm64.mk
-include bench/threads/threads.mk
-include tests/emscripten/emscripten.mk
-include bench/emscripten/emscripten.mk
-include rust/rust.mk

clean:
	rm -rf build
