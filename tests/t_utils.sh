#!/usr/bin/env bash
# t_utils.sh — standard utilities under `crosstag run`: the output must equal
# the native output, and the byte mapping must be exactly the one the tool
# really computes.  Inputs are chosen so the mapping is unambiguous (distinct
# lines, lines of at least two bytes, ...).  Where a mapping depends on how
# the tool is written, the comment names the code that decides it
# (coreutils 9.1, sed 4.9, mawk 1.3.4, util-linux 2.38 as in Debian 12).
# LC_ALL=C (lib.sh) keeps every tool on its single-byte path.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IN=$T/in.bin
gen "$IN" 10000
N=10000

# The line file: offsets of "delta\n" 0, "alpha\n" 6, "charlie\n" 12, "bravo\n" 20.
LINES=$T/lines.txt
printf 'delta\nalpha\ncharlie\nbravo\n' >"$LINES"
L_START=(0 6 12 20)
L_LEN=(5 5 7 5)          # without the newline

# run_util NAME OUT [<FILE] CMD ARGS... — CMD writes stdout; native run into
# OUT.native, tracked run (fresh DB) into OUT; outputs must be equal.
# A third word starting with '<' names a file for stdin.
run_util() {
    local name=$1 out=$2 stdin=/dev/null
    shift 2
    case $1 in "<"*) stdin=${1#<}; shift ;; esac
    fresh_db
    if ! "$@" <"$stdin" >"$out.native" 2>"$T/.native.err"; then
        fail "$name" "native $1 failed" "$T/.native.err"
        return 1
    fi
    ctrun_ok "$name" -- "$@" <"$stdin" >"$out" || return 1
    same_file "$name" "$out.native" "$out"
}

test_cat() {
    local o=$T/cat.out
    run_util cat "$o" cat "$IN" || return
    row "$o" 0 $N "$IN" 0 $N | expect_json cat backward "$o"

    local a=$T/cat.a b=$T/cat.b o2=$T/cat2.out
    gen "$a" 3000 11
    gen "$b" 5000 12
    run_util cat-two "$o2" cat "$a" "$b" || return
    { row "$o2" 0 3000 "$a" 0 3000; row "$o2" 3000 8000 "$b" 0 5000; } |
        expect_json cat-two backward "$o2"
}

test_pipeline() {
    # cat | tr through a pipe, in one run: followed through the pipe
    local o=$T/pipe.out
    fresh_db
    sh -c 'cat "$1" | tr a-z A-Z' sh "$LINES" >"$o.native"
    ctrun_ok pipeline -- sh -c 'cat "$1" | tr a-z A-Z' sh "$LINES" >"$o" || return
    same_file pipeline "$o.native" "$o" || return
    row "$o" 0 26 "$LINES" 0 26 | expect_json pipeline backward "$o"
}

test_shell_redirect() {
    # the tracked shell itself creates the output (O_TRUNC, a new version)
    # and cat, a later image, writes into it: the flows must land on the
    # version the shell created, the newest one, which the query reads
    local o=$T/shredir.out
    fresh_db
    ctrun_ok shell-redirect -- sh -c 'cat "$1" > "$2"' sh "$LINES" "$o" || return
    same_file shell-redirect "$LINES" "$o" || return
    row "$o" 0 26 "$LINES" 0 26 | expect_json shell-redirect backward "$o"

    # and with stdin redirected by the shell too (the README's demo shape)
    local o2=$T/shredir2.out
    fresh_db
    ctrun_ok shell-redirect-tr -- sh -c 'tr a-z A-Z < "$1" > "$2"' sh "$LINES" "$o2" || return
    row "$o2" 0 26 "$LINES" 0 26 | expect_json shell-redirect-tr backward "$o2"
}

test_cp() {
    # --reflink=never: a reflink clone (FICLONE ioctl) is no data copy the
    # tracker sees; with it off cp uses copy_file_range or read/write
    local o=$T/cp.out
    fresh_db
    ctrun_ok cp -- cp --reflink=never "$IN" "$o" || return
    same_file cp "$IN" "$o" || return
    row "$o" 0 $N "$IN" 0 $N | expect_json cp backward "$o"
}

