/* ct_shm.h — memory shared between processes: MAP_SHARED file mappings
 * (regular files, /dev/shm) and SysV segments (shmat).
 *
 * A shared region is an object (its file; a SysV segment is the file
 * "/SYSVkkkkkkkk" of the kernel's shm mount, identified by its shm id).
 * Each process labels the region's bytes with the object's own labels
 * when it maps it (a source, like a read).  Its writes into the region
 * become flows into the object at every syscall that can tell another
 * process about them (writes, sends, futex wakes, signals, semop, close,
 * exit, exec, munmap, msync, shmdt): only the pages whose labels changed
 * since the last flush.  A byte read from the region counts the writes
 * up to the reader's last syscall before its sink (shm_read_time): the
 * reader learnt that the data was there through some syscall. */
#ifndef CT_SHM_H
#define CT_SHM_H
#include "ct_tool.h"
#include "ct_labels.h"

struct ct_obj;

/* A MAP_SHARED mapping of file object o at addr (len bytes, file offset
 * off, of which n exist in the file) was made: label and register it. */
void shm_map(struct ct_obj *o, Addr addr, ULong len, ULong off, ULong n, UWord prot);
/* Flows for the changed pages of shared mappings overlapping [a, a+len);
 * unmap: forget the mappings that lie inside it. */
void shm_flush(Addr a, ULong len, Bool unmap, UInt sysno);

void shm_pre(UInt sysno, UWord *args);              /* flush points, shmdt */
void shm_post(UInt sysno, UWord *args, SysRes res); /* shmat; the sync time */

/* The read time to put on a flow from direct label chunk c. */
static inline ULong shm_read_time(const struct lab_chunk *c);

/* ---- inline part ---- */
extern Bool *shm_is_shared;        /* by object handle */
extern UInt shm_nshared;           /* capacity of shm_is_shared */
extern ULong shm_last_sync;
static inline ULong shm_read_time(const struct lab_chunk *c)
{
    if (LIKELY(c->handle >= shm_nshared) || !shm_is_shared[c->handle]) return c->time_ns;
    return shm_last_sync > c->time_ns ? shm_last_sync : c->time_ns;
}

#endif
