#!/usr/bin/env bash
# t_policy.sh — leak prevention (docs/design.md "Leak prevention"): policy
# files read with exact errors; protected bytes sent to an untrusted TCP
# peer (IPv4 and IPv6 loopback: untrusted unless listed) masked, alerted or
# blocked, unprotected bytes of the same stream intact, trusted peers
# untouched; writes to untrusted local paths masked; `crosstag alerts`.
# The receiver (netrecv) runs untracked, natively.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

printf 'public data here\n' >public.txt
printf 'secret: hunter2\n' >secret.txt        # 16 bytes

# ---- policy files: errors name file and line ----
# bad_policy NAME EXPECTED-STDERR-LINE < policy
bad_policy() {
    cat >"$T/$1.ini"
    "$CT" run --db "$DB" --host "$H" --policy "$1.ini" -- true 2>"$T/.err"; local rc=$?
    local got
    got=$(cat "$T/.err")
    [ $rc -eq 2 ] && [ "$got" = "$2" ] && pass "policy-$1" ||
        fail "policy-$1" "exit $rc, stderr '$got', want exit 2 and '$2'"
}
printf '[class c]\nsource = /x\naction = zap\n' |
    bad_policy action "crosstag: bad policy: action.ini:3: unknown action 'zap' (expected alert, mask or block)"
printf '# comment\n[class c]\nsource = /x\n\n[trusted]\nnet = 10.0.0.0/33\n' |
    bad_policy prefix "crosstag: bad policy: prefix.ini:6: bad prefix length in net '10.0.0.0/33'"
printf '[class c]\nsource = /x\n[trusted]\nnet = 10.1.2.300\n' |
    bad_policy address "crosstag: bad policy: address.ini:4: bad address '10.1.2.300' in net '10.1.2.300'"
printf '[class c]\nsource = /x\n[trusted]\nnet = ::1 port 70000\n' |
    bad_policy port "crosstag: bad policy: port.ini:4: bad port range in net '::1 port 70000'"
printf '[klass c]\nsource = /x\n' |
    bad_policy section "crosstag: bad policy: section.ini:1: unknown section [klass c] (expected [class NAME], [trusted] or [network])"
printf 'source = /x\n' |
    bad_policy nosection "crosstag: bad policy: nosection.ini:1: 'source' outside any section (start with [class NAME] or [trusted])"
printf '[class c]\nsource = x\n' |
    bad_policy source "crosstag: bad policy: source.ini:2: bad source 'x' (expected /GLOB or HOST:/GLOB)"
printf '[class c]\nsource = /x\nmask = ab\n' |
    bad_policy mask "crosstag: bad policy: mask.ini:3: mask must be one character, not 'ab'"
printf '[class c]\nsource = /x\n[class c]\nsource = /y\n' |
    bad_policy twice "crosstag: bad policy: twice.ini:3: class 'c' defined twice"
printf '[class c]\nsource = /x\ncolour = red\n' |
    bad_policy key "crosstag: bad policy: key.ini:3: unknown key 'colour' in a class (expected action, mask or source)"
printf '[class c]\nsource = /x\nthis line is wrong\n' |
    bad_policy syntax "crosstag: bad policy: syntax.ini:3: syntax error (expected [section], key = value or a comment)"
printf '[class c]\naction = mask\n' |
    bad_policy nosource "crosstag: bad policy: nosource.ini: class 'c' has no source"
printf '[class c]\nsource = /x\n[network]\nagent_port = 0\n' |
    bad_policy agentport "crosstag: bad policy: agentport.ini:4: bad agent_port '0' (expected 1-65535)"
printf '[class c]\nsource = /x\n[network]\nport = 7\n' |
    bad_policy netkey "crosstag: bad policy: netkey.ini:4: unknown key 'port' in [network] (expected agent_port)"
printf '# nothing\n' |
    bad_policy empty "crosstag: bad policy: empty.ini: no [class NAME] section: nothing is protected"
"$CT" run --db "$DB" --host "$H" --policy missing.ini -- true 2>"$T/.err"; rc=$?
[ $rc -eq 2 ] && [ "$(cat "$T/.err")" = "crosstag: bad policy: missing.ini: No such file or directory" ] &&
    pass policy-missing || fail policy-missing "exit $rc" "$T/.err"

