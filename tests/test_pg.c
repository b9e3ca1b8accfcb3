/*
 * tests/test_pg.c — the clinician's programmer's model (tui/pg.c): the
 * guided refill's keys make exactly the REFILL a clinician meant (withdrawn,
 * volume, concentration), typed values are checked before anything is sent,
 * Esc before the review's Enter sends nothing, the pump's check is shown
 * and a due bridge bolus is offered (y sends CBOLUS bridge), a refused
 * refill goes back to the review, and the screens' text fits the device.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "net/client.h"

#include "tui/keys.h"
#include "tui/pg.h"

static struct pg P;

static void start(void)
{
	pg_init(&P);
	pg_link(&P, HH_LINK_UP);
	struct msg_state s;
	memset(&s, 0, sizeof s);
	s.now_ms = 1772409600000ull;
	s.mode = MSG_MODE_CONTINUOUS;
	s.flags = MSG_F_INFUSING | MSG_F_BOLUS_ENABLED;
	s.reservoir_nl = 17000000;
	s.capacity_nl = 20000000;
	s.concentration_ng_ml = 2000000;
	s.basal_ng_day = 400000;
	s.bolus_dose_ng = 50000;
	snprintf(s.drug, sizeof s.drug, "baclofen");
	pg_state(&P, &s);
}

/* type a string, key by key; the last key's command */
static int type(const char *s)
{
	int cmd = PG_CMD_NONE;
	for (; *s; s++)
		pg_key(&P, (unsigned char)*s, &cmd);
	return cmd;
}

static int key(int k)
{
	int cmd;
	pg_key(&P, k, &cmd);
	return cmd;
}

static int shows(const char *text)
{
	struct hh_view v;
	pg_render(&P, &v);
	for (int i = 0; i < v.n_lines; i++)
		if (strstr(v.lines[i], text))
			return 1;
	return strstr(v.message, text) || strstr(v.headline, text);
}

static void fits(void)
{
	struct hh_view v;
	pg_render(&P, &v);
	for (int i = 0; i < v.n_lines; i++)
		cr_assert_leq(strlen(v.lines[i]), HH_WIDTH, "%s", v.lines[i]);
}

Test(pg, a_refill_with_a_new_concentration_and_its_bridge)
{
	struct msg_request q;
	start();
	cr_assert_eq(key('r'), PG_CMD_NONE);
	cr_assert_eq(P.screen, PG_SCR_REFILL);
	cr_assert(shows("The pump expects 17 mL left"));
	cr_assert_eq(type("16.5"), PG_CMD_NONE);
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_NONE);
	cr_assert(shows("Withdrawn  16.5 mL: 0.5 mL less than expected"));
	type("20mL");
	key(KEYS_ENTER);
	type("4");                           /* a bare number: mg/mL */
	key(KEYS_ENTER);
	cr_assert_eq(P.step, PG_RF_REVIEW);
	cr_assert(shows("2 mg/mL now, 4 mg/mL after: THE CONCENTRATION CHANGES"));
	fits();
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_REFILL, "the review's Enter sends it");
	cr_assert_eq(pg_request(&P, PG_CMD_REFILL, &q), 0);
	cr_assert_eq(q.type, MSG_REFILL);
	cr_assert_eq(q.u.refill.volume_nl, 20000000);
	cr_assert_eq(q.u.refill.concentration_ng_ml, 4000000);
	cr_assert(q.u.refill.has_withdrawn);
	cr_assert_eq(q.u.refill.withdrawn_nl, 16500000);
	cr_assert_eq(key(KEYS_ESC), PG_CMD_NONE, "on the wire: Esc waits for the pump");
	cr_assert_eq(P.screen, PG_SCR_REFILL);

	static struct msg_reply r;
	memset(&r, 0, sizeof r);
	r.req_type = MSG_REFILL;
	r.state = P.st;
	r.u.refill.present = 1;
	r.u.refill.withdrawn_nl = 16500000;
	r.u.refill.expected_nl = 17000000;
	r.u.refill.tolerance_nl = 950000;
	r.u.refill.flags = MSG_RF_BRIDGE_DUE;
	r.u.refill.next_refill_ms = 1772409600000ull + 40ull * 86400000;
	pg_reply(&P, PG_CMD_REFILL, 0, &r);
	cr_assert_eq(P.step, PG_RF_RESULT);
	cr_assert(shows("Pump's check: expected 17 mL +- 0.95 mL: ok"));
	cr_assert(shows("A bridge bolus is due: start it now? y: yes   n: no"));
	fits();
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_NONE, "answer y or n first");
	cr_assert_eq(key('y'), PG_CMD_BRIDGE);
	cr_assert_eq(pg_request(&P, PG_CMD_BRIDGE, &q), 0);
	cr_assert_eq(q.type, MSG_CBOLUS);
	cr_assert_eq(q.u.cbolus.kind, MSG_CBOLUS_BRIDGE);
	cr_assert_eq(q.u.cbolus.dose_ng, 0);

	memset(&r, 0, sizeof r);
	r.req_type = MSG_CBOLUS;
	r.state = P.st;
	r.u.cbolus.kind = MSG_CBOLUS_BRIDGE;
	r.u.cbolus.volume_nl = 458000;
	r.u.cbolus.dose_ng = 916000;
	r.u.cbolus.duration_ms = 197856000;
	r.u.cbolus.ends_at_ms = 1772409600000ull + 197856000;
	pg_reply(&P, PG_CMD_BRIDGE, 0, &r);
	cr_assert_eq(P.step, PG_RF_DONE);
	cr_assert(shows("Bridge: 0.916 mg (0.458 mL)"));
	fits();
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_STATUS, "back home, interrogated again");
	cr_assert_eq(P.screen, PG_SCR_HOME);
}

