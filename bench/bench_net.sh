#!/usr/bin/env bash
# bench/bench_net.sh — crosstag on a network (issue 4): a test network
# (net/ctnet) of two hosts a and b, and
#   TCP: SIZE_MB MB from a to b (build/tests/netsend -> netrecv), natively,
#        under Valgrind's `none` tool and under `crosstag run` (each end on its
#        own host with its own database): wall seconds, MB/s, ratios, and the
#        bytes on the wire, which crosstag must leave unchanged;
#   UDP: DATAGRAMS datagrams of 512 bytes from a to b, the same three ways and
#        a fourth, "tagged": crosstag run with the UDP sequence tag attached on
#        both hosts (crosstag net udptag attach --track a b): each datagram
#        carries 4 bytes more on the wire.  Its bytes are counted on the wire
#        itself (nftables in the switch, after a's tc programs added the tag):
#        the overhead per datagram, in percent of the payload and of the wire
#        bytes against native.
# Bytes are counted by nftables counters in a's namespace (no packet capture):
# every IP packet a sends or receives on eth0, and the test connection's own.
# The counters see packets before segmentation (a TSO/GSO packet counts once,
# with one header): TCP payload = IP bytes - 52 per data packet (20 IP + 32 TCP
# with timestamps), exact whatever the segmentation; it includes the bytes TCP
# sent again (netsend reports them from TCP_INFO), so payload - retransmitted
# must be the bytes sent, in every mode.  "other" = IP bytes of a that are not
# the test connection (crosstag's own traffic would show there).  IPv6
# neighbour discovery and MLD (the kernel's own chatter, at its own times) are
# not counted.
# Needs root.  Run by hand, not by the test suite.
# Usage: sudo bash bench/bench_net.sh [SIZE_MB [DATAGRAMS]]   (default 100 100000)
#        BENCH_PARTS=udp (or tcp) runs one part only.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(dirname "$here")
CT=$root/build/bin/crosstag
SEND=$root/build/tests/netsend
RECV=$root/build/tests/netrecv
CTNET=$root/net/ctnet
MB=${1:-100}
DGRAMS=${2:-100000}
DSIZE=512
TPORT=7001 UPORT=7002
[[ $MB =~ ^[0-9]+$ ]] && [ "$MB" -ge 1 ] && [[ $DGRAMS =~ ^[0-9]+$ ]] && [ "$DGRAMS" -ge 1 ] ||
    { echo "usage: sudo bash bench/bench_net.sh [SIZE_MB [DATAGRAMS]]" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (the test network is made of network namespaces)" >&2; exit 1; }
for f in "$CT" "$SEND" "$RECV"; do [ -x "$f" ] || { echo "bench: $f missing (run make)" >&2; exit 1; }; done
for c in valgrind nft ss sqlite3; do command -v "$c" >/dev/null || { echo "bench: $c missing (bash setup.sh)" >&2; exit 1; }; done
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
LIMIT=${BENCH_TIMEOUT:-1800}     # seconds per measured command: a hang guard

W=$(mktemp -d "${TMPDIR:-/tmp}/crosstag-bench.XXXXXX") || exit 1
export CTNET_ROOT=$W/ctnet LC_ALL=C
NET=bn$$
trap '"$CTNET" down "$NET" >/dev/null 2>&1; rm -rf "$W"' EXIT
"$CTNET" up "$NET" a b >/dev/null || { echo "bench: ctnet up failed" >&2; exit 1; }
A=$("$CTNET" ip "$NET" a) B=$("$CTNET" ip "$NET" b)
AD=$("$CTNET" dir "$NET" a) BD=$("$CTNET" dir "$NET" b)

ip netns exec "$NET-a" nft -f - <<EOF || { echo "bench: nft setup failed" >&2; exit 1; }
table inet ctbench {
    counter out_all { }
    counter in_all { }
    counter tcp_out { }
    counter tcp_out_ts { }
    counter tcp_in { }
    counter udp_out { }
    counter udp_in { }
    chain out {
        type filter hook output priority 0; policy accept;
        oifname != "eth0" accept
        icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report } accept
        counter name out_all
        ip daddr $B tcp dport $TPORT counter name tcp_out
        ip daddr $B tcp dport $TPORT tcp doff 8 counter name tcp_out_ts
        ip daddr $B udp dport $UPORT counter name udp_out
    }
    chain in {
        type filter hook input priority 0; policy accept;
        iifname != "eth0" accept
        icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report } accept
        counter name in_all
        ip saddr $B tcp sport $TPORT counter name tcp_in
        ip saddr $B udp sport $UPORT counter name udp_in
    }
}
EOF

