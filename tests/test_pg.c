/*
 * tests/test_pg.c — the clinician's programmer's model (tui/pg.c): the
 * guided refill's keys make exactly the REFILL a clinician meant (withdrawn,
 * volume, concentration), typed values are checked before anything is sent,
 * Esc before the review's Enter sends nothing, the pump's check is shown
 * and a due bridge bolus is offered (y sends CBOLUS bridge), a refused
 * refill goes back to the review, and the screens' text fits the device.
 * Programming with a pump that stages (STAGE, CONFIRM, CANCEL) shows the
 * pump's own comparison, asks for a soft limit's reason, and confirms or
 * cancels the session the pump holds; the alarm test sends the alarm
 * picked; volumes read as mL to 2 decimals; refusals in plain words.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/client.h"

#include "tests/lib/pgfix.h"
#include "tui/keys.h"
#include "tui/pg.h"

static void start(void)
{
	setenv("TZ", "UTC", 1);                    /* the dates the screens show */
	tzset();
	pgfix_start(MSG_F_INFUSING | MSG_F_BOLUS_ENABLED);
}

/* the pump's answer to a clinician bolus (cmd): started now */
static void cbolus_started(int cmd, uint8_t kind, uint32_t volume_nl, uint32_t dose_ng,
                           uint32_t duration_ms)
{
	static struct msg_reply r;
	reply(&r, MSG_CBOLUS);
	r.u.cbolus.kind = kind;
	r.u.cbolus.volume_nl = volume_nl;
	r.u.cbolus.dose_ng = dose_ng;
	r.u.cbolus.duration_ms = duration_ms;
	r.u.cbolus.ends_at_ms = P.st.now_ms + duration_ms;
	pg_reply(&P, cmd, 0, &r);
}