Test(pg, typed_values_are_checked_and_esc_sends_nothing)
{
	start();
	key('r');
	type("lots");
	key(KEYS_ENTER);
	cr_assert_eq(P.step, PG_RF_WITHDRAWN);
	cr_assert(shows("Type the volume you withdrew"));
	for (int i = 0; i < 4; i++)
		key(KEYS_BACKSPACE);
	type("21");                          /* more than the reservoir holds */
	key(KEYS_ENTER);
	cr_assert_eq(P.step, PG_RF_WITHDRAWN);
	key(KEYS_BACKSPACE);
	key(KEYS_BACKSPACE);
	type("0");
	key(KEYS_ENTER);
	cr_assert_eq(P.step, PG_RF_VOLUME, "0 withdrawn is a value");
	type("0");
	key(KEYS_ENTER);
	cr_assert_eq(P.step, PG_RF_VOLUME, "a refill of nothing is refused");
	key(KEYS_BACKSPACE);
	type("10");
	key(KEYS_ENTER);
	type("0");
	key(KEYS_ENTER);
	cr_assert_eq(P.step, PG_RF_CONC, "no drug at 0 mg/mL");
	key(KEYS_BACKSPACE);
	type("500mcg/mL");
	key(KEYS_ENTER);
	cr_assert_eq(P.step, PG_RF_REVIEW);
	cr_assert_eq(P.conc_ng_ml, 500000);
	cr_assert_eq(key(KEYS_ESC), PG_CMD_NONE, "cancelled at the review: nothing sent");
	cr_assert_eq(P.screen, PG_SCR_HOME);
	cr_assert(shows("Refill cancelled: nothing was sent"));
}

Test(pg, a_refused_refill_goes_back_to_the_review)
{
	start();
	key('r');
	type("17");
	key(KEYS_ENTER);
	type("20");
	key(KEYS_ENTER);
	type("2");
	key(KEYS_ENTER);
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_REFILL);
	static struct msg_reply r;
	memset(&r, 0, sizeof r);
	r.req_type = MSG_REFILL;
	r.err = MSG_E_RANGE;
	snprintf(r.detail, sizeof r.detail, "volume_nl");
	pg_reply(&P, PG_CMD_REFILL, 0, &r);
	cr_assert_eq(P.step, PG_RF_REVIEW);
	cr_assert(shows("Refill refused by the pump: range volume_nl"));
	pg_reply(&P, PG_CMD_REFILL, CLIENT_E_TIMEOUT, NULL);
	cr_assert(shows("incomplete communication"));
	cr_assert(shows("2 mg/mL now, 2 mg/mL after (unchanged)"));
}

