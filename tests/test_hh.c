/*
 * tests/test_hh.c — the handheld's own state model: what a patient reads,
 * which lights are on, the countdown, the bell, the link.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui/hh.h"

#define MIN 60000u
/* Tue 14 May 2024 13:00:00 UTC */
#define T0 1715691600000ull
#define L0 1000000ull   /* local monotonic ms at T0 */

static void utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

TestSuite(hh, .init = utc);

static struct msg_state base_state(void)
{
	struct msg_state s;
	memset(&s, 0, sizeof s);
	s.now_ms = T0;
	s.mode = MSG_MODE_CONTINUOUS;
	s.flags = MSG_F_INFUSING | MSG_F_BOLUS_ENABLED | MSG_F_SIMULATED;
	s.reservoir_nl = 12345678;
	s.capacity_nl = 20000000;
	s.low_threshold_nl = 2000000;
	s.concentration_ng_ml = 2000000;
	s.basal_ng_day = 4000000;
	s.bolus_dose_ng = 500000;
	s.bolus_duration_ms = 10 * MIN;
	s.lockout_ms = 30 * MIN;
	s.max_per_24h = 4;
	s.next_bolus_ms = T0;
	s.next_bolus_reason = MSG_OUT_GRANTED;
	s.next_refill_ms = T0 + 30ull * 86400000u;
	s.clock_speed = 1;
	strcpy(s.drug, "baclofen");
	return s;
}

static hh *up(void)
{
	hh *h = hh_new();
	cr_assert_not_null(h);
	hh_link(h, HH_LINK_UP, L0);
	struct msg_state s = base_state();
	hh_state(h, &s, L0);
	return h;
}

static struct msg_reply bolus_reply(int outcome, uint64_t at, uint64_t wait)
{
	struct msg_reply r;
	memset(&r, 0, sizeof r);
	r.req_type = MSG_BOLUS;
	r.err = MSG_OK;
	r.state = base_state();
	r.u.bolus.outcome = (uint8_t)outcome;
	r.u.bolus.dose_ng = 500000;
	r.u.bolus.at_ms = at;
	r.u.bolus.wait_ms = wait;
	return r;
}

/* a reply while a bolus runs until ends, locked out until next */
static struct msg_reply running_reply(int outcome, uint64_t at, uint64_t wait, uint64_t ends,
                                      uint64_t next)
{
	struct msg_reply r = bolus_reply(outcome, at, wait);
	r.state.flags |= MSG_F_BOLUS_RUNNING;
	r.state.bolus_ends_ms = ends;
	r.state.next_bolus_ms = next;
	r.state.next_bolus_reason = MSG_OUT_LOCKOUT;
	return r;
}

static void view(hh *h, uint64_t now, struct hh_view *v)
{
	hh_render(h, now, v);
}

/* A remote up whose bolus request at L0 got the reply r at now, viewed
 * then into v. */
static hh *answered(const struct msg_reply *r, uint64_t now, struct hh_view *v)
{
	hh *h = up();
	cr_assert_eq(hh_bolus_press(h, L0), 1);
	hh_bolus_reply(h, 0, r, now);
	view(h, now, v);
	return h;
}

/* scroll from what shows now, as the remote's keys do */
static int scroll(hh *h, int delta, uint64_t now)
{
	struct hh_view v;
	hh_render(h, now, &v);
	return hh_scroll(h, delta, &v);
}

static int has_line(const struct hh_view *v, const char *text)
{
	for (int i = 0; i < v->n_lines; i++)
		if (strcmp(v->lines[i], text) == 0)
			return 1;
	return 0;
}

/* verifies: SR-UI-001 */
Test(hh, dose_in_plain_units)
{
	char b[32];
	hh_fmt_dose(500000, b, sizeof b);   cr_expect_str_eq(b, "0.5 mg");
	hh_fmt_dose(1250000, b, sizeof b);  cr_expect_str_eq(b, "1.25 mg");
	hh_fmt_dose(2000000, b, sizeof b);  cr_expect_str_eq(b, "2 mg");
	hh_fmt_dose(50000, b, sizeof b);    cr_expect_str_eq(b, "50 mcg");
	hh_fmt_dose(1500, b, sizeof b);     cr_expect_str_eq(b, "1.5 mcg");
	hh_fmt_dose(999, b, sizeof b);      cr_expect_str_eq(b, "999 ng");
	hh_fmt_volume(12345678, b, sizeof b); cr_expect_str_eq(b, "12.34 mL");
	hh_fmt_volume(20000000, b, sizeof b); cr_expect_str_eq(b, "20.00 mL");
	/* a reservoir is never shown fuller than it is */
	hh_fmt_volume(19979999, b, sizeof b); cr_expect_str_eq(b, "19.97 mL");
	hh_fmt_volume(19999999, b, sizeof b); cr_expect_str_eq(b, "19.99 mL");
	hh_fmt_volume(1500000, b, sizeof b);  cr_expect_str_eq(b, "1.50 mL");
	hh_fmt_volume(9999, b, sizeof b);     cr_expect_str_eq(b, "less than 0.01 mL");
	hh_fmt_volume(0, b, sizeof b);        cr_expect_str_eq(b, "0 mL");
	/* settings are exact */
	hh_fmt_volume_exact(20000000, b, sizeof b); cr_expect_str_eq(b, "20 mL");
	hh_fmt_volume_exact(1500000, b, sizeof b);  cr_expect_str_eq(b, "1.5 mL");
	hh_fmt_volume_exact(1, b, sizeof b);        cr_expect_str_eq(b, "0.000001 mL");
}

/* verifies: SR-UI-001 */
Test(hh, waits_round_up_never_sooner)
{
	char b[32];
	hh_fmt_wait(22 * MIN + 1, b, sizeof b);  cr_expect_str_eq(b, "23 min");
	hh_fmt_wait(23 * MIN, b, sizeof b);      cr_expect_str_eq(b, "23 min");
	hh_fmt_wait(45000, b, sizeof b);         cr_expect_str_eq(b, "45 s");
	hh_fmt_wait(44001, b, sizeof b);         cr_expect_str_eq(b, "45 s");
	hh_fmt_wait(60000, b, sizeof b);         cr_expect_str_eq(b, "60 s");
	hh_fmt_wait(60001, b, sizeof b);         cr_expect_str_eq(b, "2 min");
	hh_fmt_wait(65 * MIN, b, sizeof b);      cr_expect_str_eq(b, "1 h 5 min");
	hh_fmt_wait(120 * MIN, b, sizeof b);     cr_expect_str_eq(b, "2 h");
	hh_fmt_duration(10 * MIN, b, sizeof b);  cr_expect_str_eq(b, "10 min");
	hh_fmt_duration(30000, b, sizeof b);     cr_expect_str_eq(b, "30 s");
	hh_fmt_duration(90000, b, sizeof b);     cr_expect_str_eq(b, "1 min 30 s");
	hh_fmt_clock(T0 + 65 * MIN, b, sizeof b); cr_expect_str_eq(b, "14:05");
	hh_fmt_date(T0, b, sizeof b);            cr_expect_str_eq(b, "Tue 14 May 2024");
}

/* verifies: SR-UI-001 */
Test(hh, granted_dose_is_shown_with_its_numbers)
{
	hh *h = up();
	struct hh_view v;
	view(h, L0, &v);
	cr_expect_str_eq(v.headline, "Dose available");
	cr_expect_eq(v.headline_tone, HH_TONE_GOOD);

	cr_assert_eq(hh_bolus_press(h, L0), 1);
	view(h, L0, &v);
	cr_expect_str_eq(v.message, "Asking the pump for a dose...");
	cr_expect_eq(v.lights[HH_LIGHT_DOSE], 0, "no dose light before the pump says so");
	cr_expect_eq(hh_bolus_press(h, L0), 0, "one request at a time");

	struct msg_reply r = running_reply(MSG_OUT_GRANTED, T0 + 10 * MIN, 10 * MIN, T0 + 10 * MIN,
	                                  T0 + 30 * MIN);
	r.state.boluses_24h = 1;
	hh_bolus_reply(h, 0, &r, L0 + 100);
	view(h, L0 + 100, &v);
	cr_expect_str_eq(v.message, "Dose started: 0.5 mg over 10 min");
	cr_expect_eq(v.lights[HH_LIGHT_DOSE], 1);
	cr_expect_eq(v.lights[HH_LIGHT_LOCKOUT], 0);
	cr_expect_eq(v.lights[HH_LIGHT_INCOMPLETE], 0);
	cr_expect_str_eq(v.headline, "Next dose in 30 min");
	cr_expect(has_line(&v, "Dose running: ends in 10 min"));
	cr_expect(has_line(&v, "Last dose:     0.5 mg at 13:00"));
	cr_expect(has_line(&v, "Doses in 24 h: 1 of 4"));
	cr_expect(has_line(&v, "Reservoir:     12.34 mL of 20 mL"));
	cr_expect_eq(hh_outcome_seq(h), 1u);
	cr_expect_eq(hh_last_outcome(h), MSG_OUT_GRANTED);

	/* the dose light goes out when the bolus ends */
	view(h, L0 + 100 + 10 * MIN, &v);
	cr_expect_eq(v.lights[HH_LIGHT_DOSE], 0);
	cr_expect_str_eq(v.headline, "Next dose in 20 min");
	cr_expect_str_eq(v.message, "", "the dose ran its course: 'Last dose' says it");
	cr_expect(has_line(&v, "Last dose:     0.5 mg at 13:00"));
	hh_free(h);
}

