# tests/lib.sh — sourced by every tests/t_*.sh.
#
# Gives each script:
#   $CT        build/bin/crosstag;  ct ARGS...  runs it
#   $PROGS     build/tests (the test programs)
#   $T         a private temp dir (symlinks resolved), removed on exit; the
#              script runs with $T as its working directory
#   $DB        the database of the current test ($T/db); fresh_db empties it
#   $H         the host name every run records (crosstag run --host $H)
#   ctrun [RUN-OPTIONS] -- CMD ARGS...
#              crosstag run --db $DB --host $H ..., stderr kept in $CTERR,
#              guarded by a timeout (a hang becomes a failure, not a stall)
#   ctrun_ok NAME [RUN-OPTIONS] -- CMD ARGS...
#              the same, and on a non-zero exit reports FAIL NAME, returns 1
#   row SINK S E SRC A B [MODE]   one expected --json line (MODE: aligned)
#   expect_json NAME backward|forward TARGET  < expected-lines
#              compares `crosstag query DIR --db $DB --json TARGET` exactly
#   expect_pairs NAME backward|forward TARGET < expected-lines
#              compares the byte-level dependency relation only (row
#              boundaries and the aligned/all choice for 1-byte rows do not
#              matter); for outputs whose exact row shape the design leaves open
#   expect_sources NAME DIR TARGET OBJECT...   the distinct source objects are
#              exactly these;  expect_has_source NAME DIR TARGET OBJECT: among them
#   same_file NAME EXPECTED GOT   cmp, FAIL with the first difference
#   pass NAME / fail NAME WHY / skip NAME WHY / skip_unless_root NAME
#   finish     exits 0 iff no check failed
#
# Output: one line per check, `ok NAME`, `FAIL NAME: why` (details indented
# below), or `SKIP NAME: why`.  Under CI=true nothing skips: a skip is a FAIL.
set -u

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(dirname "$TESTS_DIR")
CT=${CROSSTAG_TEST_BIN:-$ROOT/build/bin/crosstag}
PROGS=$ROOT/build/tests
H=testhost
CT_TIMEOUT=${CT_TIMEOUT:-600}       # seconds per crosstag command: a hang guard, not a timing test
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
ROWTOOL="$TESTS_DIR/rowtool.py"

export LC_ALL=C
unset CROSSTAG_DB CROSSTAG_HOST
ulimit -c 0 2>/dev/null || true     # no core files (nor vgcore.*) from the crash tests

