#!/usr/bin/env bash
# t_net_udp.sh — UDP between tracked hosts with the sequence tag
# (bpf/udptag.h, crosstag net udptag): a and b are tracked (they attach the
# tc programs with the list a, b), c is not.
#   a -> b, 20 datagrams of 64 bytes, tracked on both ends; an nftables rule
#     on b drops datagram 12, a capture on the switch holds datagram 7 back
#     until the others went by: b got exactly the 19 payloads sent, and its file
#     traces to exactly the right offsets of a's file;
#   on the wire (the switch counts by UDP length) the datagrams to b carry 4
#     more bytes, those to c (not in the list) none;
#   an untracked receiver on b, an untracked host c receiving from tracked a,
#     and a tracked receiver on b getting datagrams from untracked c: each
#     application receives exactly the payloads sent;
#   a -> b over IPv6, the first datagram read with MSG_PEEK first;
#   sendmmsg -> recvmmsg with one datagram dropped; two sockets one after the
#     other on the same 4-tuple (recvmsg): their datagrams never mix;
#   checksums: frames with full checksums injected on the switch, which b
#     checks after its tc program cut or added the tag.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/netlib.sh"

command -v nft >/dev/null || { skip net-udp "no nft command"; finish; }
command -v sqlite3 >/dev/null || { skip net-udp "no sqlite3 command"; finish; }
net_up 3 || finish
A=$(net_ip a) B=$(net_ip b) C=$(net_ip c) A6=$(net_ip a -6) B6=$(net_ip b -6)
DATA_A=$(net_dir a)/data DATA_B=$(net_dir b)/data DATA_C=$(net_dir c)/data
SW=$NET.sw

# the maps' pins outlive the namespaces: removed whatever happens
for h in a b; do
    ino=$(on $h stat -L -c %i /proc/self/ns/net)
    on_cleanup "rm -rf /run/crosstag/bpf/udptag-$ino"
done
for h in a b; do
    on $h "$CT" net udptag attach --track "$A/32" "$B/32" "$A6/128" "$B6/128" >"$T/attach.$h" 2>&1 ||
        fail attach-$h "udptag attach failed" "$T/attach.$h"
done
on a "$CT" net udptag status >"$T/status" 2>&1
grep -q "^tracked: $A/32 $B/32 $A6/128 $B6/128\$" "$T/status" && grep -q '^interfaces: lo eth0$' "$T/status" &&
    pass status || fail status "unexpected status" "$T/status"
"$CT" net udptag attach --track 10.0.0.0/33 >"$T/bad" 2>&1; rc=$?
[ $rc -ne 0 ] && grep -q "bad address or network '10.0.0.0/33'" "$T/bad" && pass bad-cidr ||
    fail bad-cidr "exit $rc" "$T/bad"

# the switch counts UDP datagrams by port and length (the bytes on the wire)
nft_sw() { ip netns exec "$SW" nft "$@"; }
nft_sw add table bridge w &&
nft_sw add chain bridge w sw '{ type filter hook forward priority 0; }' || fail switch-nft "nft on the switch"
for p in 7100 7101 7102 7103; do
    nft_sw add rule bridge w sw udp dport $p udp length 76 counter comment "\"t$p\""   # 64 + 8 + tag
    nft_sw add rule bridge w sw udp dport $p udp length 72 counter comment "\"u$p\""   # 64 + 8
done
# packets KIND PORT — what the switch counted
packets() { nft_sw list chain bridge w sw | sed -n "s/.*counter packets \([0-9]*\) .*comment \"$1$2\".*/\1/p"; }

# 20 datagrams of 64 bytes; datagram i starts with the letter 'A' + i
"$PY" -c 'import sys
sys.stdout.write("".join(chr(65 + i) + ("%02d" % i) * 31 + "\n" for i in range(20)))' >"$DATA_A/in.txt"
for d in "$DATA_B" "$DATA_C"; do cp "$DATA_A/in.txt" "$d/in.txt"; done

# b drops datagram 12 ('M' at the start of the payload) to port 7100
on b nft add table inet ctdrop && on b nft add chain inet ctdrop in '{ type filter hook input priority 0; }' &&
    on b nft add rule inet ctdrop in udp dport 7100 @th,64,8 0x4d drop || fail drop-rule "nft on b"
