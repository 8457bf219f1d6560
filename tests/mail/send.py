"""tests/mail/send.py — the mail client of the mail scenario (t_mail.sh).

usage: python3 send.py smtp:SERVER-IP|sendmail:POSTFIX-CONFIG-DIR SECRET PUBLIC RCPT...

Sends one message to every RCPT, through SERVER-IP:25 (SMTP, smtplib) or
through Postfix's sendmail command (/usr/sbin/sendmail -C DIR: postdrop
puts it into the maildrop queue, where Postfix's pickup takes it).  It has four
parts: a short text body; SECRET as a text/plain attachment sent as it is
(7bit, named like SECRET: "NAME.txt"); SECRET again as an
application/octet-stream attachment, base64-encoded ("NAME.bin"); PUBLIC as
a text/plain attachment (7bit, "public.txt").  Lines end with CRLF on the
wire.  Exit 0 when the server accepted the message for every RCPT.
"""
import os
import smtplib
import subprocess
import sys
from email import policy
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText


def attachment(part, name):
    part.add_header("Content-Disposition", "attachment", filename=name)
    return part


def main():
    server, secret_path, public_path, rcpts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    with open(secret_path, "rb") as f:
        secret = f.read()
    with open(public_path, "rb") as f:
        public = f.read()
    msg = MIMEMultipart(boundary="=-=-crosstag-mail-test-=-=")
    msg["From"] = "sender@b.test"
    msg["To"] = ", ".join(rcpts)
    msg["Subject"] = "figures"
    stem = os.path.splitext(os.path.basename(secret_path))[0]
    msg.attach(MIMEText("Files attached.\n", "plain", "us-ascii"))
    msg.attach(attachment(MIMEText(secret.decode("ascii"), "plain", "us-ascii"), stem + ".txt"))
    msg.attach(attachment(MIMEApplication(secret), stem + ".bin"))
    msg.attach(attachment(MIMEText(public.decode("ascii"), "plain", "us-ascii"), "public.txt"))
    data = msg.as_bytes(policy=policy.SMTP)
    how, _, where = server.partition(":")
    if how == "sendmail":
        cmd = ["/usr/sbin/sendmail", "-C", where, "-i", "-f", "sender@b.test"] + rcpts
        return subprocess.run(cmd, input=data).returncode
    if how != "smtp":
        print("send.py: want smtp:IP or sendmail:DIR, not %r" % server, file=sys.stderr)
        return 2
    with smtplib.SMTP(where, 25, local_hostname="b.test", timeout=300) as s:
        refused = s.sendmail("sender@b.test", rcpts, data)
    if refused:
        print("refused:", refused, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
