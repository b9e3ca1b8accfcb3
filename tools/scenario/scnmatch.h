/*
 * tools/scenario/scnmatch.h — whether an expectation holds: the checks of an
 * `expect` step against the last reply, or against a notification.  Pure:
 * no I/O.  A failure comes with a message for the tester: what was
 * expected and the actual value in the check's own units, exactly
 *   reservoir=19.95mL: got 19.94375 mL (19943750 nL)
 */
#ifndef PTM_TOOLS_SCENARIO_SCNMATCH_H
#define PTM_TOOLS_SCENARIO_SCNMATCH_H

#include <stddef.h>

#include "net/msg.h"
#include "tools/scenario/scnstep.h"

/* What a reply expectation looks at. */
struct scnmatch_seen {
	const struct msg_reply *reply;  /* the last reply; NULL: none */
	const struct msg_reply *orig;   /* the last request repeated its role's
	                                   last id: the reply that id got first;
	                                   else NULL */
	int restarted;                  /* no request since the pump restarted */
	int no_reply;                   /* the last request got no reply */
	uint64_t refill_slack_ms;       /* next_refill may be this much earlier
	                                   than expected (see below) */
};

/* refill_slack_ms: a pump that ran before the scenario (ptmctl run --pump)
 * keeps under 1 ng of basal it owes from before the set-up (its rounding
 * of the exact integral, which no request resets), so its forecast of the
 * next refill may come up to 1 ng's delivery time early.  0 for the
 * scenario's own pump: exact. */

/* Every expectation but NOTIFY: 1 if it holds, else 0 with why. */
int scnmatch_reply(const struct scn_step *st, const struct scnmatch_seen *seen,
                   char *why, size_t n);

/* NOTIFY: 1 if notification nt has the step's event and alarm and passes
 * its checks (on nt's state block).  0 otherwise, with why "" when the
 * event or alarm differ, else the checks that failed. */
int scnmatch_note(const struct scn_step *st, const struct msg_notify *nt,
                  uint64_t refill_slack_ms, char *why, size_t n);

/* "alarm_raised motor_stall" */
void scnmatch_describe_note(const struct msg_notify *nt, char *buf, size_t n);

#endif
