/*
 * tests/test_pump.c — the pump model, one test per rule and per refusal
 * reason, with exact expected numbers.
 *
 * The default prescription (pump_rx_default): morphine 10 mg/mL in 20 mL,
 * continuous 3 mg/day, bolus 0.5 mg over 10 min, lockout 2 h, 6 per 24 h,
 * ceiling 7 mg, low reservoir at 2 mL.  3 mg/day is 125 000 ng an hour,
 * which at 10 mg/mL is 12 500 nL.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/lib/pumpfix.h"

/* ---- prescription ---------------------------------------------------------- */

Test(pump_rx, default_is_valid)
{
	pump_rx rx;
	const char *f = "x";
	pump_rx_default(&rx);
	cr_assert_eq(pump_rx_validate(&rx, &f), 0);
	cr_assert_null(f);
	cr_assert_eq(pump_rx_daily_ng(&rx), 3000000u);
}

/* verifies: SR-RX-001 */
Test(pump_rx, each_bad_field_is_named)
{
	struct { const char *field; pump_rx rx; } t[32];
	int n = 0;
	pump_rx base;
	pump_rx_default(&base);
#define BREAK(name, stmt) do { t[n].field = name; t[n].rx = base; \
	{ pump_rx *r = &t[n].rx; stmt; } n++; } while (0)
	BREAK("drug", r->drug[0] = '\0');
	BREAK("drug", r->drug[3] = '\n');
	BREAK("drug", memset(r->drug, 'a', sizeof r->drug));
	BREAK("concentration_ng_ml", r->concentration_ng_ml = 999);
	BREAK("concentration_ng_ml", r->concentration_ng_ml = 100000001u);
	BREAK("capacity_nl", r->capacity_nl = 30000000u);
	BREAK("mode", r->mode = 3);
	BREAK("rate_ng_day", r->rate_ng_day = 240000001u); /* > 24 mL/day */
	BREAK("n_steps", (r->mode = PUMP_MODE_FLEXIBLE, r->n_steps = 0));
	BREAK("n_steps", r->n_steps = 14);
	BREAK("steps.start_ms", (r->mode = PUMP_MODE_FLEXIBLE, r->n_steps = 1,
	                         r->steps[0].start_ms = 5));
	BREAK("steps.start_ms", (r->mode = PUMP_MODE_FLEXIBLE, r->n_steps = 2,
	                         r->steps[1].start_ms = 0));
	BREAK("steps.start_ms", (r->mode = PUMP_MODE_FLEXIBLE, r->n_steps = 2,
	                         r->steps[1].start_ms = (uint32_t)DAY));
	BREAK("steps", r->steps[5].rate_ng_day = 1);
	BREAK("bolus_dose_ng", r->bolus_dose_ng = 0);
	BREAK("bolus_dose_ng", r->bolus_dose_ng = 100000001u);
	BREAK("bolus_duration_ms", r->bolus_duration_ms = 59999);
	BREAK("bolus_duration_ms", r->bolus_duration_ms = 14400001u);
	BREAK("lockout_ms", r->lockout_ms = 9 * 60000);
	BREAK("lockout_ms", r->lockout_ms = 86400001u);
	BREAK("max_per_24h", r->max_per_24h = 0);
	BREAK("max_per_24h", r->max_per_24h = 49);
	BREAK("ceiling_ng_24h", r->ceiling_ng_24h = 3499999u); /* 3.5 mg - 1 */
	BREAK("low_threshold_nl", r->low_threshold_nl = 0);
	BREAK("low_threshold_nl", r->low_threshold_nl = 10000001u);
	BREAK("silence_ms", r->silence_ms = 59999);
	BREAK("battery_life_days", r->battery_life_days = 90);
	BREAK("battery_life_days", r->battery_life_days = 3651);
#undef BREAK
	for (int i = 0; i < n; i++) {
		const char *f = NULL;
		cr_expect_eq(pump_rx_validate(&t[i].rx, &f), PUMP_E_RANGE,
		             "case %d (%s)", i, t[i].field);
		cr_expect(f && strcmp(f, t[i].field) == 0, "case %d: want %s got %s",
		          i, t[i].field, f ? f : "(null)");
	}
	/* the smallest ceiling that fits a day of basal and one dose */
	base.ceiling_ng_24h = 3500000u;
	cr_assert_eq(pump_rx_validate(&base, NULL), 0);
	/* a flexible schedule: what it delivers in a day, not its highest
	 * step for a day (2.4 mg/day with 2 h at 4.8 mg/day is 2.6 mg a day;
	 * with a 0.75 mg dose a 3.35 mg ceiling fits) */
	pump_rx flex = base;
	flex.mode = PUMP_MODE_FLEXIBLE;
	flex.n_steps = 3;
	flex.steps[0] = (pump_step){ 0, 2400000u };
	flex.steps[1] = (pump_step){ (uint32_t)(20 * HOUR), 4800000u };
	flex.steps[2] = (pump_step){ (uint32_t)(22 * HOUR), 2400000u };
	flex.bolus_dose_ng = 750000u;
	flex.ceiling_ng_24h = 3350000u;
	cr_assert_eq(pump_rx_daily_ng(&flex), 2600000u);
	cr_assert_eq(pump_rx_validate(&flex, NULL), 0);
	flex.ceiling_ng_24h = 3349999u;
	cr_assert_eq(pump_rx_validate(&flex, NULL), PUMP_E_RANGE);
	/* a disabled bolus ignores zero bolus fields */
	base.bolus_enabled = false;
	base.bolus_dose_ng = base.bolus_duration_ms = base.lockout_ms = 0;
	base.max_per_24h = 0;
	cr_assert_eq(pump_rx_validate(&base, NULL), 0);
}

/* verifies: SR-RX-001 */
Test(pump_rx, init_refuses_bad_input_and_leaves_pump)
{
	pump_rx rx;
	pump p, before;
	pump_rx_default(&rx);
	memset(&p, 0x5a, sizeof p);
	before = p;
	cr_assert_eq(pump_init(&p, &rx, T0, 20000001u), PUMP_E_RANGE);
	cr_assert_eq(pump_init(&p, &rx, -1, 1000), PUMP_E_RANGE);
	rx.capacity_nl = 1;
	cr_assert_eq(pump_init(&p, &rx, T0, 1000), PUMP_E_RANGE);
	cr_assert_eq(memcmp(&p, &before, sizeof p), 0);
}

/* ---- delivery ------------------------------------------------------------- */

/* verifies: SR-DELIV-001 */
Test(pump_delivery, basal_one_hour_exact)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	pump_advance(&p, T0 + HOUR, NULL, NULL);
	pump_snapshot s;
	pump_status(&p, T0 + HOUR, &s);
	cr_assert_eq(s.basal_ng, 125000u);
	cr_assert_eq(s.bolus_ng, 0u);
	cr_assert_eq(s.reservoir_nl, 19987500u);
	cr_assert_eq(s.delivered_nl, 12500u);
	cr_assert_eq(s.basal_ng_day, 3000000u);
	cr_assert(s.delivering);
}

/* verifies: SR-DELIV-001 */
Test(pump_delivery, no_drift_whatever_the_step)
{
	/* 1 ms steps for a minute equal one jump of a minute: 3e6 ng/day over
	 * 60 000 ms is 2083.33 ng, floor 2083, with nothing lost per step */
	pump a = pumpfix_fresh(NULL, 20000000u), b = a;
	for (int64_t t = 1; t <= MIN; t++)
		pump_advance(&a, T0 + t, NULL, NULL);
	pump_advance(&b, T0 + MIN, NULL, NULL);
	cr_assert_eq(a.basal_ng, 2083u);
	cr_assert_eq(b.basal_ng, 2083u);
	cr_assert_eq(a.basal_rem, b.basal_rem);
	cr_assert_eq(pump_reservoir_nl(&a), pump_reservoir_nl(&b));
	/* a day in 7 ms pieces: exactly 3 000 000 ng */
	pump c = pumpfix_fresh(NULL, 20000000u);
	for (int64_t t = 0; t < DAY; t += 7 * 60000 + 7)
		pump_advance(&c, T0 + t, NULL, NULL);
	pump_advance(&c, T0 + DAY, NULL, NULL);
	cr_assert_eq(c.basal_ng, 3000000u);
	cr_assert_eq(pump_reservoir_nl(&c), 20000000u - 300000u);
}

