#!/usr/bin/env bash
# t_merge.sh — `crosstag db merge` and queries across hosts.  Two hosts'
# stores, written by the fake tracker (exact records, no network): host a
# sends secret bytes into a TCP stream, host b reads them from the stream of
# the same name and writes them to a file.  Merged, the query on b's file
# names a's file with exact offsets.  Merging is idempotent and all or
# nothing; bad inputs get clear errors.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || { skip merge "no sqlite3 command"; finish; }
export CROSSTAG_VALGRIND=$TESTS_DIR/fake_tracker.py CT_FAKE_SCRIPT=$T/script
S='tcp:10.9.0.1:4000>10.9.0.2:5000#77'
DA=$T/a.db DB_B=$T/b.db M=$T/m.db

# a: secret[100,160) -> stream[0,60) at t=1000; other[0,10) -> stream[60,70)
cat >"$CT_FAKE_SCRIPT" <<EOF
conn
hello
object 1 file:$T/a/secret
object 2 $S
object 3 file:$T/a/other
flow 2 1 0 60 100 60 1000 900 0
flow 2 3 60 10 0 10 1001 901 0
exit
EOF
"$CT" run --db "$DA" --host a -q -- true 2>"$CTERR" || fail run-a "crosstag run failed" "$CTERR"
# b: out[0,70) <- stream[0,70) read at t=2000
cat >"$CT_FAKE_SCRIPT" <<EOF
conn
hello
object 1 $S
object 2 file:$T/b/out
flow 2 1 0 70 0 70 2100 2000 0
exit
EOF
"$CT" run --db "$DB_B" --host b -q -- true 2>"$CTERR" || fail run-b "crosstag run failed" "$CTERR"
stop_agent "$DA"; stop_agent "$DB_B"

out=$("$CT" db merge --db "$M" "$DA" "$DB_B" 2>&1)
want="$DA: 1 hosts, 1 processes, 3 objects, 2 flows, 0 alerts added
$DB_B: 1 hosts, 1 processes, 2 objects, 1 flows, 0 alerts added"
[ "$out" = "$want" ] && pass merge-counts || fail merge-counts "got: $out"
out=$("$CT" db merge --db "$M" "$DA" "$DB_B" 2>&1)
want="$DA: 0 hosts, 0 processes, 0 objects, 0 flows, 0 alerts added
$DB_B: 0 hosts, 0 processes, 0 objects, 0 flows, 0 alerts added"
[ "$out" = "$want" ] && pass merge-idempotent || fail merge-idempotent "got: $out"
n=$(sqlite3 "$M" "SELECT group_concat(name) FROM (SELECT name FROM hosts ORDER BY name)")
[ "$n" = "a,b" ] && pass merge-hosts || fail merge-hosts "hosts $n"

j() { printf '{"sink":{"host":"%s","object":"%s","start":%s,"end":%s},"source":{"host":"%s","object":"%s","start":%s,"end":%s},"mode":"aligned"}\n' "$@"; }
# compare NAME — $T/want against $T/got
compare() {
    if cmp -s "$T/want" "$T/got"; then pass "$1"; else
        diff "$T/want" "$T/got" >"$T/d"; cat "$T/err" >>"$T/d" 2>/dev/null; fail "$1" "differs" "$T/d"; fi
}
"$CT" query backward --db "$M" --json "$T/b/out" >"$T/got" 2>"$T/err"
{ j b "file:$T/b/out" 0 60 a "file:$T/a/secret" 100 160
  j b "file:$T/b/out" 60 70 a "file:$T/a/other" 0 10; } >"$T/want"
compare cross-host-backward
"$CT" query forward --db "$M" --json "$T/a/secret:110-120" >"$T/got" 2>"$T/err"
j b "file:$T/b/out" 10 20 a "file:$T/a/secret" 110 120 >"$T/want"
compare cross-host-forward
# HOST:PATH targets pick that host's object; trees name objects HOST:NAME
"$CT" query backward --db "$M" --json "b:$T/b/out:0-10" >"$T/got" 2>"$T/err"
j b "file:$T/b/out" 0 10 a "file:$T/a/secret" 100 110 >"$T/want"
compare host-target
"$CT" query backward --db "$M" "b:$T/b/out:0-10" >"$T/got" 2>"$T/err"
printf '%s\n' "b:file:$T/b/out [0,10)" "  [0,10) <- [pid $(sqlite3 "$M" "SELECT p.pid FROM processes p JOIN hosts h ON h.id = p.host WHERE h.name = 'b'")] true (aligned)" \
    "    b:$S [0,10)" "      [0,10) <- [pid $(sqlite3 "$M" "SELECT p.pid FROM processes p JOIN hosts h ON h.id = p.host WHERE h.name = 'a'")] true (aligned)" \
    "        a:file:$T/a/secret [100,110): original source" >"$T/want"
