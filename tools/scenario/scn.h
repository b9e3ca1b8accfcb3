/*
 * tools/scenario/scn.h — the scenario language (docs/SCENARIOS.md), parsed one
 * line at a time with no I/O (wireguard-tools style).  The runner
 * (scnrun.h) reads files and executes the steps.
 *
 * scn.c holds the file's structure (steps, heredocs, order rules);
 * the words of a line come from scnlex.h, a request's arguments from
 * scnreq.h, an expectation's from scnexpect.h, units from
 * util/units.h.
 *
 *   struct scn *s = scn_new("bolus.scn");
 *   while (read a line)  if (scn_feed(s, line, len) < 0) { scn_error(s) ... }
 *   if (scn_finish(s) < 0) ...
 *   for (i = 0; i < scn_count(s); i++) step = scn_step_at(s, i) ...
 *   scn_free(s);
 *
 * Errors name the file, the line and what is wrong:
 *   bolus.scn:7: expect state: 'reservoir=19.95' needs a unit (mL, uL, nL)
 *
 * Memory: a struct scn and every step, string and heredoc body in it are
 * owned by the scn and freed by scn_free; pointers from scn_step_at stay
 * valid until then.
 */
#ifndef PTM_TOOLS_SCENARIO_SCN_H
#define PTM_TOOLS_SCENARIO_SCN_H

#include <stddef.h>
#include <stdint.h>

#include "tools/scenario/scnstep.h"

#define SCN_ERR_MAX    320

struct scn;

/* A new empty scenario; name is used in messages.  NULL if out of memory. */
struct scn *scn_new(const char *name);
void scn_free(struct scn *s);

/* Feed one line (len bytes, trailing "\n" / "\r\n" ignored, no NUL needed).
 * Returns 0, or -EINVAL with the message in scn_error(); -ENOMEM. */
int scn_feed(struct scn *s, const char *line, size_t len);

/* After the last line: checks for an open heredoc and a missing `pump`
 * line.  Returns 0 or -EINVAL. */
int scn_finish(struct scn *s);

const char *scn_error(const struct scn *s);
size_t scn_count(const struct scn *s);
const struct scn_step *scn_step_at(const struct scn *s, size_t i);

/* The prescription given with `rx` before `pump`: the heredoc text or the
 * file name (relative to the scenario's directory); both NULL when the
 * scenario uses pumpd's default prescription.  *line: where it starts. */
const char *scn_rx_text(const struct scn *s, unsigned *line);
const char *scn_rx_file(const struct scn *s, unsigned *line);


#endif
