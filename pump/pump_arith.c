/*
 * pump/pump_arith.c — the schedule and the exact integer arithmetic of
 * delivery: the rate at a moment, the basal integral, a bolus's share, the
 * reservoir from the drug drawn.  Pure functions of their arguments.
 */
#include "pump/pump_int.h"

int64_t pump_tclamp(const pump *p, int64_t t)
{
	if (t > PUMP_TIME_MAX)
		t = PUMP_TIME_MAX;
	return t < p->now_ms ? p->now_ms : t;
}

/* ---- schedule ------------------------------------------------------------ */

int64_t pump_time_of_day(int64_t t)
{
	int64_t r = t % PUMP_DAY;
	return r < 0 ? r + PUMP_DAY : r;
}

/* The schedule's steps, never more than the array holds (a validated
 * prescription has 1..13; the model stays in bounds whatever it holds). */
static uint32_t n_steps(const pump_rx *rx)
{
	return rx->n_steps < PUMP_STEPS_MAX ? rx->n_steps : PUMP_STEPS_MAX;
}

/* The step in force at schedule clock e (local wall-clock ms). */
static uint32_t step_index(const pump_rx *rx, int64_t e)
{
	int64_t tod = pump_time_of_day(e);
	uint32_t i = 0, n = n_steps(rx);
	while (i + 1 < n && (int64_t)rx->steps[i + 1].start_ms <= tod)
		i++;
	return i;
}

/* The schedule's clock at UTC t (pump_zone_sched; t itself without a
 * zone). */
static int64_t sched_at(const pump_rx *rx, int64_t t)
{
	int64_t until;
	bool held;
	return pump_zone_sched(&rx->zone, t, &until, &held);
}

uint32_t pump_rate_at(const pump_rx *rx, int64_t t)
{
	if (rx->mode == PUMP_MODE_CONTINUOUS)
		return rx->rate_ng_day;
	if (rx->mode != PUMP_MODE_FLEXIBLE || n_steps(rx) == 0)
		return 0;
	return rx->steps[step_index(rx, sched_at(rx, t))].rate_ng_day;
}

/* The next step boundary after schedule clock e where the rate changes, on
 * the same clock, or INT64_MAX. */
static int64_t next_change_local(const pump_rx *rx, int64_t e)
{
	uint32_t n = n_steps(rx);
	uint32_t idx = step_index(rx, e);
	uint32_t cur = rx->steps[idx].rate_ng_day;
	int64_t day0 = e - pump_time_of_day(e);
	for (uint32_t k = 1; k <= n; k++) {
		uint32_t j = idx + k;
		int64_t at;
		if (j < n) {
			at = day0 + rx->steps[j].start_ms;
		} else {
			j -= n;
			at = day0 + PUMP_DAY + rx->steps[j].start_ms;
		}
		if (rx->steps[j].rate_ng_day != cur)
			return at;
	}
	return INT64_MAX;
}

/* Segments of the schedule's clock (a change of offset, a held hour) looked
 * at before a rate change must come: two local days hold every step twice
 * and at most two such segment ends (changes are months apart). */
#define ZONE_SEGS_MAX (4 * PUMP_STEPS_MAX + 16)

int64_t pump_next_rate_change(const pump_rx *rx, int64_t t)
{
	if (!rx || t >= PUMP_TIME_MAX)
		return INT64_MAX;   /* pump times end there */
	if (t < -PUMP_TIME_MAX)
		t = -PUMP_TIME_MAX;
	uint32_t n = n_steps(rx);
	if (rx->mode != PUMP_MODE_FLEXIBLE || n < 2)
		return INT64_MAX;
	if (!rx->zone.dst) {
		int64_t off = rx->zone.std_ms;
		int64_t c = next_change_local(rx, t + off);
		return c == INT64_MAX ? INT64_MAX : c - off;
	}
	uint32_t cur = pump_rate_at(rx, t);
	if (next_change_local(rx, 0) == INT64_MAX)
		return INT64_MAX;          /* every step has the same rate */
	int64_t s = t;                 /* the rate on [t, s] is cur */
	for (int k = 0; k < ZONE_SEGS_MAX; k++) {
		int64_t until;
		bool held;
		int64_t e = pump_zone_sched(&rx->zone, s, &until, &held);
		if (!held) {
			int64_t c = next_change_local(rx, e);
			if (until == INT64_MAX || c - e < until - s)
				return s + (c - e);
		}
		if (until == INT64_MAX)
			return INT64_MAX;
		s = until;
		if (pump_rate_at(rx, s) != cur)
			return s;
	}
	return s; /* not reached (see ZONE_SEGS_MAX); an early horizon is safe */
}

/* Integral of the flexible schedule over [0, y) of a day, y <= 24 h. */
static uint64_t day_integral(const pump_rx *rx, int64_t y)
{
	uint64_t acc = 0;
	uint32_t n = n_steps(rx);
	for (uint32_t i = 0; i < n; i++) {
		int64_t s = rx->steps[i].start_ms;
		int64_t e = i + 1 < n ? rx->steps[i + 1].start_ms : PUMP_DAY;
		if (s >= y)
			break;
		acc += (uint64_t)rx->steps[i].rate_ng_day *
		       (uint64_t)((e < y ? e : y) - s);
	}
	return acc;
}

