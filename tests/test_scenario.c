/*
 * tests/test_scenario.c — the scenario-language parser and the unit parser
 * it relies on (tools/scenario/scn.h, util/units.h).
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <errno.h>
#include <string.h>

#include "util/units.h"
#include "tools/scenario/scn.h"

/* Feed a whole text; returns the first error (0 if none) including finish. */
static int feed_all(struct scn *s, const char *text)
{
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int rc = scn_feed(s, p, len);
		if (rc)
			return rc;
		p += len + (nl ? 1 : 0);
	}
	return scn_finish(s);
}

static struct scn *parse_ok(const char *text)
{
	struct scn *s = scn_new("t.scn");
	cr_assert_not_null(s);
	int rc = feed_all(s, text);
	cr_assert_eq(rc, 0, "parse failed: %s", scn_error(s));
	return s;
}

static void parse_fails(const char *text, const char *want)
{
	struct scn *s = scn_new("t.scn");
	cr_assert_not_null(s);
	int rc = feed_all(s, text);
	cr_assert_eq(rc, -EINVAL, "expected an error for:\n%s", text);
	cr_assert(strstr(scn_error(s), want), "error '%s' lacks '%s'",
	          scn_error(s), want);
	scn_free(s);
}

/* ---- units ---------------------------------------------------------------- */

/* a parse: its text, its result, and the value (when 0; else the output
 * is left as it was) */
struct unit_case {
	int (*parse)(const char *, uint64_t *);
	const char *text;
	int rc;
	uint64_t v;
};

static void check_units(const struct unit_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 77;
		cr_expect_eq(c[i].parse(c[i].text, &v), c[i].rc, "'%s'", c[i].text);
		cr_expect_eq(v, c[i].rc == 0 ? c[i].v : 77u, "'%s': %" PRIu64, c[i].text, v);
	}
}
#define CHECK_UNITS(cases) check_units(cases, sizeof cases / sizeof cases[0])

Test(units, durations_are_exact_ms)
{
	static const struct unit_case c[] = {
		{ units_parse_duration, "30m", 0, 1800000 },
		{ units_parse_duration, "2h", 0, 7200000 },
		{ units_parse_duration, "90s", 0, 90000 },
		{ units_parse_duration, "1d", 0, 86400000 },
		{ units_parse_duration, "500ms", 0, 500 },
		{ units_parse_duration, "1h50m", 0, 6600000 },
		{ units_parse_duration, "1.5h", 0, 5400000 },
		{ units_parse_duration, "10 min", 0, 600000 },
		{ units_parse_duration, "0", 0, 0 },
	};
	CHECK_UNITS(c);
}

Test(units, bad_durations_are_refused_and_leave_output)
{
	static const struct unit_case c[] = {
		{ units_parse_duration, "10", -EINVAL, 0 },
		{ units_parse_duration, "10x", -EINVAL, 0 },
		{ units_parse_duration, "", -EINVAL, 0 },
		{ units_parse_duration, "-5m", -EINVAL, 0 },
		{ units_parse_duration, "0.0001s", -EINVAL, 0 },   /* below 1 ms */
		{ units_parse_duration, "99999999999999999999h", -ERANGE, 0 },
	};
	CHECK_UNITS(c);
}

Test(units, volumes_doses_rates_concentrations)
{
	static const struct unit_case c[] = {
		{ units_parse_volume, "19.95mL", 0, 19950000 },
		{ units_parse_volume, "1500uL", 0, 1500000 },
		{ units_parse_volume, "2 mL", 0, 2000000 },
		{ units_parse_volume, "7nL", 0, 7 },
		{ units_parse_volume, "0.0000001mL", -EINVAL, 0 },
		{ units_parse_volume, "2", -EINVAL, 0 },
		{ units_parse_volume, "2mg", -EINVAL, 0 },
		{ units_parse_dose, "0.5mg", 0, 500000 },
		{ units_parse_dose, "250ug", 0, 250000 },
		{ units_parse_dose, "250\xc2\xb5g", 0, 250000 },
		{ units_parse_dose, "0.000001mg", 0, 1 },
		{ units_parse_rate, "3mg/day", 0, 3000000 },
		{ units_parse_rate, "125ug/h", 0, 3000000 },
		{ units_parse_conc, "10mg/mL", 0, 10000000 },
		{ units_parse_conc, "10mg", -EINVAL, 0 },
	};
	CHECK_UNITS(c);
}

