/* ct_ring.c — the tracker's end of the shared record ring.
 *
 * A tracker used to send its records after every sink syscall (so the
 * agent sees them before any other process can act on the bytes written):
 * a sendto and a wake-up of the agent per write of the program, ~10 % of a
 * program that writes in 8 KB pieces (curl).  Now the stream goes on in a
 * memfd both map: the same bytes at the same moment, visible to the agent
 * without a syscall.  The agent reads it every few milliseconds while it
 * fills, before every policy decision, and at the connection's end; the
 * tracker rings (one byte on the socket) for a question waiting for its
 * answer, when the ring is full, and when it starts filling an empty ring
 * (at most every 10 ms), so an idle agent wakes.  A SIGKILL'd tracker
 * loses nothing it put in the ring. */
#include "ct_ring.h"
#include "pub_tool_aspacemgr.h"
#include "pub_tool_libcfile.h"
#include "pub_tool_vki.h"
#include "pub_tool_vkiscnums.h"

extern SysRes VG_(am_shared_mmap_file_float_valgrind)(SizeT length, UInt prot, Int fd, Off64T offset);

#define RING_DATA (1u << 20)
#define RING_SIZE (CT_RING_HDR + RING_DATA)

static struct ct_ring_hdr *hdr;       /* NULL: the socket carries the stream */
static UChar *data;
static ULong last_bell_ns;

Bool ring_on(void) { return hdr != NULL; }

void ring_close(void)
{
    if (hdr) VG_(am_munmap_valgrind)((Addr)hdr, RING_SIZE);
    hdr = NULL;
    data = NULL;
}

/* sendmsg with one fd attached (SCM_RIGHTS); vki has no CMSG_LEN/SPACE. */
#define CM_LEN(n)   (VKI_CMSG_ALIGN(sizeof(struct vki_cmsghdr)) + (n))
#define CM_SPACE(n) (VKI_CMSG_ALIGN(sizeof(struct vki_cmsghdr)) + VKI_CMSG_ALIGN(n))
static Bool send_with_fd(Int sock, const void *msg, SizeT len, Int fd)
{
    struct vki_iovec iov = { (void *)msg, len };
    union { struct vki_cmsghdr h; UChar b[CM_SPACE(sizeof(Int))]; } cm;
    VG_(memset)(&cm, 0, sizeof cm);
    cm.h.cmsg_len = CM_LEN(sizeof(Int));
    cm.h.cmsg_level = VKI_SOL_SOCKET;
    cm.h.cmsg_type = VKI_SCM_RIGHTS;
    VG_(memcpy)(VKI_CMSG_DATA(&cm.h), &fd, sizeof fd);
    struct vki_msghdr mh;
    VG_(memset)(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = &cm;
    mh.msg_controllen = sizeof cm;
    SysRes r;
    do r = ct_syscall(__NR_sendmsg, (UWord)sock, (UWord)&mh, VKI_MSG_NOSIGNAL, 0, 0, 0);
    while (sr_isError(r) && sr_Err(r) == VKI_EINTR);
    return !sr_isError(r) && sr_Res(r) == len;
}

Bool ring_open(Int sock, const void *msg, SizeT len)
{
    ring_close();
    SysRes r = ct_syscall(__NR_memfd_create, (UWord)"crosstag-ring",
                          1 /* MFD_CLOEXEC */ | 2 /* MFD_ALLOW_SEALING */, 0, 0, 0, 0);
    if (sr_isError(r)) return False;
    Int fd = (Int)sr_Res(r);
    /* sealed at its size: the agent maps it and must never meet a SIGBUS
     * from a file shrunk under it (it refuses an unsealed one) */
    if (sr_isError(ct_syscall(__NR_ftruncate, (UWord)fd, RING_SIZE, 0, 0, 0, 0)) ||
        sr_isError(ct_syscall(__NR_fcntl, (UWord)fd, 1033 /* F_ADD_SEALS */,
                              1 | 2 | 4 /* F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW */, 0, 0, 0))) {
        VG_(close)(fd);
        return False;
    }
    SysRes m = VG_(am_shared_mmap_file_float_valgrind)(RING_SIZE, VKI_PROT_READ | VKI_PROT_WRITE, fd, 0);
    if (sr_isError(m)) { VG_(close)(fd); return False; }
    hdr = (struct ct_ring_hdr *)sr_Res(m);
    data = (UChar *)hdr + CT_RING_HDR;
    /* the mapping is what both ends keep: once the agent has the fd, ours
     * goes (Valgrind reserves only a dozen fds for itself) */
    Bool sent = send_with_fd(sock, msg, len, fd);
    VG_(close)(fd);
    if (!sent) {
        ring_close();
        return False;
    }
    return True;
}

Bool ring_empty(void)
{
    return __atomic_load_n(&hdr->head, __ATOMIC_ACQUIRE) == hdr->tail;
}

SizeT ring_put(const UChar *p, SizeT n)
{
    ULong tail = hdr->tail, head = __atomic_load_n(&hdr->head, __ATOMIC_ACQUIRE);
    SizeT room = RING_DATA - (SizeT)(tail - head);
    if (n > room) n = room;
    SizeT at = (SizeT)(tail & (RING_DATA - 1)), first = RING_DATA - at < n ? RING_DATA - at : n;
    VG_(memcpy)(data + at, p, first);
    VG_(memcpy)(data, p + first, n - first);
    /* the bytes before the new tail: the agent reads tail with acquire */
    __atomic_store_n(&hdr->tail, tail + n, __ATOMIC_RELEASE);
    return n;
}

void ring_bell(Int sock)
{
    static const UChar one = 0;
    last_bell_ns = ct_now_ns();
    ct_syscall(__NR_sendto, (UWord)sock, (UWord)&one, 1, 0x40 /* MSG_DONTWAIT */ | VKI_MSG_NOSIGNAL, 0, 0);
}

Bool ring_bell_due(void)
{
    return ct_now_ns() - last_bell_ns >= 10000000ULL;   /* 10 ms */
}
