/*
 * pumpd/session.h — the pump's side of each connection (net/peer callbacks):
 */
#ifndef PTM_PUMPD_SESSION_H
#define PTM_PUMPD_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "net/peer.h"
#include "pumpd/srv.h"

/*
 *   admit    TCP connections are rate limited by source address
 *            (pumpd/srclimit.h), before any key work
 *   lookup   the initiator's key must be paired (from memory, before ss)
 *   static_dh ss = DH(pump key, remote key), kept per remote
 *   accept   its message-1 timestamp must be newer than the last accepted
 *            one (stored with the turn's batch), and handshakes are rate
 *            limited per remote (no overall limit: refusals before the DH
 *            work and the pre-auth budgets of net/peer bound the rest)
 *   open     one live session per remote: a new one replaces the old
 *   message  requests go to dispatch (pumpd/dispatch.h)
 *   close    the session is freed
 *
 * Memory: a struct session is made in on_open and freed in on_close.
 */

/* Handshakes of one remote (a token bucket, taken only by a handshake
 * that passed every other check) */
#define SESSION_RL_REMOTE_BURST 200
#define SESSION_RL_REMOTE_PER_S 100
/* A message-1 timestamp may be ahead of the pump's wall clock by this
 * much (docs/PROTOCOL.md, section 4) */
#define SESSION_CLOCK_AHEAD_MS  (10 * 60 * 1000)
/* A newly paired remote's first timestamp may be this much before its
 * pairing (the pairing's wall clock), no more */
#define SESSION_CLOCK_BEHIND_PAIRING_MS (24LL * 3600 * 1000)

/* The callbacks for the pump's peer_server (ud = srv). */
void session_callbacks(struct server *srv, struct peer_callbacks *cb);

#endif
