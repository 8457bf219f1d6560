/* dropsend IN ADDR PORT — reads IN, drops root (uid/gid 65534, as servers
 * such as vsftpd and Postfix's daemons do), then connects to ADDR:PORT
 * (IPv4) and sends what it read: the receiver's bytes come from IN. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "progs.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: dropsend IN ADDR PORT\n");
        return 2;
    }
    char buf[65536];
    int in = open(argv[1], O_RDONLY);
    if (in < 0)
        die(argv[1]);
    size_t n = read_full(in, buf, sizeof buf);
    if (setgid(65534) != 0 || setuid(65534) != 0)
        die("dropping root");
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3])) };
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1 ||
        connect(s, (struct sockaddr *)&sa, sizeof sa) != 0)
        die("connect");
    for (size_t done = 0; done < n;) {
        ssize_t w = send(s, buf + done, n - done, 0);
        if (w <= 0)
            die("send");
        done += (size_t)w;
    }
    return close(s) != 0;
}
