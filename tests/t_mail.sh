#!/usr/bin/env bash
# t_mail.sh — issue 5's mail scenario with real programs (docs/scenario-mail.md).
# Hosts a, b, c, d of one test network; a, b and d are trusted (each runs an
# agent with the one policy), c is not.
#   a: smbd serves secret.txt (class confidential, action mask) and plans.txt
#      (class restricted, action block), under crosstag run;
#   b: smbclient fetches both; a mail client (python3, tests/mail/send.py)
#      sends three mails through Postfix on b (master and all its daemons
#      under crosstag run), each to x@c.test and y@d.test: secret.txt over
#      SMTP (smtplib to smtpd), secret.txt through Postfix's sendmail
#      command (postdrop, maildrop, pickup), plans.txt over SMTP; Postfix
#      relays @c.test to c, @d.test to d (transport_maps);
#   c, d: SMTP sinks (aiosmtpd, natively) storing each message in a Maildir.
# Each mail carries its secret as a text attachment (7bit), base64-encoded
# (octet-stream) and an unprotected public.txt.  Checks, exactly:
#   mails 1 and 2 at c: the secret masked byte for byte (tests/mail/check.py
#     says which bytes), public.txt intact; at d: everything intact;
#   mail 3 (plans.txt, block): c stores nothing, Postfix keeps the mail
#     deferred ("lost connection"); d gets it intact;
#   `crosstag alerts --json` on b: only Postfix's smtp to c:25, each mail's
#     alerts naming a's file with exact offsets (tests/mail/alerts.py);
#     none on a and d;
#   b's copies trace to a's files; d's store names a's files as the sources
#     of the mail stream (the labels travelled with the bytes).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$TESTS_DIR/netlib.sh"

need() {
    local c
    for c in "$@"; do
        [ -x "$c" ] || command -v "$c" >/dev/null 2>&1 || { skip mail "$c is not installed (setup.sh installs it)"; return 1; }
    done
}
need smbd smbclient postfix /usr/lib/postfix/sbin/master || finish
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || { skip mail "python3-aiosmtpd is not installed (setup.sh installs it)"; finish; }

net_up 4 || finish
# Postfix's daemons (user postfix) and smbd's guest sessions (nobody) must
# reach their folders under $T.
chmod 755 "$T"
A=$(net_ip a) B=$(net_ip b) C=$(net_ip c) D=$(net_ip d)
HA=$(net_dir a) HB=$(net_dir b) HC=$(net_dir c) HD=$(net_dir d)
. "$TESTS_DIR/mail/conf.sh"
SEND=$TESTS_DIR/mail/send.py
CHECK=$TESTS_DIR/mail/check.py

mkdir -p "$HA/share"
printf 'Q3 revenue: 4,217,003 EUR\nmerger with Initech: signed 2026-11-30\nkeycode 7781-ALPHA!\n' >"$HA/share/secret.txt"
printf 'Plan B: move the plant to Lyon in March.\nBudget 12.5M.\n' >"$HA/share/plans.txt"
printf 'Lunch menu: soup, bread, apples.\n' >"$HB/data/public.txt"

