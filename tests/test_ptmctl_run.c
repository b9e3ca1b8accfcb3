/*
 * tests/test_ptmctl_run.c — the scenario runner end to end against the real
 * pumpd: the TAP it prints for passing and failing expectations, syntax
 * errors and restarts, and its result.  Needs $PTM_BUILD/pumpd (tests/run.sh
 * sets PTM_BUILD) or build/pumpd.
 */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/e2e.h"
#include "tools/scenario/scnrun.h"

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

static char *out; /* the TAP of the last run (freed here: a failed test jumps past its end) */

static void teardown(void)
{
	char cmd[128];
	free(out);
	out = NULL;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

static uint32_t timeout_ms; /* scnrun_opts.timeout_ms of the next run */
static e2e_pump *remote;    /* runs go to this pump (--pump) when set */
static char remote_pub[4200];
static uint64_t run_seed;   /* --seed of the next run, when not 0 */

/* Run one scenario text; returns the runner's result, TAP in out. */
static int run_text(const char *name, const char *text)
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
	free(out);
	out = NULL;
	tap = open_memstream(&out, &len);
	cr_assert_not_null(tap);
	memset(&o, 0, sizeof o);
	o.pumpd = pumpd;
	o.out = tap;
	o.timeout_ms = timeout_ms;
	if (run_seed) {
		o.has_seed = 1;
		o.seed = run_seed;
	}
	if (remote) {
		snprintf(remote_pub, sizeof remote_pub, "%s/pump.pub", e2e_state_dir(remote));
		o.pump_addr = e2e_addr(remote);
		o.pump_key = remote_pub;
		o.key[0] = e2e_key_path(remote, "patient", 0);
		o.key[1] = e2e_key_path(remote, "clinician", 0);
		o.key[2] = e2e_key_path(remote, "tester", 0);
	}
	files[0] = path;
	rc = scnrun_files(&o, 1, files);
	fclose(tap);
	/* make the output independent of the temporary directory's name */
	{
		char *p;
		size_t dl = strlen(dir) + 1;
		while ((p = strstr(out, dir)) != NULL)
			memmove(p, p + dl, strlen(p + dl) + 1);
	}
	return rc;
}

TestSuite(scnrun, .init = setup, .fini = teardown, .timeout = 60);

Test(scnrun, passing_and_failing_expectations_are_reported_with_the_actual_value)
{
	int rc = run_text("one.scn",
		"pump sim\n"
		"as patient bolus\n"
		"expect outcome granted dose=0.5mg ends_in=10m\n"
		"expect state reservoir=19.95mL\n"
		"as patient bolus\n"
		"expect outcome lockout\n"
		"as patient retry\n"
		"expect same\n");
	cr_assert_eq(rc, 1);
	cr_assert_str_eq(out,
		"# one.scn\n"
		"ok 1 - one.scn:3: expect outcome granted dose=0.5mg ends_in=10m\n"
		"not ok 2 - one.scn:4: expect state reservoir=19.95mL\n"
		"#   reservoir=19.95mL: got 20 mL (20000000 nL)\n"
		"not ok 3 - one.scn:6: expect outcome lockout\n"
		"#   expected outcome lockout, got bolus reply (id 2): outcome running, dose 0.5 mg, wait 2h\n"
		"ok 4 - one.scn:8: expect same\n"
		"1..4\n");
}

Test(scnrun, a_scenario_that_does_not_parse_is_one_failure_and_runs_nothing)
{
	int rc = run_text("bad.scn", "pump sim\nas patient bolus\nexpect outcome maybe\n");
	cr_assert_eq(rc, 1);
	cr_assert_str_eq(out,
		"not ok 1 - bad.scn:3: expect outcome: unknown outcome 'maybe'\n"
		"#   the scenario does not parse; nothing was run\n"
		"1..1\n");
}

