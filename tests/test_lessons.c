/*
 * tests/test_lessons.c — the training lessons follow what the trainee does.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui/hh.h"
#include "tui/keys.h"
#include "tui/lessons.h"

#define MIN 60000u
#define T0 1715691600000ull

static struct msg_state st(int reason, uint64_t next)
{
	struct msg_state s;
	memset(&s, 0, sizeof s);
	s.now_ms = T0;
	s.flags = MSG_F_BOLUS_ENABLED | MSG_F_SIMULATED | MSG_F_INFUSING;
	s.bolus_dose_ng = 500000;
	s.bolus_duration_ms = 10 * MIN;
	s.lockout_ms = 30 * MIN;
	s.max_per_24h = 4;
	s.next_bolus_reason = (uint8_t)reason;
	s.next_bolus_ms = next;
	s.clock_speed = 1;            /* the simulated clock at real time */
	return s;
}

static void reply(hh *h, int outcome, uint64_t now)
{
	struct msg_reply r;
	memset(&r, 0, sizeof r);
	r.req_type = MSG_BOLUS;
	r.state = st(MSG_OUT_LOCKOUT, T0 + 30 * MIN);
	r.u.bolus.outcome = (uint8_t)outcome;
	r.u.bolus.dose_ng = 500000;
	r.u.bolus.at_ms = T0 + 10 * MIN;
	r.u.bolus.wait_ms = 10 * MIN;
	hh_bolus_reply(h, 0, &r, now);
}

Test(lessons, table_is_complete)
{
	cr_assert_eq(lessons_count(), 5);
	cr_expect_str_eq(lessons_get(0)->title, "Your first dose");
	cr_expect_str_eq(lessons_get(4)->title, "Refill reminders");
	cr_expect_null(lessons_get(5));
	cr_expect_null(lessons_get(-1));
	for (int i = 0; i < lessons_count(); i++) {
		const struct lessons_lesson *l = lessons_get(i);
		cr_expect_gt(l->n_steps, 1);
		for (int j = 0; j < l->n_steps; j++) {
			cr_expect_not_null(l->steps[j].say);
			cr_expect_not_null(l->steps[j].hint);
			cr_expect_lt(strlen(l->steps[j].say), 2 * HH_TEXT, "fits two lines");
		}
	}
}

Test(lessons, first_dose_follows_the_trainee)
{
	hh *h = hh_new();
	lessons *l = lessons_new();
	int act;
	hh_link(h, HH_LINK_UP, 0);
	struct msg_state s = st(MSG_OUT_LOCKOUT, T0 + 5 * MIN);
	hh_state(h, &s, 0);

	cr_expect_eq(lessons_start(l, 0, h, 0), LESSONS_DO_NONE);
	cr_expect_eq(lessons_current(l), 0);
	cr_expect_eq(lessons_step(l), 0);
	cr_expect_eq(lessons_check(l, h, 0, &act), 0, "an ACK step waits for n");
	cr_expect_eq(lessons_ack(l, h, 0, &act), 1);
	cr_expect_eq(lessons_step(l), 1);
	/* step 1: wait until a dose is available; not yet */
	cr_expect_eq(lessons_check(l, h, 0, &act), 0);
	cr_expect_eq(lessons_ack(l, h, 0, &act), 0, "n does not skip a real step");
	/* five minutes later it is */
	cr_expect_eq(lessons_check(l, h, 5 * MIN, &act), 1);
	cr_expect_eq(lessons_step(l), 2);
	/* a lockout answer does not complete "press the DOSE button" */
	cr_assert_eq(hh_bolus_press(h, 5 * MIN), 1);
	reply(h, MSG_OUT_LOCKOUT, 5 * MIN);
	cr_expect_eq(lessons_check(l, h, 5 * MIN, &act), 0);
	cr_assert_eq(hh_bolus_press(h, 5 * MIN), 1);
	reply(h, MSG_OUT_GRANTED, 5 * MIN);
	cr_expect_eq(lessons_check(l, h, 5 * MIN, &act), 1);
	cr_expect_eq(lessons_step(l), 3);
	cr_expect_not(lessons_finished(l));
	cr_expect_eq(lessons_ack(l, h, 5 * MIN, &act), 1);
	cr_expect(lessons_finished(l));
	lessons_free(l);
	hh_free(h);
}

Test(lessons, an_old_outcome_does_not_count)
{
	hh *h = hh_new();
	lessons *l = lessons_new();
	int act;
	hh_link(h, HH_LINK_UP, 0);
	struct msg_state s = st(MSG_OUT_GRANTED, T0);
	hh_state(h, &s, 0);
	cr_assert_eq(hh_bolus_press(h, 0), 1);
	reply(h, MSG_OUT_LOCKOUT, 0);          /* before the lesson */
	lessons_start(l, 1, h, 0);
	lessons_ack(l, h, 0, &act);
	cr_expect_eq(lessons_step(l), 1, "waits for a new 'too soon'");
	cr_assert_eq(hh_bolus_press(h, 0), 1);
	reply(h, MSG_OUT_LOCKOUT, 0);
	cr_expect_eq(lessons_check(l, h, 0, &act), 1);
	cr_expect_eq(lessons_step(l), 2);
	lessons_free(l);
	hh_free(h);
}

