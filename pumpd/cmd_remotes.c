/* pumpd/cmd_remotes.c — pumpd remotes: list the paired remotes
 * (see cmd.h, pumpd(8)). */
#include "pumpd/cmd.h"

#include <stdio.h>
#include <time.h>

#include "crypto/keys.h"
#include "pumpd/cli.h"
#include "pumpd/statedir.h"
#include "pumpd/store.h"

static const char usage_remotes[] =
	"usage: pumpd remotes DIR\n"
	"\n"
	"List paired remotes: name, role, public key, last seen (UTC).\n";

static int print_remote(void *ud, const struct store_remote *r)
{
	(void)ud;
	char b64[KEYS_B64LEN], seen[32] = "never";
	keys_format_public(r->pub, b64);
	if (r->last_seen_ms > 0) {
		time_t t = (time_t)(r->last_seen_ms / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(seen, sizeof seen, "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	printf("%-16s %-9s %s %s\n", r->name, store_role_name(r->role), b64, seen);
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
	struct store *st = cli_open_store(pos[0], "remotes", STATEDIR_READ);
	if (!st)
		return CLI_RUN;
	int e = store_remote_each(st, print_remote, NULL);
	store_close(st);
	if (e < 0) {
		fprintf(stderr, "pumpd remotes: cannot read the remotes\n");
		return CLI_RUN;
	}
	return CLI_OK;
}
