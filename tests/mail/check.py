"""tests/mail/check.py — checks a message that tests/mail/send.py sent.

usage: python3 check.py MESSAGE-FILE SECRET PUBLIC intact|masked

MESSAGE-FILE is what the receiving SMTP server stored (aiosmtpd's Mailbox
handler: one file per message in MAILDIR/new).  Line ends are compared as
LF (SMTP carries CRLF, the Maildir file LF).  Prints one line per problem
and exits 1 if there is any, else prints nothing and exits 0.

intact: the three attachments are exactly SECRET, SECRET, PUBLIC (the
  base64 part decoded).
The attachments are named as send.py names them: NAME.txt and NAME.bin
for SECRET (NAME.EXT), public.txt.
masked: public.txt is exactly PUBLIC; NAME.txt is SECRET with every byte
  but the line ends replaced by '*'; NAME.bin's base64 text is the base64
  text of SECRET with every base64 digit (A-Z a-z 0-9 + /) replaced by '*'.
  Why exactly these bytes: the secret's own line-end bytes never reach the
  wire (the mail client and Postfix write each line's CRLF themselves, as
  constants), and the base64 encoder (binascii) writes each digit by a
  table lookup indexed by secret bits (labelled: address labels), the '='
  padding and the line ends as constants (unlabelled).  Mask overwrites
  exactly the labelled bytes.
"""
import base64
import email
import os
import re
import sys
from email import policy


def nl(s):
    return s.replace("\r\n", "\n")


def main():
    path, secret_path, public_path, mode = sys.argv[1:5]
    secret = open(secret_path, "rb").read()
    public = open(public_path, "rb").read()
    msg = email.message_from_bytes(open(path, "rb").read(), policy=policy.compat32)
    stem = os.path.splitext(os.path.basename(secret_path))[0]
    names = sorted(["public.txt", stem + ".txt", stem + ".bin"])
    parts = {p.get_filename(): p for p in msg.walk() if p.get_filename()}
    problems = []
    if sorted(parts) != names:
        problems.append("attachments %s, want %s" % (sorted(parts), names))
    else:
        got_txt = nl(parts[stem + ".txt"].get_payload())
        got_b64 = nl(parts[stem + ".bin"].get_payload())
        got_pub = nl(parts["public.txt"].get_payload())
        if got_pub != public.decode("ascii"):
            problems.append("public.txt %r, want %r" % (got_pub, public))
        b64 = base64.encodebytes(secret).decode("ascii")
        if mode == "intact":
            want_txt, want_b64 = secret.decode("ascii"), b64
        else:
            want_txt = re.sub(r"[^\n]", "*", secret.decode("ascii"))
            want_b64 = re.sub(r"[A-Za-z0-9+/]", "*", b64)
        if got_txt != want_txt:
            problems.append(stem + ".txt %r, want %r" % (got_txt, want_txt))
        if got_b64 != want_b64:
            problems.append(stem + ".bin (base64 text) %r, want %r" % (got_b64, want_b64))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
