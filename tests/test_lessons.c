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

/* A remote and a lessons player of no lesson yet. */
static lessons *untrained(hh **h)
{
	*h = hh_new();
	lessons *l = lessons_new();
	cr_assert(*h && l);
	return l;
}

static void done(lessons *l, hh *h)
{
	lessons_free(l);
	hh_free(h);
}

/* The lesson, checked at now, is done with its step and at step want. */
static void moves_to(lessons *l, hh *h, uint64_t now, int *act, int want)
{
	cr_expect_eq(lessons_check(l, h, now, act), 1);
	cr_expect_eq(lessons_step(l), want);
}

/* The dose button pressed at now, the pump's answer outcome. */
static void press(hh *h, int outcome, uint64_t now)
{
	cr_assert_eq(hh_bolus_press(h, now), 1);
	reply(h, outcome, now);
}

/* a remote linked to a pump in state s (at 0) and a trainer for it
 * (tester: it may act on the pump) */
static lessons *trainee(hh **h, const struct msg_state *s, int tester)
{
	*h = hh_new();
	cr_assert_not_null(*h);
	lessons *l = lessons_new();
	cr_assert_not_null(l);
	if (tester)
		lessons_set_tester(l, 1);
	hh_link(*h, HH_LINK_UP, 0);
	hh_state(*h, s, 0);
	return l;
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

/* verifies: SR-UI-005 */
Test(lessons, first_dose_follows_the_trainee)
{
	struct msg_state s = st(MSG_OUT_LOCKOUT, T0 + 5 * MIN);
	hh *h;
	lessons *l = trainee(&h, &s, 0);
	int act;

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
	moves_to(l, h, 5 * MIN, &act, 2);
	/* a lockout answer does not complete "press the DOSE button" */
	press(h, MSG_OUT_LOCKOUT, 5 * MIN);
	cr_expect_eq(lessons_check(l, h, 5 * MIN, &act), 0);
	press(h, MSG_OUT_GRANTED, 5 * MIN);
	moves_to(l, h, 5 * MIN, &act, 3);
	cr_expect_not(lessons_finished(l));
	cr_expect_eq(lessons_ack(l, h, 5 * MIN, &act), 1);
	cr_expect(lessons_finished(l));
	done(l, h);
}

Test(lessons, an_old_outcome_does_not_count)
{
	struct msg_state s = st(MSG_OUT_GRANTED, T0);
	hh *h;
	lessons *l = trainee(&h, &s, 0);
	int act;
	press(h, MSG_OUT_LOCKOUT, 0);          /* before the lesson */
	lessons_start(l, 1, h, 0);
	lessons_ack(l, h, 0, &act);
	cr_expect_eq(lessons_step(l), 1, "too soon now: waits for a dose first");
	hh_state(h, &s, 0);
	cr_expect_eq(lessons_check(l, h, 0, &act), 1);
	cr_expect_eq(lessons_step(l), 2, "the old 'too soon' does not count");
	press(h, MSG_OUT_LOCKOUT, 0);
	moves_to(l, h, 0, &act, 3);
	done(l, h);
}

/* verifies: SR-UI-005 */
Test(lessons, alarm_lesson_asks_for_a_low_reservoir_then_a_silence)
{
	struct msg_state s = st(MSG_OUT_GRANTED, T0);
	hh *h;
	lessons *l = trainee(&h, &s, 1);    /* lesson 4 acts on the pump */
	int act;
	lessons_start(l, 3, h, 0);
	cr_expect_eq(lessons_ack(l, h, 0, &act), 1);
	cr_expect_eq(act, LESSONS_DO_LOW_RESERVOIR, "the caller makes the alarm");
	cr_expect_eq(lessons_step(l), 1);
	s.n_alarms = 1;
	s.alarms[0].id = MSG_ALARM_LOW_RESERVOIR;
	s.alarms[0].priority = MSG_PRIO_MEDIUM;
	hh_state(h, &s, 0);
	moves_to(l, h, 0, &act, 2);
	/* press a: through the key table */
	struct keys_ctx c = { .h = h, .ls = l, .now = 0 };
	cr_expect_eq(keys_dispatch(&c, 'a'), KEYS_R_DRAW);
	moves_to(l, h, 0, &act, 3);
	keys_dispatch(&c, 'm');
	cr_expect_eq(c.cmd, KEYS_CMD_SILENCE);
	cr_expect_eq(lessons_check(l, h, 0, &act), 1, "muted at once");
	cr_expect_eq(lessons_step(l), 4);
	done(l, h);
}

Test(lessons, keys_start_skip_and_leave)
{
	hh *h;
	lessons *l = untrained(&h);
	struct keys_ctx c = { .h = h, .ls = l, .now = 0 };
	cr_expect_eq(keys_dispatch(&c, 'l'), KEYS_R_DRAW);
	cr_expect_eq(hh_screen(h), HH_SCR_LESSONS);
	/* lesson 5 acts on the pump: without a tester key it says so */
	keys_dispatch(&c, '5');
	cr_expect_eq(lessons_current(l), -1);
	struct hh_view v0;
	hh_render(h, 0, &v0);
	cr_expect_str_eq(v0.message, "Lesson 5 acts on the pump: it needs ptm --tester-key FILE");
	keys_dispatch(&c, '3');
	cr_expect_eq(lessons_current(l), 2);
	cr_expect_eq(hh_screen(h), HH_SCR_HOME);
	keys_dispatch(&c, 'f');
	cr_expect_eq(c.cmd, KEYS_CMD_NONE, "no tester key: no time skip");
	c.tester = 1;
	keys_dispatch(&c, 'f');
	cr_expect_eq(c.cmd, KEYS_CMD_SKIP);
	keys_dispatch(&c, 'x');
	cr_expect_eq(lessons_current(l), -1);
	keys_dispatch(&c, '9');
	cr_expect_eq(lessons_current(l), -1, "no lesson 9");
	struct hh_view v;
	hh_render(h, 0, &v);
	cr_expect_str_eq(v.message, "The 9 key does nothing here: press ? for the keys");
	done(l, h);
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
	/* a key that does nothing says so, and where the keys are */
	struct hh_view v;
	cr_expect_eq(keys_dispatch(&c, 'l'), KEYS_R_DRAW, "no lessons outside training");
	cr_expect_eq(c.cmd, KEYS_CMD_NONE);
	hh_render(h, 0, &v);
	cr_expect_str_eq(v.message, "The l key does nothing here: press ? for the keys");
	int screen = hh_screen(h);
	cr_expect_eq(keys_dispatch(&c, 'z'), KEYS_R_DRAW);
	hh_render(h, 0, &v);
	cr_expect_str_eq(v.message, "The z key does nothing here: press ? for the keys");
	cr_expect_eq(hh_screen(h), screen, "and changes nothing else");
	cr_expect_eq(c.cmd, KEYS_CMD_NONE);
	keys_dispatch(&c, '\t');
	hh_render(h, 0, &v);
	cr_expect_str_eq(v.message, "That key does nothing here: press ? for the keys");
	hh_free(h);
}

/* where the lesson panel writes: say in two lines, hint in one, of the
 * width the view gives them (HH_WIDTH less the panel's indent) */
#define PANEL_W (HH_WIDTH - 2)

static int wrapped_lines(const char *s, int w)
{
	int used = 0;
	while (*s) {
		hh_fmt_wrap(s, (size_t)w, &s);   /* as the view wraps it */
		used++;
	}
	return used;
}

Test(lessons, every_text_fits_the_panel)
{
	for (int i = 0; i < lessons_count(); i++) {
		const struct lessons_lesson *l = lessons_get(i);
		for (int j = 0; j < l->n_steps; j++) {
			cr_expect_leq(wrapped_lines(l->steps[j].say, PANEL_W), 2,
			              "lesson %d step %d: %s", i + 1, j + 1, l->steps[j].say);
			cr_expect_leq((int)strlen(l->steps[j].hint), PANEL_W,
			              "lesson %d step %d hint: %s", i + 1, j + 1, l->steps[j].hint);
		}
	}
}

/* A step that waits for n stays on screen while the trainee skips time or
 * waits: it may not say that a light is on (the "Dose started" light goes
 * off when the dose ends, "Too soon" when the wait is over). */
Test(lessons, a_waiting_text_never_claims_a_light_that_went_out)
{
	struct msg_state s = st(MSG_OUT_GRANTED, T0);
	hh *h;
	lessons *l = trainee(&h, &s, 0);
	int act;
	/* lesson 1 to its last step, lesson 2 to "the pump said too soon" */
	lessons_start(l, 0, h, 0);
	lessons_ack(l, h, 0, &act);
	press(h, MSG_OUT_GRANTED, 0);
	lessons_check(l, h, 0, &act);
	cr_assert_eq(lessons_step(l), 3);
	/* 40 minutes later (f): the dose ended, its light is off */
	struct msg_state later = st(MSG_OUT_GRANTED, T0 + 30 * MIN);
	later.now_ms = T0 + 40 * MIN;
	hh_state(h, &later, 1);
	cr_assert_eq(hh_light(h, HH_LIGHT_DOSE, 1), 0);
	const char *say = lessons_get(0)->steps[lessons_step(l)].say;
	cr_expect_null(strstr(say, "light is on"), "lesson 1 says: %s", say);

	hh_state(h, &s, 2);
	lessons_start(l, 1, h, 2);
	lessons_ack(l, h, 2, &act);
	press(h, MSG_OUT_LOCKOUT, 2);
	lessons_check(l, h, 2, &act);
	cr_assert_eq(lessons_get(1)->steps[lessons_step(l)].cond, LESSONS_ACK);
	hh_state(h, &later, 3);
	cr_assert_eq(hh_light(h, HH_LIGHT_LOCKOUT, 3), 0);
	say = lessons_get(1)->steps[lessons_step(l)].say;
	cr_expect_null(strstr(say, "light is on"), "lesson 2 says: %s", say);
	done(l, h);
}

/* After the daily limit the pump answers a press with "Daily limit
 * reached", never "Too soon": lesson 2 first waits for a dose to be
 * available (f skips to it), so its press step can be done. */
Test(lessons, too_soon_lesson_after_the_daily_limit)
{
	struct msg_state s = st(MSG_OUT_DAILY_COUNT, T0 + 5 * 60 * MIN);
	s.boluses_24h = 4;
	hh *h;
	lessons *l = trainee(&h, &s, 0);
	int act;
	lessons_start(l, 1, h, 0);
	lessons_ack(l, h, 0, &act);
	const struct lessons_step *step = &lessons_get(1)->steps[lessons_step(l)];
	cr_expect_eq(step->cond, LESSONS_AVAILABLE, "waits for a dose first: %s", step->say);
	cr_expect(strstr(step->hint, "press f") != NULL, "and says how to skip: %s", step->hint);
	/* the skip: a dose is available; a grant, then too soon */
	s = st(MSG_OUT_GRANTED, T0);
	hh_state(h, &s, 1);
	cr_expect_eq(lessons_check(l, h, 1, &act), 1);
	press(h, MSG_OUT_GRANTED, 1);
	lessons_check(l, h, 1, &act);
	press(h, MSG_OUT_RUNNING, 1);
	cr_expect_eq(lessons_check(l, h, 1, &act), 1);
	cr_expect_eq(lessons_get(1)->steps[lessons_step(l)].cond, LESSONS_ACK);
	cr_expect_eq(lessons_step(l), 3, "the pump said too soon");
	done(l, h);
}

/* The last allowed dose of the 24 h: the pump refuses the next press while
 * it runs as "running" (and a time skip would jump past the limit), so the
 * step ends on the pump's own count; it never ends before the last dose. */
/* verifies: SR-UI-005 */
Test(lessons, daily_limit_lesson_ends_on_the_last_allowed_dose)
{
	struct msg_state s = st(MSG_OUT_GRANTED, T0);
	s.boluses_24h = 2;
	hh *h;
	lessons *l = trainee(&h, &s, 0);
	int act;
	lessons_start(l, 2, h, 0);
	lessons_ack(l, h, 0, &act);
	cr_assert_eq(lessons_step(l), 1);
	/* the third of four: not yet */
	s = st(MSG_OUT_RUNNING, T0 + 30 * MIN);
	s.boluses_24h = 3;
	s.flags |= MSG_F_BOLUS_RUNNING;
	hh_state(h, &s, 1);
	cr_expect_eq(lessons_check(l, h, 1, &act), 0);
	press(h, MSG_OUT_RUNNING, 1);
	cr_expect_eq(lessons_check(l, h, 1, &act), 0, "too soon is not the limit");
	/* the fourth: the pump's count is full; a press says "running" */
	s = st(MSG_OUT_RUNNING, T0 + 20 * 60 * MIN);
	s.boluses_24h = 4;
	s.flags |= MSG_F_BOLUS_RUNNING;
	hh_state(h, &s, 2);
	moves_to(l, h, 2, &act, 2);
	cr_expect_eq(lessons_get(2)->steps[2].cond, LESSONS_ACK);
	/* started with the limit already reached: done at once */
	lessons_start(l, 2, h, 3);
	lessons_ack(l, h, 3, &act);
	cr_expect_eq(lessons_step(l), 2);
	/* a daily count answer also ends it */
	s = st(MSG_OUT_GRANTED, T0);
	hh_state(h, &s, 4);
	lessons_start(l, 2, h, 4);
	lessons_ack(l, h, 4, &act);
	cr_assert_eq(lessons_step(l), 1);
	press(h, MSG_OUT_DAILY_COUNT, 4);   /* its state: lockout, count 0 */
	moves_to(l, h, 4, &act, 2);
	done(l, h);
}

/* The refill lesson ends with a refill done for the trainee (the low
 * reservoir alarm of lesson 4 would otherwise stay for good): the step
 * asks the caller to refill, and ends only when the pump's state is full
 * with no low reservoir alarm. */
Test(lessons, refill_lesson_refills_and_waits_for_the_pump)
{
	struct msg_state s = st(MSG_OUT_GRANTED, T0);
	s.capacity_nl = 20000000;
	s.reservoir_nl = 1800000;
	s.n_alarms = 1;
	s.alarms[0].id = MSG_ALARM_LOW_RESERVOIR;
	s.alarms[0].priority = MSG_PRIO_MEDIUM;
	hh *h;
	lessons *l = trainee(&h, &s, 1);    /* lesson 5 acts on the pump */
	int act;
	lessons_start(l, 4, h, 0);
	struct keys_ctx c = { .h = h, .ls = l, .now = 0 };
	keys_dispatch(&c, 'n');
	keys_dispatch(&c, 's');
	lessons_check(l, h, 0, &act);
	cr_assert_eq(lessons_step(l), 2);
	keys_dispatch(&c, 'n');
	cr_expect_eq(c.cmd, KEYS_CMD_NONE);
	keys_dispatch(&c, 'n');
	cr_expect_eq(c.cmd, KEYS_CMD_LESSON);
	cr_expect_eq(c.arg, LESSONS_DO_REFILL, "the caller refills");
	cr_expect_eq(lessons_step(l), 4);
	cr_expect_eq(lessons_check(l, h, 0, &act), 0, "not before the pump says so");
	/* n cannot skip it, and says so */
	cr_expect_eq(keys_dispatch(&c, 'n'), KEYS_R_DRAW);
	cr_expect_eq(lessons_step(l), 4);
	struct hh_view v;
	hh_render(h, 0, &v);
	cr_expect_str_eq(v.message, "n cannot skip this step: do what the lesson says (x leaves it)");
	/* full but the alarm not yet gone: not yet */
	s.reservoir_nl = 20000000;
	hh_state(h, &s, 1);
	cr_expect_eq(lessons_check(l, h, 1, &act), 0);
	s.n_alarms = 0;
	s.reservoir_nl = 19800000;         /* 1 % drained since: still full */
	hh_state(h, &s, 2);
	moves_to(l, h, 2, &act, 5);
	done(l, h);
}

/* issue 14, item 9: step numbers count the steps shown (no jump from 1 to
 * 3); a finished lesson is marked; lessons that act on the pump say they
 * need a tester key; no text denies a dose the light shows */
Test(lessons, step_numbers_never_jump)
{
	struct msg_state s = st(MSG_OUT_GRANTED, T0);   /* a dose is available */
	hh *h;
	lessons *l = trainee(&h, &s, 0);
	int act, num, total;
	cr_assert_geq(lessons_start(l, 1, h, 0), 0);
	lessons_check(l, h, 0, &act);
	lessons_step_number(l, &num, &total);
	cr_expect_eq(num, 1);
	cr_expect_eq(total, 6);
	/* n: "wait for a dose" is done already, and was never shown */
	lessons_ack(l, h, 0, &act);
	lessons_check(l, h, 0, &act);
	cr_assert_eq(lessons_step(l), 2);
	lessons_step_number(l, &num, &total);
	cr_expect_eq(num, 2, "the next number shown is 2");
	cr_expect_eq(total, 5);
	/* the press: granted, then too soon while it runs */
	press(h, MSG_OUT_GRANTED, 0);
	press(h, MSG_OUT_RUNNING, 0);
	struct msg_state running = st(MSG_OUT_LOCKOUT, T0 + 30 * MIN);
	running.flags |= MSG_F_BOLUS_RUNNING;
	running.bolus_ends_ms = T0 + 10 * MIN;
	hh_state(h, &running, 0);
	lessons_check(l, h, 0, &act);
	cr_assert_eq(lessons_step(l), 3);
	lessons_step_number(l, &num, &total);
	cr_expect_eq(num, 3);
	cr_expect_eq(total, 5);
	/* the dose light is on: the text may not say no dose was given */
	cr_assert_eq(hh_light(h, HH_LIGHT_DOSE, 0), 1);
	const char *say = lessons_get(1)->steps[lessons_step(l)].say;
	cr_expect_null(strstr(say, "No dose was given"), "%s", say);
	/* a step shown, then done: counted */
	lessons_ack(l, h, 0, &act);
	lessons_check(l, h, 0, &act);       /* the frame after the key: drawn */
	struct msg_state later = st(MSG_OUT_GRANTED, T0 + 30 * MIN);
	later.now_ms = T0 + 31 * MIN;
	hh_state(h, &later, 1);
	lessons_check(l, h, 1, &act);
	lessons_step_number(l, &num, &total);
	cr_expect_eq(num, 5);
	cr_expect_eq(total, 5);
	cr_expect_eq(lessons_done(l, 1), 0);
	lessons_ack(l, h, 1, &act);
	cr_expect(lessons_finished(l));
	cr_expect_eq(lessons_done(l, 1), 1, "finished lessons are marked");
	char b[HH_TEXT];
	lessons_list_line(l, 1, b, sizeof b);
	cr_expect_str_eq(b, "2  done  Why \"too soon\": the lockout between doses");
	lessons_list_line(l, 0, b, sizeof b);
	cr_expect_str_eq(b, "1        Your first dose: ask the pump for a dose and read its answer");
	for (int i = 0; i < lessons_count(); i++) {
		lessons_list_line(l, i, b, sizeof b);
		cr_expect_leq(strlen(b), HH_WIDTH - 2, "%s", b);
	}
	done(l, h);
}

Test(lessons, lessons_that_act_on_the_pump_say_they_need_a_tester_key)
{
	hh *h;
	lessons *l = untrained(&h);
	char b[HH_TEXT];
	cr_expect_eq(lessons_start(l, 3, h, 0), LESSONS_E_TESTER);
	cr_expect_eq(lessons_start(l, 4, h, 0), LESSONS_E_TESTER);
	cr_expect_eq(lessons_current(l), -1);
	lessons_list_note(l, b, sizeof b);
	cr_expect_str_eq(b, "Lessons 4 and 5 act on the pump: they need ptm --tester-key FILE");
	lessons_set_tester(l, 1);
	lessons_list_note(l, b, sizeof b);
	cr_expect_str_eq(b, "");
	cr_expect_geq(lessons_start(l, 3, h, 0), 0);
	cr_expect_eq(lessons_current(l), 3);
	done(l, h);
}

Test(keys, o_starts_the_training_pump_over_with_a_tester_key)
{
	hh *h;
	lessons *l = untrained(&h);
	struct keys_ctx c = { .h = h, .ls = l, .now = 0 };
	keys_dispatch(&c, 'o');
	cr_expect_eq(c.cmd, KEYS_CMD_NONE);
	struct hh_view v;
	hh_render(h, 0, &v);
	cr_expect_str_eq(v.message, "Starting the pump over needs a tester key (ptm --tester-key)");
	c.tester = 1;
	keys_dispatch(&c, 'o');
	cr_expect_eq(c.cmd, KEYS_CMD_OVER);
	done(l, h);
}

/* an empty remote answers only p (new batteries), q and a redraw */
Test(keys, an_empty_remote_answers_only_p_and_q)
{
	hh *h = hh_new();
	struct keys_ctx c = { .h = h, .now = 1000 };
	hh_link(h, HH_LINK_UP, 0);
	hh_set_remote_battery(h, 0, 0);
	cr_assert(hh_remote_dead(h, 1000));
	static const int ignored[] = { ' ', KEYS_ENTER, 'm', 's', 'h', 'a', '?', 'r' };
	for (unsigned i = 0; i < sizeof ignored / sizeof ignored[0]; i++) {
		cr_expect_eq(keys_dispatch(&c, ignored[i]), KEYS_R_NONE, "key %d", ignored[i]);
		cr_expect_eq(c.cmd, KEYS_CMD_NONE, "key %d asks nothing", ignored[i]);
	}
	cr_expect_eq(keys_dispatch(&c, KEYS_REFRESH), KEYS_R_CLEAR);
	cr_expect_eq(c.cmd, KEYS_CMD_NONE);
	keys_dispatch(&c, 'p');
	cr_expect_eq(c.cmd, KEYS_CMD_STATUS, "back on: ask the pump");
	cr_expect_eq(hh_remote_battery(h, 1000), 100);
	keys_dispatch(&c, ' ');
	cr_expect_eq(c.cmd, KEYS_CMD_BOLUS);
	keys_dispatch(&c, 'q');
	cr_expect_eq(c.cmd, KEYS_CMD_QUIT);
	hh_free(h);
}

/* help on ?: every key fits the help screen of an 80x24 device, training
 * keys included */
Test(keys, help_fits_the_screen)
{
	int n;
	const struct keys_help *t = keys_help_table(&n);
	cr_expect_leq(n, HH_BODY_ROWS);
	for (int i = 0; i < n; i++) {
		cr_expect_leq(strlen(t[i].keys), 20, "%s", t[i].keys);
		cr_expect_leq(strlen(t[i].what), 52, "%s", t[i].what);
	}
	cr_expect_leq(strlen(keys_footer(0)), 76);
	cr_expect_leq(strlen(keys_footer(1)), 76);
}
