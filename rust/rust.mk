# The Rust crate (rust/): walloc as the #[global_allocator] of wasm32-unknown-unknown programs.
# Built offline with Debian's rustc-web, which has no wasm32 standard library: cargo builds one
# from rust-web-src's sources (-Zbuild-std, which needs RUSTC_BOOTSTRAP on a stable compiler),
# taking the crates std depends on from the copies vendored there, and links with wasm-ld-19.
# A rustup toolchain with the wasm32-unknown-unknown target needs none of this: plain
# `cargo build --target wasm32-unknown-unknown` works there.
RUST_BUILD   := build/rust
RUST_RELEASE := $(RUST_BUILD)/wasm32-unknown-unknown/release/examples
CARGO_WASM   := cd rust && RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc CARGO_TARGET_DIR=$(CURDIR)/$(RUST_BUILD) \
	/usr/bin/cargo build --offline --release --target wasm32-unknown-unknown \
	-Zbuild-std=std,panic_abort \
	--config 'source.crates-io.replace-with="debian-vendored"' \
	--config 'source.debian-vendored.directory="/usr/lib/rustlib/src/rust/library/vendor"' \
	--config 'target.wasm32-unknown-unknown.linker="wasm-ld-19"'
RUST_SOURCES := $(wildcard rust/src/*.rs rust/examples/*.rs) rust/Cargo.toml rust/build.rs
RUST_WASM    := $(RUST_BUILD)/heap_test.wasm $(RUST_BUILD)/heap_test-secure.wasm $(RUST_BUILD)/words.wasm

# One recipe for the three modules: the secure build of the crate reuses the std the first
# cargo run built, and the two must not run at once in the same target directory.
$(RUST_BUILD)/heap_test.wasm: $(RUST_SOURCES) $(FREE_LIB) $(FREE_LIB:.a=-secure.a) | rust-deps
	+$(CARGO_WASM) --examples
	cp $(RUST_RELEASE)/heap_test.wasm $(RUST_RELEASE)/words.wasm $(RUST_BUILD)/
	+$(CARGO_WASM) --examples --features secure
	cp $(RUST_RELEASE)/heap_test.wasm $(RUST_BUILD)/heap_test-secure.wasm
$(RUST_BUILD)/heap_test-secure.wasm $(RUST_BUILD)/words.wasm: $(RUST_BUILD)/heap_test.wasm

# The toolchain comes from scripts/install-deps, which runs only when part of it is missing.
RUST_OK := $(shell test -x /usr/bin/cargo && test -d /usr/lib/rustlib/src/rust/library/vendor && \
	command -v wasm-ld-19 >/dev/null && echo yes)
.PHONY: rust-deps rust-example test-rust
rust-deps:
ifneq ($(RUST_OK),yes)
	bash scripts/install-deps
endif

# The README's example: a module counting the distinct words of a text from JavaScript.
rust-example: $(RUST_BUILD)/words.wasm
	$(NODE) rust/words.mjs $(RUST_BUILD)/words.wasm

test-rust: $(RUST_WASM)
	$(NODE) rust/test.mjs $(RUST_BUILD)

test:: test-rust
