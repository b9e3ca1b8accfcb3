/*
 * tests/test_pump_clinic.c — the clinician's side of the pump model: the
 * tubing and catheter configuration, clinician boluses (single, priming,
 * bridge) and how the patient's limits account for them, with exact numbers.
 *
 * The default prescription (pump_rx_default): morphine 10 mg/mL in 20 mL,
 * continuous 3 mg/day, bolus 0.5 mg over 10 min, lockout 2 h, 6 per 24 h,
 * ceiling 7 mg, low reservoir at 2 mL.  The implanted system of these
 * tests: pump tubing 0.26 mL, a 90 cm catheter of 2.2 uL/cm (220 nL/mm),
 * so the catheter holds 900 * 220 = 198 000 nL and tubing + catheter
 * 458 000 nL.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/lib/pumpfix.h"

static const pump_config implant = { 260000u, 900u, 220u };

static pump fresh(const pump_rx *rx)
{
	pump p;
	pump_rx d;
	if (!rx) {
		pump_rx_default(&d);
		rx = &d;
	}
	cr_assert_eq(pump_init(&p, rx, T0, 20000000u), 0);
	cr_assert_eq(pump_configure(&p, T0, &implant, NULL, NULL, NULL), 0);
	return p;
}

static int cbolus(pump *p, int64_t t, int kind, uint32_t dose, uint32_t dur,
                  uint32_t rate, pump_cbolus_info *o, const char **why)
{
	pump_cbolus_req q = { .kind = kind, .dose_ng = dose, .duration_ms = dur,
	                      .rate_nl_h = rate };
	return pump_cbolus(p, t, &q, o, why, NULL, NULL);
}

static int single(pump *p, int64_t t, uint32_t dose, uint32_t dur)
{
	return cbolus(p, t, PUMP_KIND_SINGLE, dose, dur, 0, NULL, NULL);
}

static int patient(pump *p, int64_t t, pump_bolus_result *r)
{
	return pump_bolus(p, t, r, NULL, NULL);
}

/* ---- configuration ------------------------------------------------------- */

/* verifies: SR-RX-008 */
Test(pump_config, set_checked_and_reported)
{
	pump_rx rx;
	pump p;
	pump_rx_default(&rx);
	cr_assert_eq(pump_init(&p, &rx, T0, 20000000u), 0);
	pump_config c;
	pump_get_config(&p, &c);
	cr_assert_eq(c.tubing_nl + c.catheter_mm + c.catheter_nl_per_mm, 0u);
	pumpfix_log l = { 0 };
	cr_assert_eq(pump_configure(&p, T0 + HOUR, &implant, NULL, pumpfix_record, &l), 0);
	cr_assert_eq(l.n, 1);
	cr_assert_eq(l.ev[0].kind, PUMP_EV_CONFIGURED);
	cr_assert_eq(l.ev[0].at_ms, T0 + HOUR);
	pump_get_config(&p, &c);
	cr_assert_eq(c.tubing_nl, 260000u);
	cr_assert_eq(pump_catheter_nl(&c), 198000u);
	/* the most of each field is taken; one more is refused by name, and
	 * changes nothing */
	pump_config top = { PUMP_TUBING_NL_MAX, PUMP_CATHETER_MM_MAX,
	                    PUMP_CATHETER_NL_MM_MAX };
	cr_assert_eq(pump_config_validate(&top, NULL), 0);
	cr_assert_eq(pump_catheter_nl(&top), 2000000u);
	static const char *const names[3] = { "tubing_nl", "catheter_mm",
	                                       "catheter_nl_per_mm" };
	for (int i = 0; i < 3; i++) {
		pump_config b = top;
		uint32_t *f[3] = { &b.tubing_nl, &b.catheter_mm,
		                   &b.catheter_nl_per_mm };
		(*f[i])++;
		pump keep = p;
		const char *field = NULL;
		cr_assert_eq(pump_configure(&p, T0 + 2 * HOUR, &b, &field, NULL, NULL),
		             PUMP_E_RANGE);
		cr_assert_str_eq(field, names[i]);
		cr_assert_eq(memcmp(&p, &keep, sizeof p), 0);
	}
}

/* ---- the three kinds: what they deliver ---------------------------------- */

