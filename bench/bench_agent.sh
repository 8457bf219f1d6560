#!/usr/bin/env bash
# bench/bench_agent.sh — the agent's cost per flow record (issue 3): one
# stand-in tracker (bench/agent_load.py, no Valgrind) streams N records that
# never merge into rows; `crosstag run` returns once the agent has committed
# them all.  Prints records/s, µs per record, and the time to generate the
# same stream into /dev/null (the generator's own share), in one run.
# Run by hand.  Usage: bash bench/bench_agent.sh [N]   (default 1000000)
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(dirname "$here")
CT=$root/build/bin/crosstag
N=${1:-1000000}
[[ $N =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] || { echo "usage: bash bench/bench_agent.sh [N]" >&2; exit 2; }
[ -x "$CT" ] || { echo "bench: $CT missing (run make)" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/crosstag-bench.XXXXXX") || exit 1
trap '"$CT" agent stop --db "$W/db" >/dev/null 2>&1; rm -rf "$W"' EXIT
now() { date +%s.%N; }

# the generator alone: a socket that swallows everything
gen_only() {
    python3 - "$W/null.sock" <<'PY' & sink=$!
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
while c.recv(1 << 20): pass
PY
    for _ in $(seq 50); do [ -S "$W/null.sock" ] && break; sleep 0.1; done
    local t0 t1
    t0=$(now)
    CT_LOAD_FLOWS=$N python3 "$here/agent_load.py" --ct-socket="$W/null.sock" --ct-run=1 --ct-host=h
    t1=$(now)
    wait $sink
    echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}'
}

g=$(gen_only)
"$CT" agent start --db "$W/db" --host bench >/dev/null || exit 1
t0=$(now)
CROSSTAG_VALGRIND=$here/agent_load.py CT_LOAD_FLOWS=$N "$CT" run -q --db "$W/db" --host bench -- true || exit 1
t1=$(now)
rows=$(sqlite3 "$W/db" "SELECT count(*) FROM flows" 2>/dev/null || echo "?")
echo "crosstag agent benchmark: $N flow records, $(nproc) cores"
echo "$t0 $t1 $g $N $rows" | awk '{t = $2 - $1; printf "agent stored %s rows in %.3fs: %.0f records/s, %.2f us/record (generator alone %.3fs)\n", $5, t, $4 / t, t * 1e6 / $4, $3}'
