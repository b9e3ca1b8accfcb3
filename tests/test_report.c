/*
 * tests/test_report.c — the interrogation report: audit-log lines as pumpd
 * writes them read back as typed events, the exact counts a clinician reads
 * from a known log (since the last refill, per day), drug per hour, the
 * reservoir's points; the CSV round-trips through another reader (python's
 * csv) with quotes and commas; the HTML page is well-formed, self-contained,
 * and every number on it equals the JSON report's (tests/report/check_html.py).
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "net/report.h"
#include "net/report_chart.h"
#include "net/msgjson.h"
#include "tests/lib/tmpdir.h"
#include "tools/ctl_rep.h"
#include "util/units.h"

#define H   3600000ull
#define MIN 60000ull
/* day 0 of the known log: 2026-03-02T00:00:00Z */
#define D0  1772409600000ull

static struct msg_log_entry ents[64];
static unsigned n_ents;

static void line(uint64_t at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(uint64_t at, const char *fmt, ...)
{
	va_list ap;
	cr_assert_lt(n_ents, 64);
	memset(&ents[n_ents], 0, sizeof ents[0]);
	ents[n_ents].seq = n_ents + 1;
	ents[n_ents].at_ms = at;
	va_start(ap, fmt);
	vsnprintf(ents[n_ents].text, sizeof ents[n_ents].text, fmt, ap);
	va_end(ap);
	n_ents++;
}

static const char *iso(uint64_t ms)
{
	static char b[4][UNITS_FMT_MAX];
	static int k;
	k = (k + 1) % 4;
	return units_fmt_time(ms, b[k]);
}

/* The known log: texts exactly as pumpd/request.c and notify.c write them. */
static void known_log(void)
{
	n_ents = 0;
	line(D0 - 2 * H, "pump: pump initialised");
	line(D0 - 2 * H, "pump: paired pat as patient");
	line(D0 - 2 * H, "pump: paired doc as clinician");
	line(D0 + 6 * H, "doc: program baclofen: done");
	line(D0 + 8 * H, "pat: bolus granted: 50 mcg over 10 min, ends at %s", iso(D0 + 8 * H + 10 * MIN));
	line(D0 + 8 * H + 5 * MIN, "pat: bolus refused: running, next allowed in 25 min");
	line(D0 + 8 * H + 10 * MIN, "pump: bolus ended: 50 mcg delivered");
	line(D0 + 12 * H, "doc: refill 20 mL at 2 mg/mL: withdrawn 18 mL, expected 19.5 mL +- 0.5 mL: DISCREPANCY");
	line(D0 + 13 * H, "pat: bolus granted: 50 mcg over 10 min, ends at %s", iso(D0 + 13 * H + 10 * MIN));
	line(D0 + 14 * H, "pat: bolus refused: daily_count, next allowed in 18 h");
	line(D0 + 24 * H + 9 * H, "pat: bolus granted: 50 mcg over 10 min, ends at %s", iso(D0 + 33 * H + 10 * MIN));
	line(D0 + 33 * H + 10 * MIN, "pat: bolus refused: lockout, next allowed in 20 min");
	line(D0 + 34 * H, "pat: bolus refused: ceiling, next allowed in 2 h");
	line(D0 + 35 * H, "pat: bolus refused: critical");
	line(D0 + 36 * H, "doc: clinician bolus single: 0.1 mg (50 uL) over 10 min, ends at %s",
	     iso(D0 + 36 * H + 10 * MIN));
	line(D0 + 36 * H + 30 * MIN, "pump: alarm raised: motor_stall");
	line(D0 + 36 * H + 31 * MIN, "pat: something \"odd\", with commas");
	/* a tester's occlusion: 60% reaches the patient, then 50% (one fault:
	 * delivered and reached count from its start) */
	line(D0 + 36 * H + 40 * MIN, "tes: fault occlusion 60%% reaches the patient: "
	     "injected; drawn 5 mg, reached 5 mg");
	line(D0 + 36 * H + 50 * MIN, "tes: fault occlusion 50%% reaches the patient: "
	     "injected; drawn 5.1 mg, reached 5.06 mg");
}

static struct msg_reply status;

static void known_status(void)
{
	memset(&status, 0, sizeof status);
	status.req_type = MSG_STATUS;
	struct msg_state *s = &status.state;
	s->now_ms = D0 + 40 * H;
	s->mode = MSG_MODE_CONTINUOUS;
	s->flags = MSG_F_INFUSING | MSG_F_BOLUS_ENABLED;
	s->reservoir_nl = 19000000;
	s->capacity_nl = 20000000;
	s->low_threshold_nl = 2000000;
	s->concentration_ng_ml = 2000000;
	s->basal_ng_day = 2400000;            /* 100000 ng an hour */
	s->bolus_dose_ng = 50000;
	s->bolus_duration_ms = 600000;
	s->lockout_ms = 1800000;
	s->max_per_24h = 6;
	s->next_refill_ms = D0 + 20 * 24 * H;
	s->eri_ms = D0 + 1000 * 24 * H;
	s->eos_ms = D0 + 1090 * 24 * H;
	snprintf(s->drug, sizeof s->drug, "baclofen <b>&");
	s->n_alarms = 1;
	s->alarms[0].id = MSG_ALARM_MOTOR_STALL;
	s->alarms[0].priority = MSG_PRIO_HIGH;
	s->alarms[0].raised_ms = D0 + 36 * H + 30 * MIN;
	status.u.counts.n = MSG_OUT_COUNT;
	for (int i = 0; i < MSG_OUT_COUNT; i++) {
		status.u.counts.c[i].outcome = (uint8_t)i;
		status.u.counts.c[i].count = (uint32_t)(10 + i);
	}
	/* since the pump's start: 7 mg drawn, 6.25 mg reached the patient */
	status.has_dlv = 1;
	status.dlv = (struct msg_delivery){ 7000000, 6250000, 50 };
}

static struct report rep;
static struct report_event evs[64];

/* rep from the log in ents (its events in evs) and the known status */
static void aggregate(uint64_t since)
{
	known_status();
	report_begin(&rep, &status, since);
	for (unsigned i = 0; i < n_ents; i++)
		report_add(&rep, &ents[i], &evs[i]);
	report_end(&rep);
}

static void build(uint64_t since)
{
	known_log();
	aggregate(since);
}

static unsigned hour_of(uint64_t t)
{
	return (unsigned)((t - rep.hours_ms) / H);
}

Test(report, log_lines_read_back_as_typed_events)
{
	build(0);
	cr_assert_eq(evs[0].kind, REPORT_EV_PUMP);
	cr_assert_eq(evs[1].kind, REPORT_EV_PAIRING);
	cr_assert_eq(evs[3].kind, REPORT_EV_PROGRAM);
	cr_assert_eq(evs[3].role, REPORT_ROLE_CLINICIAN);
	cr_assert_str_eq(evs[4].who, "pat");
	cr_assert_eq(evs[4].role, REPORT_ROLE_PATIENT);
	cr_assert_eq(evs[4].kind, REPORT_EV_BOLUS);
	cr_assert_eq(evs[4].outcome, MSG_OUT_GRANTED);
	cr_assert_eq(evs[4].dose_ng, 50000);
	cr_assert_eq(evs[4].ends_ms, D0 + 8 * H + 10 * MIN);
	cr_assert_eq(evs[5].outcome, MSG_OUT_RUNNING);
	cr_assert_eq(evs[6].kind, REPORT_EV_BOLUS_END);
	cr_assert_eq(evs[6].role, REPORT_ROLE_PUMP);
	cr_assert_eq(evs[6].dose_ng, 50000);
	const struct report_event *rf = &evs[7];
	cr_assert_eq(rf->kind, REPORT_EV_REFILL);
	cr_assert_eq(rf->volume_nl, 20000000);
	cr_assert_eq(rf->conc_ng_ml, 2000000);
	cr_assert_eq(rf->withdrawn_nl, 18000000);
	cr_assert_eq(rf->expected_nl, 19500000);
	cr_assert_eq(rf->value, 1, "the discrepancy");
	cr_assert_eq(evs[9].outcome, MSG_OUT_DAILY_COUNT);
	cr_assert_eq(evs[12].outcome, MSG_OUT_CEILING);
	cr_assert_eq(evs[13].outcome, MSG_OUT_CRITICAL);
	cr_assert_eq(evs[14].kind, REPORT_EV_CBOLUS);
	cr_assert_eq(evs[14].dose_ng, 100000);
	cr_assert_eq(evs[15].kind, REPORT_EV_ALARM);
	cr_assert_eq(evs[15].alarm, MSG_ALARM_MOTOR_STALL);
	cr_assert_eq(evs[15].value, 1);
	cr_assert_eq(evs[16].kind, REPORT_EV_OTHER);
	cr_assert_str_eq(evs[16].data, "something \"odd\", with commas");

	/* lines that do not read as their kind stay "other", text kept */
	struct msg_log_entry e = { .seq = 1, .at_ms = 5 };
	struct report_event ev;
	const char *odd[] = {
		"pat: bolus granted: lots over 10 min", "pat: bolus refused: nonsense",
		"doc: refill 20 mL at 2 mg/mL: range volume_nl", "no who here",
		"doc: program x: range rate_ng_day", "pump: alarm raised: nosuch",
	};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		snprintf(e.text, sizeof e.text, "%s", odd[i]);
		report_event_parse(&e, &ev);
		cr_assert_eq(ev.kind, REPORT_EV_OTHER, "%s", odd[i]);
		cr_assert_eq(ev.outcome, -1, "%s", odd[i]);
	}
	cr_assert_str_eq(ev.data, "alarm raised: nosuch");

	/* the pump's other words for the same kinds */
	const struct { const char *text; int kind; uint64_t dose; } more[] = {
		{ "pump: bolus cut short: 20 mcg delivered", REPORT_EV_BOLUS_END, 20000 },
		{ "pump: clinician bolus prime cut short: 0.1 mg delivered", REPORT_EV_BOLUS_END, 100000 },
		{ "doc: program baclofen: done; drug not in library", REPORT_EV_PROGRAM, 0 },
		{ "doc: confirm stage 3: done", REPORT_EV_PROGRAM, 0 },
		{ "doc: confirm stage 3: in force", REPORT_EV_PROGRAM, 0 },
		{ "doc: confirm stage 3: in force; steps in UTC, zone Europe/Paris dropped",
		  REPORT_EV_PROGRAM, 0 },
		{ "doc: confirm stage 3: state no pending session", REPORT_EV_OTHER, 0 },
	};
	for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
		snprintf(e.text, sizeof e.text, "%s", more[i].text);
		report_event_parse(&e, &ev);
		cr_assert_eq(ev.kind, more[i].kind, "%s", more[i].text);
		cr_assert_eq(ev.dose_ng, more[i].dose, "%s", more[i].text);
	}
}