/* the test prescription: continuous 0.52 mg/day, a 75 mcg bolus, 1 h lockout */
static struct msg_rx some_rx(void)
{
	struct msg_rx rx;
	memset(&rx, 0, sizeof rx);
	snprintf(rx.drug, sizeof rx.drug, "baclofen");
	rx.concentration_ng_ml = 2000000;
	rx.capacity_nl = 20000000;
	rx.mode = MSG_MODE_CONTINUOUS;
	rx.rate_ng_day = 520000;
	rx.bolus_enabled = 1;
	rx.bolus_dose_ng = 75000;
	rx.lockout_ms = 3600000;
	rx.max_per_24h = 4;
	return rx;
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
	cr_assert(shows("The pump expects 17.00 mL left"));
	cr_assert_eq(type("16.5"), PG_CMD_NONE);
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_NONE);
	cr_assert(shows("Withdrawn  16.50 mL: 0.50 mL less than expected"));
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
	reply(&r, MSG_REFILL);
	r.u.refill.present = 1;
	r.u.refill.withdrawn_nl = 16500000;
	r.u.refill.expected_nl = 17000000;
	r.u.refill.tolerance_nl = 950000;
	r.u.refill.flags = MSG_RF_BRIDGE_DUE;
	r.u.refill.next_refill_ms = 1772409600000ull + 40ull * 86400000;
	pg_reply(&P, PG_CMD_REFILL, 0, &r);
	cr_assert_eq(P.step, PG_RF_RESULT);
	cr_assert(shows("Pump's check: 0.50 mL less than expected, within 0.95 mL: ok"));
	cr_assert(shows("A bridge bolus is due: start it now? y: yes   n: no"));
	fits();
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_NONE, "answer y or n first");
	cr_assert_eq(key('y'), PG_CMD_BRIDGE);
	cr_assert_eq(pg_request(&P, PG_CMD_BRIDGE, &q), 0);
	cr_assert_eq(q.type, MSG_CBOLUS);
	cr_assert_eq(q.u.cbolus.kind, MSG_CBOLUS_BRIDGE);
	cr_assert_eq(q.u.cbolus.dose_ng, 0);

	cbolus_started(PG_CMD_BRIDGE, MSG_CBOLUS_BRIDGE, 458000, 916000, 197856000);
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
	reply(&r, MSG_REFILL);
	r.err = MSG_E_RANGE;
	snprintf(r.detail, sizeof r.detail, "volume_nl");
	pg_reply(&P, PG_CMD_REFILL, 0, &r);
	cr_assert_eq(P.step, PG_RF_REVIEW);
	cr_assert(shows("Refill refused: the volume put in is out of the pump's range"));
	/* a detail the table does not know is shown, escaped (it is the wire's) */
	snprintf(r.detail, sizeof r.detail, "new_field\x1b[2J");
	pg_reply(&P, PG_CMD_REFILL, 0, &r);
	cr_assert_str_eq(P.message, "Refill refused: out of the pump's range: new_field\\x1b[2J");
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
	reply(&st, MSG_STATUS);
	pg_report_begin(&P, &st);
	cr_assert(shows("Reading the log..."));
	pg_report_done(&P, 1, MSG_E_ROLE);
	cr_assert(shows("open the programmer with a clinician's key"));
	cr_assert_not(P.have_report);

	static struct msg_reply lg;
	reply(&lg, MSG_LOG);
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
	{
		/* the counts are one entry: its second line goes with the first */
		struct hh_view v;
		pg_render(&P, &v);
		int i = 0;
		while (i < v.n_lines && !strstr(v.lines[i], "Since the "))
			i++;
		cr_assert(i + 1 < v.n_lines && v.conts[i + 1] &&
		          strcmp(v.lines[i + 1], "           0 ceiling, 0 other refusals") == 0,
		          "%s", v.lines[i + 1]);
	}
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
	struct msg_rx rx = some_rx();
	start();
	rx.mode = MSG_MODE_FLEXIBLE;
	rx.rate_ng_day = 0;
	rx.n_steps = 2;
	rx.steps[0].start_ms = 0;
	rx.steps[0].rate_ng_day = 400000;
	rx.steps[1].start_ms = 18 * 3600000;        /* 18:00 to midnight at 0.8 mg/day */
	rx.steps[1].rate_ng_day = 800000;
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
	cr_assert_eq(pg_program_loaded(&P, &rx), PG_CMD_NONE,
	             "a pump without STAGE: ptm's review first");
	cr_assert(shows("drug a day       0.4 mg/day             0.5 mg/day            <-"));
	cr_assert(shows("patient bolus    50 mcg                 75 mcg                <-"));
	cr_assert(shows("concentration    2 mg/mL                2 mg/mL"));
	fits();
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_PROGRAM, "confirm");
	cr_assert_eq(pg_request(&P, PG_CMD_PROGRAM, &q), 0);
	cr_assert_eq(q.type, MSG_PROGRAM);
	cr_assert_eq(memcmp(&q.u.rx, &rx, sizeof rx), 0, "exactly the file's prescription");

	static struct msg_reply r;
	reply(&r, MSG_PROGRAM);
	r.err = MSG_E_RANGE;
	snprintf(r.detail, sizeof r.detail, "lockout_ms");
	r.state = P.st;
	pg_reply(&P, PG_CMD_PROGRAM, 0, &r);
	cr_assert_eq(P.pstep, 1, "refused: the review again");
	cr_assert(shows("Programming refused: the lockout is out of the pump's range"));
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
	cr_assert(shows("Duration   20 min"));
	cr_assert(shows("Volume     0.25 mL at 2 mg/mL"), "what it takes from the reservoir");
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_CBOLUS);
	cr_assert_eq(pg_request(&P, PG_CMD_CBOLUS, &q), 0);
	cr_assert_eq(q.type, MSG_CBOLUS);
	cr_assert_eq(q.u.cbolus.kind, MSG_CBOLUS_SINGLE);
	cr_assert_eq(q.u.cbolus.dose_ng, 500000);
	cr_assert_eq(q.u.cbolus.duration_ms, 1200000);
	cr_assert_eq(q.u.cbolus.rate_nl_h, 0, "the fields its kind does not use are 0");
	static struct msg_reply r;
	reply(&r, MSG_CBOLUS);
	r.err = MSG_E_STATE;
	snprintf(r.detail, sizeof r.detail, "bolus running");
	pg_reply(&P, PG_CMD_CBOLUS, 0, &r);
	cr_assert(shows("Clinician bolus refused: a bolus is running; try when it ends"));
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
	cbolus_started(PG_CMD_CBOLUS, MSG_CBOLUS_PRIME, 198000, 396000, 712800);
	cr_assert(shows("Started: 0.396 mg (0.198 mL) over"));
	cr_assert(shows(", ends 00:11"), "a bolus of minutes ends at a time, not a date");
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

