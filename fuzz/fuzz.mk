# fuzz.mk - the libFuzzer target, included by the top-level Makefile.
#
#   make fuzz [FUZZ_TIME=seconds]   fuzzes for FUZZ_TIME (default 600) seconds; new inputs go
#                                   to build/native-fuzz/corpus, crashes to build/native-fuzz/
#   make fuzz-smoke                 the same for FUZZ_SMOKE_TIME (60) seconds, part of make test
#
# walloc is rebuilt with coverage instrumentation (-fsanitize=fuzzer-no-link) and ASan/UBSan
# into build/native-fuzz; the committed seeds in fuzz/corpus are read, never written.

FUZZ_TIME       ?= 600
FUZZ_SMOKE_TIME ?= 60
FUZZ_DIR   := build/native-fuzz
FUZZ_FLAGS := -O1 -gdwarf-4 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all -Wall -Wextra -Werror -Iinclude \
	-fsanitize-coverage-ignorelist=fuzz/coverage-ignore.txt
FUZZ_LIB   := $(FUZZ_DIR)/libwalloc.a
FUZZ_BIN   := $(FUZZ_DIR)/fuzz_heap
FUZZ_RUN    = mkdir -p $(FUZZ_DIR)/corpus && $(FUZZ_BIN) -max_total_time=$(1) -max_len=4096 \
	-timeout=20 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/corpus fuzz/corpus

$(eval $(call lib_rule,$(FUZZ_DIR),$(CC_NATIVE) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_LIB)))
$(patsubst src/%.c,$(FUZZ_DIR)/%.o,$(SRCS)): fuzz/coverage-ignore.txt

$(FUZZ_BIN): fuzz/fuzz_heap.c fuzz/coverage-ignore.txt $(TEST_HDRS) $(FUZZ_LIB) | $(DEPS)
	@mkdir -p $(@D)
	$(CC_NATIVE) $(FUZZ_FLAGS) -Itests -fsanitize=fuzzer $< $(FUZZ_LIB) -o $@

.PHONY: fuzz fuzz-smoke
fuzz: $(FUZZ_BIN)
	$(call FUZZ_RUN,$(FUZZ_TIME))

# libFuzzer reports every new input; the smoke run keeps that in a log and shows its end.
fuzz-smoke: $(FUZZ_BIN)
	@echo "fuzz-smoke: $(FUZZ_SMOKE_TIME) s of $(FUZZ_BIN), log in $(FUZZ_DIR)/smoke.log"
	@$(call FUZZ_RUN,$(FUZZ_SMOKE_TIME)) > $(FUZZ_DIR)/smoke.log 2>&1 || \
	{ tail -n 60 $(FUZZ_DIR)/smoke.log; exit 1; }
	@grep -E '^(Done|stat::)' $(FUZZ_DIR)/smoke.log

test:: fuzz-smoke
