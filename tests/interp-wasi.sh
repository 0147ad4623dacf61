#!/bin/sh
# Runs a wasm32-wasi program in wabt's interpreter the way tests/host/run.mjs runs it in node:
#
#   sh tests/interp-wasi.sh INTERPRETER prog.wasm [args...]
#
# INTERPRETER is a wasm-interp built with WASI (scripts/build-wasm-interp-wasi). It exits with
# status 1 both when the program calls exit(1) and when it traps; a trap is told apart by the
# `error: <trap>` line the interpreter writes last on stderr, and becomes status 134 as under
# run.mjs, so tests/death.sh can demand it.

if [ $# -lt 2 ]; then
    echo "usage: $0 INTERPRETER prog.wasm [args...]" >&2
    exit 2
fi
interpreter=$1
program=$2
shift 2

err=$(mktemp)
trap 'rm -f "$err"' EXIT
"$interpreter" --wasi "$program" -- "$@" 2>"$err"
status=$?
cat "$err" >&2
if [ "$status" -eq 1 ] && tail -n 1 "$err" | grep -q '^error: '; then
    exit 134
fi
exit "$status"
