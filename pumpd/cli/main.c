/*
 * pumpd/cli/main.c — the pump daemon's command line: `pumpd COMMAND ARGS`, one
 * subcommand a file (pumpd/cli/cmd.h).  Exit: 0 ok, 1 runtime error, 2 usage
 * error.  See docs/pumpd.8.
 */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <sodium.h>

#include "pumpd/cli/cli.h"
#include "pumpd/cli/cmd.h"
#include "util/esc.h"
#include "util/version.h"

static const char usage_main[] =
	"usage: pumpd COMMAND [ARGS]\n"
	"\n"
	"The implanted pump daemon.  Commands:\n"
	"  init DIR [--rx FILE] [--volume-ml N] [--start TIME]\n"
	"           [--drug-library FILE|none] [--override REASON]\n"
	"                                         create a pump state directory\n"
	"  pair DIR --role ROLE --name NAME (PUBFILE | --key BASE64)\n"
	"                                         register a remote's public key\n"
	"  unpair DIR NAME                        forget a remote\n"
	"  remotes DIR                            list paired remotes\n"
	"  rx DIR [FILE [--drug-library FILE|none] [--override REASON]]\n"
	"                                         print the prescription in force,\n"
	"                                         or program one from FILE\n"
	"  run DIR [options]                      serve the pump\n"
	"  status DIR                             is a pumpd serving DIR, and where\n"
	"\n"
	"One pumpd serves a state directory (it holds DIR/lock); while it runs,\n"
	"pair, unpair, remotes, rx and status ask it through DIR/control.sock.\n"
	"'pumpd COMMAND --help' describes each; 'pumpd --version'.  Exit status:\n"
	"0 ok, 1 runtime error, 2 usage error (status: 3 when none runs).\n";

static const struct cli_cmd *const commands[] = {
	&cmd_init, &cmd_pair, &cmd_unpair, &cmd_remotes, &cmd_rx, &cmd_run,
	&cmd_status,
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return CLI_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		fputs(usage_main, stdout);
		return CLI_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("pumpd %s\n", PTM_VERSION);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(cmd, commands[i]->name) != 0)
			continue;
		if (sodium_init() < 0) {
			fprintf(stderr, "pumpd: cannot initialise libsodium\n");
			return CLI_RUN;
		}
		umask(077);  /* the state directory holds secrets and medical records */
		/* no core file or ptrace of ours may carry the pump's key */
		struct rlimit none = { 0, 0 };
		setrlimit(RLIMIT_CORE, &none);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		return cli_cmd_run(commands[i], argc - 1, argv + 1);
	}
	char shown[ESC_MAX(64)];
	fprintf(stderr, "pumpd: unknown command '%s'\n", esc_s(shown, sizeof shown, cmd));
	fputs(usage_main, stderr);
	return CLI_USAGE;
}
