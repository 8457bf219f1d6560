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
}

hash_util md5sum md5sum
hash_util sha1sum sha1sum
hash_util sha256sum sha256sum
hash_util sha512sum sha512sum
hash_util b2sum b2sum
finish