/* verifies: SR-UI-001 */
Test(hh, too_soon_counts_down_live)
{
	struct hh_view v;
	/* 22 min 30 s left */
	uint64_t next = T0 + 22 * MIN + 30000;
	struct msg_reply r = bolus_reply(MSG_OUT_LOCKOUT, next, 22 * MIN + 30000);
	r.state.next_bolus_ms = next;
	r.state.next_bolus_reason = MSG_OUT_LOCKOUT;
	hh *h = answered(&r, L0, &v);
	cr_expect_str_eq(v.message, "Too soon: next dose in 23 min");
	cr_expect_str_eq(v.headline, "Next dose in 23 min");
	cr_expect_eq(v.headline_tone, HH_TONE_WAIT);
	cr_expect_eq(v.lights[HH_LIGHT_LOCKOUT], 1);
	cr_expect_eq(v.lights[HH_LIGHT_DOSE], 0);
	cr_expect_eq(hh_wait_ms(h, L0), 22 * MIN + 30000);

	/* the next visible change is when 23 min turns into 22 min: in 30 s */
	cr_expect_eq(hh_next_change(h, L0), L0 + 30000);

	view(h, L0 + 30000, &v);
	cr_expect_str_eq(v.headline, "Next dose in 22 min");
	cr_expect_str_eq(v.message, "Too soon: next dose in 22 min");

	/* under a minute it counts seconds */
	view(h, L0 + 22 * MIN, &v);
	cr_expect_str_eq(v.headline, "Next dose in 30 s");
	cr_expect_eq(hh_next_change(h, L0 + 22 * MIN + 400), L0 + 22 * MIN + 1000);

	view(h, L0 + 22 * MIN + 30000, &v);
	cr_expect_str_eq(v.headline, "Dose available");
	cr_expect_str_eq(v.message, "", "the stale 'too soon' is gone");
	cr_expect_eq(v.lights[HH_LIGHT_LOCKOUT], 0);
	cr_expect(hh_dose_available(h, L0 + 22 * MIN + 30000));
	hh_free(h);
}

/* verifies: SR-UI-001 */
Test(hh, running_dose_says_when_the_next_one_is_allowed)
{
	struct hh_view v;
	/* the bolus ends in 8 min; the lockout ends in 28 min */
	struct msg_reply r = running_reply(MSG_OUT_RUNNING, T0 + 8 * MIN, 8 * MIN, T0 + 8 * MIN,
	                                  T0 + 28 * MIN);
	hh *h = answered(&r, L0, &v);
	cr_expect_str_eq(v.message, "Too soon: a dose is still running. Next dose in 28 min");
	cr_expect_eq(v.lights[HH_LIGHT_LOCKOUT], 1);
	cr_expect_eq(v.lights[HH_LIGHT_DOSE], 1, "the pump says a dose runs");
	view(h, L0 + 10 * MIN, &v);
	cr_expect_eq(v.lights[HH_LIGHT_LOCKOUT], 1, "still locked out after the bolus ended");
	cr_expect_eq(v.lights[HH_LIGHT_DOSE], 0);
	cr_expect_str_eq(v.message, "Too soon: next dose in 18 min");
	hh_free(h);
}

/* verifies: SR-UI-001 */
Test(hh, daily_limit_says_when)
{
	struct hh_view v;
	uint64_t at = T0 + 65 * MIN;             /* 14:05 today */
	struct msg_reply r = bolus_reply(MSG_OUT_DAILY_COUNT, at, 65 * MIN);
	r.state.next_bolus_ms = at;
	r.state.next_bolus_reason = MSG_OUT_DAILY_COUNT;
	hh *h = answered(&r, L0, &v);
	cr_expect_str_eq(v.message, "Daily limit reached: next dose at 14:05");
	cr_expect_str_eq(v.headline, "Daily limit reached: next dose at 14:05");
	cr_expect_eq(v.lights[HH_LIGHT_LOCKOUT], 1);

	cr_assert_eq(hh_bolus_press(h, L0), 1);
	at = T0 + 25 * 60 * MIN;                 /* 14:00 tomorrow */
	r = bolus_reply(MSG_OUT_DAILY_COUNT, at, 25 * 60 * MIN);
	r.state.next_bolus_ms = at;
	r.state.next_bolus_reason = MSG_OUT_DAILY_COUNT;
	hh_bolus_reply(h, 0, &r, L0);
	view(h, L0, &v);
	cr_expect_str_eq(v.message, "Daily limit reached: next dose at 14:00 tomorrow");
	cr_expect_eq(hh_outcome_seq(h), 2u);
	hh_free(h);
}

/* verifies: SR-UI-002 */
Test(hh, lost_reply_is_incomplete_never_a_dose)
{
	hh *h = up();
	struct hh_view v;
	cr_assert_eq(hh_bolus_press(h, L0), 1);
	hh_bolus_reply(h, -1001 /* CLIENT_E_TIMEOUT */, NULL, L0 + 10000);
	view(h, L0 + 10000, &v);
	cr_expect_str_eq(v.message, "Incomplete communication: no answer. Try again");
	cr_expect_eq(v.lights[HH_LIGHT_INCOMPLETE], 1);
	cr_expect_eq(v.lights[HH_LIGHT_DOSE], 0);
	cr_expect_eq(hh_outcome_seq(h), 0u);
	cr_expect_eq(hh_last_outcome(h), -1);

	/* the next press clears the light and asks again */
	cr_expect_eq(hh_bolus_press(h, L0 + 20000), 1);
	view(h, L0 + 20000, &v);
	cr_expect_eq(v.lights[HH_LIGHT_INCOMPLETE], 0);

	/* the pump answering with an error is not a dose either */
	struct msg_reply r = bolus_reply(MSG_OUT_GRANTED, 0, 0);
	r.err = MSG_E_STORAGE;
	hh_bolus_reply(h, 0, &r, L0 + 20100);
	view(h, L0 + 20100, &v);
	cr_expect_str_eq(v.message, "No dose: the pump could not store it; nothing changed. "
	                 "Try again");
	r.err = MSG_E_STATE;
	snprintf(r.detail, sizeof r.detail, "busy");
	hh_bolus_reply(h, 0, &r, L0 + 20100);
	view(h, L0 + 20100, &v);
	cr_expect_str_eq(v.message, "No dose: the pump was busy with another request. Try again");
	cr_expect_eq(v.lights[HH_LIGHT_DOSE], 0);
	cr_expect_eq(v.lights[HH_LIGHT_INCOMPLETE], 1);
	hh_free(h);
}

/* verifies: SR-UI-002 SR-FAULT-001 */
Test(hh, retry_after_a_lost_reply_shows_the_real_outcome_once)
{
	hh *h = up();
	struct hh_view v;
	cr_assert_eq(hh_bolus_press(h, L0), 1);
	hh_bolus_reply(h, -1001 /* CLIENT_E_TIMEOUT */, NULL, L0 + 10000);
	hh_bolus_retry(h);
	view(h, L0 + 10000, &v);
	cr_expect_str_eq(v.message, "Incomplete communication: asking the pump again...");
	cr_expect_eq(v.lights[HH_LIGHT_INCOMPLETE], 1);
	cr_expect_eq(v.lights[HH_LIGHT_DOSE], 0, "no dose the pump did not grant");
	/* a press meanwhile asks nothing new */
	cr_expect_eq(hh_bolus_press(h, L0 + 10500), 0);
	/* the retry's answer (the pump's stored reply): granted, once */
	struct msg_reply r = bolus_reply(MSG_OUT_GRANTED, 0, 0);
	hh_bolus_reply(h, 0, &r, L0 + 11000);
	view(h, L0 + 11000, &v);
	cr_expect_eq(v.lights[HH_LIGHT_INCOMPLETE], 0, "the outcome is known");
	cr_expect_eq(hh_outcome_seq(h), 1u);
	cr_expect_eq(hh_last_outcome(h), MSG_OUT_GRANTED);
	hh_free(h);
}

