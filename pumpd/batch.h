/*
 * pumpd/batch.h — group commit: every change of one loop turn (requests,
 * handshake timestamps, audit rows) goes into one open transaction, and the
 * replies and notifications wait for its commit at the end of the turn (a
 * uv_check handle), so many remotes share one fsync and no reply leaves
 * before what it reports is on disk.  A commit that fails undoes the whole
 * turn: the pump, its clock and each remote's request-id memory go back to
 * where they were, every change of the turn is refused with `storage`, and
 * each read of the turn is answered afresh from the state as it was.
 *
 * While a batch holds a change srv->pump is the turn's working state and
 * every reply to any remote is held (it may show a change not yet on disk).
 * A batch of only what may wait (handshake timestamps, audit rows) holds no
 * reply and commits within BATCH_LAZY_MS, or with the next change.  Code
 * that commits a transaction of its own (the ticker, the control socket,
 * start and stop) calls batch_flush first.
 */
#ifndef PTM_PUMPD_BATCH_H
#define PTM_PUMPD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "net/msg.h"
#include "pumpd/srv.h"

#define BATCH_LAZY_MS 200

/* Set up the handles (at start) / close them (cb per handle, three). */
void batch_init(struct server *srv);
void batch_close(struct server *srv, uv_close_cb cb);

/* Open the turn's transaction unless it is open: 0 or a store error (then
 * nothing is open and the caller refuses its change). */
int batch_begin(struct server *srv);
/* Must a reply wait for the batch's commit (it holds a change)? */
int batch_holds_replies(const struct server *srv);

/* A statement of the open batch failed: the turn will be undone. */
void batch_fail(struct server *srv, int err);

/* Notes of one change, sent after the commit. */
void batch_notes(struct server *srv, const struct notes *ns);

/* A change's reply for s (kept by rm as its request-id memory now; back to
 * the old memory if the commit fails). */
void batch_hold_change(struct server *srv, struct session *s, struct remote *rm,
                       const struct msg_request *q, const uint8_t *reply,
                       size_t len);
/* A read's reply for s, answered again after an undone commit. */
void batch_hold_read(struct server *srv, struct session *s,
                     const struct msg_request *q, const uint8_t *reply,
                     size_t len);
/* Any other reply (a refusal, a repeated id's stored reply): sent as is. */
void batch_hold_plain(struct server *srv, struct session *s,
                      const uint8_t *reply, size_t len);

/* srv->pump is the turn's new working state: its serialized form is
 * written once, into the turn's transaction just before the commit (one row
 * for the turn, not one per change). */
void batch_pump_changed(struct server *srv);

/* Commit now (the end of the turn, or before another transaction). */
void batch_flush(struct server *srv);

/* Inside a transaction: store every remote's handshake timestamp that
 * could not be stored before.  0 or a store error (they stay dirty). */
int batch_store_remotes(struct server *srv);
/* After the commit that stored them: none is dirty any more. */
void batch_remotes_stored(struct server *srv);

/* s closed / rm is freed: drop the batch's references to it. */
void batch_forget_session(struct server *srv, struct session *s);
void batch_forget_remote(struct server *srv, struct remote *rm);

#endif
