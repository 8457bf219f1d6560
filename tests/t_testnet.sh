#!/usr/bin/env bash
# t_testnet.sh — the test network (net/ctnet, tests/netlib.sh): hosts come up
# with exactly their addresses, TCP between hosts carries exactly the bytes
# sent (IPv4 and IPv6, from the sender's own address), each host has its own
# crosstag state, `down` leaves no namespace, interface, process or file, also
# after an `up` that died half-way, and two nets coexist, isolated.
# Needs root (skips otherwise; under CI=true it runs).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$TESTS_DIR/netlib.sh"

# expect_out NAME EXPECTED CMD ARGS... — CMD's stdout must be EXPECTED exactly
expect_out() {
    local name=$1 exp=$2 got rc=0
    shift 2
    got=$("$@" 2>"$T/.err") || rc=$?
    if [ "$rc" -eq 0 ] && [ "$got" = "$exp" ]; then
        pass "$name"
        return 0
    fi
    { echo "command: $*"; echo "exit $rc"; echo "expected:"; echo "$exp"; echo "got:"; echo "$got"; cat "$T/.err"; } >"$T/.diff"
    fail "$name" "unexpected output" "$T/.diff"
}

# expect_err NAME RC MESSAGE CMD ARGS... — exits RC, stderr holds MESSAGE
expect_err() {
    local name=$1 exp_rc=$2 msg=$3 rc=0
    shift 3
    "$@" >"$T/.out" 2>"$T/.err" || rc=$?
    if [ "$rc" -eq "$exp_rc" ] && grep -qF -- "$msg" "$T/.err"; then
        pass "$name"
        return 0
    fi
    { echo "command: $*"; echo "exit $rc (expected $exp_rc), stderr:"; cat "$T/.err"; echo "expected in stderr: $msg"; } >"$T/.diff"
    fail "$name" "wrong error" "$T/.diff"
}

ns_list() { ip netns list 2>/dev/null | awk '{ print $1 }' | sort; }

# The net's namespaces that still exist (none expected after down)
left_namespaces() { ns_list | grep -E "^$1([.-]|$)" || true; }

test_bad_input() {
    expect_err bad-net-name 1 "bad net name 'No_Good'" "$CTNET" up No_Good 2
    expect_err bad-host-name 1 "bad host name 'x.y'" "$CTNET" up ok x.y
    expect_err long-host-name 1 "longer than 13 bytes" "$CTNET" up ok abcdefghijklmn
    expect_err host-twice 1 "host 'a' given twice" "$CTNET" up ok a b a
    expect_err host-count 1 "bad host count '0'" "$CTNET" up ok 0
    expect_err unknown-net 1 "unknown net 'nosuchnet'" "$CTNET" exec nosuchnet a true
    expect_err unknown-net-ip 1 "unknown net 'nosuchnet'" "$CTNET" ip nosuchnet a
    expect_err usage 2 "usage: ctnet up" "$CTNET" frobnicate
    if [ "$(id -u)" -eq 0 ]; then
        expect_err not-root 1 "up needs root" setpriv --reuid=65534 --regid=65534 --clear-groups "$CTNET" up ok 2
    else
        expect_err not-root 1 "up needs root" "$CTNET" up ok 2
    fi
}

