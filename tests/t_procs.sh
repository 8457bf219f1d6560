#!/usr/bin/env bash
# t_procs.sh — data followed across processes on one host: shell pipelines,
# fork, vfork, clone, posix_spawn, system(), exec chains, threads exchanging
# data through a shared buffer, shared memory between processes, files
# written by one run and read by a later one (and changed in between by an
# untracked writer), and `pid:N` query targets.  Every mapping is exact.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IN=$T/in.txt
gen "$IN" 61 5             # odd length: the swapped halves differ in size
N=61 H2=30                 # h = n/2

# expect_json_pipes NAME DIR TARGET < rows — expect_json with every
# "pipe:INO" in the output read as "pipe:P" (pipe inodes differ per run)
expect_json_pipes() {
    local name=$1 dir=$2 target=$3 rc=0
    cat >"$T/.exp"
    run_query "$dir" "$target" || rc=$?
    query_status_ok "$name" "$rc" "$T/.exp" || return 1
    sed -i 's/"pipe:[0-9]*"/"pipe:P"/g' "$T/.got"
    if cmp -s "$T/.exp" "$T/.got"; then
        pass "$name"
        return 0
    fi
    diff -u "$T/.exp" "$T/.got" >"$T/.diff"
    fail "$name" "query $dir differs from the expected rows" "$T/.diff"
}

# swapped halves (see spawncopy.c, clonecopy.c): OUT <- IN[h,n) IN[0,h)
swapped_rows() {
    row "$1" 0 $((N - H2)) "$IN" $H2 $N
    row "$1" $((N - H2)) $N "$IN" 0 $H2
}

