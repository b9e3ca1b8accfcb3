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

static int unpair_stored(struct store *st, const void *ud)
{
	const char *name = ud;
	int e = pairing_remove(st, name, cli_pump_time(st), pclock_wall_ms());
	if (e == -ENOENT)
		fprintf(stderr, "pumpd unpair: no remote named '%s'\n", name);
	else if (e < 0)
		fprintf(stderr, "pumpd unpair: cannot store: %s\n", store_errmsg(st));
	else
		printf("unpaired %s\n", name);
	return e < 0 ? CLI_RUN : CLI_OK;
}

static int unpair_go(const char **pos, int npos, void *ud)
{
	(void)npos; (void)ud;
	if (!store_name_valid(pos[1]))
		return cli_usage_error("unpair", "that is not a remote name (1-32 of "
		                       "A-Z a-z 0-9 . _ -)");
	char line[64];
	snprintf(line, sizeof line, "unpair\t%.40s", pos[1]);
	return cli_on_state(pos[0], "unpair", STATEDIR_WRITE, line, NULL, 0,
	                    unpair_stored, pos[1]);
}

const struct cli_cmd cmd_unpair = {
	"unpair", usage_unpair, "DIR and NAME", NULL, NULL, 0, NULL, 2, 2, unpair_go };
