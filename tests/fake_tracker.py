#!/usr/bin/env python3
"""tests/fake_tracker.py — stands in for valgrind (CROSSTAG_VALGRIND) to test
`crosstag run`'s collector with exact, hand-written record streams (see
common/ct_wire.h).  Takes valgrind's arguments, connects to --ct-socket=PATH
and plays the script in $CT_FAKE_SCRIPT, one message a line:

  conn                              a new connection (ends the previous one)
  hello                             RUN (when given --ct-run) and HELLO
                                    for this process
  hellopid PID                      HELLO claiming another process's pid
  object HANDLE NAME                a file object (ino from the name)
  flow SINK SRC SOFF SLEN AOFF ALEN TIME ATIME MODE [REPS SSTEP ASTEP]
  oldflow SINK SRC SOFF SLEN AOFF ALEN TIME ATIME MODE
                                    FLOW as sent before periodic flows
                                    (without reps and steps)
  exit                              EXIT, status 0
  ring [SIZE]                       RING with a memfd of SIZE data bytes
                                    (default 65536): the messages after it
                                    go into that ring, not the socket
  ringnofd                          RING without its memory
  ringshort                         RING whose memory is too short
  ringunsealed                      RING whose memory may shrink (no seals)
"""
import fcntl
import mmap
import os
import socket
import struct
import sys
import time
import zlib

HELLO, OBJECT, FLOW, EXIT, RUN, RING = 1, 2, 3, 4, 6, 18
RING_HDR = 4096
MAGIC, VERSION = 0x31575443, 3


def msg(mtype, body, tail=b""):
    n = 8 + len(body) + len(tail)
    pad = (-n) % 8
    return struct.pack("<II", mtype, n + pad) + body + tail + b"\0" * pad


def arg(name):
    return next((a.split("=", 1)[1] for a in sys.argv if a.startswith(name + "=")), None)


def run():
    r, host = arg("--ct-run"), arg("--ct-host")
    if r is None or host is None:
        return b""
    host = host.encode()
    return msg(RUN, struct.pack("<QII", int(r), 0, len(host)), host)


def hello(pid=None):
    exe, argv = b"/bin/true", b"true\0"
    body = struct.pack("<IIiiIIQQII", MAGIC, VERSION, pid or os.getpid(), os.getppid(),
                       os.getuid(), 0, 1234, 1, len(exe), len(argv))
    return run() + msg(HELLO, body, exe + argv)


def obj(handle, name):
    name = name.encode()
    body = struct.pack("<IIQQqQQII", int(handle), 1, 0, zlib.crc32(name) + 1,
                       0, 0, 1, 0, len(name))
    return msg(OBJECT, body, name)


def flow(args, old):
    sink, src, soff, slen, aoff, alen, t, at, mode = (int(a) for a in args[:9])
    body = struct.pack("<IIQQQQQQII", sink, src, soff, slen, aoff, alen, t, at, mode, 1)
    if not old:
        reps, sstep, astep = (int(a) for a in args[9:12]) if len(args) > 9 else (1, 0, 0)
        body += struct.pack("<QQQ", reps, sstep, astep)
    return msg(FLOW, body)


def ring_msg(size):
    return msg(RING, struct.pack("<II", size, 0))


def open_ring(conn, size, file_size, seal=True):
    fd = os.memfd_create("fake-ring", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.ftruncate(fd, file_size)
    if seal:
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
    socket.send_fds(conn, [ring_msg(size)], [fd])
    if file_size < RING_HDR + size:
        os.close(fd)
        return None
    return (mmap.mmap(fd, RING_HDR + size), size, fd)


def ring_put(conn, ring, data):
    m, size, _ = ring
    tail = struct.unpack_from("<Q", m, 0)[0]
    while size - (tail - struct.unpack_from("<Q", m, 64)[0]) < len(data):
        conn.send(b"\0")       # full: ring the agent's bell, wait for room
        time.sleep(0.001)
    for i, b in enumerate(data):
        m[RING_HDR + (tail + i) % size] = b
    struct.pack_into("<Q", m, 0, tail + len(data))


def main():
    path = arg("--ct-socket")
    conn = None
    ring = None
    for line in open(os.environ["CT_FAKE_SCRIPT"]):
        w = line.split()
        if not w or w[0].startswith("#"):
            continue
        if w[0] == "conn":
            if conn:
                conn.close()
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.connect(path)
            ring = None
            continue
        try:
            if w[0] == "ring":
                size = int(w[1]) if len(w) > 1 else 65536
                ring = open_ring(conn, size, RING_HDR + size)
                continue
            if w[0] == "ringshort":
                open_ring(conn, 65536, 4096)
                continue
            if w[0] == "ringunsealed":
                open_ring(conn, 65536, RING_HDR + 65536, seal=False)
                continue
            if w[0] == "ringnofd":
                conn.sendall(ring_msg(65536))
                continue
        except OSError:
            continue
        m = {"hello": lambda: hello(),
             "hellopid": lambda: hello(int(w[1])),
             "object": lambda: obj(w[1], w[2]),
             "flow": lambda: flow(w[1:], False),
             "oldflow": lambda: flow(w[1:], True),
             "exit": lambda: msg(EXIT, struct.pack("<iIQQ", 0, 0, 2, 0))}[w[0]]()
        try:
            if ring:
                ring_put(conn, ring, m)
            else:
                conn.sendall(m)
        except OSError:
            pass                # the collector dropped us: what some tests want
    if conn:
        conn.close()


if __name__ == "__main__":
    main()
