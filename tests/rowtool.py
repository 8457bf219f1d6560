#!/usr/bin/env python3
"""rowtool.py — helpers for the shell tests (tests/lib.sh); stdlib only.

  rowtool.py row SINK S E SRC A B MODE
      prints one expected `crosstag query --json` line.  SINK/SRC are raw
      path bytes (an absolute path becomes "file:PATH"; anything else, e.g.
      "pipe:12", is used as is).  Object names are escaped the way the
      design asks: valid UTF-8 kept, each invalid byte as the four
      characters \\xHH (lowercase hex), then JSON string escaping.
  rowtool.py pairs  < json-lines
      expands rows into the byte-level dependency relation, one
      "sink-object sink-offset <- source-object source-offset" line per pair
      (aligned: S+i <- A+i; all: every sink byte <- every source byte),
      sorted and unique.  Two row sets with the same relation give the same
      output whatever their row boundaries and modes.
  rowtool.py sources < json-lines
      prints the distinct source object names, sorted.
  rowtool.py sinks < json-lines
      prints the distinct sink object names, sorted.
Host names are kept in every output.  Exit 3 on a line that is not a valid
row (message on stderr).
"""
import json
import os
import sys

PAIR_LIMIT = 2_000_000


def utf8_len(b, i):
    c = b[i]
    if c < 0x80:
        return 1
    lo, hi = 0x80, 0xBF
    if 0xC2 <= c <= 0xDF:
        n = 2
    elif 0xE0 <= c <= 0xEF:
        n = 3
        if c == 0xE0:
            lo = 0xA0
        if c == 0xED:
            hi = 0x9F
    elif 0xF0 <= c <= 0xF4:
        n = 4
        if c == 0xF0:
            lo = 0x90
        if c == 0xF4:
            hi = 0x8F
    else:
        return 0
    if len(b) - i < n or not (lo <= b[i + 1] <= hi):
        return 0
    for k in range(2, n):
        if not (0x80 <= b[i + k] <= 0xBF):
            return 0
    return n


def display_name(raw):
    """raw bytes -> str with invalid UTF-8 bytes shown as \\xHH."""
    out, i = [], 0
    while i < len(raw):
        n = utf8_len(raw, i) if raw[i] else 0
        if n == 0:
            out.append("\\x%02x" % raw[i])
            i += 1
        else:
            out.append(raw[i:i + n].decode("utf-8"))
            i += n
    return "".join(out)


def jstr(s):
    """JSON string literal as jansson writes it (UTF-8 kept, no \\/)."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20:
            out.append("\\u%04X" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def objname(arg):
    raw = os.fsencode(arg)
    if raw.startswith(b"/"):
        raw = b"file:" + raw
    return display_name(raw)


def row(host, sink, s, e, src, a, b, mode):
    return ('{"sink":{"host":%s,"object":%s,"start":%d,"end":%d},'
            '"source":{"host":%s,"object":%s,"start":%d,"end":%d},"mode":%s}'
            % (jstr(host), jstr(objname(sink)), int(s), int(e),
               jstr(host), jstr(objname(src)), int(a), int(b), jstr(mode)))


def parse(lines):
    rows = []
    for n, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line:
            continue
        try:
            r = json.loads(line)
            sk, sr, mode = r["sink"], r["source"], r["mode"]
            rows.append(((sk["host"], sk["object"], int(sk["start"]), int(sk["end"])),
                         (sr["host"], sr["object"], int(sr["start"]), int(sr["end"])),
                         mode))
        except (ValueError, KeyError, TypeError) as ex:
            sys.stderr.write("rowtool: line %d is not a valid row (%s): %s\n" % (n, ex, line))
            sys.exit(3)
    return rows


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    cmd = sys.argv[1]
    if cmd == "row":
        if len(sys.argv) != 10:
            sys.stderr.write("usage: rowtool.py row HOST SINK S E SRC A B MODE\n")
            return 2
        h, sink, s, e, src, a, b, mode = sys.argv[2:]
        print(row(h, sink, s, e, src, a, b, mode))
        return 0
    rows = parse(sys.stdin.read().split("\n"))
    if cmd == "pairs":
        pairs = set()
        for (sh, so, s, e), (rh, ro, a, b), mode in rows:
            if mode == "aligned":
                if e - s != b - a:
                    sys.stderr.write("rowtool: aligned row with unequal lengths\n")
                    return 3
                cnt = e - s
            else:
                cnt = (e - s) * (b - a)
            if len(pairs) + cnt > PAIR_LIMIT:
                sys.stderr.write("rowtool: too many byte pairs to compare\n")
                return 3
            if mode == "aligned":
                for i in range(e - s):
                    pairs.add((sh, so, s + i, rh, ro, a + i))
            else:
                for i in range(s, e):
                    for j in range(a, b):
                        pairs.add((sh, so, i, rh, ro, j))
        for p in sorted(pairs):
            print("%s %s %d <- %s %s %d" % p)
        return 0
    if cmd in ("sources", "sinks"):
        names = sorted({(r[1] if cmd == "sources" else r[0])[1] for r in rows})
        for nm in names:
            print(nm)
        return 0
    sys.stderr.write("rowtool: unknown command %s\n" % cmd)
    return 2


if __name__ == "__main__":
    sys.exit(main())
