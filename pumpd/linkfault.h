/*
 * pumpd/linkfault.h — the tester's link faults (LINK, docs/PROTOCOL.md 8.12):
 * requests dropped or refused as busy, replies dropped, delayed, cut short
 * or sent twice, a remote out of range.  In memory only (a restart ends
 * them); simulation only (the request is the tester's).
 *
 * The hooks: a decrypted request passes linkfault_on_request before
 * dispatch (session.c); every reply passes linkfault_on_send (srv_send);
 * a notification asks linkfault_silent (notify.c); a closed session's
 * delayed replies are dropped by linkfault_forget_session.
 *
 * Memory: struct linkfault lives in struct server; its delayed replies are
 * malloc'd and freed when sent, forgotten or at close.
 */
#ifndef PTM_PUMPD_LINKFAULT_H
#define PTM_PUMPD_LINKFAULT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "net/msg.h"

struct server;
struct session;
struct remote;

#define LINKFAULT_TARGETS 16   /* named remotes with faults, besides "all" */

/* The faults of one target (a remote by name, or "" = every remote that is
 * not a tester). */
struct linkfault_target {
	int used;
	char name[MSG_REMOTE_MAX + 1];
	uint32_t drop_req, drop_rep, cut, dup, busy;   /* left to do */
	uint32_t delay_ms;             /* 0: no delay */
	uint32_t delay_left;           /* replies left to delay (delay_all: -) */
	int delay_all;                 /* every reply until cleared */
	int oor;                       /* out of range ... */
	int64_t oor_until;             /* ... until this monotonic ms (0 = until
	                                  cleared) */
};

struct linkfault_held;

struct linkfault {
	struct linkfault_target all;
	struct linkfault_target t[LINKFAULT_TARGETS];
	struct linkfault_held *head;   /* delayed replies, by due time */
	uv_timer_t timer;
	int timer_on;
};

/* The timer set up on srv's loop (0 or a libuv error). */
int linkfault_init(struct server *srv);

/* Close the timer; cb (with handle->data = srv) follows.  Held replies
 * are dropped. */
void linkfault_close(struct server *srv, uv_close_cb cb);

/* Carry out a LINK request: 0, or an MSG_E_RANGE with detail (static
 * string) naming the field: "kind", "remote: not paired", "count", "ms".
 * text gets the audit line's words ("drop-replies 2 for ptm1"). */
int linkfault_set(struct server *srv, const struct msg_request *q,
                  const char **detail, char *text, size_t textcap);

/* A request from s has arrived (decrypted): 1 when a fault took it (it was
 * discarded, or refused as busy), 0 to carry on. */
int linkfault_on_request(struct server *srv, struct session *s,
                         const uint8_t *msg, size_t len);

/* A reply to s is to leave: 1 when a fault took care of it (dropped,
 * held, cut, or sent twice), 0 to send it as usual. */
int linkfault_on_send(struct server *srv, struct session *s,
                      const uint8_t *buf, size_t len);

/* 1 while s's remote is out of range: nothing is sent to it. */
int linkfault_silent(struct server *srv, const struct session *s);

/* s is closing: its held replies are dropped. */
void linkfault_forget_session(struct server *srv, const struct session *s);

#endif
