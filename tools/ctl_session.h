/*
 * tools/ctl_session.h — requests with the request id chosen by the caller,
 * on a session to one pump that stays open between requests.
 *
 * net/client.h numbers requests itself (and adopts last_id + 1 after a
 * STALE_ID); scenarios and `ptmctl --id` must send an explicit id, resend
 * the same id, or send a stale one on purpose, so this runs net/peer.h
 * directly: connect and handshake when needed, send the request exactly as
 * given, wait for the reply with the same id, keep the session for the
 * next request.  Notifications that arrive are counted and dropped.
 * Blocking, each session on its own private libuv loop that runs only
 * inside ctl_sess_call.
 *
 * Statuses: 0 with *out filled (look at out->err), or CLIENT_E_TIMEOUT,
 * CLIENT_E_PROTO, CLIENT_E_ENCODE (net/client.h), or the PEER_R_* reason the
 * session ended with (PEER_R_CONNECT, PEER_R_EOF ...).  After a failure the
 * session is closed; the next call connects again.
 *
 * Memory: a ctl_sess is owned by the caller from ctl_sess_new to
 * ctl_sess_free; keys are copied into it and zeroed by ctl_sess_free.
 */
#ifndef PTM_TOOLS_CTL_SESSION_H
#define PTM_TOOLS_CTL_SESSION_H

#include <stdint.h>

#include "net/msg.h"

struct ctl_sess;

/* NULL when out of memory.  address is copied. */
struct ctl_sess *ctl_sess_new(const char *address, const uint8_t key[32],
                              const uint8_t pump_pub[32]);
int ctl_sess_call(struct ctl_sess *s, const struct msg_request *req,
                  struct msg_reply *out, uint32_t timeout_ms);
/* Notifications received (and dropped) so far. */
unsigned long ctl_sess_notifications(const struct ctl_sess *s);
/* Close the session (if open), zero the keys, free.  NULL is fine. */
void ctl_sess_free(struct ctl_sess *s);

/* One request on a fresh session: new, call, free. */
int ctl_exchange(const char *address, const uint8_t key[32],
                 const uint8_t pump_pub[32], const struct msg_request *req,
                 struct msg_reply *out, uint32_t timeout_ms);

/* A short message for a status from ctl_sess_call or client_call. */
const char *ctl_strstatus(int status);

#endif
