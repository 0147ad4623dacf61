#!/usr/bin/env bash
# Builds bdwgc (the Boehm-Demers-Weiser collector, Debian's source package libgc) for
# wasm32-wasi, the collector the GC benchmarks compare walloc's against (bench/gc.mk, `make
# bench-gc`). Everything goes under build/peers/ and is never committed; what is built is kept,
# so later runs cost nothing.
#
#   build/peers/src/libgc/          the source package, as `apt-get source libgc` unpacks it
#   build/peers/bdwgc/src/          a copy, with the wasm32-wasi configuration written in below
#   build/peers/bdwgc/libgc.a       extra/gc.c (the whole collector in one unit) and
#                                   bench/gc/bdwgc-wasi.c (where its memory comes from)
#   build/peers/bdwgc/include/      its public headers (gc.h, gc_typed.h, ...)
#   build/peers/bdwgc/gctest.wasm   bdwgc's own test (tests/test.c), run once as a check
#   build/peers/status/bdwgc        why bdwgc was skipped (absent when it was built)
#   build/peers/versions            the Debian version it came from
#
# The port. bdwgc has no wasm32-wasi target; the block inserted into its gcconfig.h makes one:
#   - roots: static data runs from __global_base to __data_end, both defined by wasm-ld;
#   - stack: wasm-ld puts the shadow stack (the part of the C stack that lives in linear memory)
#     above the data, growing down from __heap_base, which is therefore the stack's bottom; the
#     top is the address of a local, as bdwgc takes it everywhere;
#   - memory: PLATFORM_GETMEM, served by bench/gc/bdwgc-wasi.c from 64 KiB wasm pages (wasm
#     memory grows by pages only);
#   - registers: wasm has none in memory, and wasi-libc has no setjmp. The locals of wasm
#     functions are invisible to any scan, so every program must be run through `wasm-opt
#     --spill-pointers`, which copies pointer-sized locals to the shadow stack around calls
#     (bench/gc.mk does; gctest fails without it). bdwgc's __builtin_unwind_init compiles to
#     nothing here, and <setjmp.h>, which gc_priv.h includes, is an empty stand-in;
#   - no threads, no signals (-D_WASI_EMULATED_SIGNAL only to declare what the headers name;
#     nothing of it is linked), no clock (NO_CLOCK: bdwgc reads it only to print statistics).
# Otherwise bdwgc is configured as its ./configure does by default on Linux, less threads,
# mmap and munmap: interior pointers recognized, Java-style finalization, disclaim, gcj.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/scripts/apt.sh"
PEERS=$ROOT/build/peers
SRC=$PEERS/src
OUT=$PEERS/bdwgc
LOG=$PEERS/logs/bdwgc.log
CLANG=${CLANG:-clang}
NODE=${NODE:-node}
mkdir -p "$SRC" "$PEERS/status" "$PEERS/logs"
touch "$PEERS/versions"

skip() {
  echo "$1" > "$PEERS/status/bdwgc"
  rm -f "$OUT/libgc.a"
  echo "bdwgc: skipped: $1" >&2
  exit 0
}

if [ -f "$OUT/libgc.a" ] && [ -f "$OUT/gctest.passed" ] && [ "$OUT/libgc.a" -nt "$ROOT/bench/gc/build-bdwgc.sh" ] &&
   [ "$OUT/libgc.a" -nt "$ROOT/bench/gc/bdwgc-wasi.c" ]; then
  rm -f "$PEERS/status/bdwgc"
  exit 0
fi

# The same fetch as bench/peers/build.sh: apt-get source (dpkg-dev, a deb-src entry) once.
if [ ! -d "$SRC/libgc" ]; then
  { apt_install_missing dpkg-dev xz-utils && apt_ensure_deb_src; } >> "$LOG" 2>&1 ||
    echo "bdwgc: could not install dpkg-dev or add deb-src; fetching may fail" >&2
  tmp=$(mktemp -d "$SRC/.fetch-XXXXXX")
  (cd "$tmp" && apt-get source libgc) > "$PEERS/logs/fetch-libgc.log" 2>&1 ||
    { rm -rf "$tmp"; skip "apt-get source libgc failed (build/peers/logs/fetch-libgc.log)"; }
  version=$(basename "$(ls "$tmp"/*.dsc)" .dsc | sed 's/^[^_]*_//')
  grep -v '^libgc ' "$PEERS/versions" > "$PEERS/versions.new"
  echo "libgc $version" >> "$PEERS/versions.new"
  mv "$PEERS/versions.new" "$PEERS/versions"
  mv "$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n 1)" "$SRC/libgc" && rm -rf "$tmp"
fi
[ -f "$SRC/libgc/extra/gc.c" ] || skip "no extra/gc.c in build/peers/src/libgc"

rm -rf "$OUT"
mkdir -p "$OUT/shim" "$OUT/include"
cp -a "$SRC/libgc" "$OUT/src"
: > "$LOG"