/* verifies: SR-DELIV-001 */
Test(pump_delivery, bolus_runs_with_basal)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(r.dose_ng, 500000u);
	cr_assert_eq(r.ends_at_ms, T0 + 10 * MIN);
	cr_assert_eq(pump_next_event(&p), T0 + 10 * MIN);
	pump_advance(&p, T0 + 5 * MIN, NULL, NULL);
	cr_assert_eq(p.bolus_ng, 250000u);
	cr_assert_eq(p.basal_ng, 10416u); /* 3e6 * 300000 / 86400000 = 10416.7 */
	pumpfix_log l = { 0 };
	pump_advance(&p, T0 + HOUR, pumpfix_record, &l);
	const pump_event *e = pumpfix_find(&l, PUMP_EV_BOLUS_END, -1);
	cr_assert_not_null(e);
	cr_assert_eq(e->at_ms, T0 + 10 * MIN);
	cr_assert_eq(e->value, 500000);
	cr_assert_eq(p.bolus_ng, 500000u);
	cr_assert_eq(p.basal_ng, 125000u);
	/* 625 000 ng at 10 mg/mL = 62 500 nL */
	cr_assert_eq(pump_reservoir_nl(&p), 20000000u - 62500u);
}

/* verifies: SR-DELIV-004 */
Test(pump_delivery, flexible_steps_change_at_their_time)
{
	pump_rx rx;
	pump_rx_default(&rx);
	rx.mode = PUMP_MODE_FLEXIBLE;
	rx.n_steps = 3;
	rx.steps[0] = (pump_step){ 0, 2400000u };
	rx.steps[1] = (pump_step){ (uint32_t)(6 * HOUR), 4800000u };
	rx.steps[2] = (pump_step){ (uint32_t)(18 * HOUR), 2400000u };
	rx.ceiling_ng_24h = 0;
	cr_assert_eq(pump_rx_daily_ng(&rx), 3600000u);
	cr_assert_eq(pump_rx_max_rate(&rx), 4800000u);
	pump p = pumpfix_fresh(&rx, 20000000u);
	cr_assert_eq(pump_next_event(&p), T0 + 6 * HOUR);
	pumpfix_log l = { 0 };
	pump_advance(&p, T0 + DAY, pumpfix_record, &l);
	cr_assert_eq(l.n, 2);
	cr_assert_eq(l.ev[0].kind, PUMP_EV_STEP_CHANGE);
	cr_assert_eq(l.ev[0].at_ms, T0 + 6 * HOUR);
	cr_assert_eq(l.ev[0].value, 4800000);
	cr_assert_eq(l.ev[1].at_ms, T0 + 18 * HOUR);
	cr_assert_eq(l.ev[1].value, 2400000);
	/* 6 h at 2.4 + 12 h at 4.8 + 6 h at 2.4 mg/day = 0.6 + 2.4 + 0.6 mg */
	cr_assert_eq(p.basal_ng, 3600000u);
}

/* verifies: SR-DELIV-002 SR-DELIV-003 SR-ALARM-001 SR-ALARM-002 */
Test(pump_delivery, empty_at_the_exact_ms)
{
	/* 1000 nL at 10 mg/mL holds 10 000 ng; 3 mg/day delivers that in
	 * exactly 288 000 ms */
	pump p = pumpfix_fresh(NULL, 1000u);
	cr_assert(p.alarms[PUMP_ALARM_LOW_RESERVOIR].active);
	cr_assert_eq(pump_next_event(&p), T0 + 288000);
	pumpfix_log l = { 0 };
	pump_advance(&p, T0 + HOUR, pumpfix_record, &l);
	const pump_event *e = pumpfix_find(&l, PUMP_EV_ALARM_RAISED, PUMP_ALARM_EMPTY);
	cr_assert_not_null(e);
	cr_assert_eq(e->at_ms, T0 + 288000);
	cr_assert_eq(p.basal_ng, 10000u);
	cr_assert_eq(pump_reservoir_nl(&p), 0u);
	cr_assert_eq(p.alarms[PUMP_ALARM_EMPTY].raised_ms, T0 + 288000);
	pump_snapshot s;
	pump_status(&p, T0 + HOUR, &s);
	cr_assert_not(s.delivering);
	cr_assert_eq(s.delivered_nl, 1000u);
	cr_assert_eq(s.alarms[0].id, PUMP_ALARM_EMPTY);
	cr_assert_eq(s.alarms[0].priority, PUMP_PRIO_HIGH);
}

/* verifies: SR-DELIV-002 SR-BOLUS-006 */
Test(pump_delivery, empty_cuts_a_running_bolus)
{
	/* 50 000 nL = 500 000 ng: basal 20 000 + bolus 480 000 at 576 000 ms */
	pump p = pumpfix_fresh(NULL, 50000u);
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	pumpfix_log l = { 0 };
	pump_advance(&p, T0 + HOUR, pumpfix_record, &l);
	const pump_event *a = pumpfix_find(&l, PUMP_EV_BOLUS_ABORTED, -1);
	const pump_event *e = pumpfix_find(&l, PUMP_EV_ALARM_RAISED, PUMP_ALARM_EMPTY);
	cr_assert_not_null(a);
	cr_assert_not_null(e);
	cr_assert_eq(e->at_ms, T0 + 576000);
	cr_assert_eq(a->at_ms, T0 + 576000);
	cr_assert_eq(a->value, 480000);
	cr_assert_eq(p.basal_ng, 20000u);
	cr_assert_eq(p.bolus_ng, 480000u);
	cr_assert_eq(pump_reservoir_nl(&p), 0u);
	cr_assert_null(pumpfix_find(&l, PUMP_EV_BOLUS_END, -1));
}

/* verifies: SR-ALARM-001 */
Test(pump_delivery, low_threshold_at_the_exact_ms)
{
	/* 12 500 nL above the 2 mL threshold: exactly one hour of basal */
	pump p = pumpfix_fresh(NULL, 2012500u);
	cr_assert_not(p.alarms[PUMP_ALARM_LOW_RESERVOIR].active);
	cr_assert_eq(pump_next_event(&p), T0 + HOUR);
	pumpfix_log l = { 0 };
	pump_advance(&p, T0 + 2 * HOUR, pumpfix_record, &l);
	cr_assert_eq(l.n, 1);
	cr_assert_eq(l.ev[0].kind, PUMP_EV_ALARM_RAISED);
	cr_assert_eq(l.ev[0].alarm, PUMP_ALARM_LOW_RESERVOIR);
	cr_assert_eq(l.ev[0].at_ms, T0 + HOUR);
	cr_assert_eq(pump_alarm_priority(PUMP_ALARM_LOW_RESERVOIR),
	             PUMP_PRIO_MEDIUM);
	/* low is not critical: drug still flows */
	pump_snapshot s;
	pump_status(&p, T0 + 2 * HOUR, &s);
	cr_assert(s.delivering);
	cr_assert_eq(s.reservoir_nl, 2012500u - 25000u);
}

/* ---- bolus outcomes ------------------------------------------------------- */

