"""tests/mail/alerts.py — checks the alerts one mail of send.py caused.

usage: crosstag alerts --json | python3 alerts.py CLASS ACTION PROCESS DEST SRC-HOST SECRET

Looks at the alerts of class CLASS only.  Each must be of PROCESS (argv0),
to DEST, with action ACTION, naming SRC-HOST's file SECRET (its absolute
path) and no note.  Together they must be exactly what the message holds
of SECRET (send.py: once as text, once base64-encoded):
  - the text attachment: one alert per line of SECRET, [line start, line
    end) without the line end (the mail writes its own CRLF), bytes = its
    length: the rows are aligned, so each names its exact offsets;
  - the base64 attachment: the remaining alerts.  A base64 digit is
    computed from the bits of one or two input bytes, but the encoder
    carries them in a bit buffer whose labels the engine keeps per word
    (README, Limits), so each digit names a small window of SECRET's bytes
    rather than exactly its own; which windows is the engine's business.
    What must hold exactly: every digit is counted once (the bytes add up
    to the number of base64 digits of SECRET, padding and line ends are
    constants) and together they name every byte of SECRET, [0, size).
Prints one line per problem; exit 1 if there is any.
"""
import base64
import json
import re
import sys


def main():
    cls, action, process, dest, src_host, secret_path = sys.argv[1:7]
    secret = open(secret_path, "rb").read()
    rows = [json.loads(l) for l in sys.stdin if l.strip()]
    rows = [r for r in rows if r.get("class") == cls]
    problems = []
    for r in rows:
        src = r.get("source", {})
        if (r.get("process"), r.get("destination"), r.get("action"), src.get("host"), src.get("object"),
                "note" in r) != (process, dest, action, src_host, "file:" + secret_path, False):
            problems.append("unexpected alert: %s" % json.dumps(r))
    spans = [(r["source"]["start"], r["source"]["end"], r["bytes"]) for r in rows]
    # the text attachment: one alert per line
    start = 0
    for line in secret.split(b"\n"):
        if line:
            want = (start, start + len(line), len(line))
            if want in spans:
                spans.remove(want)
            else:
                problems.append("no alert for the text line [%d,%d)" % want[:2])
        start += len(line) + 1
    # the base64 attachment: the rest
    digits = len(re.sub(rb"[^A-Za-z0-9+/]", b"", base64.encodebytes(secret)))
    got = sum(b for _, _, b in spans)
    if got != digits:
        problems.append("base64 alerts count %d bytes, want %d (the base64 digits)" % (got, digits))
    covered = set()
    for s, e, _ in spans:
        covered.update(range(s, e))
    if covered != set(range(len(secret))):
        missing = sorted(set(range(len(secret))) - covered)
        extra = sorted(covered - set(range(len(secret))))
        problems.append("base64 alerts name other bytes than [0,%d): missing %s, beyond %s"
                        % (len(secret), missing[:10], extra[:10]))
    if not rows:
        problems.append("no alert of class %s" % cls)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