/* verifies: SR-FAULT-002 */
Test(report, delivered_and_reached_since_the_occlusion)
{
	build(0);
	cr_assert_eq(evs[17].kind, REPORT_EV_TEST);
	cr_assert_eq(evs[17].occl_pct, 60);
	cr_assert_eq(evs[17].drawn_ng, 5000000);
	cr_assert_eq(evs[17].reached_ng, 5000000);
	cr_assert_eq(evs[18].occl_pct, 50);
	cr_assert_eq(evs[18].reached_ng, 5060000);
	cr_assert_eq(evs[16].occl_pct, -1);
	/* by hand: from the first row (the fault's start, 5 mg and 5 mg) to
	 * the pump's totals now (7 mg, 6.25 mg): 2 mg delivered, 1.25 mg
	 * reached, 0.75 mg missed = 37.5% of 2 mg */
	cr_assert(rep.has_dlv);
	cr_assert_eq(rep.dlv_from_ms, D0 + 36 * H + 40 * MIN);
	cr_assert_eq(rep.delivered_ng, 2000000);
	cr_assert_eq(rep.reached_ng, 1250000);
	cr_assert_eq(rep.missed_ng, 750000);
	cr_assert_eq(rep.missed_pm, 375);

	/* the fault ended (100%) and a new one began: from the new one */
	known_log();
	line(D0 + 37 * H, "tes: fault occlusion 100%% reaches the patient: injected; "
	     "drawn 5.5 mg, reached 5.3 mg");
	line(D0 + 38 * H, "tes: fault occlusion 0%% reaches the patient: injected; "
	     "drawn 6 mg, reached 5.8 mg");
	aggregate(0);
	cr_assert_eq(rep.dlv_from_ms, D0 + 38 * H);
	cr_assert_eq(rep.delivered_ng, 1000000);
	cr_assert_eq(rep.reached_ng, 450000);
	cr_assert_eq(rep.missed_pm, 550);

	/* rows that do not hold the totals (an older pumpd, a refusal, a line
	 * cut at its length) are plain test rows; a pump initialised since
	 * the fault counts from its start */
	struct msg_log_entry e = { .seq = 1, .at_ms = 5 };
	struct report_event ev;
	const char *odd[] = {
		"tes: fault occlusion 40% reaches the patient: injected",
		"tes: fault occlusion 40% reaches the patient: range",
		"tes: fault occlusion 40% reaches the patient: injected; drawn 5 mg, reached 4.9",
		"tes: fault occlusion 140% reaches the patient: injected; drawn 5 mg, reached 5 mg",
		"tes: fault occlusion 40% reaches the patient: injected; drawn 5 mg, reached 6 mg",
	};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		snprintf(e.text, sizeof e.text, "%s", odd[i]);
		report_event_parse(&e, &ev);
		cr_assert_eq(ev.kind, REPORT_EV_TEST, "%s", odd[i]);
		cr_assert_eq(ev.occl_pct, -1, "%s", odd[i]);
	}
	known_log();
	line(D0 + 39 * H, "pump: pump initialised");
	aggregate(0);
	cr_assert_eq(rep.dlv_from_ms, 0);
	cr_assert_eq(rep.delivered_ng, 7000000);
	cr_assert_eq(rep.reached_ng, 6250000);
	cr_assert_eq(rep.missed_pm, 107, "0.75 of 7 mg: 10.7%%");
	/* a pump that did not send them: none */
	known_log();
	known_status();
	status.has_dlv = 0;
	report_begin(&rep, &status, 0);
	report_end(&rep);
	cr_assert(!rep.has_dlv);
	json_t *j = ctl_rjson_report(&rep);
	cr_assert(json_is_null(json_object_get(j, "delivered_reached")));
	json_decref(j);
}

