/*
 * tests/test_pump_forecast_bound.c — the refill forecast's fallback, for
 * grants that never settle into a cycle (not seen in practice): built here
 * from the real source with a fallback after 3 grants, it must give a date
 * never later than the true one (a simulation through the public API), and
 * `now` / 0 exactly as the exact forecast does.
 */
#define FORECAST_STEPS 3
#include "pump/pump_forecast.c"

#include <criterion/criterion.h>
#include <inttypes.h>

#include "tests/lib/pumpfix.h"

/* verifies: SR-FCST-001 */
Test(pump_forecast_bound, never_later_than_the_true_date)
{
	int earlier = 0, n = 0;
	for (uint32_t k = 0; k < 60; k++) {
		pump_rx rx;
		pump_rx_default(&rx);
		rx.lockout_ms = (uint32_t)(20 * MIN + k * 7 * MIN);
		rx.max_per_24h = 1 + k % 12;
		rx.ceiling_ng_24h = k % 3 ? 0 : 3000001u + (1 + k % 5) * 500000u;
		rx.low_threshold_nl = 1000000u + k * 50000u;
		pump p;
		cr_assert_eq(pump_init(&p, &rx, T0, 3000000u + k * 100000u), 0);
		pump_bolus_result r;
		if (k % 2)
			pump_bolus(&p, T0, &r, NULL, NULL);
		pump_advance(&p, T0 + (int64_t)k * 3 * MIN, NULL, NULL);
		int64_t f = pump_forecast_refill(&p);
		int64_t want = pumpfix_greedy_refill(&p, T0 + 400 * DAY);
		cr_assert_neq(want, 0, "case %u", k);
		cr_assert(f > p.now_ms && f <= want, "case %u: bound %" PRId64
		          " ms, true date %" PRId64 " ms from now", k, f - p.now_ms,
		          want - p.now_ms);
		earlier += f < want;
		n++;
	}
	/* it is a bound: mostly earlier than the truth */
	cr_assert_gt(earlier, n / 2, "%d of %d earlier", earlier, n);
}

/* verifies: SR-FCST-001 */
Test(pump_forecast_bound, now_and_none_are_exact)
{
	pump_rx rx;
	pump_rx_default(&rx);
	pump p;
	cr_assert_eq(pump_init(&p, &rx, T0, 1500000u), 0);
	cr_assert_eq(pump_forecast_refill(&p), T0);
	cr_assert_eq(pump_init(&p, &rx, T0, 20000000u), 0);
	cr_assert_eq(pump_set_running(&p, T0, false, NULL, NULL), 0);
	cr_assert_eq(pump_forecast_refill(&p), 0);
	/* basal only never reaches the fallback: exact */
	rx.bolus_enabled = false;
	cr_assert_eq(pump_init(&p, &rx, T0, 20000000u), 0);
	cr_assert_eq(pump_forecast_refill(&p), T0 + 60 * DAY);
}