/* verifies: SR-STORE-001 SR-LINK-004 */
Test(scnrun, state_survives_kill9_and_the_role_is_enforced)
{
	int rc = run_text("k.scn",
		"pump sim\n"
		"as patient bolus\n"
		"clock advance 5m\n"
		"kill9\n"
		"expect state bolus_running=yes\n"
		"as patient status\n"
		"expect state bolus_running=yes bolus_ends=5m boluses_24h=1 reservoir=19.973959mL\n"
		"as patient clock advance 1h\n"
		"expect error role detail=patient\n");
	cr_assert_eq(rc, 1);
	cr_assert_str_eq(out,
		"# k.scn\n"
		"not ok 1 - k.scn:5: expect state bolus_running=yes\n"
		"#   no reply since the pump restarted: send a request first (e.g. as patient status)\n"
		"ok 2 - k.scn:7: expect state bolus_running=yes bolus_ends=5m boluses_24h=1 reservoir=19.973959mL\n"
		"ok 3 - k.scn:9: expect error role detail=patient\n"
		"1..3\n");
}

Test(scnrun, a_pumpd_that_cannot_start_fails_the_file)
{
	int rc;
	snprintf(pumpd, sizeof pumpd, "/bin/false");
	rc = run_text("nostart.scn", "pump sim\nas patient bolus\nexpect ok\n");
	cr_assert_eq(rc, 1);
	cr_assert(strstr(out, "# nostart.scn\nnot ok 1 - nostart.scn:1: pump sim\n"
	                      "#   pumpd init exited with status 1\n") == out, "%s", out);
	cr_assert(strstr(out, "# nostart.scn: the remaining 2 steps were not run\n"));
	cr_assert(strstr(out, "1..1\n"));
}

/* verifies: SR-ALARM-006 */
Test(scnrun, expect_notify_sees_what_every_remote_was_pushed_and_says_what_came_instead)
{
	int rc;
	/* a failing expect notify waits this long for the notification */
	timeout_ms = 1000;
	rc = run_text("n.scn",
		"pump sim start=2026-01-01T08:00:00Z\n"
		"as patient bolus\n"
		"expect notify bolus_started\n"
		"expect notify patient clinician tester bolus_started boluses_24h=1\n"
		"expect notify tester bolus_ended\n"
		"clock advance 10m\n"
		"expect notify patient bolus_ended now=2026-01-01T08:10:00Z\n"
		"expect notify patient bolus_ended reservoir=20mL\n"
		"as patient status\n"
		"expect notify any\n"
		"fault motor_stall\n"
		"expect notify clinician alarm_raised motor_stall critical=yes\n"
		"restart\n"
		"expect notify any\n");
	cr_assert_eq(rc, 1);
	cr_assert_str_eq(out,
		"# n.scn\n"
		"ok 1 - n.scn:3: expect notify bolus_started\n"
		"ok 2 - n.scn:4: expect notify patient clinician tester bolus_started boluses_24h=1\n"
		"not ok 3 - n.scn:5: expect notify tester bolus_ended\n"
		"#   tester got 1 notification since the request:\n"
		"#     bolus_started\n"
		"ok 4 - n.scn:7: expect notify patient bolus_ended now=2026-01-01T08:10:00Z\n"
		"not ok 5 - n.scn:8: expect notify patient bolus_ended reservoir=20mL\n"
		"#   patient got 2 notifications since the request:\n"
		"#     clock\n"
		"#     bolus_ended: reservoir=20mL: got 19.947917 mL (19947917 nL)\n"
		"not ok 6 - n.scn:10: expect notify any\n"
		"#   patient got 0 notifications since the request\n"
		"#   clinician got 0 notifications since the request\n"
		"#   tester got 0 notifications since the request\n"
		"ok 7 - n.scn:12: expect notify clinician alarm_raised motor_stall critical=yes\n"
		"not ok 8 - n.scn:14: expect notify any\n"
		"#   no request since the pump restarted: send one first\n"
		"1..8\n");
}