/* verifies: SR-BOLUS-001 SR-AUDIT-002 */
Test(pump_bolus, lockout_from_start_of_last_grant)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_bolus(&p, T0 + HOUR, &r, NULL, NULL), PUMP_BOLUS_LOCKOUT);
	cr_assert_eq(r.wait_ms, HOUR);
	cr_assert_eq(r.next_at_ms, T0 + 2 * HOUR);
	cr_assert_eq(pump_bolus(&p, T0 + 2 * HOUR - 1, &r, NULL, NULL), PUMP_BOLUS_LOCKOUT);
	cr_assert_eq(r.wait_ms, 1);
	cr_assert_eq(pump_bolus(&p, T0 + 2 * HOUR, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(p.outcomes[PUMP_BOLUS_LOCKOUT], 2u);
	cr_assert_eq(p.outcomes[PUMP_BOLUS_GRANTED], 2u);
}

/* verifies: SR-BOLUS-009 */
Test(pump_bolus, the_limit_that_holds_last_is_the_one_reported)
{
	/* at most 2 in 24 h, 2 h lockout: two boluses 2 h apart, a third
	 * press 30 min later.  The lockout ends in 1 h 30 min, but then the
	 * daily count holds until the first bolus is 24 h old: the patient is
	 * told the daily limit and 21 h 30 min, as the state says */
	pump_rx rx;
	pump_rx_default(&rx);
	rx.max_per_24h = 2;
	rx.ceiling_ng_24h = 0;
	pump p = pumpfix_fresh(&rx, 20000000u);
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_bolus(&p, T0 + 2 * HOUR, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_bolus(&p, T0 + 2 * HOUR + 30 * MIN, &r, NULL, NULL),
	             PUMP_BOLUS_DAILY_COUNT);
	cr_assert_eq(r.next_at_ms, T0 + DAY);
	cr_assert_eq(r.wait_ms, 21 * HOUR + 30 * MIN);
	pump_snapshot s;
	pump_status(&p, T0 + 2 * HOUR + 30 * MIN, &s);
	cr_assert_eq(s.bolus_now, PUMP_BOLUS_DAILY_COUNT);
	cr_assert_eq(s.next_bolus_ms, T0 + DAY);
	/* the counters count the reason reported */
	cr_assert_eq(p.outcomes[PUMP_BOLUS_DAILY_COUNT], 1u);
	cr_assert_eq(p.outcomes[PUMP_BOLUS_LOCKOUT], 0u);
	cr_assert_eq(pump_bolus(&p, T0 + DAY - 1, &r, NULL, NULL), PUMP_BOLUS_DAILY_COUNT);
	cr_assert_eq(pump_bolus(&p, T0 + DAY, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	/* the lockout and the count both end at T0 + 26 h: the lockout,
	 * checked first, is named */
	cr_assert_eq(pump_bolus(&p, T0 + DAY + HOUR, &r, NULL, NULL), PUMP_BOLUS_LOCKOUT);
	cr_assert_eq(r.next_at_ms, T0 + 2 * HOUR + DAY);
}

/* verifies: SR-BOLUS-011 SR-BOLUS-003 */
Test(pump_bolus, a_ceiling_counted_as_a_clinician_counts)
{
	/* 6 mg/day of basal, 0.5 mg boluses, a 7 mg ceiling: after a day of
	 * basal two boluses fit (6 + 0.5 + 0.5 = 7), a third does not until
	 * the first is a day old */
	pump_rx rx;
	pump_rx_default(&rx);
	rx.rate_ng_day = 6000000u;
	rx.ceiling_ng_24h = 7000000u;
	cr_assert_eq(pump_rx_validate(&rx, NULL), 0);
	pump p = pumpfix_fresh(&rx, 20000000u);
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0 + DAY, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_bolus(&p, T0 + DAY + 2 * HOUR, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_bolus(&p, T0 + DAY + 4 * HOUR, &r, NULL, NULL), PUMP_BOLUS_CEILING);
	cr_assert_eq(r.next_at_ms, T0 + 2 * DAY);
	cr_assert_eq(pump_bolus(&p, T0 + 2 * DAY, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	/* a ceiling below a day of basal and one dose is refused */
	rx.ceiling_ng_24h = 6499999u;
	const char *f = NULL;
	cr_assert_eq(pump_rx_validate(&rx, &f), PUMP_E_RANGE);
	cr_assert_str_eq(f, "ceiling_ng_24h");
}

/* verifies: SR-BOLUS-004 SR-BOLUS-008 */
Test(pump_bolus, running)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_bolus(&p, T0 + 5 * MIN, &r, NULL, NULL), PUMP_BOLUS_RUNNING);
	cr_assert_eq(r.next_at_ms, T0 + 2 * HOUR);
	cr_assert_eq(r.wait_ms, 2 * HOUR - 5 * MIN);
	cr_assert_eq(p.outcomes[PUMP_BOLUS_RUNNING], 1u);
}

/* verifies: SR-BOLUS-002 */
Test(pump_bolus, daily_count_rolling_window)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	pump_bolus_result r;
	for (int i = 0; i < 6; i++)
		cr_assert_eq(pump_bolus(&p, T0 + i * 2 * HOUR, &r, NULL, NULL),
		             PUMP_BOLUS_GRANTED, "bolus %d", i);
	cr_assert_eq(pump_bolus(&p, T0 + 12 * HOUR, &r, NULL, NULL), PUMP_BOLUS_DAILY_COUNT);
	cr_assert_eq(r.next_at_ms, T0 + DAY); /* oldest start + 24 h */
	cr_assert_eq(r.wait_ms, 12 * HOUR);
	cr_assert_eq(pump_bolus(&p, T0 + DAY - 1, &r, NULL, NULL), PUMP_BOLUS_DAILY_COUNT);
	cr_assert_eq(r.wait_ms, 1);
	cr_assert_eq(pump_bolus(&p, T0 + DAY, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	/* the second start leaves the window only at T0 + 2 h + 24 h */
	cr_assert_eq(pump_bolus(&p, T0 + DAY + 2 * HOUR - 1, &r, NULL, NULL),
	             PUMP_BOLUS_LOCKOUT);
	cr_assert_eq(pump_bolus(&p, T0 + DAY + 2 * HOUR, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(p.outcomes[PUMP_BOLUS_DAILY_COUNT], 2u);
	pump_snapshot s;
	pump_status(&p, T0 + DAY + 2 * HOUR, &s);
	cr_assert_eq(s.boluses_24h, 6u);
}

/* verifies: SR-BOLUS-003 */
Test(pump_bolus, ceiling_counts_committed_drug)
{
	pump_rx rx;
	pump_rx_default(&rx);
	/* a day of basal and two doses, exactly: two fit, as a clinician
	 * counts (3 + 0.5 + 0.5 = 4 mg) */
	rx.ceiling_ng_24h = 3000000u + 2u * 500000u;
	pump p = pumpfix_fresh(&rx, 20000000u);
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_bolus(&p, T0 + 2 * HOUR, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_bolus(&p, T0 + 4 * HOUR, &r, NULL, NULL), PUMP_BOLUS_CEILING);
	/* a third fits once no 24 h window can hold it beside both others:
	 * from T0 + 24 h, a window holding part of the new one holds as much
	 * less of the first (both run 10 min at the same rate); 1 ms earlier
	 * the window (T0, T0 + 24 h] would hold the first whole and 1 ms
	 * (0.83 ng, counted as 1) of the new one */
	cr_assert_eq(r.next_at_ms, T0 + DAY);
	cr_assert_eq(r.wait_ms, DAY - 4 * HOUR);
	cr_assert_eq(pump_bolus(&p, T0 + DAY - 1, &r, NULL, NULL), PUMP_BOLUS_CEILING);
	cr_assert_eq(pump_bolus(&p, T0 + DAY, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(p.outcomes[PUMP_BOLUS_CEILING], 2u);
}

/* verifies: SR-BOLUS-003 SR-WIN-002 */
Test(pump_bolus, ceiling_uses_the_exact_bound_after_reprogram)
{
	pump_rx rx;
	pump_rx_default(&rx);
	rx.ceiling_ng_24h = 6500000u;
	pump p = pumpfix_fresh(&rx, 20000000u), same = p;
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_bolus(&same, T0, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	pump tight = p;
	/* at 01:00, flexible: the same 3 mg daily total but nothing until
	 * noon and 6 mg/day after.  The fullest 24 h across the change is
	 * (T0, T0 + 24 h]: 1 h of 3 mg/day (125 000) and the new day
	 * (3 000 000), so 3 125 000 of basal, with both boluses 4 125 000
	 * (the rule before issue 13 took a day at 6 mg/day) */
	pump_rx f = rx;
	f.mode = PUMP_MODE_FLEXIBLE;
	f.n_steps = 2;
	f.steps[0] = (pump_step){ 0, 0 };
	f.steps[1] = (pump_step){ (uint32_t)(12 * HOUR), 6000000u };
	f.ceiling_ng_24h = 4125000u;
	cr_assert_eq(pump_program(&p, T0 + HOUR, &f, NULL, NULL, NULL), 0);
	cr_assert_eq(p.change_bound_ng, 3125000u);
	cr_assert_eq(p.peak_rate_ng_day, 6000000u);
	cr_assert_eq(pump_bolus(&p, T0 + 2 * HOUR, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	/* a ceiling 1 ng lower: that window would pass it */
	f.ceiling_ng_24h = 4124999u;
	cr_assert_eq(pump_program(&tight, T0 + HOUR, &f, NULL, NULL, NULL), 0);
	cr_assert_eq(pump_bolus(&tight, T0 + 2 * HOUR, &r, NULL, NULL),
	             PUMP_BOLUS_CEILING);
	/* unchanged program: 3 000 000 + 500 000 + 500 000 fits */
	cr_assert_eq(pump_bolus(&same, T0 + 2 * HOUR, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
}

/* verifies: SR-WIN-002 */
Test(pump_bolus, reprogram_keeping_the_basal_keeps_the_daily_bound)
{
	pump_rx rx;
	pump_rx_default(&rx);
	rx.mode = PUMP_MODE_FLEXIBLE; /* 3 mg a day, all of it after noon */
	rx.n_steps = 2;
	rx.steps[0] = (pump_step){ 0, 0 };
	rx.steps[1] = (pump_step){ (uint32_t)(12 * HOUR), 6000000u };
	rx.ceiling_ng_24h = 6500000u;
	pump a = pumpfix_fresh(&rx, 20000000u);
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&a, T0, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	pump b = a;
	/* only the bolus lockout and the ceiling change: 3 000 000 +
	 * 2 x 500 000 fits 4 mg */
	pump_rx same = rx;
	same.lockout_ms = (uint32_t)HOUR;
	same.ceiling_ng_24h = 4000000u;
	cr_assert_eq(pump_program(&a, T0 + HOUR, &same, NULL, NULL, NULL), 0);
	cr_assert_eq(pump_bolus(&a, T0 + HOUR, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	/* the basal changes to 6.1 mg/day after noon: (T0, T0 + 24 h] holds
	 * 1 h of nothing and 12 h of 6.1 mg/day, 3 050 000, and both
	 * boluses: 50 000 too much */
	pump_rx other = same;
	other.steps[1].rate_ng_day = 6100000u;
	cr_assert_eq(pump_program(&b, T0 + HOUR, &other, NULL, NULL, NULL), 0);
	cr_assert_eq(b.change_bound_ng, 3050000u);
	cr_assert_eq(pump_bolus(&b, T0 + HOUR, &r, NULL, NULL), PUMP_BOLUS_CEILING);
}

/* The pumpd(8) example (2.4 mg/day, 22:00-24:00 at 4.8 mg/day: 2.6 mg a
 * day, a 0.75 mg dose, a 3.35 mg ceiling) PROGRAMmed at 22:00 on a pump
 * that ran 3 mg/day for two days: the fullest 24 h across the change holds
 * 22 h of 3 mg/day and the 2 h step, 2 750 000 + 400 000 = 3 150 000. */
static pump_rx pumpd_example(uint32_t ceiling)
{
	pump_rx f;
	pump_rx_default(&f);
	f.mode = PUMP_MODE_FLEXIBLE;
	f.n_steps = 2;
	f.steps[0] = (pump_step){ 0, 2400000u };
	f.steps[1] = (pump_step){ (uint32_t)(22 * HOUR), 4800000u };
	f.bolus_dose_ng = 750000u;
	f.ceiling_ng_24h = ceiling;
	return f;
}

/* verifies: SR-BOLUS-011 SR-WIN-002 */
Test(pump_bolus, pumpd_example_is_programmable_on_a_fresh_pump)
{
	pump_rx rx;
	pump_rx_default(&rx);   /* 3 mg/day */
	rx.bolus_dose_ng = 750000u;
	rx.ceiling_ng_24h = 6500000u;
	pump p = pumpfix_fresh(&rx, 20000000u);
	int64_t t = T0 + 2 * DAY + 22 * HOUR;
	pump_rx f = pumpd_example(3350000u);
	pump q = p;
	cr_assert_eq(pump_program(&q, t, &f, NULL, NULL, NULL), 0);
	cr_assert_eq(q.change_bound_ng, 3150000u);
	/* with a bolus in the last day the change needs 3 150 000 + 750 000 */
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, t - HOUR, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	q = p;
	f = pumpd_example(3900000u);
	cr_assert_eq(pump_program(&q, t, &f, NULL, NULL, NULL), 0);
	q = p;
	f = pumpd_example(3899999u);
	const char *field = NULL;
	cr_assert_eq(pump_program(&q, t, &f, &field, NULL, NULL), PUMP_E_CEILING);
	cr_assert_str_eq(field, "ceiling_ng_24h");
	cr_assert_eq(memcmp(&q, &p, sizeof p), 0, "a refusal changes nothing");
}

/* 3 -> 2 -> 3 mg/day within a day (continuous): the bound after the
 * second change is that of the windows before the first (3 mg), no more
 * than the rate rule's, and exact. */
/* verifies: SR-WIN-002 */
Test(pump_bolus, reprogram_back_and_forth_is_no_worse_than_the_rate_rule)
{
	pump_rx rx;
	pump_rx_default(&rx);
	rx.rate_ng_day = 3000000u;
	rx.ceiling_ng_24h = 3500000u;
	pump p = pumpfix_fresh(&rx, 20000000u);
	pump_rx two = rx;
	two.rate_ng_day = 2000000u;
	cr_assert_eq(pump_program(&p, T0 + 2 * DAY, &two, NULL, NULL, NULL), 0);
	cr_assert_eq(p.change_bound_ng, 3000000u);
	cr_assert_eq(pump_program(&p, T0 + 2 * DAY + 6 * HOUR, &rx, NULL, NULL,
	                          NULL), 0);
	cr_assert_eq(p.change_bound_ng, 3000000u);
	cr_assert_eq(p.peak_rate_ng_day, 3000000u);
	/* a bolus fits 3 000 000 + 500 000 */
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0 + 2 * DAY + 7 * HOUR, &r, NULL, NULL),
	             PUMP_BOLUS_GRANTED);
}

/* A change within a day of another: windows from before the first change
 * hold at most its bound and what the new schedule adds to the one it
 * replaces (P + D). */
/* verifies: SR-WIN-002 */
Test(pump_bolus, two_changes_in_a_day_add_the_second_ones_gain)
{
	pump_rx rx;
	pump_rx_default(&rx);
	rx.mode = PUMP_MODE_FLEXIBLE;  /* nothing until noon, 6 mg/day after */
	rx.n_steps = 2;
	rx.steps[0] = (pump_step){ 0, 0 };
	rx.steps[1] = (pump_step){ (uint32_t)(12 * HOUR), 6000000u };
	rx.ceiling_ng_24h = 0;
	pump p = pumpfix_fresh(&rx, 20000000u);
	/* 01:00: 3 mg/day.  The fullest window starts at noon the day
	 * before: 12 h of 6 mg/day, 1 h of nothing, 11 h of 3 mg/day:
	 * 3 000 000 + 1 375 000 */
	pump_rx three;
	pump_rx_default(&three);
	three.ceiling_ng_24h = 0;
	cr_assert_eq(pump_program(&p, T0 + DAY + HOUR, &three, NULL, NULL, NULL), 0);
	cr_assert_eq(p.change_bound_ng, 4375000u);
	/* 02:00: 3.1 mg/day, which holds at most 100 000 more than 3 mg/day
	 * in the next 24 h: 4 475 000, below the rate rule's 6 000 000 (the
	 * window from noon really holds 3 000 000 + 125 000 + 1 291 666) */
	pump_rx more = three;
	more.rate_ng_day = 3100000u;
	cr_assert_eq(pump_program(&p, T0 + DAY + 2 * HOUR, &more, NULL, NULL,
	                          NULL), 0);
	cr_assert_eq(p.change_bound_ng, 4475000u);
	cr_assert_eq(p.peak_rate_ng_day, 6000000u);
}

/* verifies: SR-BOLUS-004 */
Test(pump_bolus, disabled)
{
	pump_rx rx;
	pump_rx_default(&rx);
	rx.bolus_enabled = false;
	pump p = pumpfix_fresh(&rx, 20000000u);
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0, &r, NULL, NULL), PUMP_BOLUS_DISABLED);
	cr_assert_eq(r.next_at_ms, 0);
	cr_assert_eq(p.outcomes[PUMP_BOLUS_DISABLED], 1u);
	cr_assert_eq(p.bolus_ng, 0u);
}

/* verifies: SR-BOLUS-005 */
Test(pump_bolus, reservoir_too_low)
{
	/* 40 000 nL at 10 mg/mL = 400 000 ng < 500 000 ng dose */
	pump p = pumpfix_fresh(NULL, 40000u);
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0, &r, NULL, NULL), PUMP_BOLUS_RESERVOIR_LOW);
	/* exactly one dose left is enough */
	pump q = pumpfix_fresh(NULL, 50000u);
	cr_assert_eq(pump_bolus(&q, T0, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
}

/* verifies: SR-BOLUS-006 SR-DELIV-003 */
Test(pump_bolus, stopped)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	pump_bolus_result r;
	cr_assert_eq(pump_set_running(&p, T0, false, NULL, NULL), 0);
	cr_assert_eq(pump_bolus(&p, T0 + 1, &r, NULL, NULL), PUMP_BOLUS_STOPPED);
	cr_assert_eq(pump_set_running(&p, T0 + 2, true, NULL, NULL), 0);
	pump_rx rx = p.rx;
	rx.mode = PUMP_MODE_STOPPED;
	cr_assert_eq(pump_program(&p, T0 + 3, &rx, NULL, NULL, NULL), 0);
	cr_assert_eq(pump_bolus(&p, T0 + 4, &r, NULL, NULL), PUMP_BOLUS_STOPPED);
	cr_assert_eq(p.outcomes[PUMP_BOLUS_STOPPED], 2u);
	/* no drug while stopped */
	pump_advance(&p, T0 + DAY, NULL, NULL);
	cr_assert_eq(p.basal_ng, 0u);
}

/* verifies: SR-BOLUS-006 SR-ALARM-005 */
Test(pump_bolus, critical_alarm)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	pump_bolus_result r;
	cr_assert_eq(pump_fault(&p, T0, PUMP_FAULT_MOTOR_STALL, 0, NULL, NULL), 0);
	cr_assert_eq(pump_bolus(&p, T0 + 1, &r, NULL, NULL), PUMP_BOLUS_CRITICAL);
	cr_assert_eq(r.alarm, PUMP_ALARM_MOTOR_STALL);
	cr_assert_str_eq(pump_outcome_name(r.outcome), "critical");
	cr_assert_eq(pump_clear(&p, T0 + 2, PUMP_ALARM_MOTOR_STALL, NULL, NULL), 0);
	cr_assert_eq(pump_bolus(&p, T0 + 3, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
}

/* verifies: SR-BOLUS-001 SR-BOLUS-006 */
Test(pump_bolus, critical_alarm_aborts_running_bolus)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_fault(&p, T0 + 3 * MIN, PUMP_FAULT_MEMORY_CRITICAL, 0, NULL, NULL),
	             0);
	cr_assert_not(p.bolus_running);
	cr_assert_eq(p.bolus_ng, 150000u);
	pump_advance(&p, T0 + HOUR, NULL, NULL);
	cr_assert_eq(p.bolus_ng, 150000u);
	/* the aborted bolus still counts for lockout */
	cr_assert_eq(pump_clear(&p, T0 + HOUR, PUMP_ALARM_MEMORY_CRITICAL, NULL, NULL), 0);
	cr_assert_eq(pump_bolus(&p, T0 + HOUR, &r, NULL, NULL), PUMP_BOLUS_LOCKOUT);
	cr_assert_eq(r.next_at_ms, T0 + 2 * HOUR);
}

/* verifies: SR-TIME-001 */
Test(pump_bolus, clock_backwards_never_shortens_lockout)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0 + HOUR, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_bolus(&p, T0 + HOUR + 30 * MIN, &r, NULL, NULL), PUMP_BOLUS_LOCKOUT);
	cr_assert_eq(r.wait_ms, 90 * MIN);
	cr_assert_eq(pump_bolus(&p, T0 - 5 * HOUR, &r, NULL, NULL), PUMP_BOLUS_LOCKOUT);
	cr_assert_eq(r.at_ms, T0 + HOUR + 30 * MIN);
	cr_assert_eq(r.wait_ms, 90 * MIN);
	cr_assert_eq(r.next_at_ms, T0 + 3 * HOUR);
	cr_assert_eq(p.now_ms, T0 + HOUR + 30 * MIN);
}

/* verifies: SR-WIN-001 */
Test(pump_bolus, window_survives_stop_start_and_reprogram)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	pump_bolus_result r;
	for (int i = 0; i < 6; i++)
		cr_assert_eq(pump_bolus(&p, T0 + i * 2 * HOUR, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_set_running(&p, T0 + 11 * HOUR, false, NULL, NULL), 0);
	cr_assert_eq(pump_set_running(&p, T0 + 12 * HOUR, true, NULL, NULL), 0);
	pump_rx rx = p.rx;
	rx.lockout_ms = (uint32_t)(30 * MIN);
	rx.max_per_24h = 6;
	cr_assert_eq(pump_program(&p, T0 + 13 * HOUR, &rx, NULL, NULL, NULL), 0);
	cr_assert_eq(pump_bolus(&p, T0 + 14 * HOUR, &r, NULL, NULL), PUMP_BOLUS_DAILY_COUNT);
	cr_assert_eq(r.next_at_ms, T0 + DAY);
	/* lowering the count below what is in the window: wait for more to go */
	rx.max_per_24h = 4;
	cr_assert_eq(pump_program(&p, T0 + 15 * HOUR, &rx, NULL, NULL, NULL), 0);
	cr_assert_eq(pump_bolus(&p, T0 + 16 * HOUR, &r, NULL, NULL), PUMP_BOLUS_DAILY_COUNT);
	cr_assert_eq(r.next_at_ms, T0 + 4 * HOUR + DAY);
}

/* verifies: SR-BOLUS-004 SR-BOLUS-008 SR-AUDIT-002 */
Test(pump_bolus, counts_by_reason)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	pump_bolus_result r;
	pump_bolus(&p, T0, &r, NULL, NULL);
	pump_bolus(&p, T0 + MIN, &r, NULL, NULL);
	pump_bolus(&p, T0 + HOUR, &r, NULL, NULL);
	pump_bolus(&p, T0 + HOUR + 1, &r, NULL, NULL);
	pump_snapshot s;
	pump_status(&p, T0 + HOUR + 1, &s);
	cr_assert_eq(s.outcomes[PUMP_BOLUS_GRANTED], 1u);
	cr_assert_eq(s.outcomes[PUMP_BOLUS_RUNNING], 1u);
	cr_assert_eq(s.outcomes[PUMP_BOLUS_LOCKOUT], 2u);
	cr_assert_eq(s.bolus_now, PUMP_BOLUS_LOCKOUT);
	cr_assert_eq(s.next_bolus_ms, T0 + 2 * HOUR);
}

/* ---- alarms --------------------------------------------------------------- */

/* verifies: SR-ALARM-003 */
Test(pump_alarm, silence_then_resound)
{
	pump p = pumpfix_fresh(NULL, 1000000u); /* below the threshold: low at once */
	cr_assert(p.alarms[PUMP_ALARM_LOW_RESERVOIR].active);
	cr_assert_eq(pump_silence(&p, T0 + MIN, PUMP_ALARM_ALL, NULL, NULL), 0);
	cr_assert_eq(p.alarms[PUMP_ALARM_LOW_RESERVOIR].silenced_until_ms,
	             T0 + MIN + HOUR);
	cr_assert_eq(pump_next_event(&p), T0 + MIN + HOUR);
	pumpfix_log l = { 0 };
	pump_advance(&p, T0 + 3 * HOUR, pumpfix_record, &l);
	const pump_event *e = pumpfix_find(&l, PUMP_EV_ALARM_RESOUND,
	                              PUMP_ALARM_LOW_RESERVOIR);
	cr_assert_not_null(e);
	cr_assert_eq(e->at_ms, T0 + MIN + HOUR);
	cr_assert_eq(p.alarms[PUMP_ALARM_LOW_RESERVOIR].silenced_until_ms, 0);
	cr_assert_eq(pump_silence(&p, T0, PUMP_ALARM_MOTOR_STALL, NULL, NULL),
	             PUMP_E_NOT_ACTIVE);
	cr_assert_eq(pump_silence(&p, T0, 99, NULL, NULL), PUMP_E_INVAL);
}

/* verifies: SR-ALARM-004 */
Test(pump_alarm, clear_only_when_cause_gone)
{
	pump p = pumpfix_fresh(NULL, 1000000u);
	cr_assert_eq(pump_clear(&p, T0, PUMP_ALARM_LOW_RESERVOIR, NULL, NULL), PUMP_E_CAUSE);
	cr_assert_eq(pump_clear(&p, T0, PUMP_ALARM_EMPTY, NULL, NULL), PUMP_E_NOT_ACTIVE);
	cr_assert_eq(pump_refill(&p, T0 + HOUR, 20000000u, 10000000u, NULL, NULL), 0);
	cr_assert_not(p.alarms[PUMP_ALARM_LOW_RESERVOIR].active);
	/* latched faults: the clinician's clear is the fix */
	cr_assert_eq(pump_fault(&p, T0 + HOUR, PUMP_FAULT_MEMORY, 0, NULL, NULL), 0);
	cr_assert(p.alarms[PUMP_ALARM_MEMORY].active);
	cr_assert_eq(pump_alarm_priority(PUMP_ALARM_MEMORY), PUMP_PRIO_LOW);
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0 + HOUR, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_clear(&p, T0 + HOUR, PUMP_ALARM_MEMORY, NULL, NULL), 0);
	cr_assert_eq(pump_clear(&p, T0 + HOUR, PUMP_ALARM_MEMORY, NULL, NULL),
	             PUMP_E_NOT_ACTIVE);
	/* battery alarms clear only with a new battery */
	cr_assert_eq(pump_fault(&p, T0 + HOUR, PUMP_FAULT_BATTERY_ERI, 0, NULL, NULL), 0);
	cr_assert_eq(pump_clear(&p, T0 + HOUR, PUMP_ALARM_ERI, NULL, NULL), PUMP_E_CAUSE);
	cr_assert_eq(pump_fault(&p, T0 + HOUR, PUMP_FAULT_BATTERY_NEW, 0, NULL, NULL), 0);
	cr_assert_not(p.alarms[PUMP_ALARM_ERI].active);
}

/* verifies: SR-ALARM-004 SR-RX-003 */
Test(pump_alarm, empty_cleared_by_refill_and_delivery_resumes)
{
	pump p = pumpfix_fresh(NULL, 1000u);
	pump_advance(&p, T0 + HOUR, NULL, NULL);
	cr_assert(p.alarms[PUMP_ALARM_EMPTY].active);
	cr_assert_eq(pump_clear(&p, T0 + HOUR, PUMP_ALARM_EMPTY, NULL, NULL), PUMP_E_CAUSE);
	cr_assert_eq(pump_refill(&p, T0 + HOUR, 20000000u, 10000000u, NULL, NULL), 0);
	cr_assert_not(p.alarms[PUMP_ALARM_EMPTY].active);
	cr_assert_not(p.alarms[PUMP_ALARM_LOW_RESERVOIR].active);
	pump_advance(&p, T0 + 2 * HOUR, NULL, NULL);
	cr_assert_eq(p.basal_ng, 10000u + 125000u);
}

/* verifies: SR-ALARM-001 SR-ALARM-005 */
Test(pump_alarm, battery_eri_then_eos)
{
	pump_rx rx;
	pump_rx_default(&rx);
	rx.mode = PUMP_MODE_STOPPED; /* keep the reservoir out of it */
	rx.battery_life_days = 5 * 365;
	pump p = pumpfix_fresh(&rx, 20000000u);
	int64_t eos = T0 + 5 * 365 * DAY, eri = eos - 90 * DAY;
	pump_snapshot s;
	pump_status(&p, T0, &s);
	cr_assert_eq(s.eos_ms, eos);
	cr_assert_eq(s.eri_ms, eri);
	cr_assert_eq(pump_next_event(&p), eri);
	pumpfix_log l = { 0 };
	pump_advance(&p, eos + DAY, pumpfix_record, &l);
	cr_assert_eq(l.n, 2);
	cr_assert_eq(l.ev[0].alarm, PUMP_ALARM_ERI);
	cr_assert_eq(l.ev[0].at_ms, eri);
	cr_assert_eq(l.ev[1].alarm, PUMP_ALARM_EOS);
	cr_assert_eq(l.ev[1].at_ms, eos);
	cr_assert_eq(pump_alarm_priority(PUMP_ALARM_ERI), PUMP_PRIO_MEDIUM);
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, eos + DAY, &r, NULL, NULL), PUMP_BOLUS_CRITICAL);
	cr_assert_eq(r.alarm, PUMP_ALARM_EOS);
	/* nothing left to happen */
	cr_assert_eq(pump_next_event(&p), INT64_MAX);
}

/* verifies: SR-ALARM-002 SR-ALARM-005 SR-DELIV-003 */
Test(pump_alarm, battery_faults)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	cr_assert_eq(pump_fault(&p, T0 + HOUR, PUMP_FAULT_BATTERY_ERI, 0, NULL, NULL), 0);
	cr_assert(p.alarms[PUMP_ALARM_ERI].active);
	cr_assert_eq(p.alarms[PUMP_ALARM_ERI].raised_ms, T0 + HOUR);
	cr_assert_eq(p.eos_ms, T0 + HOUR + 90 * DAY);
	cr_assert_eq(pump_fault(&p, T0 + 2 * HOUR, PUMP_FAULT_BATTERY_EOS, 0, NULL, NULL), 0);
	cr_assert(p.alarms[PUMP_ALARM_EOS].active);
	pump_snapshot s;
	pump_status(&p, T0 + 2 * HOUR, &s);
	cr_assert_not(s.delivering);
	cr_assert_eq(s.n_alarms, 2u);
	cr_assert_eq(s.alarms[0].id, PUMP_ALARM_EOS);
	cr_assert_eq(s.alarms[1].id, PUMP_ALARM_ERI);
	uint64_t basal = p.basal_ng;
	pump_advance(&p, T0 + DAY, NULL, NULL);
	cr_assert_eq(p.basal_ng, basal);
	cr_assert_eq(pump_fault(&p, T0 + DAY, PUMP_FAULT__COUNT, 0, NULL, NULL), PUMP_E_INVAL);
	cr_assert_eq(pump_fault(&p, T0 + DAY, 0, 0, NULL, NULL), PUMP_E_INVAL);
}

/* verifies: SR-ALARM-002 */
Test(pump_alarm, priorities_and_order)
{
	/* critical = high; low reservoir and ERI medium; memory error low
	 * (every alarm in one of the lists) */
	static const int high[] = { PUMP_ALARM_EMPTY, PUMP_ALARM_EOS, PUMP_ALARM_MOTOR_STALL,
	                            PUMP_ALARM_MEMORY_CRITICAL };
	static const int medium[] = { PUMP_ALARM_LOW_RESERVOIR, PUMP_ALARM_ERI };
	int want[PUMP_ALARM__COUNT] = { 0 };
	for (size_t k = 0; k < sizeof high / sizeof high[0]; k++)
		want[high[k]] = PUMP_PRIO_HIGH;
	for (size_t k = 0; k < sizeof medium / sizeof medium[0]; k++)
		want[medium[k]] = PUMP_PRIO_MEDIUM;
	want[PUMP_ALARM_MEMORY] = PUMP_PRIO_LOW;
	for (int i = PUMP_ALARM_FIRST; i < PUMP_ALARM__COUNT; i++) {
		cr_assert_neq(want[i], 0, "alarm %d in no list", i);
		cr_assert_eq(pump_alarm_priority(i), want[i], "%s",
		             pump_alarm_name(i));
		cr_assert_eq(pump_alarm_is_critical(i), want[i] == PUMP_PRIO_HIGH);
	}
	cr_assert_eq(pump_alarm_priority(PUMP_ALARM__COUNT), PUMP_E_INVAL);
	cr_assert_eq(pump_alarm_priority(PUMP_ALARM_NONE), PUMP_E_INVAL);
	cr_assert_not(pump_alarm_is_critical(PUMP_ALARM_NONE));
	/* the snapshot: highest priority first, then oldest first */
	pump p = pumpfix_fresh(NULL, 20000000u);
	cr_assert_eq(pump_fault(&p, T0 + 1, PUMP_FAULT_MEMORY, 0, NULL, NULL), 0);
	cr_assert_eq(pump_fault(&p, T0 + 2, PUMP_FAULT_BATTERY_ERI, 0, NULL, NULL), 0);
	cr_assert_eq(pump_fault(&p, T0 + 3, PUMP_FAULT_RESERVOIR, 1000000u, NULL, NULL), 0);
	cr_assert_eq(pump_fault(&p, T0 + 4, PUMP_FAULT_MOTOR_STALL, 0, NULL, NULL), 0);
	pump_snapshot s;
	pump_status(&p, T0 + 5, &s);
	cr_assert_eq(s.n_alarms, 4u);
	cr_assert_eq(s.alarms[0].id, PUMP_ALARM_MOTOR_STALL);
	cr_assert_eq(s.alarms[1].id, PUMP_ALARM_ERI);
	cr_assert_eq(s.alarms[1].raised_ms, T0 + 2);
	cr_assert_eq(s.alarms[2].id, PUMP_ALARM_LOW_RESERVOIR);
	cr_assert_eq(s.alarms[3].id, PUMP_ALARM_MEMORY);
	cr_assert_eq(s.alarms[3].priority, PUMP_PRIO_LOW);
}

/* verifies: SR-ALARM-003 */
Test(pump_alarm, silenced_alarm_raised_again_sounds_at_once)
{
	pump p = pumpfix_fresh(NULL, 1000000u);
	cr_assert_eq(pump_silence(&p, T0, PUMP_ALARM_LOW_RESERVOIR, NULL, NULL), 0);
	cr_assert_eq(p.alarms[PUMP_ALARM_LOW_RESERVOIR].silenced_until_ms,
	             T0 + HOUR);
	/* refilled (cleared), then low again within the hour: sounding */
	cr_assert_eq(pump_refill(&p, T0 + MIN, 20000000u, 10000000u, NULL, NULL), 0);
	cr_assert_eq(pump_fault(&p, T0 + 2 * MIN, PUMP_FAULT_RESERVOIR, 1000u, NULL, NULL), 0);
	cr_assert(p.alarms[PUMP_ALARM_LOW_RESERVOIR].active);
	cr_assert_eq(p.alarms[PUMP_ALARM_LOW_RESERVOIR].silenced_until_ms, 0);
	cr_assert_eq(p.alarms[PUMP_ALARM_LOW_RESERVOIR].raised_ms, T0 + 2 * MIN);
	/* silencing again re-arms from now, and only what is active */
	cr_assert_eq(pump_silence(&p, T0 + 3 * MIN, PUMP_ALARM_ALL, NULL, NULL), 0);
	cr_assert_eq(p.alarms[PUMP_ALARM_LOW_RESERVOIR].silenced_until_ms,
	             T0 + 3 * MIN + HOUR);
	cr_assert_eq(p.alarms[PUMP_ALARM_MOTOR_STALL].silenced_until_ms, 0);
}

/* verifies: SR-ALARM-004 SR-RX-001 */
Test(pump_alarm, threshold_change_raises_or_clears_low_reservoir)
{
	pump p = pumpfix_fresh(NULL, 5000000u);
	pump_rx rx = p.rx;
	rx.low_threshold_nl = 5000000u; /* at the reservoir: low */
	cr_assert_eq(pump_program(&p, T0, &rx, NULL, NULL, NULL), 0);
	cr_assert(p.alarms[PUMP_ALARM_LOW_RESERVOIR].active);
	cr_assert_eq(pump_silence(&p, T0, PUMP_ALARM_ALL, NULL, NULL), 0);
	/* lowered below what is left: the cause is gone, the alarm clears */
	rx.low_threshold_nl = 1000000u;
	cr_assert_eq(pump_program(&p, T0 + MIN, &rx, NULL, NULL, NULL), 0);
	cr_assert_not(p.alarms[PUMP_ALARM_LOW_RESERVOIR].active);
	cr_assert_eq(p.alarms[PUMP_ALARM_LOW_RESERVOIR].silenced_until_ms, 0);
	cr_assert_eq(pump_clear(&p, T0 + MIN, PUMP_ALARM_LOW_RESERVOIR, NULL, NULL),
	             PUMP_E_NOT_ACTIVE);
	/* a refused program changes nothing, alarms included */
	rx.low_threshold_nl = 6000000u;
	rx.ceiling_ng_24h = 1;
	pump before = p;
	cr_assert_eq(pump_program(&p, T0 + 2 * MIN, &rx, NULL, NULL, NULL), PUMP_E_RANGE);
	cr_assert_eq(memcmp(&p, &before, sizeof p), 0);
}

/* verifies: SR-ALARM-004 SR-ALARM-005 SR-BOLUS-006 SR-WIN-001 */
Test(pump_alarm, eos_stops_the_pump_until_a_new_battery)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	pumpfix_log l = { 0 };
	cr_assert_eq(pump_fault(&p, T0 + 5 * MIN, PUMP_FAULT_BATTERY_EOS, 0, NULL, NULL), 0);
	/* ERI comes with it (EOS is past ERI); the bolus stops half way */
	cr_assert(p.alarms[PUMP_ALARM_EOS].active);
	cr_assert(p.alarms[PUMP_ALARM_ERI].active);
	cr_assert_not(p.bolus_running);
	cr_assert_eq(p.bolus_ng, 250000u);
	uint64_t drug = p.basal_ng + p.bolus_ng;
	pump_advance(&p, T0 + 10 * DAY, pumpfix_record, &l);
	cr_assert_eq(p.basal_ng + p.bolus_ng, drug);
	cr_assert_eq(l.n, 0);
	cr_assert_eq(pump_bolus(&p, T0 + 10 * DAY, &r, NULL, NULL), PUMP_BOLUS_CRITICAL);
	cr_assert_eq(r.alarm, PUMP_ALARM_EOS);
	cr_assert_eq(pump_clear(&p, T0 + 10 * DAY, PUMP_ALARM_EOS, NULL, NULL), PUMP_E_CAUSE);
	/* a new battery: both clear, drug flows again, the window is kept */
	cr_assert_eq(pump_fault(&p, T0 + 10 * DAY, PUMP_FAULT_BATTERY_NEW, 0, NULL, NULL), 0);
	cr_assert_not(p.alarms[PUMP_ALARM_EOS].active);
	cr_assert_not(p.alarms[PUMP_ALARM_ERI].active);
	cr_assert_eq(p.eos_ms, T0 + 10 * DAY + (int64_t)p.rx.battery_life_days * DAY);
	pump_advance(&p, T0 + 10 * DAY + HOUR, NULL, NULL);
	cr_assert_eq(p.basal_ng + p.bolus_ng, drug + 125000u);
}

/* verifies: SR-WIN-001 SR-TIME-001 */
Test(pump_alarm, window_survives_refill_faults_battery_and_restart)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	pump_bolus_result r;
	for (int i = 0; i < 6; i++)
		cr_assert_eq(pump_bolus(&p, T0 + i * 2 * HOUR, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_refill(&p, T0 + 11 * HOUR, 20000000u, 20000000u, NULL, NULL), 0);
	cr_assert_eq(pump_fault(&p, T0 + 12 * HOUR, PUMP_FAULT_RESERVOIR, 10u, NULL, NULL), 0);
	cr_assert_eq(pump_refill(&p, T0 + 12 * HOUR, 20000000u, 10000000u, NULL, NULL), 0);
	cr_assert_eq(pump_fault(&p, T0 + 13 * HOUR, PUMP_FAULT_BATTERY_EOS, 0, NULL, NULL), 0);
	cr_assert_eq(pump_fault(&p, T0 + 14 * HOUR, PUMP_FAULT_BATTERY_NEW, 0, NULL, NULL), 0);
	cr_assert_eq(pump_fault(&p, T0 + 15 * HOUR, PUMP_FAULT_MOTOR_STALL, 0, NULL, NULL), 0);
	cr_assert_eq(pump_clear(&p, T0 + 16 * HOUR, PUMP_ALARM_MOTOR_STALL, NULL, NULL), 0);
	uint8_t blob[PUMP_SERIAL_MAX];
	size_t n = pump_serialize(&p, blob, sizeof blob);
	pump back;
	cr_assert_eq(pump_deserialize(&back, blob, n), 0);
	cr_assert_eq(pump_bolus(&back, T0 + 17 * HOUR, &r, NULL, NULL), PUMP_BOLUS_DAILY_COUNT);
	cr_assert_eq(r.next_at_ms, T0 + DAY);
	/* the clock going back does not move it */
	cr_assert_eq(pump_bolus(&back, T0, &r, NULL, NULL), PUMP_BOLUS_DAILY_COUNT);
	cr_assert_eq(r.next_at_ms, T0 + DAY);
	cr_assert_eq(pump_bolus(&back, T0 + DAY, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
}

/* ---- refill, program, set volume ------------------------------------------ */

/* verifies: SR-RX-003 */
Test(pump_clinician, refill_new_concentration)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	cr_assert_eq(pump_refill(&p, T0 + HOUR, 20000000u, 20000000u, NULL, NULL), 0);
	cr_assert_eq(p.removed_nl, 19987500u);
	cr_assert_eq(p.delivered_nl, 12500u);
	cr_assert_eq(p.rx.concentration_ng_ml, 20000000u);
	pump_advance(&p, T0 + 2 * HOUR, NULL, NULL);
	/* 125 000 ng at 20 mg/mL = 6 250 nL */
	cr_assert_eq(pump_reservoir_nl(&p), 20000000u - 6250u);
	cr_assert_eq(pump_refill(&p, T0, 0, 20000000u, NULL, NULL), PUMP_E_RANGE);
	cr_assert_eq(pump_refill(&p, T0, 20000001u, 20000000u, NULL, NULL), PUMP_E_RANGE);
	cr_assert_eq(pump_refill(&p, T0, 1000u, 999u, NULL, NULL), PUMP_E_RANGE);
	/* 3 mg/day needs at least 125 ug/mL to stay within 24 mL/day */
	cr_assert_eq(pump_refill(&p, T0, 1000u, 124999u, NULL, NULL), PUMP_E_RANGE);
}

/* verifies: SR-RX-001 SR-RX-002 SR-WIN-002 */
Test(pump_clinician, program_refusals_change_nothing)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_bolus(&p, T0 + 2 * HOUR, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	pump before = p;
	pump_rx rx = p.rx;
	const char *f = NULL;
	rx.concentration_ng_ml = 20000000u;
	cr_assert_eq(pump_program(&p, T0 + 3 * HOUR, &rx, &f, NULL, NULL), PUMP_E_RANGE);
	cr_assert_str_eq(f, "concentration_ng_ml");
	rx = p.rx;
	rx.lockout_ms = 1;
	cr_assert_eq(pump_program(&p, T0 + 3 * HOUR, &rx, &f, NULL, NULL), PUMP_E_RANGE);
	cr_assert_str_eq(f, "lockout_ms");
	/* a valid ceiling, but below 3 000 000 basal + 1 000 000 given in a
	 * window still to end */
	rx = p.rx;
	rx.ceiling_ng_24h = 3900000u;
	cr_assert_eq(pump_program(&p, T0 + 3 * HOUR, &rx, &f, NULL, NULL), PUMP_E_CEILING);
	cr_assert_str_eq(f, "ceiling_ng_24h");
	cr_assert_eq(memcmp(&p, &before, sizeof p), 0);
	/* accepted once no window still to end holds more than 400 000 ng of
	 * the first bolus (its last 8 of 10 min): windows from T0 + 2 min on,
	 * so at T0 + 2 min + 24 h; 1 ms earlier one holds 400 001 (rounded up) */
	cr_assert_eq(pump_program(&p, T0 + 2 * MIN + DAY - 1, &rx, &f, NULL, NULL),
	             PUMP_E_CEILING);
	cr_assert_eq(pump_program(&p, T0 + 2 * MIN + DAY, &rx, &f, NULL, NULL), 0);
}

/* verifies: SR-DELIV-002 */
Test(pump_clinician, set_volume_fault)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	cr_assert_eq(pump_fault(&p, T0, PUMP_FAULT_RESERVOIR, 1500000u, NULL, NULL), 0);
	cr_assert_eq(pump_reservoir_nl(&p), 1500000u);
	cr_assert(p.alarms[PUMP_ALARM_LOW_RESERVOIR].active);
	cr_assert_eq(pump_fault(&p, T0, PUMP_FAULT_RESERVOIR, 0, NULL, NULL), 0);
	cr_assert(p.alarms[PUMP_ALARM_EMPTY].active);
	cr_assert_eq(pump_fault(&p, T0, PUMP_FAULT_RESERVOIR, 20000001u, NULL, NULL),
	             PUMP_E_RANGE);
	cr_assert_eq(p.filled_nl,
	             p.delivered_nl + p.removed_nl + p.fill_nl);
}

/* ---- forecasts ------------------------------------------------------------ */

/* verifies: SR-FCST-001 */
Test(pump_status, next_refill_with_every_allowed_bolus)
{
	/* 18 mL to the threshold = 180 mg; 3 mg basal + 6 x 0.5 mg a day,
	 * boluses at 0, 2, ... 10 h each day: exactly 30 days */
	pump p = pumpfix_fresh(NULL, 20000000u);
	pump_snapshot s;
	pump_status(&p, T0, &s);
	cr_assert_eq(s.next_refill_ms, T0 + 30 * DAY);
	cr_assert_eq(s.next_bolus_ms, T0);
	cr_assert_eq(s.bolus_now, PUMP_BOLUS_GRANTED);
	/* basal only: 180 mg at 3 mg/day = 60 days */
	pump_rx rx = p.rx;
	rx.bolus_enabled = false;
	cr_assert_eq(pump_program(&p, T0, &rx, NULL, NULL, NULL), 0);
	pump_status(&p, T0, &s);
	cr_assert_eq(s.next_refill_ms, T0 + 60 * DAY);
	cr_assert_eq(s.next_bolus_ms, 0);
	/* already low: due now */
	pump q = pumpfix_fresh(NULL, 1000000u);
	pump_status(&q, T0 + 5, &s);
	cr_assert_eq(s.next_refill_ms, T0 + 5);
}

/* verifies: SR-BOLUS-008 */
Test(pump_status, next_bolus_follows_every_rule)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	pump_bolus_result r;
	for (int i = 0; i < 6; i++)
		pump_bolus(&p, T0 + i * 2 * HOUR, &r, NULL, NULL);
	pump_snapshot s;
	pump_status(&p, T0 + 10 * HOUR + MIN, &s);
	/* running now, then the count: the next grant is at T0 + 24 h */
	cr_assert_eq(s.bolus_now, PUMP_BOLUS_RUNNING);
	cr_assert(s.bolus_running);
	cr_assert_eq(s.bolus_ends_ms, T0 + 10 * HOUR + 10 * MIN);
	cr_assert_eq(s.next_bolus_ms, T0 + DAY);
	cr_assert_eq(s.boluses_24h, 6u);
}

