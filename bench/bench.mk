# Benchmarks: walloc against wasi-libc's dlmalloc, mimalloc and emmalloc (bench/README.md).
# Included by the top Makefile. `make bench` builds the peers and real programs from Debian
# source packages (bench/peers/build.sh, cached under build/peers/), then runs everything
# (BENCH=name runs one). `make bench-quick` is the short smoke run that `make test` includes:
# it fetches nothing and uses whichever peers a `make bench` already left in build/peers/.
# Both are double-colon rules: other fragments (tiers, the JS package) add their own
# benchmarks with `bench:: their-target`.

WASM_OPT ?= wasm-opt

BENCH_DIR   := build/bench
PEER_DIR    := build/peers
SECURE_LIB  := build/wasm32-wasi/libwalloc-secure.a
BENCH_SYNTH := random-actions churn realloc-growth big-buffers mixed frag-soak

# Each allocator is one archive exporting the malloc family; dlmalloc is wasi-libc's own and
# needs none. MALLOC_FROM is what wasm-ld's --trace-symbol must name as malloc's definition.
LIB_walloc            := $(WASI_LIB)
LIB_walloc-secure     := $(SECURE_LIB)
LIB_mimalloc          := $(PEER_DIR)/libmimalloc.a
LIB_emmalloc          := $(PEER_DIR)/libemmalloc.a
LIB_floor             := $(BENCH_DIR)/libfloor.a
MALLOC_FROM_dlmalloc  := libc\.a(dlmalloc\.o)
$(foreach a,walloc walloc-secure mimalloc emmalloc floor,\
  $(eval MALLOC_FROM_$(a) := $(subst .,\.,$(notdir $(LIB_$(a))))(.*)))

# The peers and the secure build take part when their archive is there: bench/peers/build.sh
# makes the peers, and the secure build is made when the Makefile has a rule for it.
BENCH_ALLOCATORS := dlmalloc walloc \
  $(if $(wildcard $(SECURE_LIB)),walloc-secure) \
  $(if $(wildcard $(LIB_mimalloc)),mimalloc) $(if $(wildcard $(LIB_emmalloc)),emmalloc) floor

# The floor (bench/floor.c) is no peer: it does as little as an allocator can, so that each
# run shows how much of a workload's time is the workload's own.
$(LIB_floor): bench/floor.c | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(WASI_FLAGS) -c $< -o $(BENCH_DIR)/floor.o
	rm -f $@
	$(AR) rcs $@ $(BENCH_DIR)/floor.o

