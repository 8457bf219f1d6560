#!/usr/bin/env bash
# t_sockets.sh — data through sockets, followed across processes and across
# separate `crosstag run` commands writing one database: both ends of a
# connection name each direction alike (tcp:A>B#ID, udp:A>B, unix:S>R) with
# offsets they agree on (docs/design.md "Objects and names").  Servers run
# in the background under their own crosstag run; clients wait for the port
# file the server writes.  Tests needing the eBPF program (TCP ids) need root.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IN=$T/in.txt
gen "$IN" 10000
N=10000
SERVER_PID=

# server_bg NAME PORTFILE RUN-ARGS... — a crosstag run in the background
server_bg() {
    local name=$1 pf=$2
    shift 2
    rm -f "$pf"
    timeout -k 10 "$CT_TIMEOUT" "$CT" run --db "$DB" --host "$H" "$@" 2>"$T/.server.err" &
    SERVER_PID=$!
    on_cleanup "kill $SERVER_PID"
}

# wait_file NAME FILE — until FILE exists (the server is listening)
wait_file() {
    local i
    for i in $(seq 600); do
        [ -e "$2" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -e "$2" ] && return 0
    fail "$1" "the server never got ready" "$T/.server.err"
    return 1
}

# server_done NAME — the background run exits 0
server_done() {
    local rc=0
    wait "$SERVER_PID" || rc=$?
    [ "$rc" -eq 0 ] && return 0
    fail "$1" "the server's crosstag run exited $rc" "$T/.server.err"
    return 1
}

# objects LIKE — stored object names matching the SQL pattern, sorted
objects() { "$PY" -c 'import sqlite3,sys
for (n,) in sqlite3.connect(sys.argv[1]).execute("SELECT DISTINCT CAST(name AS TEXT) FROM objects WHERE CAST(name AS TEXT) LIKE ? ORDER BY 1", (sys.argv[2],)): print(n)' "$DB" "$1"; }

bpf_ready=0
bpf_setup() {
    [ "$(id -u)" -eq 0 ] || return 0
    if "$CT" bpf attach >"$T/.bpf.out" 2>&1; then
        bpf_ready=1
    else
        fail bpf-attach "crosstag bpf attach failed" "$T/.bpf.out"
    fi
}

test_socketpair() {
    fresh_db
    local o=$T/sp.out
    ctrun_ok socketpair -- "$PROGS/sockpair" "$IN" "$o" || return
    same_file socketpair "$IN" "$o" || return
    row "$o" 0 $N "$IN" 0 $N | expect_json socketpair backward "$o"
    row "$o" 0 $N "$IN" 0 $N | expect_json socketpair-forward forward "$IN"
    local names
    names=$(objects 'unix:%' | wc -l)
    [ "$names" = 1 ] && pass socketpair-one-object ||
        fail socketpair-one-object "expected one unix:S>R object, got $names"
}

# tcp_echo NAME IP — echo server and client in two runs
tcp_echo() {
    local name=$1 ip=$2 pf=$T/$1.port save=$T/$1.save o=$T/$1.out
    fresh_db
    server_bg "$name" "$pf" -- "$PROGS/tcpecho" server "$ip" "$pf" "$save" $N
    wait_file "$name" "$pf" || return
    ctrun_ok "$name" -- "$PROGS/tcpecho" client "$ip" "$(cat "$pf")" "$IN" "$o" || return
    server_done "$name" || return
    same_file "$name" "$IN" "$o" || return
    same_file "$name" "$IN" "$save" || return
    row "$o" 0 $N "$IN" 0 $N | expect_json "$name-client" backward "$o"
    row "$save" 0 $N "$IN" 0 $N | expect_json "$name-server" backward "$save"
    { row "$o" 0 $N "$IN" 0 $N; row "$save" 0 $N "$IN" 0 $N; } | expect_json "$name-forward" forward "$IN"
    local port show
    port=$(cat "$pf")
    case $ip in *:*) show="[$ip]" ;; *) show=$ip ;; esac
    # every stream to the server's endpoint: the client's direction
    local obj
    obj=$(objects "tcp:%>$show:$port#%")
    row "$obj" 0 $N "$IN" 0 $N | expect_json "$name-endpoint" backward "tcp:$show:$port"
    if [ "$bpf_ready" = 1 ]; then
        case $obj in *'#0') fail "$name-id" "no connection id in $obj" ;; *) pass "$name-id" ;; esac
    fi
}

test_tcp4() { tcp_echo tcp4 127.0.0.1; }
test_tcp6() { tcp_echo tcp6 ::1; }