compare host-names-in-tree
"$CT" query backward --db "$M" --json "a:$T/b/out" >/dev/null 2>"$T/e"; rc=$?
[ $rc -eq 1 ] && grep -q "no records for a:$T/b/out" "$T/e" && pass host-target-other-host ||
    fail host-target-other-host "exit $rc" "$T/e"

# point to point: only the bytes that made the whole trip
"$CT" query path --db "$M" --json "$T/a/secret:120-130" "$T/b/out" >"$T/got" 2>"$T/err"
j b "file:$T/b/out" 20 30 a "file:$T/a/secret" 120 130 >"$T/want"
compare path-part
"$CT" query path --db "$M" --json "$T/a/other" "$T/b/out:0-65" >"$T/got" 2>"$T/err"
j b "file:$T/b/out" 60 65 a "file:$T/a/other" 0 5 >"$T/want"
compare path-clipped-both-ends
"$CT" query path --db "$M" "$T/a/other" "$T/b/out:0-60" >"$T/got" 2>"$T/err"
echo "no byte of a:file:$T/a/other reached b:file:$T/b/out" >"$T/want"
compare path-none
"$CT" query path --db "$M" "$T/a/other" >/dev/null 2>"$T/e"; rc=$?
[ $rc -eq 2 ] && grep -q 'path needs FROM and TO' "$T/e" && pass path-one-target || fail path-one-target "exit $rc" "$T/e"
# each host's own store alone stops at the stream
"$CT" query backward --db "$DB_B" --json "$T/b/out" >"$T/got" 2>"$T/err"
j b "file:$T/b/out" 0 70 b "$S" 0 70 >"$T/want"
compare one-host-stops-at-stream

# a stream nobody tracked the other end of: a black box named by its endpoint
"$CT" query backward --db "$DB_B" "$T/b/out" >"$T/got" 2>"$T/err"
grep -q "^    $S \[0,70): sent by untracked peer 10.9.0.1:4000 (black box)$" "$T/got" &&
    pass black-box-backward || fail black-box-backward "no black box line" "$T/got"
"$CT" query forward --db "$DA" "$T/a/secret" >"$T/got" 2>"$T/err"
grep -q "^    $S \[0,60): received by untracked peer 10.9.0.2:5000 (black box)$" "$T/got" &&
    pass black-box-forward || fail black-box-forward "no black box line" "$T/got"

# ---- bad inputs: nothing merged, clear errors ----
cp "$M" "$T/m.bak"
echo "not a database" >"$T/junk.db"
"$CT" db merge --db "$M" "$T/junk.db" >/dev/null 2>"$T/e"; rc=$?
[ $rc -eq 1 ] && grep -q "junk.db" "$T/e" && pass merge-junk || fail merge-junk "exit $rc" "$T/e"
"$CT" db merge --db "$M" "$T/missing.db" >/dev/null 2>"$T/e"; rc=$?
[ $rc -eq 1 ] && grep -q "missing.db: no such store" "$T/e" && pass merge-missing || fail merge-missing "exit $rc" "$T/e"
"$CT" db merge --db "$M" "$M" >/dev/null 2>"$T/e"; rc=$?
[ $rc -eq 1 ] && grep -q "is the output store itself" "$T/e" && pass merge-self || fail merge-self "exit $rc" "$T/e"
"$CT" db merge --db "$M" >/dev/null 2>"$T/e"; rc=$?
[ $rc -eq 2 ] && pass merge-no-input || fail merge-no-input "exit $rc" "$T/e"
"$CT" db frob >/dev/null 2>"$T/e"; rc=$?
[ $rc -eq 2 ] && pass db-bad-verb || fail db-bad-verb "exit $rc" "$T/e"
a=$(sqlite3 "$M" "SELECT count(*) FROM flows"); b=$(sqlite3 "$T/m.bak" "SELECT count(*) FROM flows")
[ "$a" = "$b" ] && [ "$(sqlite3 "$M" 'PRAGMA integrity_check')" = ok ] && pass merge-bad-untouched ||
    fail merge-bad-untouched "flows $a, before $b"
finish
