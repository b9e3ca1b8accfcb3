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
#include "pumpd/srv.h"

#define REQUEST_ROLE_NONE 99   /* an unknown type: no role may send it */

/* The role a request type needs (enum store_role), or REQUEST_ROLE_NONE. */
int request_role(int type);

/* 1 for requests that only read (STATUS, HISTORY, LOG): they are answered
 * from memory even when the change of time they made cannot be stored. */
int request_reads_only(int type);

/* What one request did. */
struct request_out {
	struct msg_reply *r;           /* in: id and req_type set, rest zero;
	                                  out: err, detail, body */
	char text[MSG_TEXT_MAX + 1];   /* the audit line */
	char note[MSG_TEXT_MAX + 1];   /* a second one after it, or "": an
	                                  override's reason, whole */
	struct notes *ns;              /* notes it adds */
	int changed;                   /* the pump or its clock changed */
	int has_hist;                  /* a bolus: hist goes into its history */
	struct msg_history_entry hist;
};

/* Carry out q, sent by rm, on *p and *clk at *now (CLOCK moves *now; the
 * model events found on the way are in srv->events). */
void request_run(struct server *srv, const struct remote *rm,
                 const struct msg_request *q, pump *p, struct pclock *clk,
                 int64_t *now, struct request_out *out);

#endif
