/*
 * pumpd/edition.h — what a session reads, by the edition its HELLO accepted
 * (docs/PROTOCOL.md 8.8): the state extension and errors 10-11, events
 * 12..14 only for edition 3; a version-1 remote reads what it knows.
 */
#ifndef PTM_PUMPD_EDITION_H
#define PTM_PUMPD_EDITION_H

#include "net/msg.h"
#include "pumpd/srv.h"

/* 1 when s accepted edition 3 (s may be NULL: 0). */
int edition_ed3(const struct session *s);

/* Fit a reply to the session it goes to, just before it is encoded: the
 * state extension for an edition-3 session (accept bit set), else errors
 * 10 and 11 read as RANGE; STATUS's delivery block only for a session
 * that accepted it (8.14); typed LOG entries and the state extension's
 * bolus kind only for a session that accepted them (8.15).  s may be
 * NULL (no extension, no block). */
void edition_fit_reply(struct msg_reply *r, const struct session *s);

/* 1 when s accepted typed LOG entries and the bolus kind (8.15). */
int edition_typed(const struct session *s);

/* An event a session may receive (12..14 only in edition 3). */
int edition_event_for(const struct session *s, int event);

#endif
