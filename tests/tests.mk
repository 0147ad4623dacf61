# tests.mk - the C test suite of the walloc core, included by the top-level Makefile.
#
#   make test-native    each test under ASan+UBSan against $(SAN_LIB), death scenarios included
#   make test-wasm      each test as a wasm32-wasi program against $(WASI_LIB), run by node
#   make test-valgrind  the native tests at -O1 -g against build/native/libwalloc.a, lighter
#   make test           all of the above (other fragments add their own `test::` prerequisites)
#
# One phony target per program (test-native-api, test-wasm-static, ...) so `make -j` runs them
# side by side and a single one can be rerun by name.

TEST_HDRS := $(wildcard tests/*.h) include/walloc.h tests/tests.mk

# test_static and test_libc examine the wasm memory layout and wasi-libc: wasm only.
NATIVE_TESTS := api small stress frag death tiers gameloop faults limits gc gc_final
WASM_TESTS   := $(NATIVE_TESTS) static libc

# SAN_FLAGS carries no warnings and WASI_FLAGS already has these.
TEST_WARNINGS := -Wall -Wextra -Werror
VALGRIND_CFLAGS := -O1 -gdwarf-4 $(TEST_WARNINGS) -Iinclude
VALGRIND := valgrind -q --error-exitcode=1 --leak-check=no

# Arguments per run. The stress test's are seed, iterations and slots; the defaults (seed 1,
# 300000 steps, 4000 slots) run natively and on wasm, a second seed adds variety natively,
# and valgrind, about 30 times slower, gets a shorter run of the same workload.
TEST_ARGS_native_stress   := 1
TEST_ARGS_native_stress2  := 2 200000
# A shorter run at the end of a 4 GiB memory (ballast first), natively and on wasm.
TEST_ARGS_stress_top      := 4 100000 4000 1
TEST_ARGS_valgrind_stress := 3 50000 2000
# test_faults takes seed, steps per round and rounds; valgrind gets a shorter sweep. The 16 MiB
# ladder of test_limits grows memory to 4 GiB, which costs valgrind a GiB of shadow memory and
# 15 s: it runs under ASan and on wasm only.
TEST_ARGS_valgrind_faults := 3 1500 12
TEST_ARGS_valgrind_limits := calloc_of_nearly_two_gib_is_served_zeroed_from_fresh_memory \
	sizes_up_to_ptrdiff_max_are_served_and_above_refused two_gib_alignment_is_served_or_refused_cleanly \
	sizes_near_four_gib_fail_with_enomem page_boundary_sizes_are_served the_default_cap_can_be_restored
# wabt's interpreter (tests/interp-wasi.mk) is about 100 times slower than node and backs
# linear memory with real, zeroed memory: a short sweep, and only the limits that do not grow
# memory past 256 MiB.
TEST_ARGS_interp_faults := 5 400 6
# On wasm, slots of live shadow-stack frames that were never written (in the plain build, no
# --spill-pointers) and numbers in static data that point into an object can keep it alive,
# and where those numbers point moves with every change of a program's code: the tests that
# count finalizers and cleared links exactly (test_gc_final.c) run natively only (README,
# "Garbage collector"). walloc_test_reset exists natively only.
TEST_GC_ALL := $(shell sed -n 's/^    TEST_ENTRY(\(.*\)),$$/\1/p' tests/test_gc.c)
TEST_GC_NATIVE_ONLY := reset_forgets_the_collector mark_stack_without_room_does_not_hang_the_collection
TEST_ARGS_wasm_gc := $(filter-out $(TEST_GC_NATIVE_ONLY),$(TEST_GC_ALL))
TEST_ARGS_wasm_gc_final := finalizers_run_in_reachability_order finalize_on_demand_waits_for_invoke \
	uncollectable_objects_live_and_retain uncollectable_objects_are_never_finalized_or_unlinked
# The collector's quick tests: the others allocate hundreds of MiB or build long lists, which
# the interpreter takes minutes over.
TEST_ARGS_interp_gc := objects_are_zeroed_even_over_reused_memory malloc_zero_is_a_distinct_object \
	base_and_size_answer_for_interior_pointers huge_requests_fail_with_enomem \
	typed_objects_are_scanned_only_at_their_pointer_words raw_bitmap_descriptors_and_typed_arrays_work \
	long_layouts_get_extended_descriptors free_and_realloc_keep_the_contents \
	disabled_collector_does_not_collect gc_spans_are_counted_and_checked
TEST_ARGS_interp_gc_final := $(TEST_ARGS_wasm_gc_final)
TEST_ARGS_interp_limits := sizes_near_four_gib_fail_with_enomem page_boundary_sizes_are_served \
	the_default_cap_can_be_restored

# The recursion of test_static needs more than wasm-ld's default 64 KiB of stack.
TEST_LDFLAGS_static := -Wl,-z,stack-size=1048576

NATIVE_TEST_BINS   := $(patsubst %,build/native-san/tests/test_%,$(NATIVE_TESTS))
VALGRIND_TEST_BINS := $(patsubst %,build/native/tests/test_%,$(NATIVE_TESTS))
WASM_TEST_BINS     := $(patsubst %,build/wasm32-wasi/tests/test_%.wasm,$(WASM_TESTS))

NATIVE_TEST_RUNS   := $(patsubst %,test-native-%,$(NATIVE_TESTS) stress2 stress-top)
WASM_TEST_RUNS     := $(patsubst %,test-wasm-%,$(WASM_TESTS) stress-top)
# The collector scans the stack whole, slots never written included, which valgrind reports
# as reads of undefined memory: test_gc runs under ASan and on wasm only.
VALGRIND_TEST_RUNS := $(patsubst %,test-valgrind-%,$(filter-out death gc gc_final,$(NATIVE_TESTS)))

.PHONY: test test-native test-wasm test-valgrind tests-build
.PHONY: $(NATIVE_TEST_RUNS) $(WASM_TEST_RUNS) $(VALGRIND_TEST_RUNS)

test:: test-native test-wasm test-valgrind

tests-build: $(NATIVE_TEST_BINS) $(VALGRIND_TEST_BINS) $(WASM_TEST_BINS)

test-native: $(NATIVE_TEST_RUNS)
test-wasm: $(WASM_TEST_RUNS)
test-valgrind: $(VALGRIND_TEST_RUNS)

build/native-san/tests/test_%: tests/test_%.c $(TEST_HDRS) $(SAN_LIB) | $(DEPS)
	@mkdir -p $(@D)
	$(CC_NATIVE) $(SAN_FLAGS) $(TEST_WARNINGS) $< $(SAN_LIB) -o $@

build/native/tests/test_%: tests/test_%.c $(TEST_HDRS) $(NATIVE_LIB) | $(DEPS)
	@mkdir -p $(@D)
	$(CC_NATIVE) $(VALGRIND_CFLAGS) $< $(NATIVE_LIB) -o $@

build/wasm32-wasi/tests/test_%.wasm: tests/test_%.c $(TEST_HDRS) $(WASI_LIB) | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(WASI_FLAGS) $< $(WASI_LIB) $(TEST_LDFLAGS_$*) -o $@

# Death scenarios go through tests/death.sh, which checks the trap and the report.
$(filter-out test-native-death test-native-stress2 test-native-stress-top,$(NATIVE_TEST_RUNS)): test-native-%: build/native-san/tests/test_%
	$< $(TEST_ARGS_native_$*)
test-native-stress2: build/native-san/tests/test_stress
	$< $(TEST_ARGS_native_stress2)
test-native-stress-top: build/native-san/tests/test_stress
	$< $(TEST_ARGS_stress_top)
test-native-death: build/native-san/tests/test_death tests/death.sh
	sh tests/death.sh $<

$(filter-out test-wasm-death test-wasm-stress-top,$(WASM_TEST_RUNS)): test-wasm-%: build/wasm32-wasi/tests/test_%.wasm
	$(NODE) tests/host/run.mjs $< $(TEST_ARGS_wasm_$*)
test-wasm-stress-top: build/wasm32-wasi/tests/test_stress.wasm
	$(NODE) tests/host/run.mjs $< $(TEST_ARGS_stress_top)
test-wasm-death: build/wasm32-wasi/tests/test_death.wasm tests/death.sh
	sh tests/death.sh $(NODE) tests/host/run.mjs $<

# test_tiers once more with WALLOC_DEBUG in the library and the test: recycled tier memory
# must then read as poison.
.PHONY: test-native-tiers-debug
test-native: test-native-tiers-debug
build/native-san-debug/tests/test_tiers: tests/test_tiers.c $(TEST_HDRS) $(SRCS) $(HDRS) | $(DEPS)
	@mkdir -p $(@D)
	$(CC_NATIVE) $(SAN_FLAGS) $(TEST_WARNINGS) -DWALLOC_DEBUG $< $(SRCS) -o $@
test-native-tiers-debug: build/native-san-debug/tests/test_tiers
	$<

$(VALGRIND_TEST_RUNS): test-valgrind-%: build/native/tests/test_%
	$(VALGRIND) $< $(TEST_ARGS_valgrind_$*)
