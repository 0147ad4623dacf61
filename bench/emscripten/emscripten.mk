# The synthetic workloads of bench/ under emscripten, walloc beside emscripten's own dlmalloc
# and emmalloc, each built by emcc in the same run (bench/emscripten/run.mjs).
#
#   make bench-emscripten        median of 5 (EM_BENCH_FLAGS='--runs N'); part of `make bench`
#   make bench-emscripten-quick  small sizes, one run; part of `make bench-quick`
#   BENCH=name[,name]            some workloads only

EM_BENCH_DIR := build/bench-emscripten
# Memory starts at 2 MiB (emscripten's default is 16 MiB, which would hide every difference
# below it), with a 1 MiB stack.
EM_BENCH_LINK := -O2 -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB -sWASM_ASYNC_COMPILATION=0 \
  -sINITIAL_MEMORY=2MB -sTOTAL_STACK=1MB \
  -sENVIRONMENT=node -sINVOKE_RUN=0 -sEXPORTED_RUNTIME_METHODS=callMain
EM_MALLOC_dlmalloc := -sMALLOC=dlmalloc
EM_MALLOC_emmalloc := -sMALLOC=emmalloc
EM_MALLOC_walloc   := -sMALLOC=none

# $(1): allocator.
define em_bench_rules
$(BENCH_SYNTH:%=$(EM_BENCH_DIR)/%-$(1).js): $(EM_BENCH_DIR)/%-$(1).js: bench/%.c bench/bench.h $(if $(filter walloc,$(1)),$(EM_LIB)) | $(EM_TOOL)
	@mkdir -p $$(@D)
	$(EMCC) $(EM_BENCH_LINK) $(EM_MALLOC_$(1)) $$< $(if $(filter walloc,$(1)),$(EM_LIB)) -o $$@
endef
$(foreach a,dlmalloc emmalloc walloc,$(eval $(call em_bench_rules,$(a))))

EM_BENCH_MODULES := $(foreach a,dlmalloc emmalloc walloc,$(BENCH_SYNTH:%=$(EM_BENCH_DIR)/%-$(a).js))

.PHONY: bench-emscripten bench-emscripten-quick
bench-emscripten: $(EM_BENCH_MODULES)
	BENCH='$(BENCH)' $(NODE) bench/emscripten/run.mjs $(EM_BENCH_FLAGS)
bench-emscripten-quick: $(EM_BENCH_MODULES)
	BENCH='$(BENCH)' $(NODE) bench/emscripten/run.mjs --quick

bench:: bench-emscripten
bench-quick:: bench-emscripten-quick