/* verifies: SR-UI-002 */
Test(hh, dose_light_from_pump_state_after_lost_reply)
{
	/* the reply was lost, but the pump's notification says a bolus runs */
	hh *h = up();
	struct hh_view v;
	cr_assert_eq(hh_bolus_press(h, L0), 1);
	hh_bolus_reply(h, -1002, NULL, L0);
	struct msg_notify n;
	memset(&n, 0, sizeof n);
	n.event = MSG_EV_BOLUS_STARTED;
	n.state = base_state();
	n.state.flags |= MSG_F_BOLUS_RUNNING;
	n.state.bolus_ends_ms = T0 + 10 * MIN;
	hh_notify(h, &n, L0);
	view(h, L0, &v);
	cr_expect_eq(v.lights[HH_LIGHT_DOSE], 1);
	cr_expect(has_line(&v, "Dose running: ends in 10 min"));
	cr_expect_str_eq(v.message, "Incomplete communication: no answer. Try again");
	hh_free(h);
}

/* verifies: SR-UI-002 SR-UI-003 */
Test(hh, no_link_no_request)
{
	hh *h = hh_new();
	struct hh_view v;
	view(h, 0, &v);
	cr_expect_str_eq(v.headline, "Connecting to pump...");
	cr_expect_str_eq(v.link_text, "Link: connecting to pump...");
	cr_expect_eq(hh_bolus_press(h, 0), 0);
	view(h, 0, &v);
	cr_expect_str_eq(v.message, "Pump not connected: no dose asked. Try again when connected");
	cr_expect_eq(v.lights[HH_LIGHT_INCOMPLETE], 1);
	hh_link(h, HH_LINK_DOWN, 0);
	view(h, 0, &v);
	cr_expect_str_eq(v.link_text, "Link: pump not found, retrying...");
	cr_expect_str_eq(v.headline, "Pump not connected");

	hh_link(h, HH_LINK_UP, 0);
	struct msg_state s = base_state();
	hh_state(h, &s, 0);
	view(h, 1, &v);
	cr_expect_str_eq(v.link_text, "Link: connected to pump");
	hh_link(h, HH_LINK_DOWN, 5);
	view(h, 5, &v);
	/* what is on screen is the pump's last word, and says from when */
	cr_expect_str_eq(v.link_text, "Link lost: reconnecting... Pump data from 13:00");
	hh_link(h, HH_LINK_CONNECTING, 6);
	view(h, 6, &v);
	cr_expect_str_eq(v.link_text, "Link lost: reconnecting... Pump data from 13:00",
	                 "while retrying too");
	cr_expect_str_eq(v.headline, "Pump not connected: no dose possible");
	cr_expect_eq(v.headline_tone, HH_TONE_ALERT);
	hh_free(h);
}

static struct msg_state with_alarm(int id, int prio)
{
	struct msg_state s = base_state();
	s.n_alarms = 1;
	s.alarms[0].id = (uint8_t)id;
	s.alarms[0].priority = (uint8_t)prio;
	s.alarms[0].raised_ms = T0;
	return s;
}

/* verifies: SR-ALARM-007 */
Test(hh, low_reservoir_alarm_says_what_to_do_and_rings_once)
{
	hh *h = up();
	struct hh_view v;
	cr_expect_eq(hh_bell(h, L0), 0);
	struct msg_state s = with_alarm(MSG_ALARM_LOW_RESERVOIR, MSG_PRIO_MEDIUM);
	hh_state(h, &s, L0);
	view(h, L0, &v);
	cr_expect_str_eq(v.alarm_line, "ALARM: Low reservoir");
	cr_expect_eq(v.alarm_tone, HH_TONE_WARN);
	cr_expect_eq(v.lights[HH_LIGHT_ALARM], 1);
	cr_expect(has_line(&v, "Low reservoir: call your clinic to book a refill"));
	cr_expect_eq(hh_bell(h, L0), 1, "non-critical: one bell");
	cr_expect_eq(hh_bell(h, L0 + 1000), 0);
	cr_expect_eq(hh_bell(h, L0 + 60 * MIN), 0, "and only once");

	hh_set_screen(h, HH_SCR_ALARMS);
	view(h, L0, &v);
	cr_expect_str_eq(v.lines[0], "Low reservoir");
	cr_expect_str_eq(v.lines[1], "  The pump is running low on medicine.");
	cr_expect_str_eq(v.lines[2], "  What to do: Call your clinic to book a refill.");
	hh_free(h);
}

/* "press a" opens the alarm screen; on it, a would close it again */
Test(hh, more_alarms_point_to_the_alarm_screen_only_from_elsewhere)
{
	hh *h = up();
	struct hh_view v;
	struct msg_state s = with_alarm(MSG_ALARM_MOTOR_STALL, MSG_PRIO_HIGH);
	s.n_alarms = 2;
	s.alarms[1].id = MSG_ALARM_LOW_RESERVOIR;
	s.alarms[1].priority = MSG_PRIO_MEDIUM;
	hh_state(h, &s, L0);
	view(h, L0, &v);
	cr_expect_str_eq(v.alarm_line, "ALARM: Pump motor stopped, and 1 more: press a");
	hh_set_screen(h, HH_SCR_STATUS);
	view(h, L0, &v);
	cr_expect_str_eq(v.alarm_line, "ALARM: Pump motor stopped, and 1 more: press a");
	hh_set_screen(h, HH_SCR_ALARMS);
	view(h, L0, &v);
	cr_expect_str_eq(v.alarm_line, "ALARM: Pump motor stopped, and 1 more (below)");
	cr_expect(has_line(&v, "Low reservoir"), "listed below");
	hh_free(h);
}

/* verifies: SR-ALARM-007 */
Test(hh, critical_alarm_repeats_until_silenced_and_comes_back)
{
	hh *h = up();
	struct hh_view v;
	struct msg_state s = with_alarm(MSG_ALARM_MOTOR_STALL, MSG_PRIO_HIGH);
	s.next_bolus_reason = MSG_OUT_CRITICAL;
	s.next_bolus_ms = 0;
	hh_state(h, &s, L0);
	view(h, L0, &v);
	cr_expect_str_eq(v.alarm_line, "ALARM: Pump motor stopped");
	cr_expect_eq(v.alarm_tone, HH_TONE_ALERT);
	cr_expect_str_eq(v.headline, "No dose: pump alarm");
	cr_expect_eq(hh_bell(h, L0), 2, "critical: two-tone");
	cr_expect_eq(hh_bell(h, L0 + 1000), 0);
	cr_expect_leq(hh_next_change(h, L0 + 1000), L0 + HH_BELL_REPEAT_MS);
	cr_expect_eq(hh_bell(h, L0 + HH_BELL_REPEAT_MS), 2, "repeats");

	/* silence: quiet at once, before the pump answers */
	uint64_t t = L0 + 20000;
	cr_expect_eq(hh_silence_press(h, t), 1);
	cr_expect_eq(hh_bell(h, t + HH_BELL_REPEAT_MS), 0);
	cr_expect_eq(hh_audible_mask(h, t), 0u);

	/* the pump silences it for 30 min */
	struct msg_reply r;
	memset(&r, 0, sizeof r);
	r.req_type = MSG_SILENCE;
	r.state = s;
	r.state.now_ms = T0 + 20000;
	r.state.alarms[0].flags = MSG_AF_SILENCED;
	r.state.alarms[0].silenced_until_ms = T0 + 20000 + 30 * MIN;
	r.u.silenced = 1;
	hh_silence_reply(h, 0, &r, t);
	view(h, t, &v);
	cr_expect_str_eq(v.message, "Alarm silenced for now: it will sound again if not fixed");
	cr_expect_str_eq(v.alarm_line, "ALARM: Pump motor stopped (silenced)");
	cr_expect_eq(hh_bell(h, t + 1000), 0);
	cr_expect_eq(hh_bell(h, t + 29 * MIN), 0);
	cr_expect_leq(hh_next_change(h, t + 29 * MIN), t + 30 * MIN);
	/* it comes back when the silence runs out */
	cr_expect_eq(hh_bell(h, t + 30 * MIN), 2);
	cr_expect_eq(v.lights[HH_LIGHT_ALARM], 1);
	hh_free(h);
}

/* verifies: SR-ALARM-007 */
Test(hh, resound_notification_rings_again)
{
	hh *h = up();
	struct msg_state s = with_alarm(MSG_ALARM_ERI, MSG_PRIO_MEDIUM);
	hh_state(h, &s, L0);
	cr_expect_eq(hh_bell(h, L0), 1);
	cr_expect_eq(hh_bell(h, L0 + 1), 0);
	struct msg_notify n;
	memset(&n, 0, sizeof n);
	n.event = MSG_EV_ALARM_RESOUND;
	n.alarm = MSG_ALARM_ERI;
	n.state = s;
	hh_notify(h, &n, L0 + 2);
	cr_expect_eq(hh_bell(h, L0 + 2), 1);
	hh_free(h);
}

Test(hh, nothing_to_silence)
{
	hh *h = up();
	struct hh_view v;
	cr_expect_eq(hh_silence_press(h, L0), 0);
	view(h, L0, &v);
	cr_expect_str_eq(v.message, "No alarm is sounding");
	hh_free(h);
}