# One policy for the trusted network (a, b, d): a's files are protected;
# b writes its downloaded copies and Postfix its queue files (trusted paths).
POL=$T/policy.ini
cat >"$POL" <<EOF
[class confidential]
action = mask
source = a:$HA/share/secret.txt
[class restricted]
action = block
source = a:$HA/share/plans.txt
[trusted]
net = $A/32
net = $B/32
net = $D/32
path = $HB/data/*
path = $HB/pf/queue/*
EOF
# every trusted host runs an agent with it before protected bytes reach it
for h in a b d; do
    on "$h" "$CT" agent start --policy "$POL" >"$T/agent-$h.out" 2>&1 ||
        { fail "agent-$h" "crosstag agent start failed on $h" "$T/agent-$h.out"; finish; }
done

# tracked HOST LOG CMD... — CMD under crosstag run on HOST (its agent, with
# the policy, its store); stderr into LOG.  timeout puts it into a process
# group of its own, which matters: on SIGTERM (ctnet down) smbd
# --no-process-group signals its whole process group.
tracked() {
    local h=$1 log=$2
    shift 2
    on "$h" timeout -k 10 "$CT_TIMEOUT" "$CT" run -q -- "$@" 2>"$log"
}

# ---- c and d: SMTP sinks, natively ----
for h in c d; do
    dir=$(net_dir $h)
    on "$h" /usr/bin/python3 -m aiosmtpd -n -l "$(net_ip $h):25" -c aiosmtpd.handlers.Mailbox "$dir/data/mbox" \
        >"$dir/log/aiosmtpd.log" 2>&1 &
done
wait_listen c 25 && wait_listen d 25 || { fail sinks "aiosmtpd did not listen on c or d"; finish; }

# ---- a: smbd under crosstag ----
smb_server_conf "$HA/smb" "$HA/share"
tracked a "$HA/log/smbd.err" smbd -F --no-process-group -s "$HA/smb/smb.conf" --debug-stdout \
    >"$HA/log/smbd.out" &
wait_listen a 445 || { fail smbd "smbd did not listen on a:445" "$HA/log/smbd.err"; finish; }

# ---- b: smbclient fetches both files ----
smb_client_conf "$HB/smbc"
tracked b "$HB/log/smbclient.err" smbclient -s "$HB/smbc/smb.conf" "//$A/files" -N \
    -c 'get secret.txt; get plans.txt' >"$HB/log/smbclient.out"
rc=$?
[ $rc -eq 0 ] && cmp -s "$HA/share/secret.txt" "$HB/data/secret.txt" && cmp -s "$HA/share/plans.txt" "$HB/data/plans.txt" &&
    pass smb-fetch || { cat "$HB/log/smbclient.out" "$HB/log/smbclient.err" >"$T/e"; fail smb-fetch "exit $rc or other bytes" "$T/e"; }

# ---- b: Postfix under crosstag ----
postfix_conf "$HB/pf" "$B" "$C" "$D"
# `postfix check` natively: it makes the queue folders (its shell scripts
# would be slow under the tracker); then master alone under crosstag.
on b postfix -c "$HB/pf" check >"$HB/log/postfix-check.out" 2>&1 ||
    { fail postfix-check "postfix check failed" "$HB/pf/maillog"; finish; }
tracked b "$HB/log/master.err" /usr/lib/postfix/sbin/master -c "$HB/pf" -s >"$HB/log/master.out" &
wait_listen b 25 || { fail postfix "master did not listen on b:25" "$HB/log/master.err"; finish; }

# Deliveries take seconds (every Postfix daemon starts under the tracker);
# a mail that has not arrived after MAIL_WAIT seconds never will.
MAIL_WAIT=${MAIL_WAIT:-180}
# delivered HOST K — waits until HOST's Maildir holds K messages; prints the newest
delivered() {
    local dir i
    dir=$(net_dir "$1")/data/mbox/new
    for ((i = 0; i < MAIL_WAIT * 10; i++)); do
        if [ "$(ls "$dir" 2>/dev/null | wc -l)" -ge "$2" ]; then
            ls -t "$dir" | head -n 1 | sed "s|^|$dir/|"
            return 0
        fi
        sleep 0.1
    done
    return 1
}
# maillog_has PATTERN — waits until Postfix logged a line matching PATTERN (grep -E)
maillog_has() {
    local i
    for ((i = 0; i < MAIL_WAIT * 10; i++)); do
        grep -qE "$1" "$HB/pf/maillog" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
# check_msg NAME FILE SECRET intact|masked
check_msg() {
    if "$PY" "$CHECK" "$2" "$3" "$HB/data/public.txt" "$4" >"$T/check.out" 2>&1; then
        pass "$1"
    else
        cat "$2" >>"$T/check.out" 2>/dev/null
        fail "$1" "the message is not as expected" "$T/check.out"
    fi
}

# alerts_new NAME — b's alerts since the last call, into $T/NAME.json
: >"$T/alerts-seen.json"
alerts_new() {
    on b "$CT" alerts --json >"$T/alerts-now.json" 2>&1
    grep -vxF -f "$T/alerts-seen.json" "$T/alerts-now.json" >"$T/$1.json"
    cp "$T/alerts-now.json" "$T/alerts-seen.json"
}
# check_alerts NAME CLASS ACTION FILE — the new alerts are exactly FILE's (alerts.py)
check_alerts() {
    alerts_new "$1"
    "$PY" "$TESTS_DIR/mail/alerts.py" "$2" "$3" /usr/lib/postfix/sbin/smtp "tcp:$C:25" a "$HA/share/$4" \
        <"$T/$1.json" >"$T/alerts.out" 2>&1 && pass "$1" || fail "$1" "b's alerts differ" "$T/alerts.out"
}
# mask_mail NAME SUBMIT K — a mail with secret.txt; c and d then hold K messages
mask_mail() {
    local m rc
    tracked b "$HB/log/$1.err" /usr/bin/python3 "$SEND" "$2" "$HB/data/secret.txt" "$HB/data/public.txt" x@c.test y@d.test
    rc=$?
    [ $rc -eq 0 ] && pass "$1-send" || fail "$1-send" "the mail client exited $rc" "$HB/log/$1.err"
    if m=$(delivered c "$3"); then check_msg "$1-masked-at-c" "$m" "$HB/data/secret.txt" masked
    else fail "$1-masked-at-c" "c got no mail" "$HB/pf/maillog"; fi
    if m=$(delivered d "$3"); then check_msg "$1-intact-at-d" "$m" "$HB/data/secret.txt" intact
    else fail "$1-intact-at-d" "d got no mail" "$HB/pf/maillog"; fi
    check_alerts "$1-alerts" confidential mask secret.txt
}

# ---- mail 1: SMTP to Postfix's smtpd on b (smtplib), secret.txt (mask) ----
mask_mail smtp "smtp:$B" 1
# ---- mail 2: the same through Postfix's sendmail command ----
mask_mail sendmail "sendmail:$HB/pf" 2

# ---- mail 3: SMTP, plans.txt (block) ----
tracked b "$HB/log/block.err" /usr/bin/python3 "$SEND" "smtp:$B" "$HB/data/plans.txt" "$HB/data/public.txt" x@c.test y@d.test
rc=$?
[ $rc -eq 0 ] && pass block-send || fail block-send "the mail client exited $rc" "$HB/log/block.err"
if m=$(delivered d 3); then check_msg block-intact-at-d "$m" "$HB/data/plans.txt" intact; else fail block-intact-at-d "d got no third mail" "$HB/pf/maillog"; fi
# The blocked write (the whole message and its final dot: one write of
# Postfix's 4 KB stream buffer) fails; Postfix's smtp takes it for a lost
# connection, a temporary error: the mail stays in the deferred queue (it
# would be tried again later, and blocked again), c stores nothing.
if maillog_has 'to=<x@c\.test>.*status=deferred'; then
    id=$(sed -n 's/.*postfix\/smtp\[[0-9]*\]: \([0-9A-F]*\): to=<x@c\.test>.*status=deferred.*/\1/p' "$HB/pf/maillog")
    want="to=<x@c.test>, relay=$C[$C]:25,"
    want2="status=deferred (lost connection with $C[$C] while sending end of data -- message may be sent more than once)"
    got=$(grep "to=<x@c\.test>" "$HB/pf/maillog" | grep -c "$id")
    line=$(grep "$id: to=<x@c\.test>" "$HB/pf/maillog")
    [ "$got" = 1 ] && [[ $line == *"$want"* ]] && [[ $line == *"$want2" ]] && pass block-deferred ||
        fail block-deferred "want one line with '$want ... $want2'" "$HB/pf/maillog"
    # qmgr moves the file to the deferred queue after smtp has logged
    for ((i = 0; i < MAIL_WAIT * 10; i++)); do
        q=$(cd "$HB/pf/queue" && find deferred -type f | sed 's|.*/||')
        [ -n "$q" ] && break
        sleep 0.1
    done
    [ "$q" = "$id" ] && pass block-queued || fail block-queued "deferred queue holds '$q', want '$id'"
