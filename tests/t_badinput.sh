#!/usr/bin/env bash
# t_badinput.sh — bad input gets a clear error or a correct record; never a
# hang, a crashed crosstag or a corrupted database.
#   missing / non-executable program, crashing and killed programs (records
#   sent before survive), exit status passed through, a database crosstag
#   cannot create, a corrupt or foreign database (left untouched), a sparse
#   file read past 4 GiB, file names with a newline and invalid UTF-8, wrong
#   arguments (exit 2).
# Exit statuses follow `crosstag run --help`: CMD's own (128+N when killed by
# signal N), 127 CMD not found, 126 not executable, 2 usage, 1 other errors.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IN=$T/in.txt
gen "$IN" 6000
N=6000

# expect_rc NAME WANT GOT — no ok line on success
expect_rc() {
    [ "$3" -eq "$2" ] && return 0
    fail "$1" "exit status $3, expected $2" "$CTERR"
    return 1
}

# expect_error NAME RC — a crosstag error: non-zero, not a crash (< 126), and
# a message on stderr
expect_error() {
    local name=$1 rc=$2
    if [ "$rc" -eq 0 ] || [ "$rc" -ge 126 ]; then
        fail "$name" "exit status $rc, expected a crosstag error (1..125)" "$CTERR"
        return 1
    fi
    if [ ! -s "$CTERR" ]; then
        fail "$name" "no error message on stderr"
        return 1
    fi
    return 0
}

# db_intact NAME — the database passes SQLite's integrity check
db_intact() {
    local r
    r=$(sqlite3 "$DB" 'PRAGMA integrity_check;' 2>&1)
    [ "$r" = ok ] && return 0
    echo "$r" >"$T/.integrity"
    fail "$1" "database integrity check failed" "$T/.integrity"
    return 1
}

test_missing_program() {
    local rc=0
    fresh_db
    ctrun -- "$T/no-such-program" arg || rc=$?
    expect_rc missing-program 127 "$rc" || return
    if ! grep -q 'no-such-program' "$CTERR"; then
        fail missing-program "the message does not name the program" "$CTERR"
        return
    fi
    pass missing-program

    # no execute bit at all: not executable, not even for root
    printf 'not a program\n' >"$T/not-exec"
    chmod 644 "$T/not-exec"
    rc=0
    ctrun -- "$T/not-exec" || rc=$?
    expect_rc not-executable 126 "$rc" || return
    if ! grep -q 'not-exec' "$CTERR"; then
        fail not-executable "the message does not name the program" "$CTERR"
        return
    fi
    pass not-executable
}

test_exit_status() {
    local rc=0
    fresh_db
    ctrun -- sh -c 'exit 3' || rc=$?
    expect_rc exit-status 3 "$rc" && pass exit-status
}

test_crash() {
    local o=$T/crash.out rc=0
    fresh_db
    ctrun -- "$PROGS/crash" "$IN" "$o" || rc=$?
    expect_rc crash-segv 139 "$rc" || return
    same_file crash-segv "$IN" "$o" || return
    db_intact crash-segv || return
    row "$o" 0 $N "$IN" 0 $N | expect_json crash-segv backward "$o"
}

# A copy from a file mapping past the file's end faults with SIGBUS natively;
# under crosstag the program must meet the same fault (its handler runs and
# it goes on), not stop Valgrind (the engine's bulk copies never touch file
# mappings: tool/ct_clreq.c).
test_mapping_past_eof() {
    local i=$T/bus.in o=$T/bus.out rc=0
    head -c 3000 "$IN" >"$i"
    fresh_db
    ctrun -- "$PROGS/mapbus" "$i" "$o" >"$T/bus.stdout" || rc=$?
    expect_rc mapping-past-eof 0 "$rc" || return
    if [ "$(cat "$T/bus.stdout")" = SIGBUS ]; then pass mapping-past-eof-sigbus
    else fail mapping-past-eof-sigbus "stdout '$(head -c 200 "$T/bus.stdout")', expected SIGBUS" "$CTERR"; fi
    same_file mapping-past-eof "$i" "$o" || return
    row "$o" 0 3000 "$i" 0 3000 | expect_json mapping-past-eof backward "$o"
}