/* verifies: SR-BOLUS-010 */
Test(pump_cbolus, single_delivers_its_dose_over_its_duration)
{
	pump p = fresh(NULL);
	pump_cbolus_info o;
	pumpfix_log l = { 0 };
	pump_cbolus_req q = { .kind = PUMP_KIND_SINGLE, .dose_ng = 1000000u,
	                      .duration_ms = 20 * MIN };
	cr_assert_eq(pump_cbolus(&p, T0 + HOUR, &q, &o, NULL, pumpfix_record, &l), 0);
	cr_assert_eq(o.dose_ng, 1000000u);
	cr_assert_eq(o.volume_nl, 100000u);  /* 1 mg at 10 mg/mL */
	cr_assert_eq(o.ends_at_ms, T0 + HOUR + 20 * MIN);
	cr_assert_eq(l.n, 1);
	cr_assert_eq(l.ev[0].kind, PUMP_EV_BOLUS_STARTED);
	cr_assert_eq(l.ev[0].bolus, PUMP_KIND_SINGLE);
	cr_assert_eq(l.ev[0].value, 1000000);
	pump_snapshot s;
	pump_status(&p, T0 + HOUR + 10 * MIN, &s);
	cr_assert(s.bolus_running);
	cr_assert_eq(s.bolus_kind, PUMP_KIND_SINGLE);
	l.n = 0;
	pump_advance(&p, T0 + 2 * HOUR, pumpfix_record, &l);
	cr_assert_eq(l.n, 1);
	cr_assert_eq(l.ev[0].kind, PUMP_EV_BOLUS_END);
	cr_assert_eq(l.ev[0].bolus, PUMP_KIND_SINGLE);
	cr_assert_eq(l.ev[0].at_ms, T0 + HOUR + 20 * MIN);
	/* 2 h of basal (250 000 ng) beside it */
	cr_assert_eq(p.bolus_ng, 1000000u);
	cr_assert_eq(p.basal_ng, 250000u);
	cr_assert_eq(pump_reservoir_nl(&p), 20000000u - 125000u);
}

/* verifies: SR-BOLUS-010 */
Test(pump_cbolus, prime_fills_the_catheter_at_its_rate)
{
	pump p = fresh(NULL);
	pump_cbolus_info o;
	/* 198 000 nL at 1 mL/h: 198 000 * 3 600 000 / 1 000 000 = 712 800 ms;
	 * drug 198 000 nL * 10 mg/mL = 1.98 mg */
	cr_assert_eq(cbolus(&p, T0, PUMP_KIND_PRIME, 0, 0, 1000000u, &o, NULL), 0);
	cr_assert_eq(o.volume_nl, 198000u);
	cr_assert_eq(o.dose_ng, 1980000u);
	cr_assert_eq(o.duration_ms, 712800u);
	/* rates: below 1 uL/h refused; 1 uL/h would take 8.25 days, more than
	 * 7; 2 uL/h takes 356 400 000 ms; 10 mL/h 71 280 ms */
	const char *why = NULL;
	pump q = fresh(NULL);
	cr_assert_eq(cbolus(&q, T0, PUMP_KIND_PRIME, 0, 0, 999u, NULL, &why),
	             PUMP_E_RANGE);
	cr_assert_str_eq(why, "rate_nl_h");
	cr_assert_eq(cbolus(&q, T0, PUMP_KIND_PRIME, 0, 0, 1000u, NULL, &why),
	             PUMP_E_RANGE);
	cr_assert_str_eq(why, "rate_nl_h");
	cr_assert_eq(cbolus(&q, T0, PUMP_KIND_PRIME, 0, 0, 2000u, &o, NULL), 0);
	cr_assert_eq(o.duration_ms, 356400000u);
	q = fresh(NULL);
	cr_assert_eq(cbolus(&q, T0, PUMP_KIND_PRIME, 0, 0, PUMP_PRIME_RATE_MAX, &o,
	                    NULL), 0);
	cr_assert_eq(o.duration_ms, 71280u);
	cr_assert_eq(cbolus(&q, T0 + HOUR, PUMP_KIND_PRIME, 0, 0,
	                    PUMP_PRIME_RATE_MAX + 1, NULL, &why), PUMP_E_RANGE);
	/* not configured: refused as a state, naming it */
	pump_rx rx;
	pump_rx_default(&rx);
	cr_assert_eq(pump_init(&q, &rx, T0, 20000000u), 0);
	cr_assert_eq(cbolus(&q, T0, PUMP_KIND_PRIME, 0, 0, 1000000u, NULL, &why),
	             PUMP_E_STATE);
	cr_assert_str_eq(why, "not configured");
}

