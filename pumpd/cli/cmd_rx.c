/* pumpd/cli/cmd_rx.c — pumpd rx: print the prescription in force, or program
 * a new one from a file (see cmd.h, pumpd(8)). */
#include "pumpd/cli/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/rxfile.h"
#include "pumpd/cli/cli.h"
#include "pumpd/cli/rxlimit.h"
#include "pumpd/clock.h"
#include "pump/pump.h"
#include "pumpd/rxload.h"
#include "pumpd/statedir.h"
#include "pumpd/store.h"
#include "pumpd/wire.h"
#include "util/fmt.h"

static const char usage_rx[] =
	"usage: pumpd rx DIR [FILE [--drug-library FILE|none] [--override REASON]]\n"
	"\n"
	"Print the prescription in force, in the prescription file format; with\n"
	"FILE, program the pump with the prescription in FILE instead (as a\n"
	"clinician's PROGRAM would: limits checked, audited, the 24 h history\n"
	"kept).  Both reach the running pumpd when there is one.\n"
	"  --drug-library FILE|none\n"
	"                 the drug library FILE is checked against (default the\n"
	"                 shipped one, as pumpd run's); a running pumpd checks it\n"
	"                 against its own library too.  Past a hard limit it is\n"
	"                 refused and nothing changes\n"
	"  --override REASON\n"
	"                 pass a soft limit of the library (1-63 characters; the\n"
	"                 reason is kept in the audit log)\n";

enum { RX_LIB = CLI_OPT_STR, RX_OVERRIDE, RX_NOPT };

static const struct option rx_options[] = {
	{ "drug-library", required_argument, NULL, RX_LIB },
	{ "override", required_argument, NULL, RX_OVERRIDE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* A new prescription for the stored pump, and what its audit row adds. */
struct rx_new {
	pump_rx rx;
	char note[RXLIMIT_NOTE_MAX];
};

static int print_stored(struct store *st)
{
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
	return rc;
}

/* No pumpd runs: program the stored pump at its stored time. */
static int program_stored(struct store *st, const struct rx_new *nw)
{
	const pump_rx *rx = &nw->rx;
	uint8_t blob[PUMP_SERIAL_MAX];
	size_t n = 0;
	pump *p = calloc(1, sizeof *p);
	const char *field = NULL;
	int rc = CLI_RUN, e = -1;
	if (!p || store_get_blob(st, "pump", blob, sizeof blob, &n) < 0 ||
	    pump_deserialize(p, blob, n) < 0) {
		fprintf(stderr, "pumpd rx: the pump's state is missing or corrupt\n");
		goto out;
	}
	int64_t now = cli_pump_time(st);
	e = pump_program(p, now, rx, &field, NULL, NULL);
	if (e < 0) {
		fprintf(stderr, "pumpd rx: %s\n", e == PUMP_E_CEILING ?
		        "ceiling_24h is below the drug already given in the last 24 h" :
		        field ? wire_field_name(field) : pump_strerror(e));
		rc = e == PUMP_E_CEILING ? CLI_RUN : CLI_USAGE;
		goto out;
	}
	char text[MSG_TEXT_MAX + 1];
	snprintf(text, sizeof text, "program %s: done (from a prescription file, "
	         "by the state directory's owner)", rx->drug);
	n = pump_serialize(p, blob, sizeof blob);
	e = n ? store_begin(st) : -1;
	if (e == 0)
		e = store_put_blob(st, "pump", blob, n);
	struct store_event ev = { now, pclock_wall_ms(), STORE_EV_REQUEST, "pump",
	                          0, text };
	if (e == 0)
		e = store_audit(st, &ev) < 0 ? -1 : 0;
	ev.text = nw->note;   /* an override's reason, in a row of its own */
	if (e == 0 && nw->note[0])
		e = store_audit(st, &ev) < 0 ? -1 : 0;
	if (e == 0)
		e = store_commit(st);
	else
		store_rollback(st);
	if (e < 0)
		fprintf(stderr, "pumpd rx: cannot store: %s\n", store_errmsg(st));
	else
		printf("programmed %s\n", rx->drug);
	rc = e < 0 ? CLI_RUN : CLI_OK;
out:
	free(p);
	return rc;
}

/* pumpd not running: the stored prescription, or the new one stored */
static int rx_stored(struct store *st, const void *ud)
{
	return ud ? program_stored(st, ud) : print_stored(st);
}

static int rx_go(const char **pos, int npos, void *ud)
{
	const char *const *o = ud;   /* [RX_...]: the options given */
	char *text = NULL;
	size_t len = 0;
	struct rx_new nw;
	char line[16 + MSG_OVERRIDE_MAX] = "program";
	if (npos < 2 && (o[RX_LIB] || o[RX_OVERRIDE]))
		return cli_usage_error("rx", "--drug-library and --override go with "
		                       "a prescription FILE");
	/* the file is read and checked before anything else */
	if (npos == 2) {
		char err[RXFILE_ERR_MAX + 64];
		const char *base = strrchr(pos[1], '/');
		if (o[RX_OVERRIDE] && rxlimit_override_ok("rx", o[RX_OVERRIDE]))
			return CLI_USAGE;
		if (rxload_read(pos[1], &text, &len) < 0)
			return CLI_USAGE;
		if (rxload_text(base ? base + 1 : pos[1], text, len, &nw.rx, err,
		                sizeof err) < 0) {
			fprintf(stderr, "pumpd rx: %s\n", err);
			free(text);
			return CLI_USAGE;
		}
		struct druglib *lib;
		if (rxlimit_load("rx", o[RX_LIB], &lib, NULL) < 0) {
			free(text);
			return CLI_USAGE;
		}
		int lim = rxlimit_check("rx", pos[1], lib, &nw.rx, o[RX_OVERRIDE],
		                        nw.note, sizeof nw.note);
		druglib_free(lib);
		if (lim) {
			free(text);
			return lim;
		}
		if (o[RX_OVERRIDE])   /* for a running pumpd's own check */
			fmt_set(line, sizeof line, "program\t%s", o[RX_OVERRIDE]);
	}
	int rc = cli_on_state(pos[0], "rx", text ? STATEDIR_WRITE : STATEDIR_READ,
	                      text ? line : "rx", text, len, rx_stored,
	                      text ? &nw : NULL);
	free(text);
	return rc;
}

const struct cli_cmd cmd_rx = {
	"rx", usage_rx, "the state directory", rx_options, cli_opt_str,
	RX_NOPT * sizeof(const char *), NULL, 1, 2, rx_go };