Test(lessons, alarm_lesson_asks_for_a_low_reservoir_then_a_silence)
{
	hh *h = hh_new();
	lessons *l = lessons_new();
	int act;
	hh_link(h, HH_LINK_UP, 0);
	struct msg_state s = st(MSG_OUT_GRANTED, T0);
	hh_state(h, &s, 0);
	lessons_start(l, 3, h, 0);
	cr_expect_eq(lessons_ack(l, h, 0, &act), 1);
	cr_expect_eq(act, LESSONS_DO_LOW_RESERVOIR, "the caller makes the alarm");
	cr_expect_eq(lessons_step(l), 1);
	s.n_alarms = 1;
	s.alarms[0].id = MSG_ALARM_LOW_RESERVOIR;
	s.alarms[0].priority = MSG_PRIO_MEDIUM;
	hh_state(h, &s, 0);
	cr_expect_eq(lessons_check(l, h, 0, &act), 1);
	cr_expect_eq(lessons_step(l), 2);
	/* press a: through the key table */
	struct keys_ctx c = { .h = h, .ls = l, .now = 0 };
	cr_expect_eq(keys_dispatch(&c, 'a'), KEYS_R_DRAW);
	cr_expect_eq(lessons_check(l, h, 0, &act), 1);
	cr_expect_eq(lessons_step(l), 3);
	keys_dispatch(&c, 'm');
	cr_expect_eq(c.cmd, KEYS_CMD_SILENCE);
	cr_expect_eq(lessons_check(l, h, 0, &act), 1, "muted at once");
	cr_expect_eq(lessons_step(l), 4);
	lessons_free(l);
	hh_free(h);
}

Test(lessons, keys_start_skip_and_leave)
{
	hh *h = hh_new();
	lessons *l = lessons_new();
	struct keys_ctx c = { .h = h, .ls = l, .now = 0 };
	cr_expect_eq(keys_dispatch(&c, 'l'), KEYS_R_DRAW);
	cr_expect_eq(hh_screen(h), HH_SCR_LESSONS);
	keys_dispatch(&c, '5');
	cr_expect_eq(lessons_current(l), 4);
	cr_expect_eq(hh_screen(h), HH_SCR_HOME);
	keys_dispatch(&c, 'f');
	cr_expect_eq(c.cmd, KEYS_CMD_NONE, "no tester key: no time skip");
	c.tester = 1;
	keys_dispatch(&c, 'f');
	cr_expect_eq(c.cmd, KEYS_CMD_SKIP);
	keys_dispatch(&c, 'x');
	cr_expect_eq(lessons_current(l), -1);
	cr_expect_eq(keys_dispatch(&c, '9'), KEYS_R_NONE, "no lesson 9");
	lessons_free(l);
	hh_free(h);
}

Test(keys, bolus_keys_and_quit)
{
	hh *h = hh_new();
	struct keys_ctx c = { .h = h, .now = 0 };
	hh_link(h, HH_LINK_UP, 0);
	keys_dispatch(&c, ' ');
	cr_expect_eq(c.cmd, KEYS_CMD_BOLUS);
	hh_bolus_reply(h, -1001, NULL, 0);
	keys_dispatch(&c, KEYS_ENTER);
	cr_expect_eq(c.cmd, KEYS_CMD_BOLUS);
	hh_bolus_reply(h, -1001, NULL, 0);
	keys_dispatch(&c, KEYS_CLICK_BOLUS);
	cr_expect_eq(c.cmd, KEYS_CMD_BOLUS);
	keys_dispatch(&c, ' ');
	cr_expect_eq(c.cmd, KEYS_CMD_NONE, "a request is already pending");
	keys_dispatch(&c, '?');
	cr_expect_eq(hh_screen(h), HH_SCR_HELP);
	keys_dispatch(&c, '?');
	cr_expect_eq(hh_screen(h), HH_SCR_HOME);
	keys_dispatch(&c, 'h');
	cr_expect_eq(c.cmd, KEYS_CMD_HISTORY);
	cr_expect_eq(keys_dispatch(&c, 'q'), KEYS_R_NONE);
	cr_expect_eq(c.cmd, KEYS_CMD_QUIT);
	cr_expect_eq(keys_dispatch(&c, 'l'), KEYS_R_NONE, "no lessons outside training");
	cr_expect_eq(keys_dispatch(&c, 'z'), KEYS_R_NONE);
	hh_free(h);
}
