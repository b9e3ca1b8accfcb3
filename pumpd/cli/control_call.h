/*
 * pumpd/cli/control_call.h — a command's side of the control socket
 * (pumpd/control.h): send one request to the daemon that holds a state
 * directory and read its reply.  Blocking; for the command line.
 */
#ifndef PTM_PUMPD_CONTROL_CALL_H
#define PTM_PUMPD_CONTROL_CALL_H

#include <stddef.h>

/* Send line (VERB TAB ARGS, no LF) and body (len bytes, may be NULL) to the
 * daemon of dir.  Returns the daemon's status (0 ok, else the exit code it
 * gives, with its message in err) and *reply (malloc'd, NUL-terminated
 * body; free it), or < 0 when the daemon could not be reached (message in
 * err; *reply NULL).  Retries a connection refused for up to wait_ms (a
 * daemon that holds the lock but is still starting). */
int control_call(const char *dir, const char *line, const char *body,
                 size_t len, unsigned wait_ms, char **reply, char *err,
                 size_t errcap);

#endif
