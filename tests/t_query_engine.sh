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

# The schema of docs/design.md (version 2: version 1 plus the periodic
# flow columns), and one host.  schema_v1: a store from before version 2.
schema_v1() {
    cat "$TESTS_DIR/schema_v1.sql"
    echo "INSERT INTO hosts VALUES(1, '$H');"
}
schema() {
    schema_v1 | sed -e "s/^  mode INTEGER NOT NULL);$/  mode INTEGER NOT NULL,\\
  reps INTEGER NOT NULL DEFAULT 1, sink_step INTEGER NOT NULL DEFAULT 0,\\
  src_step INTEGER NOT NULL DEFAULT 0);/" -e "s/'schema_version', '1'/'schema_version', '2'/"
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

# pflow PROC TIME SRC_TIME SINK S LEN STEP SRC A LEN STEP REPS [all] — a
# periodic row: repetition k is sink [S+k*STEP, +LEN) <- src [A+k*STEP, +LEN);
# its range columns hold the extent of all repetitions
pflow() {
    local mode=0 reps=${12}
    [ "${13:-}" = all ] && mode=1
    echo "INSERT INTO flows(proc,time_ns,src_time_ns,sysno,sink_obj,sink_start,sink_end,src_obj,src_start,src_end,mode,reps,sink_step,src_step) VALUES($1,$2,$3,1,$4,$5,$(($5 + ($reps - 1) * $7 + $6)),$8,$9,$(($9 + ($reps - 1) * ${11} + ${10})),$mode,$reps,$7,${11});"
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

    # periodic rows.  base64-like: out[10+4k, +4) <- in[3k, +3), all, 1000
    # repetitions; then a copy of out[10,4010)
    obj 90 "file:$G/b64in"; obj 91 "file:$G/b64out"; obj 92 "file:$G/b64copy"
    proc 90 190 base64 b64in; proc 91 191 tail -c+11 b64out
    pflow 90 2000 1990 91 10 4 4 90 0 3 3 1000 all
    flow 91 2100 2090 92 10 4010 91 10 4010
    # a sliding window, aligned: win[4k, +3) <- src[k, +3), 6 repetitions
    # whose sources overlap; later win[8,10) is overwritten from patch
    obj 93 "file:$G/win"; obj 94 "file:$G/winsrc"; obj 95 "file:$G/patch"
    proc 92 192 window; proc 93 193 patcher
    pflow 92 2000 1990 93 0 3 4 94 0 3 1 6
    flow 93 2200 2190 93 8 10 95 0 2
    # damaged periodic rows (repetitions that do not fit the extent, a
    # negative step, overlapping sink repetitions) are skipped
    obj 96 "file:$G/damaged"; obj 97 "file:$G/dsrc"
    echo "INSERT INTO flows(proc,time_ns,src_time_ns,sysno,sink_obj,sink_start,sink_end,src_obj,src_start,src_end,mode,reps,sink_step,src_step) VALUES
          (93,2300,2290,1,96,0,10,97,0,10,0,100,4,0), (93,2300,2290,1,96,0,10,97,0,10,0,2,-4,1),
          (93,2300,2290,1,96,0,10,97,0,10,0,2,2,2);"
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

# ---- periodic rows ----
expect_json back_periodic_mid backward "$G/b64out:2001-2011" <<EOF
$(row "$G/b64out" 2001 2002 "$G/b64in" 1491 1494 all)
$(row "$G/b64out" 2002 2006 "$G/b64in" 1494 1497 all)
$(row "$G/b64out" 2006 2010 "$G/b64in" 1497 1500 all)
$(row "$G/b64out" 2010 2011 "$G/b64in" 1500 1503 all)
EOF
expect_json back_periodic_chain backward "$G/b64copy:2001-2011" <<EOF
$(row "$G/b64copy" 2001 2002 "$G/b64in" 1491 1494 all)
$(row "$G/b64copy" 2002 2006 "$G/b64in" 1494 1497 all)
$(row "$G/b64copy" 2006 2010 "$G/b64in" 1497 1500 all)
$(row "$G/b64copy" 2010 2011 "$G/b64in" 1500 1503 all)
EOF
expect_json back_periodic_first backward "$G/b64copy:0-15" <<EOF
$(row "$G/b64copy" 10 14 "$G/b64in" 0 3 all)
$(row "$G/b64copy" 14 15 "$G/b64in" 3 6 all)
EOF
expect_json back_periodic_last backward "$G/b64out:4000-4020" <<EOF
$(row "$G/b64out" 4000 4002 "$G/b64in" 2991 2994 all)
$(row "$G/b64out" 4002 4006 "$G/b64in" 2994 2997 all)
$(row "$G/b64out" 4006 4010 "$G/b64in" 2997 3000 all)
EOF
expect_json fwd_periodic_mid forward "$G/b64in:1495-1502" <<EOF
$(row "$G/b64copy" 2002 2006 "$G/b64in" 1495 1497 all)
$(row "$G/b64copy" 2006 2010 "$G/b64in" 1497 1500 all)
$(row "$G/b64copy" 2010 2014 "$G/b64in" 1500 1502 all)
EOF
# the whole file: every repetition, once each
for d in backward:b64copy forward:b64in; do
    rc=0
    ct query "${d%%:*}" --db "$DB" --json "$G/${d#*:}" >"$T/.all" 2>&1 || rc=$?
    n=$(grep -c '"mode":"all"' "$T/.all")
    if [ "$rc" -eq 0 ] && [ "$n" -eq 1000 ] && [ "$(sort -u "$T/.all" | wc -l)" -eq 1000 ] &&
       [ "$(head -n 1 "$T/.all")" = "$(row "$G/b64copy" 10 14 "$G/b64in" 0 3 all)" ] &&
       [ "$(tail -n 1 "$T/.all")" = "$(row "$G/b64copy" 4006 4010 "$G/b64in" 2997 3000 all)" ]; then
        pass "periodic_whole_${d%%:*}"
    else
        fail "periodic_whole_${d%%:*}" "exit $rc, $n rows" "$T/.all"
    fi
done
expect_json back_periodic_damaged backward "$G/damaged" </dev/null
expect_json fwd_periodic_damaged forward "$G/dsrc" </dev/null
# window: sink byte 3 was never written; [8,10) is the patch's
expect_json back_periodic_window backward "$G/win:3-12" <<EOF
$(row "$G/win" 4 7 "$G/winsrc" 1 4)
$(row "$G/win" 8 10 "$G/patch" 0 2)
$(row "$G/win" 10 11 "$G/winsrc" 4 5)
EOF
# source byte 2 feeds repetitions 0, 1 and 2; 2's copy was overwritten
expect_json fwd_periodic_overlapping_sources forward "$G/winsrc:2-3" <<EOF
$(row "$G/win" 2 3 "$G/winsrc" 2 3)
$(row "$G/win" 5 6 "$G/winsrc" 2 3)
EOF
expect_json fwd_periodic_window_range forward "$G/winsrc:4-6" <<EOF
$(row "$G/win" 10 11 "$G/winsrc" 4 5)
$(row "$G/win" 13 15 "$G/winsrc" 4 6)
$(row "$G/win" 16 18 "$G/winsrc" 4 6)
$(row "$G/win" 20 21 "$G/winsrc" 5 6)
EOF

# ---- a version 1 store (no periodic columns) still answers, unchanged ----
V1=$T/v1.db
{
    schema_v1
    obj 1 "file:$G/a.txt"; obj 2 "file:$G/b.txt"; obj 3 "file:$G/c.txt"
    proc 1 101 cp a.txt b.txt; proc 2 102 cat b.txt
    flow 1 100 90 2 0 10 1 0 10
    flow 2 300 250 3 0 12 2 0 12
} >"$T/v1.sql"
if ! sqlite3 "$V1" <"$T/v1.sql" >"$T/sqlite.out" 2>&1; then
    fail v1_setup "sqlite3 could not build the version 1 store" "$T/sqlite.out"
else
    DB=$V1 expect_json v1_backward backward "$G/c.txt:2-14" <<EOF
$(row "$G/c.txt" 2 10 "$G/a.txt" 2 10)
$(row "$G/c.txt" 10 12 "$G/b.txt" 10 12)
EOF
    DB=$V1 expect_json v1_forward forward "$G/a.txt" <<EOF
$(row "$G/c.txt" 0 10 "$G/a.txt" 0 10)
EOF
    v=$(sqlite3 "$V1" "SELECT value FROM meta WHERE key='schema_version'" 2>&1)
    [ "$v" = 1 ] && pass v1_untouched || fail v1_untouched "a query changed the store: version $v"
    sqlite3 "$V1" "UPDATE meta SET value='5' WHERE key='schema_version'"
    err=$(ct query backward --db "$V1" "$G/c.txt" 2>&1 >/dev/null)
    case $err in
        *"unsupported schema version 5"*) pass newer_schema_refused ;;
        *) fail newer_schema_refused "a newer store was not refused: $err" ;;
    esac
fi

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
expect_exit err_direction 2 "backward, forward or path" sideways --db "$DB" real.txt
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
