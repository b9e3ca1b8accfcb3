/* pumpd/cmd_unpair.c — pumpd unpair: forget a remote
 * (see cmd.h, pumpd(8)). */
#include "pumpd/cmd.h"

#include <errno.h>
#include <stdio.h>

#include "pumpd/cli.h"
#include "pumpd/statedir.h"
#include "pumpd/store.h"

static const char usage_unpair[] =
	"usage: pumpd unpair DIR NAME\n"
	"\n"
	"Forget the remote NAME (its bolus history too).  Works while pumpd runs:\n"
	"a session of NAME that is open loses its rights at once.\n";

static int remove_named(struct store *st, const void *name)
{
	return store_remote_remove(st, name);
}

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
	struct store *st = cli_open_store(pos[0], "unpair", STATEDIR_WRITE);
	if (!st)
		return CLI_RUN;
	char text[MSG_TEXT_MAX + 1];
	snprintf(text, sizeof text, "unpaired %s", pos[1]);
	int e = cli_change_audited(st, remove_named, pos[1], text);
	int rc = CLI_OK;
	if (e == -ENOENT) {
		fprintf(stderr, "pumpd unpair: no remote named '%s'\n", pos[1]);
		rc = CLI_RUN;
	} else if (e < 0) {
		fprintf(stderr, "pumpd unpair: cannot store: %s\n", store_errmsg(st));
		rc = CLI_RUN;
	} else {
		printf("unpaired %s\n", pos[1]);
	}
	store_close(st);
	return rc;
}