/* the HELLO reply of a pump with the features given */
static void hello(uint32_t features)
{
	static struct msg_reply r;
	reply(&r, MSG_HELLO);
	r.u.hello.protocol = MSG_PROTOCOL;
	r.u.hello.features = features;
	pg_hello(&P, 0, &r);
}

/* a state whose extension says session id is pending (0: none) */
static void pending(uint32_t id)
{
	struct msg_state s = P.st;
	s.has_ext = 1;
	s.ext.flags = id ? MSG_SX_PENDING : 0;
	s.ext.stage_id = id;
	s.ext.staged_ms = id ? s.now_ms - 60000 : 0;
	pg_state(&P, &s);
}

/* a pump that stages, the program screen with the file's path typed */
static void start_staging(void)
{
	start();
	hello(MSG_FEAT_STAGE | MSG_FEAT_DRUGLIB);
	key('p');
	type("rx.txt");
}

Test(pg, a_pump_that_stages_compares_itself_then_confirm)
{
	struct msg_request q;
	static struct msg_reply r;
	struct msg_rx rx = some_rx();
	start_staging();
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_LOAD);
	cr_assert_eq(pg_program_loaded(&P, &rx), PG_CMD_PROGRAM, "read: staged at once");
	cr_assert_eq(pg_request(&P, PG_CMD_PROGRAM, &q), 0);
	cr_assert_eq(q.type, MSG_STAGE, "a pump that stages gets STAGE, not PROGRAM");
	cr_assert_eq(memcmp(&q.u.rx, &rx, sizeof rx), 0);
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_NONE, "on the wire");

	/* the pump's numbers, not ptm's (its daily dose differs from the file's
	 * rate on purpose: the screen must show the pump's) */
	reply(&r, MSG_STAGE);
	pending(3);
	r.state = P.st;
	r.u.stage.stage_id = 3;
	r.u.stage.flags = MSG_ST_NO_LIB;
	r.u.stage.daily_ng[0] = 400000;
	r.u.stage.daily_ng[1] = 530000;
	r.u.stage.bolus_dose_ng[0] = 50000;
	r.u.stage.bolus_dose_ng[1] = 75000;
	r.u.stage.lockout_ms[0] = r.u.stage.lockout_ms[1] = 3600000;
	r.u.stage.max_per_24h[0] = 4;
	r.u.stage.max_per_24h[1] = 4;
	r.u.stage.ceiling_ng_24h[1] = 1000000;
	pg_reply(&P, PG_CMD_PROGRAM, 0, &r);
	cr_assert_eq(P.pstep, PG_PS_PENDING);
	cr_assert(shows("Staged as session 3: nothing changes until you confirm"));
	cr_assert(shows("session 3        current                pending (the pump's)"));
	cr_assert(shows("drug a day       0.4 mg/day             0.53 mg/day           <-"));
	cr_assert(shows("ceiling in 24 h  none                   1 mg                  <-"));
	cr_assert(shows("lockout          1 h                    1 h"));
	cr_assert(shows("boluses in 24 h  4                      4"));
	cr_assert_not(shows("CUTS IT SHORT"), "no bolus runs");
	cr_assert(shows("not in the drug library"));
	cr_assert(shows("drug             baclofen               baclofen"));
	fits();
	cr_assert_eq(key('i'), PG_CMD_NONE, "no other key while pending is shown");
	/* a bolus running (a bridge after a refill): the pump stops to take
	 * the program, which ends the bolus; the clinician is told first */
	struct msg_state bs = P.st;
	bs.flags |= MSG_F_BOLUS_RUNNING;
	bs.bolus_ends_ms = PGFIX_NOW + 2 * 86400000ull + 5 * 3600000ull;
	pg_state(&P, &bs);
	cr_assert(shows("A bolus runs until 05:00 on Wed 4 Mar 2026: confirming CUTS IT SHORT"));
	fits();
	bs.flags &= (uint8_t)~MSG_F_BOLUS_RUNNING;
	bs.bolus_ends_ms = 0;
	pg_state(&P, &bs);

	cr_assert_eq(key(KEYS_ENTER), PG_CMD_CONFIRM);
	cr_assert_eq(pg_request(&P, PG_CMD_CONFIRM, &q), 0);
	cr_assert_eq(q.type, MSG_STAGE_CONFIRM);
	cr_assert_eq(q.u.stage_id, 3);
	reply(&r, MSG_STAGE_CONFIRM);
	r.err = MSG_E_STATE;
	snprintf(r.detail, sizeof r.detail, "bolus running");
	r.state = P.st;
	pg_reply(&P, PG_CMD_CONFIRM, 0, &r);
	cr_assert_eq(P.pstep, PG_PS_PENDING, "refused: still pending, confirm again");
	cr_assert(shows("Confirm refused: a bolus is running; try when it ends"));
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_CONFIRM);
	r.err = MSG_OK;
	r.detail[0] = '\0';
	pending(0);
	r.state = P.st;
	pg_reply(&P, PG_CMD_CONFIRM, 0, &r);
	cr_assert_eq(P.pstep, PG_PS_DONE);
	cr_assert_eq(P.programs, 1);
	cr_assert(shows("Programmed: the new prescription is in force"));
	cr_assert(shows("session 3        before                 now"));
	cr_assert(shows("drug a day       0.4 mg/day             0.53 mg/day           <-"));
	fits();
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_STATUS);
}

