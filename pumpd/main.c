/*
 * pumpd/main.c — the pump daemon's command line:
 *   pumpd init DIR [--rx FILE] [--volume-ml N] [--start TIME]
 *   pumpd pair DIR --role ROLE --name NAME (PUBFILE | --key BASE64)
 *   pumpd unpair DIR NAME
 *   pumpd remotes DIR
 *   pumpd rx DIR
 *   pumpd run DIR [--listen ADDR]... [--unix PATH] [--sim] [--speed N]
 *                 [--ready-fd FD] [--log-level L] [--handshake-timeout MS]
 *                 [--frame-timeout MS] [--max-peers N]
 * Exit: 0 ok, 1 runtime error, 2 usage error.  See docs/pumpd.8.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>

#include "crypto/crypto.h"
#include "crypto/keys.h"
#include "crypto/paircode.h"
#include "net/rxfile.h"
#include "pumpd/clock.h"
#include "pumpd/log.h"
#include "pumpd/pump.h"
#include "pumpd/server.h"
#include "pumpd/statedir.h"
#include "pumpd/store.h"
#include "pumpd/timearg.h"
#include "pumpd/wire.h"

#define EX_OK 0
#define EX_RUN 1
#define EX_USAGE 2

static const char usage_main[] =
	"usage: pumpd COMMAND [ARGS]\n"
	"\n"
	"The implanted pump daemon.  Commands:\n"
	"  init DIR [--rx FILE] [--volume-ml N] [--start TIME]\n"
	"                                         create a pump state directory\n"
	"  pair DIR --role ROLE --name NAME (PUBFILE | --key BASE64)\n"
	"                                         register a remote's public key\n"
	"  unpair DIR NAME                        forget a remote\n"
	"  remotes DIR                            list paired remotes\n"
	"  rx DIR                                 print the prescription in force\n"
	"  run DIR [options]                      serve the pump\n"
	"\n"
	"'pumpd COMMAND --help' describes each.  Exit status: 0 ok, 1 runtime\n"
	"error, 2 usage error.\n";

static const char usage_init[] =
	"usage: pumpd init DIR [--rx FILE] [--volume-ml N] [--start TIME]\n"
	"\n"
	"Create DIR (mode 0700; it must not exist or be empty) holding the pump's\n"
	"key pair (pump.key 0600, pump.pub), its database (state.db) and its first\n"
	"prescription: FILE in the prescription format (see pumpd(8)), or the\n"
	"default one.  The reservoir starts full unless --volume-ml says how many\n"
	"mL it holds (decimals allowed, e.g. 12.5).  Prints the pump's public key.\n"
	"  --start TIME   the pump's clock starts at TIME instead of now: UTC as\n"
	"                 2026-01-01T08:00:00Z (or ...:00.250Z), or ms since the\n"
	"                 epoch.  'pumpd run --sim' then starts its simulated clock\n"
	"                 there; on the real clock the pump catches up to now.\n";

static const char usage_pair[] =
	"usage: pumpd pair DIR --role patient|clinician|tester --name NAME\n"
	"                  (PUBFILE | --key BASE64)\n"
	"\n"
	"Register a remote's public key (a .pub file or its base64) with a role\n"
	"and print the 6-digit pairing code both sides show.  NAME: 1-32 of\n"
	"A-Z a-z 0-9 . _ -\n";

static const char usage_unpair[] =
	"usage: pumpd unpair DIR NAME\n\nForget the remote NAME (its bolus history too).\n";

static const char usage_remotes[] =
	"usage: pumpd remotes DIR\n\nList paired remotes: name, role, public key, last seen (UTC).\n";

static const char usage_rx[] =
	"usage: pumpd rx DIR\n\nPrint the prescription in force, in the prescription file format.\n";

static const char usage_run[] =
	"usage: pumpd run DIR [options]\n"
	"\n"
	"Serve the pump in DIR until SIGTERM or SIGINT.\n"
	"  --listen ADDR            tcp:HOST:PORT or unix:PATH (repeatable, up to 4);\n"
	"                           default tcp:127.0.0.1:7470 when no --listen/--unix\n"
	"  --unix PATH              same as --listen unix:PATH\n"
	"  --sim                    simulated clock (testers move it); starts at the\n"
	"                           stored pump time\n"
	"  --speed N                simulated clock speed: 0 frozen, 1 real time (default), N x\n"
	"  --ready-fd FD            when listening, write \"READY ADDR...\\n\" to FD and close it\n"
	"  --log-level LEVEL        error, warn, info (default) or debug\n"
	"  --handshake-timeout MS   handshake deadline (default 5000)\n"
	"  --frame-timeout MS       a started frame completes within MS (default 5000)\n"
	"  --max-peers N            connections held at once (default 256)\n"
	"  --db-max-pages N         testing: cap the database size (simulates a full disk)\n";

static int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "pumpd %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(try 'pumpd %s --help')\n", cmd);
	return EX_USAGE;
}

/* Strict unsigned decimal: all digits, no sign, within max. */
static int parse_uint(const char *s, uint64_t max, uint64_t *out)
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

