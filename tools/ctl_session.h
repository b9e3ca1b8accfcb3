/*
 * tools/ctl_session.h — one request on a fresh session, with the request id
 * chosen by the caller.
 *
 * net/client.h numbers requests itself (and adopts last_id + 1 after a
 * STALE_ID); scenarios and `ptmctl --id` must send an explicit id, resend
 * the same id, or send a stale one on purpose, so this runs net/peer.h
 * directly: connect, handshake, send req exactly as given, wait for the
 * reply with the same id (notifications on the way are counted and
 * dropped), close.  Blocking, on a private libuv loop; nothing is left
 * open on return.
 *
 * Returns 0 with *out filled (look at out->err), or a negative status:
 * CLIENT_E_TIMEOUT, CLIENT_E_PROTO, CLIENT_E_ENCODE (net/client.h) or the
 * PEER_R_* reason the session ended with (PEER_R_CONNECT ...).
 */
#ifndef PTM_TOOLS_CTL_SESSION_H
#define PTM_TOOLS_CTL_SESSION_H

#include <stdint.h>

#include "net/msg.h"

int ctl_exchange(const char *address, const uint8_t key[32],
                 const uint8_t pump_pub[32], const struct msg_request *req,
                 struct msg_reply *out, uint32_t timeout_ms);

/* A short message for a status from ctl_exchange or client_call. */
const char *ctl_strstatus(int status);

#endif