test_up() {
    local x h i exp
    expect_out namespaces "$(printf '%s\n' "$NET-a" "$NET-b" "$NET-c" "$NET.sw")" left_namespaces "$NET"
    x=$(sed -n 's/^X=//p' "$CTNET_ROOT/$NET/net.conf")
    i=0
    for h in a b c; do
        i=$((i + 1))
        expect_out "addresses-$h" "10.$x.0.$i/24 fd00:$x::$i/64" \
            sh -c "ip -n '$NET-$h' -o addr show dev eth0 scope global | awk '{ printf \"%s%s\", s, \$4; s = \" \" }'"
        expect_out "ip-$h" "10.$x.0.$i" net_ip "$h"
        expect_out "ip6-$h" "fd00:$x::$i" net_ip "$h" -6
    done
    expect_out switch-ports "v-a v-b v-c" \
        sh -c "ip -n '$NET.sw' -o link show master br0 | sed 's/^[0-9]*: \([^@:]*\).*/\1/' | sort | xargs"
    # nothing of the net in the machine's own namespace
    expect_out no-root-veth "" sh -c "ip -o link show type veth | grep -E ': (v-[a-c]|eth0)@' || true"
    exp=$(printf '%-15s %-7s %-13s %-12s %-14s %s\n' NET STATE HOST IPV4 IPV6 NAMESPACE
          printf '%-15s %-7s %-13s %-12s %-14s %s\n' "$NET" up a "10.$x.0.1" "fd00:$x::1" "$NET-a" \
                 "$NET" up b "10.$x.0.2" "fd00:$x::2" "$NET-b" "$NET" up c "10.$x.0.3" "fd00:$x::3" "$NET-c")
    expect_out list "$exp" "$CTNET" list
    expect_err up-twice 1 "net '$NET' exists" "$CTNET" up "$NET" 2
}

# tcp_copy NAME FAMILY PORT — c listens, a sends 200,000 bytes; c receives
# exactly them, from a's address
tcp_copy() {
    local name=$1 fam=$2 port=$3 dst src listen connect pid rc=0 d
    d=$(net_dir c)/data
    if [ "$fam" = 6 ]; then
        dst=$(net_ip c -6) src=$(net_ip a -6)
        listen=TCP6-LISTEN:$port,bind=[$dst] connect=TCP6:[$dst]:$port
    else
        dst=$(net_ip c) src=$(net_ip a)
        listen=TCP4-LISTEN:$port,bind=$dst connect=TCP4:$dst:$port
    fi
    rm -f "$d/got$fam" "$d/peer$fam"
    on c socat -u "$listen" SYSTEM:"echo \$SOCAT_PEERADDR > peer$fam; cat > got$fam" 2>"$T/.rx" &
    pid=$!
    wait_listen c "$port" || { fail "$name" "c never listened on $port" "$T/.rx"; kill "$pid"; return 1; }
    on a socat -u "OPEN:$T/payload" "$connect" 2>"$T/.tx" || rc=$?
    wait "$pid" || rc=$?
    [ "$rc" -eq 0 ] || { cat "$T/.tx" "$T/.rx" >"$T/.diff"; fail "$name" "socat failed" "$T/.diff"; return 1; }
    same_file "$name" "$T/payload" "$d/got$fam" || return 1
    # socat writes IPv6 peers in full ([fd00:0012:...]): compare normalised
    expect_out "$name" "$src" "$PY" -c 'import ipaddress, sys; print(ipaddress.ip_address(open(sys.argv[1]).read().strip().strip("[]")))' "$d/peer$fam"
}

test_tcp() {
    gen "$T/payload" 200000 7
    tcp_copy tcp-ipv4-a-to-c 4 5001
    tcp_copy tcp-ipv6-a-to-c 6 5002
    # names resolve inside the net (/etc/netns/NS/hosts)
    expect_out resolve-b "$(net_ip b)" sh -c "'$CTNET' exec '$NET' a getent ahostsv4 b | awk 'NR == 1 { print \$1 }'"
}