/* verifies: SR-ALARM-004 */
Test(scnrun, battery_alarms_clear_with_a_new_battery_and_the_clock_speed_is_in_the_state)
{
	int rc = run_text("b.scn",
		"pump sim start=2026-01-01T08:00:00Z\n"
		"as patient status\n"
		"expect state clock_speed=0 now=2026-01-01T08:00:00Z\n"
		"fault battery_eri\n"
		"expect state alarms=eri\n"
		"fault battery_new\n"
		"expect state alarms=none\n"
		"expect notify patient alarm_cleared eri\n"
		"clock speed 60\n"
		"expect state clock_speed=60\n"
		"clock speed 0\n"
		"expect state clock_speed=0\n");
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert_str_eq(out,
		"# b.scn\n"
		"ok 1 - b.scn:3: expect state clock_speed=0 now=2026-01-01T08:00:00Z\n"
		"ok 2 - b.scn:5: expect state alarms=eri\n"
		"ok 3 - b.scn:7: expect state alarms=none\n"
		"ok 4 - b.scn:8: expect notify patient alarm_cleared eri\n"
		"ok 5 - b.scn:10: expect state clock_speed=60\n"
		"ok 6 - b.scn:12: expect state clock_speed=0\n"
		"1..6\n");
}

/* Under valgrind or a sanitizer every wait of the runner is longer by
 * PTM_TIME_SCALE: a failing expect notify waits --timeout times it (here
 * 250 ms times four times this run's own scale), not --timeout alone. */
Test(scnrun, every_wait_is_the_timeout_times_ptm_time_scale)
{
	char k[16];
	unsigned scale = 4 * e2e_time_scale();
	snprintf(k, sizeof k, "%u", scale);
	cr_assert_eq(setenv("PTM_TIME_SCALE", k, 1), 0);
	timeout_ms = 250;
	int64_t t0 = e2e_now_ms();
	int rc = run_text("t.scn",
		"pump sim\n"
		"as patient status\n"
		"expect notify patient bolus_started\n");
	int64_t waited = e2e_now_ms() - t0;
	cr_assert_eq(rc, 1);
	cr_assert(strstr(out, "not ok 1 - t.scn:3: expect notify patient bolus_started\n"),
	          "%s", out);
	cr_assert_geq(waited, 250 * (int64_t)scale, "waited %lld ms", (long long)waited);
	/* not a number: ignored, said so, and the run goes on */
	cr_assert_eq(setenv("PTM_TIME_SCALE", "fast", 1), 0);
	timeout_ms = 0;
	rc = run_text("u.scn", "pump sim\nas patient status\nexpect ok\n");
	cr_assert_eq(rc, 0, "%s", out);
	const char *said = "# PTM_TIME_SCALE 'fast' is not a whole number from 1 to 1000: "
	                   "ignored\n# u.scn\n";
	cr_assert(strncmp(out, said, strlen(said)) == 0, "%s", out);
}

/* ---- ptmctl run --pump: a pump started elsewhere -------------------------- */

/* The set-up makes a used pump look new to each scenario: the same
 * scenario passes twice on one pump (ids, counts, history, the log, the
 * 24 h window and the reservoir as a new pump's), and the steps that need
 * a pump of our own are skipped with the reason. */
