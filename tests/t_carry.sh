#!/usr/bin/env bash
# t_carry.sh — protected labels travel with the data (common/ct_peer.h):
# a's secret.txt goes over TCP to trusted, tracked b, whose agent learns
# before the bytes arrive which of them are protected and where they came
# from.  Then b alone (no merge) traces its copy to a's file, masks it at an
# egress to untrusted c with an alert naming a's file and offsets — also
# after b's agent restarted, and after the copy went through another file
# and process.  A trusted host without an agent cannot keep the protection:
# the bytes are masked on the way there.  Agents take labels only from
# trusted networks.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/netlib.sh"

net_up 4 || finish
A=$(net_ip a) B=$(net_ip b) C=$(net_ip c) D=$(net_ip d)
DA=$(net_dir a)/data DB_=$(net_dir b)/data DC=$(net_dir c)/data DD=$(net_dir d)/data
"$CT" bpf attach >"$T/bpf.out" 2>&1 || fail bpf-attach "crosstag bpf attach failed" "$T/bpf.out"

printf 'top secret: the launch code is 0000-1111\n' >"$DA/secret.txt"     # 41 bytes
printf 'public notes\n' >"$DB_/public.txt"                                  # 13 bytes
N=$(stat -c %s "$DA/secret.txt")
# one policy for the whole trusted network (a, b, d); c is outside; the
# hosts' data folders are trusted local paths (elsewhere files are egress)
cat >"$T/pol.ini" <<EOP
[class confidential]
action = mask
source = a:$DA/secret.txt
[trusted]
net = $A/32
net = $B/32
net = $D/32
path = $T/ctnet/*
EOP
for h in a b; do
    on "$h" "$CT" agent start --policy "$T/pol.ini" >"$T/agent-$h.out" 2>&1 ||
        fail "agent-$h" "agent start failed" "$T/agent-$h.out"
done
on_cleanup "for h in a b c d; do '$CT' agent stop --db \"\$('$CTNET' dir '$NET' \$h)/crosstag.db\" >/dev/null 2>&1; done"
log_of() { on "$1" "$CT" agent status | sed -n 's/^log //p'; }

crun() { local h=$1 e=$2; shift 2; on "$h" timeout -k 10 "$CT_TIMEOUT" "$CT" run -q -- "$@" 2>"$e" >/dev/null; }

# ---- a -> b (trusted, tracked): intact, and b knows where it came from ----
crun b "$T/b1.err" sh -c "'$PROGS/netrecv' tcp 7000 > copy.txt" & jb=$!
wait_listen b 7000 || fail ab-listen "b never listened"
crun a "$T/a1.err" sh -c "'$PROGS/netsend' tcp $B 7000 < secret.txt"; rc=$?
wait $jb
[ $rc -eq 0 ] && cmp -s "$DA/secret.txt" "$DB_/copy.txt" && pass ab-intact ||
    { cat "$T/a1.err" "$T/b1.err" >"$T/e"; fail ab-intact "exit $rc; b got other bytes" "$T/e"; }
grep -q "labels of $N protected bytes to tcp:$B:7000 went to its agent" "$(log_of a)" && pass ab-pushed ||
    fail ab-pushed "a's agent did not push the labels" "$(log_of a)"
DB=$(net_dir b)/crosstag.db
printf '{"sink":{"host":"b","object":"file:%s","start":0,"end":%s},"source":{"host":"a","object":"file:%s","start":0,"end":%s},"mode":"aligned"}\n' \
    "$DB_/copy.txt" "$N" "$DA/secret.txt" "$N" | expect_json b-traces-to-a backward "$DB_/copy.txt"

# ---- over UDP: without the sequence tag each end counts datagrams itself
# (a lost one would shift the rest): no name both ends share, so the
# labels cannot travel and the bytes are masked on the way ----
crun b "$T/b5.err" sh -c "'$PROGS/netrecv' udp 7008 1500 > udp0.txt" & jb=$!
wait_listen b 7008 udp || fail udp0-listen "b never listened"
crun a "$T/a8.err" sh -c "'$PROGS/netsend' udp $B 7008 64 < secret.txt"
wait $jb
STARS0=$(printf "%${N}s" | tr ' ' '*')
[ "$(cat "$DB_/udp0.txt")" = "$STARS0" ] && on a "$CT" alerts --json |
    grep -q "\"destination\":\"udp:$B:7008\".*\"note\":\"trusted destination, but the labels could not go with the bytes (agent port 7420: the stream has no name both ends share (UDP without the sequence tag" &&
    pass udp-untagged-masked || fail udp-untagged-masked "b got '$(cat -v "$DB_/udp0.txt")'" "$T/a8.err"
# with the tag (both hosts), datagram numbers are the wire's: they travel
for h in a b; do     # the maps' pins outlive the namespaces: removed whatever happens
    on_cleanup "rm -rf /run/crosstag/bpf/udptag-$(on "$h" stat -L -c %i /proc/self/ns/net)"
    on "$h" "$CT" net udptag attach --track "$A/32" "$B/32" >"$T/udptag.$h" 2>&1 ||
        fail "udptag-$h" "udptag attach failed" "$T/udptag.$h"
done
crun b "$T/b5.err" sh -c "'$PROGS/netrecv' udp 7005 1500 > udp.txt" & jb=$!
wait_listen b 7005 udp || fail udp-listen "b never listened"
crun a "$T/a6.err" sh -c "'$PROGS/netsend' udp $B 7005 64 < secret.txt"; rc=$?
wait $jb
printf '{"sink":{"host":"b","object":"file:%s","start":0,"end":%s},"source":{"host":"a","object":"file:%s","start":0,"end":%s},"mode":"aligned"}\n' \
    "$DB_/udp.txt" "$N" "$DA/secret.txt" "$N" | expect_json udp-traces-to-a backward "$DB_/udp.txt"

# ---- a sender that dropped root (as vsftpd and Postfix's daemons do) may
# not use bpf(): its agent reads the connection's ids for it, so both ends
# name the stream alike and the labels still meet the bytes on b ----
crun b "$T/b6.err" sh -c "'$PROGS/netrecv' tcp 7006 > dropped.txt" & jb=$!
wait_listen b 7006 || fail drop-listen "b never listened"
crun a "$T/a7.err" "$PROGS/dropsend" secret.txt "$B" 7006; rc=$?
wait $jb
printf '{"sink":{"host":"b","object":"file:%s","start":0,"end":%s},"source":{"host":"a","object":"file:%s","start":0,"end":%s},"mode":"aligned"}\n' \
    "$DB_/dropped.txt" "$N" "$DA/secret.txt" "$N" | expect_json dropped-root-traces-to-a backward "$DB_/dropped.txt"

# ---- b -> c (untrusted): a's secret masked, b's public text intact ----
# srecv HOST PORT OUT — an untracked receiver
srecv() { on "$1" sh -c "exec '$PROGS/netrecv' tcp $2 > $3 2>/dev/null" & RJ=$!; wait_listen "$1" "$2"; }
alerts_b() { on b "$CT" alerts --json | sed 's/"time_ns":[0-9]*,//; s/"pid":[0-9]*,//'; }
alert() {   # DEST START END BYTES [NOTE]
    printf '{"host":"b","process":"%s","destination":"%s","class":"confidential","action":"mask","source":{"host":"a","object":"file:%s","start":%s,"end":%s},"bytes":%s}\n' \
        "$PROGS/netsend" "$1" "$DA/secret.txt" "$2" "$3" "$4"
}
STARS=$(printf "%${N}s" | tr ' ' '*')
srecv c 7001 got1.txt
crun b "$T/b2.err" sh -c "cat public.txt copy.txt | '$PROGS/netsend' tcp $C 7001"; rc=$?
wait $RJ
printf 'public notes\n%s' "$STARS" >"$T/want1"
[ $rc -eq 0 ] && cmp -s "$T/want1" "$DC/got1.txt" && pass bc-masked ||
    fail bc-masked "exit $rc; c got '$(cat -v "$DC/got1.txt")'" "$T/b2.err"
alert "tcp:$C:7001" 0 "$N" "$N" >"$T/wanta"
alerts_b >"$T/gota"
cmp -s "$T/wanta" "$T/gota" && pass bc-alert || fail bc-alert "want $(cat "$T/wanta")" "$T/gota"

# ---- after b's agent restarts, through another file and process ----
on b "$CT" agent stop >/dev/null 2>&1
on b "$CT" agent start --policy "$T/pol.ini" >/dev/null 2>&1 || fail b-restart "agent start failed"
crun b "$T/b3.err" sh -c "tr a-z A-Z < copy.txt > upper.txt"
srecv c 7002 got2.txt
crun b "$T/b4.err" sh -c "'$PROGS/netsend' tcp $C 7002 < upper.txt"; rc=$?
wait $RJ
[ $rc -eq 0 ] && [ "$(cat "$DC/got2.txt")" = "$STARS" ] && pass restart-masked ||
    fail restart-masked "exit $rc; c got '$(cat -v "$DC/got2.txt")'" "$T/b4.err"

# ---- a -> d: trusted, but no agent there: the labels cannot follow ----
srecv d 7003 got3.txt
crun a "$T/a5.err" sh -c "'$PROGS/netsend' tcp $D 7003 < secret.txt"; rc=$?
wait $RJ
[ $rc -eq 0 ] && [ "$(cat "$DD/got3.txt")" = "$STARS" ] && pass no-agent-masked ||
    fail no-agent-masked "exit $rc; d got '$(cat -v "$DD/got3.txt")'" "$T/a5.err"
on a "$CT" alerts --json >"$T/alerts_a"
grep -q "\"destination\":\"tcp:$D:7003\".*\"action\":\"mask\".*\"note\":\"trusted destination, but the labels could not go with the bytes (agent port 7420: Connection refused)" "$T/alerts_a" &&
    pass no-agent-alert || fail no-agent-alert "no such alert on a" "$T/alerts_a"

# ---- an untrusted host cannot push labels ----
on c sh -c "printf 'not a push' | socat -u - TCP:$B:7420" >/dev/null 2>&1
sleep 0.5
grep -q "refused labels from $C: not in a trusted network of the policy" "$(log_of b)" &&
    on b "$CT" agent status >/dev/null && pass untrusted-refused ||
    fail untrusted-refused "b's agent did not refuse c" "$(log_of b)"

# ---- db merge brings every host's alerts (once) ----
for h in a b; do on "$h" "$CT" agent stop >/dev/null 2>&1; done
M=$T/merged.db
"$CT" db merge --db "$M" "$(net_dir a)/crosstag.db" "$(net_dir b)/crosstag.db" >"$T/m1" 2>&1
"$CT" db merge --db "$M" "$(net_dir a)/crosstag.db" "$(net_dir b)/crosstag.db" >"$T/m2" 2>&1
"$CT" alerts --db "$M" --json | sed 's/"time_ns":[0-9]*,//; s/"pid":[0-9]*,//' >"$T/gotm"
{ on a "$CT" alerts --json; on b "$CT" alerts --json; } | sed 's/"time_ns":[0-9]*,//; s/"pid":[0-9]*,//' >"$T/wantm"
grep -q " 0 alerts added" "$T/m2" && ! grep -v " 0 alerts added" "$T/m2" | grep -q . &&
    [ "$(wc -l <"$T/wantm")" = 4 ] && cmp -s "$T/wantm" "$T/gotm" && pass merge-alerts ||
    { cat "$T/m1" "$T/m2" "$T/gotm" >"$T/e"; fail merge-alerts "merged alerts differ" "$T/e"; }
finish
