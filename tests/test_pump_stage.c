/*
 * tests/test_pump_stage.c — staged programming in the pump model: a
 * prescription held pending beside the one in force, what it changes for
 * the patient, confirm as one step, cancel (docs/PROTOCOL.md 8.9).
 *
 * The default prescription: morphine 10 mg/mL in 20 mL, continuous 3
 * mg/day, bolus 0.5 mg over 10 min, lockout 2 h, 6 per 24 h, ceiling 7 mg,
 * low reservoir at 2 mL.  Above the threshold: 18 mL = 180 mg.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "pump/pump.h"

#define DAY  PUMP_MS_PER_DAY
#define HOUR 3600000LL
#define T0   1699920000000LL /* 2023-11-14 00:00:00 UTC, a pump midnight */

typedef struct evlog {
	int n;
	pump_event ev[32];
} evlog;

static void record(void *ud, const pump_event *ev)
{
	evlog *l = ud;
	if (l->n < 32)
		l->ev[l->n++] = *ev;
}

static pump fresh(void)
{
	pump p;
	pump_rx d;
	pump_rx_default(&d);
	cr_assert_eq(pump_init(&p, &d, T0, 20000000u), 0);
	return p;
}

/* 6 mg/day, no patient bolus, no ceiling: 180 mg last 30 days exactly */
static pump_rx six_mg(void)
{
	pump_rx rx;
	pump_rx_default(&rx);
	rx.rate_ng_day = 6000000;
	rx.bolus_enabled = false;
	rx.ceiling_ng_24h = 0;
	return rx;
}

/* verifies: SR-RX-005 */
Test(pump_stage, pending_beside_current_changes_nothing)
{
	pump p = fresh();
	pump keep = p;
	pump_rx rx = six_mg();
	pump_stage_info o;
	const char *f = NULL;
	cr_assert_eq(pump_stage(&p, T0 + HOUR, &rx, &f, &o), 0);
	cr_assert_eq(o.id, 1);
	cr_assert(!o.replaced);
	cr_assert(!o.stops);
	cr_assert_eq(o.daily_ng[0], 3000000);
	cr_assert_eq(o.daily_ng[1], 6000000);
	cr_assert_eq(o.bolus_dose_ng[0], 500000);
	cr_assert_eq(o.bolus_dose_ng[1], 0);
	cr_assert_eq(o.lockout_ms[0], 7200000);
	cr_assert_eq(o.lockout_ms[1], 0);
	cr_assert_eq(o.max_per_24h[0], 6);
	cr_assert_eq(o.max_per_24h[1], 0);
	cr_assert_eq(o.ceiling_ng_24h[0], 7000000);
	cr_assert_eq(o.ceiling_ng_24h[1], 0);
	/* at 1 h, 0.125 mg gone: 179.875 mg at 6 mg/day = 29.979166.. days =
	 * 29 d 23 h 30 min after the hour: T0 + 30 d 30 min */
	cr_assert_eq(o.next_refill_ms[1], T0 + 30 * DAY + HOUR / 2,
	             "%lld", (long long)(o.next_refill_ms[1] - T0));
	/* the current side is the pump's own forecast */
	pump_snapshot s;
	pump_status(&keep, T0 + HOUR, &s);
	cr_assert_eq(o.next_refill_ms[0], s.next_refill_ms);
	cr_assert_lt(o.next_refill_ms[0], o.next_refill_ms[1] + 0);
	/* nothing in force changed, not even the time */
	cr_assert_eq(memcmp(&p.rx, &keep.rx, sizeof p.rx), 0);
	cr_assert_eq(p.now_ms, keep.now_ms);
	cr_assert_eq(p.stage_id, 1);
	cr_assert_eq(p.staged_ms, T0 + HOUR);
	/* the current therapy runs while the session waits: a day of 3 mg */
	pump_advance(&p, T0 + DAY, NULL, NULL);
	cr_assert_eq(p.basal_ng, 3000000);
	cr_assert_eq(p.stage_id, 1);
}

