/*
 * pumpd/rxload.h — read a prescription file (the format of pumpd(8), parsed
 * by net/rxfile.h line by line) and check it against the pump's limits.
 */
#ifndef PTM_PUMPD_RXLOAD_H
#define PTM_PUMPD_RXLOAD_H

#include "pumpd/pump.h"

/* Fill *out (battery life: the default's).  0, or -1 after printing to
 * stderr what is wrong, naming the file, line and field. */
int rxload_file(const char *path, pump_rx *out);

#endif
