#!/usr/bin/env bash
# t_collector.sh — `crosstag run`'s collector and the store's write side on
# exact record streams from tests/fake_tracker.py (no Valgrind): periodic
# flows, FLOW records of older trackers, malformed periodic records, and
# upgrading a version 1 store.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || { skip collector "no sqlite3 command"; finish; }

G=$T/gone
export CROSSTAG_VALGRIND=$TESTS_DIR/fake_tracker.py CT_FAKE_SCRIPT=$T/script

# fakerun NAME < script — crosstag run with the fake tracker playing it
fakerun() {
    cat >"$CT_FAKE_SCRIPT"
    ctrun_ok "$1" -- true
}

# expect_err NAME PATTERN — crosstag run's stderr says it
expect_err() {
    if grep -q -- "$2" "$CTERR"; then pass "$1"; else fail "$1" "stderr lacks '$2'" "$CTERR"; fi
}

# sql NAME QUERY EXPECTED
sql() {
    local got
    got=$(sqlite3 "$DB" "$2" 2>&1)
    [ "$got" = "$3" ] && pass "$1" || fail "$1" "got '$got', want '$3'"
}

# ---- good records ----
fakerun run_good <<EOF
conn
hello
object 1 file:$G/in
object 2 file:$G/out
object 3 file:$G/old
object 4 file:$G/zero
object 5 file:$G/contig
# base64-like: out[4k, +4) <- in[3k, +3), all, 5 repetitions
flow 2 1 0 4 0 3 100 90 1 5 4 3
# a tracker from before periodic flows
oldflow 3 1 0 2 100 2 110 105 0
# reps 0 is a plain flow (its steps mean nothing)
flow 4 1 0 2 200 2 120 115 0 0 9 9
# contiguous aligned repetitions: one plain row, which the next flow extends
flow 5 1 0 2 300 2 130 125 0 3 2 2
flow 5 1 6 2 306 2 131 126 0
exit
EOF
# the only thing to say: that an agent was started for the new database
grep -v '^crosstag: started the agent ' "$CTERR" | grep -q . &&
    fail run_good_quiet "crosstag run complained" "$CTERR" || pass run_good_quiet
sql periodic_row "SELECT sink_start, sink_end, src_start, src_end, mode, reps, sink_step, src_step
                  FROM flows JOIN objects o ON o.id = sink_obj WHERE o.name = CAST('file:$G/out' AS BLOB)" \
    "0|20|0|15|1|5|4|3"
sql plain_rows "SELECT o.name, sink_start, sink_end, src_start, src_end, reps, sink_step, src_step
                FROM flows JOIN objects o ON o.id = sink_obj WHERE reps = 1 ORDER BY flows.id" \
"file:$G/old|0|2|100|102|1|0|0
file:$G/zero|0|2|200|202|1|0|0
file:$G/contig|0|8|300|308|1|0|0"
expect_json back_periodic backward "$G/out:5-13" <<EOF
$(row "$G/out" 5 8 "$G/in" 3 6 all)
$(row "$G/out" 8 12 "$G/in" 6 9 all)
$(row "$G/out" 12 13 "$G/in" 9 12 all)
EOF
expect_json fwd_periodic forward "$G/in:4-7" <<EOF
$(row "$G/out" 4 8 "$G/in" 4 6 all)
$(row "$G/out" 8 12 "$G/in" 6 7 all)
EOF
expect_json back_old_record backward "$G/old" <<EOF
$(row "$G/old" 0 2 "$G/in" 100 102)
EOF
expect_json back_contig backward "$G/contig" <<EOF
$(row "$G/contig" 0 8 "$G/in" 300 308)
EOF

