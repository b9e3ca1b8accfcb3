/*
 * pump/pump_forecast.c — the next refill date: the first ms at which the
 * reservoir is at or below the low threshold if basal runs and every allowed
 * bolus is taken as soon as it is allowed.  Pure: no I/O, no allocation;
 * works on a copy, never changes the caller's pump.
 *
 *   - `now` when the reservoir is already at or below the threshold (by its
 *     volume, whatever the alarms, mode or battery say);
 *   - 0 when drug is not flowing (stopped, critical alarm), or when the
 *     threshold is not reached by end of service (the pump stops then);
 *   - else exactly the date the pump itself would reach, asked for a bolus at
 *     every moment it names (now, the end of the lockout, when the count or
 *     the ceiling allows), until a request finds less than a dose left.
 *
 * How, cheaply in every case
 *   Drug delivered by t is in closed form: basal floor((rem + S(now, t)) /
 *   day), S the schedule's integral summed by whole days (O(steps)); the
 *   boluses granted so far, each floor(dose * elapsed / duration).  The
 *   bolus grants are generated one by one with the pump's own rules
 *   (pump_window_allows) on a scratch history, without simulating delivery;
 *   between two grants the crossing is found by bisection on the closed
 *   form.  The grants depend only on the history relative to the last grant
 *   (once a program change is 24 h old), and they settle into a cycle within
 *   about a day (lockout: one grant every lockout; count or ceiling: a burst
 *   of N grants every 24 h, or 24 h + duration): the relative history is
 *   compared with an anchor (Brent's cycle detection), and once it repeats
 *   after c grants and P ms, whole cycles are skipped at once, as many as
 *   keep the reservoir above the threshold and above one dose at every
 *   grant (found by bisection on the closed form: each cycle adds c doses).
 *   A year of 48 boluses a day costs about as much as a day of them.
 *
 *   Should no cycle appear within FORECAST_STEPS grants (not seen: random
 *   prescriptions in tests/test_pump_prop.c need at most a few hundred),
 *   the rest is bounded from above, a whole dose at once every lockout,
 *   which gives a date never later than the true one
 *   (tests/test_pump_forecast_bound.c).
 */
#include "pump/pump_int.h"

#include <string.h>

/* grants stepped through before falling back to the bound (a test sets a
 * small one to reach the fallback) */
#ifndef FORECAST_STEPS
#define FORECAST_STEPS 20000
#endif

typedef struct rel {
	int64_t start, end; /* relative to the grant */
	uint32_t dose;
	int32_t kind;       /* a clinician's bolus counts only in the ceiling */
} rel;

/* Brent's cycle detection over the history relative to each grant. */
typedef struct cycle {
	bool armed;          /* looking (the last program change is 24 h old,
	                        no jump yet) */
	bool set;            /* the anchor holds a state */
	uint64_t power;
	int64_t at;          /* the anchor's grant time */
	uint64_t grants;     /* grants up to the anchor */
	uint32_t n;
	rel r[PUMP_HISTORY_MAX];
} cycle;

typedef struct fc {
	const pump *p;
	pump q;              /* scratch: its history takes the planned grants */
	int64_t now, limit;  /* delivery runs on (now, limit] */
	uint64_t cap;        /* of the basal integral: never needed above */
	uint64_t target;     /* drawn_ng at the threshold */
	uint32_t dose, dur;
	pump_bolus_rec run;  /* the bolus running at now (all 0 if none) */
	uint64_t done;       /* planned grants complete before `last` */
	bool have_last;
	int64_t last;        /* the newest planned grant (it may run) */
	cycle cy;
} fc;

/* Drug drawn from the fill at t: basal, and the boluses (t >= the newest
 * planned grant). */
static uint64_t basal_drawn(const fc *f, int64_t t)
{
	const pump *p = f->p;
	uint64_t s = pump_basal_integral(&p->rx, f->now, t, f->cap);
	return p->drawn_ng + (p->basal_rem + s) / (uint64_t)PUMP_DAY;
}