Test(units, utc_times)
{
	static const struct unit_case c[] = {
		{ units_parse_time, "2026-01-01T08:00:00Z", 0, 1767254400000ULL },
		{ units_parse_time, "1970-01-01T00:00:00.250Z", 0, 250 },
		{ units_parse_time, "2024-02-29T00:00:00Z", 0, 1709164800000ULL },
		{ units_parse_time, "2026-02-29T00:00:00Z", -EINVAL, 0 },
		{ units_parse_time, "2026-01-01T08:00:00", -EINVAL, 0 },
		{ units_parse_time, "2026-13-01T08:00:00Z", -EINVAL, 0 },
	};
	CHECK_UNITS(c);
}

Test(units, formatting_is_exact_and_short)
{
	char b[UNITS_FMT_MAX];
	cr_assert_str_eq(units_fmt_duration(6600000, b), "1h50m");
	cr_assert_str_eq(units_fmt_duration(90500, b), "1m30s500ms");
	cr_assert_str_eq(units_fmt_duration(0, b), "0");
	cr_assert_str_eq(units_fmt_volume(19950000, b), "19.95 mL");
	cr_assert_str_eq(units_fmt_volume(1500, b), "1.5 uL");
	cr_assert_str_eq(units_fmt_dose(500000, b), "0.5 mg");
	cr_assert_str_eq(units_fmt_rate(3000000, b), "3 mg/day");
	cr_assert_str_eq(units_fmt_conc(10000000, b), "10 mg/mL");
	cr_assert_str_eq(units_fmt_time(1767254400000ULL, b), "2026-01-01T08:00:00Z");
}

Test(units, spans_read_like_a_person_wrote_them)
{
	char b[UNITS_FMT_MAX];
	/* two largest units, the smaller rounded to the nearest */
	cr_assert_str_eq(units_fmt_span(4410406716ULL, b), "51 d 1 h");   /* 51d1h6m46.716s */
	cr_assert_str_eq(units_fmt_span(4413646716ULL, b), "51 d 2 h");   /* 51d2h46s716ms */
	cr_assert_str_eq(units_fmt_span(4415400000ULL, b), "51 d 3 h");   /* 51d2h30m: up */
	cr_assert_str_eq(units_fmt_span(86400000, b), "1 d");
	cr_assert_str_eq(units_fmt_span(6600000, b), "1 h 50 min");
	cr_assert_str_eq(units_fmt_span(6599999, b), "1 h 50 min");
	cr_assert_str_eq(units_fmt_span(7200000, b), "2 h");
	cr_assert_str_eq(units_fmt_span(86399000, b), "1 d");             /* 23h59m59s */
	cr_assert_str_eq(units_fmt_span(600000, b), "10 min");
	cr_assert_str_eq(units_fmt_span(90500, b), "1 min 31 s");
	cr_assert_str_eq(units_fmt_span(59600, b), "1 min");
	cr_assert_str_eq(units_fmt_span(45000, b), "45 s");
	cr_assert_str_eq(units_fmt_span(1499, b), "1 s");
	cr_assert_str_eq(units_fmt_span(999, b), "999 ms");
	cr_assert_str_eq(units_fmt_span(0, b), "0 s");
	cr_assert_str_eq(units_fmt_span(UINT64_MAX, b), "213503982334 d 14 h");
}

/* ---- scenario parser ------------------------------------------------------ */

