/*
 * pump/pump_deliver.c — delivery over time: the basal schedule, the exact
 * integer arithmetic of basal and bolus drug, and pump_advance, which jumps
 * from event to event.  Pure: no I/O, no clock reads, no allocation.
 *
 * Exact arithmetic, no drift
 *   Basal drug is the floor of the exact integral: basal_rem keeps the
 *   remainder of sum(rate_ng_day * ms) modulo one day, so the cumulative
 *   basal is floor(sum / day) however the time is cut.  A bolus delivers
 *   floor(dose * elapsed / duration) from its own start, exactly dose at its
 *   end.  The reservoir volume is derived from the drug drawn since the fill:
 *   fill_nl - floor(drawn_ng * 1e6 / conc) (0 once the fill's drug is gone),
 *   so volume and drug can never drift apart.
 *
 * Events
 *   Between two events the rate is constant and at most one bolus runs (a
 *   bridge bolus pauses the basal: pump_clinic.c), so
 *   delivery to any t is one multiplication (project).  The next event is
 *   the earliest of: the running bolus's end, a rate change, ERI, EOS, a
 *   silence running out, and the reservoir crossing the low threshold or
 *   emptying, found by bisection on project (it is monotone).
 */
#include "pump/pump_int.h"


typedef struct proj {
	uint64_t basal;   /* ng of basal on (now, t] */
	uint64_t bolus;   /* ng of bolus on (now, t] */
	uint64_t rem;     /* basal remainder at t */
} proj;

/* Delivery on (now, t] assuming it is flowing and no rate changes inside;
 * cut at the reservoir's drug (basal first). */
static void project(const pump *p, int64_t t, proj *o)
{
	/* a bridge bolus delivers the old drug at the old dose rate in the
	 * basal's place: the basal pauses while it runs */
	bool bridge = p->bolus_running &&
	              pump_hist_cat(p, p->hist_count - 1)->kind == PUMP_KIND_BRIDGE;
	o->basal = pump_basal_for(p->basal_rem,
	                          bridge ? 0 : pump_rate_at(&p->rx, p->now_ms),
	                          t - p->now_ms, &o->rem);
	o->bolus = 0;
	if (p->bolus_running) {
		const pump_bolus_rec *b = pump_hist_cat(p, p->hist_count - 1);
		o->bolus = pump_bolus_done_at(b, t) - b->done_ng;
	}
	uint64_t room = p->fill_drug_ng - p->drawn_ng;
	if (o->basal > room) {
		o->basal = room;
		o->bolus = 0;
	} else if (o->basal + o->bolus > room) {
		o->bolus = room - o->basal;
	}
}

void pump_deliver_to(pump *p, int64_t t)
{
	if (t <= p->now_ms)
		return;
	if (pump_delivering(p)) {
		proj o;
		project(p, t, &o);
		p->drawn_ng += o.basal + o.bolus;
		p->basal_ng += o.basal;
		p->bolus_ng += o.bolus;
		p->basal_rem = o.rem;
		if (p->bolus_running)
			pump_hist_last(p)->done_ng += (uint32_t)o.bolus;
	}
	p->now_ms = t;
}

/* ---- event search -------------------------------------------------------- */

/* True when delivering to t would cross the low threshold (if that alarm is
 * not raised yet) or empty the reservoir. */
static bool crosses(const pump *p, int64_t t)
{
	proj o;
	project(p, t, &o);
	uint64_t drawn = p->drawn_ng + o.basal + o.bolus;
	if (drawn >= p->fill_drug_ng)
		return true;
	return !p->alarms[PUMP_ALARM_LOW_RESERVOIR].active &&
	       pump_res_from(p, drawn) <= p->rx.low_threshold_nl;
}

/* The first event strictly after now; crossings searched only up to limit
 * (a value > limit means "nothing up to limit"). */
static int64_t next_event_until(const pump *p, int64_t limit)
{
	int64_t h = INT64_MAX, now = p->now_ms;
	bool d = pump_delivering(p);
	if (d && p->bolus_running)
		h = pump_min64(h, pump_hist_cat(p, p->hist_count - 1)->end_ms);
	if (d)
		h = pump_min64(h, pump_next_rate_change(&p->rx, now));
	if (!p->alarms[PUMP_ALARM_ERI].active && pump_eri_at(p) > now)
		h = pump_min64(h, pump_eri_at(p));
	if (!p->alarms[PUMP_ALARM_EOS].active && p->eos_ms > now)
		h = pump_min64(h, p->eos_ms);
	for (int i = PUMP_ALARM_FIRST; i < PUMP_ALARM__COUNT; i++) {
		const pump_alarm_state *a = &p->alarms[i];
		if (a->active && a->silenced_until_ms > now)
			h = pump_min64(h, a->silenced_until_ms);
	}
	if (d) {
		int64_t hi = pump_min64(h, limit);
		if (hi > now + 100 * 366 * PUMP_DAY)
			hi = now + 100 * 366 * PUMP_DAY;
		if (hi > now && crosses(p, hi))   /* crosses(now) is false: settled */
			h = pump_first_true(p, now, hi, crosses);
	}
	return h;
}

int64_t pump_next_event(const pump *p)
{
	return p ? next_event_until(p, INT64_MAX) : INT64_MAX;
}

void pump_advance(pump *p, int64_t now_ms, pump_event_fn cb, void *ud)
{
	if (!p)
		return;
	pump_sink s = { cb, ud };
	int64_t target = pump_tclamp(p, now_ms);
	for (;;) {
		int64_t step = pump_delivering(p)
		                   ? pump_next_rate_change(&p->rx, p->now_ms)
		                   : INT64_MAX;
		int64_t t = next_event_until(p, target);
		if (t > target) {
			pump_deliver_to(p, target);
			return;
		}
		pump_deliver_to(p, t);
		pump_settle(p, &s);
		if (t == step && pump_delivering(p))
			pump_emit(&s, PUMP_EV_STEP_CHANGE, PUMP_ALARM_NONE, t,
			          pump_rate_at(&p->rx, t));
	}
}