# the switch counts a's datagrams to b as they are on the wire (tag included)
ip netns exec "$NET.sw" nft -f - <<EOF || { echo "bench: nft setup in the switch failed" >&2; exit 1; }
table bridge ctbench {
    counter udp_wire { }
    chain sw {
        type filter hook forward priority 0; policy accept;
        ip daddr $B udp dport $UPORT counter name udp_wire
    }
}
EOF
PARTS=${BENCH_PARTS:-tcp udp}

"$PY" -c 'import random, sys; sys.stdout.buffer.write(random.Random(1).randbytes(int(sys.argv[1])))' $((MB * 1000 * 1000)) >"$AD/tcp.bin"
"$PY" -c 'import random, sys; sys.stdout.buffer.write(random.Random(2).randbytes(int(sys.argv[1])))' $((DGRAMS * DSIZE)) >"$AD/udp.bin"

now() { date +%s.%N; }
on() { local h=$1; shift; timeout "$LIMIT" "$CTNET" exec "$NET" "$h" "$@"; }

# wrap MODE HOST -> the command prefix of that mode on HOST
wrap() {
    case $1 in
        native) ;;
        none) echo valgrind -q --tool=none --vgdb=no --trace-children=yes ;;
        crosstag|tagged) echo "$CT" run -q --db "$CTNET_ROOT/$NET/$2/crosstag.db" --host "$2" -- ;;
    esac
}

# db_rows PROTO — after a crosstag run: the flow rows each host's database holds
db_rows() {
    local h n out=""
    for h in a b; do
        n=$(sqlite3 "$CTNET_ROOT/$NET/$h/crosstag.db" 'SELECT count(*) FROM flows' 2>/dev/null) || n='?'
        out+=" $h ${n:-?},"
    done
    echo "crosstag recorded $1 flow rows:${out%,}" >>"$W/rows"
}

# counter NAME -> "packets bytes"
counter() { ip netns exec "$NET-a" nft list counter inet ctbench "$1" | awk '/packets/ { print $2, $4 }'; }
reset_counters() {
    ip netns exec "$NET-a" nft reset counters table inet ctbench >/dev/null
    ip netns exec "$NET.sw" nft reset counters table bridge ctbench >/dev/null
}
wire_counter() { ip netns exec "$NET.sw" nft list counter bridge ctbench udp_wire | awk '/packets/ { print $2, $4 }'; }

# udptag attach|detach — the UDP sequence tag on both hosts, tracking a and b
udptag() {
    local h
    for h in a b; do
        if [ "$1" = attach ]; then
            on "$h" "$CT" net udptag attach --track "$A/32" "$B/32" >/dev/null || return 1
        else
            on "$h" "$CT" net udptag detach >/dev/null || return 1
        fi
    done
}

