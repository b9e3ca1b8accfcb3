/* pumpd/cli/cmd_unpair.c — pumpd unpair: forget a remote
 * (see cmd.h, pumpd(8)). */
#include "pumpd/cli/cmd.h"

#include <errno.h>
#include <stdio.h>

#include "pumpd/cli/cli.h"
#include "pumpd/clock.h"
#include "pumpd/pairing.h"
#include "pumpd/statedir.h"
#include "pumpd/store.h"

static const char usage_unpair[] =
	"usage: pumpd unpair DIR NAME\n"
	"\n"
	"Forget the remote NAME (its bolus history too).  Works while pumpd runs:\n"
	"a session of NAME that is open loses its rights at once.\n";

int cmd_unpair(int argc, char **argv)
{
	const char *pos[2];
	int npos;
	int r = cli_getopts(argc, argv, cli_help_only, "unpair", cli_no_opt, NULL,
	                    pos, 2, &npos);
	if (r == -1) {
		fputs(usage_unpair, stdout);
		return CLI_OK;
	}
	if (r)
		return r;
	if (npos != 2)
		return cli_usage_error("unpair", "needs DIR and NAME");
	if (!store_name_valid(pos[1]))
		return cli_usage_error("unpair", "'%s' is not a remote name (1-32 of "
		                       "A-Z a-z 0-9 . _ -)", "NAME");
	struct statelock lk;
	int held = cli_state(pos[0], "unpair", STATEDIR_WRITE, &lk);
	if (held < 0)
		return CLI_RUN;
	if (held == 0) {
		char line[64];
		snprintf(line, sizeof line, "unpair\t%.40s", pos[1]);
		return cli_control(pos[0], "unpair", line, NULL, 0);
	}
	struct store *st = cli_open_store(pos[0], "unpair", STATEDIR_WRITE, NULL);
	int rc = CLI_RUN;
	if (st) {
		int e = pairing_remove(st, pos[1], cli_pump_time(st), pclock_wall_ms());
		if (e == -ENOENT)
			fprintf(stderr, "pumpd unpair: no remote named '%s'\n", pos[1]);
		else if (e < 0)
			fprintf(stderr, "pumpd unpair: cannot store: %s\n",
			        store_errmsg(st));
		else
			printf("unpaired %s\n", pos[1]);
		rc = e < 0 ? CLI_RUN : CLI_OK;
	}
	store_close(st);
	statelock_release(&lk);
	return rc;
}
