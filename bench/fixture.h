/*
 * bench/fixture.h — many paired remotes, fast and as pumpd pairs them.
 *
 * Pairing 10,000 keys through `pumpd pair` costs a process and a commit
 * each.  Instead one remote is paired by `pumpd pair` (the template), then
 * with pumpd stopped every other is written in ONE SQLite transaction as a
 * copy of the template's rows: its `remotes` row (every column but the
 * primary key, with the new name and public key) and the audit row pumpd
 * wrote for that pairing (every column but the primary key, the template's
 * name in its text replaced by the new name).  The columns are read from
 * the database (PRAGMA table_info), so the copies follow pumpd's schema;
 * a column the copy cannot fill makes it fail, loudly.  pumpd, started
 * again, checks every remote row at start and loads them as usual.
 *
 * Errors: -1 after printing why to stderr.  Memory: the caller's.
 */
#ifndef PTM_BENCH_FIXTURE_H
#define PTM_BENCH_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "tests/lib/e2e.h"

/* Copy the template remote `tpl` (paired with `pumpd pair`) n times into
 * DIR/state.db (pumpd stopped), named prefix + 5-digit index, with the
 * public keys pubs[i].  0 or -1. */
int fx_clone_remotes(const char *state_dir, const char *tpl, const char *prefix,
                     size_t n, const uint8_t (*pubs)[32]);

/* The pump p (running) gets n more patients: fresh key pairs (private keys
 * into privs, n x 32 bytes, the caller's), a template paired with `pumpd
 * pair`, the rest copied as above while pumpd is stopped; then pumpd runs
 * again.  Says how long it took.  0 or -1. */
int fx_patients(e2e_pump *p, const char *prefix, size_t n, uint8_t (*privs)[32]);

#endif
