/* tests/test_pumpd_cli.c — the pumpd command line: init, pair, unpair,
 * remotes, rx, run; exit codes 0 / 1 / 2 and messages that say what is
 * wrong, naming the prescription line and field. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/e2e.h"
#include "tests/lib/tmpdir.h"

static char dir[TMPDIR_MAX], state[128], out[4096];

TMPDIR_SUITE(pumpd_cli, dir, "ptm-pumpd-cli", state, "state");

static int run(const char *const *argv)
{
	return e2e_cli(argv, out, sizeof out);
}

static void put(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
}

Test(pumpd_cli, help_for_every_command)
{
	const char *cmds[] = { "init", "pair", "unpair", "remotes", "rx", "run" };
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		const char *argv[] = { cmds[i], "--help", NULL };
		cr_assert_eq(run(argv), 0, "%s --help", cmds[i]);
		cr_assert(strstr(out, "usage: pumpd "), "%s", out);
	}
	const char *top[] = { "--help", NULL };
	cr_assert_eq(run(top), 0);
	const char *bad[] = { "frobnicate", NULL };
	cr_assert_eq(run(bad), 2);
	const char *badopt[] = { "run", state, "--speed", "fast", NULL };
	cr_assert_eq(run(badopt), 2);
	cr_assert(strstr(out, "--speed 'fast' must be a whole number"), "%s", out);
}

/* Every option pumpd(8) names is in the help a user reads:
 * init's and rx's on the overview's own line too ('pumpd --help' left out
 * --drug-library and --override). */
Test(pumpd_cli, help_names_every_option_of_the_man_page)
{
	const char *src = getenv("PTM_SRCDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/docs/pumpd.8", src ? src : ".");
	FILE *fp = fopen(path, "r");
	cr_assert_not_null(fp, "cannot open %s (run from the repository root)", path);
	static char man[65536], helps[65536], top[4096];
	size_t n = fread(man, 1, sizeof man - 1, fp);
	fclose(fp);
	man[n] = 0;
	const char *cmds[] = { "init", "pair", "unpair", "remotes", "rx", "run", "status" };
	helps[0] = 0;
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		const char *argv[] = { cmds[i], "--help", NULL };
		cr_assert_eq(run(argv), 0, "%s --help", cmds[i]);
		cr_assert_lt(strlen(helps) + strlen(out), sizeof helps - 1);
		strcat(helps, out);
	}
	const char *argv[] = { "--help", NULL };
	cr_assert_eq(run(argv), 0);
	snprintf(top, sizeof top, "%s", out);
	/* every option the page sets in bold (.B, .BI, .BR lines: the synopsis
	 * and each option's entry) */
	int seen = 0;
	for (const char *q = man; (q = strstr(q, "\n.B")); q += 3) {
		const char *eol = strchr(q + 1, '\n');
		const char *o = strstr(q, "\\-\\-");
		if (!o || !eol || o > eol)
			continue;
		char opt[48] = "--";
		size_t k = 2;
		for (const char *c = o + 4; k < sizeof opt - 1 && ((*c >= 'a' && *c <= 'z') ||
		     (*c == '\\' && c[1] == '-')); c++) {
			if (*c == '\\')
				c++;
			opt[k++] = *c;
		}
		opt[k] = 0;
		cr_assert(strstr(helps, opt), "pumpd(8) names %s; no --help says it", opt);
		seen++;
	}
	cr_assert_gt(seen, 20, "the page's options were read");
	const char *init = strstr(top, "  init DIR"), *rx = strstr(top, "  rx DIR");
	cr_assert(init && rx, "%s", top);
	const char *next = strstr(init, "  pair DIR");
	cr_assert(next);
	cr_assert(strstr(init, "--drug-library") && strstr(init, "--drug-library") < next, "%s", top);
	cr_assert(strstr(init, "--override") && strstr(init, "--override") < next, "%s", top);
	cr_assert(strstr(rx, "--drug-library") && strstr(rx, "--override"), "%s", top);
}

