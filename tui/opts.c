/* tui/opts.c — ptm's command line (see opts.h). */
#include "tui/opts.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/keys.h"
#include "tui/hh.h"
#include "util/esc.h"
#include "util/units.h"
#include "util/version.h"

static void usage(FILE *f)
{
	fputs("usage: ptm [--pump ADDR] [--key FILE] [--pump-key FILE] [--tester-key FILE]\n"
	      "           [--train] [--ascii] [--clinician] [--record FILE]\n"
	      "           [--remote-battery PCT]\n"
	      "           [--remote-battery-life DURATION] [--remote-battery-requests N]\n"
	      "       ptm --keygen DIR/NAME[.key]\n"
	      "       ptm --help | --version\n"
	      "\n"
	      "The patient's remote for an implanted drug pump (pumpd), drawn in the\n"
	      "terminal (80x24 or larger).  The pump decides every dose; the remote\n"
	      "shows its answer.\n"
	      "\n"
	      "  --pump ADDR          the pump: unix:PATH or tcp:HOST:PORT  [PTM_PUMP]\n"
	      "  --key FILE           this remote's private key, mode 0600  [PTM_KEY]\n"
	      "  --pump-key FILE      the pump's public key                 [PTM_PUMP_KEY]\n"
	      "  --tester-key FILE    a private key paired as tester: lets training skip\n"
	      "                       time and raise alarms on a simulated pump\n"
	      "  --train              training mode: guided lessons\n"
	      "  --clinician          the clinician's programmer (--key a clinician's key):\n"
	      "                       interrogation with charts, a guided refill with the\n"
	      "                       pump's check and the bridge bolus, programming\n"
	      "                       staged on the pump (its comparison, confirm or\n"
	      "                       cancel), clinician boluses, the alarm test; ? lists\n"
	      "                       its keys\n"
	      "  --ascii              draw with ASCII only (also when the locale is not UTF-8)\n"
	      "  --record FILE        write what happened as a scenario (a new FILE) that\n"
	      "                       'ptmctl run FILE' replays as a test\n"
	      "  --remote-battery PCT the remote's own battery level at start, 0-100 (below\n"
	      "                       20 lights Remote battery; 0: empty, p puts new ones in)\n"
	      "  --remote-battery-life DURATION\n"
	      "                       how long full batteries last unused, e.g. 90d (the\n"
	      "                       default) or 10min; pump time on a simulated pump\n"
	      "  --remote-battery-requests N\n"
	      "                       requests full batteries send with no time passing\n"
	      "                       (default 2000)\n"
	      "  --keygen DIR/NAME    write a new key pair DIR/NAME.key and DIR/NAME.pub\n"
	      "                       (NAME or NAME.key) and print the public key\n"
	      "  -h, --help           this help\n"
	      "  --version            print 'ptm VERSION'\n"
	      "\n"
	      "Keys: Space, Enter or a click on DOSE  ask for a dose;  m silence alarms;\n"
	      "a alarms;  s status;  h history;  b, Esc back;  r, Ctrl-L refresh;  ? help;\n"
	      "Up/Down/PgUp/PgDn scroll;  p new remote batteries;  q quit (the pump keeps\n"
	      "working).  Training:\n"
	      "l lessons, 1-5 start one, n next step, x leave, f skip time, o start the\n"
	      "pump over.\n"
	      "Environment: NO_COLOR (no colours), LANG/LC_ALL (UTF-8 or ASCII), TZ.\n"
	      "See ptm(1).\n", f);
}

/* --remote-battery-life DURATION, --remote-battery-requests N */
static int battery_opt(const char *opt, const char *val, struct opts *g)
{
	char e[ESC_MAX(64)];
	uint64_t v;
	if (strcmp(opt, "--remote-battery-life") == 0) {
		if (units_parse_duration(val, &v) < 0 || v < 1000 ||
		    v > HH_BATT_LIFE_MAX_MS) {
			fprintf(stderr, "ptm: --remote-battery-life: '%s' is not a duration from "
			        "1 s to 100 years (e.g. 90d, 10min)\n", esc_s(e, sizeof e, val));
			return -1;
		}
		g->battery_life_ms = v;
		return 0;
	}
	if (units_parse_uint(val, 1000000, &v) < 0 || v < 1) {
		fprintf(stderr, "ptm: --remote-battery-requests: '%s' is not a number from 1 "
		        "to 1000000\n", esc_s(e, sizeof e, val));
		return -1;
	}
	g->battery_requests = (uint32_t)v;
	return 0;
}

