#!/usr/bin/env bash
# t_progs.sh — our own C programs (tests/progs/) under `crosstag run`, whose
# byte mappings are known exactly (each program's header comment gives its
# mapping).  Every test: fresh database, the program's output must equal its
# native output, and `crosstag query ... --json` must print exactly the
# expected rows.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IN=$T/in.txt
gen "$IN" 10000            # crosses the 4 KB read chunks and page boundaries
N=10000

# run_prog NAME OUTFILE PROG ARGS... — native run into OUTFILE.native, then
# the same under crosstag into OUTFILE (fresh DB); checks the outputs match.
run_prog() {
    local name=$1 out=$2 prog=$3
    shift 3
    fresh_db
    rm -f "$out" "$out.native"
    local args=() a
    for a in "$@"; do [ "$a" = OUT ] && args+=("$out.native") || args+=("$a"); done
    if ! "$PROGS/$prog" "${args[@]}" 2>"$T/.native.err"; then
        fail "$name" "native $prog failed" "$T/.native.err"
        return 1
    fi
    args=()
    for a in "$@"; do [ "$a" = OUT ] && args+=("$out") || args+=("$a"); done
    ctrun_ok "$name" -- "$PROGS/$prog" "${args[@]}" || return 1
    same_file "$name" "$out.native" "$out"
}

test_copy() {
    local o=$T/copy.out
    run_prog copy "$o" copy "$IN" OUT || return
    row "$o" 0 $N "$IN" 0 $N | expect_json copy backward "$o"
    row "$o" 0 $N "$IN" 0 $N | expect_json copy-forward forward "$IN"
    # instrumented from the start (--no-elastic): the same answer
    local o2=$T/copy2.out
    fresh_db
    ctrun_ok copy-no-elastic --no-elastic -- "$PROGS/copy" "$IN" "$o2" || return
    same_file copy-no-elastic "$IN" "$o2" || return
    row "$o2" 0 $N "$IN" 0 $N | expect_json copy-no-elastic backward "$o2"
}

test_reverse() {
    local i=$T/rev.in o=$T/rev.out
    printf 'ABCDEFGH' >"$i"
    run_prog reverse "$o" reverse "$i" OUT || return
    local k
    for k in 0 1 2 3 4 5 6 7; do row "$o" $k $((k + 1)) "$i" $((7 - k)) $((8 - k)); done |
        expect_json reverse backward "$o"

    # two hops in two runs: reversing twice composes back to one aligned row,
    # and the intermediate file is no final sink (it was read afterwards)
    local o2=$T/rev2.out
    ctrun_ok reverse-twice -- "$PROGS/reverse" "$o" "$o2" || return
    row "$o2" 0 8 "$i" 0 8 | expect_json reverse-twice backward "$o2"
    row "$o2" 0 8 "$i" 0 8 | expect_json reverse-twice-forward forward "$i"
}

test_interleave() {
    local a=$T/il.a b=$T/il.b o=$T/il.out k
    printf 'abcd' >"$a"
    printf 'WXYZ' >"$b"
    run_prog interleave "$o" interleave "$a" "$b" OUT || return
    for k in 0 1 2 3; do
        row "$o" $((2 * k)) $((2 * k + 1)) "$a" $k $((k + 1))
        row "$o" $((2 * k + 1)) $((2 * k + 2)) "$b" $k $((k + 1))
    done | expect_json interleave backward "$o"
}

test_arith() {
    # each sink byte depends on one byte of each input: two `all` rows per
    # byte (one per source object; a 1-byte range, but two sources)
    local a=$T/ar.a b=$T/ar.b o=$T/ar.out k
    printf 'abc' >"$a"
    printf '123' >"$b"
    run_prog arith "$o" arith "$a" "$b" OUT || return
    for k in 0 1 2; do
        row "$o" $k $((k + 1)) "$a" $k $((k + 1)) all
        row "$o" $k $((k + 1)) "$b" $k $((k + 1)) all
    done | expect_json arith backward "$o"
}

