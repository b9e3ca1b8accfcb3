/*
 * pumpd/remote.h — the paired remotes as the running pump holds them, found
 * by public key in O(1) for every handshake; loaded once at start and
 * changed only by the daemon itself (pairing through its control socket),
 * so no request or notification reads the store to check a pairing.
 *
 * Memory: a remote in the set is owned by srv->remotes.  An unpaired remote
 * leaves the set at once; if a session still speaks for it, that session
 * owns it until it is dropped (remote_forget).
 */
#ifndef PTM_PUMPD_REMOTE_H
#define PTM_PUMPD_REMOTE_H

#include "pumpd/srv.h"

/* Load every paired remote at start: 0 or a negative error. */
int remote_load_all(struct server *srv);

/* Add a remote that was just paired (its row is committed): the new
 * remote, or NULL when out of memory. */
struct remote *remote_add(struct server *srv, const struct store_remote *sr);

/* The paired remote with this key / name, or NULL. */
struct remote *remote_find(const struct server *srv, const uint8_t pub[32]);
struct remote *remote_find_name(const struct server *srv, const char *name);

/* Take rm out of the set (it was unpaired): freed now, or marked unpaired
 * and left to its session, which finds out at its next request or
 * notification. */
void remote_unpair(struct server *srv, struct remote *rm);

/* Remember the reply to request id (a copy of len bytes): 0, or -ENOMEM
 * (then the id is remembered without a reply: a repeat gets stale_id). */
int remote_set_reply(struct remote *rm, uint64_t id, const uint8_t *buf,
                     size_t len);

/* A handshake's timestamp and time seen, in memory; stored now if the
 * store takes it, else with the next commit (batch_store_remotes). */
void remote_seen(struct server *srv, struct remote *rm, const uint8_t tai[12],
                 int64_t wall_ms);


/* Free rm (out of the set or not) and detach its session. */
void remote_forget(struct server *srv, struct remote *rm);

void remote_free_all(struct server *srv);

#endif