else
    fail block-deferred "Postfix logged no deferred delivery to c" "$HB/pf/maillog"
fi
n=$(ls "$HC/data/mbox/new" | wc -l)
[ "$n" = 2 ] && pass block-nothing-at-c || fail block-nothing-at-c "c holds $n messages, want 2 (mails 1 and 2)"
check_alerts block-alerts restricted block plans.txt

# ---- alerts: only b's Postfix smtp sending to c; none on a and d ----
on b "$CT" alerts --json >"$T/alerts-b.json" 2>&1
grep -v "\"host\":\"b\",\"pid\":[0-9]*,\"process\":\"/usr/lib/postfix/sbin/smtp\",\"destination\":\"tcp:$C:25\"" \
    "$T/alerts-b.json" >"$T/other.json"
[ -s "$T/alerts-b.json" ] && [ ! -s "$T/other.json" ] && pass alerts-b-only-to-c ||
    fail alerts-b-only-to-c "alerts on b other than smtp to c:25" "$T/other.json"
for h in a d; do
    on "$h" "$CT" alerts --json >"$T/alerts-$h.json" 2>&1
    [ ! -s "$T/alerts-$h.json" ] && pass "no-alerts-$h" || fail "no-alerts-$h" "alerts on $h" "$T/alerts-$h.json"
done

# ---- the labels travelled: b's copies and d's received bytes name a's files ----
for f in secret.txt plans.txt; do
    n=$(fsize "$HA/share/$f")
    printf '{"sink":{"host":"b","object":"file:%s","start":0,"end":%s},"source":{"host":"a","object":"file:%s","start":0,"end":%s},"mode":"aligned"}\n' \
        "$HB/data/$f" "$n" "$HA/share/$f" "$n" >"$T/want"
    on b "$CT" query backward --json "$HB/data/$f" >"$T/got" 2>&1
    cmp -s "$T/want" "$T/got" && pass "copy-$f" || fail "copy-$f" "b's copy does not trace to a's file exactly" "$T/got"
done
on d "$CT" query backward --json "tcp:$D:25" >"$T/got" 2>&1
"$PY" "$ROWTOOL" sources <"$T/got" >"$T/got.src" 2>&1
printf 'file:%s\nfile:%s\n' "$HA/share/plans.txt" "$HA/share/secret.txt" >"$T/want"
cmp -s "$T/want" "$T/got.src" && pass d-store-names-a ||
    fail d-store-names-a "d's store: the mail stream's sources are not exactly a's two files" "$T/got"

# debugging aid: MAIL_HOLD=FILE keeps everything up while FILE exists
if [ -n "${MAIL_HOLD:-}" ]; then echo "# holding: T=$T NET=$NET"; while [ -e "$MAIL_HOLD" ]; do sleep 1; done; fi
finish
