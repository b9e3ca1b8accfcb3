/*
 * pumpd/remote.h — the paired remotes as the running pump holds them: a copy
 * of each store row with its request-id memory and handshake timestamp, and
 * the check that a remote is still paired (`pumpd unpair` works on the
 * database while pumpd runs).
 *
 * Memory: remotes live on srv->remotes; remote_forget and remote_free_all
 * free them (detaching a live session first).
 */
#ifndef PTM_PUMPD_REMOTE_H
#define PTM_PUMPD_REMOTE_H

#include "pumpd/srv.h"

/* The in-memory remote for store row sr, made or brought up to date.  A
 * row that now holds another pairing than the one in memory (unpaired and
 * paired again into the same row id) starts afresh, and the old pairing's
 * session is closed.  NULL when out of memory. */
struct remote *remote_sync(struct server *srv, const struct store_remote *sr);

/* Load every paired remote at start: 0 or a store error. */
int remote_load_all(struct server *srv);

/* Is rm still paired as it was?  1 yes; 0 no (unpaired, paired again, role
 * changed); < 0 the store cannot tell.  One indexed lookup. */
int remote_still_paired(struct server *srv, const struct remote *rm);

/* Forget rm (its session, if any, no longer speaks for it) and free it. */
void remote_forget(struct server *srv, struct remote *rm);

void remote_free_all(struct server *srv);

#endif