# The machine description, inserted where gcconfig.h invites new ones. bdwgc's own sections
# for each machine then find nothing of theirs defined and leave these alone.
config=$OUT/src/include/private/gcconfig.h
marker='/* Feel free to add more clauses here */'
[ "$(grep -cF "$marker" "$config")" = 1 ] || skip "gcconfig.h changed: no single '$marker' line to patch"
cat > "$OUT/wasi-config.h" <<'EOF'
/* wasm32-wasi, added by walloc's bench/gc/build-bdwgc.sh */
# if defined(__wasm32__) && defined(__wasi__)
#   define WASM32_WASI
#   define mach_type_known
#   define MACH_TYPE "WASM32"
#   define OS_TYPE "WASI"
#   define CPP_WORDSZ 32
#   define ALIGNMENT 4
#   define STACK_GROWS_DOWN
    extern char __global_base[], __data_end[], __heap_base[];
#   define DATASTART ((ptr_t)__global_base)
#   define DATAEND ((ptr_t)__data_end)
#   define STACKBOTTOM ((ptr_t)__heap_base)
#   define PLATFORM_GETMEM
# endif

EOF
awk -v marker="$marker" -v insert="$OUT/wasi-config.h" \
  'index($0, marker) == 1 { while ((getline line < insert) > 0) print line } { print }' \
  "$SRC/libgc/include/private/gcconfig.h" > "$config"
cat > "$OUT/shim/setjmp.h" <<'EOF'
/* wasi-libc has no setjmp; bdwgc's gc_priv.h includes this header but, on wasm32-wasi, uses
 * nothing from it (bench/gc/build-bdwgc.sh). */
typedef int jmp_buf[1];
EOF
cp "$OUT/src/include/"*.h "$OUT/include/"

flags=(--target=wasm32-wasi -O2 -DNDEBUG -D_WASI_EMULATED_SIGNAL -DNO_CLOCK
  -DALL_INTERIOR_POINTERS -DNO_EXECUTE_PERMISSION -DJAVA_FINALIZATION -DGC_ATOMIC_UNCOLLECTABLE
  -DENABLE_DISCLAIM -DGC_GCJ_SUPPORT -I"$OUT/shim" -I"$OUT/src/include")
{
  "$CLANG" "${flags[@]}" -c "$OUT/src/extra/gc.c" -o "$OUT/gc.o" &&
    "$CLANG" "${flags[@]}" -Wall -Wextra -Werror -c "$ROOT/bench/gc/bdwgc-wasi.c" -o "$OUT/bdwgc-wasi.o" &&
    llvm-ar rcs "$OUT/libgc.a.new" "$OUT/gc.o" "$OUT/bdwgc-wasi.o"
} >> "$LOG" 2>&1 || skip "compile failed (build/peers/logs/bdwgc.log)"

# bdwgc's own test, built as the benchmarks are: -O2 objects linked without -O (clang would run
# Debian's wasm-opt, which drops the name section that --spill-pointers needs to find the stack
# pointer), then npm binaryen's wasm-opt --spill-pointers -O2, with a 1 MiB stack.
wasm_opt=$(bash "$ROOT/scripts/binaryen-npm") || skip "no npm binaryen for --spill-pointers (scripts/binaryen-npm)"
{
  "$CLANG" "${flags[@]}" -c "$OUT/src/tests/test.c" -o "$OUT/gctest.o" &&
    "$CLANG" --target=wasm32-wasi -Wl,-z,stack-size=1048576 "$OUT/gctest.o" "$OUT/libgc.a.new" -o "$OUT/gctest.linked.wasm" &&
    "$NODE" "$wasm_opt" --spill-pointers -O2 "$OUT/gctest.linked.wasm" -o "$OUT/gctest.wasm"
} >> "$LOG" 2>&1 || skip "gctest failed to build (build/peers/logs/bdwgc.log)"
echo "bdwgc: running its gctest..." >&2
"$NODE" "$ROOT/tests/host/run.mjs" "$OUT/gctest.wasm" > "$PEERS/logs/bdwgc-gctest.log" 2>&1 ||
  skip "gctest failed on wasm32-wasi (build/peers/logs/bdwgc-gctest.log)"
grep -q 'Collector appears to work' "$PEERS/logs/bdwgc-gctest.log" ||
  skip "gctest did not report success (build/peers/logs/bdwgc-gctest.log)"
grep -E '^(Completed|Final heap|Collector)' "$PEERS/logs/bdwgc-gctest.log" | sed 's/^/bdwgc: gctest: /' >&2
touch "$OUT/gctest.passed"
mv "$OUT/libgc.a.new" "$OUT/libgc.a"
rm -f "$PEERS/status/bdwgc"
echo "bdwgc: ready ($(grep '^libgc ' "$PEERS/versions" | cut -d' ' -f2))" >&2
