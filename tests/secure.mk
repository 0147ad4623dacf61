# secure.mk - tests of the secure build (libwalloc-secure.a, src/secure.h), included by the
# top-level Makefile.
#
# The death scenarios, secure ones included (test_death.c built with -DWALLOC_SECURE), and the
# randomized tests run against the secure libraries natively under ASan/UBSan, on wasm32-wasi
# under node and under valgrind, like the default build's suite in tests.mk.

SECURE_TESTS := stress faults limits tiers
# test_tiers counts live bytes as the default build does; the secure runs take only its test of
# the quarantine, and valgrind none of it.
SECURE_ARGS_tiers := tiers_find_memory_the_quarantine_holds
SECURE_VALGRIND_TESTS := $(filter-out tiers,$(SECURE_TESTS))
# The 16 MiB ladder of test_limits packs memory up to 4 GiB, which blocks held in the
# quarantine (an over-aligned block at 2 GiB from an earlier test) legitimately prevent until
# an allocation fails and empties it: the secure runs leave the ladder out, and take the tests
# that grow memory to 4 GiB with no such packing.
SECURE_ARGS_limits := $(TEST_ARGS_valgrind_limits) tier_allocation_above_ptrdiff_max_is_refused \
	heap_reaching_four_gib_stays_whole
SECURE_SAN_LIB  := build/native-san/libwalloc-secure.a
SECURE_LIB      := build/native/libwalloc-secure.a
SECURE_WASI_LIB := build/wasm32-wasi/libwalloc-secure.a

SECURE_RUNS := $(foreach t,$(SECURE_TESTS) death,test-secure-native-$(t) test-secure-wasm-$(t)) \
	$(foreach t,$(SECURE_VALGRIND_TESTS),test-secure-valgrind-$(t))
.PHONY: test-secure $(SECURE_RUNS)
test:: test-secure
test-secure: $(SECURE_RUNS)

build/native-san/secure-tests/test_%: tests/test_%.c $(TEST_HDRS) $(SECURE_SAN_LIB) | $(DEPS)
	@mkdir -p $(@D)
	$(CC_NATIVE) $(SAN_FLAGS) $(TEST_WARNINGS) -DWALLOC_SECURE $< $(SECURE_SAN_LIB) -o $@

build/native/secure-tests/test_%: tests/test_%.c $(TEST_HDRS) $(SECURE_LIB) | $(DEPS)
	@mkdir -p $(@D)
	$(CC_NATIVE) $(VALGRIND_CFLAGS) -DWALLOC_SECURE $< $(SECURE_LIB) -o $@

build/wasm32-wasi/secure-tests/test_%.wasm: tests/test_%.c $(TEST_HDRS) $(SECURE_WASI_LIB) | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(WASI_FLAGS) -DWALLOC_SECURE $< $(SECURE_WASI_LIB) -o $@

$(SECURE_TESTS:%=test-secure-native-%): test-secure-native-%: build/native-san/secure-tests/test_%
	$< $(or $(SECURE_ARGS_$*),$(TEST_ARGS_native_$*))
$(SECURE_TESTS:%=test-secure-wasm-%): test-secure-wasm-%: build/wasm32-wasi/secure-tests/test_%.wasm
	$(NODE) tests/host/run.mjs $< $(or $(SECURE_ARGS_$*),$(TEST_ARGS_wasm_$*))
$(SECURE_VALGRIND_TESTS:%=test-secure-valgrind-%): test-secure-valgrind-%: build/native/secure-tests/test_%
	$(VALGRIND) $< $(TEST_ARGS_valgrind_$*)

test-secure-native-death: build/native-san/secure-tests/test_death tests/death.sh
	sh tests/death.sh $<
test-secure-wasm-death: build/wasm32-wasi/secure-tests/test_death.wasm tests/death.sh
	sh tests/death.sh $(NODE) tests/host/run.mjs $<
