/*
 * pumpd/linkfault.h — the tester's link faults (LINK, docs/PROTOCOL.md 8.12):
 * requests dropped or refused as busy, replies dropped, delayed, cut short
 * or sent twice, a remote out of range.  In memory only (a restart ends
 * them); simulation only (the request is the tester's).
 *
 * The hooks: a decrypted request passes linkfault_on_request before
 * dispatch (session.c); every reply passes linkfault_on_send (srv_send,
 * through srv->hooks.on_send, which server.c sets);
 * a notification asks linkfault_silent (notify.c); a closed session's
 * delayed replies are dropped by linkfault_forget_session.
 *
 * Memory: linkfault_init allocates srv->lf, linkfault_close frees it once
 * its timer is closed; its delayed replies are malloc'd and freed when sent,
 * forgotten or at close.  srv->lf NULL (out of memory): no faults.
 */
#ifndef PTM_PUMPD_LINKFAULT_H
#define PTM_PUMPD_LINKFAULT_H

#include <stddef.h>
#include <stdint.h>
#include "net/msg.h"

struct server;
struct session;
struct remote;

/* srv->lf allocated, its timer set up on srv's loop: 0, -ENOMEM (then
 * srv->lf is NULL) or a libuv error (then no delays). */
int linkfault_init(struct server *srv);

/* Held replies dropped, the timer closed, srv->lf freed; done(srv)
 * follows (at once when there is no timer to close). */
void linkfault_close(struct server *srv, void (*done)(struct server *srv));

/* Carry out a LINK request: 0, or an MSG_E_RANGE with detail (static
 * string) naming the field: "kind", "remote: not paired", "count", "ms"
 * (MSG_E_INTERNAL when srv->lf is NULL).
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