/* "12.5" mL -> nL exactly (up to 6 decimals). */
static int parse_ml(const char *s, uint32_t *out)
{
	uint64_t ip = 0, fr = 0;
	unsigned nd = 0;
	const char *p = s;
	if (!*p)
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		ip = ip * 10 + (uint64_t)(*p - '0');
		if (ip > 4294)
			return -1;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (nd == 6)
				return -1;
			fr = fr * 10 + (uint64_t)(*p - '0');
			nd++;
		}
	}
	if (*p || p == s)
		return -1;
	while (nd++ < 6)
		fr *= 10;
	uint64_t v = ip * 1000000 + fr;
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static void join(char *buf, size_t n, const char *dir, const char *file)
{
	snprintf(buf, n, "%s/%s", dir, file);
}

/* ---- init --------------------------------------------------------------- */

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, cap + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return -EIO;
	}
	if (n > cap) {
		free(buf);
		return -EFBIG;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* Parse and validate a prescription file into a pump_rx.  Prints the error
 * (naming the line and field) and returns -1 on failure. */
static int load_rx(const char *path, pump_rx *out)
{
	char *text = NULL;
	size_t len = 0;
	int e = read_file(path, &text, &len);
	if (e < 0) {
		fprintf(stderr, "pumpd: %s: %s\n", path,
		        e == -EFBIG ? "too large for a prescription" : strerror(-e));
		return -1;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	struct rxfile p;
	rxfile_init(&p, base);
	size_t i = 0;
	int rc = 0;
	while (i < len && rc == 0) {
		size_t j = i;
		while (j < len && text[j] != '\n')
			j++;
		if (j < len)
			j++;
		rc = rxfile_parse_line(&p, text + i, j - i);
		i = j;
	}
	free(text);
	struct msg_rx mrx;
	if (rc == 0)
		rc = rxfile_finish(&p, &mrx);
	if (rc < 0) {
		fprintf(stderr, "pumpd: %s\n", p.err);
		return -1;
	}
	pump_rx def;
	pump_rx_default(&def);
	wire_rx_to_pump(&mrx, def.battery_life_days, out);
	const char *field = NULL;
	if (pump_rx_validate(out, &field) != 0) {
		const char *key = field ? wire_field_name(field) : "prescription";
		unsigned line = field ? rxfile_line_of(&p, field) : 0;
		if (line)
			fprintf(stderr, "pumpd: %s:%u: %s: out of the pump's range "
			        "(see pumpd(8), PRESCRIPTION LIMITS)\n", base, line, key);
		else
			fprintf(stderr, "pumpd: %s: %s: out of the pump's range "
			        "(see pumpd(8), PRESCRIPTION LIMITS)\n", base, key);
		return -1;
	}
	return 0;
}

static int dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct dirent *de;
	int empty = 1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

/* getopt_long with permutation so options may follow DIR; positional
 * arguments are collected into pos[] (up to npos). */
static int getopts(int argc, char **argv, const struct option *opts,
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
				return usage_error(cmd, "unexpected argument '%s'", optarg);
			pos[(*npos)++] = optarg;
			continue;
		}
		if (c == 'h') {
			return -1;
		}
		if (c == '?' || c == ':') {
			if (optopt)
				return usage_error(cmd, "option needs a value or is "
				                   "unknown (%s)", argv[optind - 1]);
			return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
		int r = on_opt(ud, c, optarg);
		if (r)
			return r;
	}
	return 0;
}

struct init_opts { const char *rx, *vol, *start; };

static int init_opt(void *ud, int c, const char *arg)
{
	struct init_opts *o = ud;
	if (c == 'r')
		o->rx = arg;
	else if (c == 'v')
		o->vol = arg;
	else if (c == 't')
		o->start = arg;
	return 0;
}

static int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rx", required_argument, NULL, 'r' },
		{ "volume-ml", required_argument, NULL, 'v' },
		{ "start", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct init_opts o = { NULL, NULL, NULL };
	const char *pos[1];
	int npos;
	int r = getopts(argc, argv, opts, "init", init_opt, &o, pos, 1, &npos);
	if (r == -1) {
		fputs(usage_init, stdout);
		return EX_OK;
	}
	if (r)
		return r;
	if (npos != 1)
		return usage_error("init", "needs the state directory");
	const char *dir = pos[0];
	int64_t now = pclock_wall_ms();
	if (o.start && timearg_parse(o.start, &now) < 0)
		return usage_error("init", "--start '%s' must be a UTC time like "
		                   "2026-01-01T08:00:00Z or ms since the epoch "
		                   "(1970 to 9999)", o.start);

	pump_rx rx;
	if (o.rx) {
		if (load_rx(o.rx, &rx) < 0)
			return EX_USAGE;
	} else {
		pump_rx_default(&rx);
	}
	uint32_t volume = rx.capacity_nl;
	if (o.vol) {
		if (parse_ml(o.vol, &volume) < 0 || volume > rx.capacity_nl) {
			fprintf(stderr, "pumpd init: --volume-ml '%s' must be a number of "
			        "mL from 0 to the reservoir's %u mL\n", o.vol,
			        rx.capacity_nl / 1000000);
			return EX_USAGE;
		}
	}

	int made = 0;
	if (mkdir(dir, 0700) == 0) {
		made = 1;
	} else if (errno == EEXIST) {
		int em = dir_is_empty(dir);
		if (em < 0) {
			fprintf(stderr, "pumpd init: %s: %s\n", dir, strerror(-em));
			return EX_RUN;
		}
		if (!em) {
			fprintf(stderr, "pumpd init: %s exists and is not empty; "
			        "refusing to overwrite it\n", dir);
			return EX_RUN;
		}
		if (chmod(dir, 0700) < 0) {
			fprintf(stderr, "pumpd init: %s: %s\n", dir, strerror(errno));
			return EX_RUN;
		}
	} else {
		fprintf(stderr, "pumpd init: cannot create %s: %s\n", dir, strerror(errno));
		return EX_RUN;
	}

	char path[4096], err[KEYS_ERRLEN];
	uint8_t priv[KEYS_LEN], pub[KEYS_LEN];
	int rc = EX_RUN;
	struct store *st = NULL;
	if (keys_generate(priv, pub) < 0) {
		fprintf(stderr, "pumpd init: cannot generate a key\n");
		goto out;
	}
	if (keys_write_pair(dir, "pump", priv, err) < 0) {
		fprintf(stderr, "pumpd init: %s\n", err);
		goto out;
	}
	sodium_memzero(priv, sizeof priv);
	join(path, sizeof path, dir, "state.db");
	char serr[512];
	if (store_create(path, &st, serr, sizeof serr) < 0) {
		fprintf(stderr, "pumpd init: %s\n", serr);
		goto out;
	}
	pump *p = calloc(1, sizeof *p);
	if (!p)
		goto out;
	int e = pump_init(p, &rx, now, volume);
	if (e < 0) {
		fprintf(stderr, "pumpd init: the prescription does not fit the pump: %s\n",
		        pump_strerror(e));
		free(p);
		goto out;
	}
	uint8_t blob[PUMP_SERIAL_MAX];
	size_t n = pump_serialize(p, blob, sizeof blob);
	free(p);
	e = n ? store_begin(st) : -EIO;
	if (e == 0)
		e = store_put_blob(st, "pump", blob, n);
	if (e == 0)
		e = store_audit(st, now, "pump", "pump initialised") < 0 ? -EIO : 0;
	if (e == 0)
		e = store_commit(st);
	else
		store_rollback(st);
	if (e < 0) {
		fprintf(stderr, "pumpd init: cannot write %s: %s\n", path, store_errmsg(st));
		goto out;
	}
	char b64[KEYS_B64LEN];
	keys_format_public(pub, b64);
	printf("%s\n", b64);
	fprintf(stderr, "pumpd: initialised %s (%s, %u nL in the reservoir)\n",
	        dir, rx.drug, volume);
	rc = EX_OK;
out:
	sodium_memzero(priv, sizeof priv);
	store_close(st);
	if (rc != EX_OK) {
		/* leave nothing half made */
		const char *files[] = { "pump.key", "pump.pub", "state.db",
		                        "state.db-wal", "state.db-shm" };
		for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
			join(path, sizeof path, dir, files[i]);
			unlink(path);
		}
		if (made)
			rmdir(dir);
	}
	return rc;
}