# the switch holds datagram 7 ('H') to port 7100 back until datagram 19 ('T')
# went by: a capture on its port to a keeps a copy, the bridge drops it, and
# the copy goes out of the port to b afterwards (the same frame, tag and all)
nft_sw add rule bridge w sw udp dport 7100 @th,64,8 0x48 drop || fail hold-rule "nft on the switch"
ip netns exec "$SW" "$PY" -c '
import socket, time
cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
cap.bind(("v-a", 0))
out = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
out.bind(("v-b", 0))
cap.settimeout(60)
held = None
while True:
    f, addr = cap.recvfrom(65536)
    if addr[2] == socket.PACKET_OUTGOING or f[12:14] != b"\x08\x00" or f[23] != 17:
        continue
    if f[36:38] != (7100).to_bytes(2, "big"):
        continue
    if f[42:43] == b"H":
        # a copy of a locally sent frame may hold only a partial checksum
        # (offloaded): put the full one in
        ulen = int.from_bytes(f[38:40], "big")
        seg = bytearray(f[34:34 + ulen])
        seg[6:8] = b"\0\0"
        data = f[26:34] + b"\0\x11" + f[38:40] + bytes(seg) + b"\0" * (ulen & 1)
        c = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
        while c >> 16:
            c = (c & 0xffff) + (c >> 16)
        c = (~c & 0xffff) or 0xffff
        held = f[:40] + c.to_bytes(2, "big") + f[42:]
    elif f[42:43] == b"T" and held:
        time.sleep(0.3)
        out.send(held)
        break
' 2>"$T/hold.err" & jhold=$!

crun() { local h=$1 e=$2; shift 2; on "$h" timeout -k 10 "$CT_TIMEOUT" "$CT" run -q -- "$@" 2>"$e"; }

# ---- tracked a -> tracked b: one lost, one late ----
crun b "$T/b1.err" sh -c "'$PROGS/netrecv' udp 7100 3000 > udp.out" & jb=$!
wait_listen b 7100 udp || fail listen-7100 "b never listened"
crun a "$T/a1.err" sh -c "'$PROGS/netsend' udp $B 7100 64 < in.txt"
wait $jb
wait $jhold || fail hold "the switch never sent datagram 7 on" "$T/hold.err"
ORDER="0 1 2 3 4 5 6 8 9 10 11 13 14 15 16 17 18 19 7"
"$PY" - "$DATA_A/in.txt" $ORDER >"$T/want.out" <<'EOF'
import sys
d = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(b"".join(d[64 * int(i):64 * int(i) + 64] for i in sys.argv[2:]))
EOF
cmp -s "$T/want.out" "$DATA_B/udp.out" && pass lossy-payloads ||
    { cat "$T/a1.err" "$T/b1.err" >"$T/e"; od -c "$DATA_B/udp.out" | head -20 >>"$T/e"; fail lossy-payloads "b got other bytes" "$T/e"; }
[ "$(packets t 7100)" = 20 ] && [ "$(packets u 7100)" = 0 ] && pass wire-tagged ||
    fail wire-tagged "tagged $(packets t 7100), untagged $(packets u 7100) (want 20, 0)"

# ---- tracked a -> untracked receiver on tracked b ----
on b sh -c "'$PROGS/netrecv' udp 7101 1500 > plain.out" 2>/dev/null & jb=$!
wait_listen b 7101 udp || fail listen-7101 "b never listened"
crun a "$T/a2.err" sh -c "'$PROGS/netsend' udp $B 7101 64 < in.txt"
wait $jb
cmp -s "$DATA_A/in.txt" "$DATA_B/plain.out" && [ "$(packets t 7101)" = 20 ] && pass untracked-receiver ||
    fail untracked-receiver "payloads differ or not tagged on the wire ($(packets t 7101))" "$T/a2.err"

# ---- tracked a -> c, outside the list: nothing added ----
on c sh -c "'$PROGS/netrecv' udp 7102 1500 > c.out" 2>/dev/null & jc=$!
wait_listen c 7102 udp || fail listen-7102 "c never listened"
crun a "$T/a3.err" sh -c "'$PROGS/netsend' udp $C 7102 64 < in.txt"
wait $jc
cmp -s "$DATA_A/in.txt" "$DATA_C/c.out" && [ "$(packets u 7102)" = 20 ] && [ "$(packets t 7102)" = 0 ] &&
    pass untracked-destination ||
    fail untracked-destination "c got other bytes, or tags on the wire ($(packets t 7102) tagged)" "$T/a3.err"

# ---- untracked c -> tracked receiver on b ----
crun b "$T/b4.err" sh -c "'$PROGS/netrecv' udp 7103 1500 > fromc.out" & jb=$!
wait_listen b 7103 udp || fail listen-7103 "b never listened"
on c sh -c "'$PROGS/netsend' udp $B 7103 64 < in.txt" 2>/dev/null
wait $jb
cmp -s "$DATA_A/in.txt" "$DATA_B/fromc.out" && [ "$(packets u 7103)" = 20 ] && pass untracked-sender ||
    fail untracked-sender "b got other bytes" "$T/b4.err"

