/*
 * net/client.h — the remote's side of the pump protocol on a libuv loop:
 * one session to one pump (net/peer.h), request ids, replies matched to
 * requests, timeouts, reconnection, notifications.  Used by ptm, ptmctl and
 * the C tests.
 *
 * Request ids rise per remote: the first id is the wall clock in
 * microseconds (so ids keep rising across program runs), then +1 per
 * request.  If the pump answers STALE_ID (our id is not newer than the
 * last it saw) the client adopts last_id + 1 and sends once more.  A
 * caller may instead choose an id itself (req->id != 0, see
 * client_request): it is then sent as is and never replaced.
 *
 * Requests go to the pump one at a time, in order (the pump remembers only
 * the last id and its reply).  If the link drops while a request is on the
 * wire and reconnect is on, the SAME request with the SAME id is sent again
 * after reconnecting: the pump answers a repeated id with its stored reply
 * and never carries it out twice.  A request whose reply never came ends
 * with CLIENT_E_TIMEOUT or CLIENT_E_LINK: "incomplete communication" — the
 * remote must not claim a dose was given unless the pump said so.
 *
 * Memory: struct client is opaque and owned by the caller from client_new
 * until client_close's callback.  Keys are copied (and zeroed on close).
 * Replies and notifications passed to callbacks are valid during the call.
 */
#ifndef PTM_NET_CLIENT_H
#define PTM_NET_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "net/msg.h"
#include "net/peer.h"

/* link states for on_link */
enum client_link {
	CLIENT_CONNECTING = 1,  /* connecting or handshaking */
	CLIENT_UP         = 2,  /* session open: requests flow */
	CLIENT_DOWN       = 3,  /* no session (retrying later if reconnect is on) */
};

/* local outcomes of a request (negative; a reply from the pump is 0) */
#define CLIENT_E_TIMEOUT  (-1001) /* no reply within the request timeout */
#define CLIENT_E_LINK     (-1002) /* link lost, reply unknown (no reconnect,
                                     or the resend was answered STALE_ID) */
#define CLIENT_E_CLOSED   (-1003) /* client_close with the request pending */
#define CLIENT_E_PROTO    (-1004) /* the pump sent something undecodable */
#define CLIENT_E_BUSY     (-1005) /* too many requests queued */
#define CLIENT_E_ENCODE   (-1006) /* the request did not encode (bad field) */

#define CLIENT_DEF_BACKOFF_MIN_MS 250u
#define CLIENT_DEF_BACKOFF_MAX_MS 10000u
#define CLIENT_DEF_TIMEOUT_MS     10000u
#define CLIENT_QUEUE_MAX          64

struct client;

struct client_config {
	const char *address;        /* "tcp:127.0.0.1:7470", "unix:/run/ptm.sock" */
	const uint8_t *key;         /* remote static private key, 32 bytes: not
	                               copied (keep it in guarded memory,
	                               crypto/keys.h); valid until the close
	                               callback */
	const uint8_t *pump_key;    /* pump static public key, 32 bytes */
	int reconnect;              /* 1: reconnect with backoff after a drop */
	uint32_t backoff_min_ms;    /* 0 = 250 ms, doubling ... */
	uint32_t backoff_max_ms;    /* ... up to this (0 = 10 s) */
	uint32_t request_timeout_ms;/* 0 = 10 s, from client_request */
	struct peer_limits limits;  /* 0s = peer defaults */
	void *ud;
	/* state: enum client_link; reason: PEER_R_* when going DOWN, else 0 */
	void (*on_link)(void *ud, int state, int reason);
	void (*on_notify)(void *ud, const struct msg_notify *n);
};

/* status 0: reply is the pump's answer (look at reply->err and the body).
 * status < 0: CLIENT_E_*; reply is NULL. */
typedef void (*client_reply_fn)(void *ud, int status, const struct msg_reply *reply);

/* Whether address names a pump a client can connect to: "unix:PATH" (or
 * a path with a '/'), or "tcp:HOST:PORT" with a numeric HOST (127.0.0.1,
 * [::1]) or localhost and a PORT of 1..65535.  0, or -EINVAL with a message
 * in err (errcap bytes, may be NULL) that quotes the address rendered
 * printable and says what to write, e.g.
 *   'bogus:x': not an address; use unix:PATH or tcp:HOST:PORT
 *   'tcp:127.0.0.1:99999': not an address (port 99999 is not 1..65535); use ...
 * Callers check before anything else, so a typo is a usage error and never
 * looks like a refused key or a pump that is down. */
#define CLIENT_ADDR_HINT "use unix:PATH or tcp:HOST:PORT"
int client_check_address(const char *address, char *err, size_t errcap);

/* Create and start connecting.  Returns 0 and *out, or a negative error
 * (-EINVAL bad config/address (client_check_address), -ENOMEM) with
 * nothing left open.
 * on_link(CONNECTING) is called from the loop, not from client_new. */
int client_new(uv_loop_t *loop, const struct client_config *cfg,
               struct client **out);

/* Queue a request: req->type and body are the caller's.
 *   req->id == 0: the client picks the next rising id and fills it in
 *     (so reset it to 0 before reusing a struct for a new request);
 *   req->id != 0: sent with exactly that id (scripts, protocol tests): a
 *     repeated id gets the pump's stored reply, never a second execution;
 *     a STALE_ID reply is passed on as it is, not retried with a new id.
 *     Later automatic ids are made larger than it.
 * cb is called exactly once, from the loop, unless this returns < 0
 * (then never, and req->id is as it was): -EINVAL (not a request type /
 * bad field), -ENOTCONN (link down and reconnect off), -ENOMEM,
 * CLIENT_E_BUSY, CLIENT_E_CLOSED. */
int client_request(struct client *c, struct msg_request *req,
                   client_reply_fn cb, void *ud);

/* enum client_link */
int client_state(const struct client *c);

/* The id the next request will get. */
uint64_t client_next_id(const struct client *c);

/* Close: pending requests end with CLIENT_E_CLOSED, the session closes,
 * then cb(ud) when every handle is closed and c is freed (cb may be NULL).
 * No on_link after this.  Call once. */
void client_close(struct client *c, void (*cb)(void *ud), void *ud);

/* Blocking convenience: its own private loop; connect (no reconnect), send
 * req, wait for the reply, close everything.  Returns 0 with *out filled
 * (look at out->err), or a negative error: CLIENT_E_* or the PEER_R_*
 * reason the session failed with (PEER_R_CONNECT, PEER_R_HANDSHAKE ...).
 * timeout_ms covers connecting too (0 = default).  req->id as for
 * client_request: 0 = a fresh rising id (filled in), else sent as is. */
int client_call(const struct client_config *cfg, struct msg_request *req,
                struct msg_reply *out, int timeout_ms);

/* A client_call / callback status in words (net/client_why.c). */
const char *client_strerror(int status);
/* The same, for a request to the pump at addr: a connection that failed
 * names the address and asks whether pumpd runs ("cannot connect to the
 * pump at unix:/x.sock (no such file): is pumpd running? ...").  Written
 * into buf (cap bytes), which is returned. */
const char *client_strerror_at(int status, const char *addr, char *buf,
                               size_t cap);

#endif
