/*
 * pumpd/cli/rxlimit.h — the drug library on pumpd's command line: the
 * library --drug-library names loaded (FILE, "none", or the shipped one),
 * and a prescription file checked against it, a soft limit passed only
 * under --override REASON (docs/PROTOCOL.md 8.10; pumpd(8), DRUG LIBRARY).
 */
#ifndef PTM_PUMPD_CLI_RXLIMIT_H
#define PTM_PUMPD_CLI_RXLIMIT_H

#include <stddef.h>

#include "pump/pump.h"
#include "pumpd/druglib.h"

/* Room for rxlimit_check's note: an audit row. */
#define RXLIMIT_NOTE_MAX (MSG_TEXT_MAX + 1)

/* Load the library arg names: NULL = the shipped one (data/druglib.txt,
 * built in), "none" = no library (*out NULL), else a file.  *what (may be
 * NULL) says which, for a log line.  0, or -1 after printing
 * "pumpd CMD: drug library <why>". */
int rxlimit_load(const char *cmd, const char *arg, struct druglib **out,
                 const char **what);

/* An --override reason: 1..63 printable ASCII bytes.  0, or CLI_USAGE
 * after printing why. */
int rxlimit_override_ok(const char *cmd, const char *why);

/* Check rx (from file) against lib with override (NULL: none): 0 with
 * note = "" or the audit row that follows the change's own when a soft
 * limit passed under the override (druglib_override_row), or CLI_USAGE
 * after printing
 * "pumpd CMD: FILE: DETAIL ..." (a hard limit, or a soft one without an
 * override). */
int rxlimit_check(const char *cmd, const char *file, const struct druglib *lib,
                  const pump_rx *rx, const char *override, char *note,
                  size_t notecap);

#endif