Test(pg, a_soft_limit_asks_the_reason_then_cancel)
{
	struct msg_request q;
	static struct msg_reply r;
	struct msg_rx rx = some_rx();
	start_staging();
	key(KEYS_ENTER);
	pg_program_loaded(&P, &rx);
	/* a hard limit: refused, no reason asked; the file's path again */
	reply(&r, MSG_STAGE);
	r.err = MSG_E_HARD_LIMIT;
	snprintf(r.detail, sizeof r.detail, "concentration_ng_ml: hard limit 2000000 ng/mL");
	pg_reply(&P, PG_CMD_PROGRAM, 0, &r);
	cr_assert_eq(P.pstep, PG_PS_PATH);
	cr_assert_str_eq(P.message, "Programming refused: concentration over the hard limit "
	                 "of 2 mg/mL");
	cr_assert_leq(strlen(P.message), HH_WIDTH);
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_LOAD);
	cr_assert_eq(pg_program_loaded(&P, &rx), PG_CMD_PROGRAM);
	reply(&r, MSG_STAGE);
	r.err = MSG_E_SOFT_LIMIT;
	snprintf(r.detail, sizeof r.detail, "daily_ng: soft limit 10000000 ng");
	r.state = P.st;
	pg_reply(&P, PG_CMD_PROGRAM, 0, &r);
	cr_assert_eq(P.pstep, PG_PS_REASON);
	cr_assert(shows("Drug library: daily dose over the soft limit of 10 mg"));
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_NONE, "a reason is needed");
	cr_assert(shows("Type the reason for passing the soft limit"));
	type("titration, Dr Ames");
	fits();
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_PROGRAM);
	cr_assert_eq(pg_request(&P, PG_CMD_PROGRAM, &q), 0);
	cr_assert_eq(q.type, MSG_STAGE);
	cr_assert_str_eq(q.u.rx.override, "titration, Dr Ames");

	reply(&r, MSG_STAGE);
	pending(4);
	r.state = P.st;
	r.u.stage.stage_id = 4;
	r.u.stage.flags = MSG_ST_OVERRIDE;
	pg_reply(&P, PG_CMD_PROGRAM, 0, &r);
	cr_assert(shows("Past a soft limit, overridden: titration, Dr Ames"));
	cr_assert_eq(key('x'), PG_CMD_CANCEL);
	cr_assert_eq(pg_request(&P, PG_CMD_CANCEL, &q), 0);
	cr_assert_eq(q.type, MSG_STAGE_CANCEL);
	cr_assert_eq(q.u.stage_id, 4);
	reply(&r, MSG_STAGE_CANCEL);
	pending(0);
	r.state = P.st;
	pg_reply(&P, PG_CMD_CANCEL, 0, &r);
	cr_assert_eq(P.screen, PG_SCR_HOME);
	cr_assert(shows("Cancelled: the pump keeps its prescription"));
	cr_assert_eq(P.programs, 0);
}

