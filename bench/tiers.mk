# The tiers benchmark (bench/tiers.c): tier allocation against a bare pointer bump and against
# malloc/free of the same objects, one wasm32-wasi program that measures them all in one run.
# Included by the top Makefile after bench/bench.mk (BENCH_DIR, link_walloc). `make bench` runs
# it in full and reports a missed 1.2x target as an ignored error, so one noisy run on a busy
# machine does not stop the other benchmarks; `make bench-quick` is a short smoke run.
# V8's baseline compiler is off, as in bench/run.mjs, so every timed frame runs optimized code.

BENCH_TIERS := $(BENCH_DIR)/tiers.wasm
BENCH_TIERS_RUN := $(NODE) --no-liftoff tests/host/run.mjs $(BENCH_TIERS)

# Compiled at -O2 but linked at -O0, which keeps clang from running wasm-opt on the program:
# wasm-opt would inline every function called from one place, the called bump and walloc's
# own functions alike, and the comparison is about what a call to each costs.
$(BENCH_TIERS): bench/tiers.c bench/bench.h $(WASI_LIB) | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(WASI_FLAGS) -c $< -o $@.o
	$(call link_walloc,-O0 $@.o,$@)

.PHONY: bench-tiers bench-tiers-quick
bench-tiers: $(BENCH_TIERS)
	-$(BENCH_TIERS_RUN) 2000 7 1

bench-tiers-quick: $(BENCH_TIERS)
	$(BENCH_TIERS_RUN) 50 1 0

bench:: bench-tiers
bench-quick:: bench-tiers-quick