/* verifies: SR-BOLUS-010 */
Test(pump_cbolus, bridge_after_a_concentration_change)
{
	pump p = fresh(NULL);
	const char *why = NULL;
	/* no change of concentration yet: no bridge due */
	cr_assert_eq(cbolus(&p, T0, PUMP_KIND_BRIDGE, 0, 0, 0, NULL, &why),
	             PUMP_E_STATE);
	cr_assert_str_eq(why, "no bridge due");
	cr_assert_eq(pump_refill(&p, T0 + HOUR, 20000000u, 10000000u, NULL, NULL), 0);
	cr_assert(!pump_bridge_due(&p));   /* same drug, same concentration */
	cr_assert_eq(pump_refill(&p, T0 + 2 * HOUR, 20000000u, 20000000u, NULL, NULL), 0);
	cr_assert(pump_bridge_due(&p));
	/* tubing + catheter 458 000 nL of the old 10 mg/mL: 4.58 mg, at the old
	 * 3 mg/day: 4 580 000 * 86 400 000 / 3 000 000 = 131 904 000 ms
	 * (36 h 38 min 24 s) */
	pump_cbolus_info o;
	int64_t t = T0 + 2 * HOUR;
	uint64_t basal0 = p.basal_ng;
	cr_assert_eq(cbolus(&p, t, PUMP_KIND_BRIDGE, 0, 0, 0, &o, NULL), 0);
	cr_assert_eq(o.volume_nl, 458000u);
	cr_assert_eq(o.dose_ng, 4580000u);
	cr_assert_eq(o.duration_ms, 131904000u);
	cr_assert(!pump_bridge_due(&p));   /* given: no longer due */
	/* the basal pauses while it runs: the patient gets the old dose rate */
	pump_advance(&p, t + 131904000LL, NULL, NULL);
	cr_assert(!p.bolus_running);
	cr_assert_eq(p.basal_ng, basal0);
	cr_assert_eq(p.bolus_ng, 4580000u);
	/* then the new drug's basal at the prescribed 3 mg/day: an hour later
	 * 125 000 ng more */
	pump_advance(&p, t + 131904000LL + HOUR, NULL, NULL);
	cr_assert_eq(p.basal_ng, basal0 + 125000u);
	/* a second bridge is not due */
	cr_assert_eq(cbolus(&p, p.now_ms, PUMP_KIND_BRIDGE, 0, 0, 0, NULL, &why),
	             PUMP_E_STATE);
}

