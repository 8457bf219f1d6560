#!/usr/bin/env bash
# t_ftp.sh — leak prevention over FTP (issue 5 item 6): vsftpd on host a
# serves files to curl on other hosts, every program under
# `crosstag run --policy P`, one policy for the whole net:
#   P protects a's secret.txt (action block); a and b are trusted, c is not;
#   a and b run their agents with P (labels travel between them).
#   public.bin (300 KB) to c (untrusted): arrives byte-identical; c's own
#     store ends its bytes in the FTP data stream from a (a black box), the
#     merged stores name a's public.bin [0, N) exactly;
#   secret.txt to c: vsftpd sends file data with sendfile, which the tracker
#     cannot mask (no user buffer): the data connection is shut down before
#     the call; curl fails (exit 18, nothing written) and a's alert names
#     a's file [0, N), c's address and curl's data port, action block;
#   secret.txt to b (trusted, tracked): arrives intact, no alert; a's agent
#     hands the labels to b's before sendfile, so b alone (no merge) traces
#     its copy to a's secret.txt [0, N); b sending the copy on to c (untrusted)
#     is blocked, and b's alert names a's file;
#   a second vsftpd on a with use_sendfile=NO (file data through a user
#     buffer): public.bin to c intact; internal.txt (class internal, action
#     mask) to c: every byte masked, lengths kept, curl succeeds; a's alert;
#   active mode (curl -P: vsftpd connects to curl's port): secret.txt to b
#     traced on b to a's file, to c blocked with a's alert naming curl's port.
# vsftpd runs as anonymous servers do: it chroots into anon_root and drops
# to user ftp, so the tracker names files read inside the chroot by their
# real paths, and gets TCP connection ids from its agent (bpf() is refused
# to a process that dropped root).  Valgrind refuses the
# setrlimit of the two-process model: one_process_model=YES.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$TESTS_DIR/netlib.sh"
. "$TESTS_DIR/ftp/vsftpd.sh"

for c in vsftpd curl sqlite3; do
    command -v "$c" >/dev/null || { skip ftp "no $c command (bash setup.sh installs it)"; finish; }
done
net_up 3 || finish
A=$(net_ip a) B=$(net_ip b) C=$(net_ip c)
DA=$(net_dir a)/data DB_=$(net_dir b)/data DC=$(net_dir c)/data
"$CT" bpf attach >"$T/bpf.out" 2>&1 || fail bpf-attach "crosstag bpf attach failed" "$T/bpf.out"
# the agents' files (socket, lock, log) live outside the net's folders; `ctnet down`
# (registered first) ends the agents with everything else in the net
# agent_files HOST — registers the removal of HOST's agent's files (while it runs)
agent_files() {
    local f
    f=$(on "$1" "$CT" agent status | sed -n 's/^log //p')
    [ -n "$f" ] && on_cleanup "rm -f '$f' '${f%.log}.lock' '${f%.log}.sock'"
}

mkdir -p "$DA/ftp/pub" "$DA/empty"
gen "$DA/ftp/pub/public.bin" 300000 1
gen "$DA/ftp/pub/secret.txt" 4000 2
gen "$DA/ftp/pub/internal.txt" 5000 3
NP=300000 NS=4000 NI=5000
vsftpd_conf "$A" "$DA" 30000 30009 >"$DA/vsftpd.conf"
# the second server: another port, other passive ports, no sendfile
sed -e 's/^pasv_min_port=.*/pasv_min_port=30100/; s/^pasv_max_port=.*/pasv_max_port=30109/' \
    "$DA/vsftpd.conf" >"$DA/vsftpd2.conf"
