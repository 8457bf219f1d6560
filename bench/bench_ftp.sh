#!/usr/bin/env bash
# bench/bench_ftp.sh — FTP under crosstag (issue 5 item 6): a test network
# (net/ctnet) of hosts a, b, c; vsftpd on a serves a SIZE_MB MB file, curl
# fetches it (passive mode), each end on its own host:
#   native     both native
#   none       both under valgrind --tool=none (the cost of Valgrind itself)
#   track      both under crosstag run, no policy (tracking only)
#   config4    both under crosstag run --policy P, the file not protected
#              (TA-Salvia's configuration 4)
#   c4-server  config4 with curl native: vsftpd's share of the cost
#   c4-client  config4 with vsftpd native: curl's share
#   config5    both under crosstag run --policy P, the file protected, sent to
#              b, a trusted tracked host: its labels travel with it and b keeps
#              tracking (TA-Salvia's configuration 5)
#   blocked    the protected file to c (untrusted): the time until curl is
#              refused (the data connection is shut down before sendfile)
# P (one policy for the net): class confidential, action block, source a's
# secret.bin; trusted nets a and b, trusted path b's data folder (b keeps
# what it received); c untrusted.  In config4, config5 and blocked, a and b
# run their agents with P (crosstag agent start --policy P), as a trusted
# network must; every mode starts from empty stores.
# Per mode: vsftpd is started once in that mode, curl runs REPS times; the
# table shows the medians of curl's own transfer time (time_total: from the
# start of the connection to the last byte, without the program's start-up,
# which under Valgrind alone is ~0.7 s) and of the whole client command's
# wall time, MB/s on the transfer time, ratios, and whether every received
# file's sha256 equals the original's.
# vsftpd runs as anonymous servers do (tests/ftp/vsftpd.sh), under plain
# crosstag run.  A server has served before it is measured: in every mode two
# warm-up sessions (native curl, a 1 KB file) come first, so the rows show
# the steady state (under crosstag the children then start with the
# translations their parent made for them: README, Warm children).
# Needs root.  Run by hand, not by the test suite.
# Usage: sudo bash bench/bench_ftp.sh [SIZE_MB]   (default 100; REPS=N, default 3;
#        MODES="native none ..." to choose rows; RATE=1gbit to shape the link)
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(dirname "$here")
CT=$root/build/bin/crosstag
CTNET=$root/net/ctnet
. "$root/tests/ftp/vsftpd.sh"
MB=${1:-100}
REPS=${REPS:-3}
[[ $MB =~ ^[0-9]+$ ]] && [ "$MB" -ge 1 ] && [[ $REPS =~ ^[0-9]+$ ]] && [ "$REPS" -ge 1 ] ||
    { echo "usage: sudo bash bench/bench_ftp.sh [SIZE_MB]   (REPS=N runs per mode)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (the test network is made of network namespaces)" >&2; exit 1; }
[ -x "$CT" ] || { echo "bench: $CT missing (run make)" >&2; exit 1; }
for c in valgrind vsftpd curl ss sha256sum; do command -v "$c" >/dev/null || { echo "bench: $c missing (bash setup.sh)" >&2; exit 1; }; done
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
LIMIT=${BENCH_TIMEOUT:-1800}     # seconds per measured command: a hang guard
# MODES: which rows, in order (also none-server / none-client: one end under
# valgrind --tool=none, the other native, the baselines of c4-server/c4-client)
MODES=${MODES:-native none track config4 c4-server c4-client config5 blocked}
# RATE: shape a's egress (the data direction) to this rate with tc's token
# bucket, e.g. RATE=1gbit for a gigabit LAN like TA-Salvia's testbed; empty:
# the veth's own speed (several GB/s: every cost shows)
RATE=${RATE:-}

W=$(mktemp -d "${TMPDIR:-/tmp}/crosstag-bench.XXXXXX") || exit 1
export CTNET_ROOT=$W/ctnet LC_ALL=C
NET=bf$$
VS=
stop_server() {
    [ -n "$VS" ] || return 0
    kill -TERM "$VS" 2>/dev/null
    wait "$VS" 2>/dev/null
    VS=
}
AGENT_FILES=()
trap 'stop_server; fresh_dbs; "$CTNET" down "$NET" >/dev/null 2>&1; rm -f ${AGENT_FILES[@]+"${AGENT_FILES[@]}"}; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
"$CTNET" up "$NET" a b c >/dev/null || { echo "bench: ctnet up failed" >&2; exit 1; }
A=$("$CTNET" ip "$NET" a) B=$("$CTNET" ip "$NET" b)
AD=$("$CTNET" dir "$NET" a)/data BD=$("$CTNET" dir "$NET" b)/data
"$CT" bpf attach >/dev/null 2>&1 || echo "bench: note: crosstag bpf attach failed (streams get id 0)" >&2
if [ -n "$RATE" ]; then
    ip netns exec "$NET-a" tc qdisc replace dev eth0 root tbf rate "$RATE" burst 512kb latency 100ms ||
        { echo "bench: cannot shape a's link to $RATE (tc)" >&2; exit 1; }
