/*
 * pumpd/pump_bolus.c — the patient bolus: the history of boluses, the rules
 * over rolling 24 h windows (lockout, count, drug ceiling) and the decision.
 * Pure: no I/O, no allocation.
 *
 * The 24 h ceiling rule (any rolling window (a, a + 24 h])
 *   A bolus requested at t is granted only when
 *       B(t) + sum(dose of every bolus ending after t - 24 h) + dose <= C
 *   where B(t) bounds the basal in any 24 h window that can overlap the new
 *   bolus: the schedule's daily drug + 1 ng (rounding) when the program has
 *   been in force for 24 h, else the highest rate of any program in force
 *   since 24 h before the last change + 1 ng.  Reprogramming is checked the
 *   same way (pump_program refuses a program whose ceiling is below the
 *   highest basal bound + drug committed to boluses ending in the last 24 h).
 *
 *   Why every window W = (a, a + 24 h] holds, wherever it starts (to the ms):
 *   - Basal.  Delivered basal is floor(S(t) / day) with S the exact integral
 *     in ng*ms/day, so W holds floor(f + dS / day) with f < 1 the fraction
 *     of S(a) / day.  A daily schedule in force over all of W gives dS / day
 *     = d, its exact daily drug; stops and alarms only lower dS; if a
 *     program changed in W or less than 24 h before the check, dS / day <=
 *     d = the highest rate in force, which the peak bound covers.  As
 *     f + dS / day < 1 + d, W holds at most ceil(d) ng: the bound's + 1 ng
 *     is never needed, and every window stays at least 1 ng below the
 *     ceiling (the property test checks exactly that).
 *   - Boluses.  A bolus puts floor(dose * x / dur) - floor(dose * y / dur)
 *     <= dose into W, and one that delivers in W ends after a.
 *   - The last check.  Take the latest of: the last bolus granted (at t)
 *     that delivers in W, the last program change in W (at c).  t < a + 24 h
 *     and c > a, so every bolus delivering in W ends after a > t - 24 h (or
 *     c - 24 h) and was counted, with its whole dose, by that check; so was
 *     a basal bound above W's basal (the peak bound when a change is in W:
 *     c > a > t - 24 h).  The check compared them with the ceiling, which
 *     stays in force to the end of W.
 *   So basal + bolus drug in any window (a, a + 24 h] stays below the
 *   ceiling in force at its end; tests/test_pump_prop.c checks windows at
 *   every step, every event (+-1 ms) and at random offsets.
 */
#include "pumpd/pump_int.h"

#include <string.h>

/* ---- history ring -------------------------------------------------------- */

pump_bolus_rec *pump_hist_at(pump *p, uint32_t i)
{
	return &p->hist[(p->hist_first + i) % PUMP_HISTORY_MAX];
}

const pump_bolus_rec *pump_hist_cat(const pump *p, uint32_t i)
{
	return &p->hist[(p->hist_first + i) % PUMP_HISTORY_MAX];
}

pump_bolus_rec *pump_hist_last(pump *p)
{
	return p->hist_count ? pump_hist_at(p, p->hist_count - 1) : NULL;
}

void pump_hist_prune(pump *p, int64_t t)
{
	while (p->hist_count > 0) {
		pump_bolus_rec *r = pump_hist_at(p, 0);
		if (r->end_ms > t - PUMP_DAY ||
		    (p->bolus_running && p->hist_count == 1))
			break;
		memset(r, 0, sizeof *r);
		p->hist_first = (p->hist_first + 1) % PUMP_HISTORY_MAX;
		p->hist_count--;
	}
	if (p->hist_count == 0)
		p->hist_first = 0;
}

pump_bolus_rec *pump_hist_push(pump *p, int64_t start_ms, int64_t end_ms,
                               uint32_t dose_ng)
{
	pump_hist_prune(p, start_ms);
	pump_bolus_rec *b = pump_hist_at(p, p->hist_count);
	p->hist_count++;
	b->start_ms = start_ms;
	b->end_ms = end_ms;
	b->dose_ng = dose_ng;
	b->done_ng = 0;
	return b;
}

void pump_finish_bolus(pump *p, int64_t t, pump_sink *s)
{
	pump_bolus_rec *b = pump_hist_last(p);
	p->bolus_running = false;
	if (b->done_ng < b->dose_ng) {
		b->dose_ng = b->done_ng;
		b->end_ms = t;
		pump_emit(s, PUMP_EV_BOLUS_ABORTED, -1, t, b->done_ng);
	} else {
		pump_emit(s, PUMP_EV_BOLUS_END, -1, t, b->dose_ng);
	}
}

/* ---- the 24 h windows ---------------------------------------------------- */

uint64_t pump_committed_ng(const pump *p, int64_t t)
{
	uint64_t sum = 0;
	for (uint32_t i = 0; i < p->hist_count; i++) {
		const pump_bolus_rec *r = pump_hist_cat(p, i);
		if (r->end_ms > t - PUMP_DAY)
			sum += r->dose_ng;
	}
	return sum;
}

uint64_t pump_basal_bound(const pump *p, int64_t t)
{
	uint64_t b = p->prog_changed_ms > t - PUMP_DAY ? p->peak_rate_ng_day
	                                               : pump_rx_daily_ng(&p->rx);
	return b + 1u;
}

