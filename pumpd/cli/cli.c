/* pumpd/cli/cli.c — shared by the subcommands (see cli.h). */
#include "pumpd/cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pumpd/cli/control_call.h"
#include "util/esc.h"

#include "pump/pump.h"
#include "pumpd/statedir.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	char msg[512], shown[ESC_MAX(512)];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* it may quote an argument: shown printable */
	fprintf(stderr, "pumpd %s: %s\n(try 'pumpd %s --help')\n", cmd,
	        esc_s(shown, sizeof shown, msg), cmd);
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

static int no_opt(void *ud, int c, const char *arg)
{
	(void)ud; (void)c; (void)arg;
	return 0;
}

static const struct option help_only[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int cli_opt_str(void *ud, int c, const char *arg)
{
	((const char **)ud)[c] = arg;
	return 0;
}

int cli_cmd_run(const struct cli_cmd *c, int argc, char **argv)
{
	void *ud = c->ud_size ? calloc(1, c->ud_size) : NULL;
	if (c->ud_size && !ud)
		return CLI_RUN;
	if (ud && c->ud_init)
		memcpy(ud, c->ud_init, c->ud_size);
	const char *pos[4] = { NULL, NULL, NULL, NULL };
	int npos = 0;
	int r = cli_getopts(argc, argv, c->opts ? c->opts : help_only, c->name,
	                    c->on_opt ? c->on_opt : no_opt, ud, pos, c->maxpos,
	                    &npos);
	if (r == -1) {
		fputs(c->usage, stdout);
		r = CLI_OK;
	} else if (r == 0 && npos < c->minpos) {
		r = cli_usage_error(c->name, "needs %s", c->what);
	} else if (r == 0) {
		r = c->go(pos, npos, ud);
	}
	free(ud);
	return r;
}

struct store *cli_open_store(const char *dir, const char *cmd, int mode,
                             uint8_t pump_pub[32])
{
	char err[768];
	struct store *st = NULL;
	uint8_t pub[32];
	if (statedir_open(dir, mode, STORE_CHECK_QUICK, &st, NULL, pub, err,
	                  sizeof err) < 0) {
		fprintf(stderr, "pumpd %s: %s\n", cmd, err);
		return NULL;
	}
	if (pump_pub)
		memcpy(pump_pub, pub, 32);
	return st;
}

int cli_state(const char *dir, const char *cmd, int mode, struct statelock *lk)
{
	char holder[STATELOCK_INFO_MAX], err[512];
	/* look before making the lock file: a missing or foreign directory is
	 * reported as such, and nothing is created in it */
	if (statedir_check(dir, mode, err, sizeof err) < 0) {
		fprintf(stderr, "pumpd %s: %s\n", cmd, err);
		return -1;
	}
	int e = statelock_take(dir, lk, holder, sizeof holder);
	if (e >= 0)
		return e;
	if (mode == STATEDIR_READ && (e == -EACCES || e == -EROFS))
		return 1;   /* a reader who cannot lock reads what is there */
	fprintf(stderr, "pumpd %s: %s\n", cmd, holder);
	return -1;
}

int cli_on_state(const char *dir, const char *cmd, int mode, const char *line,
                 const char *body, size_t len,
                 int (*local)(struct store *st, const void *ud), const void *ud)
{
	struct statelock lk;
	int held = cli_state(dir, cmd, mode, &lk);
	if (held < 0)
		return CLI_RUN;
	if (held == 0)
		return cli_control(dir, cmd, line, body, len);
	struct store *st = cli_open_store(dir, cmd, mode, NULL);
	int rc = st ? local(st, ud) : CLI_RUN;
	store_close(st);
	statelock_release(&lk);
	return rc;
}

int cli_control(const char *dir, const char *cmd, const char *line,
                const char *body, size_t len)
{
	char err[600], *reply = NULL;
	int code = control_call(dir, line, body, len, CLI_CONTROL_WAIT_MS, &reply,
	                        err, sizeof err);
	if (reply) {
		/* the daemon's words, printed safely */
		for (char *c = reply; *c; c++)
			if ((unsigned char)*c < 0x20 && *c != '\n' && *c != '\t')
				*c = '?';
			else if ((unsigned char)*c >= 0x7f)
				*c = '?';
		fputs(reply, stdout);
		free(reply);
	}
	if (code == 0)
		return CLI_OK;
	fprintf(stderr, "pumpd %s: %s\n", cmd, err);
	return code == CLI_USAGE ? CLI_USAGE : CLI_RUN;
}


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