Test(hh, status_screen_numbers)
{
	hh *h = up();
	struct hh_view v;
	hh_set_screen(h, HH_SCR_STATUS);
	view(h, L0, &v);
	cr_expect(has_line(&v, "Medicine:       baclofen, 2 mg/mL"));
	cr_expect(has_line(&v, "Reservoir:      12.34 mL of 20 mL (alarm below 2 mL)"));
	cr_expect(has_line(&v, "Next refill:    Thu 13 Jun 2024"));
	cr_expect(has_line(&v, "Dose button:    0.5 mg over 10 min, every 30 min at most"));
	cr_expect(has_line(&v, "Infusion:       continuous, 4 mg a day now"));
	cr_expect(has_line(&v, "Pump clock:     13:00 Tue 14 May 2024 (simulated)"));
	cr_expect_str_eq(v.clock, "13:00");
	hh_free(h);
}

Test(hh, idle_means_no_wakeups_but_the_clock)
{
	hh *h = up();
	/* dose available, no alarm: the only change is the clock's minute */
	cr_expect_eq(hh_next_change(h, L0 + 15000), L0 + 60000);
	hh_free(h);
}

Test(hh, remote_battery_light)
{
	hh *h = up();
	cr_expect_eq(hh_light(h, HH_LIGHT_BATTERY, L0), 0);
	hh_set_remote_battery(h, 10, L0);
	cr_expect_eq(hh_light(h, HH_LIGHT_BATTERY, L0), 1);
	hh_free(h);
}

Test(hh, history_newest_first)
{
	hh *h = up();
	struct hh_view v;
	struct msg_reply r;
	memset(&r, 0, sizeof r);
	r.req_type = MSG_HISTORY;
	r.state = base_state();
	r.u.history.n = 2;
	r.u.history.e[0] = (struct msg_history_entry){ T0 - 60 * MIN, MSG_OUT_GRANTED, 500000 };
	r.u.history.e[1] = (struct msg_history_entry){ T0 - 50 * MIN, MSG_OUT_LOCKOUT, 0 };
	hh_history_reply(h, 0, &r, L0);
	hh_set_screen(h, HH_SCR_HISTORY);
	view(h, L0, &v);
	cr_assert_eq(v.n_lines, 2);
	cr_expect_str_eq(v.lines[0], "Today            12:10  Not given   too soon");
	cr_expect_str_eq(v.lines[1], "Today            12:00  Dose given  0.5 mg");
	hh_free(h);
}

/* a state block in the lockout: the next dose at T0 + 30 min */
static hh *locked_out(uint32_t speed)
{
	hh *h = up();
	struct msg_state s = base_state();
	s.clock_speed = speed;
	s.next_bolus_ms = T0 + 30 * MIN;
	s.next_bolus_reason = MSG_OUT_LOCKOUT;
	hh_state(h, &s, L0);
	return h;
}

/* verifies: SR-UI-001 */
Test(hh, countdown_runs_at_the_pumps_clock_speed)
{
	hh *h = locked_out(60);             /* a minute of pump time a second */
	struct hh_view v;
	cr_expect_eq(hh_clock_speed(h), 60u);
	cr_expect_eq(hh_pump_now(h, L0 + 1000), T0 + MIN);
	cr_expect_eq(hh_wait_ms(h, L0 + 1000), 29 * MIN);
	view(h, L0 + 1000, &v);
	cr_expect_str_eq(v.headline, "Next dose in 29 min");
	cr_expect_str_eq(v.clock, "13:01");
	/* "30 min" turns into "29 min" after 1 min of pump time: 1 s here */
	cr_expect_eq(hh_next_change(h, L0), L0 + 1000);
	cr_expect_eq(hh_next_change(h, L0 + 250), L0 + 1000);
	/* 30 s of real time is the whole lockout */
	view(h, L0 + 30000, &v);
	cr_expect_str_eq(v.headline, "Dose available");
	cr_expect(hh_dose_available(h, L0 + 30000));
	cr_expect_not(hh_dose_available(h, L0 + 29999));
	hh_free(h);
}

Test(hh, real_time_pump_counts_in_real_time)
{
	hh *h = locked_out(1);
	cr_expect_eq(hh_pump_now(h, L0 + 1000), T0 + 1000);
	cr_expect_eq(hh_next_change(h, L0), L0 + MIN);
	/* a pump that is not simulated runs in real time whatever it says */
	struct msg_state s = base_state();
	s.flags &= (uint8_t)~MSG_F_SIMULATED;
	s.clock_speed = 0;
	hh_state(h, &s, L0);
	cr_expect_eq(hh_clock_speed(h), 1u);
	cr_expect_eq(hh_pump_now(h, L0 + 1000), T0 + 1000);
	hh_free(h);
}

Test(hh, frozen_clock_stands_still_and_needs_no_timer)
{
	hh *h = locked_out(0);
	struct hh_view v;
	cr_expect_eq(hh_clock_speed(h), 0u);
	cr_expect_eq(hh_pump_now(h, L0 + 3600000), T0);
	view(h, L0 + 3600000, &v);
	cr_expect_str_eq(v.headline, "Next dose in 30 min", "an hour later: no motion");
	cr_expect_str_eq(v.clock, "13:00");
	cr_expect_eq(hh_next_change(h, L0), UINT64_MAX, "nothing to wake up for");
	/* a critical alarm still rings again in real time */
	struct msg_state s = with_alarm(MSG_ALARM_MOTOR_STALL, MSG_PRIO_HIGH);
	s.clock_speed = 0;
	hh_state(h, &s, L0);
	cr_expect_eq(hh_bell(h, L0), 2);
	cr_expect_eq(hh_next_change(h, L0 + 1000), L0 + HH_BELL_REPEAT_MS);
	hh_free(h);
}

Test(hh, fast_clock_redraws_at_most_ten_times_a_second)
{
	hh *h = locked_out(3600);           /* an hour of pump time a second */
	cr_expect_eq(hh_pump_now(h, L0 + 500), T0 + 30 * MIN);
	/* the next step ("29 min") is 1 min of pump time: 17 ms here, held to 100 */
	cr_expect_eq(hh_next_change(h, L0), L0 + HH_MIN_STEP_MS);
	cr_expect(hh_dose_available(h, L0 + 500));
	/* a speed change arrives with the next state block */
	struct msg_state s = base_state();
	s.now_ms = T0 + 30 * MIN;
	s.clock_speed = 2;
	hh_state(h, &s, L0 + 500);
	cr_expect_eq(hh_pump_now(h, L0 + 1500), T0 + 30 * MIN + 2000);
	hh_free(h);
}

/* every alarm at once, a dose running, a history */
static hh *busy(void)
{
	hh *h = up();
	struct msg_state s = base_state();
	s.flags |= MSG_F_BOLUS_RUNNING;
	s.bolus_ends_ms = T0 + 5 * MIN;
	s.boluses_24h = 2;
	s.n_alarms = 0;
	for (int a = 1; a < MSG_ALARM_COUNT && s.n_alarms < MSG_ALARMS_MAX; a++) {
		struct msg_alarm_info *ai = &s.alarms[s.n_alarms++];
		ai->id = (uint8_t)a;
		ai->priority = (uint8_t)(a == MSG_ALARM_LOW_RESERVOIR || a == MSG_ALARM_ERI ?
		                         MSG_PRIO_MEDIUM : a == MSG_ALARM_MEMORY ? MSG_PRIO_LOW :
		                         MSG_PRIO_HIGH);
		ai->raised_ms = T0;
	}
	hh_state(h, &s, L0);
	struct msg_reply r;
	memset(&r, 0, sizeof r);
	r.req_type = MSG_HISTORY;
	r.state = s;
	r.u.history.n = 40;
	for (int i = 0; i < 40; i++)
		r.u.history.e[i] = (struct msg_history_entry){ T0 - (uint64_t)(i + 1) * 86400000u,
		                                               MSG_OUT_GRANTED, 500000 };
	hh_history_reply(h, 0, &r, L0);
	return h;
}

