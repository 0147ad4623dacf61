# gc.mk - the GC benchmarks (bench/gc/, bench/README.md): walloc's collector against bdwgc, the
# Boehm-Demers-Weiser collector, on programs that use bdwgc's C API alone, with a floor: the same
# programs freeing explicitly with wasi-libc's malloc. Included by the top Makefile.
#
#   make bench-gc         installs npm's binaryen (scripts/binaryen-npm) and builds bdwgc from
#                         Debian's source package (bench/gc/build-bdwgc.sh), once; then builds
#                         the programs and runs them, median of 5 (GC_RUN_FLAGS='--runs N')
#   make bench-gc-quick   tiny sizes, one run, with whatever is already built: it fetches
#                         nothing (without npm's binaryen it skips, saying why)
#   GC_BENCH=name[,name]  runs some workloads only (strings, gcbench, list-churn, ...)
#
# Collectors: bdwgc when build/peers/bdwgc/libgc.a is there; walloc when include/gc.h is (its
# collector is in build/wasm32-wasi/libwalloc.a); floor always. Every program is compiled at -O2,
# linked without -O (clang would run Debian's wasm-opt, which drops the name section that
# --spill-pointers needs to find the stack pointer), then run through npm binaryen's
# `wasm-opt --spill-pointers -O2` (Debian's binaryen 108 lacks the pass), with a 1 MiB stack.
# A conservative collector cannot see the locals of wasm functions; the pass copies every
# pointer-sized local to the shadow stack in linear memory around calls, where the scan of the
# stack finds it.

GC_BENCH_DIR := build/bench-gc
BDWGC_DIR    := build/peers/bdwgc
BDWGC_LIB    := $(BDWGC_DIR)/libgc.a
# A node script (binaryen compiled to wasm), at the path scripts/binaryen-npm prints.
BINARYEN_NPM := build/tools/binaryen/node_modules/binaryen/bin/wasm-opt
SPILL_OPT    := $(NODE) $(BINARYEN_NPM) --spill-pointers -O2

GC_CFLAGS  := --target=wasm32-wasi -O2 -Wall -Wextra -Werror
GC_LDFLAGS := --target=wasm32-wasi -Wl,-z,stack-size=1048576

# Per collector: how a program finds gc.h, what it links, what it depends on.
GC_INC_bdwgc  := -isystem $(BDWGC_DIR)/include
GC_INC_walloc := -Iinclude
GC_INC_floor  := -DGC_FLOOR
GC_LIB_bdwgc  := $(BDWGC_LIB)
GC_LIB_walloc := $(WASI_LIB)
GC_DEP_walloc := $(wildcard include/gc.h include/gc_typed.h include/gc/*.h)

# Per program: its source and flags. gcbench-typed is gcbench with typed allocation.
GC_SRC_strings         := bench/gc/strings.c
GC_SRC_gcbench         := bench/gc/gcbench.c
GC_SRC_gcbench-typed   := bench/gc/gcbench.c
GC_SRC_list-churn      := bench/gc/list-churn.c
GC_SRC_false-retention := bench/gc/false-retention.c
GC_DEF_gcbench-typed   := -DGC_TYPED

GC_PROGRAMS        := strings gcbench gcbench-typed list-churn false-retention
GC_PROGRAMS_bdwgc  := $(GC_PROGRAMS)
GC_PROGRAMS_walloc := $(GC_PROGRAMS)
GC_PROGRAMS_floor  := strings gcbench list-churn

GC_COLLECTORS := $(if $(wildcard $(BDWGC_LIB)),bdwgc) $(if $(wildcard include/gc.h),walloc) floor

# $(1): program, $(2): collector.
define gc_program_rule
$(GC_BENCH_DIR)/$(1)-$(2).wasm: $(GC_SRC_$(1)) bench/gc/harness.h $(GC_LIB_$(2)) $(GC_DEP_$(2)) | $(DEPS) $(BINARYEN_NPM)
	@mkdir -p $$(@D)
	$(CLANG) $(GC_CFLAGS) $(GC_INC_$(2)) $(GC_DEF_$(1)) -c $$< -o $$@.o
	$(CLANG) $(GC_LDFLAGS) $$@.o $(GC_LIB_$(2)) -o $$@.linked
	$(SPILL_OPT) $$@.linked -o $$@
endef
$(foreach c,bdwgc walloc floor,$(foreach p,$(GC_PROGRAMS_$(c)),$(eval $(call gc_program_rule,$(p),$(c)))))

# Code size: the collector alone, in a module exporting GC_malloc, GC_malloc_atomic and
# GC_gcollect, after wasm-opt -Oz --strip-debug; size-X-spill.wasm adds --spill-pointers.
GC_SIZE_SYMBOLS := GC_malloc GC_malloc_atomic GC_gcollect
GC_SIZE_LDFLAGS := --target=wasm32-wasi -nostartfiles -Wl,--no-entry \
  $(GC_SIZE_SYMBOLS:%=-Wl,--undefined=%) $(GC_SIZE_SYMBOLS:%=-Wl,--export=%)
define gc_size_rule
$(GC_BENCH_DIR)/size-$(1).wasm: $(GC_LIB_$(1)) | $(DEPS) $(BINARYEN_NPM)
	@mkdir -p $$(@D)
	$(CLANG) $(GC_SIZE_LDFLAGS) $(GC_LIB_$(1)) -o $$@.linked
	$(NODE) $(BINARYEN_NPM) --spill-pointers -Oz --strip-debug $$@.linked -o $(GC_BENCH_DIR)/size-$(1)-spill.wasm
	$(NODE) $(BINARYEN_NPM) -Oz --strip-debug $$@.linked -o $$@
endef
$(foreach c,bdwgc walloc,$(eval $(call gc_size_rule,$(c))))

$(BINARYEN_NPM):
	bash scripts/binaryen-npm >/dev/null

# The quick run leaves the code size out: it would only add builds to `make test`.
GC_MODULES := $(foreach c,$(GC_COLLECTORS),$(GC_PROGRAMS_$(c):%=$(GC_BENCH_DIR)/%-$(c).wasm)) \
  $(if $(filter --quick,$(GC_RUN_FLAGS)),,$(foreach c,$(filter-out floor,$(GC_COLLECTORS)),$(GC_BENCH_DIR)/size-$(c).wasm))
GC_RUN := GC_BENCH='$(GC_BENCH)' GC_COLLECTORS='$(strip $(GC_COLLECTORS))' $(NODE) bench/gc/run.mjs

.PHONY: bench-gc bench-gc-run bench-gc-quick
# A second make, so that GC_COLLECTORS sees the libgc.a the script just built.
bench-gc:
	bash scripts/binaryen-npm >/dev/null
	bash bench/gc/build-bdwgc.sh
	@$(MAKE) --no-print-directory bench-gc-run

bench-gc-run: $(GC_MODULES)
	$(GC_RUN) $(GC_RUN_FLAGS)

bench-gc-quick:
	@if [ -f $(BINARYEN_NPM) ]; then $(MAKE) --no-print-directory bench-gc-run GC_RUN_FLAGS=--quick; \
	else echo "bench-gc-quick: skipped: npm's binaryen (wasm-opt --spill-pointers) is not installed;" \
	"\`make bench-gc\` installs it (scripts/binaryen-npm) and builds bdwgc"; fi

bench:: bench-gc
bench-quick:: bench-gc-quick
