# interp-wasi.mk - the wasm32-wasi test programs of tests/tests.mk again, in wabt's interpreter
# (`wasm-interp --wasi`): a second engine besides node's V8, included by the top-level Makefile.
#
#   make test-interp-wasi          every program of WASM_TESTS, death scenarios included
#   make test-interp-wasi-stress   one of them, by name
#
# Debian's wabt is built without WASI, so scripts/build-wasm-interp-wasi builds the interpreter
# from Debian's wabt and nodejs source packages the first time (a few minutes, kept in
# build/tools).

WASM_INTERP_WASI := build/tools/wasm-interp-wasi
INTERP_WASI_RUNS := $(patsubst %,test-interp-wasi-%,$(WASM_TESTS))
INTERP_WASI_RUN  := sh tests/interp-wasi.sh $(WASM_INTERP_WASI)

# The interpreter is about 100 times slower than node, so the stress test gets a short run of
# its own seed. The other programs take no size arguments and run whole (test_frag's 200
# rounds and test_static's growth past 256 MiB take about a minute each).
TEST_ARGS_interp_stress := 4 10000 500

.PHONY: test-interp-wasi $(INTERP_WASI_RUNS)

test:: test-interp-wasi
test-interp-wasi: $(INTERP_WASI_RUNS)

$(WASM_INTERP_WASI):
	bash scripts/build-wasm-interp-wasi

$(filter-out test-interp-wasi-death,$(INTERP_WASI_RUNS)): test-interp-wasi-%: build/wasm32-wasi/tests/test_%.wasm tests/interp-wasi.sh | $(WASM_INTERP_WASI)
	$(INTERP_WASI_RUN) $< $(TEST_ARGS_interp_$*)
test-interp-wasi-death: build/wasm32-wasi/tests/test_death.wasm tests/interp-wasi.sh tests/death.sh | $(WASM_INTERP_WASI)
	sh tests/death.sh $(INTERP_WASI_RUN) $<
