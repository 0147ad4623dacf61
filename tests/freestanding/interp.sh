#!/usr/bin/env bash
# Runs the exported no-argument checks of fs_test.wasm in wabt's interpreter and demands their
# expected results: a different engine from node's V8.
set -u
wasm="$1"
out=$(wasm-interp --run-all-exports "$wasm" 2>&1)
passed=0 failed=0
expect() {
    if grep -qxF "$1" <<<"$out"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: expected '$1'"; fi
}
expect "stress_default() => i32:0"
expect "exhaustion() => i32:0"
expect "double_free() => error: unreachable executed"
[ "$failed" -eq 0 ] || printf 'wasm-interp said:\n%s\n' "$out"
echo "wasm-interp: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
