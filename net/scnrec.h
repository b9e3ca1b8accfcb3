/*
 * net/scnrec.h — record what a remote saw as a scenario file
 * (docs/SCENARIOS.md) that `ptmctl run` replays as a test: the pump's state
 * at the start (its prescription as the state shows it, `pump sim` at its
 * clock and reservoir), then each change the pump pushed as the request
 * that causes it (bolus, silence, program, refill, clear, run, fault,
 * clock advance) and what was seen as expectations.  Used by `ptmctl watch
 * --record FILE` and `ptm --record FILE`: a remote that sends requests
 * itself gives them with scnrec_request, which records the request and its
 * reply exactly instead of inferring them, and the notifications its own
 * change then causes (its bolus started, the alarms it silenced) are
 * checked as `expect notify`, not taken for another remote's steps.  In
 * net/ (protocol events in, text out; no I/O but the caller's FILE) so
 * that ptm and ptmctl both link it.
 *
 * Memory: the recorder is the caller's from scnrec_new to scnrec_free; the
 * FILE is the caller's (flushed after every step, never closed here).
 */
#ifndef PTM_NET_SCNREC_H
#define PTM_NET_SCNREC_H

#include <stdio.h>

#include "net/msg.h"

struct scnrec;

struct scnrec *scnrec_new(FILE *out);
void scnrec_free(struct scnrec *r);

/* Who records, for the file's header (a static string; the default is
 * "ptmctl watch --record"). */
void scnrec_set_by(struct scnrec *r, const char *by);

/* The pump's state when recording starts (a STATUS reply's): the
 * scenario's rx and `pump sim` line.  Later calls before it are ignored. */
void scnrec_begin(struct scnrec *r, const struct msg_state *st);

/* A notification: the step that caused it (or an `expect notify` for what
 * follows from time), and the state it showed. */
void scnrec_note(struct scnrec *r, const struct msg_notify *n);

/* A request the recording remote sent (role: 0 patient, 1 clinician, 2
 * tester) and the reply it got: the step and its outcome. */
void scnrec_request(struct scnrec *r, int role, const struct msg_request *q,
                    const struct msg_reply *rep);

/* 1 once scnrec_begin was called. */
int scnrec_begun(const struct scnrec *r);

#endif
