/*
 * pumpd/control_ops.h — what the control socket's verbs do to the running
 * pump (see control.h): the owner's operations, carried out by the daemon
 * on its own state in memory and committed like any other change.
 */
#ifndef PTM_PUMPD_CONTROL_OPS_H
#define PTM_PUMPD_CONTROL_OPS_H

#include <stddef.h>

#include "util/fmt.h"

struct server;

/* Carry out one request: argv[0] is the verb, argc >= 1; body is the
 * request's body (NUL-terminated, len bytes).  Writes the reply body to
 * out; returns 0, or an exit code (1 runtime, 2 usage) with its one-line
 * message in err. */
int control_ops_run(struct server *srv, int argc, char **argv,
                    const char *body, size_t len, struct strbuf *out,
                    char *err, size_t errcap);

#endif
