/*
 * pump/pump_bolus.c — the patient bolus: the history of boluses, the rules
 * over rolling 24 h windows (lockout, count, drug ceiling) and the decision.
 * Pure: no I/O, no allocation.
 *
 * The 24 h ceiling rule: basal + bolus drug in any rolling window
 * (a, a + 24 h] stays at or below the ceiling C.  A bolus of dose D over L
 * ms requested at t is granted only when, for every window that can hold
 * part of it (a in [t - 24 h, t + L]),
 *       B(t) + sum over boluses i of ceil(D_i * overlap_i(a) / L_i) <= C
 * with the new bolus among them, where overlap_i(a) is the ms of bolus i's
 * delivery inside the window and B(t) bounds the basal of any 24 h window
 * that can overlap the new bolus: the schedule's daily drug (rounded up;
 * with daylight saving, pump_rx_day_bound_ng: the most of any real 24 h)
 * when the program has been in force for 24 h, else the bound the last
 * change set (pump_change_bound: the most basal any 24 h window across it
 * holds, never above a day at the highest rate in force since 24 h before
 * it).
 * The sum is piecewise linear in a, so its maximum is at a breakpoint: a
 * window edge at a bolus's start or end (window_max checks each).
 *
 *   Why every window holds, to the ng:
 *   - Basal.  Delivered basal is floor(S(t) / day) with S the exact integral
 *     in ng*ms/day, so W holds floor(f + dS / day) with f < 1 the fraction
 *     of S(a) / day.  A daily schedule in force over all of W gives
 *     dS / day = d, its exact daily drug (in a zone with daylight
 *     saving, at most the most of any real 24 h, which B then is); stops and alarms only lower dS; if
 *     a program changed in W, dS / day <= the change's bound (its
 *     windows' schedules integrated exactly, see pump_change_bound).  As
 *     f + dS / day < 1 + d, W holds at most ceil(d) = B.
 *   - Boluses.  Delivery is floor(D * x / L) after x ms, boluses never
 *     overlap, so in W a bolus cut by W's right edge holds at most its real
 *     share and one cut by the left edge less than its share + 1: W's bolus
 *     drug is below its real share sum + 1, so at most the ceil of that sum,
 *     and each term's ceil is at least the term.  A bolus cut short (a stop,
 *     a critical alarm) keeps D' = what it delivered over (start, cut]: D' /
 *     (cut - start) is at most its rate, so its left-edge share is again
 *     below the real share + 1.
 *   - The last check.  Take the latest of: the last bolus granted (at t)
 *     that delivers in W, the last program change in W (at c).  That check
 *     looked at W (a is in [t - 24 h, t + L]: W holds part of t's bolus) with
 *     every bolus delivering in it and a basal bound above W's basal, and
 *     compared them with the ceiling, which stays in force to W's end.
 *   So the rule is never looser than the ceiling, and never tighter than it
 *   by more than the 2 ng of rounding of the two cut boluses;
 *   tests/test_pump_prop.c checks windows at every step, every event
 *   (+-1 ms) and at random offsets, and that a refused bolus would have
 *   broken a window while the next allowed time is the first that fits.
 */
#include "pump/pump_int.h"

#include <string.h>

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
	return p->prog_changed_ms > t - PUMP_DAY ? p->change_bound_ng
	                                         : pump_rx_day_bound_ng(&p->rx);
}

/* ---- the basal bound across a program change ----------------------------- */

/* More than the rate changes a schedule can have in 24 h: each step's start
 * at most twice (a skipped hour puts 25 h of the schedule's clock in 24 h;
 * a held hour keeps one rate) and the zone's changes. */
#define CHANGES_MAX (2 * PUMP_STEPS_MAX + 8)

static uint64_t ng_up(uint64_t x)
{
	return (x + (uint64_t)PUMP_DAY - 1) / (uint64_t)PUMP_DAY;
}

/* o over (a, t] and n over (t, a + 24 h], rate*ms units (a in [t - 24 h, t]). */
static uint64_t straddle(const pump_rx *o, const pump_rx *n, int64_t t,
                         int64_t a)
{
	return pump_basal_integral(o, a, t, UINT64_MAX) +
	       pump_basal_integral(n, t, a + PUMP_DAY, UINT64_MAX);
}

/* The most basal of any window (a, a + 24 h] with a in [t - 24 h, t], o in
 * force before t and n after, rate*ms units.  The sum is piecewise linear
 * in a: its most is at an end or where a passes a rate change of o, or
 * a + 24 h one of n. */