/* a session the pump holds, staged elsewhere or before a restart of ptm:
 * the interrogation says so and p offers confirm or cancel */
Test(pg, a_pending_session_from_the_pump_is_shown_and_confirmable)
{
	struct msg_request q;
	start();
	hello(MSG_FEAT_STAGE);
	cr_assert_not(shows("PROGRAMMING PENDING"));
	pending(7);
	cr_assert(shows("PROGRAMMING PENDING (session 7, staged "));
	fits();
	key('p');
	cr_assert_eq(P.pstep, PG_PS_PENDING);
	cr_assert(shows("Session 7 was staged at"));
	fits();
	cr_assert_eq(key('f'), PG_CMD_NONE);
	cr_assert_eq(P.pstep, PG_PS_PATH, "f: a file staged instead");
	key(KEYS_ESC);
	key('p');
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_CONFIRM);
	pg_request(&P, PG_CMD_CONFIRM, &q);
	cr_assert_eq(q.u.stage_id, 7);
	P.pstep = PG_PS_PENDING;
	pending(0);                            /* confirmed elsewhere */
	cr_assert(shows("No programming session is pending now"));
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_NONE, "nothing to confirm");
	cr_assert_eq(key(KEYS_ESC), PG_CMD_NONE);
	cr_assert_eq(P.screen, PG_SCR_HOME);
}

Test(pg, the_alarm_test_sends_the_alarm_picked)
{
	struct msg_request q;
	static struct msg_reply r;
	start();
	hello(MSG_FEAT_STAGE);
	key('a');
	cr_assert_eq(P.screen, PG_SCR_HOME);
	cr_assert(shows("This pump has no alarm test"));
	hello(MSG_FEAT_ALARMTEST);
	key('a');
	cr_assert_eq(P.screen, PG_SCR_ATEST);
	cr_assert(shows("3: Pump battery empty (high)"));
	cr_assert(shows("1: Low reservoir (medium)"));
	fits();
	cr_assert_eq(key('8'), PG_CMD_NONE, "no alarm 8");
	cr_assert_eq(key('3'), PG_CMD_ALARMTEST);
	cr_assert(shows("Sent: alarm test Pump battery empty"));
	cr_assert_eq(pg_request(&P, PG_CMD_ALARMTEST, &q), 0);
	cr_assert_eq(q.type, MSG_ALARMTEST);
	cr_assert_eq(q.u.alarm, MSG_ALARM_EOS);
	reply(&r, MSG_ALARMTEST);
	pg_reply(&P, PG_CMD_ALARMTEST, 0, &r);
	cr_assert(shows("Alarm test: Pump battery empty sent to every remote connected now"));
	r.err = MSG_E_ROLE;
	pg_reply(&P, PG_CMD_ALARMTEST, 0, &r);
	cr_assert(shows("Alarm test refused: this remote's key may not do that"));
	pg_reply(&P, PG_CMD_ALARMTEST, CLIENT_E_LINK, NULL);
	cr_assert(shows("Alarm test: incomplete communication"));
}

/* volumes as a clinician reads them: mL to 2 decimals, never fuller than
 * the reservoir is; the refill check exact where 2 decimals would hide a
 * discrepancy */
