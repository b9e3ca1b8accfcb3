/*
 * tests/test_ptmctl_run.c — the scenario runner end to end against the real
 * pumpd: the TAP it prints for passing and failing expectations, syntax
 * errors and restarts, and its result.  Needs $PTM_BUILD/pumpd (tests/run.sh
 * sets PTM_BUILD) or build/pumpd.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/scenario_run.h"

static char pumpd[4096];
static char dir[] = "/tmp/ptm-scnrun-XXXXXX";

static int is_program(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

static void setup(void)
{
	const char *b = getenv("PTM_BUILD");
	snprintf(pumpd, sizeof pumpd, "%s/pumpd", b ? b : "build");
	if (!is_program(pumpd))
		snprintf(pumpd, sizeof pumpd, "%s/pumpd.bin", b ? b : "build");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

/* Run one scenario text; returns the runner's result, TAP in *out (malloc). */
static int run_text(const char *name, const char *text, char **out)
{
	char path[256];
	size_t len = 0;
	FILE *f, *tap;
	struct scnrun_opts o;
	char *files[1];
	int rc;

	if (!is_program(pumpd))
		cr_skip_test("no pumpd binary at %s", pumpd);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	tap = open_memstream(out, &len);
	cr_assert_not_null(tap);
	memset(&o, 0, sizeof o);
	o.pumpd = pumpd;
	o.out = tap;
	files[0] = path;
	rc = scnrun_files(&o, 1, files);
	fclose(tap);
	/* make the output independent of the temporary directory's name */
	{
		char *p;
		size_t dl = strlen(dir) + 1;
		while ((p = strstr(*out, dir)) != NULL)
			memmove(p, p + dl, strlen(p + dl) + 1);
	}
	return rc;
}

TestSuite(scnrun, .init = setup, .fini = teardown, .timeout = 60);

Test(scnrun, passing_and_failing_expectations_are_reported_with_the_actual_value)
{
	char *out = NULL;
	int rc = run_text("one.scn",
		"pump sim\n"
		"as patient bolus\n"
		"expect outcome granted dose=0.5mg ends_in=10m\n"
		"expect state reservoir=19.95mL\n"
		"as patient bolus\n"
		"expect outcome lockout\n"
		"as patient retry\n"
		"expect same\n", &out);
	cr_assert_eq(rc, 1);
	cr_assert_str_eq(out,
		"# one.scn\n"
		"ok 1 - one.scn:3: expect outcome granted dose=0.5mg ends_in=10m\n"
		"not ok 2 - one.scn:4: expect state reservoir=19.95mL\n"
		"#   reservoir=19.95mL: got 20 mL (20000000 nL)\n"
		"not ok 3 - one.scn:6: expect outcome lockout\n"
		"#   expected outcome lockout, got bolus reply (id 2): outcome running, dose 0.5 mg, wait 10m\n"
		"ok 4 - one.scn:8: expect same\n"
		"1..4\n");
	free(out);
}

Test(scnrun, a_scenario_that_does_not_parse_is_one_failure_and_runs_nothing)
{
	char *out = NULL;
	int rc = run_text("bad.scn", "pump sim\nas patient bolus\nexpect outcome maybe\n", &out);
	cr_assert_eq(rc, 1);
	cr_assert_str_eq(out,
		"not ok 1 - bad.scn:3: expect outcome: unknown outcome 'maybe'\n"
		"#   the scenario does not parse; nothing was run\n"
		"1..1\n");
	free(out);
}

Test(scnrun, state_survives_kill9_and_the_role_is_enforced)
{
	char *out = NULL;
	int rc = run_text("k.scn",
		"pump sim\n"
		"as patient bolus\n"
		"clock advance 5m\n"
		"kill9\n"
		"expect state bolus_running=yes\n"
		"as patient status\n"
		"expect state bolus_running=yes bolus_ends=5m boluses_24h=1 reservoir=19.973959mL\n"
		"as patient clock advance 1h\n"
		"expect error role detail=patient\n", &out);
	cr_assert_eq(rc, 1);
	cr_assert_str_eq(out,
		"# k.scn\n"
		"not ok 1 - k.scn:5: expect state bolus_running=yes\n"
		"#   no reply since the pump restarted: send a request first (e.g. as patient status)\n"
		"ok 2 - k.scn:7: expect state bolus_running=yes bolus_ends=5m boluses_24h=1 reservoir=19.973959mL\n"
		"ok 3 - k.scn:9: expect error role detail=patient\n"
		"1..3\n");
	free(out);
}

Test(scnrun, a_pumpd_that_cannot_start_fails_the_file)
{
	char *out = NULL;
	int rc;
	snprintf(pumpd, sizeof pumpd, "/bin/false");
	rc = run_text("nostart.scn", "pump sim\nas patient bolus\nexpect ok\n", &out);
	cr_assert_eq(rc, 1);
	cr_assert(strstr(out, "# nostart.scn\nnot ok 1 - nostart.scn:1: pump sim\n"
	                      "#   pumpd init exited with status 1\n") == out, "%s", out);
	cr_assert(strstr(out, "# nostart.scn: the remaining 2 steps were not run\n"));
	cr_assert(strstr(out, "1..1\n"));
	free(out);
}