test_simdcopy() {
    local i=$T/simd.in o=$T/simd.out
    gen "$i" 1000 7
    run_prog simdcopy "$o" simdcopy "$i" OUT || return
    row "$o" 0 1000 "$i" 0 1000 | expect_json simdcopy backward "$o"
}

test_bulkcopy() {
    # glibc's copies and fills, which the engine does in bulk (preload/):
    # overlapping memmoves both ways, a fill byte that carries a label, a
    # constant fill, chained mempcpy
    local i=$T/bulk.in o=$T/bulk.out k
    gen "$i" 1000 11
    run_prog bulkcopy "$o" bulkcopy "$i" OUT || return
    {
        row "$o" 0 100 "$i" 0 100
        row "$o" 100 700 "$i" 0 600
        row "$o" 700 900 "$i" 750 950
        row "$o" 900 1000 "$i" 900 1000
        for ((k = 1000; k < 1300; k++)); do row "$o" $k $((k + 1)) "$i" 5 6; done
        row "$o" 1600 1800 "$i" 10 210
        row "$o" 1800 2000 "$i" 500 700
    } | expect_json bulkcopy backward "$o"
}

test_bigbuf() {
    # whole shadow secondaries filled by one read are kept as one word:
    # written out, cleared in places, stored into, moved from and copied,
    # exactly as before
    local i=$T/bb.in o1=$T/bb.out1 o2=$T/bb.out2 o3=$T/bb.out3 k
    gen "$i" 300000 13
    fresh_db
    rm -f "$o1" "$o2" "$o3"
    ctrun_ok bigbuf -- "$PROGS/bigbuf" "$i" "$o1" "$o2" "$o3" || return
    cmp -s <(head -c 300000 "$i") "$o1" || { fail bigbuf "OUT1 differs from IN"; return; }
    row "$o1" 0 300000 "$i" 0 300000 | expect_json bigbuf-out1 backward "$o1" || return
    # the bytes cleared by constants: 100000, then 120000, 121000, ..., 129000
    holes() {   # SINK OFF: rows of [0,300000) shifted... for a sink that mirrors IN
        local o=$1 s=0 h
        for h in 100000 120000 121000 122000 123000 124000 125000 126000 127000 128000 129000; do
            row "$o" $s $h "$i" $s $h
            s=$((h + 1))
        done
        echo "$s"
    }
    {
        local s
        s=$(holes "$o3" | tail -n 1)
        holes "$o3" | sed '$d'
        row "$o3" "$s" 300000 "$i" "$s" 300000
    } | expect_json bigbuf-out3 backward "$o3" || return
    {
        holes "$o2" | sed '$d'
        row "$o2" 129001 200000 "$i" 129001 200000
        row "$o2" 200000 270000 "$i" 10000 80000
        row "$o2" 270000 300000 "$i" 270000 300000
    } | expect_json bigbuf-out2 backward "$o2"
}

test_memfuzz() {
    # every length 0..300, overlaps both ways: the replacements must give
    # glibc's bytes (the program checks itself against a reference)
    local seed
    for seed in 1 2; do
        fresh_db
        ctrun_ok "memfuzz-$seed" -- "$PROGS/memfuzz" $seed || return
    done
    pass memfuzz
}

test_lookup() {
    local i=$T/lk.in o=$T/lk.out
    gen "$i" 300 3
    run_prog lookup "$o" lookup "$i" OUT || return
    row "$o" 0 300 "$i" 0 300 | expect_json lookup backward "$o"

    # without address taint the table value carries nothing
    local o2=$T/lk2.out
    fresh_db
    ctrun_ok lookup-no-addr-taint --no-addr-taint -- "$PROGS/lookup" "$i" "$o2" || return
    same_file lookup-no-addr-taint "$o" "$o2" || return
    expect_json lookup-no-addr-taint backward "$o2" </dev/null
}