# the benchmarks' programs (build/tests/netsend, netrecv) across the net
test_progs() {
    local d pid rc=0
    d=$(net_dir b)/data
    gen "$T/dgrams" 51200 11
    on b "$PROGS/netrecv" udp 5101 1000 >"$d/udp.out" 2>"$T/.rx" &
    pid=$!
    wait_listen b 5101 udp || fail netrecv-udp "b never listened" "$T/.rx"
    on a "$PROGS/netsend" udp "$(net_ip b -6)" 5101 512 <"$T/dgrams" 2>"$T/.tx" || rc=$?
    wait "$pid" || rc=$?
    if [ "$rc" -ne 0 ]; then cat "$T/.tx" "$T/.rx" >"$T/.diff"; fail netsend-udp "exit $rc" "$T/.diff"
    else
        expect_out netrecv-udp-count "datagrams 100 bytes 51200" cat "$T/.rx"
        same_file netsend-udp "$T/dgrams" "$d/udp.out" && pass netsend-udp
    fi
    rc=0
    on b "$PROGS/netrecv" tcp 5102 >"$d/tcp.out" 2>"$T/.rx" &
    pid=$!
    wait_listen b 5102 || fail netrecv-tcp "b never listened" "$T/.rx"
    on a "$PROGS/netsend" tcp "$(net_ip b)" 5102 <"$T/payload" 2>"$T/.tx" || rc=$?
    wait "$pid" || rc=$?
    if [ "$rc" -ne 0 ]; then cat "$T/.tx" "$T/.rx" >"$T/.diff"; fail netsend-tcp "exit $rc" "$T/.diff"
    else
        expect_out netrecv-tcp-count "bytes 200000" cat "$T/.rx"
        same_file netsend-tcp "$T/payload" "$d/tcp.out" && pass netsend-tcp
    fi
}

test_state() {
    local h d
    for h in a b c; do
        d=$CTNET_ROOT/$NET/$h
        expect_out "env-$h" "$d/crosstag.db $h $d/data $h" on "$h" sh -c 'echo "$CROSSTAG_DB $CROSSTAG_HOST $PWD $(hostname)"'
    done
    expect_out exit-status 7 sh -c "'$CTNET' exec '$NET' b sh -c 'exit 7'; echo \$?"
    # a crosstag run on b records into b's database only, under host name b
    printf 'hello b\n' >"$CTNET_ROOT/$NET/b/data/in.txt"
    if ! on b timeout -k 10 "$CT_TIMEOUT" "$CT" run -q -- sh -c 'cat in.txt > out.txt' 2>"$T/.err"; then
        fail crosstag-on-b "crosstag run on b failed" "$T/.err"
        return 1
    fi
    expect_out own-db "b" sh -c "ls '$CTNET_ROOT/$NET/a' '$CTNET_ROOT/$NET/b' '$CTNET_ROOT/$NET/c' | grep -c '^crosstag.db\$' | sed 's/^1\$/b/'"
    d=$CTNET_ROOT/$NET/b/data
    printf '{"sink":{"host":"b","object":"file:%s/out.txt","start":0,"end":8},"source":{"host":"b","object":"file:%s/in.txt","start":0,"end":8},"mode":"aligned"}\n' "$d" "$d" >"$T/.exp"
    expect_out query-on-b "$(cat "$T/.exp")" "$CT" query backward --db "$CTNET_ROOT/$NET/b/crosstag.db" --json "$d/out.txt"
}

# a second net: its own subnet, works while the first is up, cannot reach it
test_second_net() {
    local first=$NET x1 x2 rc=0
    net_up 2 || return 1
    x1=$(sed -n 's/^X=//p' "$CTNET_ROOT/$first/net.conf")
    x2=$(sed -n 's/^X=//p' "$CTNET_ROOT/$NET/net.conf")
    if [ "$x1" != "$x2" ]; then pass second-subnet; else fail second-subnet "both nets use 10.$x1.0.0/24"; fi
    gen "$T/payload" 50000 9
    on b socat -u TCP4-LISTEN:6001 "CREATE:got2" 2>"$T/.rx" &
    wait_listen b 6001 || fail second-net-listen "b never listened" "$T/.rx"
    on a socat -u "OPEN:$T/payload" "TCP4:$(net_ip b):6001" 2>"$T/.tx" || rc=$?
    wait $! || rc=$?
    if [ "$rc" -eq 0 ]; then same_file second-net-tcp "$T/payload" "$(net_dir b)/data/got2" && pass second-net-tcp
    else fail second-net-tcp "socat failed" "$T/.tx"; fi
    rc=0
    on a socat -u - "TCP4:10.$x1.0.3:5001,connect-timeout=2" </dev/null 2>"$T/.err" || rc=$?
    if [ "$rc" -ne 0 ] && grep -q 'unreachable' "$T/.err"; then pass nets-isolated
    else fail nets-isolated "second net reached the first (exit $rc)" "$T/.err"; fi
    "$CTNET" down "$NET" >/dev/null 2>"$T/.err" || fail second-down "down failed" "$T/.err"
    NET=$first
    tcp_copy first-net-still-up 4 5003
}

