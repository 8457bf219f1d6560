/* paths.h — where crosstag finds things: the default database, programs on
 * PATH, its own lib dir. */
#ifndef CT_PATHS_H
#define CT_PATHS_H

#include <stddef.h>

/* $CROSSTAG_DB, else $HOME/.local/share/crosstag/crosstag.db (HOME from
 * the password database when unset).  0, or -1 with a message on stderr. */
int ct_default_db(char *buf, size_t n);

/* Resolves a command like execvp would: names with a '/' as they are,
 * others through $PATH.  0 with the path in out, else an errno value:
 * ENOENT (not found) or EACCES (found, not executable). */
int ct_find_program(const char *name, char *out, size_t n);

/* $CROSSTAG_LIB, else $(dirname /proc/self/exe)/../lib/crosstag.
 * 0, or -1 when it cannot be worked out. */
int ct_lib_dir(char *out, size_t n);

#endif
