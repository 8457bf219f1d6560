# shellcheck shell=bash
# tests/mail/conf.sh — configuration files for the mail scenario (issue 5,
# item 5; docs/scenario-mail.md): Samba on host A, smbclient and Postfix on
# host B.  Sourced by tests/t_mail.sh; usable by hand:
#   . tests/mail/conf.sh; smb_server_conf DIR SHARE-PATH; smb_client_conf DIR
#   postfix_conf DIR B-IP C-IP D-IP
# Every file a server writes (locks, pids, queues, logs) goes into DIR:
# all hosts of a test network share one file system.

# smb_server_conf DIR SHAREPATH — DIR/smb.conf: a standalone smbd serving
# SHAREPATH read-only to guests as share [files], on port 445 only.
smb_server_conf() {
    local d=$1 share=$2 s
    for s in private lock state cache pid ncalrpc; do mkdir -p "$d/$s"; done
    cat >"$d/smb.conf" <<EOF
[global]
  server role = standalone server
  disable netbios = yes
  smb ports = 445
  map to guest = Bad User
  load printers = no
  printcap name = /dev/null
  disable spoolss = yes
  # else smbd starts samba-dcerpcd, which leaves the test's process tree
  rpc start on demand helpers = no
  private dir = $d/private
  lock directory = $d/lock
  state directory = $d/state
  cache directory = $d/cache
  pid directory = $d/pid
  ncalrpc dir = $d/ncalrpc
  log file = $d/smbd.log
  log level = 1
[files]
  path = $share
  guest ok = yes
  read only = yes
EOF
}

# smb_client_conf DIR — DIR/smb.conf for smbclient: its own state folders.
smb_client_conf() {
    local d=$1 s
    for s in private lock state cache; do mkdir -p "$d/$s"; done
    cat >"$d/smb.conf" <<EOF
[global]
  client min protocol = SMB2
  private dir = $d/private
  lock directory = $d/lock
  state directory = $d/state
  cache directory = $d/cache
  log file = $d/smbclient.log
EOF
}

# postfix_conf DIR BIP CIP DIP — DIR/main.cf and DIR/master.cf: Postfix on
# B (listening on BIP:25) relays mail for @c.test to [CIP]:25 and mail for
# @d.test to [DIP]:25 (transport_maps), nothing delivered locally, no DNS.
# Its queue is DIR/queue, its data DIR/data, its log DIR/maillog.
postfix_conf() {
    local d=$1 bip=$2 cip=$3 dip=$4
    mkdir -p "$d/queue" "$d/data" "$d/bin"
    chown postfix "$d/data"
    # Postfix's commands without their set-gid bit (cp drops it): Valgrind
    # refuses to start set-uid/set-gid programs (sendmail's postdrop) under
    # --trace-children, and root needs no postdrop group to write the
    # maildrop queue.  command_directory points sendmail at them.
    local f
    for f in /usr/sbin/post* /usr/sbin/sendmail; do cp "$f" "$d/bin/"; done
    cat >"$d/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
command_directory = $d/bin
myhostname = b.test
mydomain = b.test
myorigin = b.test
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = $bip
inet_protocols = ipv4
mynetworks = 127.0.0.0/8 $bip/32
relay_domains = c.test d.test
# bounces to the sender (b.test) are dropped: no mail host for them
transport_maps = inline:{ c.test=smtp:[$cip]:25, d.test=smtp:[$dip]:25, b.test=discard: }
smtp_dns_support_level = disabled
smtp_tls_security_level = none
smtpd_tls_security_level = none
# a refused delivery stays queued (deferred), it is not bounced at once
maximal_queue_lifetime = 1d
bounce_queue_lifetime = 1d
maillog_file = $d/maillog
maillog_file_prefixes = $d
biff = no
EOF
    # chroot column n everywhere: the daemons must see the tracker's files
    cat >"$d/master.cf" <<'EOF'
smtp      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}
