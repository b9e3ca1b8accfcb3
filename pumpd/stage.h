/*
 * pumpd/stage.h — the clinic's edition-3 requests on the pump: staged
 * programming (STAGE, CONFIRM, CANCEL), the alarm test, and what a session
 * that accepted edition 3 gets beside a version-1 one (docs/PROTOCOL.md
 * 8.8-8.11).
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

/* Fit a reply to the session it goes to, just before it is encoded: the
 * state extension for an edition-3 session (accept bit set), else errors
 * 10 and 11 read as RANGE.  s may be NULL (no extension). */
void stage_fit_reply(struct msg_reply *r, const struct session *s);

/* An event a session may receive (12..14 only in edition 3). */
int stage_event_for(const struct session *s, int event);

#endif
