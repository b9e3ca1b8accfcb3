/* pumpd/cli/cmd_remotes.c — pumpd remotes: list the paired remotes
 * (see cmd.h, pumpd(8)). */
#include "pumpd/cli/cmd.h"

#include <stdio.h>

#include "pumpd/cli/cli.h"
#include "pumpd/pairing.h"
#include "pumpd/statedir.h"
#include "pumpd/store.h"

static const char usage_remotes[] =
	"usage: pumpd remotes DIR\n"
	"\n"
	"List paired remotes: name, role, public key, last seen (UTC).  Asks the\n"
	"running pumpd when there is one.\n";

static int print_remote(void *ud, const struct store_remote *r)
{
	(void)ud;
	char line[160];
	pairing_row(line, sizeof line, r->name, r->role, r->pub, r->last_seen_ms);
	printf("%s\n", line);
	return 0;
}

int cmd_remotes(int argc, char **argv)
{
	const char *pos[1];
	int npos;
	int r = cli_getopts(argc, argv, cli_help_only, "remotes", cli_no_opt, NULL,
	                    pos, 1, &npos);
	if (r == -1) {
		fputs(usage_remotes, stdout);
		return CLI_OK;
	}
	if (r)
		return r;
	if (npos != 1)
		return cli_usage_error("remotes", "needs the state directory");
	struct statelock lk;
	int held = cli_state(pos[0], "remotes", STATEDIR_READ, &lk);
	if (held < 0)
		return CLI_RUN;
	if (held == 0)
		return cli_control(pos[0], "remotes", "remotes", NULL, 0);
	struct store *st = cli_open_store(pos[0], "remotes", STATEDIR_READ, NULL);
	int e = st ? store_remote_each(st, print_remote, NULL) : -1;
	store_close(st);
	statelock_release(&lk);
	if (e < 0) {
		if (st)
			fprintf(stderr, "pumpd remotes: cannot read the remotes\n");
		return CLI_RUN;
	}
	return CLI_OK;
}