Test(report, counts_since_the_last_refill_and_per_day)
{
	build(0);
	cr_assert_eq(rep.since_kind, REPORT_SINCE_REFILL);
	cr_assert_eq(rep.since_ms, D0 + 12 * H);
	/* after the refill: granted D0 13:00 and D1 09:00; daily_count D0;
	 * lockout, ceiling, critical (other) D1 */
	cr_assert_eq(rep.n[REPORT_C_GRANTED], 2);
	cr_assert_eq(rep.n[REPORT_C_LOCKOUT], 1);
	cr_assert_eq(rep.n[REPORT_C_DAILY], 1);
	cr_assert_eq(rep.n[REPORT_C_CEILING], 1);
	cr_assert_eq(rep.n[REPORT_C_OTHER], 1);
	cr_assert_eq(rep.n_days, 2);
	cr_assert_eq(rep.days[0].day_ms, D0);
	cr_assert_eq(rep.days[0].n[REPORT_C_GRANTED], 1);
	cr_assert_eq(rep.days[0].n[REPORT_C_DAILY], 1);
	cr_assert_eq(rep.days[0].n[REPORT_C_OTHER], 0, "the running refusal came before the refill");
	cr_assert_eq(rep.days[1].day_ms, D0 + 24 * H);
	cr_assert_eq(rep.days[1].n[REPORT_C_GRANTED], 1);
	cr_assert_eq(rep.days[1].n[REPORT_C_LOCKOUT], 1);
	cr_assert_eq(rep.days[1].n[REPORT_C_CEILING], 1);
	cr_assert_eq(rep.days[1].n[REPORT_C_OTHER], 1);
	cr_assert_eq(rep.counters[MSG_OUT_CEILING], 13, "STATUS's counters kept");
	cr_assert(rep.has_refill);
	cr_assert_eq(rep.last_refill.at_ms, D0 + 12 * H);
	cr_assert_eq(rep.n_alarm_ev, 1);
	cr_assert_eq(rep.rows, n_ents);

	/* --since: from that time, the refill no longer restarts the count */
	build(D0 + 8 * H);
	cr_assert_eq(rep.since_kind, REPORT_SINCE_GIVEN);
	cr_assert_eq(rep.n[REPORT_C_GRANTED], 3);
	cr_assert_eq(rep.n[REPORT_C_OTHER], 2, "running and critical");
	cr_assert_eq(rep.days[0].n[REPORT_C_GRANTED], 2);
}