Test(pg, volumes_read_in_ml_to_two_decimals)
{
	static struct msg_reply r;
	start();
	struct msg_state s = P.st;
	s.reservoir_nl = 19999038;
	pg_state(&P, &s);
	cr_assert(shows("Reservoir  19.99 mL of 20.00 mL"));
	cr_assert_not(shows("19.999038"));
	key('r');
	type("16.05");
	key(KEYS_ENTER);
	type("20");
	key(KEYS_ENTER);
	type("2");
	key(KEYS_ENTER);
	key(KEYS_ENTER);
	reply(&r, MSG_REFILL);
	r.u.refill.present = 1;
	r.u.refill.expected_nl = 17000000;
	r.u.refill.tolerance_nl = 949999;
	r.u.refill.flags = MSG_RF_DISCREPANCY;
	pg_reply(&P, PG_CMD_REFILL, 0, &r);
	/* 0.95 against 0.949999: exact where 2 decimals would look equal */
	cr_assert(shows("Pump's check: 0.95 mL less than expected, beyond 0.949999 mL: "
	                "DISCREPANCY"));
}

/* a pump that checks a refill's new concentration against the drug
 * library: past the soft limit it asks the reason, sent with the refill */
Test(pg, a_refills_soft_limit_asks_the_reason)
{
	struct msg_request q;
	static struct msg_reply r;
	start();
	hello(MSG_FEAT_REFILL_CHECK | MSG_FEAT_DRUGLIB | MSG_FEAT_REFILL_LIB);
	key('r');
	type("17");
	key(KEYS_ENTER);
	type("20");
	key(KEYS_ENTER);
	type("3");
	key(KEYS_ENTER);
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_REFILL);
	pg_request(&P, PG_CMD_REFILL, &q);
	cr_assert_str_eq(q.u.refill.override, "", "no reason before the pump asks");
	reply(&r, MSG_REFILL);
	r.err = MSG_E_SOFT_LIMIT;
	snprintf(r.detail, sizeof r.detail, "concentration_ng_ml: soft limit 2000000 ng/mL");
	pg_reply(&P, PG_CMD_REFILL, 0, &r);
	cr_assert_eq(P.step, PG_RF_REASON);
	cr_assert(shows("Drug library: concentration over the soft limit of 2 mg/mL"));
	fits();
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_NONE, "a reason is needed");
	type("higher dose, Dr Ames");
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_REFILL);
	pg_request(&P, PG_CMD_REFILL, &q);
	cr_assert_eq(q.type, MSG_REFILL);
	cr_assert_eq(q.u.refill.concentration_ng_ml, 3000000);
	cr_assert_str_eq(q.u.refill.override, "higher dose, Dr Ames");
	/* refused again: Esc cancels, nothing changed */
	pg_reply(&P, PG_CMD_REFILL, 0, &r);
	cr_assert_eq(key(KEYS_ESC), PG_CMD_NONE);
	cr_assert(shows("Refill cancelled: nothing was changed"));
	/* a pump without the check never gets an override */
	hello(MSG_FEAT_REFILL_CHECK);
	key('r');
	cr_assert_str_eq(P.rf_reason, "");
	snprintf(P.rf_reason, sizeof P.rf_reason, "x");
	pg_request(&P, PG_CMD_REFILL, &q);
	cr_assert_str_eq(q.u.refill.override, "");
}

/* the interrogation of a pump with STATUS's delivery block: one LOG page */
static void interrogated(const struct msg_delivery *d, const char *const *rows, int n)
{
	static struct msg_reply st, lg;
	reply(&st, MSG_STATUS);
	st.has_dlv = d != NULL;
	if (d)
		st.dlv = *d;
	pg_report_begin(&P, &st);
	reply(&lg, MSG_LOG);
	for (int i = 0; i < n; i++) {
		lg.u.log.e[i].seq = (uint64_t)i + 1;
		lg.u.log.e[i].at_ms = PGFIX_NOW - 86400000ull + (uint64_t)i * 3600000ull;
		snprintf(lg.u.log.e[i].text, sizeof lg.u.log.e[i].text, "%s", rows[i]);
	}
	lg.u.log.n = (uint8_t)n;
	pg_report_page(&P, &lg);
	pg_report_done(&P, 0, 0);
}

/* an occlusion: what the pump drew against what reached the patient, from
 * the occlusion's row on (PROTOCOL.md 8.14), only when they differ */