test_mmapread() {
    local o=$T/mm.out
    run_prog mmapread "$o" mmapread "$IN" OUT || return
    {
        row "$o" 0 5000 "$IN" 5000 10000
        row "$o" 5000 10000 "$IN" 0 5000
    } | expect_json mmapread backward "$o"
}

test_sendfile() {
    local o=$T/sf.out
    run_prog sendfile "$o" sendfile "$IN" OUT || return
    {
        row "$o" 0 50 "$IN" 100 150
        row "$o" 50 70 "$IN" 10 30
    } | expect_json sendfile backward "$o"
}

test_splice() {
    # through a pipe: backward follows the pipe (written by the tracked
    # process before it was read) back to the file; forward ends at OUT
    local o=$T/sp.out
    run_prog splice "$o" splice "$IN" OUT || return
    {
        row "$o" 0 100 "$IN" 200 300
        row "$o" 100 150 "$IN" 0 50
    } >"$T/sp.exp"
    expect_json splice backward "$o" <"$T/sp.exp"
    expect_json splice-forward forward "$IN" <"$T/sp.exp"
}

test_chroot() {
    # files opened inside a chroot are named by their real paths
    skip_unless_root chroot || return
    local r=$T/jail
    mkdir -p "$r/in"
    head -c 3000 "$IN" >"$r/in/data"
    fresh_db
    ctrun_ok chroot -- "$PROGS/chrootcopy" "$r" /in/data /copy || return
    cmp -s "$r/in/data" "$r/copy" || { fail chroot "the copy differs"; return; }
    row "$r/copy" 0 3000 "$r/in/data" 0 3000 | expect_json chroot backward "$r/copy"
}

test_pwrite() {
    local o=$T/pw.out
    run_prog pwrite "$o" pwrite "$IN" OUT || return
    {
        row "$o" 0 10 "$IN" 10 20
        row "$o" 1000 1010 "$IN" 0 10
        row "$o" 5000 5010 "$IN" 20 30
    } | expect_json pwrite backward "$o"
}

test_vecio() {
    local o=$T/vec.out
    run_prog vecio "$o" vecio "$IN" OUT || return
    {
        row "$o" 0 20 "$IN" 12 32
        row "$o" 20 32 "$IN" 0 12       # pieces a and b continue each other: merged
        row "$o" 100 104 "$IN" 43 47
        row "$o" 104 107 "$IN" 40 43
    } | expect_json vecio backward "$o"
}

test_constant() {
    local o=$T/const.out
    run_prog constant "$o" constant "$IN" OUT || return
    expect_json constant backward "$o" </dev/null
    expect_json constant-forward forward "$IN" </dev/null
}

test_forkcopy() {
    local o=$T/fork.out
    run_prog forkcopy "$o" forkcopy "$IN" OUT || return
    row "$o" 0 $N "$IN" 0 $N | expect_json forkcopy backward "$o"
}

