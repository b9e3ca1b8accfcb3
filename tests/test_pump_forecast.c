/*
 * tests/test_pump_forecast.c — the next refill date (pump_status's
 * next_refill_ms), with exact expected numbers.
 *
 * The rule: the first ms at which the reservoir is at or below the low
 * threshold if basal runs and every allowed bolus is taken as soon as it is
 * allowed; `now` when it already is (whatever the alarms, the mode or the
 * battery say); 0 when drug is not flowing, or when the pump reaches end of
 * service first.  tests/test_pump_prop.c checks the same rule against a
 * simulation on random pumps.
 *
 * The default prescription (pump_rx_default): morphine 10 mg/mL (1 nL holds
 * 10 ng) in 20 mL, continuous 3 mg/day (1 ng every 28.8 ms), bolus 0.5 mg
 * over 10 min, lockout 2 h, 6 per 24 h, ceiling 7 mg, low reservoir at 2 mL.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/lib/pumpfix.h"

static int64_t refill_at(const pump *p, int64_t now)
{
	pump_snapshot s;
	pump_status(p, now, &s);
	return s.next_refill_ms;
}

/* ---- already at or below the threshold: now -------------------------------- */

/* verifies: SR-FCST-001 */
Test(pump_forecast, set_volume_below_threshold_is_now)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	cr_assert_eq(pump_fault(&p, T0 + HOUR, PUMP_FAULT_RESERVOIR, 1500000u, NULL, NULL), 0);
	cr_assert_eq(refill_at(&p, T0 + HOUR), T0 + HOUR);
	/* and it stays now while time passes and boluses run */
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0 + 2 * HOUR, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(refill_at(&p, T0 + 2 * HOUR + MIN), T0 + 2 * HOUR + MIN);
	cr_assert_eq(refill_at(&p, T0 + 3 * DAY), T0 + 3 * DAY);
	/* silencing the alarm changes nothing */
	cr_assert_eq(pump_silence(&p, T0 + 3 * DAY, PUMP_ALARM_ALL, NULL, NULL), 0);
	cr_assert_eq(refill_at(&p, T0 + 3 * DAY + 1), T0 + 3 * DAY + 1);
}

/* verifies: SR-FCST-001 */
Test(pump_forecast, exactly_at_threshold_is_now)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	cr_assert_eq(pump_fault(&p, T0 + HOUR, PUMP_FAULT_RESERVOIR, 2000000u, NULL, NULL), 0);
	cr_assert(p.alarms[PUMP_ALARM_LOW_RESERVOIR].active);
	cr_assert_eq(refill_at(&p, T0 + HOUR), T0 + HOUR);
}

/* verifies: SR-FCST-001 */
Test(pump_forecast, one_nl_above_threshold)
{
	/* 1 nL = 10 ng to go.  A bolus is allowed now: 0.5 mg over 10 min is
	 * floor(5 t / 6) ng after t ms, 10 ng at 12 ms (basal: 0 ng by then) */
	pump p = pumpfix_fresh(NULL, 20000000u);
	cr_assert_eq(pump_fault(&p, T0 + HOUR, PUMP_FAULT_RESERVOIR, 2000001u, NULL, NULL), 0);
	cr_assert_not(p.alarms[PUMP_ALARM_LOW_RESERVOIR].active);
	cr_assert_eq(refill_at(&p, T0 + HOUR), T0 + HOUR + 12);
	/* basal only: 10 ng take 288 ms */
	pump_rx rx = p.rx;
	rx.bolus_enabled = false;
	cr_assert_eq(pump_program(&p, T0 + HOUR, &rx, NULL, NULL, NULL), 0);
	cr_assert_eq(refill_at(&p, T0 + HOUR), T0 + HOUR + 288);
}