/* verifies: SR-KEY-003 */
Test(pumpd_cli, init_pair_list_unpair)
{
	const char *init[] = { "init", state, "--volume-ml", "12.5", NULL };
	cr_assert_eq(run(init), 0, "%s", out);
	struct stat sb;
	char pub[160], pubtext[64] = "";
	snprintf(pub, sizeof pub, "%s/pump.pub", state);
	FILE *f = fopen(pub, "r");
	cr_assert(f);
	cr_assert(fgets(pubtext, sizeof pubtext, f));
	fclose(f);
	cr_assert_eq(strlen(pubtext), 45);
	cr_assert(strstr(out, pubtext), "prints the key: %s", out);
	cr_assert(strstr(out, "(morphine, 12.5 mL in the reservoir of 20 mL)"),
	          "volumes as a person reads them: %s", out);
	cr_assert_eq(stat(state, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0700);
	char key[160];
	snprintf(key, sizeof key, "%s/pump.key", state);
	cr_assert_eq(stat(key, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600);

	cr_assert_eq(run(init), 1, "a second init must refuse");
	cr_assert(strstr(out, "not empty"), "%s", out);

	const char *pair[] = { "pair", state, "--role", "clinician", "--name", "dr.x",
	                       "--key", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL };
	cr_assert_eq(run(pair), 0, "%s", out);
	cr_assert(strncmp(out, "paired dr.x as clinician; pairing code ", 39) == 0, "%s", out);
	cr_assert_eq(strlen(out), 39 + 6 + strlen("; pairing check ") + 39 + 1, "%s", out);
	cr_assert(strstr(out, "; pairing check "), "%s", out);
	cr_assert_eq(run(pair), 1, "the same key twice");
	cr_assert(strstr(out, "already paired as 'dr.x'"), "%s", out);
	const char *badrole[] = { "pair", state, "--role", "nurse", "--name", "n",
	                          "--key", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL };
	cr_assert_eq(run(badrole), 2);
	const char *badkey[] = { "pair", state, "--role", "patient", "--name", "n",
	                         "--key", "short", NULL };
	cr_assert_eq(run(badkey), 2);

	const char *list[] = { "remotes", state, NULL };
	cr_assert_eq(run(list), 0);
	cr_assert(strstr(out, "dr.x") && strstr(out, "clinician") && strstr(out, "never"),
	          "%s", out);
	const char *unpair[] = { "unpair", state, "dr.x", NULL };
	cr_assert_eq(run(unpair), 0);
	cr_assert_eq(run(unpair), 1);
	cr_assert(strstr(out, "no remote named 'dr.x'"), "%s", out);
	cr_assert_eq(run(list), 0);
	cr_assert_str_eq(out, "");
}

/* verifies: SR-RX-001 */
Test(pumpd_cli, prescription_file_errors_name_line_and_field)
{
	put("bad.rx", "drug = morphine\nconcentration = 10 mg/mL\nreservoir = 20 mL\n"
	    "mode = continuous\ndaily_rate = 3 mg/day\nbolus = on\n"
	    "bolus_dose = 0.5 kg\n");
	char rx[128];
	snprintf(rx, sizeof rx, "%s/bad.rx", dir);
	const char *init[] = { "init", state, "--rx", rx, NULL };
	cr_assert_eq(run(init), 2);
	cr_assert(strstr(out, "bad.rx:7: bolus_dose: '0.5 kg' has an unknown unit"),
	          "%s", out);
	cr_assert_neq(access(state, F_OK), 0, "nothing created");

	/* parses, but outside the pump's limits: the line of the field */
	put("range.rx", "drug = morphine\nconcentration = 10 mg/mL\nreservoir = 20 mL\n"
	    "mode = continuous\ndaily_rate = 3 mg/day\nbolus = on\n"
	    "bolus_dose = 0.5 mg\nbolus_duration = 10 min\nlockout = 5 min\n"
	    "max_per_24h = 6\nlow_reservoir = 2 mL\n");
	snprintf(rx, sizeof rx, "%s/range.rx", dir);
	cr_assert_eq(run(init), 2);
	cr_assert(strstr(out, "range.rx:9: lockout: out of the pump's range"), "%s", out);

	/* a good file round-trips through pumpd rx */
	put("good.rx", "drug = baclofen\nconcentration = 2 mg/mL\nreservoir = 40 mL\n"
	    "mode = flexible\nstep = 00:00 400 ug/day\nstep = 20:00 600 ug/day\n"
	    "bolus = off\nlow_reservoir = 4 mL\n");
	snprintf(rx, sizeof rx, "%s/good.rx", dir);
	cr_assert_eq(run(init), 0, "%s", out);
	const char *show[] = { "rx", state, NULL };
	cr_assert_eq(run(show), 0);
	cr_assert(strstr(out, "drug = baclofen\n"), "%s", out);
	cr_assert(strstr(out, "step = 20:00 0.6 mg/day\n"), "%s", out);
	cr_assert(strstr(out, "capacity = 40 mL\n"), "%s", out);
}

Test(pumpd_cli, run_refuses_a_missing_state_and_bad_addresses)
{
	const char *r1[] = { "run", state, "--unix", "/tmp/x.sock", NULL };
	cr_assert_eq(run(r1), 1);
	cr_assert(strstr(out, "run pumpd init first"), "%s", out);
	const char *r2[] = { "run", state, "--listen", "carrier-pigeon:1", NULL };
	cr_assert_eq(run(r2), 2);
	cr_assert(strstr(out, "bad address"), "%s", out);
	const char *r3[] = { "run", state, "--log-level", "loud", NULL };
	cr_assert_eq(run(r3), 2);
}
