# The freestanding build (no libc, no imports) exercised from JavaScript in node and in wabt's
# wasm-interp, a second engine that needs no WASI; and its startup on a memory the host hands in
# (tests/freestanding/startup.mjs links its own modules).
FS_TEST := build/wasm32/tests/fs_test.wasm

$(FS_TEST): tests/freestanding/fs_test.c $(FREE_LIB) include/walloc.h
	@mkdir -p $(@D)
	$(CLANG) --target=wasm32 -O2 -nostdlib -mbulk-memory -Iinclude -Wl,--no-entry $< $(FREE_LIB) -o $@

.PHONY: test-freestanding
test-freestanding: $(FS_TEST)
	$(NODE) tests/freestanding/run.mjs $(FS_TEST)
	bash tests/freestanding/interp.sh $(FS_TEST)
	$(NODE) tests/freestanding/startup.mjs $(CLANG) $(FREE_LIB) $(dir $(FS_TEST))

test:: test-freestanding
