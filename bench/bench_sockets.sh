#!/usr/bin/env bash
# bench/bench_sockets.sh [MB] — a TCP echo over loopback (tests/progs/tcpecho:
# the server reads and echoes 1000-byte chunks and saves them, the client
# sends a file and saves the echo), natively and with both ends under
# `crosstag run` (one database), plus a socketpair copy through fork
# (sockpair).  Prints wall seconds and the ratio crosstag/native.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MB=${1:-2}
make -s
CT=$PWD/build/bin/crosstag P=$PWD/build/tests
D=$(mktemp -d "${TMPDIR:-/tmp}/ct-bench-sock.XXXXXX")
trap '"$CT" agent stop --db "$D/db" >/dev/null 2>&1; rm -rf "$D"' EXIT
python3 -c 'import base64,os,sys; n=int(sys.argv[1]); open(sys.argv[2],"wb").write(base64.b64encode(os.urandom(n))[:n])' \
    $((MB * 1024 * 1024)) "$D/in"
N=$(stat -c %s "$D/in")

now() { date +%s.%N; }
echo_run() {   # echo_run PREFIX... : server and client, wall time of both
    rm -f "$D/pf" "$D/db"*
    local t0 t1
    t0=$(now)
    "$@" "$P/tcpecho" server 127.0.0.1 "$D/pf" "$D/save" "$N" &
    local spid=$!
    while [ ! -e "$D/pf" ]; do sleep 0.05; done
    "$@" "$P/tcpecho" client 127.0.0.1 "$(cat "$D/pf")" "$D/in" "$D/out"
    wait $spid
    t1=$(now)
    echo "$t1 - $t0" | bc
}
pair_run() {
    rm -f "$D/db"*
    local t0 t1
    t0=$(now)
    "$@" "$P/sockpair" "$D/in" "$D/out2"
    t1=$(now)
    echo "$t1 - $t0" | bc
}
ctr() { "$CT" run --db "$D/db" --host bench -- "$@"; }

printf 'crosstag socket benchmark: %d MB, %s\n' "$MB" "$(uname -r)"
printf '%-26s %10s %10s %8s\n' test native crosstag ratio
n=$(echo_run env); c=$(echo_run ctr)
printf '%-26s %9.2fs %9.2fs %7.1fx\n' "tcp echo (1000 B chunks)" "$n" "$c" "$(echo "$c / $n" | bc -l)"
n=$(pair_run env); c=$(pair_run ctr)
printf '%-26s %9.2fs %9.2fs %7.1fx\n' "pipe+socketpair via fork" "$n" "$c" "$(echo "$c / $n" | bc -l)"
