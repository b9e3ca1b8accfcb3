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
	"paired remotes and open sessions.  Exit 0 when one runs, 3 when none.\n";

int cmd_status(int argc, char **argv)
{
	const char *pos[1];
	int npos;
	int r = cli_getopts(argc, argv, cli_help_only, "status", cli_no_opt, NULL,
	                    pos, 1, &npos);
	if (r == -1) {
		fputs(usage_status, stdout);
		return CLI_OK;
	}
	if (r)
		return r;
	if (npos != 1)
		return cli_usage_error("status", "needs the state directory");
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