Test(scnrun, a_scenario_runs_twice_against_a_pump_started_elsewhere)
{
	static const char *const init[] = { "--start", "2025-06-01T08:00:00Z", NULL };
	const char *text =
		"pump sim\n"
		"as patient bolus\n"
		"expect outcome granted dose=0.5mg ends_in=10m\n"
		"expect state reservoir=20mL boluses_24h=1 alarms=none\n"
		"as patient id=7 bolus\n"
		"expect outcome running\n"
		"as patient id=3 status\n"
		"expect error stale_id last_id=7\n"
		"as patient history\n"
		"expect history count=2 granted=1 running=1\n"
		"as patient status\n"
		"expect counts granted=1 running=1 lockout=0\n"
		"as clinician log\n"
		"expect log contains \"bolus granted\"\n"
		"fault motor_stall\n"
		"fault reservoir 1mL\n"
		"restart\n"
		"as patient status\n"
		"expect state alarms>=motor_stall\n";
	int rc;

	if (!is_program(pumpd))
		cr_skip_test("no pumpd binary at %s", pumpd);
	remote = e2e_start_full(NULL, 0, init, NULL);
	cr_assert_not_null(remote);
	for (int round = 0; round < 2; round++) {
		rc = run_text("twice.scn", text);
		cr_assert_eq(rc, 0, "round %d:\n%s", round, out);
		cr_assert(strstr(out, "# twice.scn\n"), "%s", out);
		cr_assert(strstr(out, "ok 8 - twice.scn:17: restart # SKIP the pump is not ours "
		                      "to restart (ptmctl run --pump)\n"), "%s", out);
		cr_assert(strstr(out, "1..9\n"), "%s", out);
	}
	/* a start= the pump's clock is past: the clock goes on to that time of
	 * day, and every time the scenario sees is whole days earlier */
	rc = run_text("past.scn",
		"pump sim start=2025-01-01T07:30:00Z\n"
		"as patient bolus\n"
		"expect outcome granted at=2025-01-01T07:40:00Z\n"
		"expect state now=2025-01-01T07:30:00Z bolus_ends=2025-01-01T07:40:00Z\n"
		"clock advance 10m\n"
		"expect notify patient bolus_ended now=2025-01-01T07:40:00Z\n");
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert(strstr(out, "# past.scn: the pump's clock is "), "%s", out);
	/* a pump of another size: skipped */
	rc = run_text("big.scn",
		"rx <<END\ndrug = baclofen\nconcentration = 2 mg/mL\ncapacity = 40 mL\n"
		"mode = continuous\nrate = 0.4 mg/day\nbolus_enabled = off\nlow_threshold = 4 mL\nEND\n"
		"pump sim\nas patient status\nexpect ok\n");
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert(strstr(out, "# SKIP the scenario's pump holds 40 mL, this one 20 mL"), "%s", out);
	e2e_free(remote);
	remote = NULL;
}

/* Without a clinician or tester key the pump cannot be set up: every file
 * is skipped, saying which key it needs. */
Test(scnrun, against_a_running_pump_a_missing_key_skips_the_file)
{
	if (!is_program(pumpd))
		cr_skip_test("no pumpd binary at %s", pumpd);
	remote = e2e_start(NULL, 0);
	cr_assert_not_null(remote);
	{
		char path[256];
		FILE *f, *tap;
		size_t len = 0;
		struct scnrun_opts o;
		char *files[1];
		snprintf(path, sizeof path, "%s/k.scn", dir);
		f = fopen(path, "w");
		cr_assert_not_null(f);
		fputs("pump sim\nas patient status\nexpect ok\n", f);
		fclose(f);
		snprintf(remote_pub, sizeof remote_pub, "%s/pump.pub", e2e_state_dir(remote));
		free(out);
		tap = open_memstream(&out, &len);
		memset(&o, 0, sizeof o);
		o.out = tap;
		o.pump_addr = e2e_addr(remote);
		o.pump_key = remote_pub;
		o.key[0] = e2e_key_path(remote, "patient", 0);
		o.key[1] = e2e_key_path(remote, "clinician", 0);
		files[0] = path;
		int rc = scnrun_files(&o, 1, files);
		fclose(tap);
		cr_assert_eq(rc, 0, "%s", out);
		cr_assert(strstr(out, ":1: pump sim # SKIP needs a tester key to set the pump "
		                      "up (--tester-key)\n"), "%s", out);
	}
	e2e_free(remote);
	remote = NULL;
}

/* explore against a pump started elsewhere: --seed overrides the file's
 * seed and is printed so that a failure replays; the steps leave a last
 * reply for the expectations after them. */