# ---- sends over TCP ----
PORT=
# recv_bg — netrecv (untracked) on a free port, output in $T/got
recv_bg() {
    PORT=$($PY -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::",0)); print(s.getsockname()[1])')
    "$PROGS/netrecv" tcp "$PORT" >"$T/got" 2>/dev/null &
    RECV_PID=$!
    on_cleanup "kill $RECV_PID"
    local i
    for i in $(seq 500); do
        ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q . && return 0
        sleep 0.01
    done
    return 1
}
# policy ACTION [EXTRA-LINES] — writes pol.ini protecting secret.txt
policy() {
    printf '[class confidential]\naction = %s\nsource = %s/secret*\n%b' "$1" "$T" "${2:-}" >"$T/pol.ini"
}
# alerts_json — `crosstag alerts --json` without the time and pid
alerts_json() { "$CT" alerts --db "$DB" --json | sed 's/"time_ns":[0-9]*,//; s/"pid":[0-9]*,//'; }
# alert_line ACTION DEST START END BYTES
alert_line() {
    printf '{"host":"%s","process":"%s","destination":"%s","class":"confidential","action":"%s","source":{"host":"%s","object":"file:%s/secret.txt","start":%s,"end":%s},"bytes":%s}\n' \
        "$H" "$PROGS/netsend" "$2" "$1" "$H" "$T" "$3" "$4" "$5"
}
# send_case NAME ADDR — cat public.txt secret.txt | tr a-z A-Z | netsend to ADDR
send_case() {
    fresh_db
    recv_bg || { fail "$1" "netrecv did not listen"; return 1; }
    ctrun --policy "$T/pol.ini" -- sh -c "cat public.txt secret.txt | tr a-z A-Z | '$PROGS/netsend' tcp $2 $PORT"
    SEND_RC=$?
    wait "$RECV_PID"
}

policy mask
send_case mask 127.0.0.1
printf 'PUBLIC DATA HERE\n****************' >want
[ $SEND_RC -eq 0 ] && cmp -s want got && pass mask-bytes ||
    fail mask-bytes "exit $SEND_RC; got '$(cat -v got)'" "$CTERR"
alert_line mask "tcp:127.0.0.1:$PORT" 0 16 16 >want
alerts_json >gota
cmp -s want gota && pass mask-alert || fail mask-alert "alerts differ: want $(cat want)" gota
# the agent's log holds the same JSON line
LOG=$("$CT" agent status --db "$DB" | sed -n 's/^log //p')
sed -n 's/"time_ns":[0-9]*,//; s/"pid":[0-9]*,//; /^{/p' "$LOG" >gotlog
cmp -s want gotlog && pass mask-log || fail mask-log "the agent's log lacks the JSON line" "$LOG"
# the masked bytes left no flow: the receiver-side stream has no source in secret.txt
"$CT" alerts --db "$DB" | grep -q "^[0-9-]* [0-9:]* mask: \[pid [0-9]*\] $PROGS/netsend sent 16 bytes of class confidential to tcp:127.0.0.1:$PORT from $H:file:$T/secret.txt:0-16\$" &&
    pass alerts-text || fail alerts-text "text listing" <("$CT" alerts --db "$DB")

policy mask
send_case mask6 ::1
printf 'PUBLIC DATA HERE\n****************' >want
[ $SEND_RC -eq 0 ] && cmp -s want got && pass mask-ipv6 ||
    fail mask-ipv6 "exit $SEND_RC; got '$(cat -v got)'" "$CTERR"
alert_line mask "tcp:[::1]:$PORT" 0 16 16 >want
alerts_json >gota
cmp -s want gota && pass mask-ipv6-alert || fail mask-ipv6-alert "want $(cat want)" gota

policy alert
send_case alert 127.0.0.1
printf 'PUBLIC DATA HERE\nSECRET: HUNTER2\n' >want
[ $SEND_RC -eq 0 ] && cmp -s want got && pass alert-bytes ||
    fail alert-bytes "exit $SEND_RC; got '$(cat -v got)'" "$CTERR"
alert_line alert "tcp:127.0.0.1:$PORT" 0 16 16 >want
alerts_json >gota
cmp -s want gota && pass alert-alert || fail alert-alert "want $(cat want)" gota

# block: the connection is shut down before the send; netsend dies of
# SIGPIPE (its send fails with EPIPE); nothing of that send arrives.
policy block
send_case block 127.0.0.1
[ $SEND_RC -eq 141 ] && [ ! -s got ] && pass block-bytes ||
    fail block-bytes "exit $SEND_RC (want 141); got '$(cat -v got)'" "$CTERR"
alert_line block "tcp:127.0.0.1:$PORT" 0 16 16 >want
alerts_json >gota
cmp -s want gota && pass block-alert || fail block-alert "want $(cat want)" gota
# a program that ignores SIGPIPE sees the send fail with EACCES
fresh_db
recv_bg || fail block-eacces "netrecv did not listen"
ctrun --policy "$T/pol.ini" -- sh -c "trap '' PIPE; '$PROGS/netsend' tcp 127.0.0.1 $PORT < secret.txt"
SEND_RC=$?
wait "$RECV_PID"
[ $SEND_RC -eq 1 ] && [ ! -s got ] && grep -q "netsend: send: Permission denied" "$CTERR" && pass block-eacces ||
    fail block-eacces "exit $SEND_RC; got '$(cat -v got)'" "$CTERR"

# a trusted destination: intact, no alert
policy mask '[trusted]\nnet = 127.0.0.0/8\n'
send_case trusted 127.0.0.1
printf 'PUBLIC DATA HERE\nSECRET: HUNTER2\n' >want
[ $SEND_RC -eq 0 ] && cmp -s want got && [ -z "$(alerts_json)" ] && pass trusted-net ||
    fail trusted-net "exit $SEND_RC; got '$(cat -v got)'; alerts: $(alerts_json)" "$CTERR"
# a trusted network on another port does not cover this one
policy mask '[trusted]\nnet = 127.0.0.1/32 port 1-2\n'
send_case trusted-port 127.0.0.1
printf 'PUBLIC DATA HERE\n****************' >want
cmp -s want got && pass trusted-other-port || fail trusted-other-port "got '$(cat -v got)'"

# UDP: the datagram's protected bytes are masked
fresh_db
policy mask
PORT=$($PY -c 'import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::",0)); print(s.getsockname()[1])')
"$PROGS/netrecv" udp "$PORT" 500 >"$T/got" 2>/dev/null &
RECV_PID=$!
on_cleanup "kill $RECV_PID"
for i in $(seq 500); do ss -Hlun "sport = :$PORT" 2>/dev/null | grep -q . && break; sleep 0.01; done
ctrun --policy "$T/pol.ini" -- sh -c "cat public.txt secret.txt | '$PROGS/netsend' udp 127.0.0.1 $PORT"
SEND_RC=$?
wait "$RECV_PID"
printf 'public data here\n****************' >want
[ $SEND_RC -eq 0 ] && cmp -s want got && pass udp-mask ||
    fail udp-mask "exit $SEND_RC; got '$(cat -v got)'" "$CTERR"
alert_line mask "udp:127.0.0.1:$PORT" 0 16 16 >want
alerts_json >gota
cmp -s want gota && pass udp-alert || fail udp-alert "want $(cat want)" gota

# ---- fail closed ----
# No agent at all: the tracker alone masks every labelled byte (mask byte 35 '#').
VALGRIND_LIB=$ROOT/build/lib/crosstag valgrind --tool=crosstag -q --ct-policy=mask --ct-policy-mask=35 \
    -- tr a-z A-Z <secret.txt >fc1.txt 2>"$T/.err"
printf '################' >want
cmp -s want fc1.txt && pass failclosed-noagent || fail failclosed-noagent "fc1.txt: '$(cat -v fc1.txt)'" "$T/.err"
# An agent without a policy answers "undecided": the tracker fails closed
# with the run's strictest action (block: a file is masked).
fresh_db
"$CT" agent start --db "$DB" --host "$H" >/dev/null
SOCK=$("$CT" agent status --db "$DB" | sed -n 's/^socket //p')
LOG=$("$CT" agent status --db "$DB" | sed -n 's/^log //p')
VALGRIND_LIB=$ROOT/build/lib/crosstag valgrind --tool=crosstag -q --ct-socket="$SOCK" --ct-host="$H" \
    --ct-policy=block -- tr a-z A-Z <secret.txt >fc2.txt 2>"$T/.err"
printf '****************' >want
cmp -s want fc2.txt && grep -q "asked about a send, but no policy is loaded: it fails closed" "$LOG" &&
    pass failclosed-undecided || fail failclosed-undecided "fc2.txt: '$(cat -v fc2.txt)'" "$LOG"

# ---- writes to local files ----
fresh_db
policy mask "[trusted]\npath = $T/safe/*\n"
mkdir -p safe
ctrun_ok file-run --policy "$T/pol.ini" -- sh -c 'cat public.txt secret.txt | tr a-z A-Z > out.txt; tr a-z A-Z < secret.txt > safe/out.txt'
printf 'PUBLIC DATA HERE\n****************' >want
cmp -s want out.txt && pass file-mask || fail file-mask "out.txt: '$(cat -v out.txt)'"
printf 'SECRET: HUNTER2\n' >want
cmp -s want safe/out.txt && pass file-trusted || fail file-trusted "safe/out.txt: '$(cat -v safe/out.txt)'"
printf '{"host":"%s","process":"/usr/bin/tr","destination":"file:%s/out.txt","class":"confidential","action":"mask","source":{"host":"%s","object":"file:%s/secret.txt","start":0,"end":16},"bytes":16}\n' \
    "$H" "$T" "$H" "$T" >want
alerts_json >gota
cmp -s want gota && pass file-alert || fail file-alert "want $(cat want)" gota

# A pipe write larger than the pipe blocks until the reader has read part
# of it: its flows go out before the call, so the reader's writes are
# decided on them (all masked), and unprotected bytes stay intact.
fresh_db
head -c 300000 /dev/urandom | base64 -w 0 | head -c 300000 >secretbig.txt
cp secretbig.txt publicbig.txt.src; mv publicbig.txt.src publicbig.txt
policy mask
ctrun_ok bigpipe --policy "$T/pol.ini" -- sh -c 'cat secretbig.txt | tr a-z A-Z > big.out; cat publicbig.txt | tr a-z A-Z > pub.out'
[ "$(tr -d '*' <big.out | wc -c)" = 0 ] && [ "$(wc -c <big.out)" = 300000 ] && pass bigpipe-masked ||
    fail bigpipe-masked "$(tr -d '*' <big.out | wc -c) of $(wc -c <big.out) bytes unmasked"
tr a-z A-Z <publicbig.txt | cmp -s - pub.out && pass bigpipe-public || fail bigpipe-public "pub.out differs"

# Read straight from the protected file (no hop in between), and kernel-side
# copies into a file: masked in the file right after the call.
fresh_db
head -c 400 /dev/urandom | base64 -w 0 | head -c 400 >secretk.bin
policy mask
ctrun_ok direct --policy "$T/pol.ini" -- sh -c "tr a-z A-Z < secret.txt > direct.txt; '$PROGS/sendfile' secretk.bin sf.out; '$PROGS/splice' secretk.bin sp.out"
printf '****************' >want
cmp -s want direct.txt && pass direct-read || fail direct-read "direct.txt: '$(cat -v direct.txt)'"
[ "$(cat sf.out)" = "$(printf '%070d' 0 | tr 0 '*')" ] && pass sendfile-file-masked ||
    fail sendfile-file-masked "sf.out: '$(cat -v sf.out)'"
[ "$(cat sp.out)" = "$(printf '%0150d' 0 | tr 0 '*')" ] && pass splice-file-masked ||
    fail splice-file-masked "sp.out: '$(cat -v sp.out)'"
"$CT" alerts --db "$DB" --json | sed 's/"time_ns":[0-9]*,//; s/"pid":[0-9]*,//; s/"process":"[^"]*",//' >gota
cat >want <<EOF
{"host":"$H","destination":"file:$T/direct.txt","class":"confidential","action":"mask","source":{"host":"$H","object":"file:$T/secret.txt","start":0,"end":16},"bytes":16}
{"host":"$H","destination":"file:$T/sf.out","class":"confidential","action":"mask","source":{"host":"$H","object":"file:$T/secretk.bin","start":100,"end":150},"bytes":50}
{"host":"$H","destination":"file:$T/sf.out","class":"confidential","action":"mask","source":{"host":"$H","object":"file:$T/secretk.bin","start":10,"end":30},"bytes":20}
{"host":"$H","destination":"file:$T/sp.out","class":"confidential","action":"mask","source":{"host":"$H","object":"file:$T/secretk.bin","start":200,"end":300},"bytes":100}
{"host":"$H","destination":"file:$T/sp.out","class":"confidential","action":"mask","source":{"host":"$H","object":"file:$T/secretk.bin","start":0,"end":50},"bytes":50}
EOF
cmp -s want gota && pass copy-alerts || fail copy-alerts "want $(cat want)" gota
# Writes through a shared mapping of a file: masked in the mapping at its
# next flush (here msync); an unprotected file through the same path intact.
fresh_db
policy mask
ctrun_ok mapwrite --policy "$T/pol.ini" -- sh -c "'$PROGS/mapwrite' secret.txt mapped.out; '$PROGS/mapwrite' public.txt mapped2.out"
cmp -s public.txt mapped2.out && [ "$(cat mapped.out)" = '****************' ] && pass mapwrite-masked ||
    fail mapwrite-masked "mapped.out: '$(cat -v mapped.out)', mapped2.out: '$(cat -v mapped2.out)'" "$CTERR"
"$CT" alerts --db "$DB" --json | sed 's/"time_ns":[0-9]*,//; s/"pid":[0-9]*,//; s/"process":"[^"]*",//' >gota
printf '{"host":"%s","destination":"file:%s/mapped.out","class":"confidential","action":"mask","source":{"host":"%s","object":"file:%s/secret.txt","start":0,"end":16},"bytes":16}\n' "$H" "$T" "$H" "$T" >want
cmp -s want gota && pass mapwrite-alert || fail mapwrite-alert "want $(cat want)" gota

# Syscalls whose bytes crosstag does not follow fail closed: a message
# queue's bytes are masked like an untrusted egress; io_uring is refused.
fresh_db
policy mask
ctrun_ok ipc --policy "$T/pol.ini" -- sh -c "'$PROGS/ipcsend' msgq secret.txt > msgq.out; '$PROGS/ipcsend' msgq public.txt > msgq2.out; '$PROGS/ipcsend' iouring > iou.out"
[ "$(cat msgq.out)" = '****************' ] && cmp -s public.txt msgq2.out && pass msgq-masked ||
    fail msgq-masked "msgq.out: '$(cat -v msgq.out)'" "$CTERR"
"$CT" alerts --db "$DB" --json | sed 's/"time_ns":[0-9]*,//; s/"pid":[0-9]*,//; s/"process":"[^"]*",//; s/msgq:[0-9]*/msgq:ID/' >gota
printf '{"host":"%s","destination":"msgq:ID","class":"confidential","action":"mask","source":{"host":"%s","object":"file:%s/secret.txt","start":0,"end":16},"bytes":16}\n' "$H" "$H" "$T" >want
cmp -s want gota && pass msgq-alert || fail msgq-alert "want $(cat want)" gota
[ "$(cat iou.out)" = ENOSYS ] && grep -q "io_uring is not tracked, so it is refused (ENOSYS)" "$CTERR" &&
    pass io-uring-refused || fail io-uring-refused "iou.out: $(cat iou.out)" "$CTERR"

# One run cannot swap the host's policy for its own; the agent's owner can.
cp "$T/pol.ini" "$T/other.ini"
ctrun --policy "$T/other.ini" -- true; rc=$?
[ $rc -eq 1 ] && grep -q "the agent enforces policy $T/pol.ini; a run cannot replace it with $T/other.ini" "$CTERR" &&
    pass policy-not-replaced || fail policy-not-replaced "exit $rc" "$CTERR"
"$CT" agent start --db "$DB" --policy "$T/other.ini" >"$T/.start" 2>&1 &&
    grep -q "with policy $T/other.ini" "$T/.start" && ctrun --policy "$T/other.ini" -- true &&
    pass policy-replaced-by-owner || fail policy-replaced-by-owner "agent start --policy did not replace it" "$T/.start"

# a direct send of the file over TCP
fresh_db
recv_bg || fail direct-send "netrecv did not listen"
ctrun --policy "$T/pol.ini" -- "$PROGS/netsend" tcp 127.0.0.1 "$PORT" <secret.txt
SEND_RC=$?
wait "$RECV_PID"
[ $SEND_RC -eq 0 ] && [ "$(cat got)" = '****************' ] && pass direct-send ||
    fail direct-send "exit $SEND_RC; got '$(cat -v got)'" "$CTERR"

# ---- Unix sockets: egress unless the peer process is tracked ----
fresh_db
policy mask "[trusted]\npath = $T/safe/*\n"
rm -f "$T/u1.sock"
socat -u UNIX-LISTEN:"$T/u1.sock" - >got 2>/dev/null &
RECV_PID=$!
on_cleanup "kill $RECV_PID"
for i in $(seq 500); do [ -S "$T/u1.sock" ] && break; sleep 0.01; done
ctrun --policy "$T/pol.ini" -- socat -u - UNIX-CONNECT:"$T/u1.sock" <secret.txt
SEND_RC=$?
wait "$RECV_PID"
[ $SEND_RC -eq 0 ] && [ "$(cat got)" = '****************' ] && pass unix-untracked-masked ||
    fail unix-untracked-masked "exit $SEND_RC; got '$(cat -v got)'" "$CTERR"
"$CT" alerts --db "$DB" --json | sed 's/"time_ns":[0-9]*,//; s/"pid":[0-9]*,//; s/"process":"[^"]*",//' >gota
printf '{"host":"%s","destination":"unix:%s/u1.sock","class":"confidential","action":"mask","source":{"host":"%s","object":"file:%s/secret.txt","start":0,"end":16},"bytes":16}\n' \
    "$H" "$T" "$H" "$T" >want
cmp -s want gota && pass unix-alert || fail unix-alert "want $(cat want)" gota
# both ends tracked: the socket is no egress; the receiver's file is trusted
fresh_db
rm -f "$T/u2.sock"
ctrun_ok unix-tracked --policy "$T/pol.ini" -- sh -c "socat -u UNIX-LISTEN:'$T/u2.sock' - > safe/u2.out & while [ ! -S '$T/u2.sock' ]; do sleep 0.05; done; socat -u - UNIX-CONNECT:'$T/u2.sock' < secret.txt; wait"
[ "$(cat safe/u2.out)" = 'secret: hunter2' ] && [ -z "$(alerts_json)" ] && pass unix-tracked-peer ||
    fail unix-tracked-peer "safe/u2.out '$(cat -v safe/u2.out)'; alerts $(alerts_json)" "$CTERR"

# ---- no policy: nothing changes ----
fresh_db
ctrun_ok nopolicy -- sh -c 'tr a-z A-Z < secret.txt > plain.txt'
printf 'SECRET: HUNTER2\n' >want
cmp -s want plain.txt && [ -z "$(alerts_json)" ] && pass no-policy || fail no-policy "plain.txt: '$(cat -v plain.txt)'"

# ---- schema 4: a version-3 store is upgraded in place when written ----
fresh_db
ctrun_ok v3-make -- true
stop_agent
sqlite3 "$DB" "DROP TABLE alerts; UPDATE meta SET value='3' WHERE key='schema_version'"
out=$("$CT" alerts --db "$DB" --json 2>&1); rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] && pass v3-read || fail v3-read "exit $rc: $out"
ctrun_ok v3-upgrade -- true
v=$(sqlite3 "$DB" "SELECT value FROM meta WHERE key='schema_version'; SELECT count(*) FROM alerts")
[ "$v" = "$(printf '4\n0')" ] && pass v3-upgraded || fail v3-upgraded "version/alerts: $v"

finish
