#!/usr/bin/env bash
# bench/bench.sh — crosstag's cost against native, Valgrind's `none` tool and
# memcheck, on a 25 MB text file that is a source (issue 2, "Performance").
# For gzip -c, sha256sum, sort and base64 it measures, in one run, wall time
# and peak RSS (GNU time: %e %M; for `crosstag run` that is the largest
# process of the tree, i.e. the Valgrind process running the tool) and prints
# ratios: crosstag vs native and vs memcheck, peak memory vs memcheck.
# Outputs go to temp files.  Usage: bash bench/bench.sh [SIZE_MB]
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(dirname "$here")
CT=$root/build/bin/crosstag
MB=${1:-25}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: $TIME missing (apt-get install time)" >&2; exit 1; }
[ -x "$CT" ] || { echo "bench: $CT missing (run make)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "bench: valgrind missing" >&2; exit 1; }
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi

W=$(mktemp -d "${TMPDIR:-/tmp}/crosstag-bench.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
export LC_ALL=C

# deterministic text: lines of pseudo-random words (an LCG, fixed seed)
"$PY" - "$W/input.txt" "$MB" <<'PYEOF'
import sys
path, mb = sys.argv[1], int(sys.argv[2])
target = mb * 1000 * 1000
words = [w for w in """the of and to in is that for it as was with be by on not he this are or his
from at which but have an they you were her she there been one all we their has would when if
so no will can more other its about some what into them than only time could new these two may
first then do any like my now over such our man me even most made after also did many off before
must well back through years much where your way down should because each just those people how
too little state good very make world still own see men work long get here between both life being
under never day same another know while last might us great old year come since against go came
right used take three data flow byte label source sink track host file offset range query""".split()]
x = 20240101
out = bytearray()
while len(out) < target:
    n = 4 + x % 9
    line = []
    for _ in range(n):
        x = (x * 1103515245 + 12345) % 2**31
        line.append(words[(x >> 8) % len(words)])
    x = (x * 1103515245 + 12345) % 2**31
    out += (" ".join(line) + " %d\n" % (x % 100000)).encode()
open(path, "wb").write(out[:target])
PYEOF
IN=$W/input.txt

cmds=("gzip -c" "sha256sum" "sort" "base64")
modes=(native none memcheck crosstag)

# measure MODE CMD -> "seconds peakKB" (or "fail fail"); exit status in $W/rc
measure() {
    local mode=$1 cmd=$2 out=$W/out rc=0
    # word splitting of $cmd is intended
    # shellcheck disable=SC2086
    case $mode in
        native)   "$TIME" -f '%e %M' -o "$W/t" $cmd "$IN" >"$out" 2>"$W/err" || rc=$? ;;
        none)     "$TIME" -f '%e %M' -o "$W/t" valgrind -q --tool=none $cmd "$IN" >"$out" 2>"$W/err" || rc=$? ;;
        memcheck) "$TIME" -f '%e %M' -o "$W/t" valgrind -q --tool=memcheck $cmd "$IN" >"$out" 2>"$W/err" || rc=$? ;;
        crosstag) rm -f "$W"/db*
                  "$TIME" -f '%e %M' -o "$W/t" "$CT" run -q --db "$W/db" -- $cmd "$IN" >"$out" 2>"$W/err" || rc=$? ;;
    esac
    rm -f "$out"
    echo "$rc" >"$W/rc"
    if [ "$rc" -eq 0 ]; then tail -n 1 "$W/t"; else echo "fail fail"; fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "fail" || b == "fail" || b + 0 == 0) print "-"; else printf "%.1fx", a / b }'; }
cell() { awk -v t="$1" -v k="$2" 'BEGIN { if (t == "fail") print "failed"; else printf "%ss(%.0f)", t, k / 1024 }'; }

echo "crosstag benchmark: ${MB} MB text file, $(nproc) cores, $(valgrind --version)"
echo "wall seconds (peak RSS MB); ratios: crosstag/native, crosstag/memcheck (time), crosstag/memcheck (peak memory)"
printf '%-10s %14s %14s %14s %14s %9s %9s %9s\n' command native none memcheck crosstag "vs-nat" "vs-mc" "mem-vs-mc"
declare -A T M
for c in "${cmds[@]}"; do
    for m in "${modes[@]}"; do
        read -r t k < <(measure "$m" "$c")
        T[$m]=$t M[$m]=$k
    done
    printf '%-10s %14s %14s %14s %14s %9s %9s %9s\n' "$c" \
        "$(cell "${T[native]}" "${M[native]}")" "$(cell "${T[none]}" "${M[none]}")" \
        "$(cell "${T[memcheck]}" "${M[memcheck]}")" "$(cell "${T[crosstag]}" "${M[crosstag]}")" \
        "$(ratio "${T[crosstag]}" "${T[native]}")" "$(ratio "${T[crosstag]}" "${T[memcheck]}")" \
        "$(ratio "${M[crosstag]}" "${M[memcheck]}")"
    if [ "${T[crosstag]}" = fail ]; then
        echo "    crosstag run exited $(cat "$W/rc" 2>/dev/null)"
        sed 's/^/    crosstag: /' "$W/err" | head -5
    fi
done
echo "targets (issue 2): crosstag time no worse than memcheck's (vs-mc <= 1.0x); peak memory at most 2x memcheck's (mem-vs-mc <= 2.0x)"