/* verifies: SR-RX-005 */
Test(pump_stage, confirm_is_one_step_stop_program_run)
{
	pump p = fresh();
	pump_rx rx = six_mg();
	pump_stage_info o;
	pump_bolus_result b;
	cr_assert_eq(pump_bolus(&p, T0, &b, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_stage(&p, T0 + 60000, &rx, NULL, &o), 0);
	evlog l = { 0 };
	cr_assert_eq(pump_stage_confirm(&p, T0 + 120000, o.id, NULL, record, &l), 0);
	/* the bolus running at confirm is cut short by the stop */
	cr_assert_eq(l.n, 4);
	cr_assert_eq(l.ev[0].kind, PUMP_EV_STOPPED);
	cr_assert_eq(l.ev[1].kind, PUMP_EV_BOLUS_ABORTED);
	cr_assert_eq(l.ev[2].kind, PUMP_EV_PROGRAMMED);
	cr_assert_eq(l.ev[3].kind, PUMP_EV_STARTED);
	for (int i = 0; i < l.n; i++)
		cr_assert_eq(l.ev[i].at_ms, T0 + 120000);
	cr_assert(p.running);
	cr_assert_eq(p.rx.rate_ng_day, 6000000);
	cr_assert_eq(p.stage_id, 0);
	/* a second confirm of the same session: nothing pending */
	cr_assert_eq(pump_stage_confirm(&p, T0 + 180000, o.id, NULL, NULL, NULL),
	             PUMP_E_STATE);
}

/* verifies: SR-RX-005 */
Test(pump_stage, a_stopped_pump_stays_stopped)
{
	pump p = fresh();
	cr_assert_eq(pump_set_running(&p, T0, false, NULL, NULL), 0);
	pump_rx rx = six_mg();
	pump_stage_info o;
	cr_assert_eq(pump_stage(&p, T0, &rx, NULL, &o), 0);
	evlog l = { 0 };
	cr_assert_eq(pump_stage_confirm(&p, T0 + 1, o.id, NULL, record, &l), 0);
	cr_assert_eq(l.n, 1);
	cr_assert_eq(l.ev[0].kind, PUMP_EV_PROGRAMMED);
	cr_assert(!p.running);
	/* a prescription that stops says so */
	rx.mode = PUMP_MODE_STOPPED;
	rx.rate_ng_day = 0;
	cr_assert_eq(pump_stage(&p, T0 + 2, &rx, NULL, &o), 0);
	cr_assert(o.stops);
	cr_assert_eq(o.daily_ng[1], 0);
	cr_assert_eq(o.next_refill_ms[1], 0);
}

/* verifies: SR-RX-005 */
Test(pump_stage, refusals_cancel_and_replace)
{
	pump p = fresh();
	pump_rx rx = six_mg();
	pump_stage_info o;
	const char *f = NULL;
	cr_assert_eq(pump_stage(&p, T0, &rx, &f, &o), 0);
	cr_assert_eq(o.id, 1);
	/* a refused STAGE leaves the earlier session pending */
	pump_rx bad = rx;
	bad.bolus_enabled = true;
	bad.lockout_ms = 1000;
	pump keep = p;
	cr_assert_eq(pump_stage(&p, T0, &bad, &f, &o), PUMP_E_RANGE);
	cr_assert_str_eq(f, "lockout_ms");
	cr_assert_eq(memcmp(&p, &keep, sizeof p), 0);
	bad = rx;
	bad.concentration_ng_ml = 20000000;   /* only a refill changes it */
	cr_assert_eq(pump_stage(&p, T0, &bad, &f, &o), PUMP_E_RANGE);
	cr_assert_str_eq(f, "concentration_ng_ml");
	/* another STAGE replaces it, under a new id */
	rx.rate_ng_day = 4000000;
	cr_assert_eq(pump_stage(&p, T0, &rx, &f, &o), 0);
	cr_assert_eq(o.id, 2);
	cr_assert(o.replaced);
	cr_assert_eq(pump_stage_confirm(&p, T0, 1, NULL, NULL, NULL), PUMP_E_STATE);
	cr_assert_eq(pump_stage_cancel(&p, 1), PUMP_E_STATE);
	cr_assert_eq(pump_stage_cancel(&p, 0), PUMP_E_STATE);
	cr_assert_eq(pump_stage_cancel(&p, 2), 0);
	cr_assert_eq(p.stage_id, 0);
	cr_assert_eq(pump_stage_confirm(&p, T0, 2, NULL, NULL, NULL), PUMP_E_STATE);
	cr_assert_eq(p.rx.rate_ng_day, 3000000);
}

/* A session that passed at STAGE but not at CONFIRM (the boluses given
 * since leave no room under its ceiling) is refused and stays pending. */
/* verifies: SR-RX-005 */
Test(pump_stage, confirm_checks_again)
{
	pump p = fresh();
	pump_rx rx;
	pump_rx_default(&rx);
	rx.ceiling_ng_24h = 3500000;   /* 3 mg basal + one 0.5 mg dose */
	pump_stage_info o;
	cr_assert_eq(pump_stage(&p, T0, &rx, NULL, &o), 0);
	pump_bolus_result b;
	cr_assert_eq(pump_bolus(&p, T0 + HOUR, &b, NULL, NULL), PUMP_BOLUS_GRANTED);
	cr_assert_eq(pump_bolus(&p, T0 + 4 * HOUR, &b, NULL, NULL), PUMP_BOLUS_GRANTED);
	const char *f = NULL;
	pump keep = p;
	cr_assert_eq(pump_stage_confirm(&p, T0 + 5 * HOUR, o.id, &f, NULL, NULL),
	             PUMP_E_CEILING);
	cr_assert_str_eq(f, "ceiling_ng_24h");
	cr_assert_eq(memcmp(&p, &keep, sizeof p), 0);
	cr_assert_eq(p.stage_id, o.id);
}