# A server's shape: children forked one after another; from the second on
# they run translations their parent made from what the first reported
# (tool/ct_warm.c).  Every child's copy has the same exact answer, and the
# parent says it translated for them (--ct-debug-warm, through a valgrind
# wrapper: crosstag run has no flag for debug options).
test_forkwarm() {
    local o=$T/fw.out i w=$T/vg-debug-warm
    fresh_db
    rm -f "$o".* "$o.native".*
    "$PROGS/forkwarm" "$IN" "$o.native" 3 2>"$T/.native.err" || { fail forkwarm "native forkwarm failed" "$T/.native.err"; return; }
    printf '#!/bin/sh\na=$1; shift\nexec valgrind "$a" --ct-debug-warm=yes "$@"\n' >"$w"
    chmod +x "$w"
    CROSSTAG_VALGRIND=$w ctrun_ok forkwarm -- "$PROGS/forkwarm" "$IN" "$o" 3 || return
    for i in 1 2 3; do
        same_file "forkwarm-$i" "$o.native.$i" "$o.$i" || return
        row "$o.$i" 0 $N "$IN" 0 $N | expect_json "forkwarm-$i" backward "$o.$i"
    done
    if grep -Eq '^crosstag: warm-fork: [1-9][0-9]* blocks translated for forked children$' "$CTERR" &&
        [ "$(grep -c 'warm-fork:' "$CTERR")" = 1 ]; then
        pass forkwarm-parent-translated
    else
        fail forkwarm-parent-translated "expected one line 'crosstag: warm-fork: N blocks translated ...' from the parent" "$CTERR"
    fi
    # and without warm children: the same answers
    fresh_db
    ctrun_ok forkwarm-off --no-warm-fork -- "$PROGS/forkwarm" "$IN" "$o" 3 || return
    row "$o.3" 0 $N "$IN" 0 $N | expect_json forkwarm-off backward "$o.3"
}

# Whole pages of one read kept as linear pages of the shadow, written into,
# copied from and written out (tool/ct_shadow.h): the exact per-byte answer.
test_pagebuf() {
    local i=$T/pb.in o=$T/pb.out
    gen "$i" 45000
    run_prog pagebuf "$o" pagebuf "$i" OUT || return
    {
        row "$o" 0 5000 "$i" 0 5000
        row "$o" 5001 9000 "$i" 5001 9000
        row "$o" 9000 9001 "$i" 20000 20001
        row "$o" 9001 40000 "$i" 9001 40000
        row "$o" 40000 50000 "$i" 12000 22000
    } | expect_json pagebuf backward "$o"
}

test_sigyoung() {
    # a young vector in a register saved in a signal frame (tool/ct_gc.h)
    local i=$T/sy.in o=$T/sy.out
    gen "$i" 64
    run_prog sigyoung "$o" sigyoung "$i" OUT || return
    {
        row "$o" 0 1 "$i" 3 4
        row "$o" 1 2 "$i" 0 1
        row "$o" 2 3 "$i" 2 3
        row "$o" 3 4 "$i" 1 2
        row "$o" 4 5 "$i" 5 6
        row "$o" 5 6 "$i" 4 5
        row "$o" 6 7 "$i" 7 8
        row "$o" 7 8 "$i" 6 7
    } | expect_json sigyoung backward "$o"
}

test_threadcopy() {
    local o=$T/thr.out
    run_prog threadcopy "$o" threadcopy "$IN" OUT || return
    row "$o" 0 $N "$IN" 0 $N | expect_json threadcopy backward "$o"
}

test_bigread() {
    # a sparse 6 GiB file with marked bytes past 5 GiB: offsets are 64-bit
    local big=$T/big.sparse o=$T/big.out
    truncate -s 6G "$big" || { fail bigread "cannot make a sparse file"; return; }
    printf 'MARK-5GiB+7:%052d' 7 | dd of="$big" bs=1 seek=5368709127 conv=notrunc status=none
    printf 'AROUND-4GiB-8..8' | dd of="$big" bs=1 seek=4294967288 conv=notrunc status=none
    run_prog bigread "$o" bigread "$big" OUT || { rm -f "$big"; return; }
    {
        row "$o" 0 64 "$big" 5368709127 5368709191
        row "$o" 64 80 "$big" 4294967288 4294967304
    } | expect_json bigread backward "$o"
    rm -f "$big"
}

test_copy
test_reverse
test_interleave
test_arith
test_simdcopy
test_lookup
test_mmapread
test_sendfile
test_splice
test_chroot
test_pwrite
test_vecio
test_constant
test_bulkcopy
test_memfuzz
test_bigbuf
test_forkcopy
test_forkwarm
test_pagebuf
test_sigyoung
test_threadcopy
test_bigread
finish