Test(scnrun, explore_runs_against_a_running_pump_with_the_seed_given)
{
	static const char *const init[] = { "--start", "2025-06-01T08:00:00Z", NULL };
	int rc;

	if (!is_program(pumpd))
		cr_skip_test("no pumpd binary at %s", pumpd);
	remote = e2e_start_full(NULL, 0, init, NULL);
	cr_assert_not_null(remote);
	run_seed = 7;
	rc = run_text("ex.scn", "pump sim\nexplore 60 seed=42\nexpect state simulated=yes\n");
	run_seed = 0;
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert(strstr(out, "# explore: seed 7 (ptmctl run --seed 7 ex.scn replays it)\n"
	                      "# explore: 2 config, 4 prime (0 given), 3 bridge (1 given), "
	                      "1 refills to a new concentration (1 left a bridge due)\n"
	                      "ok 1 - ex.scn:2: explore 60 seed=42\n"
	                      "ok 2 - ex.scn:3: expect state simulated=yes\n"), "%s", out);
	e2e_free(remote);
	remote = NULL;
}

/* explore takes the implanted system's steps (8.6): CONFIG, priming and
 * bridge boluses given, refills to a new concentration that leave a bridge
 * due; the run counts them in a comment, and all its invariants hold. */
Test(scnrun, explore_gives_priming_and_bridge_boluses_after_refills)
{
	unsigned long long cfg, prime, prime_given, bridge, bridge_given, refills, due;
	int rc = run_text("ex.scn", "pump sim\nexplore 400 seed=8\n");
	cr_assert_eq(rc, 0, "%s", out);
	const char *c = strstr(out, "# explore: ");
	cr_assert_not_null(c = strstr(c, "\n# explore: "), "%s", out);
	cr_assert_eq(sscanf(c, "\n# explore: %llu config, %llu prime (%llu given), %llu bridge "
	                    "(%llu given), %llu refills to a new concentration (%llu left a "
	                    "bridge due)", &cfg, &prime, &prime_given, &bridge, &bridge_given,
	                    &refills, &due), 7, "%s", out);
	cr_log_info("explore seed 8: %llu config, %llu/%llu primes, %llu/%llu bridges given, "
	            "%llu refills to a new concentration, %llu bridges due", cfg, prime_given,
	            prime, bridge_given, bridge, refills, due);
	cr_assert_gt(cfg, 0, "%s", out);
	cr_assert_gt(prime_given, 0, "%s", out);
	cr_assert_gt(bridge_given, 0, "%s", out);
	cr_assert_gt(refills, 0, "%s", out);
	cr_assert_gt(due, 0, "%s", out);
	cr_assert(strstr(out, "ok 1 - ex.scn:2: explore 400 seed=8\n"), "%s", out);
}

/* A seed `make soak` found: a priming bolus ran the reservoir empty during a
 * clock move, so the pump cut it at a moment no reply tells; the model had
 * counted its whole dose and blamed a later grant for the ceiling.  Such a
 * bolus is now counted between none and its dose, each check taking the
 * side that never blames the pump for drug it may not have given. */
Test(scnrun, explore_a_bolus_cut_by_an_empty_reservoir_unseen)
{
	int rc = run_text("ex.scn", "pump sim\nexplore 800 seed=5835427598296424\n");
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert(strstr(out, "ok 1 - ex.scn:2: explore 800 seed=5835427598296424\n"),
	          "%s", out);
}

/* The whole of tests/scenarios as a conformance suite against a pump started
 * elsewhere (20 mL, its clock before every scenario's start): nothing fails;
 * what needs a pump of one's own or another pump is skipped. */