# ---- IPv6, with a MSG_PEEK ----
crun b "$T/b5.err" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 7104))
peek, a = s.recvfrom(4096, socket.MSG_PEEK)
out = open("v6.out", "wb")
out.write(peek)
got = 0
while got < 20:
    d, a = s.recvfrom(4096)
    out.write(d)
    got += 1
' & jb=$!
wait_listen b 7104 udp || fail listen-7104 "b never listened"
crun a "$T/a5.err" sh -c "'$PROGS/netsend' udp $B6 7104 64 < in.txt"
wait $jb
{ head -c 64 "$DATA_A/in.txt"; cat "$DATA_A/in.txt"; } | cmp -s - "$DATA_B/v6.out" && pass v6-peek ||
    { cat "$T/a5.err" "$T/b5.err" >"$T/e"; fail v6-peek "b got other bytes" "$T/e"; }

# ---- batches: 8 datagrams of 32 bytes, sendmmsg -> recvmmsg; datagram 6
# (bytes 192-223 of in.txt, starting with 'D') dropped on b ----
on b nft add rule inet ctdrop in udp dport 7108 @th,64,8 0x44 drop || fail drop-rule-2 "nft on b"
crun b "$T/b7.err" sh -c "'$PROGS/udpmm' recv 7108 7 > mm.out" & jb=$!
wait_listen b 7108 udp || fail listen-7108 "b never listened"
crun a "$T/a7.err" sh -c "head -c 256 in.txt | '$PROGS/udpmm' send $B 7108 32"
wait $jb
"$PY" -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.stdout.buffer.write(d[:192] + d[224:256])' \
    "$DATA_A/in.txt" | cmp -s - "$DATA_B/mm.out" && pass mmsg-payloads ||
    { cat "$T/a7.err" "$T/b7.err" >"$T/e"; fail mmsg-payloads "b got other bytes" "$T/e"; }

# ---- one 4-tuple, two sockets one after the other: the second one's
# datagrams continue the numbers (3, 4, 5), so they never share offsets with
# the first one's; received with recvmsg ----
"$PY" -c 'import sys
for n in (1, 2):
    open(sys.argv[1] + "/f%d" % n, "w").write("".join("run %d dgram %d..\n" % (n, i) for i in range(3)))' "$DATA_A"
crun b "$T/b8.err" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7107))
with open("reuse.out", "wb") as out:
    for i in range(6):
        out.write(s.recvmsg(4096)[0])
' & jb=$!
wait_listen b 7107 udp || fail listen-7107 "b never listened"
for n in 1 2; do
    crun a "$T/a8.err" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7200))
d = open(sys.argv[1], "rb").read()
for i in range(0, len(d), 16):
    s.sendto(d[i:i + 16], (sys.argv[2], 7107))
' "f$n" "$B"
done
wait $jb
cat "$DATA_A/f1" "$DATA_A/f2" | cmp -s - "$DATA_B/reuse.out" && pass reuse-payloads ||
    { cat "$T/a8.err" "$T/b8.err" >"$T/e"; fail reuse-payloads "b got other bytes" "$T/e"; }

# ---- checksums: frames made by hand (full UDP checksums, which b checks in
# software), injected from the switch: tagged ones to an untracked receiver
# (b cuts the tag), untagged ones to a tracked receiver (b adds 0xffffffff);
# odd and even lengths, IPv4 and IPv6 ----
MAC_B=$(on b cat /sys/class/net/eth0/address)
on b sh -c "'$PROGS/netrecv' udp 7105 1500 > cut.out" 2>/dev/null & jb=$!
crun b "$T/b6.err" sh -c "'$PROGS/netrecv' udp 7106 1500 > added.out" & jb2=$!
wait_listen b 7105 udp && wait_listen b 7106 udp || fail listen-7105 "b never listened"
ip netns exec "$SW" "$PY" - "$MAC_B" "$A" "$B" "$C" "$A6" "$B6" "$T" <<'EOF' 2>"$T/inject.err"
import ipaddress, socket, sys
mac_b, a, b, c, a6, b6, t = sys.argv[1:]
def csum(data):
    data += b"\0" * (len(data) & 1)
    s = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def frame(src, dst, dport, payload):
    s, d = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
    ulen = 8 + len(payload)
    pseudo = s + d + (ulen.to_bytes(4, "big") + b"\0\0\0\x11" if len(s) == 16 else b"\0\x11" + ulen.to_bytes(2, "big"))
    udp = (40000).to_bytes(2, "big") + dport.to_bytes(2, "big") + ulen.to_bytes(2, "big")
    udp += (csum(pseudo + udp + b"\0\0" + payload) or 0xffff).to_bytes(2, "big") + payload
    if len(s) == 4:
        ip = bytes([0x45, 0]) + (20 + ulen).to_bytes(2, "big") + b"\0\0\x40\0\x40\x11\0\0" + s + d
        ip = ip[:10] + csum(ip).to_bytes(2, "big") + ip[12:]
        et = b"\x08\x00"
    else:
        ip = b"\x60\0\0\0" + ulen.to_bytes(2, "big") + b"\x11\x40" + s + d
        et = b"\x86\xdd"
    return bytes.fromhex(mac_b.replace(":", "")) + b"\x02\0\0\0\0\x01" + et + ip + udp
o = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
o.bind(("v-b", 0))
pays = [b"odd!x", b"E" * 64, b"even", b"v6 odd", b"Z"]
cut, added = open(t + "/cut.want", "wb"), open(t + "/added.want", "wb")
for i, p in enumerate(pays):
    v6 = i >= 3
    k = (1000 + i).to_bytes(4, "big")
    o.send(frame(a6 if v6 else a, b6 if v6 else b, 7105, p + k))   # tagged, as from a
    o.send(frame(c, b, 7106, p))                                    # untagged, from c
    cut.write(p)
    added.write(p)
EOF
wait $jb; wait $jb2
cmp -s "$T/cut.want" "$DATA_B/cut.out" && pass checksum-cut ||
    { od -c "$DATA_B/cut.out" >"$T/e"; cat "$T/inject.err" >>"$T/e"; fail checksum-cut "b's untracked receiver got other bytes" "$T/e"; }
cmp -s "$T/added.want" "$DATA_B/added.out" && pass checksum-added ||
    { od -c "$DATA_B/added.out" >"$T/e"; cat "$T/inject.err" "$T/b6.err" >>"$T/e"; fail checksum-added "b's tracked receiver got other bytes" "$T/e"; }

for h in a b; do stop_agent "$(net_dir $h)/crosstag.db"; done
M=$T/merged.db
"$CT" db merge --db "$M" "$(net_dir a)/crosstag.db" "$(net_dir b)/crosstag.db" >"$T/merge.out" 2>&1 &&
    pass merge || fail merge "db merge failed" "$T/merge.out"
DB=$M

# j SINK S E SRC A B — one expected row, b's file from a's
j() { printf '{"sink":{"host":"b","object":"file:%s","start":%s,"end":%s},"source":{"host":"a","object":"file:%s","start":%s,"end":%s},"mode":"aligned"}\n' "$@"; }
# out [0,448) = datagrams 0-6, [448,704) = 8-11, [704,1152) = 13-19, [1152,1216) = 7
{ j "$DATA_B/udp.out" 0 448 "$DATA_A/in.txt" 0 448
  j "$DATA_B/udp.out" 448 704 "$DATA_A/in.txt" 512 768
  j "$DATA_B/udp.out" 704 1152 "$DATA_A/in.txt" 832 1280
  j "$DATA_B/udp.out" 1152 1216 "$DATA_A/in.txt" 448 512; } | expect_json lossy-backward backward "$DATA_B/udp.out"
# the peeked datagram and then all 20, over IPv6
{ j "$DATA_B/v6.out" 0 64 "$DATA_A/in.txt" 0 64
  j "$DATA_B/v6.out" 64 1344 "$DATA_A/in.txt" 0 1280; } | expect_json v6-backward backward "$DATA_B/v6.out"

{ j "$DATA_B/mm.out" 0 192 "$DATA_A/in.txt" 0 192
  j "$DATA_B/mm.out" 192 224 "$DATA_A/in.txt" 224 256; } | expect_json mmsg-backward backward "$DATA_B/mm.out"
{ j "$DATA_B/reuse.out" 0 48 "$DATA_A/f1" 0 48
  j "$DATA_B/reuse.out" 48 96 "$DATA_A/f2" 0 48; } | expect_json reuse-backward backward "$DATA_B/reuse.out"
# the second socket's datagrams are 3, 4, 5 on both ends
n=$(sqlite3 "$M" "SELECT group_concat(DISTINCT f.sink_start >> 32) FROM flows f JOIN objects o ON o.id = f.sink_obj
                  WHERE o.name = CAST('udp:$A:7200>$B:7107' AS BLOB)")
[ "$n" = "0,1,2,3,4,5" ] && pass reuse-numbers || fail reuse-numbers "datagram numbers sent: '$n'"

on a "$CT" net udptag detach >"$T/detach" 2>&1 && on a "$CT" net udptag status 2>&1 | grep -q '^not attached$' &&
    pass detach || fail detach "detach failed" "$T/detach"
finish