/* ---- names ---------------------------------------------------------------- */

Test(pump_names, stable_identifiers)
{
	cr_assert_str_eq(pump_alarm_name(PUMP_ALARM_LOW_RESERVOIR), "low_reservoir");
	cr_assert_str_eq(pump_alarm_name(PUMP_ALARM_EMPTY), "empty");
	cr_assert_str_eq(pump_alarm_name(PUMP_ALARM_NONE), "none");
	cr_assert_eq(pump_alarm_from_name("none"), PUMP_E_INVAL);
	cr_assert_str_eq(pump_alarm_name(99), "?");
	cr_assert_eq(pump_alarm_from_name("motor_stall"), PUMP_ALARM_MOTOR_STALL);
	cr_assert_eq(pump_alarm_from_name("nope"), PUMP_E_INVAL);
	cr_assert_str_eq(pump_outcome_name(PUMP_BOLUS_LOCKOUT), "lockout");
	cr_assert_str_eq(pump_outcome_name(PUMP_BOLUS_DAILY_COUNT), "daily_count");
	cr_assert_str_eq(pump_fault_name(PUMP_FAULT_RESERVOIR), "reservoir");
	cr_assert_str_eq(pump_fault_name(0), "?");
	cr_assert_str_eq(pump_outcome_name(PUMP_BOLUS_CRITICAL), "critical");
	cr_assert_str_eq(pump_outcome_name(PUMP_BOLUS_RESERVOIR_LOW), "reservoir");
	cr_assert_str_eq(pump_event_name(PUMP_EV_BOLUS_END), "bolus_ended");
	cr_assert_str_eq(pump_event_name(9), "?");   /* the daemon's clock move */
	cr_assert_eq(pump_fault_from_name("battery_eos"), PUMP_FAULT_BATTERY_EOS);
	cr_assert_str_eq(pump_event_name(PUMP_EV_ALARM_RESOUND), "alarm_resound");
	for (int i = PUMP_ALARM_FIRST; i < PUMP_ALARM__COUNT; i++)
		cr_assert_eq(pump_alarm_from_name(pump_alarm_name(i)), i);
	cr_assert(pump_alarm_is_critical(PUMP_ALARM_MOTOR_STALL));
	cr_assert_not(pump_alarm_is_critical(PUMP_ALARM_MEMORY));
}

