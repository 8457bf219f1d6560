# shellcheck shell=bash
# tests/ftp/vsftpd.sh — the vsftpd configuration tests/t_ftp.sh and
# bench/bench_ftp.sh run: an anonymous, read-only server as distributions
# ship it (it chroots into anon_root and drops to user ftp), in the
# foreground on one address, with one_process_model=YES (Valgrind refuses
# the two-process model's setrlimit).  anon_root and secure_chroot_dir must
# exist and not be writable by user ftp.
#   vsftpd_conf ADDR DIR PASV_MIN PASV_MAX > FILE   (serves DIR/ftp, DIR/empty)
vsftpd_conf() {
    cat <<EOF
listen=YES
listen_ipv6=NO
listen_address=$1
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=$2/ftp
local_enable=NO
write_enable=NO
secure_chroot_dir=$2/empty
pasv_min_port=$3
pasv_max_port=$4
one_process_model=YES
EOF
}
