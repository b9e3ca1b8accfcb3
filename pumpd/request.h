/*
 * pumpd/request.h — what each request does to the pump, on copies of the
 * pump and its clock that the caller (pumpd/dispatch.h) commits or drops.
 * The role check, request ids and storage are the caller's; store reads
 * (HISTORY, LOG) happen here.
 */
#ifndef PTM_PUMPD_REQUEST_H
#define PTM_PUMPD_REQUEST_H

#include <stdint.h>

#include "net/msg.h"
#include "pumpd/request_out.h"
#include "pumpd/srv.h"

#define REQUEST_ROLE_NONE 99   /* an unknown type: no role may send it */

/* The role a request type needs (enum store_role), or REQUEST_ROLE_NONE. */
int request_role(int type);

/* 1 for requests that only read (STATUS, HISTORY, LOG): they are answered
 * from memory even when the change of time they made cannot be stored. */
int request_reads_only(int type);

/* Carry out q, sent by rm, on *p and *clk at *now (CLOCK moves *now; the
 * model events found on the way are in srv->events). */
void request_run(struct server *srv, const struct remote *rm,
                 const struct msg_request *q, pump *p, struct pclock *clk,
                 int64_t *now, struct request_out *out);

#endif
