#!/bin/sh
# Runs every scenario of test_death and checks each one died the way walloc.h promises.
#
#   sh tests/death.sh build/native-san/tests/test_death
#   sh tests/death.sh node tests/host/run.mjs build/wasm32-wasi/tests/test_death.wasm
#
# The arguments are the command that runs the program; the scenario name is appended. A pass
# needs: exit status 134 (abort natively; a trap under tests/host/run.mjs), and on stderr
# exactly one line starting with `walloc: `, of the form `walloc: <kind> of 0x<hex>` (or, for a
# broken canary of the secure build, `walloc: heap overflow past 0x<hex> (canary)`), whose
# pointer equals the `expect-pointer` the scenario printed and, unless the scenario expects
# "any", whose kind equals its `expect-kind`. A scenario that prints `expect-kind none` must
# instead exit with status 0 and no `walloc: ` line. Ends with `N passed, M failed` like the
# C tests.

if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND... (the command that runs test_death)" >&2
    exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Lowercase hex without leading zeros, so 0x0001f0a0 and 0x1F0A0 compare equal.
normalize_hex() {
    printf '%s\n' "$1" | tr 'A-F' 'a-f' | sed -e 's/^0*//' -e 's/^$/0/'
}

if ! "$@" --list >"$work/list" 2>"$work/list.err"; then
    echo "death: cannot list the scenarios:"
    cat "$work/list" "$work/list.err"
    echo "0 passed, 1 failed"
    exit 1
fi

passed=0
failed=0
for scenario in $(cat "$work/list"); do
    "$@" "$scenario" >"$work/out" 2>"$work/err"
    status=$?
    kind=$(sed -n 's/^expect-kind //p' "$work/out")
    pointer=$(sed -n 's/^expect-pointer 0x//p' "$work/out")
    report=$(grep '^walloc: ' "$work/err")
    reports=$(grep -c '^walloc: ' "$work/err")
    form='^walloc: \(.*\) \(of\|past\) 0x\([0-9a-fA-F]*\)\( (canary)\)\{0,1\}$'
    reported_kind=$(printf '%s\n' "$report" | sed -n "s/$form/\\1/p")
    reported_pointer=$(printf '%s\n' "$report" | sed -n "s/$form/\\3/p")

    problem=""
    if [ "$kind" = "none" ]; then
        if [ "$status" -ne 0 ]; then
            problem="exit status $status, not 0 (the scenario must survive)"
        elif [ "$reports" -ne 0 ]; then
            problem="walloc reported '$report' where it must refuse quietly"
        else
            report="survived"
        fi
    elif [ "$status" -ne 134 ]; then
        problem="exit status $status, not 134 (abort or trap)"
    elif [ -z "$pointer" ]; then
        problem="the scenario did not reach its misuse"
    elif [ "$reports" -ne 1 ]; then
        problem="$reports lines start with 'walloc: ' on stderr, not one"
    elif [ -z "$reported_pointer" ]; then
        problem="the report is not 'walloc: <kind> of 0x<hex>'"
    elif [ "$(normalize_hex "$reported_pointer")" != "$(normalize_hex "$pointer")" ]; then
        problem="the report names 0x$reported_pointer, the bad pointer was 0x$pointer"
    elif [ "$kind" != "any" ] && [ "$reported_kind" != "$kind" ]; then
        problem="the report says '$reported_kind', expected '$kind'"
    fi

    if [ -z "$problem" ]; then
        passed=$((passed + 1))
        echo "death: $scenario: ok ($report)"
    else
        failed=$((failed + 1))
        echo "death: $scenario: FAILED: $problem"
        echo "--- stdout ---"
        cat "$work/out"
        echo "--- stderr ---"
        cat "$work/err"
        echo "---"
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
