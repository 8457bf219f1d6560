#!/usr/bin/env python3
"""bench/agent_load.py — stands in for valgrind (CROSSTAG_VALGRIND) in
bench_agent.sh: one tracked process that sends N flow records as fast as the
agent takes them (RUN, HELLO, two objects, N FLOWs that never merge, EXIT).
The agent's cost per record is crosstag run's wall time (which ends when the
agent has committed everything) divided by N.  N from $CT_LOAD_FLOWS."""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from fake_tracker import EXIT, FLOW, HELLO, MAGIC, OBJECT, RUN, VERSION, arg, msg  # noqa: E402


def main():
    n = int(os.environ.get("CT_LOAD_FLOWS", "1000000"))
    host = arg("--ct-host").encode()
    out = [msg(RUN, struct.pack("<QII", int(arg("--ct-run")), 0, len(host)), host)]
    exe, argv = b"/bin/load", b"load\0"
    out.append(msg(HELLO, struct.pack("<IIiiIIQQII", MAGIC, VERSION, os.getpid(), os.getppid(),
                                      os.getuid(), 0, 4242, 1, len(exe), len(argv)), exe + argv))
    for h, name in ((1, b"file:/bench/in"), (2, b"file:/bench/out")):
        out.append(msg(OBJECT, struct.pack("<IIQQqQQII", h, 1, 0, h, 0, 0, 1, 0, len(name)), name))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(arg("--ct-socket"))
    s.sendall(b"".join(out))
    # every second byte: rows never continue each other, so each is a row
    batch = []
    for i in range(n):
        batch.append(msg(FLOW, struct.pack("<IIQQQQQQIIQQQ", 2, 1, 2 * i, 1, 2 * i, 1,
                                           1000 + i, 900 + i, 0, 1, 1, 0, 0)))
        if len(batch) == 4096:
            s.sendall(b"".join(batch))
            batch = []
    s.sendall(b"".join(batch) + msg(EXIT, struct.pack("<iIQQ", 0, 0, 2000 + n, 0)))
    s.close()


main()