Test(pg, the_interrogation_shows_drug_that_did_not_reach_the_patient)
{
	static const char *const rows[] = {
		"pump: pump initialised",
		"demo-tester: fault occlusion 25% reaches the patient: injected; "
		"drawn 2 mg, reached 2 mg",
	};
	struct msg_delivery d = { .delivered_ng = 6000000, .reached_ng = 3000000,
	                          .reach_pct = 25 };
	start();
	interrogated(&d, rows, 2);
	cr_assert(shows("Delivered  4.00 mg, reached the patient 1.00 mg (25%): UNDER-DELIVERY"));
	cr_assert(shows("since the occlusion on Sun 1 Mar; 25% reaches now (emulator)"));
	fits();
	/* no occlusion: nothing to say */
	d.reached_ng = d.delivered_ng;
	d.reach_pct = 100;
	interrogated(&d, rows, 1);
	cr_assert_not(shows("UNDER-DELIVERY"));
	/* the occlusion has ended, the drug it kept from the patient stays */
	d.reached_ng = 5999000;
	interrogated(&d, rows, 1);
	cr_assert(shows("Delivered  6.00 mg, reached the patient 6.00 mg (99%): UNDER-DELIVERY"));
	cr_assert(shows("since the pump's start (emulator)"));
	/* a pump without the block */
	interrogated(NULL, rows, 2);
	cr_assert_not(shows("Delivered"));
}

/* the refill's numbers add up on the screen: what the pump expects, what
 * was withdrawn and their difference, each to 0.01 mL (not 0.396642 mL
 * beside 19.50 and 19.90); an unknown limit's detail is still shown */
Test(pg, the_refills_difference_reads_to_two_decimals)
{
	static struct msg_reply r;
	start();
	struct msg_state s = P.st;
	s.reservoir_nl = 19503358;
	pg_state(&P, &s);
	key('r');
	type("19.9");
	key(KEYS_ENTER);
	cr_assert(shows("The pump expects 19.50 mL left"));
	cr_assert(shows("Withdrawn  19.90 mL: 0.40 mL more than expected"));
	cr_assert_not(shows("0.396"));
	type("20");
	key(KEYS_ENTER);
	type("2");
	key(KEYS_ENTER);
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_REFILL);
	reply(&r, MSG_REFILL);
	r.u.refill.present = 1;
	r.u.refill.expected_nl = 19503358;
	r.u.refill.tolerance_nl = 574496;
	pg_reply(&P, PG_CMD_REFILL, 0, &r);
	cr_assert(shows("Pump's check: 0.40 mL more than expected, within 0.57 mL: ok"));
	fits();
	/* a limit's detail this programmer does not know: as the pump said it */
	start();
	key('r');
	type("19.9");
	key(KEYS_ENTER);
	type("20");
	key(KEYS_ENTER);
	type("4");
	key(KEYS_ENTER);
	key(KEYS_ENTER);
	reply(&r, MSG_REFILL);
	r.err = MSG_E_HARD_LIMIT;
	snprintf(r.detail, sizeof r.detail, "volume_nl: hard limit 1 nL");
	pg_reply(&P, PG_CMD_REFILL, 0, &r);
	cr_assert(strstr(P.message, "volume_nl: hard limit 1 nL"), "%s", P.message);
	r.err = MSG_E_HARD_LIMIT;
	snprintf(r.detail, sizeof r.detail, "concentration_ng_ml: hard limit 2000000 ng/mL");
	key(KEYS_ENTER);
	pg_reply(&P, PG_CMD_REFILL, 0, &r);
	cr_assert_str_eq(P.message, "Refill refused: concentration over the hard limit of 2 mg/mL");
}

/* a running bolus (a bridge runs for days) shows on the interrogation */
Test(pg, the_interrogation_shows_a_running_bolus)
{
	start();
	cr_assert_not(shows("a bolus runs until"));
	struct msg_state s = P.st;
	s.flags |= MSG_F_BOLUS_RUNNING;
	s.bolus_ends_ms = PGFIX_NOW + 2 * 86400000ull + 5 * 3600000ull + 40 * 60000ull;
	pg_state(&P, &s);
	cr_assert(shows("           a bolus runs until 05:40 on Wed 4 Mar 2026"));
	fits();
}

