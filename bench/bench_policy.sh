#!/usr/bin/env bash
# bench/bench_policy.sh [MB] — what leak prevention costs: `cat FILE | tr a-z A-Z
# > OUT` under crosstag run without a policy, with a policy that protects
# another file (each labelled write of tr to OUT still asks the agent: one
# round trip and a backward query through the pipe per 4 KB write; cat's pipe
# writes send their flows before the call), and with one that protects FILE
# (action mask: every byte masked).  Prints wall seconds and the ratios to the
# run without policy.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MB=${1:-1}
make -s
CT=$PWD/build/bin/crosstag
D=$(mktemp -d "${TMPDIR:-/tmp}/ct-bench-pol.XXXXXX")
trap '"$CT" agent stop --db "$D/db" >/dev/null 2>&1; rm -rf "$D"' EXIT
python3 -c 'import base64,os,sys; n=int(sys.argv[1]); open(sys.argv[2],"wb").write(base64.b64encode(os.urandom(n))[:n])' \
    $((MB * 1024 * 1024)) "$D/in"
printf '[class c]\naction = mask\nsource = %s/other\n' "$D" >"$D/other.ini"
printf '[class c]\naction = mask\nsource = %s/in\n' "$D" >"$D/in.ini"
now() { date +%s.%N; }
run() {   # run [--policy FILE]: wall seconds
    "$CT" agent stop --db "$D/db" >/dev/null 2>&1 || true
    rm -f "$D/db"*
    local t0 t1
    t0=$(now)
    "$CT" run -q --db "$D/db" --host bench "$@" -- sh -c "cat '$D/in' | tr a-z A-Z > '$D/out'"
    t1=$(now)
    echo "$t1 - $t0" | bc
}
base=$(run)
other=$(run --policy "$D/other.ini")
prot=$(run --policy "$D/in.ini")
masked=$(tr -d '*' <"$D/out" | wc -c)
echo "crosstag policy benchmark: cat | tr > file, $MB MB, $(nproc) cores"
printf '%-28s %8ss\n' "no policy" "$base"
printf '%-28s %8ss  %5.2fx\n' "policy, file not protected" "$other" "$(echo "$other / $base" | bc -l)"
printf '%-28s %8ss  %5.2fx  (unmasked bytes left: %s)\n' "policy, file protected (mask)" "$prot" \
    "$(echo "$prot / $base" | bc -l)" "$masked"