# down: every process gone (also one that ignores SIGTERM), every namespace,
# hosts file and state folder; then again, and after a half-done up
test_down() {
    local pids p alive="" keepnet
    # started in subshells: no job, so no "Killed" notice from this shell
    ("$CTNET" exec "$NET" b sleep 1000 &)
    ("$CTNET" exec "$NET" c sh -c 'trap "" TERM; while :; do sleep 1; done' &)
    ("$CTNET" exec "$NET" a socat TCP-LISTEN:7000,fork - </dev/null >/dev/null 2>&1 &)
    wait_listen a 7000 || fail down-setup "a never listened"
    sleep 0.3
    pids=$(for h in a b c; do ip netns pids "$NET-$h"; done | sort -n | xargs)
    if [ "$(echo "$pids" | wc -w)" -ge 3 ]; then pass down-setup; else fail down-setup "only these processes: $pids"; fi
    expect_out down "ctnet: net $NET down" "$CTNET" down "$NET"
    for p in $pids; do
        if [ -e "/proc/$p" ] && [ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" != Z ]; then alive+="$p "; fi
    done
    expect_out down-no-process "" echo "$alive"
    expect_out down-no-namespace "" left_namespaces "$NET"
    expect_out down-no-hosts-file "" sh -c "ls -d /etc/netns/$NET-* 2>/dev/null || true"
    expect_out down-no-state "" sh -c "ls -d '$CTNET_ROOT/$NET' 2>/dev/null || true"
    expect_out down-again "ctnet: net $NET: nothing to take down" "$CTNET" down "$NET"
    # a folder ctnet did not make is never removed
    mkdir -p "$CTNET_ROOT/foreign/keep"
    "$CTNET" down foreign >/dev/null 2>&1
    expect_out down-foreign-folder "$CTNET_ROOT/foreign/keep" sh -c "ls -d '$CTNET_ROOT/foreign/keep'"

    # an up killed after making the switch, host a and half of host b
    local half=ct$$h rc
    on_cleanup "'$CTNET' down '$half'"
    rc=$(CTNET_TEST_CRASH_AFTER=b sh -c '"$0" up "$1" 3 >/dev/null 2>&1; echo $?' "$CTNET" "$half")
    if [ "$rc" -eq 137 ] && [ -n "$(left_namespaces "$half")" ]; then pass half-up
    else fail half-up "expected a killed up (137) leaving namespaces; exit $rc, namespaces: $(left_namespaces "$half" | xargs)"; fi
    expect_out half-down "ctnet: net $half down" "$CTNET" down "$half"
    expect_out half-down-no-namespace "" left_namespaces "$half"
    expect_out half-down-no-hosts-file "" sh -c "ls -d /etc/netns/$half-* 2>/dev/null || true"

    # down --keep keeps the hosts' folders; up again uses them
    net_up 2 || return 1
    keepnet=$NET
    echo kept >"$(net_dir a)/data/note"
    "$CTNET" down "$keepnet" --keep >/dev/null 2>"$T/.err" || fail keep-down "down --keep failed" "$T/.err"
    "$CTNET" up "$keepnet" 2 >/dev/null 2>"$T/.err" || fail keep-up "up after down --keep failed" "$T/.err"
    expect_out keep-state kept on a cat note
    "$CTNET" down "$keepnet" >/dev/null 2>&1
}

test_bad_input
net_up 3 || finish
test_up
test_tcp
test_progs
test_state
test_second_net
test_down
finish
