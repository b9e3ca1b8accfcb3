/*
 * tests/test_ptmctl_words.c — ptmctl's own words against a real pumpd
 * (tests/lib/e2e.h): status in the order a person reads it, each command's
 * answer without the state block (--state adds it), micrograms as "mcg",
 * the valid names after a typo, the address and pumpd status when nothing
 * answers, why a history is empty, ids carried exactly in --json, and
 * --json paircode as an object.  Needs $PTM_BUILD/ptmctl or build/ptmctl.
 */
#define _GNU_SOURCE 1 /* pipe2 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/ctlpump.h"
#include "tests/lib/e2e.h"
#include "tests/lib/prog.h"

#define F ctlpump_F

static int occurrences(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Run ptmctl with args to its end; when until is not NULL, send SIGTERM
 * once its stderr holds `until` n times. */
static void run_until(struct prog *c, const char *const *args, const char *until, unsigned n)
{
	prog_spawn(c, F.ptmctl, args, NULL);
	if (until && prog_read_err_until(c, until, n, 20000))
		kill(c->pid, SIGTERM);
	prog_finish(c);
}

static void run(struct prog *c, const char *const *args)
{
	run_until(c, args, NULL, 0);
}

#define AS(who, ...) CTLPUMP_AS(&F, who, __VA_ARGS__)
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Run and expect exit code rc, showing what it wrote when not. */
#define RUN(c, rc_want, args) do { \
	run((c), (args)); \
	cr_assert_eq((c)->rc, (rc_want), "exit %d:\n%s%s", (c)->rc, (c)->out, (c)->err); \
} while (0)


TestSuite(ptmctl_words, .init = ctlpump_setup, .fini = ctlpump_teardown, .timeout = 60);

/* The lines of the state block (ctl_print_state), any of them. */
static const char *const state_lines[] = {
	"pump       ", "drug       ", "reservoir  ", "bolus      ", "next bolus ",
	"battery    ", "alarms     ", NULL
};

static int has_state_block(const char *out)
{
	char want[32];
	for (const char *const *l = state_lines; *l; l++) {
		snprintf(want, sizeof want, "\n%s", *l);
		if (strncmp(out, *l, strlen(*l)) == 0 || strstr(out, want))
			return 1;
	}
	return 0;
}

/* ---- status ----------------------------------------------------------------- */

/* It opened with "counts granted=1 lockout=0 ..." and said "bolus until in
 * 9 min 6 s". */
/* verifies: SR-UI-001 */
Test(ptmctl_words, status_opens_with_the_pump_and_counts_requests_in_words_last)
{
	struct prog c;
	RUN(&c, 0, AS("patient", "status"));
	cr_assert(strncmp(c.out, "pump       ", 11) == 0, "%s", c.out);
	cr_assert(strstr(c.out, "\nrequests   none yet\n"), "%s", c.out);

	RUN(&c, 0, AS("patient", "bolus"));
	RUN(&c, 0, AS("tester", "clock", "advance", "4m"));
	RUN(&c, 1, AS("patient", "bolus"));
	RUN(&c, 0, AS("patient", "status"));
	cr_assert(strncmp(c.out, "pump       ", 11) == 0, "%s", c.out);
	cr_assert(!strstr(c.out, "counts"), "%s", c.out);
	cr_assert(!strstr(c.out, "="), "%s", c.out);
	cr_assert(strstr(c.out, "\nrunning    bolus ends in 6 min ("), "%s", c.out);
	cr_assert(!strstr(c.out, "until in"), "%s", c.out);
	/* the counts come last, after the alarms */
	const char *al = strstr(c.out, "\nalarms     none\n");
	cr_assert_not_null(al, "%s", c.out);
	cr_assert_str_eq(al + strlen("\nalarms     none\n"),
	                 "requests   1 granted, 1 refused (1 already running)\n");

	RUN(&c, 0, AS("tester", "clock", "advance", "1h"));
	RUN(&c, 1, AS("patient2", "bolus"));
	RUN(&c, 0, AS("patient", "status"));
	cr_assert(strstr(c.out, "\nrequests   1 granted, 2 refused (1 lockout, 1 already running)\n"),
	          "%s", c.out);
}

