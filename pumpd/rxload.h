/*
 * pumpd/rxload.h — read a prescription file (the format of pumpd(8), parsed
 * by net/rxfile.h line by line) and check it against the pump's limits.
 */
#ifndef PTM_PUMPD_RXLOAD_H
#define PTM_PUMPD_RXLOAD_H

#include "pump/pump.h"

#include <stddef.h>
#include <stdio.h>

#define RXLOAD_TEXT_MAX 65536   /* a prescription file's size at most */

/* A prescription from text (len bytes; name is used in messages): fill
 * *out (battery life: the default's; a zone key resolved in the tz
 * database, $TZDIR or /usr/share/zoneinfo: pumpd/tzfile.h).  0, or -1 with what is wrong, naming
 * the file, line and field, in err (errcap bytes). */
int rxload_text(const char *name, const char *text, size_t len, pump_rx *out,
                char *err, size_t errcap);

/* A prescription in the file format (net/rxfile.h), its zone included
 * (the wire's block has none): 0 or -EIO. */
int rxload_fprint(const pump_rx *rx, FILE *f);

/* The same from a file: 0, or -1 after printing the message to stderr. */
int rxload_file(const char *path, pump_rx *out);

/* The file's text (malloc'd, NUL-terminated, *len bytes), at most
 * RXLOAD_TEXT_MAX: 0, or -1 after printing why to stderr. */
int rxload_read(const char *path, char **text, size_t *len);

#endif
