/*
 * tests/soak/soak_db.h — the pump's state database read from outside, read
 * only (SQLite, SQLITE_OPEN_READONLY), while pumpd runs: its integrity
 * check, the ledger (granted rows of the bolus history), a remote's id, and
 * the audit table's size.  Nothing here writes.
 *
 * Memory: a soak_db is the caller's until soak_db_close; soak_db_grants
 * returns a malloc'd array the caller frees.
 */
#ifndef PTM_TESTS_SOAK_DB_H
#define PTM_TESTS_SOAK_DB_H

#include <stddef.h>
#include <stdint.h>

#include "tests/soak/soak_ledger.h"

struct soak_db;

/* Open DIR/state.db read only: 0, or -1 with a reason in err. */
int soak_db_open(const char *state_dir, struct soak_db **out, char *err,
                 size_t cap);
void soak_db_close(struct soak_db *db);

/* PRAGMA integrity_check: 0 when "ok", else -1 with its first line. */
int soak_db_integrity(struct soak_db *db, char *why, size_t cap);

/* Every granted bolus (outcome 0), sorted by time then row: 0 or -1. */
int soak_db_grants(struct soak_db *db, struct soak_grant **out, size_t *n);

/* remotes.id of a paired name, or -1. */
int64_t soak_db_remote_id(struct soak_db *db, const char *name);

/* Rows in the audit table and the highest rowid written (rows written =
 * its growth, even when old rows are rotated away): 0 or -1. */
int soak_db_audit(struct soak_db *db, int64_t *rows, int64_t *last);

#endif
