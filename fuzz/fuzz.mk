# fuzz.mk - the libFuzzer target, included by the top-level Makefile.
#
#   make fuzz [FUZZ_TIME=seconds]   fuzzes for FUZZ_TIME (default 600) seconds; new inputs go
#                                   to build/native-fuzz/corpus, crashes to build/native-fuzz/
#   make fuzz-secure                the same against the secure build (build/native-fuzz/secure)
#   make fuzz-smoke                 FUZZ_SMOKE_TIME (60) seconds of the first and
#                                   FUZZ_SMOKE_SECURE_TIME (20) of the second, part of make test
#
# fuzz_heap is fuzz/fuzz_heap.c (malloc family and tiers) and fuzz/fuzz_gc.c (the collector).
# walloc is rebuilt with coverage instrumentation (-fsanitize=fuzzer-no-link) and ASan/UBSan
# into build/native-fuzz; the committed seeds in fuzz/corpus are read, never written.

FUZZ_TIME              ?= 600
FUZZ_SMOKE_TIME        ?= 60
FUZZ_SMOKE_SECURE_TIME ?= 20
FUZZ_DIR   := build/native-fuzz
FUZZ_SRCS  := fuzz/fuzz_heap.c fuzz/fuzz_gc.c
FUZZ_FLAGS := -O1 -gdwarf-4 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all -Wall -Wextra -Werror -Iinclude \
	-fsanitize-coverage-ignorelist=fuzz/coverage-ignore.txt

# $(1): the directory of a build (its library, fuzz_heap, corpus, crashes, smoke.log),
# $(2): its extra compiler flags.
define fuzz_build
$(eval $(call lib_rule,$(1),$(CC_NATIVE) $(FUZZ_FLAGS) $(2) -fsanitize=fuzzer-no-link,$(1)/libwalloc.a))
$(patsubst src/%.c,$(1)/%.o,$(SRCS)): fuzz/coverage-ignore.txt
$(1)/fuzz_heap: $(FUZZ_SRCS) fuzz/fuzz.h fuzz/coverage-ignore.txt $(TEST_HDRS) include/gc.h include/gc_typed.h \
		$(1)/libwalloc.a | $(DEPS)
	@mkdir -p $$(@D)
	$(CC_NATIVE) $(FUZZ_FLAGS) $(2) -Itests -fsanitize=fuzzer $(FUZZ_SRCS) $(1)/libwalloc.a -o $$@
endef
$(eval $(call fuzz_build,$(FUZZ_DIR),))
$(eval $(call fuzz_build,$(FUZZ_DIR)/secure,-DWALLOC_SECURE))

# $(1): the build's directory, $(2): seconds, $(3): more libFuzzer flags.
FUZZ_RUN = mkdir -p $(1)/corpus && $(1)/fuzz_heap -max_total_time=$(2) -max_len=4096 \
	-timeout=20 -print_final_stats=1 -artifact_prefix=$(1)/ $(3) $(1)/corpus fuzz/corpus

# libFuzzer reports every new input; a smoke run keeps that in a log and shows its end. Its
# mutations start from a fixed seed, so make test explores the same inputs on every run (as far
# as the time allows); make fuzz draws a new seed each time.
FUZZ_SMOKE = @echo "fuzz-smoke: $(2) s of $(1)/fuzz_heap, log in $(1)/smoke.log"; \
	$(call FUZZ_RUN,$(1),$(2),-seed=1) > $(1)/smoke.log 2>&1 || { tail -n 60 $(1)/smoke.log; exit 1; }; \
	grep -E '^(Done|stat::)' $(1)/smoke.log

.PHONY: fuzz fuzz-secure fuzz-smoke fuzz-smoke-secure
fuzz: $(FUZZ_DIR)/fuzz_heap
	$(call FUZZ_RUN,$(FUZZ_DIR),$(FUZZ_TIME))
fuzz-secure: $(FUZZ_DIR)/secure/fuzz_heap
	$(call FUZZ_RUN,$(FUZZ_DIR)/secure,$(FUZZ_TIME))
fuzz-smoke: $(FUZZ_DIR)/fuzz_heap
	$(call FUZZ_SMOKE,$(FUZZ_DIR),$(FUZZ_SMOKE_TIME))
fuzz-smoke-secure: $(FUZZ_DIR)/secure/fuzz_heap
	$(call FUZZ_SMOKE,$(FUZZ_DIR)/secure,$(FUZZ_SMOKE_SECURE_TIME))

test:: fuzz-smoke fuzz-smoke-secure