/* verifies: SR-BOLUS-010 */
Test(pump_cbolus, refusals_name_the_reason_and_change_nothing)
{
	pump p = fresh(NULL);
	const char *why = NULL;
	pump keep = p;
	cr_assert_eq(cbolus(&p, T0, 7, 1000, 10 * MIN, 0, NULL, &why), PUMP_E_RANGE);
	cr_assert_str_eq(why, "kind");
	cr_assert_eq(cbolus(&p, T0, PUMP_KIND_PATIENT, 1000, 10 * MIN, 0, NULL, &why),
	             PUMP_E_RANGE);
	cr_assert_eq(single(&p, T0, 0, 10 * MIN), PUMP_E_RANGE);
	cr_assert_eq(single(&p, T0, PUMP_DOSE_MAX + 1, 10 * MIN), PUMP_E_RANGE);
	cr_assert_eq(cbolus(&p, T0, PUMP_KIND_SINGLE, 1000, 59999, 0, NULL, &why),
	             PUMP_E_RANGE);
	cr_assert_str_eq(why, "duration_ms");
	cr_assert_eq(single(&p, T0, 1000, PUMP_CBOLUS_DUR_MAX + 1), PUMP_E_RANGE);
	cr_assert_eq(memcmp(&p, &keep, sizeof p), 0);
	/* one bolus at a time */
	cr_assert_eq(single(&p, T0, 1000000u, 10 * MIN), 0);
	keep = p;
	cr_assert_eq(cbolus(&p, T0 + 5 * MIN, PUMP_KIND_SINGLE, 1000, 10 * MIN, 0,
	                    NULL, &why), PUMP_E_STATE);
	cr_assert_str_eq(why, "bolus running");
	cr_assert_eq(memcmp(&p, &keep, sizeof p), 0);  /* not even the time */
	/* stopped, critical alarm, reservoir */
	pump_set_running(&p, T0 + HOUR, false, NULL, NULL);
	cr_assert_eq(cbolus(&p, T0 + HOUR, PUMP_KIND_SINGLE, 1000, 10 * MIN, 0,
	                    NULL, &why), PUMP_E_STATE);
	cr_assert_str_eq(why, "stopped");
	pump_set_running(&p, T0 + HOUR, true, NULL, NULL);
	pump_fault(&p, T0 + HOUR, PUMP_FAULT_MOTOR_STALL, 0, NULL, NULL);
	cr_assert_eq(cbolus(&p, T0 + HOUR, PUMP_KIND_SINGLE, 1000, 10 * MIN, 0,
	                    NULL, &why), PUMP_E_STATE);
	cr_assert_str_eq(why, "critical alarm");
	pump_clear(&p, T0 + HOUR, PUMP_ALARM_MOTOR_STALL, NULL, NULL);
	pump_fault(&p, T0 + HOUR, PUMP_FAULT_RESERVOIR, 2999999u, NULL, NULL);
	/* 2 999 999 nL hold 29 999 990 ng: a 30 mg dose does not fit */
	cr_assert_eq(cbolus(&p, T0 + HOUR, PUMP_KIND_SINGLE, 30000000u, 10 * MIN, 0,
	                    NULL, &why), PUMP_E_STATE);
	cr_assert_str_eq(why, "reservoir");
}

/* ---- the patient's limits and clinician boluses -------------------------- */

/* The rule (docs/PROTOCOL.md 8.6): the patient's limits never refuse a
 * clinician bolus; the lockout runs from the patient's own last start. */
/* verifies: SR-BOLUS-010 SR-BOLUS-001 */
Test(pump_cbolus, lockout_neither_refuses_nor_restarts)
{
	pump p = fresh(NULL);
	pump_bolus_result r;
	cr_assert_eq(patient(&p, T0, &r), PUMP_BOLUS_GRANTED);
	/* 30 min into the patient's 2 h lockout: the clinician's is given */
	cr_assert_eq(single(&p, T0 + 30 * MIN, 1000000u, 10 * MIN), 0);
	/* the lockout still ends 2 h after the patient's start, not the
	 * clinician's */
	cr_assert_eq(patient(&p, T0 + 2 * HOUR - 1, &r), PUMP_BOLUS_LOCKOUT);
	cr_assert_eq(r.next_at_ms, T0 + 2 * HOUR);
	cr_assert_eq(patient(&p, T0 + 2 * HOUR, &r), PUMP_BOLUS_GRANTED);
}

/* verifies: SR-BOLUS-010 SR-BOLUS-002 */
Test(pump_cbolus, not_a_patient_bolus_in_the_count)
{
	pump_rx rx;
	pump_rx_default(&rx);
	rx.max_per_24h = 1;
	rx.ceiling_ng_24h = 0;
	pump p = fresh(&rx);
	pump_bolus_result r;
	cr_assert_eq(single(&p, T0 + HOUR, 500000u, 10 * MIN), 0);
	cr_assert_eq(patient(&p, T0 + HOUR + 10 * MIN, &r), PUMP_BOLUS_GRANTED);
	/* the count is full: the clinician's is still given */
	cr_assert_eq(single(&p, T0 + HOUR + 20 * MIN, 500000u, 10 * MIN), 0);
	pump_snapshot s;
	pump_status(&p, T0 + 4 * HOUR, &s);
	cr_assert_eq(s.boluses_24h, 1u);
	/* the next patient bolus: 24 h after the patient's own start */
	cr_assert_eq(patient(&p, T0 + 4 * HOUR, &r), PUMP_BOLUS_DAILY_COUNT);
	cr_assert_eq(r.next_at_ms, T0 + 25 * HOUR + 10 * MIN);
}

