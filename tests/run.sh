#!/usr/bin/env bash
# tests/run.sh — builds crosstag, runs every tests/t_*.sh one after the other
# (Valgrind is heavy: no parallelism) and ends with exactly one summary line:
#   N passed, N failed[, N skipped]
# Exit 0 iff nothing failed.  Under CI=true nothing may skip (lib.sh turns a
# skip into a failure).  Usage: bash tests/run.sh [t_NAME.sh...]
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(dirname "$here")
cd "$root" || exit 1

log=$(mktemp "${TMPDIR:-/tmp}/crosstag-run.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT

extra_fail=0
if ! make -s >"$log" 2>&1; then
    echo "FAIL build: make failed"
    tail -n 40 "$log" | sed 's/^/    /'
    extra_fail=$((extra_fail + 1))
fi

if [ $# -gt 0 ]; then
    scripts=()
    for s in "$@"; do
        case $s in */*) scripts+=("$s") ;; *) scripts+=("$here/$s") ;; esac
    done
else
    scripts=("$here"/t_*.sh)
fi

npass=0 nfail=0 nskip=0
for s in "${scripts[@]}"; do
    [ -f "$s" ] || { echo "FAIL $(basename "$s"): no such test script"; extra_fail=$((extra_fail + 1)); continue; }
    name=$(basename "$s")
    echo "# $name"
    bash "$s" </dev/null 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^FAIL ' "$log")
    k=$(grep -c '^SKIP ' "$log")
    npass=$((npass + p)); nfail=$((nfail + f)); nskip=$((nskip + k))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: exited $rc without reporting a failure"
        extra_fail=$((extra_fail + 1))
    elif [ "$rc" -eq 0 ] && [ "$f" -gt 0 ]; then
        echo "FAIL $name: reported failures but exited 0"
        extra_fail=$((extra_fail + 1))
    fi
done

nfail=$((nfail + extra_fail))
if [ "${CI:-}" = true ] && [ "$nskip" -gt 0 ]; then
    # lib.sh already turns skips into failures under CI; this is a safety net
    nfail=$((nfail + nskip))
fi
if [ "$nskip" -gt 0 ]; then
    echo "$npass passed, $nfail failed, $nskip skipped"
else
    echo "$npass passed, $nfail failed"
fi
[ "$nfail" -eq 0 ]
