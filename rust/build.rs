// Links the freestanding wasm32 build of walloc (build/wasm32/libwalloc.a, or libwalloc-secure.a
// with the `secure` feature). Inside the walloc repository the library is built by its own
// Makefile, so the Rust crate and the C tests always link the same code; a crate copied out of
// the repository points WALLOC_LIB_DIR at a directory holding the prebuilt library instead.
use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if arch != "wasm32" || os != "unknown" {
        panic!(
            "walloc-heap links walloc's freestanding wasm32 build and supports only \
             wasm32-unknown-unknown (this target: {arch}-{os})"
        );
    }
    let library = if env::var_os("CARGO_FEATURE_SECURE").is_some() { "walloc-secure" } else { "walloc" };
    println!("cargo:rerun-if-env-changed=WALLOC_LIB_DIR");

    let dir = match env::var_os("WALLOC_LIB_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => build_in_repository(library),
    };
    if !dir.join(format!("lib{library}.a")).is_file() {
        panic!("walloc-heap: no lib{library}.a in {}", dir.display());
    }
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=static={library}");
}

// Runs `make build/wasm32/lib<library>.a` in the repository this crate sits in and returns the
// library's directory. Make decides what is stale; cargo reruns this when a C file changes.
fn build_in_repository(library: &str) -> PathBuf {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.parent().expect("the crate sits in the walloc repository").to_path_buf();
    if !root.join("Makefile").is_file() || !root.join("include/walloc.h").is_file() {
        panic!(
            "walloc-heap: {} is not the walloc repository; set WALLOC_LIB_DIR to the directory \
             of a prebuilt lib{library}.a (make build/wasm32/lib{library}.a)",
            root.display()
        );
    }
    for watched in ["src", "include", "Makefile"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let target = format!("build/wasm32/lib{library}.a");
    let status = Command::new(env::var("MAKE").unwrap_or_else(|_| "make".into()))
        .arg("-C")
        .arg(&root)
        .arg(&target)
        .status()
        .unwrap_or_else(|e| panic!("walloc-heap: cannot run make: {e}"));
    if !status.success() {
        panic!("walloc-heap: make {target} failed ({status})");
    }
    root.join("build/wasm32")
}