test_head() {
    local o=$T/head.out
    run_util head-c "$o" head -c 100 "$IN" || return
    row "$o" 0 100 "$IN" 0 100 | expect_json head-c backward "$o"
    local o2=$T/headn.out
    run_util head-n "$o2" head -n 2 "$LINES" || return
    row "$o2" 0 12 "$LINES" 0 12 | expect_json head-n backward "$o2"
}

test_tail() {
    local o=$T/tail.out
    run_util tail-c "$o" tail -c 100 "$IN" || return
    row "$o" 0 100 "$IN" $((N - 100)) $N | expect_json tail-c backward "$o"
}

test_cut() {
    # cut_bytes(): selected bytes are putchar(c) of the byte read, and so is
    # the newline (putchar(c) when c == line_delim): it comes from the input
    local o=$T/cut.out j s l
    run_util cut "$o" cut -c 2-3 "$LINES" || return
    for j in 0 1 2 3; do
        s=${L_START[j]} l=${L_LEN[j]}
        row "$o" $((3 * j)) $((3 * j + 2)) "$LINES" $((s + 1)) $((s + 3))
        row "$o" $((3 * j + 2)) $((3 * j + 3)) "$LINES" $((s + l)) $((s + l + 1))
    done | expect_json cut backward "$o"
}

test_tac() {
    # whole lines (with their newline) copied out of the read buffer
    local o=$T/tac.out
    run_util tac "$o" tac "$LINES" || return
    {
        row "$o" 0 6 "$LINES" 20 26
        row "$o" 6 14 "$LINES" 12 20
        row "$o" 14 20 "$LINES" 6 12
        row "$o" 20 26 "$LINES" 0 6
    } | expect_json tac backward "$o"
}

test_rev() {
    # util-linux rev: fgetws, reverse the line without its newline
    # (`buf[len--] = '\0'` leaves the newline in place), fputws: every byte is
    # copied (C locale: 1 byte <-> 1 wchar), the newline stays at the end
    local o=$T/rev.out j s l i
    run_util rev "$o" rev "$LINES" || return
    for j in 0 1 2 3; do
        s=${L_START[j]} l=${L_LEN[j]}
        for ((i = 0; i < l; i++)); do
            row "$o" $((s + i)) $((s + i + 1)) "$LINES" $((s + l - 1 - i)) $((s + l - i))
        done
        row "$o" $((s + l)) $((s + l + 1)) "$LINES" $((s + l)) $((s + l + 1))
    done | expect_json rev backward "$o"
}

test_sort() {
    # sort: fillbuf() replaces each newline by '\0' and write_line() puts
    # `ebuf[-1] = eolchar` back before fwrite: output newlines are constants
    local o=$T/sort.out
    run_util sort "$o" sort "$LINES" || return
    {
        row "$o" 0 5 "$LINES" 6 11       # alpha
        row "$o" 6 11 "$LINES" 20 25     # bravo
        row "$o" 12 19 "$LINES" 12 19    # charlie
        row "$o" 20 25 "$LINES" 0 5      # delta
    } | expect_json sort backward "$o"
}

test_tr() {
    # tr: buf[i] = xlate[buf[i]], a table lookup: labelled through the
    # address only (newlines too: they translate to themselves)
    local o=$T/tr.out
    run_util tr "$o" "<$LINES" tr a-z A-Z || return
    row "$o" 0 26 "$LINES" 0 26 | expect_json tr backward "$o"

    local o2=$T/tr2.out
    fresh_db
    ctrun_ok tr-no-addr-taint --no-addr-taint -- tr a-z A-Z <"$LINES" >"$o2" || return
    same_file tr-no-addr-taint "$o" "$o2" || return
    expect_json tr-no-addr-taint backward "$o2" </dev/null
}