/* the charts' time in the pump's local time, as the frame shows it */
Test(pg, the_charts_say_their_hours_in_local_time)
{
	static const char *const rows[] = { "pump: pump initialised" };
	start();
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	interrogated(NULL, rows, 1);
	key('c');
	cr_assert(shows("the last 68 hours, an hour a column, to Mon 2 Mar 01:00"));
	cr_assert_not(shows("UTC"));
	/* the log starts inside the chart: the basal before it is not known
	 * (a blank there is not a stopped pump) */
	cr_assert(shows("basal known from Sun 1 Mar 01:00 (last program or log start)"));
	static const char *const prog[] = { "pump: pump initialised",
	                                    "doc: confirm stage 2: in force" };
	interrogated(NULL, prog, 2);
	key('c');
	cr_assert(shows("basal known from Sun 1 Mar 02:00 (last program or log start)"));
	fits();
}

/* text longer than the screen goes on in a line of its own, indented,
 * never cut off (the help's p line lost "x cancel" at 74 columns, an
 * override's reason its end) */
Test(pg, long_lines_wrap_never_cut)
{
	static struct msg_reply r;
	struct msg_rx rx = some_rx();
	start();
	key('?');
	cr_assert(shows("Enter confirms, x cancels"));
	key('b');
	start_staging();
	key(KEYS_ENTER);
	snprintf(rx.override, sizeof rx.override, "%s",
	         "titration agreed with the patient and Dr Ames: see visit notes");
	pg_program_loaded(&P, &rx);
	snprintf(P.rx.override, sizeof P.rx.override, "%s", rx.override); /* as typed */
	reply(&r, MSG_STAGE);
	pending(4);
	r.state = P.st;
	r.u.stage.stage_id = 4;
	r.u.stage.flags = MSG_ST_OVERRIDE;
	pg_reply(&P, PG_CMD_PROGRAM, 0, &r);
	struct hh_view v;
	pg_render(&P, &v);
	int at = -1;
	for (int i = 0; i < v.n_lines; i++)
		if (strstr(v.lines[i], "Past a soft limit, overridden: titration agreed"))
			at = i;
	cr_assert_geq(at, 0);
	cr_assert(at + 1 < v.n_lines);
	cr_assert(strncmp(v.lines[at + 1], "           ", 11) == 0 &&
	          strstr(v.lines[at + 1], "see visit notes"), "went on: %s", v.lines[at + 1]);
	cr_assert(!v.conts[at] && v.conts[at + 1], "one entry: the view drops it whole");
	fits();
}

/* a clinician's dose typed with its unit, as baclofen's are written */
Test(pg, a_single_bolus_dose_in_mcg)
{
	struct msg_request q;
	start();
	key('o');
	key('1');
	cr_assert(shows("The dose (mg, or with its unit: 50mcg):"));
	type("50mcg");
	key(KEYS_ENTER);
	type("10");
	key(KEYS_ENTER);
	cr_assert(shows("Dose       50 mcg"));
	cr_assert(shows("Volume     0.025 mL at 2 mg/mL"));
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_CBOLUS);
	cr_assert_eq(pg_request(&P, PG_CMD_CBOLUS, &q), 0);
	cr_assert_eq(q.u.cbolus.dose_ng, 50000);
	fits();
}

/* a refusal longer than the message row goes on in the body, whole */
Test(pg, a_long_refusal_is_shown_whole)
{
	static struct msg_reply r;
	start();
	key('o');
	key('3');
	cr_assert_eq(key(KEYS_ENTER), PG_CMD_CBOLUS);
	reply(&r, MSG_CBOLUS);
	r.err = MSG_E_STATE;
	snprintf(r.detail, sizeof r.detail, "no bridge due");
	pg_reply(&P, PG_CMD_CBOLUS, 0, &r);
	struct hh_view v;
	pg_render(&P, &v);
	cr_assert_leq(strlen(v.message), HH_WIDTH);
	cr_assert(strstr(v.message, "Clinician bolus refused: no bridge bolus is due"), "%s",
	          v.message);
	cr_assert(shows("change)"), "the end of the sentence is on the screen");
	cr_assert_eq(v.ranks[0], HH_RANK_KEY);
}
