/* pumpd/cli.c — shared by the subcommands (see cli.h). */
#include "pumpd/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "pumpd/pump.h"
#include "pumpd/statedir.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "pumpd %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(try 'pumpd %s --help')\n", cmd);
	return CLI_USAGE;
}

int cli_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!s || !*s)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (max - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}

int cli_getopts(int argc, char **argv, const struct option *opts,
                const char *cmd, int (*on_opt)(void *, int, const char *),
                void *ud, const char **pos, int maxpos, int *npos)
{
	int c;
	*npos = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "-h", opts, NULL)) != -1) {
		if (c == 1) {
			if (*npos >= maxpos)
				return cli_usage_error(cmd, "unexpected argument '%s'", optarg);
			pos[(*npos)++] = optarg;
			continue;
		}
		if (c == 'h')
			return -1;
		if (c == '?' || c == ':') {
			if (optopt)
				return cli_usage_error(cmd, "option needs a value or is "
				                       "unknown (%s)", argv[optind - 1]);
			return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
		int r = on_opt(ud, c, optarg);
		if (r)
			return r;
	}
	return 0;
}

struct store *cli_open_store(const char *dir, const char *cmd, int mode)
{
	char path[4096], err[512];
	struct store *st = NULL;
	if (statedir_check(dir, mode, err, sizeof err) < 0) {
		fprintf(stderr, "pumpd %s: %s\n", cmd, err);
		return NULL;
	}
	statedir_path(path, sizeof path, dir, "state.db");
	if (store_open(path, &st, err, sizeof err) < 0) {
		fprintf(stderr, "pumpd %s: %s\n", cmd, err);
		return NULL;
	}
	return st;
}

int cli_no_opt(void *ud, int c, const char *arg)
{
	(void)ud; (void)c; (void)arg;
	return 0;
}

const struct option cli_help_only[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int64_t cli_pump_time(struct store *st)
{
	int64_t t = -1, last;
	uint8_t *blob = malloc(PUMP_SERIAL_MAX);
	pump *p = malloc(sizeof *p);
	size_t n = 0;
	if (blob && p && store_get_blob(st, "pump", blob, PUMP_SERIAL_MAX, &n) == 0 &&
	    pump_deserialize(p, blob, n) == 0)
		t = p->now_ms;
	free(blob);
	free(p);
	if (store_audit_last_ms(st, &last) == 0 && last > t)
		t = last;
	return t;
}

int cli_change_audited(struct store *st,
                       int (*change)(struct store *st, const void *ud),
                       const void *ud, const char *text)
{
	int e = store_begin(st);
	if (e == 0)
		e = change(st, ud);
	if (e == 0) {
		int64_t t = cli_pump_time(st);
		int64_t seq = t < 0 ? -EIO : store_audit(st, t, "pump", text);
		e = seq < 0 ? (int)seq : 0;
	}
	if (e == 0)
		e = store_commit(st);
	else
		store_rollback(st);
	return e;
}
