/* pumpd/cmd_rx.c — pumpd rx: print the prescription in force
 * (see cmd.h, pumpd(8)). */
#include "pumpd/cmd.h"

#include <stdio.h>
#include <stdlib.h>

#include "net/rxfile.h"
#include "pumpd/cli.h"
#include "pumpd/pump.h"
#include "pumpd/statedir.h"
#include "pumpd/store.h"
#include "pumpd/wire.h"

static const char usage_rx[] =
	"usage: pumpd rx DIR\n"
	"\n"
	"Print the prescription in force, in the prescription file format.\n";

int cmd_rx(int argc, char **argv)
{
	const char *pos[1];
	int npos;
	int r = cli_getopts(argc, argv, cli_help_only, "rx", cli_no_opt, NULL,
	                    pos, 1, &npos);
	if (r == -1) {
		fputs(usage_rx, stdout);
		return CLI_OK;
	}
	if (r)
		return r;
	if (npos != 1)
		return cli_usage_error("rx", "needs the state directory");
	struct store *st = cli_open_store(pos[0], "rx", STATEDIR_READ);
	if (!st)
		return CLI_RUN;
	uint8_t blob[PUMP_SERIAL_MAX];
	size_t n = 0;
	pump *p = calloc(1, sizeof *p);
	int rc = CLI_RUN;
	if (p && store_get_blob(st, "pump", blob, sizeof blob, &n) == 0 &&
	    pump_deserialize(p, blob, n) == 0) {
		struct msg_rx mrx;
		wire_rx_from_pump(&p->rx, &mrx);
		rc = rxfile_fprint(&mrx, stdout) == 0 ? CLI_OK : CLI_RUN;
	} else {
		fprintf(stderr, "pumpd rx: the pump's state is missing or corrupt\n");
	}
	free(p);
	store_close(st);
	return rc;
}