# Real programs: their third-party objects come from bench/peers/build.sh; the drivers and
# glue of our own are compiled here. PROGRAM_x lists a program's inputs, LDFLAGS_x its flags.
SQLITE_DIR  := $(PEER_DIR)/programs/sqlite
CJSON_DIR   := $(PEER_DIR)/programs/cjson
LUA_DIR     := $(PEER_DIR)/programs/lua
PROGRAM_speedtest1 := $(SQLITE_DIR)/sqlite3.o $(SQLITE_DIR)/speedtest1.o $(BENCH_DIR)/sqlite-memvfs.o
PROGRAM_json       := $(CJSON_DIR)/cJSON.o $(BENCH_DIR)/json-roundtrip.o
PROGRAM_lua        := $(wildcard $(LUA_DIR)/*.o) $(BENCH_DIR)/lua-alloc.o
LDFLAGS_speedtest1 := -Wl,-z,stack-size=1048576
LDFLAGS_lua        := -Wl,-z,stack-size=1048576
BENCH_REAL := $(if $(wildcard $(SQLITE_DIR)/sqlite3.o),speedtest1) $(if $(wildcard $(CJSON_DIR)/cJSON.o),json) \
  $(if $(wildcard $(LUA_DIR)/lvm.o),lua)

$(BENCH_DIR)/sqlite-memvfs.o: bench/programs/sqlite-memvfs.c | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(WASI_FLAGS) -I$(SQLITE_DIR) -c $< -o $@

$(BENCH_DIR)/json-roundtrip.o: bench/programs/json-roundtrip.c bench/bench.h | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(WASI_FLAGS) -I$(CJSON_DIR) -c $< -o $@

$(BENCH_DIR)/lua-alloc.o: bench/programs/lua-alloc.c | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(WASI_FLAGS) -I$(LUA_DIR) -c $< -o $@

MALLOC_FAMILY := malloc free calloc realloc aligned_alloc posix_memalign malloc_usable_size
SIZE_LINK_FLAGS := -nostartfiles -Wl,--no-entry $(MALLOC_FAMILY:%=-Wl,--export=%)
SIZE_OPT_FLAGS  := -Oz --strip-debug --strip-producers

# Links $(2) with allocator $(1) into $(3), then fails unless the linker took malloc from that
# allocator: should an archive lack it, wasm-ld would quietly use wasi-libc's dlmalloc and the
# comparison would measure dlmalloc twice.
define link_with
	$(CLANG) $(WASI_FLAGS) $(2) -o $(3) $(LIB_$(1)) -Wl,--trace-symbol=malloc > $(3).trace
	@grep -q '$(MALLOC_FROM_$(1)): definition of malloc$$' $(3).trace || \
	{ echo "$(3): malloc does not come from $(or $(LIB_$(1)),wasi-libc's dlmalloc)" >&2; rm -f $(3); exit 1; }
endef

# The same for walloc alone: $(1) the rest of the command line, $(2) the output (bench/tiers.mk).
link_walloc = $(call link_with,walloc,$(1),$(2))

define allocator_rules
$(BENCH_SYNTH:%=$(BENCH_DIR)/%-$(1).wasm): $(BENCH_DIR)/%-$(1).wasm: bench/%.c bench/bench.h $(LIB_$(1)) | $(DEPS)
	@mkdir -p $$(@D)
	$$(call link_with,$(1),$$<,$$@)
$(foreach p,speedtest1 json lua,
$(BENCH_DIR)/$(p)-$(1).wasm: $(PROGRAM_$(p)) $(LIB_$(1)) | $(DEPS)
	$$(call link_with,$(1),$$(LDFLAGS_$(p)) $$(PROGRAM_$(p)),$$@)
)
$(BENCH_DIR)/malloc-family-$(1).wasm: bench/malloc-family.c $(LIB_$(1)) | $(DEPS)
	@mkdir -p $$(@D)
	$$(call link_with,$(1),$$(SIZE_LINK_FLAGS) $$<,$$@.linked)
	$(WASM_OPT) $(SIZE_OPT_FLAGS) $$@.linked -o $$@
endef
$(foreach a,dlmalloc walloc walloc-secure mimalloc emmalloc floor,$(eval $(call allocator_rules,$(a))))

BENCH_MODULES := $(foreach a,$(BENCH_ALLOCATORS),\
  $(foreach p,$(BENCH_SYNTH) $(BENCH_REAL) malloc-family,$(BENCH_DIR)/$(p)-$(a).wasm))
BENCH_RUN := BENCH='$(BENCH)' BENCH_ALLOCATORS='$(strip $(BENCH_ALLOCATORS))' $(NODE) bench/run.mjs

.PHONY: bench-run bench-secure
# The secure build joins when the Makefile knows how to make it; otherwise the run reports it
# as skipped (bench/run.mjs reads the reason from build/peers/status/).
bench-secure:
	@mkdir -p $(PEER_DIR)/status
	@if $(MAKE) -n $(SECURE_LIB) >/dev/null 2>&1; then $(MAKE) --no-print-directory $(SECURE_LIB) && \
	rm -f $(PEER_DIR)/status/walloc-secure; else \
	echo "no rule to build $(SECURE_LIB) yet" > $(PEER_DIR)/status/walloc-secure; fi

# A second make, so that the lists above see the archives and objects the script just built.
bench::
	bash bench/peers/build.sh
	@$(MAKE) --no-print-directory bench-secure
	@$(MAKE) --no-print-directory bench-run

bench-run: $(BENCH_MODULES)
	$(BENCH_RUN)

bench-quick:: $(BENCH_MODULES)
	$(BENCH_RUN) --quick

test:: bench-quick
