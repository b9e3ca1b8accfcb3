/*
 * tools/scenario/scnrun.h — the scenario runner behind `ptmctl run FILE...`.
 *
 * For each file: parse it (tools/scenario/scn.h), make a private temporary
 * directory, create a pump there with `pumpd init` (the scenario's
 * prescription, volume and start time), generate a key pair for each role
 * and pair it with `pumpd pair`, start `pumpd run --sim` on a unix socket
 * and wait for its READY line (never on a sleep) (tools/scenario/scnpump.h),
 * connect one remote per role (tools/scenario/scnlink.h), run the steps
 * (scnsend.h, scnmatch.h), stop the pump and remove the directory.
 *
 * Output is TAP (version 12) on o->out: one test point per expectation and
 * one `not ok` for any step that could not be carried out; the plan line
 * comes last.  A failure prints the file, the line, what was expected and
 * the actual value as `#` comment lines.  Files run in order in one stream.
 *
 * With o->pump_addr the files run against that pump instead (scnremote.h):
 * it is set up through the protocol before each file, and the steps that
 * need a pump of our own (restart, kill9) are skipped (TAP "# SKIP").
 *
 * Memory: nothing is kept between calls; keys are zeroed before return.
 */
#ifndef PTM_TOOLS_SCENARIO_SCNRUN_H
#define PTM_TOOLS_SCENARIO_SCNRUN_H

#include <stdint.h>
#include <stdio.h>

#include "tools/scenario/scnstep.h"

struct scnrun_opts {
	const char *pumpd;      /* pumpd binary: a path, or a name looked up in PATH */
	int keep;               /* keep each temporary directory (its path is printed) */
	int verbose;            /* print every reply as a TAP comment (JSON) */
	uint32_t timeout_ms;    /* per request, for pumpd to get ready, and for a
	                           failing expect notify; 0 = 10 s; multiplied
	                           by $PTM_TIME_SCALE (the run's slowdown under
	                           valgrind or a sanitizer; default 1) */
	FILE *out;              /* the TAP stream */

	/* ptmctl run --pump: every file runs against this pump, running
	 * already, instead of its own (scnremote.h); NULL: each its own */
	const char *pump_addr;
	const char *pump_key;             /* the pump's public key file */
	const char *key[SCN_ROLES];       /* each role's private key file, or NULL */

	int has_seed;                     /* --seed: every explore step's seed */
	uint64_t seed;
};

/* Returns 0 when every test point passed, 1 when any failed (or a file
 * could not be read or parsed: that is a failing test point too). */
int scnrun_files(const struct scnrun_opts *o, int nfiles, char **files);

#endif
