# The synthetic workloads of bench/ under emscripten, walloc beside emscripten's own dlmalloc
# and emmalloc, each built by emcc in the same run (bench/emscripten/run.mjs).
#
#   make bench-emscripten        median of 5 (EM_BENCH_FLAGS='--runs N'); part of `make bench`
#   make bench-emscripten-quick  small sizes, one run; part of `make bench-quick`
#   BENCH=name[,name]            some workloads only
#   make bench-emscripten-threads        churn and random actions on 1 and 2 pthreads: walloc's
#                                emscripten threads build against dlmalloc and emmalloc under
#                                -pthread (bench/emscripten/threads.mjs; 5 passes,
#                                EM_THREADS_BENCH_FLAGS='--runs N'); part of `make bench`
#   make bench-emscripten-threads-quick  one short round of each; part of `make bench-quick`

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

# The threads benchmark: bench/emscripten/threads.c and bench/threads/work.c, one program per
# allocator, with two pthreads started with it. Memory is a fixed 128 MiB, the same for all and
# never grown: in node 20 a thread sees another's memory.grow late (tests/emscripten/emscripten.mk).
EM_THREADS_BENCH_LINK := -O2 -Wall -Wextra -Werror -Iinclude -pthread -sPTHREAD_POOL_SIZE=2 -sEXIT_RUNTIME=1 \
  -sINITIAL_MEMORY=128MB -sENVIRONMENT=node -sWASM_ASYNC_COMPILATION=0
EM_THREADS_MALLOC_walloc   := -sMALLOC=none -DWALLOC_THREADS $(EM_THREADS_LIB)
EM_THREADS_MALLOC_dlmalloc := -sMALLOC=dlmalloc
EM_THREADS_MALLOC_emmalloc := -sMALLOC=emmalloc
EM_THREADS_BENCH_MODULES := $(foreach a,walloc dlmalloc emmalloc,$(EM_BENCH_DIR)/threads-$(a).js)

$(EM_THREADS_BENCH_MODULES): $(EM_BENCH_DIR)/threads-%.js: bench/emscripten/threads.c bench/threads/work.c \
  tests/emscripten/crew.h js/thread_start.h include/walloc.h bench/emscripten/emscripten.mk \
  $(EM_THREADS_LIB) | $(EM_TOOL)
	@mkdir -p $(@D)
	$(EMCC) $(EM_THREADS_BENCH_LINK) bench/emscripten/threads.c bench/threads/work.c $(EM_THREADS_MALLOC_$*) -o $@

.PHONY: bench-emscripten-threads bench-emscripten-threads-quick
bench-emscripten-threads: $(EM_THREADS_BENCH_MODULES)
	$(NODE) bench/emscripten/threads.mjs $(EM_THREADS_BENCH_FLAGS)
bench-emscripten-threads-quick: $(EM_THREADS_BENCH_MODULES)
	$(NODE) bench/emscripten/threads.mjs --quick

bench:: bench-emscripten-threads
bench-quick:: bench-emscripten-threads-quick