static uint64_t straddle_most(const pump_rx *o, const pump_rx *n, int64_t t)
{
	uint64_t best = straddle(o, n, t, t);
	for (int k = 0; k < 2; k++) {
		const pump_rx *x = k ? n : o;
		int64_t from = k ? t : t - PUMP_DAY, c = from;
		for (int i = 0; i < CHANGES_MAX && c < from + PUMP_DAY; i++) {
			uint64_t v = straddle(o, n, t, k ? c - PUMP_DAY : c);
			best = v > best ? v : best;
			c = pump_next_rate_change(x, c);
		}
	}
	return best;
}

/* The most n can hold more than o over (t, e], e in (t, t + 24 h], or 0,
 * rate*ms units: piecewise linear in e, its most at a rate change of
 * either or at t + 24 h. */
static uint64_t gain_most(const pump_rx *o, const pump_rx *n, int64_t t)
{
	uint64_t best = 0;
	for (int k = 0; k < 3; k++) {
		const pump_rx *x = k == 1 ? n : o;
		int64_t c = k == 2 ? t + PUMP_DAY : pump_next_rate_change(x, t);
		for (int i = 0; i < CHANGES_MAX && c <= t + PUMP_DAY; i++) {
			uint64_t gn = pump_basal_integral(n, t, c, UINT64_MAX);
			uint64_t go = pump_basal_integral(o, t, c, UINT64_MAX);
			if (gn > go && gn - go > best)
				best = gn - go;
			if (k == 2)
				break;
			c = pump_next_rate_change(x, c);
		}
	}
	return best;
}

/* The windows (a, a + 24 h] that end after t: those with a >= t hold a
 * day of rx (its day bound); those with a in [T1, t), T1 the last change
 * (or t - 24 h), hold the old schedule to t and rx after, at most
 * straddle_most; those with a < T1 (a change in the day before t) held at
 * most the last bound P with the old schedule going on after t, so with rx
 * instead at most P + gain_most.  Each is rounded up to the ng after the
 * exact sum in rate*ms, so no window's delivery (the floor of its exact
 * sum plus a remainder below 1 ng) passes it. */
uint32_t pump_change_bound(const pump *q, const pump_rx *rx, int64_t t,
                           uint32_t rate_rule)
{
	uint64_t b = ng_up(straddle_most(&q->rx, rx, t));
	uint64_t day = pump_rx_day_bound_ng(rx);
	b = b > day ? b : day;
	if (q->prog_changed_ms > t - PUMP_DAY) {
		/* windows from before the last change: at most its bound, and
		 * what the new schedule adds to the old one after t */
		uint64_t pd = (uint64_t)q->change_bound_ng +
		              ng_up(gain_most(&q->rx, rx, t));
		b = b > pd ? b : pd;
	}
	if (b > rate_rule)
		b = rate_rule;
	return b > PUMP_RATE_MAX ? PUMP_RATE_MAX : (uint32_t)b;
}

/* A bolus as the ceiling sees it: dose delivered evenly over (start, end]
 * (one cut short holds what it delivered, at the rate it had, until the
 * cut). */
typedef struct span {
	int64_t start, end;
	uint64_t dose;
} span;

/* Drug of s in the window (a, a + 24 h], rounded up. */
static uint64_t share(const span *s, int64_t a)
{
	int64_t lo = pump_max64(a, s->start), hi = pump_min64(a + PUMP_DAY, s->end);
	if (hi <= lo || s->end <= s->start)
		return 0;
	if (lo == s->start && hi == s->end)
		return s->dose;
	uint64_t len = (uint64_t)(s->end - s->start), ov = (uint64_t)(hi - lo);
	return (s->dose * ov + len - 1) / len;   /* dose, ov < 2^27: no overflow */
}

/* The boluses of the history that reach past t - 24 h, and a new one of
 * dose over len from t when len > 0: into v (room for PUMP_HISTORY_MAX + 1),
 * their count. */
static uint32_t spans(const pump *p, int64_t t, uint64_t dose, int64_t len,
                      span *v)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < p->hist_count; i++) {
		const pump_bolus_rec *r = pump_hist_cat(p, i);
		if (r->end_ms <= t - PUMP_DAY)
			continue;
		v[n].start = r->start_ms;
		v[n].end = r->end_ms;
		v[n].dose = r->dose_ng;
		n++;
	}
	if (len > 0) {
		v[n].start = t;
		v[n].end = t + len;
		v[n].dose = dose;
		n++;
	}
	return n;
}

/* The most bolus drug of v (n spans) in any window (a, a + 24 h] with a in
 * [from, to]: the sum is piecewise linear in a, greatest at a breakpoint
 * (a window edge at a span's start or end) or at from / to. */