/* verifies: SR-UI-004 */
Test(hh, every_text_fits_the_screen)
{
	hh *h = busy();
	struct hh_view v;
	for (int scr = 0; scr < HH_SCR_COUNT; scr++) {
		hh_set_screen(h, scr);
		view(h, L0, &v);
		cr_expect_leq(strlen(v.headline), HH_WIDTH);
		cr_expect_leq(strlen(v.alarm_line), HH_WIDTH, "%s", v.alarm_line);
		cr_expect_leq(strlen(v.message), HH_WIDTH);
		cr_expect_leq(strlen(v.link_text), HH_WIDTH);
		for (int i = 0; i < v.n_lines; i++)
			cr_expect_leq(strlen(v.lines[i]), HH_WIDTH, "screen %d: \"%s\"", scr,
			              v.lines[i]);
	}
	/* what to do about a critical alarm is never cut: it wraps */
	hh_set_screen(h, HH_SCR_HOME);
	view(h, L0, &v);
	int i = 0;
	while (i < v.n_lines && strncmp(v.lines[i], "Pump motor stopped:", 19) != 0)
		i++;
	cr_assert_lt(i + 1, v.n_lines);
	cr_expect_str_eq(v.lines[i],
	                 "Pump motor stopped: call your clinic now; if you feel unwell, get");
	cr_expect_str_eq(v.lines[i + 1], "  emergency help");
	cr_expect_eq(v.conts[i + 1], 1);
	cr_expect_eq(v.tones[i + 1], HH_TONE_ALERT);
	cr_expect_str_eq(v.alarm_line, "ALARM: Pump battery empty, and 6 more: press a");
	hh_set_screen(h, HH_SCR_ALARMS);
	view(h, L0, &v);
	cr_expect(has_line(&v, "  What to do: Call your clinic now; if you feel unwell, get emergency"));
	cr_expect(has_line(&v, "    help."));
	hh_free(h);
}

/* verifies: SR-UI-004 */
Test(hh, short_screen_keeps_what_matters)
{
	hh *h = up();
	struct msg_state s = with_alarm(MSG_ALARM_LOW_RESERVOIR, MSG_PRIO_MEDIUM);
	s.flags |= MSG_F_BOLUS_RUNNING;
	s.bolus_ends_ms = T0 + 5 * MIN;
	s.boluses_24h = 1;
	hh_state(h, &s, L0);
	struct msg_reply r = bolus_reply(MSG_OUT_GRANTED, T0 + 5 * MIN, 10 * MIN);
	r.state = s;
	cr_assert_eq(hh_bolus_press(h, L0), 1);
	hh_bolus_reply(h, 0, &r, L0);
	struct hh_view v;
	view(h, L0, &v);
	cr_assert_eq(v.n_lines, 7);
	cr_expect_str_eq(v.lines[0], "Low reservoir: call your clinic to book a refill");
	cr_expect_str_eq(v.lines[1], "Dose running: ends in 5 min");
	cr_expect_str_eq(v.lines[2], "Reservoir:     12.34 mL of 20 mL");
	cr_expect_str_eq(v.lines[3], "Next refill:   Thu 13 Jun 2024");
	cr_expect_str_eq(v.lines[4], "Pump battery:  OK");
	cr_expect_str_eq(v.lines[5], "Last dose:     0.5 mg at 12:55");
	cr_expect_str_eq(v.lines[6], "Doses in 24 h: 1 of 4");
	int idx[HH_LINES];
	/* room for all */
	cr_expect_eq(hh_view_fit(&v, 11, idx), 7);
	/* 6 rows: the battery goes first */
	cr_assert_eq(hh_view_fit(&v, 6, idx), 6);
	cr_expect_eq(idx[4], 5);
	/* 5 rows: then the lowest on the screen of the middle rank (last dose) */
	cr_assert_eq(hh_view_fit(&v, 5, idx), 5);
	cr_expect_eq(idx[3], 3);
	cr_expect_eq(idx[4], 6);
	/* 4 rows: the next refill too */
	cr_assert_eq(hh_view_fit(&v, 4, idx), 4);
	cr_expect_eq(idx[0], 0);
	cr_expect_eq(idx[1], 1);
	cr_expect_eq(idx[2], 2);
	cr_expect_eq(idx[3], 6);
	/* 2 rows: only the alarm and the running dose */
	cr_assert_eq(hh_view_fit(&v, 2, idx), 2);
	cr_expect_eq(idx[0], 0);
	cr_expect_eq(idx[1], 1);
	hh_free(h);
}

Test(hh, refill_due_and_clock_speed_on_status)
{
	hh *h = up();
	struct msg_state s = base_state();
	s.next_refill_ms = T0 - MIN;
	s.clock_speed = 60;
	hh_state(h, &s, L0);
	struct hh_view v;
	view(h, L0, &v);
	cr_expect(has_line(&v, "Next refill:   due now"));
	hh_set_screen(h, HH_SCR_STATUS);
	view(h, L0, &v);
	cr_expect(has_line(&v, "Pump clock:     13:00 Tue 14 May 2024 (simulated, 60 x real time)"));
	s.clock_speed = 0;
	hh_state(h, &s, L0);
	view(h, L0, &v);
	cr_expect(has_line(&v, "Pump clock:     13:00 Tue 14 May 2024 (simulated, stopped)"));
	/* a critical alarm stops the flow: not "0 ng a day" */
	s.flags &= (uint8_t)~MSG_F_INFUSING;
	s.basal_ng_day = 0;
	hh_state(h, &s, L0);
	view(h, L0, &v);
	cr_expect(has_line(&v, "Infusion:       continuous, not flowing now"));
	hh_free(h);
}

/* issue 14, item 1: a message and a light say what holds now, never what
 * held before a new alarm, a stop or a refill */
Test(hh, silenced_message_goes_with_a_new_alarm_or_none)
{
	hh *h = up();
	struct hh_view v;
	struct msg_state s = with_alarm(MSG_ALARM_LOW_RESERVOIR, MSG_PRIO_MEDIUM);
	hh_state(h, &s, L0);
	cr_assert_eq(hh_silence_press(h, L0), 1);
	struct msg_reply r;
	memset(&r, 0, sizeof r);
	r.req_type = MSG_SILENCE;
	r.state = s;
	r.state.alarms[0].flags = MSG_AF_SILENCED;
	r.state.alarms[0].silenced_until_ms = T0 + 60 * MIN;
	r.u.silenced = 1;
	hh_silence_reply(h, 0, &r, L0);
	view(h, L0, &v);
	cr_expect_str_eq(v.message, "Alarm silenced for now: it will sound again if not fixed");

	/* a motor stall comes on, sounding: the silence was not of it */
	struct msg_state s2 = r.state;
	s2.n_alarms = 2;
	s2.alarms[1].id = MSG_ALARM_MOTOR_STALL;
	s2.alarms[1].priority = MSG_PRIO_HIGH;
	s2.next_bolus_reason = MSG_OUT_CRITICAL;
	s2.next_bolus_ms = 0;
	hh_state(h, &s2, L0 + 1000);
	view(h, L0 + 1000, &v);
	cr_expect_eq(strstr(v.message, "silenced") == NULL, 1,
	             "beside a sounding critical alarm: %s", v.message);

	/* silenced again, then a refill clears every alarm */
	cr_assert_eq(hh_silence_press(h, L0 + 2000), 1);
	r.state = s2;
	r.state.alarms[1].flags = MSG_AF_SILENCED;
	r.state.alarms[1].silenced_until_ms = T0 + 60 * MIN;
	hh_silence_reply(h, 0, &r, L0 + 2000);
	view(h, L0 + 2000, &v);
	cr_expect_str_eq(v.message, "Alarm silenced for now: it will sound again if not fixed");
	struct msg_state clear = base_state();
	hh_state(h, &clear, L0 + 3000);
	view(h, L0 + 3000, &v);
	cr_expect_str_eq(v.message, "", "no alarm is left to be silenced");

	/* "No alarm is sounding" does not stay beside one that sounds */
	cr_expect_eq(hh_silence_press(h, L0 + 4000), 0);
	view(h, L0 + 4000, &v);
	cr_expect_str_eq(v.message, "No alarm is sounding");
	s = with_alarm(MSG_ALARM_EMPTY, MSG_PRIO_HIGH);
	hh_state(h, &s, L0 + 5000);
	view(h, L0 + 5000, &v);
	cr_expect_str_eq(v.message, "");
	hh_free(h);
}

Test(hh, limit_outcome_goes_when_an_alarm_or_a_stop_holds)
{
	static const int holds[] = { MSG_OUT_CRITICAL, MSG_OUT_STOPPED, MSG_OUT_RESERVOIR };
	for (unsigned i = 0; i < sizeof holds / sizeof holds[0]; i++) {
		struct hh_view v;
		uint64_t at = T0 + 65 * MIN;
		struct msg_reply r = bolus_reply(MSG_OUT_DAILY_COUNT, at, 65 * MIN);
		r.state.next_bolus_ms = at;
		r.state.next_bolus_reason = MSG_OUT_DAILY_COUNT;
		hh *h = answered(&r, L0, &v);
		cr_expect_str_eq(v.message, "Daily limit reached: next dose at 14:05");
		cr_expect_eq(v.lights[HH_LIGHT_LOCKOUT], 1);

		struct msg_state s = holds[i] == MSG_OUT_CRITICAL
		                     ? with_alarm(MSG_ALARM_MOTOR_STALL, MSG_PRIO_HIGH)
		                     : base_state();
		if (holds[i] == MSG_OUT_STOPPED)
			s.mode = MSG_MODE_STOPPED;
		s.next_bolus_reason = (uint8_t)holds[i];
		s.next_bolus_ms = 0;
		hh_state(h, &s, L0 + 1000);
		view(h, L0 + 1000, &v);
		cr_expect_eq(strstr(v.message, "Daily limit") == NULL, 1, "[%u] %s", i, v.message);
		cr_expect_eq(v.lights[HH_LIGHT_LOCKOUT], 0, "[%u] Too soon light", i);
		hh_free(h);
	}
}