/* ---- pair / unpair / remotes / rx ---------------------------------------- */

static struct store *open_store(const char *dir, const char *cmd, int mode)
{
	char path[4096], err[512];
	struct store *st = NULL;
	if (statedir_check(dir, mode, err, sizeof err) < 0) {
		fprintf(stderr, "pumpd %s: %s\n", cmd, err);
		return NULL;
	}
	join(path, sizeof path, dir, "state.db");
	if (store_open(path, &st, err, sizeof err) < 0) {
		fprintf(stderr, "pumpd %s: %s\n", cmd, err);
		return NULL;
	}
	return st;
}

struct pair_opts { const char *role, *name, *key; };

static int pair_opt(void *ud, int c, const char *arg)
{
	struct pair_opts *o = ud;
	if (c == 'r') o->role = arg;
	else if (c == 'n') o->name = arg;
	else if (c == 'k') o->key = arg;
	return 0;
}

static int cmd_pair(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct pair_opts o = { NULL, NULL, NULL };
	const char *pos[2];
	int npos;
	int r = getopts(argc, argv, opts, "pair", pair_opt, &o, pos, 2, &npos);
	if (r == -1) {
		fputs(usage_pair, stdout);
		return EX_OK;
	}
	if (r)
		return r;
	if (npos < 1)
		return usage_error("pair", "needs the state directory");
	if (!o.role)
		return usage_error("pair", "needs --role patient|clinician|tester");
	int role = store_role_parse(o.role);
	if (role < 0)
		return usage_error("pair", "unknown role '%s' (use patient, clinician, tester)", o.role);
	if (!o.name)
		return usage_error("pair", "needs --name NAME");
	if (!store_name_valid(o.name))
		return usage_error("pair", "bad name '%s' (1-32 of A-Z a-z 0-9 . _ -, "
		                   "not starting with . or -)", o.name);
	if ((npos == 2) == (o.key != NULL))
		return usage_error("pair", "give the remote's key as a PUBFILE or "
		                   "--key BASE64, exactly one");
	uint8_t pub[KEYS_LEN], pump_pub[KEYS_LEN];
	char err[KEYS_ERRLEN], path[4096];
	if (o.key) {
		if (keys_parse_public(o.key, pub) < 0)
			return usage_error("pair", "--key '%s' is not a base64 X25519 "
			                   "public key (44 characters)", o.key);
	} else if (keys_load_public(pos[1], pub, err) < 0) {
		fprintf(stderr, "pumpd pair: %s\n", err);
		return EX_USAGE;
	}
	const char *dir = pos[0];
	join(path, sizeof path, dir, "pump.pub");
	if (keys_load_public(path, pump_pub, err) < 0) {
		fprintf(stderr, "pumpd pair: %s\n", err);
		return EX_RUN;
	}
	if (memcmp(pub, pump_pub, KEYS_LEN) == 0) {
		fprintf(stderr, "pumpd pair: that is the pump's own key\n");
		return EX_USAGE;
	}
	struct store *st = open_store(dir, "pair", STATEDIR_WRITE);
	if (!st)
		return EX_RUN;
	struct store_remote *old = malloc(sizeof *old);
	int rc = EX_RUN;
	if (!old)
		goto out;
	if (store_remote_find(st, pub, old) == 0) {
		fprintf(stderr, "pumpd pair: this key is already paired as '%s' (%s)\n",
		        old->name, store_role_name(old->role));
		goto out;
	}
	int e = store_remote_add(st, o.name, role, pub, pclock_wall_ms());
	if (e == -EEXIST) {
		fprintf(stderr, "pumpd pair: a remote named '%s' is already paired "
		        "(unpair it first)\n", o.name);
		goto out;
	}
	if (e < 0) {
		fprintf(stderr, "pumpd pair: cannot store: %s\n", store_errmsg(st));
		goto out;
	}
	char text[MSG_TEXT_MAX + 1];
	snprintf(text, sizeof text, "paired %s as %s", o.name, store_role_name(role));
	store_audit(st, pclock_wall_ms(), "pump", text);
	char code[PAIRCODE_LEN];
	if (paircode(pump_pub, pub, code) < 0) {
		fprintf(stderr, "pumpd pair: cannot compute the pairing code\n");
		goto out;
	}
	printf("paired %s as %s; pairing code %s\n", o.name, store_role_name(role), code);
	rc = EX_OK;
out:
	free(old);
	store_close(st);
	return rc;
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

static int cmd_unpair(int argc, char **argv)
{
	const char *pos[2];
	int npos;
	int r = getopts(argc, argv, help_only, "unpair", no_opt, NULL, pos, 2, &npos);
	if (r == -1) {
		fputs(usage_unpair, stdout);
		return EX_OK;
	}
	if (r)
		return r;
	if (npos != 2)
		return usage_error("unpair", "needs DIR and NAME");
	struct store *st = open_store(pos[0], "unpair", STATEDIR_WRITE);
	if (!st)
		return EX_RUN;
	int e = store_remote_remove(st, pos[1]);
	int rc = EX_OK;
	if (e == -ENOENT) {
		fprintf(stderr, "pumpd unpair: no remote named '%s'\n", pos[1]);
		rc = EX_RUN;
	} else if (e < 0) {
		fprintf(stderr, "pumpd unpair: cannot store: %s\n", store_errmsg(st));
		rc = EX_RUN;
	} else {
		char text[MSG_TEXT_MAX + 1];
		snprintf(text, sizeof text, "unpaired %s", pos[1]);
		store_audit(st, pclock_wall_ms(), "pump", text);
		printf("unpaired %s\n", pos[1]);
	}
	store_close(st);
	return rc;
}

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

static int cmd_remotes(int argc, char **argv)
{
	const char *pos[1];
	int npos;
	int r = getopts(argc, argv, help_only, "remotes", no_opt, NULL, pos, 1, &npos);
	if (r == -1) {
		fputs(usage_remotes, stdout);
		return EX_OK;
	}
	if (r)
		return r;
	if (npos != 1)
		return usage_error("remotes", "needs the state directory");
	struct store *st = open_store(pos[0], "remotes", STATEDIR_READ);
	if (!st)
		return EX_RUN;
	int e = store_remote_each(st, print_remote, NULL);
	store_close(st);
	if (e < 0) {
		fprintf(stderr, "pumpd remotes: cannot read the remotes\n");
		return EX_RUN;
	}
	return EX_OK;
}

static int cmd_rx(int argc, char **argv)
{
	const char *pos[1];
	int npos;
	int r = getopts(argc, argv, help_only, "rx", no_opt, NULL, pos, 1, &npos);
	if (r == -1) {
		fputs(usage_rx, stdout);
		return EX_OK;
	}
	if (r)
		return r;
	if (npos != 1)
		return usage_error("rx", "needs the state directory");
	struct store *st = open_store(pos[0], "rx", STATEDIR_READ);
	if (!st)
		return EX_RUN;
	uint8_t blob[PUMP_SERIAL_MAX];
	size_t n = 0;
	pump *p = calloc(1, sizeof *p);
	int rc = EX_RUN;
	if (p && store_get_blob(st, "pump", blob, sizeof blob, &n) == 0 &&
	    pump_deserialize(p, blob, n) == 0) {
		struct msg_rx mrx;
		wire_rx_from_pump(&p->rx, &mrx);
		rc = rxfile_fprint(&mrx, stdout) == 0 ? EX_OK : EX_RUN;
	} else {
		fprintf(stderr, "pumpd rx: the pump's state is missing or corrupt\n");
	}
	free(p);
	store_close(st);
	return rc;
}

/* ---- run ----------------------------------------------------------------- */

struct run_opts {
	struct server_config cfg;
	unsigned nlisten;
	char unix_addr[PEER_LISTEN_MAX][128];
	int ready_fd;
	int bad;
};

static int set_u32(const char *name, const char *arg, uint64_t max, uint32_t *out)
{
	uint64_t v;
	if (parse_uint(arg, max, &v) < 0) {
		return usage_error("run", "%s '%s' must be a whole number up to %"
		                   PRIu64, name, arg, max);
	}
	*out = (uint32_t)v;
	return 0;
}

static int run_opt(void *ud, int c, const char *arg)
{
	struct run_opts *o = ud;
	uint32_t v;
	int r;
	switch (c) {
	case 'l':
	case 'u':
		if (o->nlisten >= PEER_LISTEN_MAX)
			return usage_error("run", "at most 4 addresses");
		if (c == 'u') {
			if (strlen(arg) + 6 > sizeof o->unix_addr[0])
				return usage_error("run", "unix path too long: %s", arg);
			snprintf(o->unix_addr[o->nlisten], sizeof o->unix_addr[0],
			         "unix:%s", arg);
			arg = o->unix_addr[o->nlisten];
		}
		{
			struct peer_addr pa;
			if (peer_addr_parse(arg, &pa) < 0)
				return usage_error("run", "bad address '%s' (use "
				                   "tcp:HOST:PORT or unix:PATH)", arg);
		}
		o->cfg.listen[o->nlisten++] = arg;
		return 0;
	case 's':
		o->cfg.sim = 1;
		return 0;
	case 'S':
		if ((r = set_u32("--speed", arg, PCLOCK_SPEED_MAX, &o->cfg.speed)))
			return r;
		return 0;
	case 'R':
		if ((r = set_u32("--ready-fd", arg, 65535, &v)))
			return r;
		o->ready_fd = (int)v;
		return 0;
	case 'L': {
		int lv = log_level_parse(arg);
		if (lv < 0)
			return usage_error("run", "--log-level '%s' must be error, "
			                   "warn, info or debug", arg);
		log_set_level(lv);
		return 0;
	}
	case 'H':
		return set_u32("--handshake-timeout", arg, 600000, &o->cfg.handshake_ms);
	case 'F':
		return set_u32("--frame-timeout", arg, 600000, &o->cfg.frame_ms);
	case 'M':
		if ((r = set_u32("--max-peers", arg, 65535, &v)))
			return r;
		o->cfg.max_peers = v;
		return 0;
	case 'P':
		return set_u32("--db-max-pages", arg, UINT32_MAX, &o->cfg.db_max_pages);
	}
	return usage_error("run", "unknown option");
}

static struct server *g_srv;
static int g_stopping;
static uv_signal_t g_sigterm, g_sigint;

static void server_closed(void *ud)
{
	(void)ud;
	g_srv = NULL;
	uv_close((uv_handle_t *)&g_sigterm, NULL);
	uv_close((uv_handle_t *)&g_sigint, NULL);
	log_info("stopped");
}

/* The first SIGTERM/SIGINT stops gracefully (what is queued is delivered);
 * a second one stops waiting for slow remotes. */
static void on_signal(uv_signal_t *h, int sig)
{
	(void)h;
	if (!g_srv)
		return;
	const char *name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
	if (g_stopping) {
		log_info("%s again: closing now", name);
		server_close_now(g_srv);
		return;
	}
	g_stopping = 1;
	log_info("%s: stopping", name);
	server_close(g_srv, 0, server_closed, NULL);
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "unix", required_argument, NULL, 'u' },
		{ "sim", no_argument, NULL, 's' },
		{ "speed", required_argument, NULL, 'S' },
		{ "ready-fd", required_argument, NULL, 'R' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "handshake-timeout", required_argument, NULL, 'H' },
		{ "frame-timeout", required_argument, NULL, 'F' },
		{ "max-peers", required_argument, NULL, 'M' },
		{ "db-max-pages", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct run_opts *o = calloc(1, sizeof *o);
	if (!o)
		return EX_RUN;
	o->ready_fd = -1;
	o->cfg.speed = 1;
	const char *pos[1];
	int npos;
	int r = getopts(argc, argv, opts, "run", run_opt, o, pos, 1, &npos);
	if (r == -1) {
		fputs(usage_run, stdout);
		free(o);
		return EX_OK;
	}
	if (r) {
		free(o);
		return r;
	}
	if (npos != 1) {
		free(o);
		return usage_error("run", "needs the state directory");
	}
	if (o->ready_fd >= 0 && fcntl(o->ready_fd, F_GETFD) < 0) {
		free(o);
		return usage_error("run", "--ready-fd is not an open file "
		                   "descriptor");
	}
	if (o->nlisten == 0)
		o->cfg.listen[o->nlisten++] = "tcp:127.0.0.1:7470";
	o->cfg.dir = pos[0];
	if (!o->cfg.sim && o->cfg.speed != 1)
		log_warn("--speed is only used with --sim");

	signal(SIGPIPE, SIG_IGN);
	if (crypto_init() < 0) {
		fprintf(stderr, "pumpd: cannot initialise libsodium\n");
		free(o);
		return EX_RUN;
	}
	uv_loop_t loop;
	uv_loop_init(&loop);
	char err[512];
	struct server *srv;
	int e = server_new(&loop, &o->cfg, &srv, err, sizeof err);
	if (e < 0) {
		log_error("%s", err);
		uv_loop_close(&loop);
		free(o);
		return EX_RUN;
	}
	g_srv = srv;
	uv_signal_init(&loop, &g_sigterm);
	uv_signal_init(&loop, &g_sigint);
	uv_signal_start(&g_sigterm, on_signal, SIGTERM);
	uv_signal_start(&g_sigint, on_signal, SIGINT);

	char line[PEER_LISTEN_MAX * (PEER_ADDR_MAX + 1) + 16] = "READY";
	char addrs[PEER_LISTEN_MAX * (PEER_ADDR_MAX + 1)] = "";
	for (unsigned i = 0; i < o->nlisten; i++) {
		char a[PEER_ADDR_MAX];
		if (server_address(srv, i, a, sizeof a) == 0) {
			strcat(line, " ");
			strcat(line, a);
			if (addrs[0])
				strcat(addrs, " ");
			strcat(addrs, a);
		}
	}
	strcat(line, "\n");
	log_info("ready on %s (%s clock)", addrs, o->cfg.sim ? "simulated" : "real");
	if (o->ready_fd >= 0) {
		size_t len = strlen(line);
		ssize_t w = write(o->ready_fd, line, len);
		if (w != (ssize_t)len)
			log_warn("--ready-fd: %s", w < 0 ? strerror(errno) : "short write");
		close(o->ready_fd);
	}
	free(o);
	uv_run(&loop, UV_RUN_DEFAULT);
	e = uv_loop_close(&loop);
	if (e < 0)
		log_warn("loop closed with handles open (%s)", uv_strerror(e));
	return EX_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return EX_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		fputs(usage_main, stdout);
		return EX_OK;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "pumpd: cannot initialise libsodium\n");
		return EX_RUN;
	}
	umask(077);  /* the state directory holds secrets and medical records */
	argc--;
	argv++;
	if (strcmp(cmd, "init") == 0)
		return cmd_init(argc, argv);
	if (strcmp(cmd, "pair") == 0)
		return cmd_pair(argc, argv);
	if (strcmp(cmd, "unpair") == 0)
		return cmd_unpair(argc, argv);
	if (strcmp(cmd, "remotes") == 0)
		return cmd_remotes(argc, argv);
	if (strcmp(cmd, "rx") == 0)
		return cmd_rx(argc, argv);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc, argv);
	fprintf(stderr, "pumpd: unknown command '%s'\n", cmd);
	fputs(usage_main, stderr);
	return EX_USAGE;
}
