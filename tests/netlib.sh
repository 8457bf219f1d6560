# shellcheck shell=bash
# tests/netlib.sh — test networks (net/ctnet) for tests; source it after
# tests/lib.sh.  Every net is taken down at exit, also after a failed check
# (lib.sh's on_cleanup), and its state lives under $T.
#
#   net_up N [NAME]     a net of N hosts a, b, c...; sets $NET (the newest net).
#                       Returns 1 when the test must stop: not root (a SKIP,
#                       a FAIL under CI=true) or `ctnet up` failed (a FAIL).
#                       Use:  net_up 3 || finish
#   on HOST CMD ARGS... runs CMD on HOST of $NET (its namespace, cwd its data
#                       folder, CROSSTAG_DB/CROSSTAG_HOST set); CMD's status
#   on_net NET HOST CMD ARGS...   the same on another net
#   net_ip HOST [-6]    HOST's address in $NET;  net_dir HOST  its state folder
#   wait_listen HOST PORT [tcp|udp]   waits (up to $CT_TIMEOUT s) until a
#                       socket of HOST listens on PORT; 1 on timeout
#
# Net names are short and unique per run (ct<pid><letter>): two test runs,
# or a run and a user's own net, never meet.
CTNET=$ROOT/net/ctnet
export CTNET_ROOT=$T/ctnet
NET=
NETLIB_NEXT=a

net_up() {
    local n=$1 name=${2:-}
    if [ "$(id -u)" -ne 0 ]; then
        skip "$(basename "$0" .sh)" "needs root: test networks are network namespaces (ctnet)"
        return 1
    fi
    if [ -z "$name" ]; then
        name=ct$$$NETLIB_NEXT
        NETLIB_NEXT=$(echo "$NETLIB_NEXT" | tr a-y b-z)
    fi
    # registered first: a half-made net is removed too
    on_cleanup "'$CTNET' down '$name'"
    if ! "$CTNET" up "$name" "$n" >"$T/.ctnet.err" 2>&1; then
        fail "net-up" "ctnet up $name $n failed" "$T/.ctnet.err"
        return 1
    fi
    NET=$name
    return 0
}

on() { "$CTNET" exec "$NET" "$@"; }
on_net() { "$CTNET" exec "$@"; }
net_ip() { "$CTNET" ip "$NET" "$@"; }
net_dir() { "$CTNET" dir "$NET" "$1"; }

wait_listen() {
    local host=$1 port=$2 proto=${3:-tcp} flag=-ltnH i
    [ "$proto" = udp ] && flag=-lunH
    for ((i = 0; i < CT_TIMEOUT * 10; i++)); do
        [ -n "$(ss -N "$NET-$host" "$flag" "sport = :$port" 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    return 1
}