Test(hh, a_dose_cut_short_is_not_shown_as_running)
{
	struct hh_view v;
	struct msg_reply r = running_reply(MSG_OUT_GRANTED, T0 + 10 * MIN, 10 * MIN, T0 + 10 * MIN,
	                                  T0 + 30 * MIN);
	hh *h = answered(&r, L0, &v);
	cr_expect_eq(v.lights[HH_LIGHT_DOSE], 1);
	/* a motor stall stops it two minutes in */
	struct msg_notify n;
	memset(&n, 0, sizeof n);
	n.event = MSG_EV_BOLUS_ENDED;
	n.state = with_alarm(MSG_ALARM_MOTOR_STALL, MSG_PRIO_HIGH);
	n.state.now_ms = T0 + 2 * MIN;
	n.state.next_bolus_reason = MSG_OUT_CRITICAL;
	n.state.next_bolus_ms = 0;
	hh_notify(h, &n, L0 + 2 * MIN);
	view(h, L0 + 2 * MIN, &v);
	cr_expect_eq(v.lights[HH_LIGHT_DOSE], 0, "the pump says no dose runs");
	cr_expect_eq(strstr(v.message, "Dose started") == NULL, 1, "%s", v.message);
	hh_free(h);
}

/* issue 14, item 2: every alarm with its explanation, on a screen that
 * scrolls; the home screen lists no more than the alarm screen */
Test(hh, alarm_screen_scrolls_through_every_alarm)
{
	hh *h = busy();
	struct hh_view v;
	int idx[HH_LINES];
	char more[HH_TEXT];
	const struct msg_state *s = hh_last_state(h);
	cr_assert_eq(s->n_alarms, 7);
	hh_set_screen(h, HH_SCR_ALARMS);
	view(h, L0, &v);
	cr_expect_eq(v.scrollable, 1);
	for (int a = 1; a < MSG_ALARM_COUNT; a++) {
		char want[HH_TEXT];
		snprintf(want, sizeof want, "  %s", hh_alarm_meaning(a));
		int found = 0;
		for (int i = 0; i < v.n_lines; i++)
			found |= strncmp(v.lines[i], want, strlen(v.lines[i])) == 0 &&
			         strstr(v.lines[i], "The pump") != NULL;
		cr_expect(found, "alarm %d's explanation is on the alarm screen", a);
	}
	/* 11 rows: 10 lines and where they are */
	int n = hh_view_fit(&v, 11, idx);
	cr_assert_eq(n, 11);
	cr_expect_eq(idx[0], 0);
	cr_expect_eq(idx[9], 9);
	cr_expect_eq(idx[10], HH_VIEW_SCROLL_ROW);
	hh_view_scroll_text(&v, 11, more, sizeof more);
	char want[HH_TEXT];
	snprintf(want, sizeof want, "Lines 1-10 of %d: Down or PgDn for more", v.n_lines);
	cr_expect_str_eq(more, want);
	/* scroll to the end: every line was shown once, in order */
	int seen = 0, moves = 0;
	for (;;) {
		view(h, L0, &v);
		n = hh_view_fit(&v, 11, idx);
		for (int i = 0; i < n; i++)
			if (idx[i] != HH_VIEW_SCROLL_ROW && idx[i] == seen)
				seen++;
		if (scroll(h, HH_SCROLL_PAGE, L0) != 1)
			break;
		moves++;
	}
	cr_expect_eq(seen, v.n_lines, "all %d lines shown, %d", v.n_lines, seen);
	cr_expect_gt(moves, 0);
	hh_view_scroll_text(&v, 11, more, sizeof more);
	cr_expect(strstr(more, "Up or PgUp to go back") != NULL, "%s", more);
	cr_expect_eq(scroll(h, 1, L0), 0, "at the end");
	cr_expect_eq(scroll(h, -HH_SCROLL_PAGE, L0), 1);
	/* a screen opens at its top */
	hh_set_screen(h, HH_SCR_HOME);
	cr_expect_eq(scroll(h, 1, L0), -1, "the home screen does not scroll");
	hh_set_screen(h, HH_SCR_ALARMS);
	view(h, L0, &v);
	cr_expect_eq(v.scroll, 0);
	hh_free(h);
}

