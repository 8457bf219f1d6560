/* ct_shm.c — shared memory between processes (see ct_shm.h). */
#include "ct_shm.h"
#include "ct_objects.h"
#include "ct_emit.h"
#include "ct_policy.h"
#include "ct_shadow.h"
#include "ct_syscalls.h"
#include "pub_tool_libcfile.h"
#include "pub_tool_vki.h"
#include "pub_tool_vkiscnums.h"

#define PAGE 4096ULL

struct smap {
    Addr a;
    ULong len, off;
    UInt handle;
    ULong *hash;        /* per page: the labels as last flushed */
};
static struct smap *maps;
static UInt nmaps, capmaps;

Bool *shm_is_shared;
UInt shm_nshared;
ULong shm_last_sync;
static Bool any_shared;

static void mark_shared(UInt handle)
{
    if (handle >= shm_nshared) {
        UInt n = shm_nshared ? shm_nshared : 64;
        while (n <= handle) n *= 2;
        shm_is_shared = VG_(realloc)("ct.shm.shared", shm_is_shared, n * sizeof *shm_is_shared);
        VG_(memset)(shm_is_shared + shm_nshared, 0, (n - shm_nshared) * sizeof *shm_is_shared);
        shm_nshared = n;
    }
    shm_is_shared[handle] = True;
    any_shared = True;
    if (!shm_last_sync) shm_last_sync = ct_now_ns();
}

/* The region's own labels: reading it is a source. */
static void label_own(struct ct_obj *o, Addr a, ULong n, ULong off)
{
    if (!o->is_source || n == 0) return;
    ct_need_tracking();
    Bool coarse;
    UInt base = lab_alloc(o->handle, off, n, ct_now_ns(), &coarse);
    if (base == 0) return;
    if (coarse) sh_fill(a, n, base);
    else sh_linear(a, n, base);
}

static ULong page_hash(Addr p, ULong n)
{
    UInt *sec = sh_sec_of(p);
    if (!sec) return 0;
    sh_prep(sec, p & SH_SEC_MASK, n);            /* linear pages: their ids */
    const UInt *ids = sec + (p & SH_SEC_MASK);   /* a page never straddles a secondary */
    ULong h = 0xcbf29ce484222325ULL;
    Bool any = False;
    for (ULong i = 0; i < n; i++) {
        any |= ids[i] != 0;
        h = (h ^ ids[i]) * 0x100000001b3ULL;
    }
    return any ? (h | 1) : 0;
}

static void add_map(Addr a, ULong len, ULong off, UInt handle)
{
    if (nmaps == capmaps) {
        capmaps = capmaps ? 2 * capmaps : 16;
        maps = VG_(realloc)("ct.shm.maps", maps, capmaps * sizeof *maps);
    }
    ULong pages = (len + PAGE - 1) / PAGE;
    struct smap *m = &maps[nmaps++];
    *m = (struct smap){ a, len, off, handle, VG_(calloc)("ct.shm.hash", pages ? pages : 1, sizeof(ULong)) };
    for (ULong p = 0; p < pages; p++)      /* the own labels need no flow */
        m->hash[p] = page_hash(a + p * PAGE, len - p * PAGE < PAGE ? len - p * PAGE : PAGE);
}

static Bool under_dev_shm(const struct ct_obj *o)
{
    return o->name_len > 14 && VG_(strncmp)(o->name, "file:/dev/shm/", 14) == 0;
}

/* Memory shared with other processes rather than a file's contents:
 * /dev/shm, SysV segments ("/SYSV<key> (deleted)" in /proc). */
static Bool is_ipc_region(const struct ct_obj *o)
{
    return under_dev_shm(o) || (o->name_len > 10 && VG_(strncmp)(o->name, "file:/SYSV", 10) == 0);
}

void shm_map(struct ct_obj *o, Addr addr, ULong len, ULong off, ULong n, UWord prot)
{
    /* /dev/shm exists to pass data between processes: always a source */
    if (under_dev_shm(o)) o->is_source = True;
    label_own(o, addr, n, off);
    mark_shared(o->handle);
    if (prot & VKI_PROT_WRITE) add_map(addr, len, off, o->handle);
}

