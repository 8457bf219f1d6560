#!/usr/bin/env bash
# t_real.sh — real, unmodified programs complete under `crosstag run` with
# the same output as natively: a python3 script copying a file (also the
# exact mapping), git add + commit, gzip/gunzip, openssl enc, sqlite3
# importing a CSV.  For the transformations the exact rows are not fixed
# (compressors and ciphers mix bytes through bit buffers and table lookups,
# and bytes they write from constants, e.g. a gzip header or an openssl salt,
# have no flow to follow, so the file itself can show up as a source when a
# later reader depends on them); we check only that the input is among the
# original sources of the final output.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export HOME=$T/home            # no ~/.sqliterc, ~/.gitconfig, user site-packages
mkdir -p "$HOME"

test_python() {
    local i=$T/py.in o=$T/py.out u=$T/py.upper s=$T/copy.py
    gen "$i" 5000 21
    cat >"$s" <<'EOF'
import sys
src, dst, upper = sys.argv[1:4]
with open(src, "rb") as f, open(dst, "wb") as g:
    while True:
        chunk = f.read(1000)
        if not chunk:
            break
        g.write(chunk)
with open(src, "rb") as f:
    data = f.read()
with open(upper, "wb") as g:
    g.write(data.upper())
EOF
    fresh_db
    "$PY" -I "$s" "$i" "$o.native" "$u.native" || { fail python "native python3 failed"; return; }
    ctrun_ok python -- "$PY" -I "$s" "$i" "$o" "$u" || return
    same_file python "$o.native" "$o" || return
    same_file python "$u.native" "$u" || return
    # the script file is a source too (python read it), but no byte of it
    # reaches the outputs
    row "$o" 0 5000 "$i" 0 5000 | expect_json python backward "$o"
    # bytes.upper() is a table lookup (_Py_ctype_toupper): address taint
    row "$u" 0 5000 "$i" 0 5000 | expect_json python-upper backward "$u"
}

test_git() {
    local d r f=data.txt
    export GIT_AUTHOR_NAME=crosstag GIT_AUTHOR_EMAIL=crosstag@example.org
    export GIT_COMMITTER_NAME=crosstag GIT_COMMITTER_EMAIL=crosstag@example.org
    export GIT_AUTHOR_DATE='2024-01-01T00:00:00+0000' GIT_COMMITTER_DATE='2024-01-01T00:00:00+0000'
    export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
    for d in native tracked; do
        r=$T/git.$d
        git init -q -b main "$r" || { fail git "git init failed"; return; }
        git -C "$r" config gc.auto 0
        git -C "$r" config maintenance.auto false
        gen "$r/$f" 3000 31
    done
    fresh_db
    git -C "$T/git.native" add "$f" && git -C "$T/git.native" commit -q -m "labelled file" ||
        { fail git "native git add/commit failed"; return; }
    r=$T/git.tracked
    ctrun_ok git-add -- git -C "$r" add "$f" || return
    ctrun_ok git-commit -- git -C "$r" commit -q -m "labelled file" || return
    local hn ht
    hn=$(git -C "$T/git.native" rev-parse HEAD)
    ht=$(git -C "$r" rev-parse HEAD)
    if [ "$hn" != "$ht" ]; then fail git "commit $ht differs from the native $hn"; return; fi
    if ! git -C "$r" fsck --strict --no-progress >"$T/.fsck" 2>&1; then
        fail git "git fsck failed" "$T/.fsck"
        return
    fi
    git -C "$r" show HEAD:"$f" >"$T/git.show"
    same_file git "$r/$f" "$T/git.show" || return
    pass git
    local blob obj
    blob=$(git -C "$r" rev-parse HEAD:"$f")
    obj=$r/.git/objects/${blob:0:2}/${blob:2}
    expect_has_source git-blob-flows backward "$obj" "$r/$f"
}

test_gzip() {
    local i=$T/gz.in
    gen "$T/gz.rand" 1000 41
    { head -c 3000 /usr/share/common-licenses/GPL-3; cat "$T/gz.rand"; } >"$i"
    fresh_db
    gzip -c -n "$i" >"$T/gz.native.gz"
    ctrun_ok gzip -- gzip -c -n "$i" >"$T/gz.gz" || return
    same_file gzip "$T/gz.native.gz" "$T/gz.gz" || return
    ctrun_ok gunzip -- gunzip -c "$T/gz.gz" >"$T/gz.back" || return
    same_file gunzip "$i" "$T/gz.back" || return
    pass gzip-roundtrip
    expect_has_source gzip-roundtrip-flows backward "$T/gz.back" "$i"
}

test_openssl() {
    local i=$T/enc.in
    gen "$i" 2000 51
    local args=(enc -aes-256-cbc -pbkdf2 -S 0011223344556677 -pass pass:crosstag-test)
    fresh_db
    openssl "${args[@]}" -in "$i" -out "$T/enc.native" || { fail openssl "native openssl failed"; return; }
    ctrun_ok openssl-enc -- openssl "${args[@]}" -in "$i" -out "$T/enc.bin" || return
    same_file openssl-enc "$T/enc.native" "$T/enc.bin" || return
    ctrun_ok openssl-dec -- openssl "${args[@]}" -d -in "$T/enc.bin" -out "$T/enc.back" || return
    same_file openssl-dec "$i" "$T/enc.back" || return
    pass openssl-roundtrip
    expect_has_source openssl-roundtrip-flows backward "$T/enc.back" "$i"
}

test_sqlite() {
    local c=$T/data.csv
    {
        echo "id,name,city,score"
        local k
        for k in $(seq 1 50); do echo "$k,name$k,city$((k % 7)),$((k * 37 % 101))"; done
    } >"$c"
    fresh_db
    sqlite3 "$T/native.sqlite" ".import --csv $c people" || { fail sqlite3 "native sqlite3 failed"; return; }
    ctrun_ok sqlite3 -- sqlite3 "$T/tracked.sqlite" ".import --csv $c people" || return
    sqlite3 "$T/native.sqlite" .dump >"$T/native.dump"
    sqlite3 "$T/tracked.sqlite" .dump >"$T/tracked.dump"
    same_file sqlite3 "$T/native.dump" "$T/tracked.dump" || return
    same_file sqlite3 "$T/native.sqlite" "$T/tracked.sqlite" || return
    pass sqlite3
    expect_has_source sqlite3-flows backward "$T/tracked.sqlite" "$c"
}

test_python
test_git
test_gzip
test_openssl
test_sqlite
finish