Test(scnrun, tests_scenarios_pass_against_a_pump_started_elsewhere)
{
	static const char *const init[] = { "--start", "2025-06-01T08:00:00Z", NULL };
	const char *srcdir = getenv("PTM_SRCDIR");
	char pattern[4200], *tap = NULL;
	size_t len = 0;
	glob_t g;
	struct scnrun_opts o;

	if (!is_program(pumpd))
		cr_skip_test("no pumpd binary at %s", pumpd);
	snprintf(pattern, sizeof pattern, "%s/tests/scenarios/*.scn", srcdir ? srcdir : ".");
	cr_assert_eq(glob(pattern, 0, NULL, &g), 0, "no scenarios at %s", pattern);
	remote = e2e_start_full(NULL, 0, init, NULL);
	cr_assert_not_null(remote);
	snprintf(remote_pub, sizeof remote_pub, "%s/pump.pub", e2e_state_dir(remote));
	FILE *f = open_memstream(&tap, &len);
	memset(&o, 0, sizeof o);
	o.out = f;
	o.timeout_ms = timeout_ms;
	o.pump_addr = e2e_addr(remote);
	o.pump_key = remote_pub;
	o.key[0] = e2e_key_path(remote, "patient", 0);
	o.key[1] = e2e_key_path(remote, "clinician", 0);
	o.key[2] = e2e_key_path(remote, "tester", 0);
	int rc = scnrun_files(&o, (int)g.gl_pathc, g.gl_pathv);
	fclose(f);
	globfree(&g);
	cr_assert_eq(rc, 0, "%s", tap);
	cr_assert(strstr(tap, "not ok") == NULL, "%s", tap);
	cr_assert(strstr(tap, "restart.scn:14: restart # SKIP the pump is not ours to restart"),
	          "%s", tap);
	unsigned oks = 0, skips = 0;
	for (const char *p = tap; (p = strstr(p, "\nok ")) != NULL; p++)
		oks++;
	for (const char *p = tap; (p = strstr(p, "# SKIP")) != NULL; p++)
		skips++;
	cr_assert_gt(oks, 150, "%s", tap);
	cr_log_info("conformance: %u test points passed, %u of them skips", oks, skips);
	free(tap);
	e2e_free(remote);
	remote = NULL;
}

/* ptmctl run's own options: a clear usage error (status 2) for each
 * mistake, and PTM_PUMP in the environment does not send a run to it. */
Test(scnrun, run_options_are_checked_before_anything_runs)
{
	const char *b = getenv("PTM_BUILD");
	char ptmctl[4200], cmd[8800], text[2048];
	struct { const char *args, *says; } cases[] = {
		{ "run --clinician-key k.key x.scn", "--clinician-key and --tester-key go with --pump" },
		{ "run --tester-key", "--tester-key needs a key file" },
		{ "run --seed many x.scn", "--seed needs a whole number" },
		{ "--pump unix:/nonexistent/p.sock run x.scn", "--pump needs --key (the patient's)" },
		{ "--pump bogus run x.scn", "not an address" },
	};

	snprintf(ptmctl, sizeof ptmctl, "%s/ptmctl", b ? b : "build");
	if (!is_program(ptmctl))
		cr_skip_test("no ptmctl at %s", ptmctl);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(cmd, sizeof cmd, "env -u PTM_KEY -u PTM_PUMP_KEY '%s' %s 2>&1",
		         ptmctl, cases[i].args);
		FILE *p = popen(cmd, "r");
		cr_assert_not_null(p);
		size_t n = fread(text, 1, sizeof text - 1, p);
		text[n] = '\0';
		int st = pclose(p);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "%s: status %d\n%s",
		          cases[i].args, st, text);
		cr_assert(strstr(text, cases[i].says), "%s:\n%s", cases[i].args, text);
	}
	/* PTM_PUMP alone: the run starts its own pump (here: a pumpd that
	 * cannot start, so the failure names pump sim, not a connection) */
	snprintf(cmd, sizeof cmd, "printf 'pump sim\\n' > '%s/e.scn' && PTM_PUMP=unix:/nonexistent/p.sock "
	         "'%s' run --pumpd /bin/false '%s/e.scn' 2>&1", dir, ptmctl, dir);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(text, 1, sizeof text - 1, p);
	text[n] = '\0';
	pclose(p);
	cr_assert(strstr(text, "e.scn:1: pump sim\n#   pumpd init exited with status 1"), "%s", text);
}