/* 3 mg/day of basal and a 7 mg ceiling leave 4 mg for boluses in any 24 h.
 * Clinician 2 mg over 10 min at 1 h (C1), the patient's 0.5 mg at 1 h 10
 * (P1), clinician 2 mg at 2 h (C2): 4.5 mg of boluses, past the ceiling,
 * but the clinician decides.  A patient bolus then fits only when C1's
 * share of every window that holds part of it is at most 1 mg: for a
 * request at t = 25 h + x, the window starting at t - 24 h holds
 * 2 mg * (10 min - x) / 10 min of C1, P1, C2 and none of the new bolus
 * yet (later windows hold less of C1, 0.2 mg a minute, and more of the new
 * one, 0.05 mg a minute): 4.5 mg - 0.2 mg * x / 1 min <= 4 mg at x = 2 min
 * 30 s.  So the next bolus is allowed at 25 h 2 min 30 s, to the ms. */
/* verifies: SR-BOLUS-010 SR-BOLUS-003 SR-BOLUS-011 */
Test(pump_cbolus, counts_in_the_ceiling_for_later_patient_boluses)
{
	pump p = fresh(NULL);
	pump_bolus_result r;
	cr_assert_eq(single(&p, T0 + HOUR, 2000000u, 10 * MIN), 0);
	cr_assert_eq(patient(&p, T0 + HOUR + 10 * MIN, &r), PUMP_BOLUS_GRANTED);
	cr_assert_eq(single(&p, T0 + 2 * HOUR, 2000000u, 10 * MIN), 0);
	/* after the lockout: the ceiling holds */
	cr_assert_eq(patient(&p, T0 + 3 * HOUR + 10 * MIN, &r), PUMP_BOLUS_CEILING);
	const int64_t fit = T0 + 25 * HOUR + 150000;
	cr_assert_eq(r.next_at_ms, fit);
	pump q = p;
	cr_assert_eq(patient(&q, fit - 1, &r), PUMP_BOLUS_CEILING);
	cr_assert_eq(patient(&p, fit, &r), PUMP_BOLUS_GRANTED);
	/* without the clinician's boluses the same request is granted at once */
	pump z = fresh(NULL);
	cr_assert_eq(patient(&z, T0 + HOUR + 10 * MIN, &r), PUMP_BOLUS_GRANTED);
	cr_assert_eq(patient(&z, T0 + 3 * HOUR + 10 * MIN, &r), PUMP_BOLUS_GRANTED);
}

/* verifies: SR-BOLUS-010 */
Test(pump_cbolus, patient_waits_while_it_runs)
{
	pump p = fresh(NULL);
	pump_bolus_result r;
	cr_assert_eq(single(&p, T0 + HOUR, 100000u, 30 * MIN), 0);
	cr_assert_eq(patient(&p, T0 + HOUR + MIN, &r), PUMP_BOLUS_RUNNING);
	cr_assert_eq(r.next_at_ms, T0 + HOUR + 30 * MIN);
	cr_assert_eq(patient(&p, T0 + HOUR + 30 * MIN, &r), PUMP_BOLUS_GRANTED);
	/* and a clinician's waits for the patient's */
	const char *why = NULL;
	cr_assert_eq(cbolus(&p, T0 + HOUR + 31 * MIN, PUMP_KIND_SINGLE, 1000,
	                    10 * MIN, 0, NULL, &why), PUMP_E_STATE);
	cr_assert_str_eq(why, "bolus running");
}

/* The history holds 128 boluses: clinician boluses reaching into any 24 h
 * stop at 64, so the patient's 48 always fit beside them. */
