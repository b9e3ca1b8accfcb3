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
#include <stdint.h>

#include "crypto/keys.h"
#include "pumpd/store.h"

#define STATEDIR_READ  0   /* commands that only read (remotes, rx) */
#define STATEDIR_WRITE 1   /* pumpd run, pair, unpair */

/* 0, or -ENOENT (no directory or no state.db: "run pumpd init first"),
 * -ENOTDIR, -EACCES / -EROFS (a file or the directory cannot be written
 * for STATEDIR_WRITE, or read), with a one-line message in err (errcap
 * bytes) naming the path and what to do. */
int statedir_check(const char *dir, int mode, char *err, size_t errcap);

/* Open the state for use, refusing a damaged one: statedir_check with
 * mode (the directory's mode 0700 included), pump.key and pump.pub one key
 * pair, state.db opened and checked by store_check at level (a
 * STORE_CHECK_*) and bound to that key (a database made before the binding
 * existed is bound now, for STATEDIR_WRITE).  Fills *st, the public key,
 * and *keyp when not NULL (else the private key is not kept).  0, or < 0
 * with a message naming what is wrong, and nothing left open. */
int statedir_open(const char *dir, int mode, int level, struct store **st,
                  keys_secret **keyp, uint8_t pub[32], char *err,
                  size_t errcap);

/* DIR/name into buf (n bytes); 0 or -ENAMETOOLONG. */
int statedir_path(char *buf, size_t n, const char *dir, const char *name);

#endif