# ---- malformed periodic records: the connection is dropped ----
# bad NAME STDERR-PATTERN FLOW-ARGS...
bad() {
    local name=$1 pat=$2
    shift 2
    fakerun "$name" <<EOF
conn
hello
object 1 file:$G/in
object 2 file:$G/$name
flow 2 1 $*
flow 2 1 1000 1 1000 1 300 290 0
exit
EOF
    expect_err "$name" "$pat.*dropping the connection"
    sql "${name}_nothing_stored" "SELECT count(*) FROM flows JOIN objects o ON o.id = sink_obj
                                  WHERE o.name = CAST('file:$G/$name' AS BLOB)" 0
}
bad bad_overlapping_sink "repetitions overlap in the sink" 0 4 0 4 200 190 0 3 2 2
bad bad_uint64_overflow "out of bounds" 0 4 0 3 200 190 1 4611686018427387904 4 3
bad bad_past_int64 "out of bounds" 0 4 0 3 200 190 1 3 4611686018427387904 3
bad bad_source_past_int64 "out of bounds" 0 4 0 3 200 190 1 3 4 4611686018427387904
bad bad_last_rep_past_int64 "out of bounds" 9223372036854775000 4 0 3 200 190 1 1000 4 3

# ---- the stream goes on in a shared ring (CT_MSG_RING) ----
# a 64 KB ring wrapped around: 2000 flows of 56 bytes (112 KB) after RING,
# each stored (not adjacent: no merging)
{
    echo conn; echo hello; echo "object 1 file:$G/rin"; echo "object 2 file:$G/rout"; echo ring
    for ((k = 0; k < 2000; k++)); do echo "flow 2 1 $((k * 10)) 5 $((k * 10)) 5 100 90 0"; done
    echo exit
} | fakerun ring_run
if grep -v '^crosstag: started the agent ' "$CTERR" | grep -q .; then
    fail ring_quiet "crosstag run complained" "$CTERR"
else
    pass ring_quiet
fi
sql ring_rows "SELECT count(*), min(sink_start), max(sink_end) FROM flows JOIN objects o ON o.id = sink_obj
               WHERE o.name = CAST('file:$G/rout' AS BLOB)" "2000|0|19995"
# RING without its memory, with too little, or with memory that may shrink
# under the agent's mapping (a SIGBUS in the agent): the connection is dropped
fakerun ring_nofd <<EOF
conn
hello
ringnofd
exit
EOF
expect_err ring_nofd "RING without its memory.*dropping the connection"
fakerun ring_short <<EOF
conn
hello
ringshort
exit
EOF
expect_err ring_short "RING's memory is not a file of 69632 bytes.*dropping the connection"
fakerun ring_unsealed <<EOF
conn
hello
ringunsealed
exit
EOF
expect_err ring_unsealed "RING's memory is not sealed against shrinking.*dropping the connection"

# ---- a version 1 store is upgraded by its first run ----
fresh_db
{
    cat "$TESTS_DIR/schema_v1.sql"
    echo "INSERT INTO hosts VALUES(1, '$H');"
    echo "INSERT INTO objects(id,host,kind,dev,ino,name) VALUES(1,1,1,0,1,CAST('file:$G/v1a' AS BLOB)),(2,1,1,0,2,CAST('file:$G/v1b' AS BLOB));"
    echo "INSERT INTO processes(id,host,pid,start_ticks,exec_seq) VALUES(1,1,1,1,0);"
    echo "INSERT INTO flows(proc,time_ns,src_time_ns,sysno,sink_obj,sink_start,sink_end,src_obj,src_start,src_end,mode) VALUES(1,50,40,1,2,0,6,1,10,16,0);"
} | sqlite3 "$DB" >"$T/sqlite.out" 2>&1 || fail v1_setup "sqlite3 could not build the store" "$T/sqlite.out"
fakerun v1_upgrade_run <<EOF
conn
hello
object 1 file:$G/in
object 2 file:$G/out
flow 2 1 0 4 0 3 100 90 1 5 4 3
exit
EOF
sql v1_upgraded "SELECT value FROM meta WHERE key='schema_version'" 4
sql v1_old_rows_plain "SELECT reps, sink_step, src_step FROM flows WHERE id = 1" "1|0|0"
expect_json v1_old_row backward "$G/v1b" <<EOF
$(row "$G/v1b" 0 6 "$G/v1a" 10 16)
EOF
expect_json v1_new_row backward "$G/out:18-20" <<EOF
$(row "$G/out" 18 20 "$G/in" 12 15 all)
EOF

finish