/* verifies: SR-FCST-001 */
Test(pump_forecast, refill_to_small_volume_is_now)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	cr_assert_eq(pump_refill(&p, T0 + HOUR, 1000000u, 10000000u, NULL, NULL), 0);
	cr_assert_eq(refill_at(&p, T0 + HOUR), T0 + HOUR);
	/* a new concentration, still below */
	cr_assert_eq(pump_refill(&p, T0 + 2 * HOUR, 1999999u, 20000000u, NULL, NULL), 0);
	cr_assert_eq(refill_at(&p, T0 + 2 * HOUR), T0 + 2 * HOUR);
	/* from empty to below */
	cr_assert_eq(pump_fault(&p, T0 + 3 * HOUR, PUMP_FAULT_RESERVOIR, 0, NULL, NULL), 0);
	cr_assert(p.alarms[PUMP_ALARM_EMPTY].active);
	cr_assert_eq(pump_refill(&p, T0 + 4 * HOUR, 500000u, 20000000u, NULL, NULL), 0);
	cr_assert_not(p.alarms[PUMP_ALARM_EMPTY].active);
	cr_assert_eq(refill_at(&p, T0 + 4 * HOUR), T0 + 4 * HOUR);
}

/* verifies: SR-FCST-001 */
Test(pump_forecast, below_after_program_change_is_now)
{
	pump p = pumpfix_fresh(NULL, 20000000u);
	cr_assert_eq(pump_fault(&p, T0 + HOUR, PUMP_FAULT_RESERVOIR, 1500000u, NULL, NULL), 0);
	pump_rx rx = p.rx;
	rx.bolus_enabled = false;
	cr_assert_eq(pump_program(&p, T0 + 2 * HOUR, &rx, NULL, NULL, NULL), 0);
	cr_assert_eq(refill_at(&p, T0 + 2 * HOUR), T0 + 2 * HOUR);
	rx.mode = PUMP_MODE_FLEXIBLE;
	rx.n_steps = 2;
	rx.steps[0] = (pump_step){ 0, 1000000u };
	rx.steps[1] = (pump_step){ (uint32_t)(12 * HOUR), 5000000u };
	cr_assert_eq(pump_program(&p, T0 + 3 * HOUR, &rx, NULL, NULL, NULL), 0);
	cr_assert_eq(refill_at(&p, T0 + 3 * HOUR), T0 + 3 * HOUR);
	/* a threshold raised above what is left: now */
	pump q = pumpfix_fresh(NULL, 5000000u);
	cr_assert_neq(refill_at(&q, T0), T0);
	rx = q.rx;
	rx.low_threshold_nl = 6000000u;
	cr_assert_eq(pump_program(&q, T0 + HOUR, &rx, NULL, NULL, NULL), 0);
	cr_assert(q.alarms[PUMP_ALARM_LOW_RESERVOIR].active);
	cr_assert_eq(refill_at(&q, T0 + HOUR), T0 + HOUR);
}

/* verifies: SR-FCST-001 */
Test(pump_forecast, below_and_not_delivering_is_now)
{
	/* bolus disabled */
	pump_rx rx;
	pump_rx_default(&rx);
	rx.bolus_enabled = false;
	pump a = pumpfix_fresh(&rx, 20000000u);
	cr_assert_eq(pump_fault(&a, T0 + HOUR, PUMP_FAULT_RESERVOIR, 1999999u, NULL, NULL), 0);
	cr_assert_eq(refill_at(&a, T0 + HOUR), T0 + HOUR);
	/* clinician stop */
	pump b = pumpfix_fresh(NULL, 20000000u);
	cr_assert_eq(pump_set_running(&b, T0 + HOUR, false, NULL, NULL), 0);
	cr_assert_eq(pump_fault(&b, T0 + 2 * HOUR, PUMP_FAULT_RESERVOIR, 1000u, NULL, NULL), 0);
	cr_assert_eq(refill_at(&b, T0 + 2 * HOUR), T0 + 2 * HOUR);
	/* mode stopped */
	pump_rx st;
	pump_rx_default(&st);
	st.mode = PUMP_MODE_STOPPED;
	pump c = pumpfix_fresh(&st, 1500000u);
	cr_assert_eq(refill_at(&c, T0 + DAY), T0 + DAY);
	/* end of service: the pump stops */
	pump d = pumpfix_fresh(NULL, 20000000u);
	cr_assert_eq(pump_fault(&d, T0 + HOUR, PUMP_FAULT_BATTERY_EOS, 0, NULL, NULL), 0);
	cr_assert_eq(pump_fault(&d, T0 + 2 * HOUR, PUMP_FAULT_RESERVOIR, 1500000u, NULL, NULL),
	             0);
	cr_assert_eq(refill_at(&d, T0 + 2 * HOUR), T0 + 2 * HOUR);
	/* a motor stall, then empty */
	pump e = pumpfix_fresh(NULL, 20000000u);
	cr_assert_eq(pump_fault(&e, T0, PUMP_FAULT_MOTOR_STALL, 0, NULL, NULL), 0);
	cr_assert_eq(pump_fault(&e, T0, PUMP_FAULT_RESERVOIR, 0, NULL, NULL), 0);
	cr_assert_eq(refill_at(&e, T0 + HOUR), T0 + HOUR);
}