Test(scenario, a_full_scenario_parses_into_steps)
{
	struct scn *s = parse_ok(
		"# a comment\n"
		"rx <<EOF\n"
		"drug = morphine\n"
		"  # kept verbatim\n"
		"EOF\n"
		"pump sim start=2026-01-01T08:00:00Z volume=20mL\n"
		"\n"
		"as patient bolus            # first one\n"
		"expect outcome granted dose=0.5mg ends_in=10m\n"
		"clock advance 2h\n"
		"expect state reservoir=19.95mL boluses_24h=1 alarms=low_reservoir,eri next_bolus=now\n"
		"as patient retry\n"
		"expect same\n"
		"kill9\n");
	unsigned line;
	cr_assert_str_eq(scn_rx_text(s, &line), "drug = morphine\n  # kept verbatim\n");
	cr_assert_eq(line, 3);
	cr_assert_null(scn_rx_file(s, NULL));
	cr_assert_eq(scn_count(s), 8);

	const struct scn_step *st = scn_step_at(s, 0);
	cr_assert_eq(st->kind, SCN_PUMP);
	cr_assert_eq(st->line, 6);
	cr_assert_eq(st->start_ms, 1767254400000ULL);
	cr_assert_eq(st->volume_nl, 20000000);

	st = scn_step_at(s, 1);
	cr_assert_eq(st->kind, SCN_REQUEST);
	cr_assert_eq(st->role, SCN_PATIENT);
	cr_assert_eq(st->req.type, MSG_BOLUS);
	cr_assert_eq(st->has_id, 0);
	cr_assert_str_eq(st->src, "as patient bolus");

	st = scn_step_at(s, 2);
	cr_assert_eq(st->kind, SCN_EXPECT);
	cr_assert_eq(st->expect, SCN_X_OUTCOME);
	cr_assert_eq(st->code, MSG_OUT_GRANTED);
	cr_assert_eq(st->n_checks, 2);
	cr_assert_eq(st->checks[0].field, SCN_F_DOSE);
	cr_assert_eq(st->checks[0].value, 500000);
	cr_assert_eq(st->checks[1].field, SCN_F_ENDS_IN);
	cr_assert_eq(st->checks[1].value, 600000);

	st = scn_step_at(s, 3);
	cr_assert_eq(st->kind, SCN_REQUEST);
	cr_assert_eq(st->role, SCN_TESTER);
	cr_assert_eq(st->req.type, MSG_CLOCK);
	cr_assert_eq(st->req.u.clock.op, MSG_CLOCK_ADVANCE);
	cr_assert_eq(st->req.u.clock.arg, 7200000);

	st = scn_step_at(s, 4);
	cr_assert_eq(st->expect, SCN_X_STATE);
	cr_assert_eq(st->n_checks, 4);
	cr_assert_eq(st->checks[0].field, SCN_F_RESERVOIR);
	cr_assert_eq(st->checks[0].value, 19950000);
	cr_assert_eq(st->checks[1].value, 1);
	cr_assert_eq(st->checks[2].field, SCN_F_ALARMS);
	cr_assert_eq(st->checks[2].value,
	             (1u << MSG_ALARM_LOW_RESERVOIR) | (1u << MSG_ALARM_ERI));
	cr_assert_eq(st->checks[3].vtype, SCN_V_WHEN);
	cr_assert_eq(st->checks[3].when, SCN_W_NOW);

	cr_assert_eq(scn_step_at(s, 5)->kind, SCN_RETRY);
	cr_assert_eq(scn_step_at(s, 5)->role, SCN_PATIENT);
	cr_assert_eq(scn_step_at(s, 6)->kind, SCN_EXPECT);
	cr_assert_eq(scn_step_at(s, 6)->expect, SCN_X_SAME);
	cr_assert_eq(scn_step_at(s, 7)->kind, SCN_KILL9);
	cr_assert_null(scn_step_at(s, 8));
	scn_free(s);
}

