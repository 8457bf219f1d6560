/* version.h — the crosstag release printed by --version. */
#ifndef CT_VERSION_H
#define CT_VERSION_H
#define CT_VERSION "0.1.0"
#endif