/* every refusal that needs no time says what to do, in its tone */
Test(hh, refusals_in_plain_words)
{
	static const struct { int outcome, tone; const char *text; } cases[] = {
		{ MSG_OUT_DISABLED, HH_TONE_WARN,
		  "No dose: the dose button is not set up. Ask your clinic" },
		{ MSG_OUT_RESERVOIR, HH_TONE_WARN, "No dose: too little medicine left. Call your clinic" },
		{ MSG_OUT_STOPPED, HH_TONE_WARN, "No dose: the pump is stopped. Call your clinic" },
		{ MSG_OUT_CRITICAL, HH_TONE_ALERT, "No dose: the pump has an alarm. See the alarm" },
		{ 200, HH_TONE_WARN, "No dose: the pump refused it. Call your clinic" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct hh_view v;
		struct msg_reply r = bolus_reply(cases[i].outcome, T0, 0);
		hh *h = answered(&r, L0 + 100, &v);
		cr_expect_str_eq(v.message, cases[i].text, "outcome %d", cases[i].outcome);
		cr_expect_eq(v.message_tone, cases[i].tone, "outcome %d", cases[i].outcome);
		hh_free(h);
	}
}

/* the top line when the pump says no dose can be had, by its reason */
Test(hh, no_dose_headlines)
{
	static const struct { int reason, tone; const char *text; } cases[] = {
		{ MSG_OUT_DISABLED, HH_TONE_PLAIN, "Dose button not set up" },
		{ MSG_OUT_RESERVOIR, HH_TONE_WARN, "No dose: reservoir too low" },
		{ MSG_OUT_STOPPED, HH_TONE_WARN, "No dose: pump stopped" },
		{ MSG_OUT_CRITICAL, HH_TONE_ALERT, "No dose: pump alarm" },
		{ 200, HH_TONE_WAIT, "No dose now" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		hh *h = up();
		struct hh_view v;
		struct msg_state s = base_state();
		s.next_bolus_reason = (uint8_t)cases[i].reason;
		s.next_bolus_ms = 0;
		hh_state(h, &s, L0);
		view(h, L0, &v);
		cr_expect_str_eq(v.headline, cases[i].text, "reason %d", cases[i].reason);
		cr_expect_eq(v.headline_tone, cases[i].tone, "reason %d", cases[i].reason);
		hh_free(h);
	}
}

Test(hh, history_in_columns_in_plain_words)
{
	hh *h = up();
	struct hh_view v;
	struct msg_reply r;
	static const int outs[] = { MSG_OUT_GRANTED, MSG_OUT_CRITICAL, MSG_OUT_STOPPED,
	                            MSG_OUT_RESERVOIR, MSG_OUT_DISABLED, MSG_OUT_LOCKOUT };
	memset(&r, 0, sizeof r);
	r.req_type = MSG_HISTORY;
	r.state = base_state();
	r.u.history.n = 20;
	for (int i = 0; i < 20; i++)
		r.u.history.e[i] = (struct msg_history_entry){
			T0 - (uint64_t)i * 9 * 3600000u, (uint8_t)outs[i % 6],
			outs[i % 6] == MSG_OUT_GRANTED ? 500000u : 0u };
	hh_history_reply(h, 0, &r, L0);
	hh_set_screen(h, HH_SCR_HISTORY);
	view(h, L0, &v);
	cr_assert_eq(v.n_lines, 20, "nothing dropped");
	cr_expect_eq(v.scrollable, 1);
	const char *raw[] = { "critical", "stopped", "reservoir", "disabled" };
	for (int i = 0; i < v.n_lines; i++) {
		const char *g = strstr(v.lines[i], "Dose given");
		const char *ng = strstr(v.lines[i], "Not given");
		cr_expect(g || ng, "%s", v.lines[i]);
		cr_expect_eq((int)((g ? g : ng) - v.lines[i]), 24, "one column: \"%s\"", v.lines[i]);
		for (int k = 0; k < 4 && ng; k++)
			cr_expect_str_neq(ng + strlen("Not given   "), raw[k], "a raw name: \"%s\"",
			                  v.lines[i]);
	}
	cr_expect_str_eq(v.lines[0], "Today            13:00  Dose given  0.5 mg");
	cr_expect_str_eq(v.lines[1], "Today            04:00  Not given   a pump alarm");
	cr_expect_str_eq(v.lines[2], "Yesterday        19:00  Not given   the pump was stopped");
	cr_expect_str_eq(v.lines[3], "Yesterday        10:00  Not given   too little medicine left");
	cr_expect_str_eq(v.lines[4], "Yesterday        01:00  Not given   dose button not set up");
	cr_expect_str_eq(v.lines[7], "Sat 11 May 2024  22:00  Not given   a pump alarm");
	/* scrolls to the oldest */
	while (scroll(h, 1, L0) == 1)
		;
	view(h, L0, &v);
	int idx[HH_LINES];
	int n = hh_view_fit(&v, 11, idx);
	cr_expect_eq(idx[n - 2], 19);
	hh_free(h);
}

/* issue 14, item 3: no link says why and where, never "Connecting..."
 * forever */
Test(hh, no_link_says_why_and_where)
{
	hh *h = hh_new();
	struct hh_view v;
	hh_set_address(h, "unix:/tmp/x/pump.sock");
	view(h, 0, &v);
	cr_expect_str_eq(v.headline, "Connecting to pump...");
	cr_expect(has_line(&v, "Connecting to the pump at unix:/tmp/x/pump.sock."));

	hh_link_why(h, HH_WHY_NO_PUMP, "no such file");
	hh_link(h, HH_LINK_DOWN, 0);
	view(h, 0, &v);
	cr_expect_str_eq(v.headline, "Pump not found");
	cr_expect_eq(v.headline_tone, HH_TONE_ALERT);
	cr_expect(has_line(&v, "No pump answers at unix:/tmp/x/pump.sock (no such file)."));
	/* and while it tries again */
	hh_link(h, HH_LINK_CONNECTING, 1);
	view(h, 1, &v);
	cr_expect_str_eq(v.headline, "Pump not found");
	cr_expect_str_eq(v.link_text, "Link: pump not found, retrying...");

	hh_link_why(h, HH_WHY_REFUSED, "");
	hh_link(h, HH_LINK_DOWN, 2);
	view(h, 2, &v);
	cr_expect_str_eq(v.headline, "The pump refused this remote");
	cr_expect(has_line(&v, "The pump at unix:/tmp/x/pump.sock refused this remote's key."));
	int paired = 0;
	for (int i = 0; i < v.n_lines; i++)
		paired |= strstr(v.lines[i], "not paired") != NULL;
	cr_expect(paired, "says the key may not be paired");
	cr_expect_str_eq(v.link_text, "Link: refused by the pump, retrying...");
	for (int i = 0; i < v.n_lines; i++)
		cr_expect_leq(strlen(v.lines[i]), HH_WIDTH);

	/* up: the reason is gone */
	hh_link(h, HH_LINK_UP, 3);
	struct msg_state s = base_state();
	hh_state(h, &s, 3);
	view(h, 3, &v);
	cr_expect_str_eq(v.link_text, "Link: connected to pump");
	/* unpaired while it ran: the lost link says why */
	hh_link_why(h, HH_WHY_REFUSED, "");
	hh_link(h, HH_LINK_DOWN, 4);
	view(h, 4, &v);
	cr_expect_str_eq(v.link_text,
	                 "Link lost: the pump refuses this remote now. Pump data from 13:00");
	hh_free(h);
}

/* issue 14, item 4: after a day is skipped the day is said; how far the
 * clock moved; the remote battery's light has words; a new prescription
 * is told */
Test(hh, a_skipped_day_is_said)
{
	struct hh_view v;
	struct msg_reply r = bolus_reply(MSG_OUT_GRANTED, T0 + 10 * MIN, 10 * MIN);
	r.state.flags |= MSG_F_BOLUS_RUNNING;
	r.state.bolus_ends_ms = T0 + 10 * MIN;
	hh *h = answered(&r, L0, &v);
	cr_expect_str_eq(v.day, "Tue 14 May");
	cr_expect(has_line(&v, "Last dose:     0.5 mg at 13:00"));

	/* a tester moves the clock a day and an hour: the pump pushes the
	 * events it found (each with the state at the end), then 'clock' */
	struct msg_notify n;
	memset(&n, 0, sizeof n);
	n.event = MSG_EV_BOLUS_ENDED;
	n.state = base_state();
	n.state.now_ms = T0 + 25 * 60 * MIN;
	hh_notify(h, &n, L0 + 500);
	n.event = MSG_EV_CLOCK;
	hh_notify(h, &n, L0 + 600);
	view(h, L0 + 600, &v);
	cr_expect_str_eq(v.message, "The pump's clock moved forward by 1 day 1 h");
	cr_expect_str_eq(v.day, "Wed 15 May");
	cr_expect_str_eq(v.clock, "14:00");
	cr_expect(has_line(&v, "Last dose:     0.5 mg yesterday at 13:00"));
	/* three days on */
	n.state.now_ms = T0 + 3 * 24 * 60 * MIN;
	hh_notify(h, &n, L0 + 700);
	view(h, L0 + 700, &v);
	cr_expect(has_line(&v, "Last dose:     0.5 mg at 13:00 on Tue 14 May 2024"));
	cr_expect_str_eq(v.message, "The pump's clock moved forward by 1 day 23 h");

	/* a state at the time it should be is no move */
	hh_message(h, "", HH_TONE_PLAIN, L0 + 700);
	n.state.now_ms = T0 + 3 * 24 * 60 * MIN + 1000;
	hh_notify(h, &n, L0 + 1700);
	view(h, L0 + 1700, &v);
	cr_expect_str_eq(v.message, "");
	hh_free(h);
}

Test(hh, remote_battery_low_says_so)
{
	hh *h = up();
	struct hh_view v;
	view(h, L0, &v);
	for (int i = 0; i < v.n_lines; i++)
		cr_expect_null(strstr(v.lines[i], "Remote battery"), "%s", v.lines[i]);
	hh_set_remote_battery(h, 15, L0);
	view(h, L0, &v);
	cr_expect_eq(v.lights[HH_LIGHT_BATTERY], 1);
	cr_expect(has_line(&v, "Remote battery low (15%): put new batteries in soon (p)."));
	hh_free(h);
}

Test(hh, a_new_prescription_is_told)
{
	hh *h = up();
	struct hh_view v;
	struct msg_notify n;
	memset(&n, 0, sizeof n);
	n.event = MSG_EV_PROGRAMMED;
	n.state = base_state();
	n.state.lockout_ms = 60 * MIN;
	hh_notify(h, &n, L0);
	view(h, L0, &v);
	cr_expect_str_eq(v.message, "Your clinic changed your prescription: press s to see it");
	cr_expect(!has_line(&v, "Your clinic changed your prescription: press s to see it."),
	          "said once: the message line says it");
	/* another message takes the line: the home screen keeps saying it */
	n.event = MSG_EV_REFILLED;
	hh_notify(h, &n, L0);
	view(h, L0, &v);
	cr_expect_str_eq(v.message, "Your pump was refilled: it holds 12.34 mL");
	cr_expect(has_line(&v, "Your clinic changed your prescription: press s to see it."));
	hh_set_screen(h, HH_SCR_STATUS);
	view(h, L0, &v);
	cr_expect(has_line(&v, "Dose button:    0.5 mg over 10 min, every 1 h at most"));
	hh_set_screen(h, HH_SCR_HOME);
	view(h, L0, &v);
	cr_expect(!has_line(&v, "Your clinic changed your prescription: press s to see it."),
	          "seen: no longer on the home screen");

	n.event = MSG_EV_REFILLED;
	n.state.reservoir_nl = 20000000;
	hh_notify(h, &n, L0);
	view(h, L0, &v);
	cr_expect_str_eq(v.message, "Your pump was refilled: it holds 20.00 mL");
	hh_free(h);
}

Test(hh, spans_in_words)
{
	char b[48];
	hh_fmt_span(45000, b, sizeof b);              cr_expect_str_eq(b, "45 s");
	hh_fmt_span(30 * MIN + 1000, b, sizeof b);    cr_expect_str_eq(b, "30 min 1 s");
	hh_fmt_span(30 * MIN, b, sizeof b);           cr_expect_str_eq(b, "30 min");
	hh_fmt_span(125 * MIN + 10000, b, sizeof b);  cr_expect_str_eq(b, "2 h 5 min");
	hh_fmt_span(24 * 60 * MIN, b, sizeof b);      cr_expect_str_eq(b, "1 day");
	hh_fmt_span(3 * 24 * 60 * MIN + 61 * MIN, b, sizeof b);
	cr_expect_str_eq(b, "3 days 1 h 1 min");
}

/* the remote's own battery (issue 14, "Faults a tester can inject"): it
 * drains with time and use, says so when low, stops when empty until new
 * batteries go in */
Test(hh, remote_battery_drains_with_time_and_use)
{
	hh *h = hh_new();
	struct hh_view v;
	hh_battery_config(h, 100000, 10);      /* 100 s of time, or 10 requests */
	hh_set_remote_battery(h, 100, 0);
	cr_expect_eq(hh_remote_battery(h, 0), 100);
	cr_expect_eq(hh_remote_battery(h, 50000), 50, "half the life: half the battery");
	cr_expect_eq(hh_light(h, HH_LIGHT_BATTERY, 50000), 0);
	/* the next visible change is the next percent: in 1 s */
	cr_expect_eq(hh_next_change(h, 50000), 51000u);
	hh_remote_use(h, 50000);
	cr_expect_eq(hh_remote_battery(h, 50000), 40, "a request: a tenth");
	cr_expect_eq(hh_remote_battery(h, 75000), 15);
	cr_expect_eq(hh_light(h, HH_LIGHT_BATTERY, 75000), 1);
	hh_link(h, HH_LINK_UP, 75000);
	struct msg_state s = base_state();
	s.flags &= (uint8_t)~MSG_F_SIMULATED;     /* a real pump: the remote's own time */
	hh_state(h, &s, 75000);
	hh_render(h, 75000, &v);
	cr_expect(has_line(&v, "Remote battery low (15%): put new batteries in soon (p)."));
	cr_expect_eq(v.lights[HH_LIGHT_BATTERY], 1);
	/* empty: the remote stops */
	cr_expect_eq(hh_remote_dead(h, 89999), 0);
	cr_expect_eq(hh_remote_battery(h, 89999), 1, "1% until truly empty");
	cr_expect_eq(hh_remote_dead(h, 90000), 1);
	hh_render(h, 90000, &v);
	cr_expect_str_eq(v.headline, "Remote batteries empty");
	cr_expect_str_eq(v.message, "Press p to put new batteries in (q quits)");
	cr_expect_str_eq(v.clock, "");
	for (int i = 0; i < HH_LIGHT_COUNT; i++)
		cr_expect_eq(v.lights[i], 0, "light %d off", i);
	cr_expect_eq(hh_bolus_press(h, 90000), 0, "no request without power");
	struct msg_state crit = with_alarm(MSG_ALARM_MOTOR_STALL, MSG_PRIO_HIGH);
	crit.flags &= (uint8_t)~MSG_F_SIMULATED;
	hh_state(h, &crit, 90000);
	cr_expect_eq(hh_bell(h, 90000), 0, "no bell without power");
	cr_expect_eq(hh_silence_press(h, 90000), 0);
	/* new batteries */
	hh_replace_batteries(h, 95000);
	cr_expect_eq(hh_remote_battery(h, 95000), 100);
	hh_render(h, 95000, &v);
	cr_expect_str_eq(v.message, "New batteries in the remote: 100%");
	cr_expect_str_eq(v.alarm_line, "ALARM: Pump motor stopped");
	cr_expect_eq(hh_bell(h, 95000), 2, "the alarm rings again");
	hh_free(h);
}

Test(hh, remote_battery_drains_with_simulated_time)
{
	hh *h = hh_new();
	hh_battery_config(h, 10ull * 86400000u, 0);   /* ten days */
	hh_link(h, HH_LINK_UP, L0);
	struct msg_state s = base_state();
	s.clock_speed = 60;
	hh_state(h, &s, L0);
	cr_expect_eq(hh_remote_battery(h, L0), 100);
	/* an hour of real time at 60 x is 2.5 days of pump time: 25% */
	cr_expect_eq(hh_remote_battery(h, L0 + 60 * MIN), 75);
	/* a skip of a day (the state arrives with the pump's clock a day on) */
	struct msg_state t = s;
	t.now_ms = T0 + 60 * 60 * MIN + 86400000u;
	hh_state(h, &t, L0 + 60 * MIN);
	cr_expect_eq(hh_remote_battery(h, L0 + 60 * MIN), 65);
	/* a clock set back recharges nothing */
	t.now_ms = T0;
	hh_state(h, &t, L0 + 60 * MIN);
	cr_expect_eq(hh_remote_battery(h, L0 + 60 * MIN), 65);
	/* frozen: no drain, and no timer for it */
	t.clock_speed = 0;
	hh_state(h, &t, L0 + 60 * MIN);
	cr_expect_eq(hh_remote_battery(h, L0 + 120 * MIN), 65);
	hh_free(h);
}

/* The clinic's alarm test: the remote rings the alarm's pattern once (two
 * bells for a critical one) and names it; no alarm is raised. */
/* verifies: SR-ALARM-009 */
Test(hh, alarm_test_rings_its_pattern_once_and_names_it)
{
	hh *h = up();
	struct hh_view v;
	struct msg_notify n;
	memset(&n, 0, sizeof n);
	n.event = MSG_EV_ALARM_TEST;
	n.alarm = MSG_ALARM_MOTOR_STALL;
	n.state = base_state();
	hh_notify(h, &n, L0);
	view(h, L0, &v);
	cr_expect_str_eq(v.message, "Alarm test: Pump motor stopped (this is its sound)");
	cr_expect_eq(v.message_tone, HH_TONE_ALERT);
	cr_expect_str_eq(v.alarm_line, "", "a test raises no alarm");
	cr_expect_eq(v.lights[HH_LIGHT_ALARM], 0);
	cr_expect_eq(hh_bell(h, L0), 2, "critical: the two-tone pattern");
	cr_expect_eq(hh_bell(h, L0 + 1000), 0, "once");
	n.alarm = MSG_ALARM_LOW_RESERVOIR;
	hh_notify(h, &n, L0 + 2000);
	view(h, L0 + 2000, &v);
	cr_expect_str_eq(v.message, "Alarm test: Low reservoir (this is its sound)");
	cr_expect_eq(hh_bell(h, L0 + 2000), 1, "non-critical: a single tone");
	cr_expect_eq(hh_bell(h, L0 + 3000), 0);
	hh_free(h);
}

/* A programming session left unconfirmed is visible to the patient; with
 * a stopped pump beside it, as an alert. */
/* verifies: SR-RX-005 */
Test(hh, programming_pending_is_shown)
{
	hh *h = up();
	struct hh_view v;
	struct msg_state s = base_state();
	s.has_ext = 1;
	s.ext = (struct msg_stage_ext){ MSG_SX_PENDING, 4, T0 };
	hh_state(h, &s, L0);
	view(h, L0, &v);
	cr_expect(has_line(&v, "Programming pending: your current prescription runs."));
	s.ext.flags |= MSG_SX_STOPPED;
	s.mode = MSG_MODE_STOPPED;
	s.flags &= (uint8_t)~MSG_F_INFUSING;
	hh_state(h, &s, L0 + 1);
	view(h, L0 + 1, &v);
	cr_expect(has_line(&v, "Pump STOPPED, programming pending: call your clinic."));
	s.ext = (struct msg_stage_ext){ 0, 0, 0 };
	hh_state(h, &s, L0 + 2);
	view(h, L0 + 2, &v);
	cr_expect(!has_line(&v, "Programming pending: your current prescription runs."));
	hh_free(h);
}

/* Whose bolus runs, in plain words, when the pump says (PROTOCOL.md 8.15):
 * a clinician's bridge bolus is not the patient's dose. */
/* verifies: SR-UI-001 */
Test(hh, a_clinic_bolus_says_what_it_is)
{
	hh *h = up();
	struct hh_view v;
	struct msg_state s = base_state();
	s.flags |= MSG_F_BOLUS_RUNNING;
	s.bolus_ends_ms = T0 + 54 * 60 * MIN;
	s.has_ext = 1;
	s.ext.flags = MSG_CBOLUS_BRIDGE << MSG_SX_BOLUS_SHIFT;
	hh_state(h, &s, L0);
	view(h, L0, &v);
	cr_expect(has_line(&v, "Clinic bolus running (bridge: the old drug in the catheter): "
	                       "ends in 54 h"), "%s", v.lines[0]);
	cr_expect(!has_line(&v, "Dose running: ends in 54 h"));
	s.ext.flags = MSG_CBOLUS_PRIME << MSG_SX_BOLUS_SHIFT;
	s.bolus_ends_ms = T0 + 12 * MIN;
	hh_state(h, &s, L0 + 1);
	view(h, L0 + 1, &v);
	cr_expect(has_line(&v, "Priming the catheter (filling it with drug): ends in 12 min"),
	          "%s", v.lines[0]);
	s.ext.flags = MSG_CBOLUS_SINGLE << MSG_SX_BOLUS_SHIFT;
	hh_state(h, &s, L0 + 2);
	view(h, L0 + 2, &v);
	cr_expect(has_line(&v, "Clinic bolus running (a single dose from your clinic): "
	                       "ends in 12 min"), "%s", v.lines[0]);
	/* the patient's own, or a pump that does not say: as before */
	s.ext.flags = 0;
	hh_state(h, &s, L0 + 3);
	view(h, L0 + 3, &v);
	cr_expect(has_line(&v, "Dose running: ends in 12 min"), "%s", v.lines[0]);
	s.has_ext = 0;
	hh_state(h, &s, L0 + 4);
	view(h, L0 + 4, &v);
	cr_expect(has_line(&v, "Dose running: ends in 12 min"), "%s", v.lines[0]);
	hh_free(h);
}