static uint64_t window_max(const span *v, uint32_t n, int64_t from, int64_t to)
{
	uint64_t best = 0;
	for (uint32_t k = 0; k <= 4 * n + 1; k++) {
		int64_t a;
		if (k == 4 * n)
			a = from;
		else if (k == 4 * n + 1)
			a = to;
		else {
			const span *e = &v[k / 4];
			int64_t edge = (k & 1) ? e->end : e->start;
			a = (k & 2) ? edge - PUMP_DAY : edge;
		}
		if (a < from || a > to)
			continue;
		uint64_t sum = 0;
		for (uint32_t i = 0; i < n; i++)
			sum += share(&v[i], a);
		if (sum > best)
			best = sum;
	}
	return best;
}

/* Would a bolus of the prescription's dose at t keep every 24 h window it
 * can reach at or below the ceiling? */
static bool ceiling_fits(const pump *p, int64_t t)
{
	int64_t len = p->rx.bolus_duration_ms;
	uint64_t basal = pump_basal_bound(p, t), whole = p->rx.bolus_dose_ng;
	/* No window holds more than the whole doses it can reach: when even
	 * they fit, every window does (the usual case, a ceiling above a day's
	 * basal and every bolus allowed; the answer is the same, found without
	 * the windows). */
	for (uint32_t i = 0; i < p->hist_count; i++) {
		const pump_bolus_rec *r = pump_hist_cat(p, i);
		if (r->end_ms > t - PUMP_DAY)
			whole += r->dose_ng;
	}
	if (basal + whole <= p->rx.ceiling_ng_24h)
		return true;
	span v[PUMP_HISTORY_MAX + 1] = { { 0, 0, 0 } };
	uint32_t n = spans(p, t, p->rx.bolus_dose_ng, len, v);
	return basal + window_max(v, n, t - PUMP_DAY, t + len) <= p->rx.ceiling_ng_24h;
}

uint64_t pump_bolus_window_ng(const pump *p, int64_t from)
{
	span v[PUMP_HISTORY_MAX + 1] = { { 0, 0, 0 } };
	uint32_t n = spans(p, from + PUMP_DAY, 0, 0, v);
	int64_t to = from;
	for (uint32_t i = 0; i < n; i++)
		to = pump_max64(to, v[i].end);
	return window_max(v, n, from, to);
}

/* Earliest time >= t at which the dose fits under the ceiling, or 0.  What
 * fits changes only where a window edge passes a bolus's start or end or
 * the last program change leaves the day; between two such times the worst
 * window shrinks steadily, so the first time it fits is found by halving. */
static int64_t ceiling_next(const pump *p, int64_t t)
{
	int64_t len = p->rx.bolus_duration_ms;
	int64_t prev = t;
	for (;;) {
		/* the next time after prev where the breakpoints move */
		int64_t c = INT64_MAX;
		if (p->prog_changed_ms + PUMP_DAY > prev)
			c = p->prog_changed_ms + PUMP_DAY;
		for (uint32_t i = 0; i < p->hist_count; i++) {
			const pump_bolus_rec *r = pump_hist_cat(p, i);
			const int64_t cand[4] = { r->start_ms + PUMP_DAY - len,
			                          r->end_ms + PUMP_DAY - len,
			                          r->start_ms + PUMP_DAY,
			                          r->end_ms + PUMP_DAY };
			for (int k = 0; k < 4; k++)
				if (cand[k] > prev && cand[k] < c)
					c = cand[k];
		}
		if (c == INT64_MAX)
			return 0;          /* nothing more leaves: it never fits */
		if (ceiling_fits(p, c)) {
			/* the first ms in (prev, c] at which it fits */
			return pump_first_true(p, prev, c, ceiling_fits);
		}
		prev = c;
	}
}

static void set_next(pump_bolus_result *r, int64_t next)
{
	r->next_at_ms = next;
	r->wait_ms = next > r->at_ms ? next - r->at_ms : 0;
}

