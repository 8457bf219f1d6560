#!/usr/bin/env bash
# bench/compare.sh — precision check for engine changes: runs the same
# commands under two builds of crosstag on the same small labelled input and
# diffs what they recorded (every flow row, times and ids left out, and the
# backward --json answer for each output).  An optimisation of the engine
# must leave both identical.
# Usage: bash bench/compare.sh BASE_BUILD_DIR NEW_BUILD_DIR [SIZE_KB]
#   (a build dir is what `make` leaves in build/: bin/crosstag, lib/crosstag)
set -u
[ $# -ge 2 ] || { echo "usage: $0 BASE_BUILD NEW_BUILD [SIZE_KB]" >&2; exit 2; }
BASE=$(cd "$1" && pwd -P) || exit 2
NEW=$(cd "$2" && pwd -P) || exit 2
KB=${3:-200}
for b in "$BASE" "$NEW"; do
    [ -x "$b/bin/crosstag" ] || { echo "compare: $b/bin/crosstag missing" >&2; exit 2; }
done
command -v sqlite3 >/dev/null || { echo "compare: sqlite3 missing" >&2; exit 2; }
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
W=$(mktemp -d "${TMPDIR:-/tmp}/crosstag-compare.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
export LC_ALL=C

# text lines (words and numbers), as bench.sh makes
"$PY" - "$W/in.txt" "$KB" <<'PYEOF'
import sys
path, kb = sys.argv[1], int(sys.argv[2])
words = "the of and to in is that for it as was with be by on not data flow byte label source sink".split()
x, out = 7, bytearray()
while len(out) < kb * 1000:
    line = []
    for _ in range(4 + x % 9):
        x = (x * 1103515245 + 12345) % 2**31
        line.append(words[(x >> 8) % len(words)])
    x = (x * 1103515245 + 12345) % 2**31
    out += (" ".join(line) + " %d\n" % (x % 100000)).encode()
open(path, "wb").write(out[:kb * 1000])
PYEOF
IN=$W/in.txt

cmds=("gzip -c" "base64" "sha256sum" "sha512sum" "md5sum" "sort" "tr a-z A-Z" "cut -c1-12" "b2sum")
fails=0
for c in "${cmds[@]}"; do
    for side in base new; do
        if [ $side = base ]; then bin=$BASE/bin/crosstag; else bin=$NEW/bin/crosstag; fi
        db=$W/db.$side out=$W/out
        rm -f "$db"* "$out"
        # shellcheck disable=SC2086
        "$bin" run -q --db "$db" --host h -- $c <"$IN" >"$out" 2>"$W/err.$side" || echo "    $side: $c exited $?"
        {
            sqlite3 "$db" "SELECT s.name, f.sink_start, f.sink_end, o.name, f.src_start, f.src_end,
                           f.mode, f.reps, f.sink_step, f.src_step, f.sysno
                           FROM flows f JOIN objects s ON s.id = f.sink_obj JOIN objects o ON o.id = f.src_obj
                           ORDER BY f.id"
            "$bin" query backward --db "$db" --json "$out"
            md5sum <"$out"
        } >"$W/dump.$side" 2>&1
    done
    if cmp -s "$W/dump.base" "$W/dump.new"; then
        echo "same  $c ($(wc -l <"$W/dump.new") lines)"
    else
        echo "DIFF  $c"
        diff "$W/dump.base" "$W/dump.new" | head -20 | sed 's/^/    /'
        fails=$((fails + 1))
    fi
done
echo "$fails differing"
[ $fails -eq 0 ]