test_base64() {
    # gnulib base64_encode: for each 3-byte group i0 i1 i2 the 4 output chars
    # are b64c[i0>>2], b64c[(i0<<4 + i1>>4)&63], b64c[(i1<<2 + i2>>6)&63],
    # b64c[i2&63]: table lookups, so with address taint
    #   c0 <- i0,  c1 <- i0 i1,  c2 <- i1 i2,  c3 <- i2
    # (not all 3 bytes for each char).  basenc's wrap_write() adds '\n' with
    # fputc: no source.  60 input bytes -> 80 chars, wrapped after 76:
    # out = 76 chars, '\n', 4 chars, '\n'.  Compared as byte dependencies:
    # the design does not fix how a byte with two sources is split in rows.
    local i=$T/b64.in o=$T/b64.out j k r p
    gen "$i" 60 5
    run_util base64 "$o" base64 "$i" || return
    for ((j = 0; j < 80; j++)); do
        k=$((j / 4)) r=$((j % 4)) p=$((j < 76 ? j : j + 1))
        case $r in
            0) row "$o" $p $((p + 1)) "$i" $((3 * k)) $((3 * k + 1)) all ;;
            1) row "$o" $p $((p + 1)) "$i" $((3 * k)) $((3 * k + 2)) all ;;
            2) row "$o" $p $((p + 1)) "$i" $((3 * k + 1)) $((3 * k + 3)) all ;;
            3) row "$o" $p $((p + 1)) "$i" $((3 * k + 2)) $((3 * k + 3)) all ;;
        esac
    done | expect_pairs base64 backward "$o"
}

test_sed() {
    # sed 4.9: the pattern space is the line without its newline (memcpy),
    # s/// builds the result from copies and the constant replacement,
    # output_line() writes the newline from buffer_delimiter: a constant
    local i=$T/sed.in o=$T/sed.out
    printf 'foo one\nbar two\nfoo three\n' >"$i"
    run_util sed "$o" sed 's/foo/BAR/' "$i" || return
    {
        row "$o" 3 7 "$i" 3 7
        row "$o" 8 15 "$i" 8 15
        row "$o" 19 25 "$i" 19 25
    } | expect_json sed backward "$o"
}

test_awk() {
    # print $2: the field's bytes are copied, ORS ("\n") is a constant
    local i=$T/awk.in o=$T/awk.out
    printf 'a1 xy\nb22 zzw\nc333 q\n' >"$i"
    run_util awk "$o" awk '{print $2}' "$i" || return
    {
        row "$o" 0 2 "$i" 3 5
        row "$o" 3 6 "$i" 10 13
        row "$o" 7 8 "$i" 19 20
    } | expect_json awk backward "$o"
}

test_dd() {
    # skip=3 seek=2 bs=10 count=4: OUT[20,60) <- IN[30,70); OUT[0,20) is the
    # hole dd's ftruncate leaves (no write, no flow)
    local o=$T/dd.out
    fresh_db
    dd if="$IN" of="$o.native" bs=10 skip=3 seek=2 count=4 status=none
    ctrun_ok dd -- dd if="$IN" of="$o" bs=10 skip=3 seek=2 count=4 status=none || return
    same_file dd "$o.native" "$o" || return
    row "$o" 20 60 "$IN" 30 70 | expect_json dd backward "$o"
}

test_split() {
    # forward from the input: the three pieces are the final sinks
    local p=$T/part. f
    fresh_db
    mkdir -p "$T/native"
    split -b 4000 "$IN" "$T/native/part."
    ctrun_ok split -- split -b 4000 "$IN" "$p" || return
    for f in aa ab ac; do same_file split "$T/native/part.$f" "$p$f" || return; done
    if [ -e "${p}ad" ]; then fail split "unexpected piece ${p}ad"; return; fi
    {
        row "${p}aa" 0 4000 "$IN" 0 4000
        row "${p}ab" 0 4000 "$IN" 4000 8000
        row "${p}ac" 0 2000 "$IN" 8000 10000
    } | expect_json split forward "$IN"
}

test_paste() {
    # paste_parallel(): bytes of A and B are putchar'd as read; A's newline is
    # replaced by the delimiter (a constant '\t'); the newline ending each
    # output line is the one read from B (xputchar(chr))
    local a=$T/paste.a b=$T/paste.b o=$T/paste.out
    printf 'ab\ncde\nf\n' >"$a"
    printf 'XYZ\nW\nUV\n' >"$b"
    run_util paste "$o" paste "$a" "$b" || return
    {
        row "$o" 0 2 "$a" 0 2
        row "$o" 3 7 "$b" 0 4
        row "$o" 7 10 "$a" 3 6
        row "$o" 11 13 "$b" 4 6
        row "$o" 13 14 "$a" 7 8
        row "$o" 15 18 "$b" 6 9
    } | expect_json paste backward "$o"
}

test_cat
test_pipeline
test_shell_redirect
test_cp
test_head
test_tail
test_cut
test_tac
test_rev
test_sort
test_tr
test_base64
test_sed
test_awk
test_dd
test_split
test_paste
finish
