/*
 * pumpd/change.h — a change of the pump outside a request: the model's
 * timer (ticker.c), the control socket's program, start and stop.  It has
 * a transaction of its own: the turn's batch is committed first.
 */
#ifndef PTM_PUMPD_CHANGE_H
#define PTM_PUMPD_CHANGE_H

#include <stddef.h>

#include "pumpd/srv.h"

/* Commit the open batch (pumpd/batch.h), then commit next, a copy of the
 * pump advanced with srv_advance, with the audit rows of the model's
 * events on the way (srv->events; their notes go into ns) and whatever
 * extra(srv, ud) writes (extra may be NULL), in one transaction.  0, or a
 * store error (rolled back; what the store said is in err, errcap bytes,
 * when err is not NULL). */
int change_store(struct server *srv, const pump *next, struct notes *ns,
                 int (*extra)(struct server *srv, void *ud), void *ud,
                 char *err, size_t errcap);

#endif
