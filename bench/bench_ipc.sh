#!/usr/bin/env bash
# bench/bench_ipc.sh — what crosstag costs on inter-process traffic (issue 3):
# a pipe between two processes (`cat IN | cat > OUT`) and a loopback TCP
# connection (build/tests/netsend -> build/tests/netrecv, both ends tracked),
# each natively, under Valgrind's `none` tool and under `crosstag run` (both
# ends recording into one database), in one run.  Prints wall seconds, MB/s
# and the ratios; every output is compared with the input.
# Run by hand, not by the test suite.  Usage: bash bench/bench_ipc.sh [SIZE_MB]  (default 100)
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(dirname "$here")
CT=$root/build/bin/crosstag
SEND=$root/build/tests/netsend
RECV=$root/build/tests/netrecv
MB=${1:-100}
[[ $MB =~ ^[0-9]+$ ]] && [ "$MB" -ge 1 ] || { echo "usage: bash bench/bench_ipc.sh [SIZE_MB]" >&2; exit 2; }
for f in "$CT" "$SEND" "$RECV"; do [ -x "$f" ] || { echo "bench: $f missing (run make)" >&2; exit 1; }; done
command -v valgrind >/dev/null || { echo "bench: valgrind missing" >&2; exit 1; }
command -v ss >/dev/null || { echo "bench: ss missing (apt-get install iproute2)" >&2; exit 1; }
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
LIMIT=${BENCH_TIMEOUT:-1800}     # seconds per measured command: a hang guard

W=$(mktemp -d "${TMPDIR:-/tmp}/crosstag-bench.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
export LC_ALL=C
IN=$W/input.bin
OUT=$W/out.bin
"$PY" -c 'import random, sys; sys.stdout.buffer.write(random.Random(1).randbytes(int(sys.argv[1]) * 1000 * 1000))' "$MB" >"$IN"

now() { date +%s.%N; }

# wrap MODE -> the command prefix of that mode (one database per measurement)
wrap() {
    case $1 in
        native) ;;
        none) echo valgrind -q --tool=none --vgdb=no --trace-children=yes ;;
        crosstag) echo "$CT" run -q --db "$W/db" -- ;;
    esac
}

# pipe MODE -> seconds, or "fail"
pipe() {
    local t0 t1 rc=0
    t0=$(now)
    # shellcheck disable=SC2046
    timeout "$LIMIT" $(wrap "$1") sh -c 'cat "$1" | cat > "$2"' sh "$IN" "$OUT" 2>"$W/err" || rc=$?
    t1=$(now)
    finish_run "$rc" "$t0" "$t1" "pipe cat|cat"
}

# tcp MODE -> seconds from the sender's start to the receiver's end (the
# receiver already listening), or "fail"
PORT=$((20000 + $$ % 20000))
tcp() {
    local t0 t1 rc=0 i rpid
    PORT=$((PORT + 1))
    # shellcheck disable=SC2046
    timeout "$LIMIT" $(wrap "$1") "$RECV" tcp "$PORT" >"$OUT" 2>"$W/rerr" &
    rpid=$!
    for ((i = 0; i < 600; i++)); do
        [ -n "$(ss -ltnH "sport = :$PORT")" ] && break
        kill -0 "$rpid" 2>/dev/null || break
        sleep 0.1
    done
    t0=$(now)
    # shellcheck disable=SC2046
    timeout "$LIMIT" $(wrap "$1") "$SEND" tcp 127.0.0.1 "$PORT" <"$IN" 2>"$W/err" || rc=$?
    [ "$rc" -eq 0 ] || kill "$rpid" 2>/dev/null     # it would wait for a connection
    wait "$rpid" || rc=$?
    t1=$(now)
    cat "$W/rerr" >>"$W/err"
    finish_run "$rc" "$t0" "$t1" "tcp loopback"
}

# finish_run RC T0 T1 LABEL — checks the output, cleans up, prints the seconds
finish_run() {
    local ok=1
    [ "$1" -eq 0 ] || ok=0
    cmp -s "$IN" "$OUT" || { ok=0; echo "output differs from the input" >>"$W/err"; }
    # after a crosstag run: the flow rows recorded (tracking was on)
    [ -f "$W/db" ] && echo "crosstag recorded $(sqlite3 "$W/db" 'SELECT count(*) FROM flows' 2>/dev/null || echo '?') flow rows ($4)" >>"$W/rows"
    rm -f "$OUT" "$W"/db*
    if [ "$ok" -eq 1 ]; then awk -v a="$2" -v b="$3" 'BEGIN { printf "%.3f", b - a }'; else echo fail; fi
}

cell() { awk -v t="$1" -v mb="$MB" 'BEGIN { if (t == "fail") print "failed"; else if (t + 0 == 0) printf "%ss(-)", t; else printf "%ss(%.0f)", t, mb / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "fail" || b == "fail" || b + 0 == 0) print "-"; else printf "%.1fx", a / b }'; }

echo "crosstag IPC benchmark: ${MB} MB of random bytes, $(nproc) cores, $(valgrind --version)"
echo "wall seconds (MB/s); none = valgrind --tool=none; crosstag = crosstag run, both ends, one database"
printf '%-14s %14s %14s %14s %9s %9s %9s\n' test native none crosstag none/nat ct/nat ct/none
declare -A S
for test in pipe tcp; do
    for m in native none crosstag; do
        S[$m]=$("$test" "$m")
        if [ "${S[$m]}" = fail ]; then
            { echo "    $test under $m failed:"; sed 's/^/    /' "$W/err" | head -5; } >>"$W/failures"
        fi
    done
    case $test in pipe) label="pipe cat|cat" ;; tcp) label="tcp loopback" ;; esac
    printf '%-14s %14s %14s %14s %9s %9s %9s\n' "$label" \
        "$(cell "${S[native]}")" "$(cell "${S[none]}")" "$(cell "${S[crosstag]}")" \
        "$(ratio "${S[none]}" "${S[native]}")" "$(ratio "${S[crosstag]}" "${S[native]}")" \
        "$(ratio "${S[crosstag]}" "${S[none]}")"
done
[ -s "$W/rows" ] && cat "$W/rows"
[ -s "$W/failures" ] && cat "$W/failures"
exit 0
