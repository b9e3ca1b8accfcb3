/*
 * tools/ctl_run.c — `ptmctl run start|stop` (a RUN request) and
 * `ptmctl run [--pumpd PATH] [--keep] [-v] [--seed N] FILE...` (the scenario
 * runner), or with --pump ADDR against a pump that runs already.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>

#include "tools/ctl.h"
#include "util/units.h"
#include "tools/scenario/scnrun.h"

/* pumpd next to our own executable if it is there, else "pumpd" (PATH). */
static const char *default_pumpd(const struct ctl_opts *o, char *buf, size_t n)
{
	const char *slash = o->self ? strrchr(o->self, '/') : NULL;
	if (slash) {
		snprintf(buf, n, "%.*s/pumpd", (int)(slash - o->self), o->self);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return "pumpd";
}

int ctl_cmd_run(struct ctl_opts *o, int argc, char **argv)
{
	char buf[PATH_MAX];
	struct scnrun_opts ro;
	int i;

	if (strcmp(argv[0], "run") == 0 && argc == 2 &&
	    (strcmp(argv[1], "start") == 0 || strcmp(argv[1], "stop") == 0))
		return ctl_cmd_request(o, argc, argv);

	memset(&ro, 0, sizeof ro);
	ro.out = o->out;
	ro.timeout_ms = o->timeout_ms;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			break;
		if (strcmp(argv[i], "--pumpd") == 0) {
			if (i + 1 >= argc)
				return ctl_usage_error(o, argv[0], "--pumpd needs a path");
			ro.pumpd = argv[++i];
		} else if (strncmp(argv[i], "--pumpd=", 8) == 0) {
			ro.pumpd = argv[i] + 8;
		} else if (strcmp(argv[i], "--keep") == 0) {
			ro.keep = 1;
		} else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) {
			ro.verbose = 1;
		} else if (strcmp(argv[i], "--clinician-key") == 0 ||
		           strcmp(argv[i], "--tester-key") == 0) {
			if (i + 1 >= argc)
				return ctl_usage_error(o, argv[0], "%s needs a key file", argv[i]);
			ro.key[argv[i][2] == 'c' ? SCN_CLINICIAN : SCN_TESTER] = argv[i + 1];
			i++;
		} else if (strcmp(argv[i], "--seed") == 0) {
			if (i + 1 >= argc || units_parse_uint(argv[i + 1], UINT64_MAX, &ro.seed) != 0)
				return ctl_usage_error(o, argv[0], "--seed needs a whole number");
			ro.has_seed = 1;
			i++;
		} else {
			return ctl_usage_error(o, argv[0], "unknown option '%s'", argv[i]);
		}
	}
	if (i >= argc)
		return ctl_usage_error(o, argv[0], "expected 'start', 'stop' or scenario files");
	if (!ro.pumpd)
		ro.pumpd = default_pumpd(o, buf, sizeof buf);
	/* only --pump on the command line: PTM_PUMP in the environment does not
	 * turn a hermetic run into one against someone's pump */
	if (o->pump && o->pump_src && strcmp(o->pump_src, "--pump") == 0) {
		int rc = ctl_check_pump(o, argv[0]);
		if (rc)
			return rc;
		if (!o->key || !o->pump_key)
			return ctl_usage_error(o, argv[0], "--pump needs --key (the patient's) "
			                       "and --pump-key (or PTM_KEY, PTM_PUMP_KEY)");
		ro.pump_addr = o->pump;
		ro.pump_key = o->pump_key;
		ro.key[SCN_PATIENT] = o->key;
	} else if (ro.key[SCN_CLINICIAN] || ro.key[SCN_TESTER]) {
		return ctl_usage_error(o, argv[0], "--clinician-key and --tester-key go with --pump");
	}
	return scnrun_files(&ro, argc - i, argv + i) ? CTL_EXIT_REFUSED : CTL_EXIT_OK;
}