/* The flexible schedule's integral over the schedule clock's [a, b). */
static uint64_t local_integral(const pump_rx *rx, int64_t a, int64_t b,
                               uint64_t cap)
{
	/* whole days from a's midnight, each the schedule's daily integral */
	int64_t day0 = a - pump_time_of_day(a);
	uint64_t k = (uint64_t)((b - day0) / PUMP_DAY);
	int64_t rb = (b - day0) % PUMP_DAY;
	uint64_t daily = day_integral(rx, PUMP_DAY);
	if (daily != 0 && k > cap / daily + 1u)
		return cap;
	uint64_t sum = k * daily + day_integral(rx, rb) -
	               day_integral(rx, pump_time_of_day(a));
	return sum > cap ? cap : sum;
}

/* The zone repeats every 400 Gregorian years (146097 days, whole weeks). */
#define ZONE_PERIOD (146097LL * PUMP_DAY)
/* Segments in a period: two changes and one held hour a year. */
#define ZONE_PERIOD_SEGS (3 * 401 + 4)

/* Over UTC [a, b) with daylight saving, b - a <= ZONE_PERIOD: segment by
 * segment of the schedule's clock. */
static uint64_t zoned_integral(const pump_rx *rx, int64_t a, int64_t b,
                               uint64_t cap)
{
	uint64_t sum = 0;
	int64_t s = a;
	for (int k = 0; k < ZONE_PERIOD_SEGS && s < b; k++) {
		int64_t until;
		bool held;
		int64_t e = pump_zone_sched(&rx->zone, s, &until, &held);
		int64_t end = until < b ? until : b;
		uint64_t x = held ? (uint64_t)rx->steps[step_index(rx, e)].rate_ng_day *
		                        (uint64_t)(end - s)   /* <= 2 h: no overflow */
		                  : local_integral(rx, e, e + (end - s), cap);
		if (x >= cap - sum)
			return cap;
		sum += x;
		s = end;
	}
	return sum;
}

uint64_t pump_basal_integral(const pump_rx *rx, int64_t a, int64_t b,
                             uint64_t cap)
{
	if (b <= a)
		return 0;
	if (rx->mode == PUMP_MODE_CONTINUOUS) {
		uint64_t r = rx->rate_ng_day, dt = (uint64_t)(b - a);
		return r != 0 && dt > cap / r ? cap : r * dt;
	}
	if (rx->mode != PUMP_MODE_FLEXIBLE)
		return 0;
	if (!rx->zone.dst)
		return local_integral(rx, a + rx->zone.std_ms, b + rx->zone.std_ms,
		                      cap);
	uint64_t daily = day_integral(rx, PUMP_DAY);
	if (daily == 0 || next_change_local(rx, 0) == INT64_MAX)
		return local_integral(rx, a, b, cap); /* one rate: no zone needed */
	/* whole 400-year periods at once, then the rest */
	uint64_t k = (uint64_t)((b - a) / ZONE_PERIOD), sum = 0;
	if (k > 0) {
		uint64_t one = zoned_integral(rx, a, a + ZONE_PERIOD, cap);
		if (one >= cap || k > cap / one)
			return cap;
		sum = k * one;
		a += (int64_t)k * ZONE_PERIOD;
	}
	uint64_t rest = zoned_integral(rx, a, b, cap);
	return rest >= cap - sum ? cap : sum + rest;
}

/* ---- delivery arithmetic ------------------------------------------------- */

/* Basal drug over dt ms at rate ng/day with remainder rem (ng*ms/day units);
 * the new remainder in *rem_out.  No overflow: rate <= 1e9, dt % day < 8.64e7. */
uint64_t pump_basal_for(uint64_t rem, uint32_t rate, int64_t dt,
                        uint64_t *rem_out)
{
	uint64_t q = (uint64_t)(dt / PUMP_DAY), m = (uint64_t)(dt % PUMP_DAY);
	uint64_t x = rem + (uint64_t)rate * m;
	*rem_out = x % (uint64_t)PUMP_DAY;
	return (uint64_t)rate * q + x / (uint64_t)PUMP_DAY;
}

uint32_t pump_bolus_done_at(const pump_bolus_rec *b, int64_t t)
{
	if (t >= b->end_ms)
		return b->dose_ng;
	if (t <= b->start_ms)
		return 0;
	return (uint32_t)((uint64_t)b->dose_ng * (uint64_t)(t - b->start_ms) /
	                  (uint64_t)(b->end_ms - b->start_ms));
}

uint32_t pump_res_from(const pump *p, uint64_t drawn)
{
	if (drawn >= p->fill_drug_ng)
		return 0;
	return p->fill_nl -
	       (uint32_t)(drawn * PUMP_NL_PER_ML / (uint64_t)p->fill_conc);
}

uint64_t pump_drawn_at_threshold(const pump *p)
{
	uint32_t thr = p->rx.low_threshold_nl;
	if (p->fill_nl <= thr)
		return 0;
	/* fill_nl - floor(drawn * 1e6 / conc) <= thr
	 *   <=> drawn * 1e6 >= (fill_nl - thr) * conc; or the fill is empty */
	uint64_t x = (uint64_t)(p->fill_nl - thr) * p->fill_conc;
	uint64_t need = (x + PUMP_NL_PER_ML - 1u) / PUMP_NL_PER_ML;
	return need < p->fill_drug_ng ? need : p->fill_drug_ng;
}

uint32_t pump_reservoir_nl(const pump *p)
{
	return p ? pump_res_from(p, p->drawn_ng) : 0;
}

int64_t pump_first_true(const pump *p, int64_t lo, int64_t hi,
                        bool (*pred)(const pump *p, int64_t t))
{
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (pred(p, mid))
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}