Test(pg, no_refill_without_the_pump_and_the_interrogation)
{
	start();
	pg_link(&P, HH_LINK_DOWN);
	key('r');
	cr_assert_eq(P.screen, PG_SCR_HOME);
	cr_assert(shows("Not connected to the pump: no refill now"));
	pg_link(&P, HH_LINK_UP);
	cr_assert_eq(key('i'), PG_CMD_STATUS);
	cr_assert_eq(key('q'), PG_CMD_QUIT);

	/* the interrogation: a patient's key may not read the log */
	static struct msg_reply st;
	memset(&st, 0, sizeof st);
	st.req_type = MSG_STATUS;
	st.state = P.st;
	pg_report_begin(&P, &st);
	cr_assert(shows("Reading the log..."));
	pg_report_done(&P, 1, MSG_E_ROLE);
	cr_assert(shows("open the programmer with a clinician's key"));
	cr_assert_not(P.have_report);

	static struct msg_reply lg;
	memset(&lg, 0, sizeof lg);
	lg.req_type = MSG_LOG;
	lg.u.log.n = 2;
	lg.u.log.e[0].seq = 1;
	lg.u.log.e[0].at_ms = P.st.now_ms - 3600000;
	snprintf(lg.u.log.e[0].text, sizeof lg.u.log.e[0].text, "pump: paired pat as patient");
	lg.u.log.e[1].seq = 2;
	lg.u.log.e[1].at_ms = P.st.now_ms - 60000;
	snprintf(lg.u.log.e[1].text, sizeof lg.u.log.e[1].text,
	         "pat: bolus refused: lockout, next allowed in 20 min");
	pg_report_begin(&P, &st);
	pg_report_page(&P, &lg);
	pg_report_done(&P, 0, 0);
	cr_assert(P.have_report);
	cr_assert(shows("0 granted, 1 lockout, 0 daily"));
	fits();
	key('c');
	cr_assert(shows("drug per hour"));
	cr_assert(shows("requests per day"));
	fits();
}

Test(pg, program_current_beside_pending_then_confirm)
{
	struct msg_request q;
	struct pg_change c;
	struct msg_rx rx;
	start();
	memset(&rx, 0, sizeof rx);
	snprintf(rx.drug, sizeof rx.drug, "baclofen");
	rx.concentration_ng_ml = 2000000;
	rx.capacity_nl = 20000000;
	rx.mode = MSG_MODE_FLEXIBLE;
	rx.n_steps = 2;
	rx.steps[0].start_ms = 0;
	rx.steps[0].rate_ng_day = 400000;
	rx.steps[1].start_ms = 18 * 3600000;        /* 18:00 to midnight at 0.8 mg/day */
	rx.steps[1].rate_ng_day = 800000;
	rx.bolus_enabled = 1;
	rx.bolus_dose_ng = 75000;
	rx.lockout_ms = 3600000;
	rx.max_per_24h = 4;
	/* the schedule's drug in a day: 18 h at 0.4 + 6 h at 0.8 = 0.5 mg */
	pg_compare(&P.st, &rx, &c);
	cr_assert_eq(c.daily_ng[0], 400000);
	cr_assert_eq(c.daily_ng[1], 500000);
	cr_assert_eq(c.bolus_dose_ng[1], 75000);
	cr_assert_eq(c.mode[1], MSG_MODE_FLEXIBLE);

	cr_assert_eq(key('p'), PG_CMD_NONE);
	cr_assert_eq(P.screen, PG_SCR_PROGRAM);
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_NONE, "no path yet");
	cr_assert(shows("Type the prescription file's path"));
	type("rx.txt");
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_LOAD);
	cr_assert_str_eq(P.rx_path, "rx.txt");
	pg_program_error(&P, "the file:3: unknown key 'rte'");
	cr_assert(shows("unknown key 'rte'"));
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_LOAD);
	pg_program_loaded(&P, &rx);
	cr_assert(shows("drug a day       0.4 mg/day             0.5 mg/day            <-"));
	cr_assert(shows("patient bolus    50 mcg                 75 mcg                <-"));
	cr_assert(shows("concentration    2 mg/mL                2 mg/mL"));
	fits();
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_PROGRAM, "confirm");
	cr_assert_eq(pg_request(&P, PG_CMD_PROGRAM, &q), 0);
	cr_assert_eq(q.type, MSG_PROGRAM);
	cr_assert_eq(memcmp(&q.u.rx, &rx, sizeof rx), 0, "exactly the file's prescription");

	static struct msg_reply r;
	memset(&r, 0, sizeof r);
	r.req_type = MSG_PROGRAM;
	r.err = MSG_E_RANGE;
	snprintf(r.detail, sizeof r.detail, "lockout_ms");
	r.state = P.st;
	pg_reply(&P, PG_CMD_PROGRAM, 0, &r);
	cr_assert_eq(P.pstep, 1, "refused: the review again");
	cr_assert(shows("Programming refused by the pump: range lockout_ms"));
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_PROGRAM);
	r.err = MSG_OK;
	r.detail[0] = '\0';
	r.state.basal_ng_day = 400000;
	pg_reply(&P, PG_CMD_PROGRAM, 0, &r);
	cr_assert(shows("Programmed: the new prescription is in force"));
	cr_assert(shows("before"));
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_STATUS);

	/* Esc at the review: nothing sent */
	key('p');
	cr_assert_str_eq(P.in, "rx.txt", "the last file offered again");
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_LOAD);
	pg_program_loaded(&P, &rx);
	cr_assert_eq(key(KEYS_ESC), PG_CMD_NONE);
	cr_assert(shows("Programming cancelled: the pump keeps its prescription"));
}

