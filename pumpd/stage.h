/*
 * pumpd/stage.h — the clinic's edition-3 requests on the pump: staged
 * programming (STAGE, CONFIRM, CANCEL) and the alarm test (docs/PROTOCOL.md
 * 8.8-8.11); what an edition-3 session reads is pumpd/edition.h's.
 */
#ifndef PTM_PUMPD_STAGE_H
#define PTM_PUMPD_STAGE_H

#include <stdint.h>

#include "net/msg.h"
#include "pumpd/request_out.h"
#include "pumpd/srv.h"

/* 1 for the requests stage_run carries out. */
int stage_handles(int type);

/* Carry out STAGE, CONFIRM, CANCEL or ALARMTEST on *p at now (as
 * request_run does: err, detail, body in out->r, audit text in out->text,
 * notes in out->ns). */
void stage_run(struct server *srv, const struct remote *rm,
               const struct msg_request *q, pump *p, int64_t now,
               struct request_out *out);

/* A prescription from the wire has UTC steps (PROTOCOL.md 8.13): when it
 * replaced one in local time (zone, its name before), say so at the end of
 * the audit text and in the log; what names the request ("program"). */
void stage_zone_dropped(struct request_out *out, const char *zone,
                        const char *what);

#endif