Test(report, drug_per_hour_and_the_reservoir)
{
	build(0);
	cr_assert_eq(rep.hours_ms, D0 + 40 * H - (REPORT_HOURS - 1) * H);
	cr_assert_eq(rep.basal_from_ms, D0 + 6 * H, "from the last program");
	uint64_t basal = 0, bolus = 0;
	for (unsigned h = 0; h < REPORT_HOURS; h++) {
		basal += rep.basal_ng[h];
		bolus += rep.bolus_ng[h];
	}
	cr_assert_eq(basal, 34 * 100000, "34 hours at 2.4 mg/day");
	cr_assert_eq(rep.basal_ng[hour_of(D0 + 6 * H)], 100000);
	cr_assert_eq(rep.basal_ng[hour_of(D0 + 6 * H) - 1], 0, "unknown before the program");
	cr_assert_eq(bolus, 3 * 50000 + 100000);
	cr_assert_eq(rep.bolus_ng[hour_of(D0 + 8 * H)], 50000);
	cr_assert_eq(rep.bolus_ng[hour_of(D0 + 36 * H)], 100000);

	cr_assert_eq(rep.n_res, 4);
	cr_assert_eq(rep.res[0].at_ms, D0 + 12 * H);
	cr_assert_eq(rep.res[0].nl, 19500000, "what the pump held before the refill");
	cr_assert_eq(rep.res[1].nl, 20000000);
	cr_assert_eq(rep.res[2].at_ms, D0 + 40 * H);
	cr_assert_eq(rep.res[2].nl, 19000000);
	cr_assert_eq(rep.res[3].at_ms, D0 + 20 * 24 * H);
	cr_assert_eq(rep.res[3].nl, 2000000);
	cr_assert(rep.res[3].forecast && !rep.res[2].forecast);
}

Test(report, a_stop_pauses_the_basal)
{
	known_log();
	n_ents--;                     /* keep the times rising */
	line(D0 + 37 * H, "doc: stop: done");
	line(D0 + 39 * H, "doc: start: done");
	aggregate(0);
	cr_assert_eq(rep.basal_ng[hour_of(D0 + 37 * H)], 0);
	cr_assert_eq(rep.basal_ng[hour_of(D0 + 38 * H)], 0);
	cr_assert_eq(rep.basal_ng[hour_of(D0 + 39 * H)], 100000);
	cr_assert_eq(rep.basal_ng[hour_of(D0 + 36 * H)], 100000);
}

