/*
 * tools/scenario/scnsend.h — carrying out a scenario's request steps: each role's
 * rising request id (from 1, or id=N), `retry` (the role's previous
 * request with the same id), a `program` prescription read from its heredoc
 * or file, `refill` without a concentration (the pump's current one), and
 * what the expectations then look at: the last reply and, when an id was
 * repeated, the reply that id got first.
 *
 * Memory: struct scnsend is the caller's (large: keep it static or on the
 * heap); nothing is allocated.
 */
#ifndef PTM_TOOLS_SCENARIO_SCNSEND_H
#define PTM_TOOLS_SCENARIO_SCNSEND_H

#include <stddef.h>
#include <stdint.h>

#include "net/msg.h"
#include "tools/scenario/scnstep.h"
#include "tools/scenario/scnlink.h"
#include "tools/scenario/scnmatch.h"

/* A pump that ran before the scenario (ptmctl run --pump): what makes it
 * look new to the scenario.  All 0 for the scenario's own pump. */
struct scnsend_base {
	uint64_t id[SCN_ROLES];     /* added to every id sent, taken off every
	                               id (and stale_id's last id) received */
	uint64_t log_seq;           /* the audit log's newest seq at the start:
	                               added to `log after=`, taken off each entry */
	uint64_t start_ms;          /* history entries before it are not shown */
	uint64_t time_off;          /* taken off every time in a reply (the pump's
	                               clock is this far past the scenario's start=) */
	unsigned n_counts;          /* STATUS counts at the start, taken off */
	struct msg_count counts[MSG_COUNTS_MAX];
};

struct scnsend {
	const char *file;                       /* the scenario, for messages */
	const char *dir;                        /* its directory: FILE names are
	                                           relative to it */
	uint64_t next_id[SCN_ROLES];
	struct msg_request last_req[SCN_ROLES]; /* for retry */
	int have_last[SCN_ROLES];
	struct msg_reply role_reply[SCN_ROLES]; /* the reply to each role's newest id */
	int have_role_reply[SCN_ROLES];
	struct msg_reply reply;                 /* the last reply */
	int have_reply;
	struct msg_reply orig;                  /* a repeated id: its first reply */
	int have_orig;
	struct msg_state last_state;            /* from the newest reply, even
	                                           before a restart */
	int have_state;
	int restarted;                          /* no request since a restart */
	struct scnsend_base base;               /* set by the caller after init */
	struct msg_rx rx;                       /* the prescription in force: the
	                                           caller's at the start, then each
	                                           program the pump accepted */
	int have_rx;
	uint32_t last_stage_id;                 /* the last ok STAGE reply's id
	                                           (confirm last, cancel last) */
};

/* Fresh: ids start at 1, no replies.  file and dir are kept (not copied). */
void scnsend_init(struct scnsend *s, const char *file, const char *dir);

/* Send a SCN_REQUEST or SCN_RETRY step as its role over l.  Returns 0 when
 * the pump answered (s->reply), -1 with why when the step could not be
 * carried out or got no reply (then there is no last reply). */
int scnsend_step(struct scnsend *s, struct scnlink *l, const struct scn_step *st,
                 char *why, size_t n);

/* Send req (type and body; the id is the role's next) as role, as a step
 * would: for steps made at run time (explore).  As scnsend_step. */
int scnsend_request(struct scnsend *s, struct scnlink *l, int role,
                    const struct msg_request *req, char *why, size_t n);

/* A prescription from heredoc text (its first line is line0 of the
 * scenario) or from a file relative to the scenario's directory, into rx.
 * 0, or -1 with why. */
int scnsend_read_rx(const struct scnsend *s, const char *text, const char *file,
                    unsigned line0, struct msg_rx *rx, char *why, size_t n);

/* The pump restarted: the last reply is gone until the next request. */
void scnsend_restarted(struct scnsend *s);

/* What the reply expectations look at. */
void scnsend_seen(const struct scnsend *s, struct scnmatch_seen *out);

/* name relative to the scenario's directory (absolute names as they are). */
void scnsend_path(const struct scnsend *s, const char *name, char *out, size_t n);

#endif
