#!/usr/bin/env bash
# t_query_engine.sh — `crosstag query` on hand-made stores (no Valgrind):
# chains with aligned and `all` rows, newest-write-wins, overwrites in the
# forward direction, same-instant cycles, multi-source writes, row merging,
# name escaping, versions, TARGET parsing and the error exits.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || { skip query_engine "no sqlite3 command"; finish; }

G=$T/gone               # a folder that does not exist: objects found by name
SQL=$T/setup.sql

hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

# The schema of docs/design.md, and one host.
schema() {
    cat <<'EOF'
PRAGMA journal_mode=WAL;
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE hosts(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE processes(
  id INTEGER PRIMARY KEY, host INTEGER NOT NULL REFERENCES hosts,
  pid INTEGER NOT NULL, start_ticks INTEGER NOT NULL, exec_seq INTEGER NOT NULL,
  ppid INTEGER, parent INTEGER REFERENCES processes, uid INTEGER,
  exe BLOB, argv BLOB,
  start_ns INTEGER, end_ns INTEGER, exit_status INTEGER, lost INTEGER DEFAULT 0,
  UNIQUE(host, pid, start_ticks, exec_seq));
CREATE TABLE objects(
  id INTEGER PRIMARY KEY, host INTEGER NOT NULL REFERENCES hosts,
  kind INTEGER NOT NULL, dev INTEGER, ino INTEGER, version INTEGER NOT NULL DEFAULT 1,
  name BLOB NOT NULL,
  created_ns INTEGER, mtime_ns INTEGER, size INTEGER);
CREATE INDEX objects_ident ON objects(host, kind, dev, ino, version);
CREATE INDEX objects_name ON objects(name);
CREATE TABLE flows(
  id INTEGER PRIMARY KEY, proc INTEGER NOT NULL REFERENCES processes,
  time_ns INTEGER NOT NULL, src_time_ns INTEGER NOT NULL, sysno INTEGER,
  sink_obj INTEGER NOT NULL REFERENCES objects, sink_start INTEGER NOT NULL, sink_end INTEGER NOT NULL,
  src_obj INTEGER NOT NULL REFERENCES objects, src_start INTEGER NOT NULL, src_end INTEGER NOT NULL,
  mode INTEGER NOT NULL);
CREATE INDEX flows_sink ON flows(sink_obj, sink_start);
CREATE INDEX flows_src ON flows(src_obj, src_start);
INSERT INTO meta VALUES('schema_version', '1');
EOF
    echo "INSERT INTO hosts VALUES(1, '$H');"
}

# obj ID NAME [DEV INO [VERSION]] — names are stored as BLOBs, as the store does
obj() {
    echo "INSERT INTO objects(id,host,kind,dev,ino,version,name) VALUES($1,1,1,${3:-0},${4:-$1},${5:-1},X'$(hex "$2")');"
}

# proc ID PID ARGV...
proc() {
    local id=$1 pid=$2
    shift 2
    echo "INSERT INTO processes(id,host,pid,start_ticks,exec_seq,argv) VALUES($id,1,$pid,$pid,0,X'$(printf '%s\0' "$@" | od -An -v -tx1 | tr -d ' \n')');"
}

# flow PROC TIME SRC_TIME SINK S E SRC A B [all]
flow() {
    local mode=0
    [ "${10:-}" = all ] && mode=1
    echo "INSERT INTO flows(proc,time_ns,src_time_ns,sysno,sink_obj,sink_start,sink_end,src_obj,src_start,src_end,mode) VALUES($1,$2,$3,1,$4,$5,$6,$7,$8,$9,$mode);"
}

# A real file whose (dev, ino) a stored object carries under another name
# (what a tool sees when a program writes a temp file and renames it).
printf 'hello world' >real.txt
printf '12345' >'x:1-2'
RDEV=$(stat -c %d real.txt) RINO=$(stat -c %i real.txt)
CDEV=$(stat -c %d 'x:1-2') CINO=$(stat -c %i 'x:1-2')

{
    schema
    obj 1 "file:$G/a.txt"; obj 2 "file:$G/b.txt"; obj 3 "file:$G/c.txt"
    obj 4 "file:$G/x.txt"; obj 5 "file:$G/w.txt"
    proc 1 101 cp a.txt b.txt; proc 2 102 cat b.txt x.txt; proc 3 103 head -c4 b.txt
    # chain a -> b -> c: aligned and all; c reads only b[0,12); w reads b[0,4)
    flow 1 100 90 2 0 10 1 0 10
    flow 1 110 95 2 10 14 1 100 200 all
    flow 2 300 250 3 0 12 2 0 12
    flow 2 310 305 3 12 18 4 0 6
    flow 3 410 400 5 0 4 2 0 4

    # newest write wins: d[0,10) <- e at 100, d[5,8) <- f at 200;
    # g read d at 150 (before the overwrite), h read it at 250 (after)
    obj 10 "file:$G/d.txt"; obj 11 "file:$G/e.txt"; obj 12 "file:$G/f.txt"
    obj 13 "file:$G/g.txt"; obj 14 "file:$G/h.txt"
    proc 10 110 writer-e; proc 11 111 writer-f; proc 12 112 reader-g; proc 13 113 reader-h
    flow 10 100 90 10 0 10 11 0 10
    flow 11 200 190 10 5 8 12 0 3
    flow 12 160 150 13 0 10 10 0 10
    flow 13 260 250 14 0 10 10 0 10
    # s[0,4) <- r at 100, s[0,2) overwritten at 200 from t; nobody reads s
    obj 15 "file:$G/s.txt"; obj 16 "file:$G/r.txt"; obj 17 "file:$G/t.txt"
    flow 10 100 90 15 0 4 16 0 4
    flow 11 200 190 15 0 2 17 0 2

    # a same-instant cycle: k <- m at 400, then k <- k read and written at 500
    obj 20 "file:$G/k.txt"; obj 21 "file:$G/m.txt"
    proc 20 120 fill-k; proc 21 121 rewrite-k
    flow 20 400 390 20 0 10 21 0 10
    flow 21 500 500 20 0 10 20 0 10
    # a longer loop at one instant: n <- o <- n
    obj 22 "file:$G/n.txt"; obj 23 "file:$G/o.txt"
    flow 21 600 600 22 0 4 23 0 4
    flow 21 600 600 23 0 4 22 0 4

    # one write, two sources per byte (z = p xor q)
    obj 30 "file:$G/z.txt"; obj 31 "file:$G/p.txt"; obj 32 "file:$G/q.txt"
    proc 30 130 xor p q
    flow 30 700 690 30 0 4 31 0 4
    flow 30 700 690 30 0 4 32 0 4

    # two processes writing adjacent parts of y from adjacent parts of a:
    # one merged row; and yy: one write from two copies of the same bytes
    obj 40 "file:$G/y.txt"; obj 41 "file:$G/y1.txt"; obj 42 "file:$G/y2.txt"
    obj 43 "file:$G/yy.txt"
    proc 40 140 part1; proc 41 141 part2; proc 42 142 dup
    flow 40 800 790 40 0 5 1 0 5
    flow 41 810 805 40 5 10 1 5 10
    flow 42 820 815 41 0 3 1 20 23
    flow 42 821 815 42 0 3 1 20 23
    flow 42 830 825 43 0 3 41 0 3
    flow 42 830 825 43 0 3 42 0 3

    # names that are not UTF-8 and hold a newline
    obj 50 "file:$G/bad$(printf '\377')"$'\n'"name"; obj 51 "file:$G/caf$(printf '\303\251').txt"
    proc 50 150 $'odd\ncmd'
    flow 50 900 890 51 0 2 50 0 2

    # versions: the name finds the newest one
    obj 60 "file:$G/v.txt" 0 60 1; obj 61 "file:$G/v.txt" 0 60 2
    obj 62 "file:$G/v1src"; obj 63 "file:$G/v2src"
    flow 50 1000 990 60 0 3 62 0 3
    flow 50 1100 1090 61 0 3 63 0 3

    # existing files, found by (dev, ino)
    obj 70 "file:$G/tmp123" "$RDEV" "$RINO"; obj 71 "file:$G/greeting"
    obj 72 "file:$T/x:1-2" "$CDEV" "$CINO"; obj 73 "file:$G/digits"
    flow 50 1200 1190 70 0 11 71 0 11
    flow 50 1300 1290 72 0 5 73 10 15

    # a pipe, named by the tool
    obj 80 "pipe:4242"; obj 81 "file:$G/piped"
    flow 50 1400 1390 81 0 3 80 0 3
} >"$SQL"
if ! sqlite3 "$DB" <"$SQL" >"$T/sqlite.out" 2>&1; then
    fail query_engine_setup "sqlite3 could not build the store" "$T/sqlite.out"
    finish
fi

# ---- backward ----
expect_json back_chain backward "$G/c.txt" <<EOF
$(row "$G/c.txt" 0 10 "$G/a.txt" 0 10)
$(row "$G/c.txt" 10 12 "$G/a.txt" 100 200 all)
$(row "$G/c.txt" 12 18 "$G/x.txt" 0 6)
EOF
expect_json back_chain_range backward "$G/c.txt:2-11" <<EOF
$(row "$G/c.txt" 2 10 "$G/a.txt" 2 10)
$(row "$G/c.txt" 10 11 "$G/a.txt" 100 200 all)
EOF
expect_json back_one_hop backward "$G/b.txt:8-12" <<EOF
$(row "$G/b.txt" 8 10 "$G/a.txt" 8 10)
$(row "$G/b.txt" 10 12 "$G/a.txt" 100 200 all)
EOF
expect_json back_newest_wins backward "$G/d.txt" <<EOF
$(row "$G/d.txt" 0 5 "$G/e.txt" 0 5)
$(row "$G/d.txt" 5 8 "$G/f.txt" 0 3)
$(row "$G/d.txt" 8 10 "$G/e.txt" 8 10)
EOF
expect_json back_read_before_overwrite backward "$G/g.txt" <<EOF
$(row "$G/g.txt" 0 10 "$G/e.txt" 0 10)
EOF
expect_json back_read_after_overwrite backward "$G/h.txt" <<EOF
$(row "$G/h.txt" 0 5 "$G/e.txt" 0 5)
$(row "$G/h.txt" 5 8 "$G/f.txt" 0 3)
$(row "$G/h.txt" 8 10 "$G/e.txt" 8 10)
EOF
expect_json back_cycle backward "$G/k.txt" <<EOF
$(row "$G/k.txt" 0 10 "$G/m.txt" 0 10)
EOF
expect_json back_cycle_loop backward "$G/n.txt" <<EOF
$(row "$G/n.txt" 0 4 "$G/o.txt" 0 4)
EOF
expect_json back_two_sources backward "$G/z.txt" <<EOF
$(row "$G/z.txt" 0 4 "$G/p.txt" 0 4)
$(row "$G/z.txt" 0 4 "$G/q.txt" 0 4)
EOF
expect_json back_merge_dedupe backward "$G/y.txt" <<EOF
$(row "$G/y.txt" 0 10 "$G/a.txt" 0 10)
EOF
expect_json back_dup_paths backward "$G/yy.txt" <<EOF
$(row "$G/yy.txt" 0 3 "$G/a.txt" 20 23)
EOF
expect_json back_escaped_names backward "$G/café.txt" <<EOF
$(row "$G/café.txt" 0 2 "$G/bad$(printf '\377')"$'\n'"name" 0 2)
EOF
expect_json back_original_source backward "$G/x.txt" </dev/null
expect_json back_newest_version backward "$G/v.txt" <<EOF
$(row "$G/v.txt" 0 3 "$G/v2src" 0 3)
EOF
expect_json back_by_dev_ino backward real.txt <<EOF
$(row "$G/tmp123" 0 11 "$G/greeting" 0 11)
EOF
expect_json back_by_dev_ino_range backward "$T/real.txt:6-11" <<EOF
$(row "$G/tmp123" 6 11 "$G/greeting" 6 11)
EOF
expect_json back_colon_file_whole backward 'x:1-2' <<EOF
$(row "$T/x:1-2" 0 5 "$G/digits" 10 15)
EOF
expect_json back_pipe_source backward "$G/piped" <<EOF
$(row "$G/piped" 0 3 pipe:4242 0 3)
EOF

# ---- forward ----
expect_json fwd_chain forward "$G/a.txt" <<EOF
$(row "$G/b.txt" 12 14 "$G/a.txt" 100 200 all)
$(row "$G/c.txt" 0 10 "$G/a.txt" 0 10)
$(row "$G/c.txt" 10 12 "$G/a.txt" 100 200 all)
$(row "$G/w.txt" 0 4 "$G/a.txt" 0 4)
$(row "$G/y.txt" 0 10 "$G/a.txt" 0 10)
$(row "$G/yy.txt" 0 3 "$G/a.txt" 20 23)
EOF
expect_json fwd_chain_range forward "$G/a.txt:5-150" <<EOF
$(row "$G/b.txt" 12 14 "$G/a.txt" 100 150 all)
$(row "$G/c.txt" 5 10 "$G/a.txt" 5 10)
$(row "$G/c.txt" 10 12 "$G/a.txt" 100 150 all)
$(row "$G/y.txt" 5 10 "$G/a.txt" 5 10)
$(row "$G/yy.txt" 0 3 "$G/a.txt" 20 23)
EOF
expect_json fwd_overwritten forward "$G/e.txt" <<EOF
$(row "$G/g.txt" 0 10 "$G/e.txt" 0 10)
$(row "$G/h.txt" 0 5 "$G/e.txt" 0 5)
$(row "$G/h.txt" 8 10 "$G/e.txt" 8 10)
EOF
expect_json fwd_newer_source forward "$G/f.txt" <<EOF
$(row "$G/h.txt" 5 8 "$G/f.txt" 0 3)
EOF
expect_json fwd_dead forward "$G/r.txt" <<EOF
$(row "$G/s.txt" 2 4 "$G/r.txt" 2 4)
EOF
expect_json fwd_cycle forward "$G/m.txt" <<EOF
$(row "$G/k.txt" 0 10 "$G/m.txt" 0 10)
EOF
expect_json fwd_two_sources forward "$G/q.txt:1-3" <<EOF
$(row "$G/z.txt" 1 3 "$G/q.txt" 1 3)
EOF
expect_json fwd_final_sink_unread forward "$G/c.txt" </dev/null
expect_json fwd_pipe forward pipe:4242 <<EOF
$(row "$G/piped" 0 3 pipe:4242 0 3)
EOF

# ---- human output ----
rc=0
ct query backward --db "$DB" "$G/c.txt" >"$T/tree" 2>"$T/tree.err" || rc=$?
if [ "$rc" -eq 0 ] && grep -q "^  \[0,12) <- \[pid 102\] cat b.txt x.txt (aligned)$" "$T/tree" &&
   grep -q "file:$G/a.txt \[100,200): original source" "$T/tree"; then
    pass tree_backward
else
    fail tree_backward "exit $rc, unexpected tree" "$T/tree"
fi
rc=0
ct query forward --db "$DB" "$G/r.txt" >"$T/tree" 2>&1 || rc=$?
ct query forward --db "$DB" "$G/e.txt" >>"$T/tree" 2>&1 || rc=$?
if [ "$rc" -eq 0 ] && grep -q "^      \[0,2): overwritten before anyone read it$" "$T/tree" &&
   grep -q "^      \[2,4): final sink$" "$T/tree" &&
   grep -q "file:$G/g.txt \[0,10): final sink" "$T/tree"; then
    pass tree_forward
else
    fail tree_forward "exit $rc, unexpected tree" "$T/tree"
fi
rc=0
ct query forward --db "$DB" "$G/café.txt" >"$T/tree" 2>&1 || rc=$?
ct query backward --db "$DB" "$G/café.txt" >>"$T/tree" 2>&1 || rc=$?
if [ "$rc" -eq 0 ] && grep -q "no flows" "$T/tree" && [ "$(wc -l <"$T/tree")" -eq 5 ] &&
   grep -qF "file:$G/bad\\xff\\x0aname [0,2): original source" "$T/tree" &&
   grep -qF "[pid 150] odd\\x0acmd" "$T/tree"; then
    pass tree_escapes
else
    fail tree_escapes "exit $rc, unexpected tree" "$T/tree"
fi

# ---- errors ----
# expect_exit NAME CODE STDERR-PATTERN QUERY-ARGS...
expect_exit() {
    local name=$1 code=$2 pat=$3 rc=0
    shift 3
    ct query "$@" >"$T/.out" 2>"$T/.err" || rc=$?
    if [ "$rc" -ne "$code" ]; then
        fail "$name" "exit $rc, want $code" "$T/.err"
    elif ! grep -q -- "$pat" "$T/.err"; then
        fail "$name" "stderr lacks '$pat'" "$T/.err"
    elif [ -s "$T/.out" ]; then
        fail "$name" "printed something on stdout" "$T/.out"
    else
        pass "$name"
    fi
}
expect_exit err_no_records 1 "no records for $G/nothing" backward --db "$DB" --json "$G/nothing"
expect_exit err_range_reversed 2 "START is after END" backward --db "$DB" "$G/c.txt:9-3"
expect_exit err_range_words 2 "bad range" backward --db "$DB" "real.txt:a-b"
expect_exit err_range_half 2 "bad range" backward --db "$DB" "$G/c.txt:5"
expect_exit err_range_beyond 2 "beyond its end" backward --db "$DB" "real.txt:3-12"
expect_exit err_range_huge 2 "too large" backward --db "$DB" "real.txt:0-99999999999999999999"
expect_exit err_direction 2 "backward or forward" sideways --db "$DB" real.txt
expect_exit err_no_target 2 "missing TARGET" backward --db "$DB"
expect_exit err_folder 2 "folder" backward --db "$DB" "$T"
expect_exit err_missing_db 1 "cannot open database" backward --db "$T/none.db" real.txt
head -c 3000 /dev/urandom >"$T/junk.db"
expect_exit err_junk_db 1 "cannot open database" backward --db "$T/junk.db" real.txt
HOME=$T/home expect_exit err_default_db 1 "$T/home/.local/share/crosstag/crosstag.db" backward real.txt
CROSSTAG_DB=$DB ct query backward --json "$G/g.txt" >"$T/.out" 2>&1 &&
    [ "$(cat "$T/.out")" = "$(row "$G/g.txt" 0 10 "$G/e.txt" 0 10)" ] &&
    pass env_db || fail env_db "CROSSTAG_DB not used" "$T/.out"

finish