/* a bolus cut short (a stop, a confirmed program) is charted as what it
 * delivered, not as the dose its start row planned */
Test(report, a_bolus_cut_short_is_charted_as_delivered)
{
	known_log();
	line(D0 + 37 * H, "doc: clinician bolus bridge: 0.9 mg (0.45 mL) over 2 d, ends at %s",
	     iso(D0 + 85 * H));
	line(D0 + 37 * H + 30 * MIN, "pump: clinician bolus bridge cut short: 20 mcg delivered");
	line(D0 + 38 * H, "pat: bolus granted: 50 mcg over 1 h, ends at %s", iso(D0 + 39 * H));
	line(D0 + 38 * H + 15 * MIN, "pump: bolus cut short: 12.5 mcg delivered");
	aggregate(0);
	uint64_t bolus = 0;
	for (unsigned h = 0; h < REPORT_HOURS; h++)
		bolus += rep.bolus_ng[h];
	cr_assert_eq(bolus, 3 * 50000 + 100000 + 20000 + 12500);
	cr_assert_eq(rep.bolus_ng[hour_of(D0 + 37 * H)], 20000);
	cr_assert_eq(rep.bolus_ng[hour_of(D0 + 38 * H)], 12500);
	cr_assert_eq(rep.bolus_ng[hour_of(D0 + 39 * H)], 0, "nothing after the cut");
}

/* the last line() as a typed entry (PROTOCOL.md 8.15) */
static void typed(int kind, int role)
{
	struct msg_log_entry *e = &ents[n_ents - 1];
	e->typed = 1;
	e->kind = (uint8_t)kind;
	e->role = (uint8_t)role;
	e->wall_ms = e->at_ms + 7;
}

/* Lines whose words mislead: typed, the pump's kind and role decide; as
 * text alone (an older pump), the words are guessed and guessed wrong. */
/* verifies: SR-AUDIT-003 */
Test(report, typed_entries_take_the_pumps_kind_and_role)
{
	n_ents = 0;
	line(D0, "pump: paired pump as patient");
	line(D0 + H, "pump: doc: handshake refused: timestamp 900 s ahead of the pump's "
	     "clock (from unix)");
	line(D0 + 2 * H, "pump: bolus granted: 50 mcg over 10 min, ends at %s",
	     iso(D0 + 2 * H + 10 * MIN));
	line(D0 + 3 * H, "pat: refused clear id 4: role patient");
	line(D0 + 4 * H, "pump: session opened from the pump's own note");
	line(D0 + 5 * H, "doc: alarm raised: motor_stall");
	/* as text alone */
	aggregate(0);
	cr_assert_eq(evs[1].kind, REPORT_EV_OTHER, "guessed: not a word it knows first");
	cr_assert_eq(evs[2].kind, REPORT_EV_BOLUS);
	cr_assert_eq(evs[2].role, REPORT_ROLE_PUMP, "guessed: the name 'pump' taken for the pump");
	cr_assert_eq(evs[3].kind, REPORT_EV_REFUSED);
	cr_assert_eq(evs[4].kind, REPORT_EV_SESSION);
	cr_assert_eq(evs[5].kind, REPORT_EV_ALARM);
	cr_assert_eq(evs[1].typed, 0);
	cr_assert_eq(evs[1].pump_kind, -1);
	/* typed */
	n_ents = 0;
	line(D0, "pump: paired pump as patient");
	typed(MSG_LOG_PAIRING, MSG_LOG_ROLE_PUMP);
	line(D0 + H, "pump: doc: handshake refused: timestamp 900 s ahead of the pump's "
	     "clock (from unix)");
	typed(MSG_LOG_HANDSHAKE, MSG_LOG_ROLE_PUMP);
	line(D0 + 2 * H, "pump: bolus granted: 50 mcg over 10 min, ends at %s",
	     iso(D0 + 2 * H + 10 * MIN));
	typed(MSG_LOG_REQUEST, MSG_LOG_ROLE_PATIENT);
	line(D0 + 3 * H, "pat: refused clear id 4: role patient");
	typed(MSG_LOG_REFUSED, MSG_LOG_ROLE_PATIENT);
	line(D0 + 4 * H, "pump: session opened from the pump's own note");
	typed(MSG_LOG_NOTE, MSG_LOG_ROLE_PUMP);
	line(D0 + 5 * H, "doc: alarm raised: motor_stall");
	typed(MSG_LOG_REQUEST, MSG_LOG_ROLE_CLINICIAN);
	aggregate(0);
	cr_assert_eq(evs[0].kind, REPORT_EV_PAIRING);
	cr_assert_eq(evs[1].kind, REPORT_EV_SECURITY);
	cr_assert_eq(evs[1].typed, 1);
	cr_assert_eq(evs[1].pump_kind, MSG_LOG_HANDSHAKE);
	cr_assert_eq(evs[1].wall_ms, D0 + H + 7);
	cr_assert_eq(evs[1].role, REPORT_ROLE_PUMP);
	cr_assert_eq(evs[2].kind, REPORT_EV_BOLUS);
	cr_assert_eq(evs[2].role, REPORT_ROLE_PATIENT, "the remote named 'pump' is a patient");
	cr_assert_eq(evs[2].dose_ng, 50000u, "a request's figures still come from its text");
	cr_assert_eq(evs[3].kind, REPORT_EV_REFUSED);
	cr_assert_eq(evs[4].kind, REPORT_EV_OTHER, "a note is not a session");
	cr_assert_eq(evs[5].kind, REPORT_EV_OTHER, "a request's row is not an alarm");
	cr_assert_eq(evs[5].alarm, 0, "nor does it keep an alarm's figures");
	cr_assert_eq(evs[5].role, REPORT_ROLE_CLINICIAN);
	cr_assert_eq(rep.n_alarm_ev, 0);
	cr_assert_eq(rep.n[REPORT_C_GRANTED], 1);
	cr_assert_eq(rep.typed_rows, 6);
	cr_assert_eq(rep.rows, 6);
	/* a filter on the security kind finds the handshake row */
	struct report_filter f = { .kinds = 1u << REPORT_EV_SECURITY };
	cr_assert(report_filter_match(&f, &evs[1]));
	cr_assert_not(report_filter_match(&f, &evs[4]));
	cr_assert_eq(report_kind_parse("refused"), REPORT_EV_REFUSED);
}