test_pipeline() {
    local k
    # sort permutes the lines; its newlines are its own constants (it
    # splits lines on them and writes '\n' anew), so they have no source
    local a=$T/pl.a o=$T/pl.out
    printf 'delta\nalpha\ncharlie\nbravo\n' >"$a"
    fresh_db
    ctrun_ok pipeline -- sh -c 'cat pl.a | tr a-z A-Z | sort > pl.out' || return
    printf 'ALPHA\nBRAVO\nCHARLIE\nDELTA\n' >"$T/pl.exp"
    same_file pipeline "$T/pl.exp" "$o" || return
    {
        row "$o" 0 5 "$a" 6 11          # ALPHA   <- alpha
        row "$o" 6 11 "$a" 20 25        # BRAVO   <- bravo
        row "$o" 12 19 "$a" 12 19       # CHARLIE <- charlie
        row "$o" 20 25 "$a" 0 5         # DELTA   <- delta
    } >"$T/pl.rows"
    expect_json pipeline backward "$o" <"$T/pl.rows"
    # forward from a: the letters end in out; the newlines end in the
    # pipe from tr to sort: sort read them but wrote its own
    {
        cat "$T/pl.rows"
        for k in 5 11 19 25; do row pipe:P $k $((k + 1)) "$a" $k $((k + 1)); done
    } >"$T/pl.fwd"
    expect_json_pipes pipeline-forward forward "$a" <"$T/pl.fwd"

    # pid:N targets.  The tree names each hop's process; take the pids there
    ct query backward --db "$DB" "$o" >"$T/pl.tree" 2>&1
    local cat_pid sort_pid sh_pid start
    cat_pid=$(sed -n 's/.*<- \[pid \([0-9]*\)\] \/usr\/bin\/cat pl.a (aligned)$/\1/p' "$T/pl.tree" | head -1)
    sort_pid=$(sed -n 's/.*<- \[pid \([0-9]*\)\] \/usr\/bin\/sort (aligned)$/\1/p' "$T/pl.tree" | head -1)
    if [ -z "$cat_pid" ] || [ -z "$sort_pid" ]; then
        fail pid-target "the tree does not name cat's and sort's processes" "$T/pl.tree"
        return
    fi
    # backward from sort: everything it wrote came from a; forward from
    # cat: everything it read went where a went
    expect_json pid-backward backward "pid:$sort_pid" <"$T/pl.rows"
    expect_json_pipes pid-forward forward "pid:$cat_pid" <"$T/pl.fwd"
    # the process rows: pid, start, parent, one line per image (exec_seq)
    ct query backward --db "$DB" "pid:$cat_pid" >"$T/pl.ptree" 2>&1
    start=$(sed -n "1s/^process pid:$cat_pid@\([0-9]*\) on $H, parent \[pid [0-9]*\] sh -c cat pl.a | tr a-z A-Z | sort > pl.out$/\1/p" "$T/pl.ptree")
    sh_pid=$(sed -n '1s/.*parent \[pid \([0-9]*\)\].*/\1/p' "$T/pl.ptree")
    if [ -n "$start" ] && [ "$(sed -n 2,3p "$T/pl.ptree")" = "  image 0: sh -c cat pl.a | tr a-z A-Z | sort > pl.out
  image 1: /usr/bin/cat pl.a" ] && grep -q "^pipe:[0-9]*$" "$T/pl.ptree"; then
        pass pid-tree
    else
        fail pid-tree "the process, its parent and images are not shown as expected" "$T/pl.ptree"
    fi
    ct query forward --db "$DB" "pid:$sh_pid" >"$T/pl.shtree" 2>&1
    if [ "$(head -2 "$T/pl.shtree")" = "process pid:$sh_pid@$(sed -n 's/^process pid:[0-9]*@\([0-9]*\).*/\1/p' "$T/pl.shtree") on $H, parent pid $(sed -n 's/.*parent pid \([0-9]*\) (not tracked)$/\1/p' "$T/pl.shtree") (not tracked)
  image 0: sh -c cat pl.a | tr a-z A-Z | sort > pl.out" ] && [ "$(wc -l <"$T/pl.shtree")" -eq 2 ]; then
        pass pid-untracked-parent
    else
        fail pid-untracked-parent "the shell's process is not shown as expected" "$T/pl.shtree"
    fi

    # the same pid used by two processes: ambiguous without @START
    rm -f "$T/amb.db"
    sqlite3 "$DB" "VACUUM INTO '$T/amb.db'"     # a copy with what the WAL holds
    sqlite3 "$T/amb.db" "UPDATE processes SET pid=$cat_pid, start_ticks=start_ticks+100000 WHERE pid=$sort_pid"
    local rc=0
    ct query backward --db "$T/amb.db" --json "pid:$cat_pid" >"$T/amb.out" 2>"$T/amb.err" || rc=$?
    if [ $rc -eq 2 ] && [ ! -s "$T/amb.out" ] && grep -q "pid:$cat_pid names several processes" "$T/amb.err" &&
        grep -q "^  pid:$cat_pid@$start on $H: /usr/bin/cat pl.a$" "$T/amb.err" &&
        grep -q "^  pid:$cat_pid@[0-9]* on $H: /usr/bin/sort$" "$T/amb.err"; then
        pass pid-ambiguous
    else
        fail pid-ambiguous "exit $rc; want 2 and the candidates listed" "$T/amb.err"
    fi
    DB=$T/amb.db expect_json_pipes pid-with-start forward "pid:$cat_pid@$start" <"$T/pl.fwd"
    rc=0
    ct query backward --db "$DB" pid:999999999 >/dev/null 2>"$T/none.err" || rc=$?
    [ $rc -eq 1 ] && grep -q "no records for pid:999999999" "$T/none.err" && pass pid-unknown ||
        fail pid-unknown "exit $rc; want 1 and a message" "$T/none.err"
    rc=0
    ct query backward --db "$DB" pid:12x >/dev/null 2>"$T/bad.err" || rc=$?
    [ $rc -eq 2 ] && grep -q "bad process TARGET 'pid:12x'" "$T/bad.err" && pass pid-bad ||
        fail pid-bad "exit $rc; want 2 and a message" "$T/bad.err"
}

test_spawn() {
    local m o
    for m in vfork spawn system; do
        o=$T/sp.$m
        fresh_db
        rm -f "$o" "$o.mid"
        ctrun_ok "$m" -- "$PROGS/spawncopy" $m "$IN" "$o" || continue
        if [ $m = vfork ]; then
            same_file "$m" "$IN" "$o" || continue
            row "$o" 0 $N "$IN" 0 $N | expect_json "$m" backward "$o"
        else
            "$PROGS/spawncopy" vfork "$IN" "$T/sp.native" && "$PROGS/spawncopy" $m "$IN" "$T/sp.native" ||
                { fail "$m" "native spawncopy failed"; continue; }
            same_file "$m" "$T/sp.native" "$o" || continue
            swapped_rows "$o" | expect_json "$m" backward "$o"
        fi
    done
}

test_clone() {
    local o=$T/clone.out
    fresh_db
    ctrun_ok clone -- "$PROGS/clonecopy" "$IN" "$o" || return
    "$PROGS/clonecopy" "$IN" "$T/clone.native" || { fail clone "native clonecopy failed"; return; }
    same_file clone "$T/clone.native" "$o" || return
    swapped_rows "$o" | expect_json clone backward "$o"
}

test_threadbuf() {
    # 8-byte chunks through a 3-slot ring, each chunk reversed: 61 one-byte
    # rows, the last chunk 5 bytes long
    local o=$T/tb.out c i m
    fresh_db
    ctrun_ok threadbuf -- "$PROGS/threadbuf" "$IN" "$o" || return
    "$PROGS/threadbuf" "$IN" "$T/tb.native" || { fail threadbuf "native threadbuf failed"; return; }
    same_file threadbuf "$T/tb.native" "$o" || return
    for ((c = 0; c < N; c += 8)); do
        m=$((N - c < 8 ? N - c : 8))
        for ((i = 0; i < m; i++)); do
            row "$o" $((c + i)) $((c + i + 1)) "$IN" $((c + m - 1 - i)) $((c + m - i))
        done
    done | expect_json threadbuf backward "$o"
}

test_shm() {
    # the writer fills shared memory from IN and says so through a pipe;
    # the reader (mapped before the writer wrote) copies the memory to OUT:
    # OUT traces back to IN exactly, through the shared region
    local m o
    for m in sysv posix file; do
        o=$T/shm.$m
        if [ $m = sysv ] && ! skip_unless_root shm-sysv; then
            continue                # the segment is named via /proc/self/map_files
        fi
        fresh_db
        ctrun_ok shm-$m -- "$PROGS/shmcopy" $m "$IN" "$o" || continue
        "$PROGS/shmcopy" $m "$IN" "$T/shm.native" || { fail shm-$m "native shmcopy failed"; continue; }
        same_file shm-$m "$T/shm.native" "$o" || continue
        swapped_rows "$o" >"$T/shm.rows"
        expect_json shm-$m backward "$o" <"$T/shm.rows"
        expect_json shm-$m-forward forward "$IN" <"$T/shm.rows"
    done
}

test_exec_chain() {
    # dash execs the last command of -c in place: one pid, two images
    local o=$T/ex.out
    fresh_db
    ctrun_ok exec-chain -- sh -c 'cat in.txt > ex.out' || return
    same_file exec-chain "$IN" "$o" || return
    row "$o" 0 $N "$IN" 0 $N | expect_json exec-chain backward "$o"
    local pid
    pid=$(ct query backward --db "$DB" "$o" | sed -n 's/.*<- \[pid \([0-9]*\)\] \/usr\/bin\/cat in.txt (aligned)$/\1/p')
    ct query backward --db "$DB" "pid:$pid" >"$T/ex.tree" 2>&1
    if [ -n "$pid" ] && [ "$(sed -n 2,3p "$T/ex.tree")" = "  image 0: sh -c cat in.txt > ex.out
  image 1: /usr/bin/cat in.txt" ] && grep -q "^file:$o$" "$T/ex.tree"; then
        pass exec-chain-images
    else
        fail exec-chain-images "want one process with two images" "$T/ex.tree"
    fi
}

test_later_run() {
    # run 1 writes mid from a; run 2, later, copies mid to out: out's bytes
    # name a, the original source, not only the intermediate file
    local a=$T/lr.a b=$T/lr.b mid=$T/lr.mid o=$T/lr.out
    printf 'hello world\n' >"$a"
    printf 'more\n' >"$b"
    fresh_db
    ctrun_ok later-run -- sh -c 'cat lr.a > lr.mid' || return
    ctrun_ok later-run -- sh -c 'cat lr.mid > lr.out' || return
    row "$o" 0 12 "$a" 0 12 | expect_json later-run backward "$o"
    row "$o" 0 12 "$a" 0 12 | expect_json later-run-forward forward "$a"
    # a tracked process appending is no untracked change: a third run
    # still sees both original sources
    ctrun_ok later-run-append -- sh -c 'cat lr.b >> lr.mid' || return
    ctrun_ok later-run-append -- sh -c 'cat lr.mid > lr.out' || return
    {
        row "$o" 0 12 "$a" 0 12
        row "$o" 12 17 "$b" 0 5
    } | expect_json later-run-append backward "$o"
}

# untracked NAME SHELL-CMD — run 1 writes mid from a, SHELL-CMD changes mid
# outside crosstag, run 2 copies mid to out: out traces to mid, whose new
# version says why
untracked() {
    local name=$1 cmd=$2 a=$T/ut.a mid=$T/ut.mid o=$T/ut.out n
    printf 'hello world\n' >"$a"
    fresh_db
    ctrun_ok "$name" -- sh -c 'cat ut.a > ut.mid' || return
    sleep 0.01                      # a coarse file system clock must move
    sh -c "$cmd" || { fail "$name" "the untracked write failed"; return; }
    ctrun_ok "$name" -- sh -c 'cat ut.mid > ut.out' || return
    n=$(fsize "$mid")
    row "$o" 0 "$n" "$mid" 0 "$n" | expect_json "$name" backward "$o"
    ct query backward --db "$DB" "$o" >"$T/ut.tree" 2>&1
    if grep -q "ut.mid (version 2: changed by an untracked writer after the last tracked write: size 12 -> $n," "$T/ut.tree"; then
        pass "$name-remark"
    else
        fail "$name-remark" "the tree does not say why mid has a new version" "$T/ut.tree"
    fi
}

test_untracked() {
    untracked untracked-append 'printf "XY\n" >> ut.mid'
    untracked untracked-touch 'touch ut.mid'
    untracked untracked-rewrite 'echo hi > ut.mid'
}

test_pipeline
test_later_run
test_untracked
test_spawn
test_clone
test_threadbuf
test_shm
test_exec_chain
finish
