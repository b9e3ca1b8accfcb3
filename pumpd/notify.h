/*
 * pumpd/notify.h — what remotes hear without asking: every change of the
 * pump's state becomes notes (event, alarm) with audit rows, written in the
 * change's transaction, and after its commit one notification per note to
 * every open session, each carrying the state block.
 *
 * Sequence numbers are boot << 32 | n: boot counts the pump's starts (stored
 * before it serves), n counts from 1 within a start.  Nothing is stored per
 * notification, and no number repeats after a crash.
 */
#ifndef PTM_PUMPD_NOTIFY_H
#define PTM_PUMPD_NOTIFY_H

#include <stdint.h>

#include "net/msg.h"
#include "pumpd/srv.h"

/* Add a note (alarm 0 when none); beyond SRV_NOTES_MAX it is dropped. */
void notify_note(struct notes *ns, int event, int alarm);

/* The model's events in srv->events (srv_advance, srv_collect) -> notes
 * and audit rows, inside the caller's transaction; srv->events is then
 * empty.  0 or a store error. */
int notify_events(struct server *srv, struct notes *ns);

/* Make room for one change's notes; call outside a transaction, before it.
 * When n would run out the next boot number is stored first.  0, or a
 * store error (then send nothing). */
int notify_room(struct server *srv);

/* Send every note, in order, with state st, to every open session whose
 * remote is still paired (one that is not is closed instead). */
void notify_send(struct server *srv, const struct notes *ns,
                 const struct msg_state *st);

#endif
