/*
 * tools/scenario/scntap.h — the scenario runner's TAP (version 12) stream: test
 * points "ok N - DESCRIPTION" / "not ok N - ...", diagnostics "#   ...",
 * comments "# ...", and the plan "1..N" at the end.  Every line is flushed
 * as it is written, so a runner that dies leaves what it had found.
 */
#ifndef PTM_TOOLS_SCENARIO_SCNTAP_H
#define PTM_TOOLS_SCENARIO_SCNTAP_H

#include <stdio.h>

struct scntap {
	FILE *out;        /* the caller's stream */
	unsigned n;       /* test points so far */
	int failed;       /* 1 once a point was not ok */
};

/* One test point "FILE:LINE: WHAT" (only WHAT when file is NULL); fmt (may
 * be NULL) adds diagnostics, one "#   " line per line of the text. */
void scntap_point(struct scntap *t, int ok, const char *file, unsigned line,
                  const char *what, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* A step that was not carried out: "ok N - FILE:LINE: WHAT # SKIP REASON"
 * (reason on one line). */
void scntap_skip(struct scntap *t, const char *file, unsigned line, const char *what,
                 const char *reason);

/* More diagnostic lines ("#   TEXT") for the point just written. */
void scntap_diag(struct scntap *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A comment line "# TEXT". */
void scntap_comment(struct scntap *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The plan "1..N". */
void scntap_plan(struct scntap *t);

#endif
