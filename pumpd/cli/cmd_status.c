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

static int status_go(const char **pos, int npos, void *ud)
{
	(void)npos; (void)ud;
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

const struct cli_cmd cmd_status = {
	"status", usage_status, "the state directory", NULL, NULL, 0, NULL, 1, 1,
	status_go };