Test(scenario, every_request_parses_with_its_body)
{
	struct scn *s = parse_ok(
		"pump sim\n"
		"as patient status\n"
		"as patient silence\n"
		"as patient silence low_reservoir\n"
		"as patient history 5\n"
		"as clinician refill 20mL 10mg/mL\n"
		"as clinician refill 1500uL\n"
		"as clinician clear motor_stall\n"
		"as clinician log after=7 max=3\n"
		"as clinician run stop\n"
		"fault reservoir 1mL\n"
		"as tester fault motor_stall\n"
		"clock speed 60\n"
		"as patient id=42 bolus\n"
		"as clinician program new.rx\n"
		"as clinician program <<END\n"
		"mode = stopped\n"
		"END\n"
		"restart\n");
	const struct scn_step *st;
	cr_assert_eq(scn_count(s), 17);
	cr_assert_eq(scn_step_at(s, 1)->req.type, MSG_STATUS);
	cr_assert_eq(scn_step_at(s, 2)->req.u.alarm, 0);
	cr_assert_eq(scn_step_at(s, 3)->req.u.alarm, MSG_ALARM_LOW_RESERVOIR);
	cr_assert_eq(scn_step_at(s, 4)->req.u.max, 5);
	st = scn_step_at(s, 5);
	cr_assert_eq(st->req.u.refill.volume_nl, 20000000);
	cr_assert_eq(st->req.u.refill.concentration_ng_ml, 10000000);
	cr_assert_eq(scn_step_at(s, 6)->req.u.refill.concentration_ng_ml, 0);
	cr_assert_eq(scn_step_at(s, 7)->req.u.alarm, MSG_ALARM_MOTOR_STALL);
	cr_assert_eq(scn_step_at(s, 8)->req.u.log.after_seq, 7);
	cr_assert_eq(scn_step_at(s, 8)->req.u.log.max, 3);
	cr_assert_eq(scn_step_at(s, 9)->req.u.run, 0);
	st = scn_step_at(s, 10);
	cr_assert_eq(st->role, SCN_TESTER);
	cr_assert_eq(st->req.u.fault.kind, MSG_FAULT_RESERVOIR);
	cr_assert_eq(st->req.u.fault.arg, 1000000);
	cr_assert_eq(scn_step_at(s, 11)->req.u.fault.kind, MSG_FAULT_MOTOR_STALL);
	cr_assert_eq(scn_step_at(s, 12)->req.u.clock.op, MSG_CLOCK_SPEED);
	cr_assert_eq(scn_step_at(s, 12)->req.u.clock.arg, 60);
	st = scn_step_at(s, 13);
	cr_assert_eq(st->has_id, 1);
	cr_assert_eq(st->id, 42);
	cr_assert_str_eq(scn_step_at(s, 14)->rx_file, "new.rx");
	st = scn_step_at(s, 15);
	cr_assert_eq(st->req.type, MSG_PROGRAM);
	cr_assert_str_eq(st->rx_text, "mode = stopped\n");
	cr_assert_eq(st->rx_line, 17);
	cr_assert_eq(scn_step_at(s, 16)->kind, SCN_RESTART);
	scn_free(s);
}

/* A refill's withdrawn volume and a soft-limit override (PROTOCOL.md 8.7,
 * 8.10: the override rides after the withdrawn volume). */
/* verifies: SR-RX-006 */
Test(scenario, refill_with_withdrawn_and_override)
{
	struct scn *s = parse_ok(
		"pump sim\n"
		"as clinician refill 20mL 3mg/mL withdrawn=1.5mL override=\"titration plan\"\n"
		"as clinician refill 20mL withdrawn=2mL\n");
	const struct scn_step *st = scn_step_at(s, 1);
	cr_assert_eq(st->req.u.refill.volume_nl, 20000000);
	cr_assert_eq(st->req.u.refill.concentration_ng_ml, 3000000);
	cr_assert_eq(st->req.u.refill.has_withdrawn, 1);
	cr_assert_eq(st->req.u.refill.withdrawn_nl, 1500000);
	cr_assert_str_eq(st->req.u.refill.override, "titration plan");
	cr_assert_str_eq(scn_step_at(s, 2)->req.u.refill.override, "");
	scn_free(s);
	parse_fails("pump sim\nas clinician refill 20mL 3mg/mL override=why\n",
	            "override=REASON comes after withdrawn=VOLUME");
	parse_fails("pump sim\nas clinician refill 20mL withdrawn=1mL override=\n",
	            "the reason is 1 to 63 characters");
}