Test(report, filter_by_kind_and_time)
{
	build(0);
	struct report_filter f = { .kinds = 1u << REPORT_EV_BOLUS,
	                           .since_ms = D0 + 13 * H, .until_ms = D0 + 34 * H };
	unsigned n = 0;
	for (unsigned i = 0; i < n_ents; i++)
		n += (unsigned)report_filter_match(&f, &evs[i]);
	cr_assert_eq(n, 5, "13:00 granted, 14:00 daily, D1 granted, lockout, ceiling");
	struct report_filter all = { 0 };
	n = 0;
	for (unsigned i = 0; i < n_ents; i++)
		n += (unsigned)report_filter_match(&all, &evs[i]);
	cr_assert_eq(n, n_ents);
	cr_assert_eq(report_kind_parse("refill"), REPORT_EV_REFILL);
	cr_assert_eq(report_kind_parse("nope"), -1);
}

/* ---- the writers ---------------------------------------------------------------- */

static char dir[TMPDIR_MAX];

static int run(const char *cmd)
{
	int st = system(cmd);
	cr_assert_neq(st, -1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

Test(report_writers, csv_round_trips_with_quotes_and_commas)
{
	char path[128], cmd[1024], *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	ctl_rcsv_field(f, "plain", 0);
	ctl_rcsv_field(f, "a, b", 0);
	ctl_rcsv_field(f, "say \"hi\"", 0);
	ctl_rcsv_field(f, "", 1);
	fclose(f);
	cr_assert_str_eq(mem, "plain,\"a, b\",\"say \"\"hi\"\"\",\r\n");
	free(mem);

	build(0);
	tmpdir_make(dir, "ptm-report");
	snprintf(path, sizeof path, "%s/log.csv", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	ctl_rcsv_events_head(f);
	for (unsigned i = 0; i < n_ents; i++)
		ctl_rcsv_event(f, &evs[i]);
	cr_assert_eq(fclose(f), 0);
	/* python's csv module reads every row back: the text column equals
	 * the event's, the kind column its kind */
	snprintf(path, sizeof path, "%s/back.txt", dir);
	snprintf(cmd, sizeof cmd,
	         "python3 -c 'import csv,sys\n"
	         "r=list(csv.reader(open(sys.argv[1],newline=\"\")))\n"
	         "assert r[0][-1]==\"text\" and all(len(x)==9 for x in r)\n"
	         "print(\"\\n\".join(x[3]+\"|\"+x[4]+\"|\"+x[8] for x in r[1:]))' %s/log.csv > %s",
	         dir, path);
	cr_assert_eq(run(cmd), 0);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	char want[256], got[256];
	for (unsigned i = 0; i < n_ents; i++) {
		cr_assert_not_null(fgets(got, sizeof got, f));
		got[strcspn(got, "\n")] = '\0';
		snprintf(want, sizeof want, "%s|%s|%s", report_kind_name(evs[i].kind),
		         report_role_name(evs[i].role), evs[i].data);
		cr_assert_str_eq(got, want);
	}
	fclose(f);

	/* the report's CSV: four columns a row, the counts as the model's */
	snprintf(path, sizeof path, "%s/report.csv", dir);
	f = fopen(path, "w");
	cr_assert_eq(ctl_rcsv_report(f, &rep), 0);
	cr_assert_eq(fclose(f), 0);
	snprintf(cmd, sizeof cmd,
	         "python3 -c 'import csv,sys\n"
	         "r=list(csv.reader(open(sys.argv[1],newline=\"\")))\n"
	         "assert all(len(x)==4 for x in r)\n"
	         "c={x[2]:x[3] for x in r if x[0]==\"counts\"}\n"
	         "assert c==dict(granted=\"2\",lockout=\"1\",daily_count=\"1\",ceiling=\"1\",other=\"1\"),c\n"
	         "d=[x for x in r if x[0]==\"pump\" and x[2]==\"drug\"][0][3]\n"
	         "assert d==\"baclofen <b>&\",d\n"
	         "v={x[2]:x[3] for x in r if x[0]==\"delivered_reached\"}\n"
	         "assert v[\"delivered_ng\"]==\"2000000\" and v[\"reached_ng\"]==\"1250000\" "
	         "and v[\"missed_ng\"]==\"750000\" and v[\"missed_pct\"]==\"37.5\",v' %s", path);
	cr_assert_eq(run(cmd), 0);
	tmpdir_remove(dir);
}

/* write the JSON and HTML reports of rep into dir */
static void write_both(void)
{
	char path[128];
	snprintf(path, sizeof path, "%s/r.json", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	json_t *j = ctl_rjson_report(&rep);
	cr_assert_not_null(j);
	cr_assert_eq(msgjson_print(f, j), 0);
	json_decref(j);
	cr_assert_eq(fclose(f), 0);
	snprintf(path, sizeof path, "%s/r.html", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(ctl_rhtml_report(f, &rep), 0);
	cr_assert_eq(fclose(f), 0);
}

Test(report_writers, html_is_well_formed_and_its_numbers_are_the_json_reports)
{
	char cmd[1024], path[128];
	build(0);
	tmpdir_make(dir, "ptm-report");
	write_both();
	snprintf(cmd, sizeof cmd, "python3 tests/report/check_html.py %s/r.json %s/r.html",
	         dir, dir);
	cr_assert_eq(run(cmd), 0);

	/* the JSON's figures are the model's */
	snprintf(path, sizeof path, "%s/r.json", dir);
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	cr_assert_not_null(j);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "counts"), "granted")), 2);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "pump"), "reservoir_nl")),
	             19000000);
	cr_assert_eq(json_array_size(json_object_get(j, "days")), 2);
	cr_assert_str_eq(json_string_value(json_object_get(j, "since_what")), "refill");
	json_t *dr = json_object_get(j, "delivered_reached");
	cr_assert_eq(json_integer_value(json_object_get(dr, "delivered_ng")), 2000000);
	cr_assert_eq(json_integer_value(json_object_get(dr, "reached_ng")), 1250000);
	cr_assert_eq(json_integer_value(json_object_get(dr, "missed_ng")), 750000);
	cr_assert_eq(json_real_value(json_object_get(dr, "missed_pct")), 37.5);
	cr_assert_str_eq(json_string_value(json_object_get(dr, "from")), "2026-03-03T12:40:00Z");
	json_decref(j);
	/* the scale's top sits inside its picture (no x, y: cut off at its edge) */
	snprintf(cmd, sizeof cmd, "grep -q '<text x=\"2\" y=\"18\" data-k=\"delivery.max_ng\"' "
	         "%s/r.html", dir);
	cr_assert_eq(run(cmd), 0);
	/* the page shows them, each checked above */
	snprintf(cmd, sizeof cmd, "grep -c 'data-k=\"delivered_reached\\.' %s/r.html "
	         ">/dev/null && grep -q 'did not reach the patient' %s/r.html", dir, dir);
	cr_assert_eq(run(cmd), 0);

	/* the checker is not blind: one number changed on the page fails it */
	snprintf(cmd, sizeof cmd,
	         "sed -i 's|data-k=\"counts.granted\" data-u=\"int\">2<|data-k=\"counts.granted\" "
	         "data-u=\"int\">3<|' %s/r.html && grep -q 'counts.granted\" data-u=\"int\">3<' %s/r.html",
	         dir, dir);
	cr_assert_eq(run(cmd), 0);
	snprintf(cmd, sizeof cmd, "python3 tests/report/check_html.py %s/r.json %s/r.html "
	         ">/dev/null", dir, dir);
	cr_assert_eq(run(cmd), 1);
	/* ... and so does a number outside a checked element, or a script */
	write_both();
	snprintf(cmd, sizeof cmd, "sed -i 's|</body>|<p>42 mg</p><script>x</script></body>|' "
	         "%s/r.html && python3 tests/report/check_html.py %s/r.json %s/r.html >/dev/null",
	         dir, dir, dir);
	cr_assert_eq(run(cmd), 1);
	tmpdir_remove(dir);
}