static uint64_t bolus_drawn(const fc *f, int64_t t)
{
	uint64_t d = pump_bolus_done_at(&f->run, t) - f->run.done_ng;
	d += f->done * f->dose;
	if (f->have_last && t > f->last)
		d += (uint64_t)f->dose *
		     (uint64_t)pump_min64(t - f->last, f->dur) / f->dur;
	return d;
}

static uint64_t drawn_at(const fc *f, int64_t t)
{
	return basal_drawn(f, t) + bolus_drawn(f, t);
}

/* The first t in (lo, hi] with drawn_at(t) >= target; drawn_at(lo) is
 * below it and drawn_at(hi) is not. */
static int64_t first_at(const fc *f, int64_t lo, int64_t hi)
{
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (drawn_at(f, mid) >= f->target)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/* ---- cycles of grants ---------------------------------------------------- */

static bool same_rel(const cycle *c, const pump *q, int64_t g)
{
	if (c->n != q->hist_count)
		return false;
	for (uint32_t i = 0; i < c->n; i++) {
		const pump_bolus_rec *h = pump_hist_cat(q, i);
		if (h->start_ms - g != c->r[i].start ||
		    h->end_ms - g != c->r[i].end || h->dose_ng != c->r[i].dose ||
		    h->kind != c->r[i].kind)
			return false;
	}
	return true;
}

static void anchor(cycle *c, const pump *q, int64_t g, uint64_t grants)
{
	for (uint32_t i = 0; i < q->hist_count; i++) {
		const pump_bolus_rec *h = pump_hist_cat(q, i);
		c->r[i] = (rel){ h->start_ms - g, h->end_ms - g, h->dose_ng,
		                 h->kind };
	}
	c->n = q->hist_count;
	c->at = g;
	c->grants = grants;
	c->power = c->set ? c->power * 2u : 1u;
	c->set = true;
}

/* Drawn at g + m * period as the grant there starts: every earlier grant is
 * complete (a grant starts a lockout >= duration after the one before). */
static uint64_t drawn_after(const fc *f, int64_t g, int64_t period,
                            uint64_t per, uint64_t m)
{
	return basal_drawn(f, g + (int64_t)m * period) +
	       (f->run.dose_ng - f->run.done_ng) + (f->done + m * per) * f->dose;
}

/* Just granted at g, the grants-th planned grant.  When the history
 * relative to g repeats the anchor's, the grants repeat every `per` grants
 * and `period` ms: skip as many whole cycles as keep every grant in them
 * below the threshold and with a dose left.  Returns the newest grant's
 * time (g, or g + the skipped cycles). */
static int64_t skip_cycles(fc *f, int64_t g, uint64_t grants)
{
	cycle *c = &f->cy;
	if (!c->armed)
		return g;
	if (!c->set || !same_rel(c, &f->q, g)) {
		if (!c->set || grants - c->grants >= c->power)
			anchor(c, &f->q, g, grants);
		return g;
	}
	c->armed = false; /* one jump: the end is within a cycle after it */
	int64_t period = g - c->at;
	uint64_t per = grants - c->grants;
	uint64_t fill = f->p->fill_drug_ng;
	/* land before the limit; no more cycles than doses to go */
	uint64_t lo = 0, hi = (uint64_t)((f->limit - 1 - g) / period);
	uint64_t most = f->target / (per * f->dose) + 1u;
	if (hi > most)
		hi = most;
	while (lo < hi) {
		uint64_t m = lo + (hi - lo + 1) / 2;
		uint64_t d = drawn_after(f, g, period, per, m);
		if (d < f->target && d + f->dose <= fill)
			lo = m;
		else
			hi = m - 1;
	}
	if (lo == 0)
		return g;
	int64_t shift = (int64_t)lo * period;
	for (uint32_t i = 0; i < f->q.hist_count; i++) {
		pump_bolus_rec *h = pump_hist_at(&f->q, i);
		h->start_ms += shift;
		h->end_ms += shift;
	}
	f->done += lo * per;
	f->last = g + shift;
	return f->last;
}

/* ---- the forecast -------------------------------------------------------- */

/* Drug drawn at t >= from if, from the grant at `from` on, the running bolus
 * were delivered whole at once and a whole dose came every lockout: more
 * than the pump can give. */
static uint64_t drawn_bound(const fc *f, int64_t from, int64_t t)
{
	uint64_t ahead = 1u + (uint64_t)((t - from) / f->p->rx.lockout_ms);
	return basal_drawn(f, t) + bolus_drawn(f, from) + ahead * f->dose;
}

/* No cycle found by `from`, just granted: the first t at which drawn_bound
 * reaches the threshold, never later than the true date. */
static int64_t bound_from(const fc *f, int64_t from)
{
	int64_t lo = from, hi = f->limit;
	if (drawn_bound(f, from, hi) < f->target)
		return 0;
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (drawn_bound(f, from, mid) >= f->target)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

int64_t pump_forecast_refill(const pump *p)
{
	uint64_t target = pump_drawn_at_threshold(p);
	if (p->drawn_ng >= target)
		return p->now_ms;
	if (!pump_delivering(p) || p->eos_ms <= p->now_ms)
		return 0;
	fc f;
	memset(&f, 0, sizeof f);
	f.p = p;
	f.q = *p;
	f.q.bolus_running = false; /* the running bolus is history to the rules */
	f.now = p->now_ms;
	f.limit = pump_min64(p->eos_ms, PUMP_TIME_MAX); /* delivery stops at EOS */
	f.target = target;
	f.cap = (p->fill_drug_ng + 1u) * (uint64_t)PUMP_DAY;
	f.dose = p->rx.bolus_dose_ng;
	f.dur = p->rx.bolus_duration_ms;
	bool asking = p->rx.bolus_enabled && f.dose != 0 && f.dur != 0 &&
	              p->rx.lockout_ms != 0;
	int64_t at = f.now; /* the next request */
	if (p->bolus_running) {
		const pump_bolus_rec *lp = pump_hist_last_patient(p);
		f.run = *pump_hist_cat(p, p->hist_count - 1);
		at = pump_max64(f.run.end_ms,
		                lp ? lp->start_ms + (int64_t)p->rx.lockout_ms : 0);
	}
	int64_t lo = f.now; /* drawn_at(lo) < target */
	uint64_t grants = 0;
	for (;;) {
		int64_t hi = asking ? pump_min64(at, f.limit) : f.limit;
		if (drawn_at(&f, hi) >= f.target)
			return first_at(&f, lo, hi);
		if (!asking || at >= f.limit)
			return 0;
		lo = at;
		pump_bolus_result r;
		memset(&r, 0, sizeof r);
		r.at_ms = at;
		if (!pump_window_allows(&f.q, at, &r)) {
			if (r.next_at_ms <= at)
				asking = false; /* not foreseeable: basal only */
			at = r.next_at_ms;
			continue;
		}
		if (p->fill_drug_ng - drawn_at(&f, at) < f.dose) {
			asking = false; /* less than a dose left: no more boluses */
			continue;
		}
		if (f.have_last)
			f.done++;
		f.have_last = true;
		f.last = at;
		pump_hist_push(&f.q, at, at + f.dur, f.dose, PUMP_KIND_PATIENT);
		grants++;
		if (!f.cy.set && f.q.prog_changed_ms + PUMP_DAY <= at)
			f.cy.armed = true;
		at = skip_cycles(&f, at, grants);
		lo = at;
		if (grants >= FORECAST_STEPS)
			return bound_from(&f, lo);
		at += p->rx.lockout_ms;
	}
}
