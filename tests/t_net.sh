#!/usr/bin/env bash
# t_net.sh — tracking across the hosts of a test network (net/ctnet): each
# host runs its own agent and store; `crosstag db merge` combines them and
# queries follow bytes through TCP and UDP streams exactly.
#   a -> b over TCP (IPv4), b writes to disk: b's file traces to a's file;
#   a -> b -> c, b reverses each line (rev) and forwards it; a sends over
#     IPv6: c's file traces to a's file byte by byte; `query path` from a's
#     file to c's file gives exactly those bytes;
#   an untracked sender on c: b's bytes end at the stream, a black box c:port;
#   UDP datagrams a -> b: each datagram's bytes trace to a's file.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/netlib.sh"

command -v sqlite3 >/dev/null || { skip net "no sqlite3 command"; finish; }
net_up 3 || finish
A=$(net_ip a) B=$(net_ip b) C=$(net_ip c) B6=$(net_ip b -6)
DATA_A=$(net_dir a)/data DATA_B=$(net_dir b)/data DATA_C=$(net_dir c)/data
"$CT" bpf attach >"$T/bpf.out" 2>&1 || fail bpf-attach "crosstag bpf attach failed" "$T/bpf.out"

# lines of different lengths, so a reversal moves every byte
"$PY" -c 'import sys
for i in range(30): sys.stdout.write("line %02d %s\n" % (i, "abcdefghijklmnopqrstuvwxyz"[: 3 + i % 20]))' \
    >"$DATA_A/secret.txt"
N=$(stat -c %s "$DATA_A/secret.txt")

# crun HOST ERRFILE CMD... — crosstag run on HOST (its own agent and store)
crun() { local h=$1 e=$2; shift 2; on "$h" timeout -k 10 "$CT_TIMEOUT" "$CT" run -q -- "$@" 2>"$e"; }

# ---- a -> b over TCP ----
crun b "$T/b1.err" sh -c "'$PROGS/netrecv' tcp 7000 > recv.out" & jb=$!
wait_listen b 7000 || fail a-b-listen "b never listened"
crun a "$T/a1.err" sh -c "'$PROGS/netsend' tcp $A 7000 < secret.txt" >/dev/null 2>&1 &&
    false   # (a to itself: nobody listens) guards against a mixed-up address
crun a "$T/a1.err" sh -c "'$PROGS/netsend' tcp $B 7000 < secret.txt"; rc=$?
wait $jb; rcb=$?
[ $rc -eq 0 ] && [ $rcb -eq 0 ] && cmp -s "$DATA_A/secret.txt" "$DATA_B/recv.out" && pass a-b-transfer ||
    { cat "$T/a1.err" "$T/b1.err" >"$T/e"; fail a-b-transfer "exit $rc/$rcb" "$T/e"; }

# ---- a -> b -> c: b reverses lines; a sends over IPv6 ----
crun c "$T/c2.err" sh -c "'$PROGS/netrecv' tcp 7002 > final.out" & jc=$!
wait_listen c 7002 || fail abc-listen-c "c never listened"
crun b "$T/b2.err" sh -c "'$PROGS/netrecv' tcp 7001 | rev | '$PROGS/netsend' tcp $C 7002" & jb=$!
wait_listen b 7001 || fail abc-listen-b "b never listened"
crun a "$T/a2.err" sh -c "'$PROGS/netsend' tcp $B6 7001 < secret.txt"; rc=$?
wait $jb; rcb=$?; wait $jc; rcc=$?
rev "$DATA_A/secret.txt" >"$T/want.rev"
[ $rc -eq 0 ] && [ $rcb -eq 0 ] && [ $rcc -eq 0 ] && cmp -s "$T/want.rev" "$DATA_C/final.out" &&
    pass abc-transfer ||
    { cat "$T/a2.err" "$T/b2.err" "$T/c2.err" >"$T/e"; fail abc-transfer "exit $rc/$rcb/$rcc" "$T/e"; }

# ---- an untracked sender on c to a tracked receiver on b ----
crun b "$T/b3.err" sh -c "'$PROGS/netrecv' tcp 7003 > fromc.out" & jb=$!
wait_listen b 7003 || fail untracked-listen "b never listened"
on c sh -c "printf 'from an untracked host\n' | '$PROGS/netsend' tcp $B 7003" 2>/dev/null
wait $jb