Test(scenario, expectations_of_every_kind)
{
	struct scn *s = parse_ok(
		"pump sim\n"
		"as patient bolus\n"
		"expect error role\n"
		"expect error range detail=\"bolus_dose_ng\"\n"
		"expect error stale_id last_id=5\n"
		"expect ok reservoir<2mL\n"
		"expect counts granted=1 lockout=2\n"
		"expect history count=3 lockout>=1\n"
		"expect log count=2 contains \"bolus granted\"\n"
		"expect silenced 2\n"
		"expect state alarms>=eri silenced=none next_bolus=1h50m next_refill=never mode=continuous bolus_running=no next_bolus_reason=lockout drug=morphine eos=2032-01-01T00:00:00Z\n");
	const struct scn_step *st = scn_step_at(s, 2);
	cr_assert_eq(st->expect, SCN_X_ERROR);
	cr_assert_eq(st->code, MSG_E_ROLE);
	st = scn_step_at(s, 3);
	cr_assert_eq(st->code, MSG_E_RANGE);
	cr_assert_str_eq(st->checks[0].str, "bolus_dose_ng");
	cr_assert_eq(scn_step_at(s, 4)->checks[0].field, SCN_F_LAST_ID);
	cr_assert_eq(scn_step_at(s, 4)->checks[0].value, 5);
	st = scn_step_at(s, 5);
	cr_assert_eq(st->expect, SCN_X_OK);
	cr_assert_eq(st->checks[0].op, SCN_LT);
	cr_assert_eq(st->checks[0].value, 2000000);
	st = scn_step_at(s, 6);
	cr_assert_eq(st->checks[1].field, SCN_F_OUTCOME_N);
	cr_assert_eq(st->checks[1].arg, MSG_OUT_LOCKOUT);
	cr_assert_eq(st->checks[1].value, 2);
	st = scn_step_at(s, 7);
	cr_assert_eq(st->checks[1].op, SCN_GE);
	st = scn_step_at(s, 8);
	cr_assert_eq(st->checks[1].field, SCN_F_CONTAINS);
	cr_assert_str_eq(st->checks[1].str, "bolus granted");
	cr_assert_eq(scn_step_at(s, 9)->code, 2);
	st = scn_step_at(s, 10);
	cr_assert_eq(st->n_checks, 9);
	cr_assert_eq(st->checks[0].op, SCN_GE);
	cr_assert_eq(st->checks[0].value, 1u << MSG_ALARM_ERI);
	cr_assert_eq(st->checks[1].value, 0);
	cr_assert_eq(st->checks[2].when, SCN_W_IN);
	cr_assert_eq(st->checks[2].value, 6600000);
	cr_assert_eq(st->checks[3].when, SCN_W_NEVER);
	cr_assert_eq(st->checks[4].value, MSG_MODE_CONTINUOUS);
	cr_assert_eq(st->checks[6].value, MSG_OUT_LOCKOUT);
	cr_assert_str_eq(st->checks[7].str, "morphine");
	cr_assert_eq(st->checks[8].when, SCN_W_AT);
	scn_free(s);
}

