/* policy.h — the leak-prevention policy (docs/design.md "Leak prevention"):
 * protected sources by class, trusted destinations, an action per class.
 * Read from an INI file with libinih; every error names file and line. */
#ifndef CT_POLICY_H
#define CT_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct pol_source {
    char *host;                /* NULL: every host */
    char *glob;                /* fnmatch without FNM_PATHNAME: '*' matches '/' */
};

struct pol_class {
    char name[64];
    int action;                /* enum ct_action */
    unsigned char mask;        /* the mask byte, '*' by default */
    struct pol_source *src;
    size_t nsrc;
};

struct pol_net {
    int family;                /* AF_INET / AF_INET6 */
    unsigned char addr[16];
    int prefix;
    unsigned port_lo, port_hi; /* 0-65535: every port */
};

struct policy {
    char path[4096];           /* absolute */
    struct pol_class *cls;  size_t ncls;
    struct pol_net *nets;   size_t nnets;
    char **paths;           size_t npaths;     /* trusted local path globs */
    unsigned agent_port;       /* [network] agent_port: agents take labels here */
};

#define POLICY_AGENT_PORT 7420

/* Reads and validates `file`.  0, or -1 with "FILE:LINE: what is wrong"
 * (or "FILE: ...") in err. */
int policy_load(const char *file, struct policy *p, char *err, size_t errlen);
void policy_free(struct policy *p);

/* The peer address is inside a trusted network (and port range). */
int policy_trusted_addr(const struct policy *p, const struct sockaddr *sa, size_t len);
/* The peer's address is inside a trusted network, whatever the port:
 * another host's agent may push labels to this one. */
int policy_trusted_host(const struct policy *p, const struct sockaddr *sa, size_t len);
/* A regular file under a trusted path glob. */
int policy_trusted_path(const struct policy *p, const char *path);
/* The class protecting original source `name` ("file:/abs/path") on host
 * `host`: the strictest matching class, or NULL. */
const struct pol_class *policy_class_of(const struct policy *p, const char *host, const char *name);
/* The strictest action any class has, and that class's mask byte: what a
 * tracker does to labelled bytes when the agent cannot answer. */
int policy_strictest(const struct policy *p, unsigned char *mask);

const char *policy_action_name(int action);

#endif
