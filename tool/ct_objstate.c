/* ct_objstate.c — see ct_objstate.h.  A table fd -> "written through":
 * every write-like call on a regular file marks its descriptor; closing
 * it (close, dup2 over it, close_range) or ending the image (exec, exit)
 * reports the file's mtime and size as this process left them.  Marking
 * is one table lookup per write; reporting one fstat per written file. */
#include "ct_objstate.h"
#include "ct_objects.h"
#include "ct_emit.h"
#include "pub_tool_libcfile.h"
#include "pub_tool_vki.h"
#include "pub_tool_vkiscnums.h"

static Bool *written;
static Int nwritten;

static void mark(Int fd)
{
    if (fd < 0 || fd > (1 << 20)) return;
    if (fd < nwritten && written[fd]) return;
    struct ct_obj *o = obj_for_fd(fd);
    if (!o || o->kind != CT_OBJ_FILE) return;
    written = ct_grow(written, &nwritten, fd, sizeof *written, "ct.written");
    written[fd] = True;
}

static void report(Int fd)
{
    if (fd < 0 || fd >= nwritten || !written[fd]) return;
    written[fd] = False;
    struct vg_stat st;
    struct ct_obj *o = obj_for_fd(fd);
    if (!o || o->kind != CT_OBJ_FILE || VG_(fstat)(fd, &st) != 0) return;
    obj_declare(o);
    em_objstate(o->handle, (Long)(st.mtime * 1000000000ULL + st.mtime_nsec), (ULong)st.size,
                ct_now_ns());
    em_flush();       /* a reader may start right after the close */
}

static void report_range(Int lo, Int hi)
{
    for (Int fd = lo < 0 ? 0 : lo; fd < nwritten && fd <= hi; fd++) report(fd);
}

#define A(i) (args[i])

void os_pre(UInt sysno, UWord *args)
{
    switch (sysno) {
    /* Describe a file before the first write to it changes it: its
     * declaration must show the state the previous writer left. */
    case __NR_write: case __NR_pwrite64: case __NR_writev: case __NR_pwritev: case __NR_pwritev2:
    case __NR_sendfile: case __NR_ftruncate: case __NR_fallocate:
        if ((Int)A(0) >= 0 && ((Int)A(0) >= nwritten || !written[A(0)])) obj_for_fd((Int)A(0));
        break;
    case __NR_splice: case __NR_copy_file_range:
        if ((Int)A(2) >= 0 && ((Int)A(2) >= nwritten || !written[A(2)])) obj_for_fd((Int)A(2));
        break;
    case __NR_close:
        report((Int)A(0));
        break;
    case __NR_dup2: case __NR_dup3:
        if (A(0) != A(1)) report((Int)A(1));
        break;
    case __NR_close_range:
        report_range((Int)A(0), (Int)(A(1) > 0x7fffffff ? 0x7fffffff : A(1)));
        break;
    case __NR_execve: case __NR_execveat: case __NR_exit_group:
        report_range(0, 0x7fffffff);
        break;
    default:
        break;
    }
}

void os_post(UInt sysno, UWord *args, ULong res)
{
    switch (sysno) {
    case __NR_write: case __NR_pwrite64: case __NR_writev: case __NR_pwritev: case __NR_pwritev2:
    case __NR_sendfile: case __NR_ftruncate: case __NR_fallocate:
        mark((Int)A(0));
        break;
    case __NR_splice: case __NR_copy_file_range:
        if (res) mark((Int)A(2));
        break;
    default:
        break;
    }
}

void os_exit(void)
{
    report_range(0, 0x7fffffff);
}
