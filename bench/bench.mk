# Benchmarks: walloc against wasi-libc's dlmalloc (bench/README.md). Included by the top
# Makefile. `make bench` runs them all (BENCH=name runs one), `make bench-quick` is the short
# smoke run that `make test` includes. Both are double-colon rules: other fragments (tiers, the
# JS package) add their own benchmarks with `bench:: their-target`.

WASM_OPT ?= wasm-opt

BENCH_DIR       := build/bench
BENCH_WORKLOADS := random-actions churn realloc-growth big-buffers mixed frag-soak
BENCH_WALLOC    := $(BENCH_WORKLOADS:%=$(BENCH_DIR)/%-walloc.wasm)
BENCH_DLMALLOC  := $(BENCH_WORKLOADS:%=$(BENCH_DIR)/%-dlmalloc.wasm)
BENCH_SIZE      := $(BENCH_DIR)/malloc-family-walloc.wasm $(BENCH_DIR)/malloc-family-dlmalloc.wasm
BENCH_MODULES   := $(BENCH_WALLOC) $(BENCH_DLMALLOC) $(BENCH_SIZE)

MALLOC_FAMILY := malloc free calloc realloc aligned_alloc posix_memalign malloc_usable_size
# Links with walloc, then fails unless the linker took malloc from the library: should the
# library lack it, wasm-ld would quietly use wasi-libc's dlmalloc and the comparison would
# measure dlmalloc twice. $(1) is the rest of the command line, $(2) the output.
define link_walloc
	$(CLANG) $(WASI_FLAGS) $(1) -o $(2) $(WASI_LIB) -Wl,--trace-symbol=malloc > $(2).trace
	@grep -q 'libwalloc\.a(.*): definition of malloc$$' $(2).trace || \
	{ echo "$(2): malloc does not come from $(WASI_LIB)" >&2; rm -f $(2); exit 1; }
endef

$(BENCH_WALLOC): $(BENCH_DIR)/%-walloc.wasm: bench/%.c bench/bench.h $(WASI_LIB) | $(DEPS)
	@mkdir -p $(@D)
	$(call link_walloc,$<,$@)

$(BENCH_DLMALLOC): $(BENCH_DIR)/%-dlmalloc.wasm: bench/%.c bench/bench.h | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(WASI_FLAGS) $< -o $@

SIZE_LINK_FLAGS := -nostartfiles -Wl,--no-entry $(MALLOC_FAMILY:%=-Wl,--export=%)
SIZE_OPT_FLAGS  := -Oz --strip-debug --strip-producers

$(BENCH_DIR)/malloc-family-walloc.wasm: bench/malloc-family.c $(WASI_LIB) | $(DEPS)
	@mkdir -p $(@D)
	$(call link_walloc,$(SIZE_LINK_FLAGS) $<,$@.linked)
	$(WASM_OPT) $(SIZE_OPT_FLAGS) $@.linked -o $@

$(BENCH_DIR)/malloc-family-dlmalloc.wasm: bench/malloc-family.c | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(WASI_FLAGS) $(SIZE_LINK_FLAGS) $< -o $@.linked
	$(WASM_OPT) $(SIZE_OPT_FLAGS) $@.linked -o $@

bench:: $(BENCH_MODULES)
	BENCH='$(BENCH)' $(NODE) bench/run.mjs

bench-quick:: $(BENCH_MODULES)
	BENCH='$(BENCH)' $(NODE) bench/run.mjs --quick

test:: bench-quick