Test(report_writers, html_escapes_text_from_the_pump)
{
	char *mem = NULL;
	size_t len = 0;
	build(0);
	FILE *f = open_memstream(&mem, &len);
	cr_assert_eq(ctl_rhtml_report(f, &rep), 0);
	fclose(f);
	cr_assert(strstr(mem, "baclofen &lt;b&gt;&amp;"), "the drug's name escaped");
	cr_assert_null(strstr(mem, "<b>&"));
	cr_assert_null(strstr(mem, "<script"));
	cr_assert_null(strstr(mem, "http://www.w3.org/1999"), "no outside link");
	free(mem);
}

/* ---- the terminal's pictures ------------------------------------------------------ */

static void ascii_within_80(const struct report_chart *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		cr_assert_leq(strlen(c->line[i]), 80, "%s", c->line[i]);
		for (const char *p = c->line[i]; *p; p++)
			cr_assert(*p >= 0x20 && *p < 0x7f, "%s", c->line[i]);
	}
}

/* draw: the known report's chart by fn in rows rows into c, ASCII within
 * 80 columns, n lines */
static void chart(void (*fn)(const struct report *, unsigned, struct report_chart *),
                  unsigned rows, unsigned n, struct report_chart *c)
{
	build(0);
	fn(&rep, rows, c);
	ascii_within_80(c);
	cr_assert_eq(c->n, n);
}