# bash connects (/dev/tcp) and execs cat twice on the inherited socket:
# the programs that move the bytes never saw the connect.
test_tcp_exec() {
    fresh_db
    local pf=$T/ex.port save=$T/ex.save o=$T/ex.out
    server_bg tcp-exec "$pf" -- "$PROGS/tcpecho" server 127.0.0.1 "$pf" "$save" $N
    wait_file tcp-exec "$pf" || return
    ctrun_ok tcp-exec -- bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; cat "$2" >&3; cat <&3 >"$3"' \
        sh "$(cat "$pf")" "$IN" "$o" || return
    server_done tcp-exec || return
    same_file tcp-exec "$IN" "$o" || return
    row "$o" 0 $N "$IN" 0 $N | expect_json tcp-exec backward "$o"
    row "$save" 0 $N "$IN" 0 $N | expect_json tcp-exec-server backward "$save"
}

# sendfile into the socket, splice out of it (kernel-side copies)
test_tcp_sendfile() {
    fresh_db
    local pf=$T/sf.port save=$T/sf.save o=$T/sf.out
    server_bg tcp-sendfile "$pf" -- "$PROGS/tcpecho" server 127.0.0.1 "$pf" "$save" $N
    wait_file tcp-sendfile "$pf" || return
    ctrun_ok tcp-sendfile -- "$PROGS/tcpecho" client-sendfile 127.0.0.1 "$(cat "$pf")" "$IN" "$o" || return
    server_done tcp-sendfile || return
    same_file tcp-sendfile "$IN" "$o" || return
    row "$save" 0 $N "$IN" 0 $N | expect_json tcp-sendfile backward "$save"
    row "$o" 0 $N "$IN" 0 $N | expect_json tcp-splice backward "$o"
}

# Two connections on the same 4-tuple one after the other (the client binds
# the same port), carrying different files: two objects, never mixed.
test_tcp_reuse() {
    skip_unless_root tcp-reuse || return 0
    [ "$bpf_ready" = 1 ] || { fail tcp-reuse "no BPF program"; return; }
    fresh_db
    local pf=$T/reuse.port save=$T/reuse.save a=$T/reuse.a b=$T/reuse.b lport
    gen "$a" 3000 7
    gen "$b" 3000 8
    lport=$((20000 + RANDOM % 20000))
    server_bg tcp-reuse "$pf" -- "$PROGS/tcpecho" server 127.0.0.1 "$pf" "$save" 3000 2
    wait_file tcp-reuse "$pf" || return
    ctrun_ok tcp-reuse -- "$PROGS/tcpecho" client 127.0.0.1 "$(cat "$pf")" "$a" "$T/reuse.o1" $lport || return
    ctrun_ok tcp-reuse -- "$PROGS/tcpecho" client 127.0.0.1 "$(cat "$pf")" "$b" "$T/reuse.o2" $lport || return
    server_done tcp-reuse || return
    row "$save.1" 0 3000 "$a" 0 3000 | expect_json tcp-reuse-first backward "$save.1"
    row "$save.2" 0 3000 "$b" 0 3000 | expect_json tcp-reuse-second backward "$save.2"
    row "$T/reuse.o1" 0 3000 "$a" 0 3000 | expect_json tcp-reuse-first-echo backward "$T/reuse.o1"
    row "$T/reuse.o2" 0 3000 "$b" 0 3000 | expect_json tcp-reuse-second-echo backward "$T/reuse.o2"
    local n
    n=$(objects "tcp:127.0.0.1:$lport>%" | wc -l)
    [ "$n" = 2 ] && pass tcp-reuse-two-objects ||
        fail tcp-reuse-two-objects "expected 2 objects for the reused 4-tuple, got $n: $(objects 'tcp:%')"
}

