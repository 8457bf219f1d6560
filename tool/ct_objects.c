/* ct_objects.c — objects, handles and the fd table (see ct_objects.h). */
#include "ct_objects.h"
#include "ct_emit.h"
#include "pub_tool_libcfile.h"
#include "pub_tool_vki.h"
#include "pub_tool_vkiscnums.h"


/* ---------------- source rules ---------------- */

struct rule { const HChar *glob; Bool include; };
static struct rule rules[64];
static Int nrules;

void obj_add_source_rule(const HChar *glob, Bool include)
{
    if (nrules == 64) VG_(fmsg_bad_option)("--ct-source", "at most 64 source rules\n");
    rules[nrules].glob = glob;
    rules[nrules].include = include;
    nrules++;
}

static Bool under(const HChar *path, const HChar *dir)
{
    SizeT n = VG_(strlen)(dir);
    return VG_(strncmp)(path, dir, n) == 0 && (path[n] == '/' || path[n] == 0);
}

extern const HChar *VG_(libdir);     /* the core's VALGRIND_LIB (m_main.c) */

Bool obj_path_is_source(const HChar *path)
{
    for (Int i = nrules - 1; i >= 0; i--)          /* the last matching rule decides */
        if (ct_glob_match(rules[i].glob, path)) return rules[i].include;
    static const HChar *system_dirs[] = { "/usr", "/lib", "/lib64", "/etc", "/proc", "/sys", "/dev" };
    for (UInt i = 0; i < sizeof system_dirs / sizeof *system_dirs; i++)
        if (under(path, system_dirs[i])) return False;
    /* crosstag's own folder (VALGRIND_LIB): the loader reads our preload
     * library from there into every program */
    if (VG_(libdir) && VG_(libdir)[0] == '/' && under(path, VG_(libdir))) return False;
    return True;
}

/* ---------------- objects ---------------- */

static struct ct_obj **objs;          /* by handle - 1 */
static UInt nobjs, capobjs;

struct ct_obj *obj_by_handle(UInt handle)
{
    return handle >= 1 && handle <= nobjs ? objs[handle - 1] : NULL;
}

static struct ct_obj *obj_add(void)
{
    if (nobjs == capobjs) {
        capobjs = capobjs ? capobjs * 2 : 64;
        objs = VG_(realloc)("ct.objs", objs, capobjs * sizeof *objs);
    }
    struct ct_obj *o = VG_(calloc)("ct.obj", 1, sizeof *o);
    objs[nobjs++] = o;
    o->handle = nobjs;
    return o;
}

/* The newest object for (kind, dev, ino): reads through any fd of a file
 * see the version its last truncation started. */
static struct ct_obj *obj_find(UInt kind, ULong dev, ULong ino)
{
    for (UInt i = nobjs; i > 0; i--) {
        struct ct_obj *o = objs[i - 1];
        if (o->kind == kind && o->dev == dev && o->ino == ino) return o;
    }
    return NULL;
}

/* Named objects by name: a hash of handles (open addressing, grows). */
static UInt *named_tab;
static UInt named_cap, named_n;

static UInt name_hash(const HChar *s)
{
    UInt h = 2166136261u;
    for (; *s; s++) h = (h ^ (UChar)*s) * 16777619u;
    return h;
}

static void named_put(struct ct_obj *o)
{
    if (2 * (named_n + 1) > named_cap) {
        UInt ocap = named_cap, *old = named_tab;
        named_cap = named_cap ? 2 * named_cap : 64;
        named_tab = VG_(calloc)("ct.named", named_cap, sizeof *named_tab);
        named_n = 0;
        for (UInt i = 0; i < ocap; i++)
            if (old[i]) named_put(objs[old[i] - 1]);
        if (old) VG_(free)(old);
    }
    UInt i = name_hash(o->name) & (named_cap - 1);
    while (named_tab[i]) i = (i + 1) & (named_cap - 1);
    named_tab[i] = o->handle;
    named_n++;
}

struct ct_obj *obj_named(UInt kind, const HChar *name)
{
    if (named_cap) {
        for (UInt i = name_hash(name) & (named_cap - 1); named_tab[i]; i = (i + 1) & (named_cap - 1)) {
            struct ct_obj *o = objs[named_tab[i] - 1];
            if (o->kind == kind && VG_(strcmp)(o->name, name) == 0) return o;
        }
    }
    struct ct_obj *o = obj_add();
    o->kind = kind;
    o->is_source = True;
    o->flags = CT_OBJF_SOURCE;
    o->time_ns = ct_now_ns();
    o->name_len = (UInt)VG_(strlen)(name);
    o->name = VG_(strdup)("ct.objname", name);
    named_put(o);
    return o;
}

