/*
 * pumpd/statedir.h — the state directory pumpd init made: DIR/pump.key,
 * DIR/pump.pub, DIR/state.db (+ SQLite's state.db-wal and state.db-shm).
 *
 * statedir_check looks before anything is opened, so that a directory pumpd
 * could not write is refused with a message that says so, and nothing in it
 * is touched (SQLite would otherwise open a read-only database quietly, or
 * fail on its write-ahead log with a misleading "unable to open").
 * Permissions are checked for the effective user (root passes them, except
 * on a read-only file system, and can indeed write).
 */
#ifndef PTM_PUMPD_STATEDIR_H
#define PTM_PUMPD_STATEDIR_H

#include <stddef.h>

#define STATEDIR_READ  0   /* commands that only read (remotes, rx) */
#define STATEDIR_WRITE 1   /* pumpd run, pair, unpair */

/* 0, or -ENOENT (no directory or no state.db: "run pumpd init first"),
 * -ENOTDIR, -EACCES / -EROFS (a file or the directory cannot be written
 * for STATEDIR_WRITE, or read), with a one-line message in err (errcap
 * bytes) naming the path and what to do. */
int statedir_check(const char *dir, int mode, char *err, size_t errcap);

/* DIR/name into buf (n bytes); 0 or -ENAMETOOLONG. */
int statedir_path(char *buf, size_t n, const char *dir, const char *name);

#endif