wait_listen() {     # wait_listen -ltnH|-lunH PORT PID
    local i
    for ((i = 0; i < 600; i++)); do
        [ -n "$(ss -N "$NET-b" "$1" "sport = :$2")" ] && return 0
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# run_tcp MODE -> "seconds payload retransmitted datapackets otherpackets flowbytes otherbytes" or "fail"
run_tcp() {
    local m=$1 rc=0 rpid t0 t1 op ob ip_ ib fp fb tp tb bp bb rt
    reset_counters
    # shellcheck disable=SC2046
    on b $(wrap "$m" b) "$RECV" tcp "$TPORT" >"$BD/recv.bin" 2>"$W/rerr" &
    rpid=$!
    wait_listen -ltnH "$TPORT" "$rpid" || { echo fail; cat "$W/rerr" >"$W/err"; return; }
    t0=$(now)
    # shellcheck disable=SC2046
    on a $(wrap "$m" a) "$SEND" tcp "$B" "$TPORT" <"$AD/tcp.bin" 2>"$W/err" || rc=$?
    [ "$rc" -eq 0 ] || kill "$rpid" 2>/dev/null
    wait "$rpid" || rc=$?
    t1=$(now)
    cat "$W/rerr" >>"$W/err"
    cmp -s "$AD/tcp.bin" "$BD/recv.bin" || { rc=1; echo "b received other bytes than a sent" >>"$W/err"; }
    [ "$m" = crosstag ] && db_rows TCP
    rm -f "$BD/recv.bin" "$AD"/crosstag.db* "$BD"/crosstag.db*
    [ "$rc" -eq 0 ] || { echo fail; return; }
    read -r op ob < <(counter out_all); read -r ip_ ib < <(counter in_all)
    read -r fp fb < <(counter tcp_out); read -r tp tb < <(counter tcp_out_ts)
    read -r bp bb < <(counter tcp_in)
    rt=$(sed -n 's/^retransmitted //p' "$W/err")
    awk -v t0="$t0" -v t1="$t1" -v tp="$tp" -v tb="$tb" -v fp="$fp" -v fb="$fb" -v bp="$bp" -v bb="$bb" \
        -v op="$op" -v ob="$ob" -v ip="$ip_" -v ib="$ib" -v rt="${rt:-?}" 'BEGIN {
        printf "%.3f %d %s %d %d %d %d\n", t1 - t0, tb - 52 * tp, rt, tp, fp - tp, fb + bb, ob + ib - fb - bb }'
}

# run_udp MODE -> "seconds sent payload wirebytes otherbytes received wpackets wbytes" or "fail"
run_udp() {
    local m=$1 rc=0 rpid t0 t1 op ob ip_ ib up ub rx wp wbb
    reset_counters
    if [ "$m" = tagged ]; then
        udptag attach || { echo fail; echo "crosstag net udptag attach failed" >"$W/err"; return; }
    fi
    # shellcheck disable=SC2046
    on b $(wrap "$m" b) "$RECV" udp "$UPORT" 3000 >/dev/null 2>"$W/rerr" &
    rpid=$!
    wait_listen -lunH "$UPORT" "$rpid" || { echo fail; cat "$W/rerr" >"$W/err"; return; }
    t0=$(now)
    # shellcheck disable=SC2046
    on a $(wrap "$m" a) "$SEND" udp "$B" "$UPORT" "$DSIZE" <"$AD/udp.bin" 2>"$W/err" || rc=$?
    t1=$(now)
    [ "$rc" -eq 0 ] || kill "$rpid" 2>/dev/null
    wait "$rpid" || rc=$?
    cat "$W/rerr" >>"$W/err"
    case $m in crosstag|tagged) db_rows "UDP ($m)" ;; esac
    [ "$m" = tagged ] && udptag detach
    rm -f "$AD"/crosstag.db* "$BD"/crosstag.db*
    [ "$rc" -eq 0 ] || { echo fail; return; }
    read -r op ob < <(counter out_all); read -r ip_ ib < <(counter in_all)
    read -r up ub < <(counter udp_out)
    read -r wp wbb < <(wire_counter)
    rx=$(sed -n 's/^datagrams \([0-9]*\) .*/\1/p' "$W/rerr")
    awk -v t0="$t0" -v t1="$t1" -v up="$up" -v ub="$ub" -v op="$op" -v ob="$ob" -v ip="$ip_" -v ib="$ib" -v rx="$rx" \
        -v wp="$wp" -v wb="$wbb" 'BEGIN {
        printf "%.3f %d %d %d %d %s %d %d\n", t1 - t0, up, ub - 28 * up, ob + ib, ob + ib - ub, rx, wp, wb }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.1fx", a / b }'; }
report_fail() { { echo "    $1 under $2 failed:"; sed 's/^/    /' "$W/err" | head -5; } >>"$W/failures"; }

