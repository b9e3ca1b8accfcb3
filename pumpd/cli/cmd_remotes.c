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

static int list_stored(struct store *st, const void *ud)
{
	(void)ud;
	if (store_remote_each(st, print_remote, NULL) < 0) {
		fprintf(stderr, "pumpd remotes: cannot read the remotes\n");
		return CLI_RUN;
	}
	return CLI_OK;
}

static int remotes_go(const char **pos, int npos, void *ud)
{
	(void)npos; (void)ud;
	return cli_on_state(pos[0], "remotes", STATEDIR_READ, "remotes", NULL, 0,
	                    list_stored, NULL);
}

const struct cli_cmd cmd_remotes = {
	"remotes", usage_remotes, "the state directory", NULL, NULL, 0, NULL, 1, 1,
	remotes_go };
