/* pumpd/cli/cmd_init.c — pumpd init: create a pump state directory
 * (see cmd.h, pumpd(8)). */
#include "pumpd/cli/cmd.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/keys.h"
#include "pumpd/cli/cli.h"
#include "pumpd/cli/rxlimit.h"
#include "pumpd/clock.h"
#include "pump/pump.h"
#include "pumpd/rxload.h"
#include "pumpd/statedir.h"
#include "pumpd/statelock.h"
#include "pumpd/store.h"
#include "pumpd/cli/timearg.h"
#include "pumpd/wire.h"
#include "util/units.h"

static const char usage_init[] =
	"usage: pumpd init DIR [--rx FILE] [--volume-ml N] [--start TIME]\n"
	"                      [--drug-library FILE|none] [--override REASON]\n"
	"\n"
	"Create DIR (mode 0700; it must not exist or be empty) holding the pump's\n"
	"key pair (pump.key 0600, pump.pub), its database (state.db) and its first\n"
	"prescription: FILE in the prescription format (see pumpd(8)), or the\n"
	"default one.  The reservoir starts full unless --volume-ml says how many\n"
	"mL it holds (decimals allowed, e.g. 12.5).  Prints the pump's public key.\n"
	"  --start TIME   the pump's clock starts at TIME instead of now: UTC as\n"
	"                 2026-01-01T08:00:00Z (or ...:00.250Z), or ms since the\n"
	"                 epoch.  'pumpd run --sim' then starts its simulated clock\n"
	"                 there; on the real clock the pump catches up to now.\n"
	"  --drug-library FILE|none\n"
	"                 the drug library the prescription is checked against\n"
	"                 (default the shipped one, as pumpd run's): past a hard\n"
	"                 limit it is refused and nothing is made\n"
	"  --override REASON\n"
	"                 pass a soft limit of the library (1-63 characters; the\n"
	"                 reason is kept in the audit log)\n";

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

enum { INIT_RX = CLI_OPT_STR, INIT_VOL, INIT_START, INIT_LIB, INIT_OVERRIDE,
       INIT_NOPT };

static const struct option init_options[] = {
	{ "rx", required_argument, NULL, INIT_RX },
	{ "volume-ml", required_argument, NULL, INIT_VOL },
	{ "start", required_argument, NULL, INIT_START },
	{ "drug-library", required_argument, NULL, INIT_LIB },
	{ "override", required_argument, NULL, INIT_OVERRIDE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int init_go(const char **pos, int npos, void *ud)
{
	(void)npos;
	const char *const *o = ud;   /* [INIT_...]: the options given */
	const char *dir = pos[0];
	int64_t now = pclock_wall_ms();
	if (o[INIT_START] && timearg_parse(o[INIT_START], &now) < 0)
		return cli_usage_error("init", "--start '%s' must be a UTC time like "
		                       "2026-01-01T08:00:00Z or ms since the epoch "
		                       "(1970 to 9999)", o[INIT_START]);

	pump_rx rx;
	if (o[INIT_RX]) {
		if (rxload_file(o[INIT_RX], &rx) < 0)
			return CLI_USAGE;
	} else {
		pump_rx_default(&rx);
	}
	uint32_t volume = rx.capacity_nl;
	if (o[INIT_VOL]) {
		if (parse_ml(o[INIT_VOL], &volume) < 0 || volume > rx.capacity_nl) {
			fprintf(stderr, "pumpd init: --volume-ml '%s' must be a number of "
			        "mL from 0 to the reservoir's %u mL\n", o[INIT_VOL],
			        rx.capacity_nl / 1000000);
			return CLI_USAGE;
		}
	}
	/* the drug library's limits, before anything is made */
	if (o[INIT_OVERRIDE] && rxlimit_override_ok("init", o[INIT_OVERRIDE]))
		return CLI_USAGE;
	struct druglib *lib;
	char note[RXLIMIT_NOTE_MAX];
	if (rxlimit_load("init", o[INIT_LIB], &lib, NULL) < 0)
		return CLI_USAGE;
	int lim = rxlimit_check("init", o[INIT_RX] ? o[INIT_RX] : "the default "
	                        "prescription", lib, &rx, o[INIT_OVERRIDE], note,
	                        sizeof note);
	druglib_free(lib);
	if (lim)
		return lim;

	int made = 0;
	if (mkdir(dir, 0700) == 0) {
		made = 1;
	} else if (errno == EEXIST) {
		int em = dir_is_empty(dir);
		if (em < 0) {
			fprintf(stderr, "pumpd init: %s: %s\n", dir, strerror(-em));
			return CLI_RUN;
		}
		if (!em) {
			fprintf(stderr, "pumpd init: %s exists and is not empty; "
			        "refusing to overwrite it\n", dir);
			return CLI_RUN;
		}
		if (chmod(dir, 0700) < 0) {
			fprintf(stderr, "pumpd init: %s: %s\n", dir, strerror(errno));
			return CLI_RUN;
		}
	} else {
		fprintf(stderr, "pumpd init: cannot create %s: %s\n", dir, strerror(errno));
		return CLI_RUN;
	}

	char path[4096], err[KEYS_ERRLEN];
	uint8_t priv[KEYS_LEN], pub[KEYS_LEN];
	int rc = CLI_RUN;
	struct store *st = NULL;
	struct statelock lk;
	char holder[STATELOCK_INFO_MAX];
	if (statelock_take(dir, &lk, holder, sizeof holder) != 1) {
		fprintf(stderr, "pumpd init: %s\n", holder);
		return CLI_RUN;   /* someone else is making it: touch nothing */
	}
	if (keys_generate(priv, pub) < 0) {
		fprintf(stderr, "pumpd init: cannot generate a key\n");
		goto out;
	}
	if (keys_write_pair(dir, "pump", priv, err) < 0) {
		fprintf(stderr, "pumpd init: %s\n", err);
		goto out;
	}
	sodium_memzero(priv, sizeof priv);
	statedir_path(path, sizeof path, dir, "state.db");
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
		e = store_put_blob(st, "pump_pub", pub, sizeof pub);
	struct store_event ev = { now, pclock_wall_ms(), STORE_EV_NOTE, "pump", 0,
	                          "pump initialised" };
	if (e == 0)
		e = store_audit(st, &ev) < 0 ? -EIO : 0;
	ev.text = note;   /* an override's reason, in a row of its own */
	if (e == 0 && note[0])
		e = store_audit(st, &ev) < 0 ? -EIO : 0;
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
	char vol[UNITS_FMT_MAX], cap[UNITS_FMT_MAX];
	fprintf(stderr, "pumpd: initialised %s (%s, %s in the reservoir of %s)\n",
	        dir, rx.drug, units_fmt_volume(volume, vol),
	        units_fmt_volume(rx.capacity_nl, cap));
	rc = CLI_OK;
out:
	sodium_memzero(priv, sizeof priv);
	store_close(st);
	statelock_release(&lk);
	if (rc != CLI_OK) {
		/* leave nothing half made */
		const char *files[] = { "pump.key", "pump.pub", "state.db",
		                        "state.db-wal", "state.db-shm", "lock" };
		for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
			statedir_path(path, sizeof path, dir, files[i]);
			unlink(path);
		}
		if (made)
			rmdir(dir);
	}
	return rc;
}

const struct cli_cmd cmd_init = {
	"init", usage_init, "the state directory", init_options, cli_opt_str,
	INIT_NOPT * sizeof(const char *), NULL, 1, 1, init_go };
