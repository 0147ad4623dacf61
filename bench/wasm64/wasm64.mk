# wasm64.mk - the synthetic workloads on walloc's wasm64 build beside its wasm32 build, in one
# engine (node 24, V8) and one run (bench/README.md, "wasm64"). Included by the Makefile after
# tests/wasm64/wasm64.mk, which installs node 24 ($(NODE24)).
#
#   make bench-wasm64         median of 7 runs of each build, and the wasm64 / wasm32 ratios
#                             (part of `make bench`); BENCH=name[,name...] selects workloads
#   make bench-wasm64-quick   one short run of each, a smoke check (part of `make bench-quick`)

W64_BENCH_DIR := build/bench-wasm64
W64_BENCH_SYNTH := random-actions churn realloc-growth big-buffers mixed frag-soak
# loop.c: malloc and free alone, so its ratio is walloc's own.
W64_BENCH_PROGRAMS := $(W64_BENCH_SYNTH) loop
W64_BENCH_SHIM := bench/wasm64/shim.c $(wildcard bench/wasm64/include/*.h)
# Both builds compile the same way, freestanding; only the target and the allocator differ.
# The floor (bench/floor.c, the least an allocator can do) runs beside walloc: its ratio is what
# 64-bit code costs the workload's own work, against which walloc's ratio reads.
W64_BENCH_CC = $(CLANG) --target=$(1) -O2 -ffreestanding -nostdlib -mbulk-memory -Wall -Wextra -Werror \
	-Iinclude -Ibench/wasm64/include -Ibench -Wl,--no-entry

# bench/wasm64/loop.c builds like the workloads of bench/.
vpath %.c bench bench/wasm64

$(W64_BENCH_DIR)/%-walloc-wasm32.wasm: %.c bench/bench.h $(W64_BENCH_SHIM) $(FREE_LIB) | $(DEPS)
	@mkdir -p $(@D)
	$(call W64_BENCH_CC,wasm32) $< bench/wasm64/shim.c $(FREE_LIB) -o $@

$(W64_BENCH_DIR)/%-walloc-wasm64.wasm: %.c bench/bench.h $(W64_BENCH_SHIM) $(FREE64_LIB) | $(DEPS)
	@mkdir -p $(@D)
	$(call W64_BENCH_CC,wasm64) $< bench/wasm64/shim.c $(FREE64_LIB) -o $@

$(W64_BENCH_DIR)/%-floor-wasm32.wasm: %.c bench/bench.h bench/floor.c $(W64_BENCH_SHIM) | $(DEPS)
	@mkdir -p $(@D)
	$(call W64_BENCH_CC,wasm32) $< bench/wasm64/shim.c bench/floor.c -o $@

$(W64_BENCH_DIR)/%-floor-wasm64.wasm: %.c bench/bench.h bench/floor.c $(W64_BENCH_SHIM) | $(DEPS)
	@mkdir -p $(@D)
	$(call W64_BENCH_CC,wasm64) $< bench/wasm64/shim.c bench/floor.c -o $@

W64_BENCH_MODULES := $(foreach w,$(W64_BENCH_PROGRAMS),$(foreach a,walloc floor,\
	$(W64_BENCH_DIR)/$(w)-$(a)-wasm32.wasm $(W64_BENCH_DIR)/$(w)-$(a)-wasm64.wasm))

.PHONY: bench-wasm64 bench-wasm64-quick
bench-wasm64: $(W64_BENCH_MODULES) $(NODE24)
	BENCH='$(BENCH)' $(NODE24) bench/wasm64/run.mjs $(W64_BENCH_DIR) --runs 7

bench-wasm64-quick: $(W64_BENCH_MODULES) $(NODE24)
	$(NODE24) bench/wasm64/run.mjs $(W64_BENCH_DIR) --quick

bench:: bench-wasm64
bench-quick:: bench-wasm64-quick
