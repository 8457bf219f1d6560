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
"""
import os
import socket
import struct
import sys
import zlib

HELLO, OBJECT, FLOW, EXIT, RUN = 1, 2, 3, 4, 6
MAGIC, VERSION = 0x31575443, 2


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


def main():
    path = arg("--ct-socket")
    conn = None
    for line in open(os.environ["CT_FAKE_SCRIPT"]):
        w = line.split()
        if not w or w[0].startswith("#"):
            continue
        if w[0] == "conn":
            if conn:
                conn.close()
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.connect(path)
            continue
        m = {"hello": lambda: hello(),
             "hellopid": lambda: hello(int(w[1])),
             "object": lambda: obj(w[1], w[2]),
             "flow": lambda: flow(w[1:], False),
             "oldflow": lambda: flow(w[1:], True),
             "exit": lambda: msg(EXIT, struct.pack("<iIQQ", 0, 0, 2, 0))}[w[0]]()
        try:
            conn.sendall(m)
        except OSError:
            pass                # the collector dropped us: what some tests want
    if conn:
        conn.close()


if __name__ == "__main__":
    main()
