/*
 * pumpd/stage.h — the clinic's edition-3 requests on the pump: staged
 * programming (STAGE, CONFIRM, CANCEL) and the alarm test (docs/PROTOCOL.md
 * 8.8-8.11); what an edition-3 session reads is pumpd/edition.h's.
 */
#ifndef PTM_PUMPD_STAGE_H
#define PTM_PUMPD_STAGE_H

#include <stdint.h>

#include "net/msg.h"
#include "pumpd/request.h"
#include "pumpd/srv.h"

/* 1 for the requests stage_run carries out. */
int stage_handles(int type);

/* Carry out STAGE, CONFIRM, CANCEL or ALARMTEST on *p at now (as
 * request_run does: err, detail, body in out->r, audit text in out->text,
 * notes in out->ns). */
void stage_run(struct server *srv, const struct remote *rm,
               const struct msg_request *q, pump *p, int64_t now,
               struct request_out *out);

#endif