/* verifies: SR-FCST-001 */
Test(pump_forecast, above_and_not_delivering_is_none)
{
	pump b = pumpfix_fresh(NULL, 20000000u);
	cr_assert_eq(pump_set_running(&b, T0 + HOUR, false, NULL, NULL), 0);
	cr_assert_eq(refill_at(&b, T0 + HOUR), 0);
	pump d = pumpfix_fresh(NULL, 20000000u);
	cr_assert_eq(pump_fault(&d, T0 + HOUR, PUMP_FAULT_BATTERY_EOS, 0, NULL, NULL), 0);
	cr_assert_eq(refill_at(&d, T0 + HOUR), 0);
	/* a new battery: drug flows again, 30 days from the fill (see below)
	 * less the hour already delivered */
	cr_assert_eq(pump_fault(&d, T0 + HOUR, PUMP_FAULT_BATTERY_NEW, 0, NULL, NULL), 0);
	cr_assert_neq(refill_at(&d, T0 + HOUR), 0);
}

/* ---- a threshold lowered by the clinician -------------------------------- */

/* verifies: SR-FCST-001 */
Test(pump_forecast, threshold_lowered_below_the_reservoir)
{
	/* 1.5 mL left, low alarm up; the clinician lowers the threshold to
	 * 1 mL: the cause is gone, the alarm clears, and 0.5 mL = 5 mg are to
	 * go.  Boluses at 0, 2, ... 10 h (3 mg, done at 10 h 10 min), then the
	 * count: the next is allowed at 24 h.  Basal needs the other 2 mg:
	 * 2 000 000 x 28.8 ms = 16 h. */
	pump p = pumpfix_fresh(NULL, 20000000u);
	cr_assert_eq(pump_fault(&p, T0 + HOUR, PUMP_FAULT_RESERVOIR, 1500000u, NULL, NULL), 0);
	cr_assert(p.alarms[PUMP_ALARM_LOW_RESERVOIR].active);
	pump_rx rx = p.rx;
	rx.low_threshold_nl = 1000000u;
	cr_assert_eq(pump_program(&p, T0 + HOUR, &rx, NULL, NULL, NULL), 0);
	cr_assert_not(p.alarms[PUMP_ALARM_LOW_RESERVOIR].active);
	cr_assert_eq(refill_at(&p, T0 + HOUR), T0 + HOUR + 16 * HOUR);
	/* basal only: 5 mg at 3 mg/day = 40 h */
	rx.bolus_enabled = false;
	cr_assert_eq(pump_program(&p, T0 + HOUR, &rx, NULL, NULL, NULL), 0);
	cr_assert_eq(refill_at(&p, T0 + HOUR), T0 + HOUR + 40 * HOUR);
	/* the alarm comes back at that very ms */
	pump_advance(&p, T0 + 41 * HOUR - 1, NULL, NULL);
	cr_assert_not(p.alarms[PUMP_ALARM_LOW_RESERVOIR].active);
	pump_advance(&p, T0 + 41 * HOUR, NULL, NULL);
	cr_assert(p.alarms[PUMP_ALARM_LOW_RESERVOIR].active);
	cr_assert_eq(p.alarms[PUMP_ALARM_LOW_RESERVOIR].raised_ms, T0 + 41 * HOUR);
}

