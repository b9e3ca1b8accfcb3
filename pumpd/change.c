/* pumpd/change.c — a change with a transaction of its own (see change.h). */
#include "pumpd/change.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pumpd/batch.h"
#include "pumpd/notify.h"

int change_store(struct server *srv, const pump *next, struct notes *ns,
                 int (*extra)(struct server *srv, void *ud), void *ud,
                 char *err, size_t errcap)
{
	batch_flush(srv);   /* a transaction of its own: the turn's goes first */
	int e = store_begin(srv->st);
	if (e == 0)
		e = notify_events(srv, ns);
	if (e == 0 && extra)
		e = extra(srv, ud);
	if (e == 0)
		e = srv_save_pump(srv, next);
	if (e == 0)
		e = batch_store_remotes(srv);
	if (e != 0) {
		if (err)
			snprintf(err, errcap, "%s (%s)", strerror(-e),
			         store_errmsg(srv->st));
		store_rollback(srv->st);
		return e;
	}
	e = store_commit(srv->st);
	if (e == 0)
		batch_remotes_stored(srv);
	else if (err)
		snprintf(err, errcap, "%s", strerror(-e));
	return e;
}