/* ---- an answer is the answer ------------------------------------------------ */

/* Every command printed the whole state block after its answer, refusals
 * and log included.  Now only status does, or --state. */
Test(ptmctl_words, each_command_prints_its_answer_and_the_state_only_with_state)
{
	static const char *const who[] = {
		"patient", "patient", "patient", "patient", "clinician", "clinician",
		"clinician", "clinician", "tester", "tester", "tester", NULL
	};
	static const char *const cmd[][4] = {
		{ "bolus" }, { "bolus" }, { "history" }, { "run", "stop" },
		{ "log", "--max", "2" }, { "clear", "motor_stall" }, { "run", "stop" },
		{ "refill", "20mL", "10mg/mL" }, { "clock", "advance", "30m" },
		{ "fault", "reservoir", "1.5mL" }, { "silence" },
	};
	static const char *const first[] = {
		"bolus granted: 0.5 mg, ends in 10 min (",
		"bolus refused: running (a bolus is already running); it ends in 10 min (",
		"history: 2 bolus requests from this remote, newest first\n",
		"run refused: role (not allowed for this remote's role): patient\n",
		"log: 2 entries\n",
		"clear refused: state (not possible now)",
		"run: done; the pump is not infusing\n",
		"refill: done; reservoir 20 mL of 20 mL, morphine 10 mg/mL",
		"clock: done; pump time ",
		"fault: done; reservoir 1.5 mL, alarms now low_reservoir (",
		"silenced 1 alarm\n",
	};
	static const int rc[] = { 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0 };
	struct prog c;
	for (int i = 0; who[i]; i++) {
		const char *a[12] = { "--pump", F.addr, "--key", e2e_key_path(F.pump, who[i], 0),
		                      "--pump-key", F.pump_key };
		int n = 6;
		for (int k = 0; k < 4 && cmd[i][k]; k++)
			a[n++] = cmd[i][k];
		run(&c, a);
		cr_assert_eq(c.rc, rc[i], "%s: exit %d\n%s%s", cmd[i][0], c.rc, c.out, c.err);
		cr_assert(strncmp(c.out, first[i], strlen(first[i])) == 0,
		          "%s: wanted '%s' first:\n%s", cmd[i][0], first[i], c.out);
		cr_assert(!has_state_block(c.out), "%s printed the state:\n%s", cmd[i][0], c.out);
	}
	/* --state: the answer, then the block (before or after the command) */
	RUN(&c, 1, AS("patient", "bolus", "--state"));
	cr_assert(strncmp(c.out, "bolus refused: ", 15) == 0, "%s", c.out);
	cr_assert(strstr(c.out, "\npump       "), "%s", c.out);
	cr_assert(strstr(c.out, "\nalarms     low_reservoir ("), "%s", c.out);
	RUN(&c, 0, AS("patient", "--state", "history", "1"));
	cr_assert(strncmp(c.out, "history: 1 bolus request from this remote, newest first\n", 56) == 0,
	          "%s", c.out);
	cr_assert(has_state_block(c.out), "%s", c.out);
	/* status is the state: --state changes nothing */
	struct prog s;
	RUN(&c, 0, AS("patient", "status"));
	RUN(&s, 0, AS("patient", "--state", "status"));
	cr_assert(strncmp(c.out, "pump       ", 11) == 0, "%s", c.out);
	cr_assert_eq(c.nout, s.nout, "%s\n---\n%s", c.out, s.out);
	/* documented */
	RUN(&c, 0, ARGS("--help"));
	cr_assert(strstr(c.out, "  --state "), "%s", c.out);
}

/* A granted bolus says when the next one is allowed, as a refused one does. */
Test(ptmctl_words, a_granted_bolus_says_when_the_next_is_allowed)
{
	struct prog c;
	RUN(&c, 0, AS("patient", "bolus"));
	cr_assert(strstr(c.out, "bolus granted: 0.5 mg, ends in 10 min ("), "%s", c.out);
	cr_assert(strstr(c.out, "); next allowed in 2 h ("), "%s", c.out);
}

