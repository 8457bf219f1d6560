#!/usr/bin/env bash
# setup.sh — sets up a fresh Debian 12 machine for crosstag: installs the
# packages it needs, builds it, and (unless --no-demo) runs a short demo.
# Usage: sudo bash setup.sh [--no-demo]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

demo=1
for a in "$@"; do
    case $a in
        --no-demo) demo=0 ;;
        -h|--help) echo "usage: sudo bash setup.sh [--no-demo]"; exit 0 ;;
        *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
    esac
done

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup.sh: run as root (or install sudo)" >&2; exit 1; }
    SUDO=sudo
fi

# build: compiler, Valgrind (the engine is a Valgrind tool; its headers and
#        static libraries come with Debian's valgrind package), SQLite (the
#        store), jansson (JSON output), libinih (the policy file), pkg-config
#        libbpf-dev, clang, bpftool (the eBPF program naming TCP connections:
#        compiled by clang, its skeleton made by bpftool, loaded with libbpf)
# tests: the utilities and real programs the test suite runs under crosstag,
#        python3 (test helpers, http.server), curl, time (bench/)
# test network (net/ctnet): iproute2 (namespaces, veth, bridge, ss), procps
#        (sysctl), util-linux (unshare, setpriv), socat (traffic in
#        tests/t_testnet.sh), nftables (byte counters in bench/bench_net.sh)
# leak prevention with real servers (tests/t_ftp.sh, tests/t_mail.sh): samba
#        and smbclient (the file share), postfix (the mail relay), swaks (the
#        mail client), python3-aiosmtpd (the SMTP servers mail ends at),
#        vsftpd (FTP)
pkgs=(build-essential pkg-config valgrind libsqlite3-dev sqlite3 libjansson-dev libinih-dev
      libbpf-dev libelf-dev clang bpftool
      coreutils sed mawk bsdextrautils util-linux gzip openssl git python3 time
      e2fsprogs iproute2 procps socat nftables curl
      samba smbclient postfix swaks python3-aiosmtpd vsftpd)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # postfix asks what kind of mail system this is: none (tests write their own configs)
    echo 'postfix postfix/main_mailer_type select No configuration' | $SUDO debconf-set-selections
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
    # Without policy-rc.d the packages start their daemons in this namespace: the
    # tests run their own, on test hosts only.
    $SUDO postfix stop >/dev/null 2>&1 || true
    for d in smbd nmbd samba-ad-dc samba-dcerpcd vsftpd; do
        $SUDO pkill -x "$d" 2>/dev/null || true
    done
fi

echo "== building"
make

[ "$demo" -eq 1 ] || exit 0

echo
echo "== demo: where did each byte of a file come from?"
D=$(mktemp -d "${TMPDIR:-/tmp}/crosstag-demo.XXXXXX")
trap 'rm -rf "$D"' EXIT
CT=$PWD/build/bin/crosstag
printf 'hello from crosstag\nsecret: 1234\n' >"$D/in.txt"
echo "\$ crosstag run --db $D/demo.db -- sh -c 'tr a-z A-Z < in.txt > upper.txt'"
(cd "$D" && "$CT" run --db "$D/demo.db" -- sh -c 'tr a-z A-Z < in.txt > upper.txt')
echo "\$ crosstag run --db $D/demo.db -- sh -c 'tail -c 5 upper.txt | rev > last.txt'"
(cd "$D" && "$CT" run --db "$D/demo.db" -- sh -c 'tail -c 5 upper.txt | rev > last.txt')
echo "\$ cat last.txt"
cat "$D/last.txt"
echo "\$ crosstag query backward --db $D/demo.db $D/last.txt"
"$CT" query backward --db "$D/demo.db" "$D/last.txt"
echo "\$ crosstag query backward --db $D/demo.db --json $D/last.txt"
"$CT" query backward --db "$D/demo.db" --json "$D/last.txt"
echo
echo "== done.  Next: make test"
