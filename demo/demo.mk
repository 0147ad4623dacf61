# `make demo`: builds the demo program against walloc and runs it under node.
DEMO := build/wasm32-wasi/demo/heap-demo.wasm

$(DEMO): demo/heap-demo.c $(WASI_LIB)
	@mkdir -p $(@D)
	$(CLANG) $(WASI_FLAGS) $< $(WASI_LIB) -o $@

demo: $(DEMO)
	$(NODE) tests/host/run.mjs $(DEMO)
