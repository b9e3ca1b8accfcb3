/* pumpd/cli/cmd_status.c — pumpd status: is a pumpd serving this state
 * directory, and where (see cmd.h, pumpd(8)). */
#include "pumpd/cli/cmd.h"

#include <stdio.h>

#include "pumpd/cli/cli.h"
#include "pumpd/statedir.h"

static const char usage_status[] =
	"usage: pumpd status DIR\n"
	"\n"
	"Say whether a pumpd serves DIR: its pid, addresses, clock, pump time,\n"
	"paired remotes and open sessions, the drug delivered by the pump's count\n"
	"and what reached the patient (a tester's occlusion makes them differ).\n"
	"Exit 0 when one runs, 3 when none.\n";

int cmd_status(int argc, char **argv)
{
	struct cli_args args = {
		.cmd = "status", .usage = usage_status, .what = "the state directory",
		.opts = cli_help_only, .minpos = 1, .maxpos = 1,
	};
	int r = cli_args(&args, argc, argv);
	if (r != CLI_GO)
		return r;
	const char **pos = args.pos;
	struct statelock lk;
	int held = cli_state(pos[0], "status", STATEDIR_READ, &lk);
	if (held < 0)
		return CLI_RUN;
	if (held == 0)
		return cli_control(pos[0], "status", "status", NULL, 0);
	statelock_release(&lk);
	printf("not running\n");
	return CLI_NOT_RUNNING;
}