/* ---- reservoirs that last for years --------------------------------------- */

static pump_rx years_rx(void)
{
	/* 40 mL at 50 mg/mL: 1.9 g above the 2 mL threshold */
	pump_rx rx;
	pump_rx_default(&rx);
	rx.concentration_ng_ml = 50000000u;
	rx.capacity_nl = PUMP_CAPACITY_40ML;
	rx.rate_ng_day = 1000000u; /* 1 mg/day */
	rx.bolus_enabled = false;
	rx.ceiling_ng_24h = 0;
	rx.battery_life_days = 3650;
	return rx;
}

/* verifies: SR-FCST-001 */
Test(pump_forecast, basal_only_for_years)
{
	pump_rx rx = years_rx();
	pump p = pumpfix_fresh(&rx, PUMP_CAPACITY_40ML);
	cr_assert_eq(refill_at(&p, T0), T0 + 1900 * DAY);
	/* the battery ends first: the pump stops, no refill is foreseen */
	rx.battery_life_days = 1000;
	pump q = pumpfix_fresh(&rx, PUMP_CAPACITY_40ML);
	cr_assert_eq(refill_at(&q, T0), 0);
	/* reached at the very ms of end of service: still foreseen */
	rx.battery_life_days = 1900;
	pump e = pumpfix_fresh(&rx, PUMP_CAPACITY_40ML);
	cr_assert_eq(refill_at(&e, T0), T0 + 1900 * DAY);
	rx.battery_life_days = 1899;
	e = pumpfix_fresh(&rx, PUMP_CAPACITY_40ML);
	cr_assert_eq(refill_at(&e, T0), 0);
}

/* verifies: SR-FCST-001 */
Test(pump_forecast, forty_eight_boluses_a_day_for_years)
{
	/* 1 mg/day basal + 48 boluses of 10 ug a day (1 min each, one every
	 * 30 min) = 1.48 mg a day.  1 283 days deliver 1 898.84 mg; the last
	 * 1.16 mg: 38 boluses (0.38 mg) and 0.78 mg of basal, which takes
	 * 780 000 x 86.4 ms = 67 392 000 ms into day 1 284. */
	pump_rx rx = years_rx();
	rx.bolus_enabled = true;
	rx.bolus_dose_ng = 10000u;
	rx.bolus_duration_ms = (uint32_t)MIN;
	rx.lockout_ms = (uint32_t)(30 * MIN);
	rx.max_per_24h = 48;
	pump p = pumpfix_fresh(&rx, PUMP_CAPACITY_40ML);
	cr_assert_eq(refill_at(&p, T0), T0 + 1283 * DAY + 67392000);
	/* one ms into the first bolus changes nothing */
	pump_bolus_result r;
	cr_assert_eq(pump_bolus(&p, T0, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(refill_at(&p, T0 + 1), T0 + 1283 * DAY + 67392000);
	/* with a ceiling of 1 mg + 24 doses, 24 boluses fit in a window; the
	 * 25th fits when the first is 24 h old (a window holding part of the
	 * new one holds as much less of the first), so the day repeats: 24
	 * boluses every 30 min from midnight, 1.24 mg.  1 532 days deliver
	 * 1 899.68 mg; the last 0.32 mg: 11 boluses (0.11 mg) and 0.21 mg of
	 * basal, 18 144 000 ms into day 1 533 (checked by an independent
	 * simulation, every ms, Python integers). */
	rx.ceiling_ng_24h = 1000000u + 24u * 10000u;
	pump q = pumpfix_fresh(&rx, PUMP_CAPACITY_40ML);
	int64_t want = T0 + 1532 * DAY + 18144000;
	cr_assert_eq(refill_at(&q, T0), want);
}
