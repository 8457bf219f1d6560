#!/usr/bin/env bash
# t_agent.sh — the per-host agent crosstagd: started by crosstag run and
# shared by concurrent runs, status/stop, killed (SIGKILL) in the middle of a
# run and replaced without losing a record, records in another process's
# name refused, a deleted database started afresh.
. "$(dirname "$0")/lib.sh"

# alive PID — running, not a zombie (PID 1 here may not reap the agent)
alive() { local s; s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1); [ -n "$s" ] && [ "$s" != Z ]; }
agent_pid() { "$CT" agent status --db "${1:-$DB}" 2>/dev/null | sed -n 's/^agent pid \([0-9]*\) .*/\1/p'; }

head -c 3000 /dev/urandom | base64 -w 60 >in.txt     # 4051 bytes
N=$(stat -c %s in.txt)

# ---- started on demand, said so, shared, stopped ----
"$CT" agent status --db "$DB" >/dev/null 2>&1; rc=$?
[ $rc -eq 3 ] && pass status-none || fail status-none "status exited $rc without an agent, want 3"
ctrun_ok first-run -- "$PROGS/copy" in.txt a.out &&
    { grep -q '^crosstag: started the agent (crosstagd, pid [0-9]*) for '"$DB" "$CTERR" &&
      pass says-started || fail says-started "no 'started the agent' line" "$CTERR"; }
p1=$(agent_pid)
[ -n "$p1" ] && alive "$p1" && pass agent-running || fail agent-running "no agent after the run"
ctrun_ok second-run -- "$PROGS/copy" in.txt b.out
[ "$(agent_pid)" = "$p1" ] && ! grep -q 'started the agent' "$CTERR" && pass agent-reused ||
    fail agent-reused "the second run did not use agent $p1" "$CTERR"
# two runs at once, one agent
ctrun_ok concurrent-1 -- "$PROGS/copy" in.txt c.out & j1=$!
"$CT" run --db "$DB" --host "$H" -- "$PROGS/copy" in.txt d.out 2>"$T/.err2"; rc2=$?
wait $j1; rc1=$?
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ "$(agent_pid)" = "$p1" ] && pass concurrent ||
    fail concurrent "exit $rc1/$rc2, agent $(agent_pid) (was $p1)" "$T/.err2"
for f in a b c d; do
    row "$T/$f.out" 0 "$N" "$T/in.txt" 0 "$N" | expect_json "flows-$f" backward "$T/$f.out"
done
out=$("$CT" agent stop --db "$DB" 2>&1)
[ "$out" = "agent pid $p1 stopped" ] && ! alive "$p1" && pass stop ||
    fail stop "stop said '$out'; agent alive: $(alive "$p1" && echo yes || echo no)"

# ---- SIGKILL in the middle of a run: the run goes on, nothing is lost ----
fresh_db
rm -f flag
timeout -k 10 "$CT_TIMEOUT" "$CT" run --db "$DB" --host "$H" -- "$PROGS/pausecopy" in.txt k.out flag \
    2>"$CTERR" & job=$!
for i in $(seq 600); do [ -s k.out ] && [ "$(stat -c %s k.out)" -ge $((N / 2)) ] && break; sleep 0.1; done
p2=$(agent_pid)
kill -9 "$p2" 2>/dev/null
for i in $(seq 100); do alive "$p2" || break; sleep 0.1; done
touch flag
wait $job; rc=$?
[ $rc -eq 0 ] && cmp -s in.txt k.out && pass killed-agent-run ||
    fail killed-agent-run "exit $rc" "$CTERR"
grep -q 'the agent went away; starting a new one' "$CTERR" && pass killed-agent-said ||
    fail killed-agent-said "crosstag run did not say it restarted the agent" "$CTERR"
p3=$(agent_pid)
[ -n "$p3" ] && [ "$p3" != "$p2" ] && pass agent-replaced || fail agent-replaced "agent now '$p3', killed $p2"
row "$T/k.out" 0 "$N" "$T/in.txt" 0 "$N" | expect_json killed-agent-flows backward "$T/k.out"
n=$(sqlite3 "$DB" "SELECT count(*) FROM processes" 2>&1)
[ "$n" = 1 ] && pass killed-agent-one-process || fail killed-agent-one-process "$n process rows, want 1"
n=$(sqlite3 "$DB" "PRAGMA integrity_check" 2>&1)
[ "$n" = ok ] && pass killed-agent-integrity || fail killed-agent-integrity "$n"

# ---- records in another process's name are refused ----
fresh_db
export CROSSTAG_VALGRIND=$TESTS_DIR/fake_tracker.py CT_FAKE_SCRIPT=$T/script
printf 'conn\nhellopid 1\nobject 1 file:/x\nobject 2 file:/y\nflow 2 1 0 4 0 4 100 90 0\nexit\n' >"$CT_FAKE_SCRIPT"
ctrun -- true; rc=$?
grep -q 'HELLO for pid 1 from pid' "$CTERR" && pass foreign-pid-refused ||
    fail foreign-pid-refused "exit $rc; no refusal" "$CTERR"
n=$(sqlite3 "$DB" "SELECT count(*) FROM processes" 2>&1)
[ "$n" = 0 ] && pass foreign-pid-nothing-stored || fail foreign-pid-nothing-stored "$n process rows"
unset CROSSTAG_VALGRIND CT_FAKE_SCRIPT

# ---- the database deleted while its agent runs: a new one is made ----
ctrun_ok before-delete -- "$PROGS/copy" in.txt e.out
p4=$(agent_pid)
rm -f "$DB" "$DB-wal" "$DB-shm"
ctrun_ok after-delete -- "$PROGS/copy" in.txt f.out
row "$T/f.out" 0 "$N" "$T/in.txt" 0 "$N" | expect_json after-delete-flows backward "$T/f.out"
[ "$(agent_pid)" = "$p4" ] && pass after-delete-same-agent || fail after-delete-same-agent "agent changed"

# ---- crosstagd in the foreground; bad arguments ----
D2=$T/fg.db
"$ROOT/build/bin/crosstagd" --db "$D2" --host fg 2>"$T/fg.log" & fg=$!
for i in $(seq 100); do [ -n "$(agent_pid "$D2")" ] && break; sleep 0.1; done
[ "$(agent_pid "$D2")" = "$fg" ] && pass crosstagd-foreground || fail crosstagd-foreground "not serving" "$T/fg.log"
kill -TERM "$fg"; wait "$fg"; rc=$?
[ $rc -eq 0 ] && [ -z "$(agent_pid "$D2")" ] && pass crosstagd-sigterm || fail crosstagd-sigterm "exit $rc" "$T/fg.log"
"$CT" agent --idle-exit soon --db "$D2" >/dev/null 2>"$T/.e"; rc=$?
[ $rc -eq 2 ] && grep -q 'idle-exit needs seconds' "$T/.e" && pass agent-bad-args || fail agent-bad-args "exit $rc" "$T/.e"
"$CT" agent frobnicate >/dev/null 2>"$T/.e"; rc=$?
[ $rc -eq 2 ] && pass agent-bad-verb || fail agent-bad-verb "exit $rc" "$T/.e"
finish