int opts_parse(int argc, char **argv, struct opts *g)
{
	memset(g, 0, sizeof *g);
	g->pump = getenv("PTM_PUMP");
	g->pump_src = "PTM_PUMP";
	g->key = getenv("PTM_KEY");
	g->pump_key = getenv("PTM_PUMP_KEY");
	g->battery = 100;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		const char **val = NULL;
		if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
			usage(stdout);
			return 1;
		} else if (strcmp(s, "--version") == 0) {
			printf("ptm %s\n", PTM_VERSION);
			return 1;
		} else if (strcmp(s, "--train") == 0) {
			g->train = 1;
			continue;
		} else if (strcmp(s, "--ascii") == 0) {
			g->ascii = 1;
			continue;
		} else if (strcmp(s, "--clinician") == 0) {
			g->clinician = 1;
			continue;
		} else if (strcmp(s, "--pump") == 0) {
			val = &g->pump;
			g->pump_src = "--pump";
		} else if (strcmp(s, "--key") == 0) {
			val = &g->key;
		} else if (strcmp(s, "--pump-key") == 0) {
			val = &g->pump_key;
		} else if (strcmp(s, "--tester-key") == 0) {
			val = &g->tester_key;
		} else if (strcmp(s, "--keygen") == 0) {
			val = &g->keygen;
		} else if (strcmp(s, "--record") == 0) {
			val = &g->record;
		} else if (strcmp(s, "--remote-battery") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "ptm: --remote-battery needs a percentage\n");
				return -1;
			}
			char *end;
			long p = strtol(argv[++i], &end, 10);
			if (*argv[i] == '\0' || *end != '\0' || p < 0 || p > 100) {
				char e[ESC_MAX(64)];
				fprintf(stderr, "ptm: --remote-battery: '%s' is not 0..100\n",
				        esc_s(e, sizeof e, argv[i]));
				return -1;
			}
			g->battery = (int)p;
			continue;
		} else if (strcmp(s, "--remote-battery-life") == 0 ||
		           strcmp(s, "--remote-battery-requests") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "ptm: %s needs a value (try ptm --help)\n", s);
				return -1;
			}
			if (battery_opt(s, argv[++i], g) < 0)
				return -1;
			continue;
		} else {
			char e[ESC_MAX(64)];
			fprintf(stderr, "ptm: unknown option '%s' (try ptm --help)\n",
			        esc_s(e, sizeof e, s));
			return -1;
		}
		if (i + 1 >= argc || argv[i + 1][0] == '\0') {
			fprintf(stderr, "ptm: %s needs a value (try ptm --help)\n", s);
			return -1;
		}
		*val = argv[++i];
	}
	return 0;
}

/* DIR/NAME or DIR/NAME.key: keys_write_pair takes NAME.key as NAME. */
int opts_keygen(const char *path)
{
	char dir[4096], err[KEYS_ERRLEN];
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	size_t dl = slash ? (size_t)(slash - path) : 1;
	if (*name == '\0' || dl >= sizeof dir) {
		char e[ESC_MAX(256)];
		fprintf(stderr, "ptm: --keygen: '%s' does not end in a file name\n",
		        esc_s(e, sizeof e, path));
		return 2;
	}
	if (slash)
		memcpy(dir, path, dl);
	else
		dir[0] = '.';
	dir[dl] = '\0';
	if (slash && dl == 0)
		strcpy(dir, "/");
	uint8_t priv[KEYS_LEN], pub[KEYS_LEN];
	int rc = keys_generate(priv, pub);
	if (rc == 0)
		rc = keys_write_pair(dir, name, priv, err);
	else
		snprintf(err, sizeof err, "no randomness");
	sodium_memzero(priv, sizeof priv);
	if (rc < 0) {
		fprintf(stderr, "ptm: --keygen: %s\n", err);
		return 1;
	}
	char b64[KEYS_B64LEN];
	keys_format_public(pub, b64);
	printf("%s\n", b64);
	return 0;
}