/* ---- micrograms ------------------------------------------------------------- */

static const char rx_mcg[] =
	"drug = baclofen\n"
	"concentration = 50 ug/mL\n"
	"reservoir = 20 mL\n"
	"mode = continuous\n"
	"daily_rate = 75 ug/day\n"
	"bolus = on\n"
	"bolus_dose = 50 ug\n"
	"bolus_duration = 10 min\n"
	"lockout = 30 min\n"
	"max_per_24h = 6\n"
	"ceiling_24h = none\n"
	"low_reservoir = 2 mL\n";

static void setup_mcg(void)
{
	ctlpump_start(&F, rx_mcg);
}

TestSuite(ptmctl_words_mcg, .init = setup_mcg, .fini = ctlpump_teardown, .timeout = 60);

/* ptm says mcg; ptmctl said ug. */
/* verifies: SR-UI-001 */
Test(ptmctl_words_mcg, micrograms_are_mcg_as_on_the_remote)
{
	struct prog c;
	RUN(&c, 0, AS("patient", "status"));
	cr_assert(strstr(c.out, "\ndrug       baclofen 50 mcg/mL, basal 75 mcg/day\n"), "%s", c.out);
	cr_assert(strstr(c.out, "\nbolus      50 mcg over 10 min,"), "%s", c.out);
	RUN(&c, 0, AS("patient", "bolus"));
	cr_assert(strncmp(c.out, "bolus granted: 50 mcg, ends ", 28) == 0, "%s", c.out);
	RUN(&c, 0, AS("patient", "history"));
	cr_assert(strstr(c.out, "granted     50 mcg\n"), "%s", c.out);
	RUN(&c, 0, AS("clinician", "refill", "10mL", "20mcg/mL"));
	cr_assert(strstr(c.out, "baclofen 20 mcg/mL"), "%s", c.out);
	RUN(&c, 0, AS("patient", "--state", "status"));
	cr_assert(!strstr(c.out, " ug"), "%s", c.out);
	/* JSON keeps its integers */
	RUN(&c, 0, AS("patient", "--json", "status"));
	cr_assert(strstr(c.out, "\"bolus_dose_ng\":50000,"), "%s", c.out);
}

/* ---- a typo gets the valid names --------------------------------------------- */

Test(ptmctl_words, an_unknown_alarm_or_fault_is_a_usage_error_naming_the_valid_ones)
{
	static const char names[] = "low_reservoir, eri, eos, empty, motor_stall, memory, "
	                            "memory_critical";
	char want[512];
	struct prog c;
	RUN(&c, 2, AS("clinician", "clear", "low-reservoir"));
	cr_assert_eq(c.nout, 0, "%s", c.out);
	snprintf(want, sizeof want, "ptmctl clear: unknown alarm 'low-reservoir': expected one of %s\n",
	         names);
	cr_assert(strstr(c.err, want), "%s", c.err);

	RUN(&c, 2, AS("patient", "silence", "lowreservoir"));
	snprintf(want, sizeof want, "ptmctl silence: unknown alarm 'lowreservoir': expected all "
	         "or one of %s\n", names);
	cr_assert(strstr(c.err, want), "%s", c.err);

	RUN(&c, 2, AS("tester", "fault", "gremlins"));
	cr_assert(strstr(c.err, "ptmctl fault: unknown fault 'gremlins': expected one of "
	                        "motor_stall, memory, memory_critical, battery_eri, battery_eos, "
	                        "battery_new, occlusion, stall_for, reservoir VOLUME\n"), "%s", c.err);
	RUN(&c, 2, AS("tester", "fault"));
	cr_assert(strstr(c.err, "battery_new"), "%s", c.err);

	/* nothing reached the pump */
	RUN(&c, 0, AS("clinician", "log", "--after", "0", "--max", "20"));
	cr_assert(!strstr(c.out, "clear"), "%s", c.out);
	cr_assert(!strstr(c.out, "silence"), "%s", c.out);
}