printf 'listen_port=2121\nuse_sendfile=NO\n' >>"$DA/vsftpd2.conf"
POL=$T/pol.ini
cat >"$POL" <<EOF
[class confidential]
action = block
source = a:$DA/ftp/pub/secret.txt
[class internal]
action = mask
source = a:$DA/ftp/pub/internal.txt
[trusted]
net = $A/32
net = $B/32
path = $DB_/*
EOF
for h in a b; do
    on "$h" "$CT" agent start --policy "$POL" >"$T/agent-$h.out" 2>&1 ||
        fail "agent-$h" "agent start --policy failed" "$T/agent-$h.out"
done
on c "$CT" agent start >"$T/agent-c.out" 2>&1 || fail agent-c "agent start failed" "$T/agent-c.out"
for h in a b c; do agent_files "$h"; done

# crun HOST ERRFILE CMD... — crosstag run --policy P on HOST (its own agent and store)
crun() { local h=$1 e=$2; shift 2; on "$h" timeout -k 10 "$CT_TIMEOUT" "$CT" run -q --policy "$POL" -- "$@" 2>"$e"; }
# fetch HOST PORT NAME OUT [SERVERPORT [CURL-OPTION...]] — curl on HOST under
# crosstag; the control connection from local port PORT, the data connection
# (passive) from the next one (curl tries a --local-port range in order);
# sets RC, LPORT
fetch() {
    local h=$1 p=$2 f=$3 o=$4 sp=${5:-21}
    shift 4; [ $# -gt 0 ] && shift
    RC=0
    LPORT=$(crun "$h" "$T/$o.err" curl -sS --local-port "$p-$((p + 9))" "$@" -o "$o" -w '%{local_port}' "ftp://$A:$sp/pub/$f") || RC=$?
}
# alerts_on HOST — the host's alerts without time and pid
alerts_on() { on "$1" "$CT" alerts --json | sed 's/"time_ns":[0-9]*,//; s/"pid":[0-9]*,//'; }
# stream_row HOST FILE N SRCHOST SERVERPORTRE CLIENT CPORT — checks that the
# host's own backward query of FILE is one aligned row [0, N) from the FTP
# data stream a:SERVERPORT -> CLIENT:CPORT with a connection id
stream_row() {
    on "$1" "$CT" query backward --json "$2" >"$T/.got" 2>"$T/.qerr"
    "$PY" - "$T/.got" "$1" "$2" "$3" "$A" "$5" "$6" "$7" >"$T/.why" 2>&1 <<'EOF'
import json, re, sys
got, host, path, n, a, sport, client, cport = sys.argv[1:]
rows = [json.loads(l) for l in open(got)]
pat = r"tcp:%s:(%s)>%s:%s#[1-9][0-9]*" % (re.escape(a), sport, re.escape(client), cport)
ok = (len(rows) == 1 and rows[0]["mode"] == "aligned"
      and rows[0]["sink"] == {"host": host, "object": "file:" + path, "start": 0, "end": int(n)}
      and rows[0]["source"]["host"] == host and re.fullmatch(pat, rows[0]["source"]["object"])
      and (rows[0]["source"]["start"], rows[0]["source"]["end"]) == (0, int(n)))
if not ok:
    print("want one aligned row [0,%s) of file:%s from %s [0,%s); got:" % (n, path, pat, n))
    print(open(got).read())
    sys.exit(1)
EOF
}

# started without a shell function in between: $! is timeout, which passes
# SIGTERM on to crosstag run and so to vsftpd
"$CTNET" exec "$NET" a timeout -k 10 "$CT_TIMEOUT" "$CT" run -q --policy "$POL" -- vsftpd "$DA/vsftpd.conf" \
    2>"$T/vsftpd.err" &
VS=$!
"$CTNET" exec "$NET" a timeout -k 10 "$CT_TIMEOUT" "$CT" run -q --policy "$POL" -- vsftpd "$DA/vsftpd2.conf" \
    2>"$T/vsftpd2.err" &
VS2=$!
wait_listen a 21 && wait_listen a 2121 && pass vsftpd-listens ||
    { cat "$T/vsftpd.err" "$T/vsftpd2.err" >"$T/e"; fail vsftpd-listens "vsftpd under crosstag never listened" "$T/e"; finish; }

# ---- an unprotected file to the untrusted client c: intact ----
fetch c 41000 public.bin pub.out
[ "$RC" -eq 0 ] && [ "$LPORT" = 41000 ] && cmp -s "$DA/ftp/pub/public.bin" "$DC/pub.out" && pass public-intact ||
    fail public-intact "curl exit $RC, control port '$LPORT' (want 0, 41000); pub.out $(fsize "$DC/pub.out" 2>&1)" "$T/pub.out.err"
[ -z "$(alerts_on a)" ] && pass public-no-alert || fail public-no-alert "alerts on a: $(alerts_on a)"
# c alone does not know what a sent: the bytes end in the data stream
stream_row c "$DC/pub.out" $NP a '300[0-9][0-9]' "$C" 41001 && pass public-c-stream ||
    fail public-c-stream "c's backward query" "$T/.why"

# ---- the protected file to c: blocked ----
fetch c 41100 secret.txt sec.out
[ "$RC" -eq 18 ] && [ "$LPORT" = 41100 ] && [ ! -e "$DC/sec.out" ] && pass secret-blocked ||
    fail secret-blocked "curl exit $RC, control port '$LPORT' (want 18, 41100); sec.out: $(fsize "$DC/sec.out" 2>&1)" "$T/sec.out.err"
grep -qx 'curl: (18) transfer closed with 4000 bytes remaining to read' "$T/sec.out.err" && pass secret-curl-error ||
    fail secret-curl-error "curl's message" "$T/sec.out.err"
printf '{"host":"a","process":"vsftpd","destination":"tcp:%s:41101","class":"confidential","action":"block","source":{"host":"a","object":"file:%s/ftp/pub/secret.txt","start":0,"end":%s},"bytes":%s}\n' \
    "$C" "$DA" $NS $NS >"$T/want"
alerts_on a >"$T/gota"
cmp -s "$T/want" "$T/gota" && pass secret-alert || fail secret-alert "want $(cat "$T/want")" "$T/gota"

# ---- the protected file to the trusted client b: intact, no alert ----
fetch b 41200 secret.txt sec.out
[ "$RC" -eq 0 ] && cmp -s "$DA/ftp/pub/secret.txt" "$DB_/sec.out" && pass trusted-intact ||
    fail trusted-intact "curl exit $RC; sec.out $(fsize "$DB_/sec.out" 2>&1)" "$T/sec.out.err"
alerts_on a >"$T/gota"
cmp -s "$T/want" "$T/gota" && pass trusted-no-alert || fail trusted-no-alert "a new alert on a" "$T/gota"
[ -z "$(alerts_on b)" ] && pass trusted-no-alert-b || fail trusted-no-alert-b "alerts on b: $(alerts_on b)"
LOG_A=$(on a "$CT" agent status | sed -n 's/^log //p')
grep -q "labels of $NS protected bytes to tcp:$B:41201 went to its agent (port 7420)" "$LOG_A" &&
    pass trusted-labels-pushed || fail trusted-labels-pushed "a's agent did not push the labels" "$LOG_A"
# b alone knows where its copy came from
DB=$(net_dir b)/crosstag.db
j() { printf '{"sink":{"host":"%s","object":"file:%s","start":%s,"end":%s},"source":{"host":"%s","object":"file:%s","start":%s,"end":%s},"mode":"aligned"}\n' "$@"; }
j b "$DB_/sec.out" 0 $NS a "$DA/ftp/pub/secret.txt" 0 $NS | expect_json trusted-b-traces-to-a backward "$DB_/sec.out"
# b -> c (untracked receiver): blocked, nothing arrives; netsend dies of SIGPIPE
on c sh -c "exec '$PROGS/netrecv' tcp 7100 > hop2.out 2>/dev/null" & RJ=$!
wait_listen c 7100 || fail hop2-listen "c never listened"
on b timeout -k 10 "$CT_TIMEOUT" "$CT" run -q -- sh -c "exec '$PROGS/netsend' tcp $C 7100 < sec.out" 2>"$T/hop2.err"; RC=$?
wait $RJ
[ "$RC" -eq 141 ] && [ -f "$DC/hop2.out" ] && [ ! -s "$DC/hop2.out" ] && pass hop2-blocked ||
    fail hop2-blocked "netsend exit $RC (want 141); c got $(fsize "$DC/hop2.out" 2>&1) bytes" "$T/hop2.err"
printf '{"host":"b","process":"%s","destination":"tcp:%s:7100","class":"confidential","action":"block","source":{"host":"a","object":"file:%s/ftp/pub/secret.txt","start":0,"end":%s},"bytes":%s}\n' \
    "$PROGS/netsend" "$C" "$DA" $NS $NS >"$T/wantb"
alerts_on b >"$T/gotb"
cmp -s "$T/wantb" "$T/gotb" && pass hop2-alert || fail hop2-alert "want $(cat "$T/wantb")" "$T/gotb"

# ---- without sendfile: bytes pass through vsftpd's buffer, masked there ----
fetch c 41300 public.bin pub2.out 2121
[ "$RC" -eq 0 ] && cmp -s "$DA/ftp/pub/public.bin" "$DC/pub2.out" && pass buffered-public-intact ||
    fail buffered-public-intact "curl exit $RC; pub2.out $(fsize "$DC/pub2.out" 2>&1)" "$T/pub2.out.err"
fetch c 41400 internal.txt int.out 2121
[ "$RC" -eq 0 ] && [ "$(fsize "$DC/int.out")" = $NI ] && [ -z "$(tr -d '*' <"$DC/int.out")" ] && pass buffered-masked ||
    fail buffered-masked "curl exit $RC; int.out: $(fsize "$DC/int.out" 2>&1) bytes, $(tr -d '*' <"$DC/int.out" | wc -c) not masked" "$T/int.out.err"
printf '{"host":"a","process":"vsftpd","destination":"tcp:%s:41401","class":"internal","action":"mask","source":{"host":"a","object":"file:%s/ftp/pub/internal.txt","start":0,"end":%s},"bytes":%s}\n' \
    "$C" "$DA" $NI $NI >>"$T/want"
alerts_on a >"$T/gota"
cmp -s "$T/want" "$T/gota" && pass buffered-alert || fail buffered-alert "want $(cat "$T/want")" "$T/gota"

# ---- active mode: vsftpd connects to curl's data port (the first of -P's range) ----
fetch b 41500 secret.txt act.out 21 -P "$B:42000-42009"
[ "$RC" -eq 0 ] && cmp -s "$DA/ftp/pub/secret.txt" "$DB_/act.out" && pass active-trusted-intact ||
    fail active-trusted-intact "curl exit $RC; act.out $(fsize "$DB_/act.out" 2>&1)" "$T/act.out.err"
DB=$(net_dir b)/crosstag.db
j b "$DB_/act.out" 0 $NS a "$DA/ftp/pub/secret.txt" 0 $NS | expect_json active-b-traces-to-a backward "$DB_/act.out"
fetch c 41600 secret.txt act.out 21 -P "$C:42100-42109"
[ "$RC" -eq 18 ] && [ ! -e "$DC/act.out" ] && pass active-blocked ||
    fail active-blocked "curl exit $RC (want 18); act.out: $(fsize "$DC/act.out" 2>&1)" "$T/act.out.err"
printf '{"host":"a","process":"vsftpd","destination":"tcp:%s:42100","class":"confidential","action":"block","source":{"host":"a","object":"file:%s/ftp/pub/secret.txt","start":0,"end":%s},"bytes":%s}\n' \
    "$C" "$DA" $NS $NS >>"$T/want"
alerts_on a >"$T/gota"
cmp -s "$T/want" "$T/gota" && pass active-alert || fail active-alert "want $(cat "$T/want")" "$T/gota"

# ---- stop vsftpd; merged stores follow the bytes from a's files ----
kill -TERM "$VS" "$VS2" 2>/dev/null
wait "$VS" "$VS2"
for h in a b c; do stop_agent "$(net_dir $h)/crosstag.db"; done
M=$T/merged.db
"$CT" db merge --db "$M" "$(net_dir a)/crosstag.db" "$(net_dir b)/crosstag.db" "$(net_dir c)/crosstag.db" \
    >"$T/merge.out" 2>&1 && pass merge || fail merge "db merge failed" "$T/merge.out"
DB=$M
j c "$DC/pub.out" 0 $NP a "$DA/ftp/pub/public.bin" 0 $NP | expect_json merged-public backward "c:$DC/pub.out"
j b "$DB_/sec.out" 0 $NS a "$DA/ftp/pub/secret.txt" 0 $NS | expect_json merged-trusted backward "b:$DB_/sec.out"
j c "$DC/pub2.out" 0 $NP a "$DA/ftp/pub/public.bin" 0 $NP | expect_json merged-buffered backward "c:$DC/pub2.out"
finish
