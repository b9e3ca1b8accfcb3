/*
 * tools/scenario/scnreq.h — the request words of a scenario step (`as ROLE
 * REQUEST ARGS`, `clock ...`, `fault ...`) into a protocol request.  No I/O.
 *
 *   status | bolus | silence [ALARM|all] | history [N] | program <<WORD |
 *   program FILE | refill VOLUME [CONCENTRATION] | clear ALARM |
 *   log [after=SEQ] [max=N] | run start|stop |
 *   config tubing VOLUME catheter LENGTH VOLUME/LENGTH |
 *   cbolus single DOSE DURATION | cbolus prime VOLUME/h | cbolus bridge |
 *   fault KIND | fault reservoir VOLUME | fault link ... (scnreq_link) |
 *   clock advance DURATION |
 *   clock speed N
 */
#ifndef PTM_TOOLS_SCENARIO_SCNREQ_H
#define PTM_TOOLS_SCENARIO_SCNREQ_H

#include <stddef.h>

#include "net/msg.h"

/* What a PROGRAM request still needs: its prescription follows as a heredoc
 * (word) or is in a file (file).  Both point into the tokens. */
struct scnreq_rx {
	const char *heredoc;
	const char *file;
};

/* tok[0] is the request's name.  Fills r->type and r->u (r->id is left
 * alone; REFILL without a concentration leaves it 0).  Returns 0, or
 * -EINVAL with a message (no file:line prefix) in err. */
int scnreq_parse(char **tok, int ntok, struct msg_request *r,
                 struct scnreq_rx *rx, char *err, size_t errlen);

/* The clinician's CONFIG and CBOLUS words alone (tok[0] "config" or
 * "cbolus"), for ptmctl too: lengths in mm/cm/m and volumes per length
 * (2.2uL/cm) or per hour (1mL/h) exactly, as integers.  0, or -EINVAL with
 * a message in err. */
int scnreq_clinic(char **tok, int ntok, struct msg_request *r, char *err,
                  size_t errlen);

/* The argument of FAULT occlusion ("40%" or "40": the share of the drug
 * that reaches the patient, 0..100) or stall_for (a duration, 1ms..7d)
 * into *arg; 0 for the other kinds.  0, or -EINVAL with a message in err. */
int scnreq_fault_arg(int kind, const char *v, uint64_t *arg, char *err,
                     size_t errlen);

/* A tester's link fault (tok[0] "link"), for ptmctl too:
 *   link drop-requests|drop-replies|cut|duplicate|busy [N]   (N 1..1000, 1)
 *   link delay DURATION [N]        (N replies; none: every one until cleared)
 *   link out-of-range [DURATION]   (none: until cleared)
 *   link clear
 * each with [--remote NAME | remote=NAME] (none: every remote but testers);
 * '_' or '-' in the kind.  Fills r as MSG_LINK.  0, or -EINVAL with a
 * message in err. */
int scnreq_link(char **tok, int ntok, struct msg_request *r, char *err,
                size_t errlen);

#endif