/* A refill past the reservoir says what it holds. */
Test(ptmctl_words, a_refill_too_large_says_what_the_reservoir_holds)
{
	struct prog c;
	RUN(&c, 1, AS("clinician", "refill", "25mL", "10mg/mL"));
	cr_assert(strstr(c.out, "refill refused: range (a value is out of range): "
	                        "volume_nl (the reservoir holds at most 20 mL)\n"), "%s", c.out);
}

/* The newest entries of the log first: --last reads the last N (issue 14,
 * item 6), oldest of them first, whatever came before. */
Test(ptmctl_words, log_last_reads_the_newest_entries)
{
	struct prog c;
	RUN(&c, 0, AS("tester", "clock", "advance", "7m"));
	RUN(&c, 0, AS("clinician", "log", "--last", "--max", "4"));
	cr_assert(strstr(c.out, "clock advance 7m: done"), "%s", c.out);
	cr_assert(!strstr(c.out, "pump initialised"), "the oldest entry: %s", c.out);
	RUN(&c, 0, AS("clinician", "log", "--max", "4"));
	cr_assert(strstr(c.out, "pump initialised"), "%s", c.out);
	cr_assert(!strstr(c.out, "clock advance 7m"), "%s", c.out);
}

/* ---- nothing answers ------------------------------------------------------------ */

Test(ptmctl_words, cannot_connect_names_the_address_and_asks_whether_pumpd_runs)
{
	struct prog c;
	char nowhere[700], want[1000];
	snprintf(nowhere, sizeof nowhere, "unix:%s/no.sock", e2e_dir(F.pump));
	RUN(&c, 4, ARGS("--pump", nowhere, "--key", e2e_key_path(F.pump, "patient", 0),
	                "--pump-key", F.pump_key, "--timeout", "2s", "status"));
	cr_assert_eq(c.nout, 0);
	snprintf(want, sizeof want, "ptmctl: status: cannot connect to the pump at %s (no such "
	         "file): is pumpd running? 'pumpd status DIR' says whether a pumpd serves its "
	         "state directory DIR, and on which address\n", nowhere);
	cr_assert_str_eq(c.err, want);

	/* a socket file nobody serves: the pump stopped */
	cr_assert_eq(e2e_stop(F.pump), 0);
	RUN(&c, 4, AS("patient", "--timeout", "2s", "bolus"));
	snprintf(want, sizeof want, "ptmctl: bolus: cannot connect to the pump at %s", F.addr);
	cr_assert(strstr(c.err, want), "%s", c.err);
	cr_assert(strstr(c.err, "is pumpd running? 'pumpd status DIR'"), "%s", c.err);
}

/* watch retries: the address each time, the advice once. */
Test(ptmctl_words, watch_that_cannot_connect_says_where_and_asks_once)
{
	struct prog c;
	char nowhere[700], line[1000];
	snprintf(nowhere, sizeof nowhere, "unix:%s/no.sock", e2e_dir(F.pump));
	snprintf(line, sizeof line, "ptmctl watch: link down (cannot connect to the pump at %s",
	         nowhere);
	run_until(&c, ARGS("--pump", nowhere, "--key", e2e_key_path(F.pump, "patient", 0),
	                   "--pump-key", F.pump_key, "watch"), line, 3);
	cr_assert_eq(c.rc, 0, "exit %d: %s", c.rc, c.err);
	cr_assert_geq(occurrences(c.err, line), 3, "%s", c.err);
	cr_assert_eq(occurrences(c.err, "is pumpd running? 'pumpd status DIR'"), 1, "%s", c.err);
	snprintf(line, sizeof line, "ptmctl watch: link down (cannot connect to the pump at %s), "
	         "retrying\n", nowhere);
	cr_assert(strstr(c.err, line), "%s", c.err);
}

/* ---- an empty history says why ---------------------------------------------------- */