test_self_kill() {
    local o=$T/kill.out rc=0
    fresh_db
    ctrun -- "$PROGS/crash" "$IN" "$o" kill || rc=$?
    expect_rc sigkill-self 137 "$rc" || return
    same_file sigkill-self "$IN" "$o" || return
    db_intact sigkill-self || return
    row "$o" 0 $N "$IN" 0 $N | expect_json sigkill-self backward "$o"
}

test_killed_from_outside() {
    # the tracked shell copies a file, records its pid ($$ is the tracked
    # process: Valgrind runs in it) and execs sleep; we SIGKILL that process
    local o=$T/ext.out m=$T/ext.pid rc=0 pid i
    fresh_db
    ctrun -- sh -c 'cat "$1" > "$2"; echo $$ > "$3.tmp"; mv "$3.tmp" "$3"; exec sleep 600' sh "$IN" "$o" "$m" &
    local bg=$!
    for ((i = 0; i < 1200; i++)); do
        [ -s "$m" ] && break
        kill -0 "$bg" 2>/dev/null || break
        sleep 0.25
    done
    if [ ! -s "$m" ]; then
        kill "$bg" 2>/dev/null
        wait "$bg"
        fail sigkill-outside "the tracked shell never started" "$CTERR"
        return
    fi
    pid=$(cat "$m")
    kill -KILL "$pid" 2>/dev/null
    wait "$bg" || rc=$?
    expect_rc sigkill-outside 137 "$rc" || return
    same_file sigkill-outside "$IN" "$o" || return
    db_intact sigkill-outside || return
    row "$o" 0 $N "$IN" 0 $N | expect_json sigkill-outside backward "$o"
}

# try_bad_db NAME DBPATH — crosstag run must fail clearly and not run CMD
try_bad_db() {
    local name=$1 db=$2 rc=0
    rm -f "$T/ran"
    timeout -k 10 "$CT_TIMEOUT" "$CT" run --db "$db" --host "$H" -- sh -c 'echo ran > "$1"' sh "$T/ran" 2>"$CTERR" || rc=$?
    expect_error "$name" "$rc" || return 1
    if [ -e "$T/ran" ]; then
        fail "$name" "the command ran although the database could not be opened"
        return 1
    fi
    return 0
}

test_unwritable_db() {
    # the folder cannot be made: its parent is a regular file
    echo x >"$T/a-file"
    try_bad_db db-parent-is-file "$T/a-file/sub/crosstag.db" && pass db-parent-is-file
    # a folder under /proc cannot be made, not even by root
    try_bad_db db-under-proc "/proc/crosstag-test-$$/crosstag.db" && pass db-under-proc
    # a read-only folder: permissions for a normal user; as root (who ignores
    # them) a read-only tmpfs mount, else an immutable folder (chattr +i)
    local ro=$T/ro
    mkdir -p "$ro"
    if [ "$(id -u)" -ne 0 ]; then
        chmod 555 "$ro"
    elif mount -t tmpfs -o ro,size=1m crosstag-test-ro "$ro" 2>/dev/null; then
        on_cleanup "umount '$ro'"
    elif chattr +i "$ro" 2>/dev/null; then
        on_cleanup "chattr -i '$ro'"
    else
        skip db-read-only-folder "cannot make a read-only folder as root (no mount, no chattr)"
        return
    fi
    try_bad_db db-read-only-folder "$ro/crosstag.db" && pass db-read-only-folder
    if [ -e "$ro/crosstag.db" ]; then fail db-read-only-folder "a database file appeared"; fi
    umount "$ro" 2>/dev/null || chattr -i "$ro" 2>/dev/null || chmod 755 "$ro"
}