/* verifies: SR-FAULT-002 */
Test(pump, occlusion_the_pump_believes_it_delivered_all)
{
	pump p = pumpfix_fresh(NULL, 20000000u), q = p;
	cr_assert_eq(pump_fault(&p, T0, PUMP_FAULT_OCCLUSION, 101, NULL, NULL),
	             PUMP_E_RANGE);
	cr_assert_eq(pump_fault(&p, T0, PUMP_FAULT_OCCLUSION, 40, NULL, NULL), 0);
	pump_advance(&p, T0 + DAY, NULL, NULL);
	pump_advance(&q, T0 + DAY, NULL, NULL);
	/* the pump's own accounts are as without the occlusion */
	cr_assert_eq(p.drawn_ng, q.drawn_ng);
	cr_assert_eq(pump_reservoir_nl(&p), pump_reservoir_nl(&q));
	cr_assert_eq(p.basal_ng, 3000000u, "3 mg a day, as programmed");
	/* 40 % of it reached the patient, exactly */
	cr_assert_eq(p.reached_ng, 1200000u);
	cr_assert_eq(q.reached_ng, 3000000u);
	/* and no alarm: the pump cannot tell */
	for (int a = PUMP_ALARM_FIRST; a < PUMP_ALARM__COUNT; a++)
		cr_assert(!p.alarms[a].active, "%s", pump_alarm_name(a));
	/* 100 ends it */
	cr_assert_eq(pump_fault(&p, T0 + DAY, PUMP_FAULT_OCCLUSION, 100, NULL, NULL), 0);
	pump_advance(&p, T0 + 2 * DAY, NULL, NULL);
	cr_assert_eq(p.reached_ng, 1200000u + 3000000u);
}