Test(ptmctl_words, an_empty_history_says_each_remote_sees_its_own)
{
	struct prog c;
	RUN(&c, 0, AS("patient", "bolus"));
	RUN(&c, 0, AS("tester", "history"));
	cr_assert_str_eq(c.out,
	                 "history: no bolus requests from this remote\n"
	                 "(the pump gives each remote its own requests only; "
	                 "'ptmctl log' as a clinician or tester lists every remote's)\n");
	RUN(&c, 0, AS("patient", "history"));
	cr_assert(strncmp(c.out, "history: 1 bolus request from this remote, newest first\n", 56) == 0,
	          "%s", c.out);
}

/* ---- ids in JSON ------------------------------------------------------------------- */

/* An id of 2^63 or more came out as 9223372036854775807. */
/* verifies: SR-REQ-001 */
Test(ptmctl_words, json_carries_every_id_exactly)
{
	struct prog c;
	json_t *j;

	/* the largest id a double holds exactly: a number, as before */
	RUN(&c, 0, AS("patient", "--json", "--id", "9007199254740991", "status"));
	cr_assert(strncmp(c.out, "{\"type\":\"reply\",\"id\":9007199254740991,", 38) == 0,
	          "%s", c.out);
	/* above: a decimal string */
	RUN(&c, 0, AS("patient", "--json", "--id", "9007199254740992", "status"));
	cr_assert(strncmp(c.out, "{\"type\":\"reply\",\"id\":\"9007199254740992\",", 40) == 0,
	          "%s", c.out);

	RUN(&c, 0, AS("patient2", "--json", "--id", "9223372036854775813", "bolus"));
	j = prog_json(&c);
	cr_assert_str_eq(json_string_value(json_object_get(j, "id")), "9223372036854775813");
	json_decref(j);
	/* an older id: stale, and last_id exact so that a retry can use it */
	RUN(&c, 1, AS("patient2", "--json", "--id", "9223372036854775809", "bolus"));
	j = prog_json(&c);
	cr_assert_str_eq(json_string_value(json_object_get(j, "error")), "stale_id");
	cr_assert_str_eq(json_string_value(json_object_get(j, "id")), "9223372036854775809");
	cr_assert_str_eq(json_string_value(json_object_get(j, "last_id")), "9223372036854775813");
	json_decref(j);
	/* the string is what --id takes: the same id again, the stored reply */
	RUN(&c, 0, AS("patient2", "--json", "--id", "9223372036854775813", "bolus"));
	j = prog_json(&c);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "bolus"), "outcome")),
	                 "granted");
	json_decref(j);
	RUN(&c, 0, AS("patient2", "--json", "--id", "18446744073709551615", "status"));
	cr_assert(strstr(c.out, "\"id\":\"18446744073709551615\""), "%s", c.out);
	/* small ids stay numbers, last_id too */
	RUN(&c, 0, AS("clinician", "--json", "--id", "7", "status"));
	RUN(&c, 1, AS("clinician", "--json", "--id", "3", "status"));
	j = prog_json(&c);
	cr_assert(json_is_integer(json_object_get(j, "id")), "%s", c.out);
	cr_assert(json_is_integer(json_object_get(j, "last_id")), "%s", c.out);
	cr_assert_eq(json_integer_value(json_object_get(j, "last_id")), 7);
	json_decref(j);
}

/* ---- paircode ---------------------------------------------------------------------- */

Test(ptmctl_words, json_paircode_is_an_object)
{
	struct prog c, t;
	json_t *j;
	RUN(&t, 0, ARGS("--key", e2e_key_path(F.pump, "patient", 0), "--pump-key", F.pump_key,
	                "paircode"));
	cr_assert_eq(t.nout, 7, "%s", t.out);
	RUN(&c, 0, ARGS("--json", "--key", e2e_key_path(F.pump, "patient", 0), "--pump-key",
	                F.pump_key, "paircode"));
	j = prog_json(&c);
	cr_assert_str_eq(json_string_value(json_object_get(j, "type")), "paircode");
	t.out[6] = '\0';
	cr_assert_str_eq(json_string_value(json_object_get(j, "code")), t.out);
	json_decref(j);
	cr_assert(strncmp(c.out, "{\"type\":\"paircode\",\"code\":\"", 27) == 0, "%s", c.out);
}