test_corrupt_db() {
    local bad=$T/corrupt.db rc=0
    "$PY" -c 'import random,sys; r=random.Random(7); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(65536)))' >"$bad"
    cp "$bad" "$T/corrupt.copy"
    try_bad_db corrupt-db-run "$bad" || return
    cmp -s "$bad" "$T/corrupt.copy" || { fail corrupt-db-run "crosstag changed the corrupt file"; return; }
    pass corrupt-db-run

    timeout -k 10 "$CT_TIMEOUT" "$CT" query backward --db "$bad" --json "$IN" >/dev/null 2>"$CTERR" || rc=$?
    expect_error corrupt-db-query "$rc" || return
    cmp -s "$bad" "$T/corrupt.copy" || { fail corrupt-db-query "crosstag changed the corrupt file"; return; }
    pass corrupt-db-query

    # a valid SQLite file that is not a crosstag database
    local other=$T/other.db
    sqlite3 "$other" 'CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);'
    cp "$other" "$T/other.copy"
    try_bad_db foreign-db "$other" || return
    cmp -s "$other" "$T/other.copy" || { fail foreign-db "crosstag changed a foreign database"; return; }
    pass foreign-db
}

test_big_sparse() {
    # a sparse 6 GiB file, read past 4 GiB by dd (skip_bytes) and tail -c
    local big=$T/big.sparse o=$T/big.dd o2=$T/big.tail
    truncate -s 6G "$big" || { fail sparse-4g "cannot make a sparse file"; return; }
    printf 'FIVE-GIB+100:%0287d' 5 | dd of="$big" bs=1 seek=5368709220 conv=notrunc status=none
    printf 'THE-END:%0992d' 6 | dd of="$big" bs=1 seek=$((6442450944 - 1000)) conv=notrunc status=none
    fresh_db
    ctrun_ok sparse-4g-dd -- dd if="$big" of="$o" bs=4096 iflag=skip_bytes,count_bytes skip=5368709220 count=300 status=none || return
    dd if="$big" bs=4096 iflag=skip_bytes,count_bytes skip=5368709220 count=300 status=none >"$o.native"
    same_file sparse-4g-dd "$o.native" "$o" || return
    row "$o" 0 300 "$big" 5368709220 5368709520 | expect_json sparse-4g-dd backward "$o"

    ctrun_ok sparse-4g-tail -- tail -c 1000 "$big" >"$o2" || return
    tail -c 1000 "$big" >"$o2.native"
    same_file sparse-4g-tail "$o2.native" "$o2" || return
    row "$o2" 0 1000 "$big" $((6442450944 - 1000)) 6442450944 | expect_json sparse-4g-tail backward "$o2"
    rm -f "$big"
}

test_odd_names() {
    # a newline in one input's name, invalid UTF-8 in the other's and in the
    # output's (a lone \xe9 next to a valid é): JSON shows the newline as \n
    # and each invalid byte as the characters \xHH
    local a=$T/with$'\n'newline.txt
    local b=$T/bad$'\xff\xfe'bytes.txt
    local o=$T/out$'\xe9'-é.txt
    gen "$a" 100 3
    gen "$b" 50 4
    fresh_db
    ctrun_ok odd-names -- cat "$a" "$b" >"$o" || return
    { row "$o" 0 100 "$a" 0 100; row "$o" 100 150 "$b" 0 50; } | expect_json odd-names backward "$o"
    row "$o" 0 100 "$a" 0 100 | expect_json odd-names-forward forward "$a"
}

test_wrong_args() {
    local rc args
    local -a cases=(
        ""
        "frobnicate"
        "run"
        "run --db"
        "run --no-such-option -- true"
        "query"
        "query sideways $IN"
        "query backward"
        "query backward --db"
        "query backward --bogus $IN"
    )
    for args in "${cases[@]}"; do
        rc=0
        # word splitting of $args is intended
        # shellcheck disable=SC2086
        timeout -k 10 60 "$CT" $args </dev/null >"$T/.out" 2>"$CTERR" || rc=$?
        if [ "$rc" -ne 2 ]; then
            fail "wrong-args" "'crosstag $args' exited $rc, expected 2" "$CTERR"
            return
        fi
        if [ ! -s "$CTERR" ]; then
            fail "wrong-args" "'crosstag $args' printed no message on stderr"
            return
        fi
    done
    pass wrong-args
}

test_missing_program
test_exit_status
test_crash
test_mapping_past_eof
test_self_kill
test_killed_from_outside
test_unwritable_db
test_corrupt_db
test_big_sparse
test_odd_names
test_wrong_args
finish