Test(scenario, expect_notify_names_roles_event_alarm_and_state_checks)
{
	struct scn *s = parse_ok(
		"pump sim\n"
		"fault motor_stall\n"
		"expect notify alarm_raised motor_stall critical=yes\n"
		"expect notify patient tester bolus_ended reservoir<20mL\n"
		"expect notify any\n"
		"expect notify clinician programmed\n"
		"expect notify alarm_silenced\n");
	const struct scn_step *st = scn_step_at(s, 2);
	cr_assert_eq(st->expect, SCN_X_NOTIFY);
	cr_assert_eq(st->code, MSG_EV_ALARM_RAISED);
	cr_assert_eq(st->alarm, MSG_ALARM_MOTOR_STALL);
	cr_assert_eq(st->roles, 0);
	cr_assert_eq(st->n_checks, 1);
	cr_assert_eq(st->checks[0].field, SCN_F_CRITICAL);
	st = scn_step_at(s, 3);
	cr_assert_eq(st->roles, (1u << SCN_PATIENT) | (1u << SCN_TESTER));
	cr_assert_eq(st->code, MSG_EV_BOLUS_ENDED);
	cr_assert_eq(st->alarm, 0);
	cr_assert_eq(st->checks[0].op, SCN_LT);
	cr_assert_eq(st->checks[0].value, 20000000);
	cr_assert_eq(scn_step_at(s, 4)->code, SCN_EVENT_ANY);
	cr_assert_eq(scn_step_at(s, 5)->roles, 1u << SCN_CLINICIAN);
	cr_assert_eq(scn_step_at(s, 5)->code, MSG_EV_PROGRAMMED);
	cr_assert_eq(scn_step_at(s, 6)->alarm, 0);
	scn_free(s);

	parse_fails("pump sim\nfault memory\nexpect notify\n", "expect notify: which event?");
	parse_fails("pump sim\nfault memory\nexpect notify alarm_rised\n",
	            "t.scn:3: expect notify: unknown event 'alarm_rised'");
	parse_fails("pump sim\nfault memory\nexpect notify nurse alarm_raised\n",
	            "unknown event 'nurse' (or role: patient, clinician, tester)");
	parse_fails("pump sim\nfault memory\nexpect notify refilled memory\n",
	            "only alarm events name an alarm ('refilled' is not one)");
	parse_fails("pump sim\nfault memory\nexpect notify alarm_raised gremlin\n",
	            "'gremlin': expected an alarm");
	parse_fails("pump sim\nfault memory\nexpect notify alarm_raised dose=1mg\n",
	            "field 'dose' does not belong here");
	parse_fails("pump sim\nas patient id=0 bolus\n", "'id=0': request ids start at 1");
}

Test(scenario, state_checks_know_the_clock_speed_and_faults_the_new_battery)
{
	struct scn *s = parse_ok("pump sim\nfault battery_new\nexpect state clock_speed=0\n");
	cr_assert_eq(scn_step_at(s, 1)->req.u.fault.kind, MSG_FAULT_BATTERY_NEW);
	cr_assert_eq(scn_step_at(s, 2)->checks[0].field, SCN_F_CLOCK_SPEED);
	cr_assert_eq(scn_step_at(s, 2)->checks[0].value, 0);
	scn_free(s);
}

Test(scenario, rx_from_a_file)
{
	struct scn *s = parse_ok("rx demo.rx\npump sim\n");
	unsigned line = 0;
	cr_assert_str_eq(scn_rx_file(s, &line), "demo.rx");
	cr_assert_eq(line, 1);
	cr_assert_null(scn_rx_text(s, NULL));
	scn_free(s);
}