modes=(native none crosstag)
umodes=(native none crosstag tagged)
echo "crosstag network benchmark: test net $NET, a=$A -> b=$B (veth + bridge), $(nproc) cores, $(valgrind --version)"
echo "none = valgrind --tool=none on both ends; crosstag = crosstag run on both ends, one database per host"
echo
if [[ " $PARTS " == *" tcp "* ]]; then
echo "TCP a->b, $MB MB ($((MB * 1000 * 1000)) bytes); counted in a by nftables (packets before segmentation)"
printf '%-9s %9s %8s %11s %8s %11s %9s %10s %11s %11s\n' mode seconds MB/s payload retrans pay-retr data-pkts other-pkts conn-bytes other-bytes
declare -A TS PAY
for m in "${modes[@]}"; do
    r=$(run_tcp "$m")
    if [ "$r" = fail ]; then
        printf '%-9s %9s\n' "$m" failed; report_fail tcp "$m"; continue
    fi
    read -r s pay rt dp xp cb xb <<<"$r"
    TS[$m]=$s PAY[$m]=$((pay - ${rt/\?/0}))
    printf '%-9s %9s %8s %11s %8s %11s %9s %10s %11s %11s\n' "$m" "$s" "$(awk -v s="$s" -v mb="$MB" 'BEGIN { printf "%.1f", mb / s }')" \
        "$pay" "$rt" "${PAY[$m]}" "$dp" "$xp" "$cb" "$xb"
done
same=yes
for m in "${modes[@]}"; do [ "${PAY[$m]:-}" = $((MB * 1000 * 1000)) ] || same=no; done
echo "payload on the wire less retransmissions = the $((MB * 1000 * 1000)) bytes sent, in every mode: $same"
echo "ratios: none/native $(ratio "${TS[none]:-}" "${TS[native]:-}"), crosstag/native $(ratio "${TS[crosstag]:-}" "${TS[native]:-}"), crosstag/none $(ratio "${TS[crosstag]:-}" "${TS[none]:-}")"
echo "(payload: TCP payload bytes a sent; retrans: of those, sent again (TCP_INFO); data-pkts: packets with a 32-byte TCP header;"
echo " other-pkts: the rest, i.e. the SYN; conn-bytes: IP bytes of the connection both ways, ACKs included; other-bytes: IP bytes of a outside it)"
echo
fi
if [[ " $PARTS " == *" udp "* ]]; then
echo "UDP a->b, $DGRAMS datagrams of $DSIZE bytes"
printf '%-9s %9s %8s %11s %12s %11s %9s %9s %12s %8s %9s %9s\n' mode seconds sent payload a-ip-bytes other-bytes overhead received \
    switch-bytes B/dgram %payload %wire
declare -A WB SWB
for m in "${umodes[@]}"; do
    r=$(run_udp "$m")
    if [ "$r" = fail ]; then
        printf '%-9s %9s\n' "$m" failed; report_fail udp "$m"; continue
    fi
    read -r s sent pay wb xb rx wp wbb <<<"$r"
    WB[$m]=$wb SWB[$m]=$wbb
    ov=$(awk -v a="$wb" -v b="${WB[native]:-}" 'BEGIN { if (b == "" || b + 0 == 0) print "-"; else printf "%+.3f%%", (a - b) * 100 / b }')
    # the tag's cost, from the bytes the switch saw against native's
    read -r per pp pw < <(awk -v a="$wbb" -v b="${SWB[native]:-}" -v n="$wp" -v d="$DSIZE" 'BEGIN {
        if (b == "" || n + 0 == 0) { print "- - -"; exit }
        x = (a - b) / n; printf "%.2f %.3f%% %.3f%%\n", x, x * 100 / d, (a - b) * 100 / b }')
    printf '%-9s %9s %8s %11s %12s %11s %9s %9s %12s %8s %9s %9s\n' "$m" "$s" "$sent" "$pay" "$wb" "$xb" "$ov" "$rx" \
        "$wbb" "$per" "$pp" "$pw"
done
echo "(seconds: the sender's; a-ip-bytes: IP bytes a sent and received, counted in a before its tc programs; overhead: those"
echo " against native; received: datagrams b got before 3 s of silence; switch-bytes: bytes of a's datagrams to b as the switch"
echo " forwarded them, the tag included; B/dgram, %payload, %wire: what that adds per datagram against native, in percent of"
echo " the payload and of the switch-bytes)"
fi
[ -s "$W/rows" ] && cat "$W/rows"
[ -s "$W/failures" ] && cat "$W/failures"
exit 0
