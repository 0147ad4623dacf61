# spill.mk - the collector's tests on wasm built through binaryen's `wasm-opt --spill-pointers`,
# the build the README's wasm rule recommends, included by the top-level Makefile after
# bench/gc.mk (whose BINARYEN_NPM and SPILL_OPT it uses).
#
#   make test-wasm-gc-spill          tests/test_gc.c through the pass
#   make test-wasm-gc-final-spill    tests/test_gc_final.c through the pass
#   make test-wasm-gc-locals-spill   tests/test_gc_locals.c through the pass: a pointer held only
#                                    in a local survives collections
#   make test-wasm-gc-locals         the same program built plainly: the safe pattern works, and
#                                    the "only in a local" tests must fail, or they show nothing
#
# The pipeline is bench/gc.mk's: compile at -O2, link without -O (clang would run Debian's
# wasm-opt, which drops the name section the pass needs to find the stack pointer), then npm
# binaryen's `wasm-opt --spill-pointers -O2` (Debian's binaryen lacks the pass), 1 MiB stack.
# scripts/install-deps installs npm's binaryen, so CI runs these; without it the spill targets
# skip, saying why.

SPILL_DIR := build/wasm32-wasi-spill
GC_TEST_HDRS := $(TEST_HDRS) include/gc.h include/gc_typed.h tests/spill.mk

$(SPILL_DIR)/tests/test_%.wasm: tests/test_%.c $(GC_TEST_HDRS) $(WASI_LIB) | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(WASI_FLAGS) -c $< -o $@.o
	$(CLANG) --target=wasm32-wasi -Wl,-z,stack-size=1048576 $@.o $(WASI_LIB) -o $@.linked
	$(SPILL_OPT) $@.linked -o $@

TEST_GC_LOCALS_ALL := $(shell sed -n 's/^    TEST_ENTRY(\(.*\)),$$/\1/p' tests/test_gc_locals.c)
TEST_GC_LOCALS_ONLY_SPILLED := a_pointer_only_in_a_local_survives_a_collection_in_a_callee \
	a_list_held_only_in_a_local_survives_the_collections_its_growth_starts

TEST_ARGS_spill_gc := $(filter-out $(TEST_GC_NATIVE_ONLY),$(TEST_GC_ALL))
# As in the plain build (tests.mk): the exact finalizer and link counts depend on where the
# program's constants point, which moves with every change of its code; natively they are exact.
TEST_ARGS_spill_gc_final := $(TEST_ARGS_wasm_gc_final)
TEST_ARGS_spill_gc_locals := $(TEST_GC_LOCALS_ALL)
TEST_ARGS_wasm_gc_locals := $(filter-out $(TEST_GC_LOCALS_ONLY_SPILLED),$(TEST_GC_LOCALS_ALL))

SPILL_RUNS := test-wasm-gc-spill test-wasm-gc-final-spill test-wasm-gc-locals-spill
.PHONY: $(SPILL_RUNS) $(SPILL_RUNS:%=%-run) test-wasm-gc-locals
test:: $(SPILL_RUNS) test-wasm-gc-locals

# A second make once the tool is known to be there: the skip is decided when the target runs,
# after a `make deps` earlier in the same run may have installed it. The library is built
# first, here, so that two such makes side by side (make -j) do not both build it.
$(SPILL_RUNS): $(WASI_LIB)
	@if [ -f $(BINARYEN_NPM) ]; then $(MAKE) --no-print-directory $@-run; \
	else echo "$@: skipped: npm's binaryen (wasm-opt --spill-pointers) is not installed;" \
	"scripts/install-deps (or scripts/binaryen-npm) installs it"; fi

test-wasm-gc-spill-run: $(SPILL_DIR)/tests/test_gc.wasm
	$(NODE) tests/host/run.mjs $< $(TEST_ARGS_spill_gc)
test-wasm-gc-final-spill-run: $(SPILL_DIR)/tests/test_gc_final.wasm
	$(NODE) tests/host/run.mjs $< $(TEST_ARGS_spill_gc_final)
test-wasm-gc-locals-spill-run: $(SPILL_DIR)/tests/test_gc_locals.wasm
	$(NODE) tests/host/run.mjs $< $(TEST_ARGS_spill_gc_locals)

# Each test that needs the pass runs alone in the plain build and must fail a CHECK there (a
# trap would not count); its output goes to a log, as its failure is the expected result.
build/wasm32-wasi/tests/test_gc_locals.wasm: include/gc.h
test-wasm-gc-locals: build/wasm32-wasi/tests/test_gc_locals.wasm
	$(NODE) tests/host/run.mjs $< $(TEST_ARGS_wasm_gc_locals)
	@for t in $(TEST_GC_LOCALS_ONLY_SPILLED); do \
	  if $(NODE) tests/host/run.mjs $< $$t > $<.$$t.log 2>&1 || ! grep -q ': CHECK(.*) failed$$' $<.$$t.log; then \
	    echo "$@: $$t did not fail a CHECK without --spill-pointers: it no longer shows the rule"; \
	    cat $<.$$t.log; exit 1; \
	  fi; \
	  echo "$@: without --spill-pointers, $$t fails as the rule says (log: $<.$$t.log)"; \
	done
