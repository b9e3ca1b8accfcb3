/*
 * pumpd/pairing.h — pairing a remote and forgetting it, each one audited
 * change of the store, and the lines that report them: the one code path
 * for the daemon (its control socket) and for pumpd pair/unpair/remotes
 * when no daemon runs.
 */
#ifndef PTM_PUMPD_PAIRING_H
#define PTM_PUMPD_PAIRING_H

#include <stddef.h>
#include <stdint.h>

#include "pumpd/store.h"

/* The remote's row and its audit row ("paired NAME as ROLE", by "pump",
 * at pump_ms) in one transaction.  paired_ms (the wall clock) tells this
 * pairing from a later one of the same key.  0, or -EEXIST (the name or
 * key is paired), -EINVAL, or another store error; nothing written then. */
int pairing_add(struct store *st, const char *name, int role,
                const uint8_t pub[32], int64_t pump_ms, int64_t paired_ms);

/* Forget NAME and its bolus history (the audit log keeps its rows), with
 * an audit row: 0, -ENOENT, or a store error. */
int pairing_remove(struct store *st, const char *name, int64_t pump_ms,
                   int64_t wall_ms);

/* "paired NAME as ROLE; pairing code NNNNNN; pairing check XXXX-...-XXXX"
 * (the remote's side prints the same code and check: crypto/paircode.h). */
void pairing_message(char *buf, size_t n, const char *name, int role,
                     const uint8_t pump_pub[32], const uint8_t pub[32]);

/* One line of `pumpd remotes`: name, role, public key, last seen (UTC). */
void pairing_row(char *buf, size_t n, const char *name, int role,
                 const uint8_t pub[32], int64_t last_seen_ms);

#endif