static bool ceiling_fits(const pump *p, int64_t t, uint64_t dose)
{
	return pump_basal_bound(p, t) + pump_committed_ng(p, t) + dose <=
	       p->rx.ceiling_ng_24h;
}

/* Earliest time >= t at which the dose fits under the ceiling, or 0. */
static int64_t ceiling_next(const pump *p, int64_t t, uint64_t dose)
{
	int64_t pc = p->prog_changed_ms + PUMP_DAY;
	bool pc_done = pc <= t;
	for (uint32_t i = 0; i <= p->hist_count; i++) {
		int64_t c = i < p->hist_count
		                ? pump_hist_cat(p, i)->end_ms + PUMP_DAY
		                : INT64_MAX;
		if (c <= t)
			continue;
		if (!pc_done && pc <= c) {
			pc_done = true;
			if (ceiling_fits(p, pc, dose))
				return pc;
		}
		if (c != INT64_MAX && ceiling_fits(p, c, dose))
			return c;
	}
	return 0;
}

static void set_next(pump_bolus_result *r, int64_t next)
{
	r->next_at_ms = next;
	r->wait_ms = next > r->at_ms ? next - r->at_ms : 0;
}

bool pump_window_allows(const pump *p, int64_t t, pump_bolus_result *r)
{
	const pump_rx *rx = &p->rx;
	const pump_bolus_rec *last =
		p->hist_count ? pump_hist_cat(p, p->hist_count - 1) : NULL;
	if (last && t < last->start_ms + (int64_t)rx->bolus_lockout_ms) {
		r->outcome = PUMP_BOLUS_LOCKOUT;
		set_next(r, last->start_ms + rx->bolus_lockout_ms);
		return false;
	}
	uint32_t n = 0, relevant = 0;
	for (uint32_t i = 0; i < p->hist_count; i++) {
		const pump_bolus_rec *h = pump_hist_cat(p, i);
		n += h->start_ms > t - PUMP_DAY;
		relevant += h->end_ms > t - PUMP_DAY;
	}
	if (n >= rx->bolus_max_24h) {
		/* the (n - max)-th start in the window must leave it */
		uint32_t k = n - rx->bolus_max_24h;
		for (uint32_t i = 0; i < p->hist_count; i++) {
			const pump_bolus_rec *h = pump_hist_cat(p, i);
			if (h->start_ms > t - PUMP_DAY && k-- == 0) {
				r->outcome = PUMP_BOLUS_DAILY_COUNT;
				set_next(r, h->start_ms + PUMP_DAY);
				return false;
			}
		}
	}
	if (relevant >= PUMP_HISTORY_MAX) { /* cannot happen within the limits */
		r->outcome = PUMP_BOLUS_DAILY_COUNT;
		set_next(r, pump_hist_cat(p, p->hist_count - relevant)->end_ms +
		                PUMP_DAY);
		return false;
	}
	if (rx->ceiling_ng_24h != 0 && !ceiling_fits(p, t, rx->bolus_dose_ng)) {
		r->outcome = PUMP_BOLUS_CEILING;
		set_next(r, ceiling_next(p, t, rx->bolus_dose_ng));
		return false;
	}
	return true;
}

/* ---- the decision -------------------------------------------------------- */

void pump_bolus_check(const pump *p, pump_bolus_result *r)
{
	if (!r)
		return;
	memset(r, 0, sizeof *r);
	r->alarm = -1;
	if (!p) {
		r->outcome = PUMP_BOLUS_STOPPED;
		return;
	}
	const pump_rx *rx = &p->rx;
	int64_t t = p->now_ms;
	r->at_ms = t;
	r->dose_ng = rx->bolus_dose_ng;
	int crit;
	if (pump_critical_active(p, &crit)) {
		r->outcome = PUMP_BOLUS_CRITICAL;
		r->alarm = crit;
		return;
	}
	if (!p->running || rx->mode == PUMP_MODE_STOPPED) {
		r->outcome = PUMP_BOLUS_STOPPED;
		return;
	}
	if (!rx->bolus_enabled) {
		r->outcome = PUMP_BOLUS_DISABLED;
		return;
	}
	if (p->bolus_running) {
		const pump_bolus_rec *last = pump_hist_cat(p, p->hist_count - 1);
		r->outcome = PUMP_BOLUS_RUNNING;
		set_next(r, pump_max64(last->end_ms,
		                       last->start_ms + rx->bolus_lockout_ms));
		return;
	}
	if (!pump_window_allows(p, t, r))
		return;
	if (p->fill_drug_ng - p->drawn_ng < rx->bolus_dose_ng) {
		r->outcome = PUMP_BOLUS_RESERVOIR_LOW;
		return;
	}
	r->outcome = PUMP_BOLUS_GRANTED;
	r->ends_at_ms = t + rx->bolus_duration_ms;
}

void pump_grant(pump *p)
{
	int64_t t = p->now_ms;
	pump_hist_push(p, t, t + p->rx.bolus_duration_ms, p->rx.bolus_dose_ng);
	p->bolus_running = true;
}

int pump_bolus(pump *p, int64_t now_ms, pump_bolus_result *res)
{
	if (!p || !res)
		return PUMP_E_INVAL;
	pump_advance(p, now_ms, NULL, NULL);
	pump_bolus_check(p, res);
	p->outcomes[res->outcome]++;
	if (res->outcome == PUMP_BOLUS_GRANTED)
		pump_grant(p);
	return res->outcome;
}