void obj_redeclare_all(void)
{
    for (UInt i = 0; i < nobjs; i++) {
        if (!objs[i]->declared) continue;
        objs[i]->flags &= ~CT_OBJF_NEWVER;     /* the parent already started it */
        em_object(objs[i]);
    }
}

/* ---------------- fd table ---------------- */

struct fdent { Bool valid; ULong dev, ino; UInt kind; };
static struct fdent *fds;
static Int nfds;

void fd_forget(Int fd)
{
    if (fd >= 0 && fd < nfds) fds[fd].valid = False;
}

void fd_forget_from(Int lowfd, Int highfd)
{
    for (Int fd = lowfd < 0 ? 0 : lowfd; fd < nfds && fd <= highfd; fd++) fds[fd].valid = False;
}

static Bool is_tty_major(UInt major)
{
    return major == 4 || major == 5 || (major >= 136 && major <= 143);
}

/* ---------------- chroot ----------------
 * After chroot(DIR) /proc is usually not there, and a /proc/self/fd link is
 * printed relative to the new root.  So /proc is opened before the first
 * chroot and kept (in Valgrind's fd range), and the real path of the new
 * root is kept as a prefix.  A link is relative to the new root when it
 * resolves, inside it, to the same file; a file opened before the chroot
 * and outside the new root reads as its full path. */
static Int proc_fd = -1;
static HChar *root_prefix;            /* NULL: the real root */
static HChar *pending_root;           /* chroot's argument resolved, until its result */

static SSizeT fd_link(Int fd, HChar *buf, SizeT size)
{
    HChar rel[64];
    SSizeT n;
    if (proc_fd >= 0) {
        VG_(sprintf)(rel, "self/fd/%d", fd);
        SysRes r = ct_syscall(__NR_readlinkat, (UWord)proc_fd, (UWord)rel, (UWord)buf, size - 1, 0, 0);
        n = sr_isError(r) ? -1 : (SSizeT)sr_Res(r);
    } else {
        VG_(sprintf)(rel, "/proc/self/fd/%d", fd);
        n = VG_(readlink)(rel, buf, size - 1);
    }
    buf[n > 0 ? n : 0] = 0;
    return n;
}

void obj_chroot_pre(const HChar *path)
{
    if (pending_root) { VG_(free)(pending_root); pending_root = NULL; }
    if (proc_fd < 0) {
        SysRes r = ct_syscall(__NR_openat, (UWord)VKI_AT_FDCWD, (UWord)"/proc", 010000000 /* O_PATH */ | 0200000 /* O_DIRECTORY */, 0, 0, 0);
        if (!sr_isError(r)) proc_fd = ct_safe_fd((Int)sr_Res(r));
    }
    SysRes r = ct_syscall(__NR_openat, (UWord)VKI_AT_FDCWD, (UWord)path, 010000000 | 0200000, 0, 0, 0);
    if (sr_isError(r)) return;
    Int d = (Int)sr_Res(r);
    HChar link[4096];
    SSizeT n = fd_link(d, link, sizeof link);
    ct_syscall(__NR_close, (UWord)d, 0, 0, 0, 0, 0);
    if (n <= 0 || link[0] != '/') return;
    const HChar *pre = root_prefix ? root_prefix : "";
    pending_root = VG_(malloc)("ct.root", VG_(strlen)(pre) + VG_(strlen)(link) + 1);
    VG_(sprintf)(pending_root, "%s%s", pre, VG_(strcmp)(link, "/") == 0 && *pre ? "" : link);
}

void obj_chroot_post(void)
{
    if (!pending_root) return;
    if (root_prefix) VG_(free)(root_prefix);
    root_prefix = VG_(strcmp)(pending_root, "/") == 0 ? NULL : pending_root;
    if (!root_prefix) VG_(free)(pending_root);
    pending_root = NULL;
}