/* verifies: SR-FAULT-002 */
Test(pump, an_intermittent_stall_recovers_and_the_missed_drug_is_not_made_up)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	pumpfix_log l = { 0 };
	cr_assert_eq(pump_fault(&p, T0, PUMP_FAULT_STALL_FOR, 0, NULL, NULL),
	             PUMP_E_RANGE);
	cr_assert_eq(pump_fault(&p, T0 + 2 * HOUR, PUMP_FAULT_STALL_FOR,
	                        (uint32_t)HOUR, pumpfix_record, &l), 0);
	cr_assert(p.alarms[PUMP_ALARM_MOTOR_STALL].active);
	uint64_t at_stall = p.drawn_ng;
	cr_assert_eq(at_stall, 250000u, "3 mg/day for 2 h");
	/* no drug while the motor stands; a bolus is refused as critical */
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0 + 2 * HOUR + 30 * MIN, &r, NULL, NULL),
	             PUMP_BOLUS_CRITICAL);
	cr_assert_eq(p.drawn_ng, at_stall);
	/* at its end the alarm clears by itself, at that very ms */
	l.n = 0;
	pump_advance(&p, T0 + 4 * HOUR, pumpfix_record, &l);
	const pump_event *e = pumpfix_find(&l, PUMP_EV_ALARM_CLEARED, PUMP_ALARM_MOTOR_STALL);
	cr_assert_not_null(e);
	cr_assert_eq(e->at_ms, T0 + 3 * HOUR);
	cr_assert(!p.alarms[PUMP_ALARM_MOTOR_STALL].active);
	cr_assert_eq(p.stall_until_ms, 0);
	/* delivery resumed at the programmed rate: 3 h of basal in 4 h */
	cr_assert_eq(p.drawn_ng, 375000u);

	/* a permanent stall stays until a clinician clears it */
	cr_assert_eq(pump_fault(&p, T0 + 5 * HOUR, PUMP_FAULT_STALL_FOR,
	                        (uint32_t)HOUR, NULL, NULL), 0);
	cr_assert_eq(pump_fault(&p, T0 + 5 * HOUR, PUMP_FAULT_MOTOR_STALL, 0,
	                        NULL, NULL), 0);
	pump_advance(&p, T0 + 9 * HOUR, NULL, NULL);
	cr_assert(p.alarms[PUMP_ALARM_MOTOR_STALL].active);
	cr_assert_eq(pump_clear(&p, T0 + 9 * HOUR, PUMP_ALARM_MOTOR_STALL, NULL, NULL), 0);
	/* and a clinician's clear ends an intermittent one early */
	cr_assert_eq(pump_fault(&p, T0 + 10 * HOUR, PUMP_FAULT_STALL_FOR,
	                        (uint32_t)HOUR, NULL, NULL), 0);
	cr_assert_eq(pump_clear(&p, T0 + 10 * HOUR + MIN, PUMP_ALARM_MOTOR_STALL,
	                        NULL, NULL), 0);
	cr_assert_eq(p.stall_until_ms, 0);
}