# ---- UDP a -> b: 10 datagrams of 64 bytes ----
crun b "$T/b4.err" sh -c "'$PROGS/netrecv' udp 7004 4000 > udp.out" & jb=$!
wait_listen b 7004 udp || fail udp-listen "b never listened"
crun a "$T/a4.err" sh -c "head -c 640 secret.txt | '$PROGS/netsend' udp $B 7004 64"
wait $jb
head -c 640 "$DATA_A/secret.txt" | cmp -s - "$DATA_B/udp.out" && pass udp-transfer ||
    fail udp-transfer "b got other bytes" "$T/b4.err"

for h in a b c; do stop_agent "$(net_dir $h)/crosstag.db"; done
M=$T/merged.db
"$CT" db merge --db "$M" "$(net_dir a)/crosstag.db" "$(net_dir b)/crosstag.db" "$(net_dir c)/crosstag.db" \
    >"$T/merge.out" 2>&1 && pass merge || fail merge "db merge failed" "$T/merge.out"
DB=$M

# j SINKHOST SINK S E SRCHOST SRC A B — one expected row
j() { printf '{"sink":{"host":"%s","object":"file:%s","start":%s,"end":%s},"source":{"host":"%s","object":"file:%s","start":%s,"end":%s},"mode":"aligned"}\n' "$@"; }

j b "$DATA_B/recv.out" 0 "$N" a "$DATA_A/secret.txt" 0 "$N" |
    expect_json a-b-backward backward "$DATA_B/recv.out"

# c's bytes: line by line reversed, every byte from a's file
"$PY" - "$DATA_A/secret.txt" "$DATA_C/final.out" >"$T/rev.rows" <<'EOF'
import json, sys
src, final = sys.argv[1:]
o = 0
for line in open(src, "rb").read().split(b"\n")[:-1]:
    L = len(line)
    for k in range(L + 1):          # the newline stays in place
        a = o + (L - 1 - k if k < L else L)
        print(json.dumps({"sink": {"host": "c", "object": "file:" + final, "start": o + k, "end": o + k + 1},
                          "source": {"host": "a", "object": "file:" + src, "start": a, "end": a + 1},
                          "mode": "aligned"}, separators=(",", ":")))
    o += L + 1
EOF
expect_pairs abc-backward backward "$DATA_C/final.out" <"$T/rev.rows"
"$CT" query path --db "$M" --json "$DATA_A/secret.txt:0-20" "$DATA_C/final.out" >"$T/.got" 2>"$T/.qerr"
"$PY" "$ROWTOOL" pairs <"$T/.got" >"$T/got.pairs" 2>>"$T/.qerr"
"$PY" - "$T/rev.rows" <<'EOF' | "$PY" "$ROWTOOL" pairs >"$T/want.pairs"
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["source"]["start"] < 20: print(l, end="")
EOF
cmp -s "$T/want.pairs" "$T/got.pairs" && [ -s "$T/got.pairs" ] && pass abc-path ||
    { diff "$T/want.pairs" "$T/got.pairs" | head -20 >"$T/d"; cat "$T/.qerr" >>"$T/d"; fail abc-path "differs" "$T/d"; }

# the untracked sender is a black box named by its address and port
"$CT" query backward --db "$M" "$DATA_B/fromc.out" >"$T/bb" 2>&1
grep -q "sent by untracked peer $C:[0-9]* (black box)" "$T/bb" && pass black-box ||
    fail black-box "no black box for $C" "$T/bb"

# UDP: datagram k of 64 bytes is bytes [64k, 64k+64) of the file (its
# stream offsets are [k<<32, +64)); merged rows give the whole file
U=$(( N < 640 ? N : 640 ))
j b "$DATA_B/udp.out" 0 "$U" a "$DATA_A/secret.txt" 0 "$U" | expect_json udp-backward backward "$DATA_B/udp.out"
n=$(sqlite3 "$M" "SELECT count(*) FROM flows f JOIN objects o ON o.id = f.sink_obj
                  WHERE substr(o.name, 1, 4) = CAST('udp:' AS BLOB)")
[ "$n" = $(( (U + 63) / 64 )) ] && pass udp-one-flow-per-datagram || fail udp-one-flow-per-datagram "$n flows into udp streams"
finish
