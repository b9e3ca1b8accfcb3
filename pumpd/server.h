/*
 * pumpd/server.h — the running pump: the model on a clock, served over
 * net/peer to paired remotes, durable in pumpd/store.
 */
#ifndef PTM_PUMPD_SERVER_H
#define PTM_PUMPD_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "net/peer.h"

/*
 *   sessions    one live session per remote (a new handshake replaces the
 *               old one); message-1 timestamps must rise per remote and are
 *               stored; handshakes are rate limited per remote and overall
 *               (pumpd/session.h); a remote unpaired while pumpd runs loses
 *               its session at its next request or notification
 *   dispatch    requests by role (patient < clinician < tester; tester
 *               requests only with a simulated clock); request ids rise
 *               per remote; the last id and its reply are stored with the
 *               change they made, in one transaction, before the reply
 *               leaves; a repeated id gets the stored reply
 *               (pumpd/dispatch.h, pumpd/request.h)
 *   notify      one uv timer armed for pump_next_event(); every state change
 *               is pushed to every open session at once, numbered so that
 *               no number repeats across a crash (pumpd/ticker.h,
 *               pumpd/notify.h)
 *
 * Memory: struct server is opaque, owned by the caller from server_new until
 * server_close's callback.  The pump's private key stays in sodium_malloc'd
 * memory (crypto/keys.h) and is freed on close.
 */

struct server_config {
	const char *dir;                       /* state directory */
	const char *listen[PEER_LISTEN_MAX];   /* "tcp:...", "unix:..." */
	int sim;                               /* 1: simulated clock */
	uint32_t speed;                        /* sim: initial speed (0 frozen) */
	uint32_t handshake_ms, frame_ms;       /* 0 = peer defaults */
	/* net/peer.h budgets; 0 = peer default */
	unsigned max_sessions, max_preauth, preauth_per_source;
	uint32_t db_max_pages;                 /* tests: cap the db (0 = none) */
	struct druglib *druglib;               /* limits (pumpd/druglib.h) or
	                                          NULL; the server's once
	                                          server_new succeeds */
};

struct server;

/* Open the state directory (key, database, pump), start listening.  The
 * loop must not be running yet.  Returns 0, or a negative error with a
 * message in err (errcap bytes) and nothing left open or changed on disk
 * (a state it cannot write, an address in use). */
int server_new(uv_loop_t *loop, const struct server_config *cfg,
               struct server **out, char *err, size_t errcap);

/* Bound address of listener i ("unix:/tmp/x.sock", "tcp:127.0.0.1:7470"). */
int server_address(const struct server *srv, unsigned i, char *buf, size_t n);

/* Stop (SIGTERM): stop accepting at once, store the pump's time, let the
 * replies and notifications already queued reach their remotes (for up to
 * flush_ms; 0 = PEER_DEF_FLUSH_MS), then close every session and the
 * database; cb(ud) when every handle is closed and srv is freed.  Requests
 * arriving meanwhile are not read (their remotes resend them to the next
 * pumpd, under the same id).  Call once. */
void server_close(struct server *srv, uint32_t flush_ms, void (*cb)(void *ud),
                  void *ud);
/* After server_close: stop waiting for slow remotes; close them now. */
void server_close_now(struct server *srv);

#endif