void shm_flush(Addr a, ULong len, Bool unmap, UInt sysno)
{
    Bool timed = False;
    for (UInt i = 0; i < nmaps; i++) {
        struct smap *m = &maps[i];
        Addr lo = a > m->a ? a : m->a;
        Addr hi = a + len < a || a + len > m->a + m->len ? m->a + m->len : a + len;
        if (lo >= hi) continue;
        struct ct_obj *o = obj_by_handle(m->handle);
        for (Addr p = lo & ~(PAGE - 1); o && p < hi; p += PAGE) {
            Addr s = p < m->a ? m->a : p;
            Addr e = p + PAGE < m->a + m->len ? p + PAGE : m->a + m->len;
            ULong k = (s - m->a) / PAGE, h = page_hash(s, e - s);
            if (h == m->hash[k]) continue;
            if (h && ct_opt.policy && o->kind == CT_OBJ_FILE && !is_ipc_region(o)) {
                pol_check_mapped(o, s, e - s, sysno);    /* may mask: labels change */
                h = page_hash(s, e - s);
            }
            m->hash[k] = h;
            if (!h) continue;                  /* cleared: no flow says so */
            if (!timed) {
                em_set_sink_time(ct_now_ns());
                timed = True;
            }
            sink_bytes_skip(o, m->off + (s - m->a), s, e - s, sysno, m->handle);
        }
        if (unmap && lo == m->a && hi == m->a + m->len) {
            VG_(free)(m->hash);
            maps[i--] = maps[--nmaps];
        }
    }
    if (timed) em_flush();
}

/* ---- SysV segments ---- */

/* An fd for the segment mapped at addr: /proc/self/map_files (needs
 * CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE; without it the segment is not
 * tracked and we say so once). */
static Int segment_fd(Addr addr, ULong size)
{
    HChar path[96];
    ULong end = addr + ((size + PAGE - 1) & ~(PAGE - 1));
    VG_(sprintf)(path, "/proc/self/map_files/%lx-%llx", (unsigned long)addr, end);
    SysRes r = ct_syscall(__NR_open, (UWord)path, VKI_O_RDONLY, 0, 0, 0, 0);
    if (sr_isError(r)) {
        static Bool warned;
        if (!warned) {
            warned = True;
            em_note(1, "cannot open %s (error %lu): SysV shared memory is not tracked", path, sr_Err(r));
        }
        return -1;
    }
    return (Int)sr_Res(r);
}

static void attach(Int shmid, Addr addr, UWord shmflg)
{
    struct vki_shmid64_ds ds;
    SysRes r = ct_syscall(__NR_shmctl, (UWord)shmid, VKI_IPC_STAT, (UWord)&ds, 0, 0, 0);
    if (sr_isError(r) || ds.shm_segsz == 0) return;
    Int fd = segment_fd(addr, ds.shm_segsz);
    if (fd < 0) return;
    struct ct_obj *o = obj_for_fd(fd);
    fd_forget(fd);
    VG_(close)(fd);
    if (!o) return;
    o->is_source = True;
    label_own(o, addr, ds.shm_segsz, 0);
    mark_shared(o->handle);
    if (!(shmflg & VKI_SHM_RDONLY)) add_map(addr, ds.shm_segsz, 0, o->handle);
}

/* ---- flush points ---- */

#define A(i) (args[i])
#define FUTEX_CMD(op) ((op) & 0x7f)

void shm_pre(UInt sysno, UWord *args)
{
    if (nmaps == 0) return;
    switch (sysno) {
    case __NR_futex: {
        UWord cmd = FUTEX_CMD(A(1));
        if (cmd != 1 && cmd != 3 && cmd != 4 && cmd != 5 && cmd != 7 && cmd != 10) break;
        shm_flush(0, ~0ULL, False, sysno);   /* WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, UNLOCK_PI, WAKE_BITSET */
        break;
    }
    case __NR_shmdt: {
        for (UInt i = 0; i < nmaps; i++)
            if (maps[i].a == A(0)) {
                shm_flush(maps[i].a, maps[i].len, True, sysno);
                break;
            }
        break;
    }
    case __NR_write: case __NR_pwrite64: case __NR_writev: case __NR_pwritev: case __NR_pwritev2:
    case __NR_sendto: case __NR_sendmsg: case __NR_sendmmsg: case __NR_sendfile: case __NR_splice:
    case __NR_tee: case __NR_copy_file_range: case __NR_kill: case __NR_tkill: case __NR_tgkill:
    case __NR_rt_sigqueueinfo: case __NR_rt_tgsigqueueinfo: case __NR_semop: case __NR_semtimedop:
    case __NR_msgsnd: case __NR_mq_timedsend: case __NR_close: case __NR_exit:
        shm_flush(0, ~0ULL, False, sysno);
        break;
    default:
        break;
    }
}

void shm_post(UInt sysno, UWord *args, SysRes res)
{
    if (sysno == __NR_shmat && !sr_isError(res)) attach((Int)A(0), sr_Res(res), A(2));
    /* Any syscall may be how this process learnt of another's writes. */
    if (any_shared) shm_last_sync = ct_now_ns();
}
