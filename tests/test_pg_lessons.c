/*
 * tests/test_pg_lessons.c — the clinician's lessons check what the trainee
 * does on the programmer: an interrogation read, the charts opened, a
 * refill sent with the syringe's volume and flagged by the pump, the days
 * to the next refill typed, a titration of 10 to 20% confirmed (and not
 * one outside it).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "tests/lib/pgfix.h"
#include "tui/keys.h"
#include "tui/pg_lessons.h"

static struct pg_lessons L;

static void start(void)
{
	pgfix_start(0);
	struct msg_state s = P.st;
	s.next_refill_ms = s.now_ms + 40ull * 86400000 + 3600000;
	s.bolus_dose_ng = 0;
	s.drug[0] = '\0';
	pg_state(&P, &s);
	pg_lessons_init(&L);
}

static int says(const char *text)
{
	struct hh_view v;
	pg_render(&P, &v);
	pg_lessons_render(&L, &P, 0, &v);
	for (int i = 0; i < v.n_lines; i++)
		if (strstr(v.lines[i], text))
			return 1;
	return 0;
}

static void read_report(void)
{
	static struct msg_reply st;
	reply(&st, MSG_STATUS);
	pg_report_begin(&P, &st);
	pg_report_done(&P, 0, 0);
}

Test(pg_lessons, confirm_system_performance)
{
	start();
	cr_assert_eq(pg_lessons_start(&L, 0, &P), 0);
	cr_assert_eq(pg_lessons_check(&L, &P), 0, "an ACK waits for n");
	cr_assert(pg_lessons_key(&L, &P, 'n'));
	cr_assert_eq(L.step, 1);
	read_report();
	cr_assert(pg_lessons_check(&L, &P));
	cr_assert_eq(L.step, 2);
	cr_assert_eq(pg_lessons_check(&L, &P), 0, "the charts not opened yet");
	int cmd;
	pg_key(&P, 'c', &cmd);
	cr_assert(pg_lessons_check(&L, &P));
	cr_assert(pg_lessons_key(&L, &P, 'n'));
	cr_assert(L.done[0]);
	cr_assert(says("Lesson 1 done"));
}

/* a refill sent and answered as the pump would */
static void refill(uint32_t withdrawn, int flagged)
{
	int cmd;
	static struct msg_reply r;
	P.screen = PG_SCR_REFILL;
	P.step = PG_RF_SENT;
	reply(&r, MSG_REFILL);
	r.u.refill.present = 1;
	r.u.refill.withdrawn_nl = withdrawn;
	r.u.refill.expected_nl = 17000000;
	r.u.refill.tolerance_nl = 950000;
	r.u.refill.flags = flagged ? MSG_RF_DISCREPANCY : 0;
	pg_reply(&P, PG_CMD_REFILL, 0, &r);
	(void)cmd;
}

Test(pg_lessons, a_refill_with_a_discrepancy_to_notice)
{
	start();
	pg_lessons_start(&L, 1, &P);
	/* 17 mL expected, 20 mL capacity: 17 - (4 + 1) = 12 mL on the syringe */
	cr_assert_eq(L.withdraw_nl, 12000000);
	cr_assert(says("the syringe shows 12 mL withdrawn"));
	pg_lessons_key(&L, &P, 'n');
	cr_assert(says("Refill: r, withdrawn 12 mL"));
	refill(17000000, 0);                 /* typed what the pump expects */
	pg_lessons_check(&L, &P);
	cr_assert_eq(L.step, 1, "not the syringe's volume: the step stays");
	cr_assert(says("That was not what the syringe shows"));
	L.why[0] = '\0';
	refill(12000000, 1);
	cr_assert(pg_lessons_check(&L, &P));
	cr_assert_eq(L.step, 2);
	cr_assert(says("The pump flagged a DISCREPANCY"));
}

Test(pg_lessons, the_next_refill_interval_typed)
{
	start();
	pg_lessons_start(&L, 2, &P);
	read_report();
	pg_lessons_check(&L, &P);
	cr_assert_eq(L.step, 1);
	cr_assert(pg_lessons_key(&L, &P, '3'));
	cr_assert(pg_lessons_key(&L, &P, '0'));
	cr_assert(pg_lessons_key(&L, &P, KEYS_ENTER));
	cr_assert_eq(L.step, 1, "30 days is wrong: 40 d 1 h");
	cr_assert(says("Not quite"));
	pg_lessons_key(&L, &P, '4');
	pg_lessons_key(&L, &P, '1');
	pg_lessons_key(&L, &P, KEYS_ENTER);
	cr_assert_eq(L.step, 2, "within a day counts");
}

static void programmed(uint32_t rate)
{
	static struct msg_reply r;
	P.screen = PG_SCR_PROGRAM;
	memset(&P.rx, 0, sizeof P.rx);
	P.rx.mode = MSG_MODE_CONTINUOUS;
	P.rx.rate_ng_day = rate;
	P.pstep = PG_PS_SENT;
	P.pbefore = P.st;
	reply(&r, MSG_PROGRAM);
	pg_reply(&P, PG_CMD_PROGRAM, 0, &r);
}

Test(pg_lessons, a_titration_of_10_to_20_percent)
{
	start();
	pg_lessons_start(&L, 3, &P);
	cr_assert(says("The daily dose is 0.4 mg/day"));
	/* where the file to edit comes from: the prescription in force */
	cr_assert(says("The one in force: pumpd rx PUMPDIR > new.rx; edit its rate, then n."));
	pg_lessons_key(&L, &P, 'n');
	programmed(500000);                  /* +25% */
	pg_lessons_check(&L, &P);
	cr_assert_eq(L.step, 1);
	cr_assert(says("That changed the daily dose by 25%"));
	L.why[0] = '\0';
	programmed(460000);                  /* +15% */
	cr_assert(pg_lessons_check(&L, &P));
	cr_assert_eq(L.step, 2);
}

Test(pg_lessons, the_list_and_no_lesson)
{
	struct hh_view v;
	start();
	cr_assert_eq(pg_lessons_start(&L, 9, &P), -1);
	cr_assert_eq(pg_lessons_key(&L, &P, 'n'), 0, "no lesson: n is the programmer's");
	cr_assert_eq(pg_lessons_count(), 5);
	memset(&v, 0, sizeof v);
	pg_lessons_render(&L, &P, 1, &v);
	cr_assert_eq(v.n_lines, 7);
	cr_assert(strstr(v.lines[2], "Refill: notice a discrepancy"));
	for (int i = 0; i < pg_lessons_count(); i++) {
		const struct pg_lessons_lesson *ls = pg_lessons_get(i);
		for (int k = 0; k < ls->n_steps; k++) {
			cr_assert_leq(strlen(ls->steps[k].say), HH_WIDTH, "%s", ls->steps[k].say);
			cr_assert_leq(strlen(ls->steps[k].hint), HH_WIDTH, "%s", ls->steps[k].hint);
		}
	}
}