Test(pg, clinician_boluses_single_and_prime)
{
	struct msg_request q;
	start();
	key('o');
	cr_assert_eq(P.screen, PG_SCR_CBOLUS);
	cr_assert(shows("1: single"));
	key('1');
	type("0.5");
	key(KEYS_ENTER);
	type("30s");                          /* under a minute */
	key(KEYS_ENTER);
	cr_assert(shows("Type the duration, 1 min to 7 days"));
	key(KEYS_BACKSPACE);
	key(KEYS_BACKSPACE);
	key(KEYS_BACKSPACE);
	type("20");                           /* bare: minutes */
	key(KEYS_ENTER);
	cr_assert(shows("Dose       0.5 mg"));
	cr_assert(shows("Duration   20m"));
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_CBOLUS);
	cr_assert_eq(pg_request(&P, PG_CMD_CBOLUS, &q), 0);
	cr_assert_eq(q.type, MSG_CBOLUS);
	cr_assert_eq(q.u.cbolus.kind, MSG_CBOLUS_SINGLE);
	cr_assert_eq(q.u.cbolus.dose_ng, 500000);
	cr_assert_eq(q.u.cbolus.duration_ms, 1200000);
	cr_assert_eq(q.u.cbolus.rate_nl_h, 0, "the fields its kind does not use are 0");
	static struct msg_reply r;
	memset(&r, 0, sizeof r);
	r.req_type = MSG_CBOLUS;
	r.state = P.st;
	r.err = MSG_E_STATE;
	snprintf(r.detail, sizeof r.detail, "bolus running");
	pg_reply(&P, PG_CMD_CBOLUS, 0, &r);
	cr_assert(shows("Clinician bolus refused by the pump: state bolus running"));
	cr_assert_eq(key(KEYS_ESC), PG_CMD_NONE);
	cr_assert_eq(P.screen, PG_SCR_HOME);

	key('o');
	key('2');
	type("20mL/h");                       /* above 10 mL/h */
	key(KEYS_ENTER);
	cr_assert(shows("Type the priming rate"));
	for (int i = 0; i < 6; i++)
		key(KEYS_BACKSPACE);
	type("1mL/h");
	key(KEYS_ENTER);
	cr_assert(shows("Rate       1 mL/h"));
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_CBOLUS);
	cr_assert_eq(pg_request(&P, PG_CMD_CBOLUS, &q), 0);
	cr_assert_eq(q.u.cbolus.kind, MSG_CBOLUS_PRIME);
	cr_assert_eq(q.u.cbolus.rate_nl_h, 1000000);
	cr_assert_eq(q.u.cbolus.dose_ng, 0);
	memset(&r, 0, sizeof r);
	r.req_type = MSG_CBOLUS;
	r.state = P.st;
	r.u.cbolus.kind = MSG_CBOLUS_PRIME;
	r.u.cbolus.volume_nl = 198000;
	r.u.cbolus.dose_ng = 396000;
	r.u.cbolus.duration_ms = 712800;
	r.u.cbolus.ends_at_ms = P.st.now_ms + 712800;
	pg_reply(&P, PG_CMD_CBOLUS, 0, &r);
	cr_assert(shows("Started: 0.396 mg (0.198 mL) over"));
	fits();
}

/* The interrogation names the battery's two dates as the patient's remote
 * does: "replace by" is the end of service, never the replacement
 * indicator's date (a clinician told the earlier date would book the
 * replacement months early, or the later one too late). */
Test(pg, the_battery_line_says_eri_and_the_end_of_service_apart)
{
	start();
	struct msg_state s = P.st;
	s.eri_ms = 1772409600000ull;               /* 2026-03-02 */
	s.eos_ms = 1772409600000ull + 90ull * 86400000ull;   /* 2026-05-31 */
	pg_state(&P, &s);
	cr_assert(shows("Battery    ERI Mon 2 Mar 2026, replace by Sun 31 May 2026"));
	fits();
}