bool pump_window_allows(const pump *p, int64_t t, pump_bolus_result *r)
{
	const pump_rx *rx = &p->rx;
	/* lockout and count see the patient's boluses only; the ceiling sees
	 * every bolus, a clinician's too (pump_clinic.c) */
	const pump_bolus_rec *last =
		p->hist_count ? pump_hist_cat(p, p->hist_count - 1) : NULL;
	if (last && last->kind != PUMP_KIND_PATIENT)
		last = pump_hist_last_patient(p);
	if (last && t < last->start_ms + (int64_t)rx->lockout_ms) {
		r->outcome = PUMP_BOLUS_LOCKOUT;
		set_next(r, last->start_ms + rx->lockout_ms);
		return false;
	}
	uint32_t n = 0, relevant = 0;
	for (uint32_t i = 0; i < p->hist_count; i++) {
		const pump_bolus_rec *h = pump_hist_cat(p, i);
		n += h->start_ms > t - PUMP_DAY && h->kind == PUMP_KIND_PATIENT;
		relevant += h->end_ms > t - PUMP_DAY;
	}
	if (n >= rx->max_per_24h) {
		/* the (n - max)-th start in the window must leave it */
		uint32_t k = n - rx->max_per_24h;
		for (uint32_t i = 0; i < p->hist_count; i++) {
			const pump_bolus_rec *h = pump_hist_cat(p, i);
			if (h->kind != PUMP_KIND_PATIENT)
				continue;
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
	if (rx->ceiling_ng_24h != 0 && !ceiling_fits(p, t)) {
		r->outcome = PUMP_BOLUS_CEILING;
		set_next(r, ceiling_next(p, t));
		return false;
	}
	return true;
}

/* ---- the decision -------------------------------------------------------- */

/* The first rule that refuses at the pump's current time (or granted). */
static void first_refusal(const pump *p, pump_bolus_result *r)
{
	if (!r)
		return;
	memset(r, 0, sizeof *r);
	r->alarm = PUMP_ALARM_NONE;
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
		const pump_bolus_rec *run = pump_hist_cat(p, p->hist_count - 1);
		const pump_bolus_rec *last = pump_hist_last_patient(p);
		r->outcome = PUMP_BOLUS_RUNNING;
		set_next(r, pump_max64(run->end_ms,
		                       last ? last->start_ms + rx->lockout_ms : 0));
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

/* A refusal that ends by itself at a time: a bolus running, or a rule of
 * the 24 h windows. */
static bool timed(int outcome)
{
	return outcome == PUMP_BOLUS_RUNNING || outcome == PUMP_BOLUS_LOCKOUT ||
	       outcome == PUMP_BOLUS_DAILY_COUNT || outcome == PUMP_BOLUS_CEILING;
}

int64_t pump_bolus_next(const pump *p, pump_bolus_result *r)
{
	first_refusal(p, r);
	if (!p || r->outcome == PUMP_BOLUS_GRANTED)
		return p ? p->now_ms : 0;
	if (!timed(r->outcome))
		return 0;
	/* follow the refusals on a copy: when one ends, the next may hold */
	pump_bolus_result n = *r;
	int32_t binding = r->outcome;
	int64_t grant = 0;
	pump q = *p;
	for (int i = 0; i < 16 && n.next_at_ms > q.now_ms; i++) {
		pump_advance(&q, n.next_at_ms, NULL, NULL);
		first_refusal(&q, &n);
		if (n.outcome == PUMP_BOLUS_GRANTED) {
			grant = q.now_ms;
			break;
		}
		if (!timed(n.outcome) || n.outcome == PUMP_BOLUS_RUNNING)
			break;     /* then not by the time alone */
		binding = n.outcome;
	}
	/* the reason: the limit that holds last (a bolus running stays the
	 * reason while it runs); the time: when a bolus will be granted, 0
	 * when no time alone brings one */
	if (grant && r->outcome != PUMP_BOLUS_RUNNING)
		r->outcome = binding;
	r->next_at_ms = grant;
	r->wait_ms = grant ? grant - r->at_ms : 0;
	return grant;
}

void pump_bolus_check(const pump *p, pump_bolus_result *r)
{
	pump_bolus_next(p, r);
}

void pump_grant(pump *p)
{
	int64_t t = p->now_ms;
	pump_hist_push(p, t, t + p->rx.bolus_duration_ms, p->rx.bolus_dose_ng,
	               PUMP_KIND_PATIENT);
	p->bolus_running = true;
}

int pump_bolus(pump *p, int64_t now_ms, pump_bolus_result *res,
               pump_event_fn cb, void *ud)
{
	if (!p || !res)
		return PUMP_E_INVAL;
	pump_sink s = { cb, ud };
	pump_advance(p, now_ms, cb, ud);
	pump_bolus_check(p, res);
	p->outcomes[res->outcome]++;
	if (res->outcome == PUMP_BOLUS_GRANTED) {
		pump_grant(p);
		pump_emit_bolus(&s, PUMP_EV_BOLUS_STARTED, PUMP_KIND_PATIENT,
		                p->now_ms, res->dose_ng);
	}
	return res->outcome;
}