/* Build "kind:..." from fstat and the /proc/self/fd link. */
static void describe(Int fd, const struct vg_stat *st, struct ct_obj *o)
{
    HChar link[4096], name[4200];
    fd_link(fd, link, sizeof link);
    if (root_prefix && link[0] == '/') {
        struct vg_stat in;
        SysRes r = VG_(stat)(link, &in);
        if (!sr_isError(r) && in.dev == st->dev && in.ino == st->ino) {
            HChar full[4096];
            VG_(snprintf)(full, sizeof full, "%s%s", root_prefix, VG_(strcmp)(link, "/") == 0 ? "" : link);
            VG_(strcpy)(link, full);
        }
    }
    UInt mode = st->mode;
    UInt major = (UInt)((st->rdev >> 8) & 0xfff);
    o->is_source = True;
    o->seekable = False;
    if (VKI_S_ISREG(mode)) {
        /* A file deleted while open reads as "/path (deleted)". */
        SizeT l = VG_(strlen)(link);
        if (l > 10 && VG_(strcmp)(link + l - 10, " (deleted)") == 0) link[l - 10] = 0;
        VG_(sprintf)(name, "file:%s", link);
        o->kind = CT_OBJ_FILE;
        o->seekable = True;
        o->is_source = obj_path_is_source(link);
    } else if (VKI_S_ISFIFO(mode)) {
        if (VG_(strncmp)(link, "pipe:", 5) == 0) VG_(sprintf)(name, "pipe:%llu", st->ino);
        else VG_(sprintf)(name, "fifo:%s", link);
        o->kind = CT_OBJ_PIPE;
    } else if (VKI_S_ISSOCK(mode)) {
        VG_(sprintf)(name, "socket:%llu", st->ino);
        o->kind = CT_OBJ_SOCKET;
    } else if (VKI_S_ISCHR(mode) && is_tty_major(major)) {
        VG_(sprintf)(name, "tty:%s", link);
        o->kind = CT_OBJ_TTY;
    } else if (VKI_S_ISCHR(mode) || VKI_S_ISBLK(mode)) {
        VG_(sprintf)(name, "dev:%s", link);
        o->kind = CT_OBJ_DEVICE;
        o->is_source = False;
    } else {
        VG_(sprintf)(name, "anon:%s", link);
        o->kind = CT_OBJ_OTHER;
        o->is_source = False;
    }
    o->dev = st->dev;
    o->ino = st->ino;
    o->mtime_ns = (Long)(st->mtime * 1000000000ULL + st->mtime_nsec);
    o->size = (ULong)st->size;
    o->time_ns = ct_now_ns();
    o->name_len = (UInt)VG_(strlen)(name);
    o->name = VG_(strdup)("ct.objname", name);
}

void obj_declare(struct ct_obj *o)
{
    if (o->declared) return;
    o->declared = True;
    em_object(o);
}

static struct ct_obj *declare(Int fd, const struct vg_stat *st, Bool newver)
{
    struct ct_obj *o = obj_add();
    describe(fd, st, o);
    o->flags = (newver ? CT_OBJF_NEWVER : 0) | (o->is_source ? CT_OBJF_SOURCE : 0);
    /* A new version is announced at once: the truncation is an event even
     * if no flow names the file yet.  Other objects wait for a flow. */
    if (newver) { obj_declare(o); em_flush(); }
    return o;
}

static struct fdent *fd_slot(Int fd)
{
    if (fd < 0 || fd > (1 << 20)) return NULL;
    if (fd >= nfds) {
        Int n = nfds ? nfds : 64;
        while (n <= fd) n *= 2;
        fds = VG_(realloc)("ct.fds", fds, n * sizeof *fds);
        VG_(memset)(fds + nfds, 0, (n - nfds) * sizeof *fds);
        nfds = n;
    }
    return &fds[fd];
}

struct ct_obj *obj_for_fd(Int fd)
{
    struct fdent *e = fd_slot(fd);
    if (!e) return NULL;
    if (e->valid) {
        struct ct_obj *o = obj_find(e->kind, e->dev, e->ino);
        if (o) return o;
    }
    struct vg_stat st;
    if (VG_(fstat)(fd, &st) != 0) return NULL;
    struct ct_obj tmp;
    VG_(memset)(&tmp, 0, sizeof tmp);
    UInt kind = VKI_S_ISREG(st.mode) ? CT_OBJ_FILE : VKI_S_ISFIFO(st.mode) ? CT_OBJ_PIPE
              : VKI_S_ISSOCK(st.mode) ? CT_OBJ_SOCKET : 0;
    struct ct_obj *o = kind ? obj_find(kind, st.dev, st.ino) : NULL;
    if (!o) o = declare(fd, &st, False);
    e->valid = True;
    e->dev = o->dev;
    e->ino = o->ino;
    e->kind = o->kind;
    return o;
}

struct ct_obj *obj_new_version(Int fd)
{
    struct fdent *e = fd_slot(fd);
    struct vg_stat st;
    if (!e || VG_(fstat)(fd, &st) != 0 || !VKI_S_ISREG(st.mode)) return obj_for_fd(fd);
    struct ct_obj *o = declare(fd, &st, True);
    e->valid = True;
    e->dev = o->dev;
    e->ino = o->ino;
    e->kind = o->kind;
    return o;
}