Test(report_chart, requests_per_day_a_letter_each)
{
	struct report_chart c;
	chart(report_chart_days, 10, 3, &c);
	cr_assert_str_eq(c.line[1], "2026-03-02 GD                                         2");
	cr_assert_str_eq(c.line[2], "2026-03-03 GLCO                                       4");
	report_chart_days(&rep, 1, &c);
	cr_assert_eq(c.n, 2, "the newest day only");
	cr_assert(strncmp(c.line[1], "2026-03-03", 10) == 0);
}

Test(report_chart, drug_per_hour_basal_and_boluses)
{
	struct report_chart c;
	chart(report_chart_hours, 4, 1 + 4 + 2, &c);
	cr_assert_str_eq(c.line[0], "drug per hour, top 0.2 mg/h  (# basal, o boluses)");
	/* the hour of the clinician's 0.1 mg: 0.1 basal + 0.1 bolus = the top */
	unsigned col = 6 + hour_of(D0 + 36 * H);
	cr_assert_eq(c.line[1][col], 'o');
	cr_assert_eq(c.line[2][col], 'o');
	cr_assert_eq(c.line[3][col], '#');
	cr_assert_eq(c.line[4][col], '#');
	/* a basal hour: half the top */
	col = 6 + hour_of(D0 + 20 * H);
	cr_assert_eq(c.line[2][col], ' ');
	cr_assert_eq(c.line[3][col], '#');
	/* before the program: nothing */
	cr_assert_eq(c.line[4][6 + hour_of(D0 + 5 * H)], ' ');
	cr_assert(strstr(c.line[6], "2026-02-28T17:00"), "%s", c.line[6]);
	cr_assert(strstr(c.line[6], "2026-03-03T16:00"), "%s", c.line[6]);
	/* the top is a label, to the nearest mcg */
	memset(rep.basal_ng, 0, sizeof rep.basal_ng);
	memset(rep.bolus_ng, 0, sizeof rep.bolus_ng);
	rep.bolus_ng[3] = 118367;
	report_chart_hours(&rep, 4, &c);
	cr_assert_str_eq(c.line[0], "drug per hour, top 0.118 mg/h  (# basal, o boluses)");
}

Test(report_chart, the_reservoir_and_its_forecast)
{
	struct report_chart c;
	chart(report_chart_reservoir, 5, 1 + 5 + 1, &c);
	/* the refill's 20 mL at the left on the top row, the forecast's 2 mL
	 * at the right on the bottom row (5 rows: 5 mL a row), dots between */
	cr_assert(strncmp(c.line[1], "    20 mL |*", 12) == 0, "%s", c.line[1]);
	cr_assert_eq(c.line[5][11 + 59], 'o', "%s", c.line[5]);
	cr_assert(strchr(c.line[3], '.') || strchr(c.line[4], '.'));
	cr_assert(strncmp(c.line[5], "        0 |", 11) == 0, "%s", c.line[5]);
	cr_assert(strstr(c.line[0], "o refill due"), "the legend names every mark: %s", c.line[0]);
}

Test(report_chart, a_log_whose_times_go_back_stays_inside_the_chart)
{
	struct report_chart c;
	known_log();
	known_status();
	status.state.now_ms = D0 + 10 * H;      /* before the refill the log names */
	status.state.next_refill_ms = D0 + 11 * H;
	report_begin(&rep, &status, 0);
	for (unsigned i = 0; i < n_ents; i++)
		report_add(&rep, &ents[i], NULL);
	report_end(&rep);
	cr_assert_eq(rep.res[0].at_ms, D0 + 12 * H);
	cr_assert_eq(rep.res[2].at_ms, D0 + 10 * H, "now, before the refill");
	report_chart_reservoir(&rep, 5, &c);
	ascii_within_80(&c);
	cr_assert_eq(c.n, 7);
	report_chart_hours(&rep, 4, &c);
	ascii_within_80(&c);
}
