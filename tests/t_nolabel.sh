#!/usr/bin/env bash
# t_nolabel.sh — no false labels: bytes made from constants, from files that
# are not sources (system folders, --no-source globs, symlinks into /usr), or
# from the program's own computation must carry no label, so no flow row.
# Also checks the glob rule: the last matching --source/--no-source decides.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GPL=/usr/share/common-licenses/GPL-3

test_constants() {
    # a shell, printf and seq: everything from argv, constants and arithmetic
    local o=$T/const.out
    fresh_db
    ctrun_ok constants -- sh -c 'echo hello; printf "%s-%d\n" abc 42; seq 1 200' >"$o" || return
    expect_json constants backward "$o" </dev/null

    # our program: reads a source, overwrites the buffer, writes computed bytes
    local i=$T/c.in o2=$T/const2.out
    gen "$i" 3000
    fresh_db
    ctrun_ok constant-prog -- "$PROGS/constant" "$i" "$o2" || return
    expect_json constant-prog backward "$o2" </dev/null
}

test_python_constants() {
    # python3 reads its own library (under /usr: no source) and prints
    # computed text
    local o=$T/pyconst.out
    fresh_db
    ctrun_ok python-constants -- "$PY" -I -c 'import json; print(json.dumps({"k": list(range(50))}) * 3)' >"$o" || return
    expect_json python-constants backward "$o" </dev/null
}

test_system_files() {
    local o=$T/gpl.out
    fresh_db
    ctrun_ok usr-file -- cat "$GPL" >"$o" || return
    same_file usr-file "$GPL" "$o" || return
    expect_json usr-file backward "$o" </dev/null

    # /etc, /proc: not sources either
    fresh_db
    ctrun_ok etc-proc-files -- sh -c 'cat /etc/passwd /proc/self/status /proc/version' >"$T/etc.out" || return
    expect_json etc-proc-files backward "$T/etc.out" </dev/null

    # a symlink outside /usr to a file under /usr: the kernel's resolved path decides
    ln -s "$GPL" "$T/gpl.link"
    fresh_db
    ctrun_ok symlink-to-usr -- cat "$T/gpl.link" >"$T/link.out" || return
    expect_json symlink-to-usr backward "$T/link.out" </dev/null

    # --source widens: the same file is now a source
    local n
    n=$(fsize "$GPL")
    fresh_db
    ctrun_ok usr-file-as-source --source '/usr/share/common-licenses/*' -- cat "$GPL" >"$T/gpl2.out" || return
    row "$T/gpl2.out" 0 "$n" "$GPL" 0 "$n" | expect_json usr-file-as-source backward "$T/gpl2.out"
}

test_no_source() {
    local s=$T/secret.txt o=$T/ns.out
    gen "$s" 2000 9
    fresh_db
    ctrun_ok no-source --no-source "$T/secret*" -- cat "$s" >"$o" || return
    same_file no-source "$s" "$o" || return
    expect_json no-source backward "$o" </dev/null

    # one of two inputs excluded: only the other one's bytes are labelled
    local a=$T/il.a b=$T/il.b o2=$T/il.out k
    printf 'abcd' >"$a"
    printf 'WXYZ' >"$b"
    fresh_db
    ctrun_ok no-source-one --no-source "$b" -- "$PROGS/interleave" "$a" "$b" "$o2" || return
    for k in 0 1 2 3; do row "$o2" $((2 * k)) $((2 * k + 1)) "$a" $k $((k + 1)); done |
        expect_json no-source-one backward "$o2"
}

test_last_match_wins() {
    local keep=$T/keep.txt drop=$T/drop.txt o=$T/lm.out o2=$T/lm2.out
    gen "$keep" 100 1
    gen "$drop" 50 2
    # '*' matches any run of bytes including '/': the later --source wins for keep.txt
    fresh_db
    ctrun_ok last-match-source --no-source '*' --source "$T/keep*" -- cat "$keep" "$drop" >"$o" || return
    row "$o" 0 100 "$keep" 0 100 | expect_json last-match-source backward "$o"
    # the other order: the later --no-source '*' wins for both
    fresh_db
    ctrun_ok last-match-no-source --source "$T/keep*" --no-source '*' -- cat "$keep" "$drop" >"$o2" || return
    expect_json last-match-no-source backward "$o2" </dev/null
    # '?' and a class
    fresh_db
    ctrun_ok glob-class --no-source "$T/[dk]?op.txt" -- cat "$keep" "$drop" >"$T/lm3.out" || return
    row "$T/lm3.out" 0 100 "$keep" 0 100 | expect_json glob-class backward "$T/lm3.out"
}

test_constants
test_python_constants
test_system_files
test_no_source
test_last_match_wins
finish
