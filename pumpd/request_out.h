/*
 * pumpd/request_out.h — what one request did (its reply, audit lines, notes
 * and history entry): filled by request.c and by stage.c for the
 * edition-3 requests, which request.c hands on.
 */
#ifndef PTM_PUMPD_REQUEST_OUT_H
#define PTM_PUMPD_REQUEST_OUT_H

#include "net/msg.h"

struct notes;

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

#endif