/* verifies: SR-BOLUS-010 */
Test(pump_cbolus, at_most_64_reach_into_a_day)
{
	pump_rx rx;
	pump_rx_default(&rx);
	rx.ceiling_ng_24h = 0;
	pump p = fresh(&rx);
	const char *why = NULL;
	int64_t t = T0;
	for (int i = 0; i < 64; i++, t += 2 * MIN)
		cr_assert_eq(single(&p, t, 1000u, MIN), 0, "bolus %d", i);
	cr_assert_eq(cbolus(&p, t, PUMP_KIND_SINGLE, 1000u, MIN, 0, NULL, &why),
	             PUMP_E_STATE);
	cr_assert_str_eq(why, "too many clinician boluses");
	/* the first leaves the day 24 h after its end */
	cr_assert_eq(single(&p, T0 + MIN + DAY, 1000u, MIN), 0);
}

/* ---- the refill that checks itself ---------------------------------------- */

/* 3 mg/day at 10 mg/mL is 300 uL a day: after 10 days 3 mL left the
 * 20 mL fill and 17 mL should remain.  Tolerance: 15% of 3 mL + 0.5 mL =
 * 950 000 nL, so 16.05 mL and 17.95 mL withdrawn pass, one nL further is a
 * discrepancy. */
/* verifies: SR-RX-004 */
Test(pump_refill, withdrawn_volume_checked_against_the_expected)
{
	static const struct { uint32_t withdrawn; bool flagged; } cases[] = {
		{ 17000000u, false }, { 16050000u, false }, { 16049999u, true },
		{ 17950000u, false }, { 17950001u, true }, { 0u, true },
	};
	cr_assert_eq(pump_refill_tolerance(3000000u), 950000u);
	cr_assert_eq(pump_refill_tolerance(0), 500000u);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pump p = fresh(NULL);
		pump_refill_result r;
		const char *f = NULL;
		cr_assert_eq(pump_refill_checked(&p, T0 + 10 * DAY, 20000000u,
		                                 10000000u, cases[i].withdrawn, &r, &f,
		                                 NULL, NULL), 0);
		cr_assert(r.checked);
		cr_assert_eq(r.expected_nl, 17000000u);
		cr_assert_eq(r.tolerance_nl, 950000u);
		cr_assert_eq(r.withdrawn_nl, cases[i].withdrawn);
		cr_assert_eq(r.discrepancy, cases[i].flagged, "withdrawn %u",
		             cases[i].withdrawn);
		cr_assert(!r.bridge_due);
		/* the next refill date is the pump's new forecast */
		pump_snapshot s;
		pump_status(&p, p.now_ms, &s);
		cr_assert_eq(r.next_refill_ms, s.next_refill_ms);
		cr_assert_gt(r.next_refill_ms, T0 + 10 * DAY);
		cr_assert_eq(pump_reservoir_nl(&p), 20000000u);
	}
}

/* verifies: SR-RX-004 SR-RX-003 */
Test(pump_refill, capacity_enforced_and_bridge_offered)
{
	pump p = fresh(NULL);
	pump keep = p;
	pump_refill_result r;
	const char *f = NULL;
	cr_assert_eq(pump_refill_checked(&p, T0 + DAY, 20000001u, 10000000u, -1,
	                                 &r, &f, NULL, NULL), PUMP_E_RANGE);
	cr_assert_str_eq(f, "volume_nl");
	cr_assert_eq(pump_refill_checked(&p, T0 + DAY, 20000000u, 10000000u,
	                                 20000001, &r, &f, NULL, NULL), PUMP_E_RANGE);
	cr_assert_str_eq(f, "withdrawn_nl");
	cr_assert_eq(pump_refill_checked(&p, T0 + DAY, 20000000u, 999u, -1, &r, &f,
	                                 NULL, NULL), PUMP_E_RANGE);
	cr_assert_str_eq(f, "concentration_ng_ml");
	cr_assert_eq(memcmp(&p, &keep, sizeof p), 0);
	/* not entered: nothing checked */
	cr_assert_eq(pump_refill_checked(&p, T0 + DAY, 20000000u, 10000000u, -1,
	                                 &r, &f, NULL, NULL), 0);
	cr_assert(!r.checked && !r.discrepancy);
	/* a new concentration: the bridge is offered */
	cr_assert_eq(pump_refill_checked(&p, T0 + 2 * DAY, 20000000u, 5000000u,
	                                 19700000, &r, &f, NULL, NULL), 0);
	cr_assert(r.bridge_due);
	cr_assert(!r.discrepancy);
}
