# threads.mk - the threads benchmark (bench/README.md, "Threads"), included by the Makefile.
#
#   make bench-threads        churn and random actions on 1 and 2 threads (node workers on one
#                             shared memory): walloc's threads build against its single-threaded
#                             build and against dlmalloc behind one lock (part of `make bench`);
#                             THREADS=1,2,4 tries more threads
#   make bench-threads-quick  one short round, a smoke check (part of `make bench-quick`)

THREADS_BENCH_DIR := build/bench/threads
DLMALLOC_LOCK_LIB := $(PEER_DIR)/libdlmalloc-lock.a
# Modules for --shared-memory, every thread an instance of its own on the imported memory.
THREADS_BENCH_LINK := -Wl,--no-entry -Wl,--shared-memory -Wl,--import-memory -Wl,--initial-memory=1048576 \
	-Wl,--max-memory=1073741824 -Wl,--export=__stack_pointer
THREADS_BENCH_MODULES := $(THREADS_BENCH_DIR)/work-walloc-threads.wasm $(THREADS_BENCH_DIR)/work-walloc.wasm \
	$(if $(wildcard $(DLMALLOC_LOCK_LIB)),$(THREADS_BENCH_DIR)/work-dlmalloc-lock.wasm)

$(THREADS_BENCH_DIR)/work-walloc-threads.wasm: bench/threads/work.c js/thread_start.h $(THREADS_LIB) | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(THREADS_FLAGS) $(THREADS_BENCH_LINK) $< $(THREADS_LIB) -o $@

$(THREADS_BENCH_DIR)/work-dlmalloc-lock.wasm: bench/threads/work.c js/thread_start.h $(DLMALLOC_LOCK_LIB) | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(THREADS_FLAGS) $(THREADS_BENCH_LINK) $< $(DLMALLOC_LOCK_LIB) -o $@

# The single-threaded build: a plain module with a memory of its own, run on one thread.
$(THREADS_BENCH_DIR)/work-walloc.wasm: bench/threads/work.c $(FREE_LIB) | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(FREE_FLAGS) -DSINGLE_THREADED -Wl,--no-entry $< $(FREE_LIB) -o $@

.PHONY: bench-threads bench-threads-quick
bench-threads: | $(DEPS)
	bash bench/peers/build.sh
	$(MAKE) --no-print-directory bench-threads-run

bench-threads-run: $(THREADS_BENCH_MODULES)
	$(NODE) bench/threads/run.mjs $(THREADS_BENCH_DIR) $(THREADS)

bench-threads-quick: $(THREADS_BENCH_MODULES)
	$(NODE) bench/threads/run.mjs --quick $(THREADS_BENCH_DIR)

bench:: bench-threads
bench-quick:: bench-threads-quick
