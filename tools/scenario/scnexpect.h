/*
 * tools/scenario/scnexpect.h — the words of an `expect` line into a scenario step:
 * which expectation, its code (error, outcome, event ...) and its checks
 * (FIELD OP VALUE, with the field's unit).  No I/O.  The field table (which
 * field may appear in which expectation, and its value type) lives here.
 */
#ifndef PTM_TOOLS_SCENARIO_SCNEXPECT_H
#define PTM_TOOLS_SCENARIO_SCNEXPECT_H

#include <stddef.h>

#include "tools/scenario/scnstep.h"

/* tok[0] is the expectation's kind (ok, error, outcome, state, same,
 * counts, history, log, silenced, notify); the rest its arguments.  Fills
 * st->expect, st->code, st->checks and the notify fields.  Returns 0, or
 * -EINVAL with a message (no file:line prefix) in err. */
int scnexpect_parse(char **tok, int ntok, struct scn_step *st, char *err,
                    size_t errlen);

/* The name of an enum scn_field ("reservoir", "dose" ...), "unknown" else. */
const char *scnexpect_field_name(int field);

/* An event name (msg_event_name) to enum msg_event, or -1. */
int scnexpect_event_parse(const char *s);

#endif
