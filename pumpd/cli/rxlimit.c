/* pumpd/cli/rxlimit.c — the drug library on the command line (see
 * rxlimit.h). */
#include "pumpd/cli/rxlimit.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "pumpd/cli/cli.h"

int rxlimit_load(const char *cmd, const char *arg, struct druglib **out,
                 const char **what)
{
	char err[DRUGLIB_ERR_MAX + PATH_MAX];
	*out = NULL;
	if (what)
		*what = arg ? arg : "the shipped one (data/druglib.txt)";
	if (arg && strcmp(arg, "none") == 0)
		return 0;
	int e;
	if (!arg) {
		size_t len;
		const char *t = druglib_shipped(&len);
		e = druglib_parse(t, len, out, err, sizeof err);
	} else {
		e = druglib_load(arg, out, err, sizeof err);
	}
	if (e < 0) {
		fprintf(stderr, "pumpd %s: drug library %s\n", cmd, err);
		return -1;
	}
	return 0;
}

int rxlimit_override_ok(const char *cmd, const char *why)
{
	if (druglib_reason_ok(why))
		return 0;
	return cli_usage_error(cmd, "--override REASON: the reason is 1 to %d "
	                       "printable ASCII characters", MSG_OVERRIDE_MAX);
}

int rxlimit_check(const char *cmd, const char *file, const struct druglib *lib,
                  const pump_rx *rx, const char *override, char *note,
                  size_t notecap)
{
	struct druglib_verdict v;
	int e = druglib_check(lib, rx, override, &v);
	note[0] = '\0';
	if (e == DRUGLIB_HARD) {
		fprintf(stderr, "pumpd %s: %s: %s (drug library, %s): refused\n", cmd,
		        file, v.detail, rx->drug);
		return CLI_USAGE;
	}
	if (e == DRUGLIB_SOFT) {
		fprintf(stderr, "pumpd %s: %s: %s (drug library, %s): refused unless "
		        "--override REASON says why (logged)\n", cmd, file, v.detail,
		        rx->drug);
		return CLI_USAGE;
	}
	if (v.overridden) {
		druglib_override_row(note, notecap, &v, override);
		fprintf(stderr, "pumpd %s: %s passed under an override: %s\n", cmd,
		        v.detail, override);
	}
	return 0;
}