# Inside a network namespace of our own: the cgroup-attached program still
# names the connection (ids are not 0).
test_netns() {
    skip_unless_root tcp-netns || return 0
    [ "$bpf_ready" = 1 ] || { fail tcp-netns "no BPF program"; return; }
    command -v unshare >/dev/null && command -v ip >/dev/null ||
        { skip tcp-netns "needs unshare and ip"; return; }
    fresh_db
    local pf=$T/ns.port save=$T/ns.save o=$T/ns.out rc=0
    rm -f "$pf"
    timeout -k 10 "$CT_TIMEOUT" unshare -n sh -c '
        ip link set lo up || exit 3
        "$0" run --db "$1" --host "$2" -- "$3/tcpecho" server 127.0.0.1 "$4" "$5" "$6" &
        i=0; while [ ! -e "$4" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
        "$0" run --db "$1" --host "$2" -- "$3/tcpecho" client 127.0.0.1 "$(cat "$4")" "$7" "$8" || exit 4
        wait $! ' "$CT" "$DB" "$H" "$PROGS" "$pf" "$save" $N "$IN" "$o" >"$T/.ns.err" 2>&1 || rc=$?
    [ "$rc" -eq 0 ] || { fail tcp-netns "the runs in the namespace failed ($rc)" "$T/.ns.err"; return; }
    row "$o" 0 $N "$IN" 0 $N | expect_json tcp-netns backward "$o"
    local ids
    ids=$(objects 'tcp:%' | grep -c '#0$')
    [ "$ids" = 0 ] && pass tcp-netns-ids || fail tcp-netns-ids "id 0 inside the namespace: $(objects 'tcp:%')"
}

# A server and a client that each share the connection with a forked child.
test_forked() {
    fresh_db
    local pf=$T/fork.port a=$T/fork.a b=$T/fork.b o=$T/fork.out
    gen "$a" 4000 3
    gen "$b" 3000 4
    server_bg forked "$pf" -- "$PROGS/forksrv" server 127.0.0.1 "$pf" "$a" "$b"
    wait_file forked "$pf" || return
    ctrun_ok forked -- "$PROGS/forksrv" client 127.0.0.1 "$(cat "$pf")" "$o" || return
    server_done forked || return
    { head -c 2000 "$a"; cat "$b"; tail -c 2000 "$a"; } >"$T/fork.exp"
    same_file forked "$T/fork.exp" "$o" || return
    { row "$o" 0 2000 "$a" 0 2000; row "$o" 2000 5000 "$b" 0 3000; row "$o" 5000 7000 "$a" 2000 4000; } |
        expect_json forked backward "$o"
}

test_unix_dgram() {
    fresh_db
    local path=$T/ud.sock o=$T/ud.out
    server_bg unix-dgram "$path" -- "$PROGS/dgram" unix-recv "$path" $N "$o"
    wait_file unix-dgram "$path" || return
    ctrun_ok unix-dgram -- "$PROGS/dgram" unix-send "$path" "$IN" 1000 || return
    server_done unix-dgram || return
    same_file unix-dgram "$IN" "$o" || return
    row "$o" 0 $N "$IN" 0 $N | expect_json unix-dgram backward "$o"
}

test_udp() {
    fresh_db
    local pf=$T/udp.port o=$T/udp.out
    server_bg udp "$pf" -- "$PROGS/dgram" udp-recv 127.0.0.1 "$pf" $N "$o"
    wait_file udp "$pf" || return
    ctrun_ok udp -- "$PROGS/dgram" udp-send 127.0.0.1 "$(cat "$pf")" "$IN" 1000 || return
    server_done udp || return
    same_file udp "$IN" "$o" || return
    row "$o" 0 $N "$IN" 0 $N | expect_json udp backward "$o"
    # datagram k sits at [k<<32, (k<<32)+1000) of udp:S>R
    local obj
    obj=$(objects 'udp:%')
    { row "$obj" 0 1000 "$IN" 0 1000; row "$obj" $((1 << 32)) $(((1 << 32) + 1000)) "$IN" 1000 2000; } |
        expect_json udp-offsets backward "$obj:0-$(((1 << 32) + 1000))"
}

# python3 -m http.server serving a file to curl, both tracked: curl's
# output traces back to the served file (the HTTP header comes from elsewhere).
test_http() {
    fresh_db
    local dir=$T/www pf=$T/http.port o=$T/http.out port
    mkdir -p "$dir"
    gen "$dir/page.txt" 5000 9
    port=$((20000 + RANDOM % 20000))
    # the server has no port file: curl retries until it listens
    timeout -k 10 "$CT_TIMEOUT" "$CT" run --db "$DB" --host "$H" -- \
        /usr/bin/python3 -m http.server "$port" --bind 127.0.0.1 --directory "$dir" \
        >"$T/.http.log" 2>&1 &
    SERVER_PID=$!
    on_cleanup "kill $SERVER_PID"
    local i ok=0
    for i in $(seq 300); do
        if curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then ok=1; break; fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.2
    done
    [ "$ok" = 1 ] || { fail http "http.server never answered" "$T/.http.log"; return; }
    ctrun_ok http -- curl -s -o "$o" "http://127.0.0.1:$port/page.txt" || return
    kill -INT "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    same_file http "$dir/page.txt" "$o" || return
    row "$o" 0 5000 "$dir/page.txt" 0 5000 | expect_json http backward "$o"
}

bpf_setup
test_socketpair
test_tcp4
test_tcp6
test_tcp_sendfile
test_tcp_exec
test_tcp_reuse
test_netns
test_forked
test_unix_dgram
test_udp
test_http
finish