fi

mkdir -p "$AD/ftp/pub" "$AD/empty"
"$PY" -c 'import random, sys; sys.stdout.buffer.write(random.Random(int(sys.argv[2])).randbytes(int(sys.argv[1])))' \
    $((MB * 1000 * 1000)) 1 >"$AD/ftp/pub/public.bin"
"$PY" -c 'import random, sys; sys.stdout.buffer.write(random.Random(int(sys.argv[2])).randbytes(int(sys.argv[1])))' \
    $((MB * 1000 * 1000)) 2 >"$AD/ftp/pub/secret.bin"
head -c 1000 "$AD/ftp/pub/public.bin" >"$AD/ftp/pub/warm.bin"
SUM_PUB=$(sha256sum <"$AD/ftp/pub/public.bin" | cut -d' ' -f1)
SUM_SEC=$(sha256sum <"$AD/ftp/pub/secret.bin" | cut -d' ' -f1)
vsftpd_conf "$A" "$AD" 30000 30099 >"$W/vsftpd.conf"
POL=$W/pol.ini
cat >"$POL" <<EOF
[class confidential]
action = block
source = a:$AD/ftp/pub/secret.bin
[trusted]
net = $A/32
net = $B/32
path = $BD/*
EOF

now() { date +%s.%N; }
# wrap MODE server|client -> the command prefix of that end in that mode
# (run on the host: CROSSTAG_DB is the host's)
wrap() {
    case $1-$2 in
        c4-server-client|c4-client-server|none-server-client|none-client-server) return ;;
        c4-server-server) echo "$CT" run -q --policy "$POL" -- ; return ;;
        c4-*) echo "$CT" run -q --policy "$POL" -- ; return ;;
        none-*) echo valgrind -q --tool=none --vgdb=no --trace-children=yes ; return ;;
    esac
    case $1 in
        native) ;;
        none) echo valgrind -q --tool=none --vgdb=no --trace-children=yes ;;
        track) echo "$CT" run -q -- ;;
        config4|config5|blocked) echo "$CT" run -q --policy "$POL" -- ;;
    esac
}
listening() { [ -n "$(ss -N "$NET-a" -ltnH 'sport = :21')" ]; }
start_server() {
    # shellcheck disable=SC2046
    "$CTNET" exec "$NET" a timeout -k 10 "$LIMIT" $(wrap "$1" server) vsftpd "$W/vsftpd.conf" 2>"$W/vsftpd.err" &
    VS=$!
    local i
    for ((i = 0; i < 600; i++)); do
        listening && return 0
        kill -0 "$VS" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
# fresh_dbs — stops the hosts' agents (their socket, lock and log files go at
# exit) and deletes the stores
fresh_dbs() {
    local h f
    for h in a b c; do
        f=$("$CTNET" exec "$NET" "$h" "$CT" agent status 2>/dev/null | sed -n 's/^log //p')
        [ -n "$f" ] && AGENT_FILES+=("$f" "${f%.log}.lock" "${f%.log}.sock")
        "$CTNET" exec "$NET" "$h" "$CT" agent stop >/dev/null 2>&1
        rm -f "$CTNET_ROOT/$NET/$h"/crosstag.db*
    done
}

# run_mode MODE HOST FILE SUM -> "transfer wall sha-ok exit" per rep, one line each
run_mode() {
    local m=$1 h=$2 f=$3 sum=$4 r t0 t1 tt rc out got
    out=$("$CTNET" dir "$NET" "$h")/data/got.bin
    for ((r = 0; r < REPS; r++)); do
        rm -f "$out"
        rc=0
        t0=$(now)
        # shellcheck disable=SC2046
        tt=$("$CTNET" exec "$NET" "$h" timeout -k 10 "$LIMIT" $(wrap "$m" client) curl -sS -o got.bin -w '%{time_total}' \
            "ftp://$A/pub/$f" 2>>"$W/err.$m") || rc=$?
        t1=$(now)
        got=no
        [ -f "$out" ] && [ "$(sha256sum <"$out" | cut -d' ' -f1)" = "$sum" ] && got=yes
        [ "$m" = blocked ] && { [ -s "$out" ] && got=LEAKED || got="none (exit $rc)"; }
        echo "$tt $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $rc $got"
    done
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.1fx", a / b }'; }

echo "crosstag FTP benchmark: test net $NET, vsftpd $(dpkg-query -W -f '${Version}' vsftpd 2>/dev/null) on a=$A,"
echo "$(curl --version | head -1 | cut -d' ' -f1-2) on b=$B (trusted) and c (untrusted); $MB MB ($((MB * 1000 * 1000)) bytes), $REPS runs per mode (medians);"
echo "$(nproc) cores, $(valgrind --version)${RATE:+; link a->b shaped to $RATE (tc tbf)}"
echo
printf '%-9s %10s %8s %9s %8s %9s %8s %9s  %s\n' mode transfer-s MB/s x-native x-none wall-s x-native x-none "sha256 equal"
declare -A TT WT
for m in $MODES; do
    fresh_dbs
    case $m in
        config4|c4-*|config5|blocked)
            for h in a b; do
                "$CTNET" exec "$NET" "$h" "$CT" agent start --policy "$POL" >"$W/agent.out" 2>&1 ||
                    { echo "bench: agent start on $h failed:" >&2; cat "$W/agent.out" >&2; }
            done ;;
    esac
    if ! start_server "$m"; then
        printf '%-9s %s\n' "$m" "failed: vsftpd did not listen"; sed 's/^/    /' "$W/vsftpd.err" | head -5
        stop_server; continue
    fi
    for r in 1 2; do   # warm-up sessions: a server has served before
        "$CTNET" exec "$NET" b timeout -k 10 "$LIMIT" curl -sS -o /dev/null "ftp://$A/pub/warm.bin" 2>>"$W/err.warm" ||
            echo "bench: warm-up session $r in $m failed" >&2
    done
    case $m in
        config5) h=b f=secret.bin sum=$SUM_SEC ;;
        blocked) h=c f=secret.bin sum=$SUM_SEC ;;
        *) h=b f=public.bin sum=$SUM_PUB ;;
    esac
    run_mode "$m" "$h" "$f" "$sum" >"$W/res.$m"
    stop_server
    # config5: did the labels travel?  b's own store (no merge) must trace
    # the last received copy to a's secret.bin, every byte
    if [ "$m" = config5 ]; then
        "$CTNET" exec "$NET" b "$CT" query backward --json "$BD/got.bin" >"$W/q5" 2>&1
        printf '{"sink":{"host":"b","object":"file:%s","start":0,"end":%s},"source":{"host":"a","object":"file:%s","start":0,"end":%s},"mode":"aligned"}\n' \
            "$BD/got.bin" $((MB * 1000 * 1000)) "$AD/ftp/pub/secret.bin" $((MB * 1000 * 1000)) >"$W/w5"
        if cmp -s "$W/w5" "$W/q5"; then TRAVEL=yes; else TRAVEL="no: $(head -c 300 "$W/q5")"; fi
    fi
    TT[$m]=$(cut -d' ' -f1 "$W/res.$m" | median)
    WT[$m]=$(cut -d' ' -f2 "$W/res.$m" | median)
    oks=$(cut -d' ' -f4- "$W/res.$m" | sort -u | paste -sd, -)
    rcs=$(cut -d' ' -f3 "$W/res.$m" | sort -u | paste -sd, -)
    if [ "$m" = blocked ]; then
        printf '%-9s %10.3f %8s %9s %8s %9s %8s %9s  %s\n' "$m" "${TT[$m]}" - - - "${WT[$m]}" \
            "$(ratio "${WT[$m]}" "${WT[native]:-}")" "$(ratio "${WT[$m]}" "${WT[none]:-}")" "received: $oks"
        continue
    fi
    [ "$rcs" = 0 ] || oks="$oks (curl exit $rcs)"
    printf '%-9s %10.3f %8.1f %9s %8s %9s %8s %9s  %s\n' "$m" "${TT[$m]}" "$(awk -v s="${TT[$m]}" -v mb="$MB" 'BEGIN { print mb / s }')" \
        "$(ratio "${TT[$m]}" "${TT[native]:-}")" "$(ratio "${TT[$m]}" "${TT[none]:-}")" "${WT[$m]}" \
        "$(ratio "${WT[$m]}" "${WT[native]:-}")" "$(ratio "${WT[$m]}" "${WT[none]:-}")" "$oks"
done
echo
echo "(transfer-s: curl's time_total, median; wall-s: the whole client command, Valgrind's start included;"
echo " x-native / x-none: against native and against valgrind --tool=none on both ends. Goal: config4 and"
echo " config5 below TA-Salvia's best, 3.7x native. blocked: the protected file to untrusted c, time until curl is refused.)"
[ -n "${TRAVEL:-}" ] && echo "config5: b's own store traces its copy to a's secret.bin [0, $((MB * 1000 * 1000))) (labels travelled): $TRAVEL"
for m in $MODES; do
    [ -s "$W/err.$m" ] && [ "$m" != blocked ] && { echo "stderr of curl in $m:"; sort -u "$W/err.$m" | head -5 | sed 's/^/    /'; }
done
exit 0
