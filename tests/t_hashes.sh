#!/usr/bin/env bash
# t_hashes.sh — hashing utilities on a labelled input, the engine's heaviest
# path: every state word mixes labels, so nearly every shadow tree takes
# its slow path (ct_eval.h), trees are big and shared values are exported,
# and label tables are collected at block entry many times during one run
# (no syscall between blocks).  A slip there corrupts the program itself
# or its labels, so: the output must equal the native output, and the
# digest's only source is the input file.  (Which digest characters carry
# labels is not asserted: printf's zero padding is a constant, and the
# byte-level precision of 64-bit hashing is not fixed by the design.)
# What is exact: every labelled digest byte depends on the whole input,
# byte 0 included (a shifted copy of the first bytes, ids [0, 1, 2...],
# once read as a linear run from the clean id 0 lost input byte 0 in
# sha512's 64-bit byte swap).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N=300000
IN=$T/hash.in
gen "$IN" $N 7

# hash_util NAME CMD...: OUT = "<digest>  <path>\n"
hash_util() {
    local name=$1 o=$T/$1.out
    shift
    fresh_db
    "$@" "$IN" >"$o.native" 2>/dev/null || { fail "$name" "native $1 failed"; return 1; }
    ctrun_ok "$name" -- "$@" "$IN" >"$o" || return 1
    same_file "$name" "$o.native" "$o" || return 1
    expect_sources "$name-sources" backward "$o" "$IN"
    expect_whole_input "$name-whole" "$o"
}

# expect_whole_input NAME OUT: every backward row's source is input [0, N)
expect_whole_input() {
    local got want
    got=$(ct query backward --db "$DB" --json "$2" | sed 's/.*"source"://' | sort -u)
    want="{\"host\":\"$H\",\"object\":\"file:$IN\",\"start\":0,\"end\":$N},\"mode\":\"all\"}"
    if [ "$got" = "$want" ]; then pass "$1"; else fail "$1" "sources $(echo "$got" | head -3), want $want"; fi
}

hash_util md5sum md5sum
hash_util sha1sum sha1sum
hash_util sha256sum sha256sum
hash_util sha512sum sha512sum
hash_util b2sum b2sum
finish
