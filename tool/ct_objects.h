/* ct_objects.h — the objects this process reads and writes (files, pipes,
 * sockets, terminals), their connection-local handles, and the map from file
 * descriptors to them. */
#ifndef CT_OBJECTS_H
#define CT_OBJECTS_H
#include "ct_tool.h"

struct ct_obj {
    UInt   handle;          /* >= 1, as sent in CT_MSG_OBJECT */
    UInt   kind;            /* enum ct_obj_kind */
    UInt   flags;           /* CT_OBJF_* as declared */
    Bool   is_source;       /* its bytes get labels when read */
    Bool   seekable;        /* offsets come from the kernel's file position */
    Bool   declared;        /* sent on this connection (only objects in flows are) */
    Bool   pol_trusted;     /* the agent said: a trusted destination, no need to ask
                               again (leak prevention; a file, a connected socket) */
    ULong  dev, ino;
    Long   mtime_ns;
    ULong  size;
    ULong  time_ns;
    ULong  rd_off, wr_off;  /* stream offsets (pipes, sockets, terminals) */
    HChar *name;
    UInt   name_len;
};

/* The object fd refers to now (declared on first use), or NULL for a bad fd. */
struct ct_obj *obj_for_fd(Int fd);
/* The file behind fd starts a new version (created, O_TRUNC, ftruncate 0). */
struct ct_obj *obj_new_version(Int fd);
struct ct_obj *obj_by_handle(UInt handle);
/* The object named `name` (a socket direction: "tcp:...", "udp:...",
 * "unix:..."), created on first use.  Such objects have no inode: the store
 * identifies them by (host, name), so both ends of a connection share one. */
struct ct_obj *obj_named(UInt kind, const HChar *name);
void obj_declare(struct ct_obj *o);     /* send it, once per connection */
void fd_forget(Int fd);
/* chroot(path): resolve path before the call, take it as the root after */
void obj_chroot_pre(const HChar *path);
void obj_chroot_post(void);
void fd_forget_from(Int lowfd, Int highfd);
/* After fork the child has a new connection: declare every object again
 * under the same handles, so labels already in memory stay meaningful. */
void obj_redeclare_all(void);

/* Source rules: --ct-source / --ct-no-source globs, in command-line order. */
void obj_add_source_rule(const HChar *glob, Bool include);
Bool obj_path_is_source(const HChar *path);
Bool ct_glob_match(const HChar *pat, const HChar *s);

#endif