T=$(mktemp -d "${TMPDIR:-/tmp}/crosstag-test.XXXXXX") || { echo "FAIL setup: mktemp -d failed"; exit 1; }
T=$(cd "$T" && pwd -P)
CLEANUP_CMDS=()
# on_cleanup CMD — a command string run (eval) at exit, before $T is removed
on_cleanup() { CLEANUP_CMDS+=("$1"); }
cleanup() {
    cd / || true
    local c
    stop_agent
    for c in ${CLEANUP_CMDS[@]+"${CLEANUP_CMDS[@]}"}; do eval "$c" >/dev/null 2>&1 || true; done
    # read-only test folders must be writable again before removal
    chmod -R u+w "$T" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$T" || exit 1

DB=$T/db
CTERR=$T/.ctrun.err
# Checks often run on the right of a pipe (a subshell): failures are counted
# in a file, not a variable, so finish sees them all.
FAILS=$T/.failures
: >"$FAILS"

pass() { echo "ok $1"; return 0; }

# fail NAME WHY [DETAIL-FILE]
fail() {
    echo "FAIL $1: $2"
    if [ $# -ge 3 ] && [ -s "$3" ]; then
        head -c 4000 "$3" | sed 's/^/    /'
        echo
    fi
    echo "$1" >>"$FAILS"
    return 1
}

skip() {
    if [ "${CI:-}" = true ]; then
        fail "$1" "would skip under CI ($2)"
        return 1
    fi
    echo "SKIP $1: $2"
    return 0
}

# skip_unless_root NAME — returns 0 when the test may go on (root).
skip_unless_root() {
    [ "$(id -u)" -eq 0 ] && return 0
    skip "$1" "needs root"
    return 1
}

finish() {
    [ ! -s "$FAILS" ]
    exit $?
}

ct() { "$CT" "$@"; }

# The database's agent goes first: it would keep writing the deleted file.
stop_agent() { "$CT" agent stop --db "${1:-$DB}" >/dev/null 2>&1 || true; }
fresh_db() { stop_agent; rm -f "$DB" "$DB-wal" "$DB-shm" "$DB-journal"; }

ctrun() {
    timeout -k 10 "$CT_TIMEOUT" "$CT" run --db "$DB" --host "$H" "$@" 2>"$CTERR"
}

ctrun_ok() {
    local name=$1 rc=0
    shift
    ctrun "$@" || rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "$name" "crosstag run exited $rc" "$CTERR"
        return 1
    fi
    return 0
}

# row SINK S E SRC A B [MODE]
row() {
    local mode=${7:-aligned} re='^[A-Za-z0-9/._+=,@-]*$'
    if [[ $1 =~ $re && $4 =~ $re ]]; then
        local sk=$1 sr=$4
        [ "${sk#/}" != "$sk" ] && sk="file:$sk"
        [ "${sr#/}" != "$sr" ] && sr="file:$sr"
        printf '{"sink":{"host":"%s","object":"%s","start":%s,"end":%s},"source":{"host":"%s","object":"%s","start":%s,"end":%s},"mode":"%s"}\n' \
            "$H" "$sk" "$2" "$3" "$H" "$sr" "$5" "$6" "$mode"
    else
        "$PY" "$ROWTOOL" row "$H" "$1" "$2" "$3" "$4" "$5" "$6" "$mode"
    fi
}

# run_query DIR TARGET -> $T/.got (stdout), $T/.qerr; returns the exit code
run_query() {
    local rc=0
    timeout -k 10 "$CT_TIMEOUT" "$CT" query "$1" --db "$DB" --json "$2" >"$T/.got" 2>"$T/.qerr" || rc=$?
    return $rc
}

# The query's exit status must be 0.  One allowance: when no row is expected
# the target may be unknown to the database (nothing ever flowed into or out
# of it), which a query may report with exit 1 and an empty stdout.
query_status_ok() {
    local name=$1 rc=$2 exp=$3
    [ "$rc" -eq 0 ] && return 0
    if [ "$rc" -eq 1 ] && [ ! -s "$exp" ] && [ ! -s "$T/.got" ]; then
        return 0
    fi
    fail "$name" "crosstag query exited $rc" "$T/.qerr"
    return 1
}

expect_json() {
    local name=$1 dir=$2 target=$3 rc=0
    cat >"$T/.exp"
    run_query "$dir" "$target" || rc=$?
    query_status_ok "$name" "$rc" "$T/.exp" || return 1
    if cmp -s "$T/.exp" "$T/.got"; then
        pass "$name"
        return 0
    fi
    diff -u "$T/.exp" "$T/.got" | sed -e '1s/.*/--- expected/' -e '2s/.*/+++ crosstag query '"$dir"' --json/' >"$T/.diff"
    fail "$name" "query $dir differs from the expected rows" "$T/.diff"
}

expect_pairs() {
    local name=$1 dir=$2 target=$3 rc=0
    "$PY" "$ROWTOOL" pairs >"$T/.exp.pairs" || { fail "$name" "bad expected rows"; return 1; }
    : >"$T/.exp"
    [ -s "$T/.exp.pairs" ] && echo x >"$T/.exp"
    run_query "$dir" "$target" || rc=$?
    query_status_ok "$name" "$rc" "$T/.exp" || return 1
    if ! "$PY" "$ROWTOOL" pairs <"$T/.got" >"$T/.got.pairs" 2>"$T/.qerr"; then
        fail "$name" "query output is not valid rows" "$T/.qerr"
        return 1
    fi
    if cmp -s "$T/.exp.pairs" "$T/.got.pairs"; then
        pass "$name"
        return 0
    fi
    {
        echo "byte pairs (sink <- source): - expected only, + reported only"
        diff "$T/.exp.pairs" "$T/.got.pairs" | grep '^[<>]' | sed 's/^</-/; s/^>/+/' | head -40
        echo "query output:"
        head -20 "$T/.got"
    } >"$T/.diff"
    fail "$name" "query $dir reports other byte dependencies than expected" "$T/.diff"
}

# expect_sources NAME DIR TARGET OBJECT...   (OBJECT: absolute path or a full object name)
expect_sources() {
    local name=$1 dir=$2 target=$3 rc=0 o
    shift 3
    for o in "$@"; do
        case $o in /*) echo "file:$o" ;; *) echo "$o" ;; esac
    done | sort -u >"$T/.exp"
    run_query "$dir" "$target" || rc=$?
    query_status_ok "$name" "$rc" "$T/.exp" || return 1
    if [ "$dir" = forward ]; then
        "$PY" "$ROWTOOL" sinks <"$T/.got" >"$T/.got.src" 2>"$T/.qerr"
    else
        "$PY" "$ROWTOOL" sources <"$T/.got" >"$T/.got.src" 2>"$T/.qerr"
    fi || { fail "$name" "query output is not valid rows" "$T/.qerr"; return 1; }
    if cmp -s "$T/.exp" "$T/.got.src"; then
        pass "$name"
        return 0
    fi
    { echo "expected objects:"; cat "$T/.exp"; echo "reported objects:"; cat "$T/.got.src"; } >"$T/.diff"
    fail "$name" "query $dir names other objects than expected" "$T/.diff"
}

# expect_has_source NAME DIR TARGET OBJECT — OBJECT is among the sources
# (backward) or final sinks (forward).
expect_has_source() {
    local name=$1 dir=$2 target=$3 o=$4 rc=0
    case $o in /*) o="file:$o" ;; esac
    echo x >"$T/.exp"
    run_query "$dir" "$target" || rc=$?
    query_status_ok "$name" "$rc" "$T/.exp" || return 1
    if [ "$dir" = forward ]; then
        "$PY" "$ROWTOOL" sinks <"$T/.got" >"$T/.got.src" 2>"$T/.qerr"
    else
        "$PY" "$ROWTOOL" sources <"$T/.got" >"$T/.got.src" 2>"$T/.qerr"
    fi || { fail "$name" "query output is not valid rows" "$T/.qerr"; return 1; }
    if grep -qxF -- "$o" "$T/.got.src"; then
        pass "$name"
        return 0
    fi
    { echo "missing: $o"; echo "reported objects:"; head -20 "$T/.got.src"; } >"$T/.diff"
    fail "$name" "query $dir does not name $o" "$T/.diff"
}

# same_file NAME EXPECTED GOT — no ok line on success (callers go on checking)
same_file() {
    if [ ! -e "$3" ]; then
        fail "$1" "no output file $3" "$CTERR"
        return 1
    fi
    if ! cmp "$2" "$3" >"$T/.cmp" 2>&1; then
        fail "$1" "output under crosstag differs from the native output" "$T/.cmp"
        return 1
    fi
    return 0
}

# gen FILE SIZE [SEED] — deterministic printable bytes (no newline)
gen() {
    "$PY" - "$1" "$2" "${3:-1}" <<'PYEOF'
import sys
path, size, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
x = seed * 2654435761 % 2**32 or 1
out = bytearray()
for _ in range(size):
    x = (x * 1103515245 + 12345) % 2**31
    out.append(33 + (x >> 16) % 94)
open(path, "wb").write(out)
PYEOF
}

# fsize FILE — size in bytes
fsize() { stat -c %s "$1"; }

# Sanity: say once, clearly, when crosstag is not built (every check then fails).
if [ ! -x "$CT" ]; then
    echo "# note: $CT is missing (build failed?); checks will fail" >&2
fi