Test(scenario, errors_name_the_line_and_the_problem)
{
	parse_fails("pump sim\nas nurse bolus\n", "t.scn:2: as: unknown role 'nurse'");
	parse_fails("pump sim\nas patient bolus\nexpect state reservoir=19.95\n",
	            "t.scn:3: expect state: 'reservoir=19.95': expected a volume");
	parse_fails("pump sim\nas patient bolus\nexpect outcome maybe\n",
	            "unknown outcome 'maybe'");
	parse_fails("pump sim\nas patient bolus\nexpect state dose=1mg\n",
	            "field 'dose' does not belong here");
	parse_fails("pump sim\nas patient bolus\nexpect state colour=red\n",
	            "unknown field 'colour'");
	parse_fails("pump sim\nas patient bolus\nexpect state mode>stopped\n",
	            "can only be compared with = or !=");
	parse_fails("pump sim\nas patient bolus\nexpect error oops\n",
	            "unknown error 'oops'");
	parse_fails("as patient bolus\n", "t.scn:1: a request before 'pump sim'");
	parse_fails("pump sim\nexpect ok\n", "expect before any request");
	parse_fails("pump sim\nrx x.rx\n", "rx must come before 'pump sim'");
	parse_fails("rx a.rx\nrx b.rx\npump sim\n", "a second rx");
	parse_fails("pump sim\npump sim\n", "a second 'pump' line");
	parse_fails("pump sim start=tomorrow\n", "expected a UTC time");
	parse_fails("pump sim\nclock advance soon\n", "expected a duration");
	parse_fails("pump sim\nas clinician refill 20\n", "expected a volume");
	parse_fails("pump sim\nas patient history 65\n", "expected 1..64");
	parse_fails("pump sim\nas patient dance\n", "unknown request 'dance'");
	parse_fails("pump sim\nas patient id=7 retry\n", "retry resends the previous id");
	parse_fails("pump sim\nfault gremlins\n", "unknown fault 'gremlins'");
	parse_fails("pump sim\nas clinician clear all\n", "unknown alarm 'all'");
	parse_fails("pump sim\nfly away\n", "t.scn:2: unknown step 'fly'");
	parse_fails("rx <<EOF\ndrug = x\n", "heredoc opened on line 1 has no closing 'EOF'");
	parse_fails("# nothing\n", "no 'pump sim' line");
	parse_fails("pump sim\nas patient bolus\nexpect log contains \"open\n",
	            "unterminated quote");
}

Test(scenario, an_error_step_changes_nothing_after_it)
{
	/* the parse stops being useful after an error, but lines before it
	 * are intact and the error is cleared by the next good line */
	struct scn *s = scn_new("t.scn");
	cr_assert_eq(scn_feed(s, "pump sim", 8), 0);
	cr_assert_eq(scn_feed(s, "as patient bolus", 16), 0);
	cr_assert_eq(scn_feed(s, "expect outcome nope", 19), -EINVAL);
	cr_assert_str_eq(scn_error(s), "t.scn:3: expect outcome: unknown outcome 'nope'");
	cr_assert_eq(scn_feed(s, "restart\r\n", 9), 0);
	cr_assert_str_eq(scn_error(s), "");
	cr_assert_eq(scn_step_at(s, 2)->line, 4);
	scn_free(s);
}

Test(scenario, explore_takes_a_number_of_steps_and_a_seed)
{
	struct scn *s = parse_ok("pump sim\nexplore 500 seed=42\nexpect state alarms=none\n"
	                         "explore 3\n");
	const struct scn_step *st = scn_step_at(s, 1);
	cr_assert_eq(scn_count(s), 4);
	cr_assert_eq(st->kind, SCN_EXPLORE);
	cr_assert_eq(st->explore_n, 500);
	cr_assert_eq(st->has_seed, 1);
	cr_assert_eq(st->seed, 42);
	st = scn_step_at(s, 3);
	cr_assert_eq(st->explore_n, 3);
	cr_assert_eq(st->has_seed, 0);
	scn_free(s);
	parse_fails("explore 5\npump sim\n", "t.scn:1: explore before 'pump sim'");
	parse_fails("pump sim\nexplore\n", "explore: expected 'explore N [seed=S]'");
	parse_fails("pump sim\nexplore 0\n", "'0': expected a number of steps from 1 to 100000");
	parse_fails("pump sim\nexplore 100001\n", "from 1 to 100000");
	parse_fails("pump sim\nexplore 5 seed=x\n", "'seed=x': expected seed=NUMBER");
	parse_fails("pump sim\nexplore 5 42\n", "'42': expected seed=NUMBER");
}
