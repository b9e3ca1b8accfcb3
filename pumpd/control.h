/*
 * pumpd/control.h — the running daemon's control socket, DIR/control.sock:
 * how `pumpd pair`, `unpair`, `remotes`, `rx` and `status` reach a pump that
 * is running, so that the daemon stays the only writer of its state (tmux's
 * client/server, `wg set` on a live interface).  Only the state directory's
 * owner (or root) can reach it: the directory is 0700, the socket 0600, and
 * the peer's uid is checked (SO_PEERCRED).
 *
 * One request per connection, text:
 *   request   VERB [TAB ARG]... LF, then a body (possibly empty) to EOF
 *   reply     "ok" LF, or "error" TAB CODE TAB MESSAGE LF (CODE: the
 *             command's exit status, 1 or 2); then a body to EOF
 * Verbs: status; pair NAME ROLE BASE64KEY; unpair NAME; remotes; rx
 * (print the prescription); program [OVERRIDE] (body: a prescription
 * file, checked against the daemon's drug library; OVERRIDE: the reason
 * that passes a soft limit).
 */
#ifndef PTM_PUMPD_CONTROL_H
#define PTM_PUMPD_CONTROL_H

#include <stddef.h>
#include <uv.h>

#define CONTROL_SOCK     "control.sock"
#define CONTROL_REQ_MAX  (64 * 1024)     /* request line and body */
#define CONTROL_DEADLINE_MS 10000        /* a request arrives whole within */

struct server;
struct control;

/* Listen on DIR/control.sock on loop (a stale file is replaced: the
 * caller holds the state directory's lock).  0, or < 0 with a message in
 * err; either way *out is set and is closed with control_close. */
int control_start(uv_loop_t *loop, struct server *srv, const char *dir,
                  struct control **out, char *err, size_t errcap);

/* Stop listening, drop the connections, unlink the socket; cb(ud) once
 * every handle is closed.  Call once. */
void control_close(struct control *c, void (*cb)(void *ud), void *ud);

#endif
