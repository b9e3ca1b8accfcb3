/*
 * pump/pump.c — the pump's life cycle and the actions that change it from
 * outside: a new pump, reprogramming, refill, clinician stop and start, and
 * the tester's faults.  Every action first runs delivery up to its time
 * (pump_deliver.c), then acts, then settles what became due (pump_alarm.c).
 * Pure: no I/O, no clock reads, no allocation.  See pump.h and pump_int.h.
 */
#include "pump/pump_int.h"

#include <string.h>

/* ---- the reservoir's fill ------------------------------------------------ */

static void set_fill(pump *p, uint32_t vol, uint32_t conc)
{
	p->fill_nl = vol;
	p->fill_conc = conc;
	p->fill_drug_ng = (uint64_t)vol * conc / PUMP_NL_PER_ML;
	p->drawn_ng = 0;
}

/* Close the current fill (what was drawn is delivered, the rest removed) and
 * start a new one. */
static void refill_to(pump *p, uint32_t vol, uint32_t conc)
{
	uint32_t left = pump_reservoir_nl(p);
	p->delivered_nl += p->fill_nl - left;
	p->removed_nl += left;
	p->filled_nl += vol;
	set_fill(p, vol, conc);
}

/* ---- life cycle ---------------------------------------------------------- */

int pump_init(pump *p, const pump_rx *rx, int64_t now_ms,
              uint32_t initial_volume_nl)
{
	if (!p || !rx)
		return PUMP_E_INVAL;
	int rc = pump_rx_validate(rx, NULL);
	if (rc < 0)
		return rc;
	if (initial_volume_nl > rx->capacity_nl || now_ms < 0 ||
	    now_ms > PUMP_TIME_MAX)
		return PUMP_E_RANGE;
	pump q;
	memset(&q, 0, sizeof q);
	q.rx = *rx;
	q.now_ms = q.created_ms = now_ms;
	q.running = true;
	q.reach_pct = 100;
	set_fill(&q, initial_volume_nl, rx->concentration_ng_ml);
	q.filled_nl = initial_volume_nl;
	q.eos_ms = now_ms + (int64_t)rx->battery_life_days * PUMP_DAY;
	q.prog_changed_ms = now_ms - PUMP_DAY;
	q.peak_rate_ng_day = pump_rx_max_rate(rx);
	q.change_bound_ng = q.peak_rate_ng_day;
	pump_settle(&q, NULL);
	*p = q;
	return 0;
}

/* ---- clinician ----------------------------------------------------------- */

/* Same basal schedule: the 24 h basal bound need not widen. */
static bool same_basal(const pump_rx *a, const pump_rx *b)
{
	return a->mode == b->mode && a->rate_ng_day == b->rate_ng_day &&
	       a->n_steps == b->n_steps &&
	       memcmp(a->steps, b->steps, sizeof a->steps) == 0 &&
	       pump_zone_same(&a->zone, &b->zone);
}

int pump_program(pump *p, int64_t now_ms, const pump_rx *rx,
                 const char **field_out, pump_event_fn cb, void *ud)
{
	if (field_out)
		*field_out = NULL;
	if (!p || !rx)
		return PUMP_E_INVAL;
	int rc = pump_rx_validate(rx, field_out);
	if (rc < 0)
		return rc;
	if (rx->concentration_ng_ml != p->rx.concentration_ng_ml) {
		if (field_out)
			*field_out = "concentration_ng_ml";
		return PUMP_E_RANGE;
	}
	if (rx->capacity_nl != p->rx.capacity_nl) {
		if (field_out)
			*field_out = "capacity_nl";
		return PUMP_E_RANGE;
	}
	/* decide on a copy so a refusal changes nothing, not even the time;
	 * the events on the way are told only when the program is taken */
	pump q = *p;
	pump_advance(&q, now_ms, NULL, NULL);
	int64_t t = q.now_ms;
	uint32_t peak = pump_rx_max_rate(&q.rx);
	if (q.prog_changed_ms > t - PUMP_DAY && q.peak_rate_ng_day > peak)
		peak = q.peak_rate_ng_day;
	if (pump_rx_max_rate(rx) > peak)
		peak = pump_rx_max_rate(rx);
	bool same = same_basal(&q.rx, rx);
	uint32_t change = same ? 0 : pump_change_bound(&q, rx, t, peak);
	uint64_t bound = same ? pump_basal_bound(&q, t) : (uint64_t)change;
	/* every 24 h window still to end must hold the boluses already given
	 * (as they lie in it) beside the new program's basal */
	if (rx->ceiling_ng_24h != 0 &&
	    bound + pump_bolus_window_ng(&q, t - PUMP_DAY) > rx->ceiling_ng_24h) {
		if (field_out)
			*field_out = "ceiling_ng_24h";
		return PUMP_E_CEILING;
	}
	uint32_t life = q.rx.battery_life_days;
	if (!same) {
		q.prog_changed_ms = t;
		q.peak_rate_ng_day = peak;
		q.change_bound_ng = change;
	}
	/* taken: from the pump as it was, the events up to now, then its own */
	pump_sink s = { cb, ud };
	pump_advance(p, now_ms, cb, ud);
	q.rx = *rx;
	q.rx.battery_life_days = life;
	pump_emit(&s, PUMP_EV_PROGRAMMED, PUMP_ALARM_NONE, t, 0);
	/* a threshold lowered below what is left: the cause is gone */
	pump_alarm_drop_reservoir(&q, t, &s);
	pump_settle(&q, &s);
	*p = q;
	return 0;
}

/* The withdrawn volume's tolerance.  The pump does not measure what is in
 * its reservoir: it computes it from what it should have delivered.  Two
 * things make an honest withdrawal differ from that: the mechanism's flow
 * accuracy (a SynchroMed-class pump is specified to about +-15% of the
 * volume it delivers; beyond it the makers call it over- or
 * underinfusion), and the withdrawal itself (what the needle, the tubing of
 * the refill kit and the reservoir's corners keep: taken as 0.5 mL).  A
 * difference beyond both is a sign of a pump not delivering (more left than
 * expected), of overinfusion or a leak (less), or of a wrong previous
 * refill (a pocket fill): the clinician should look before refilling. */
uint32_t pump_refill_tolerance(uint32_t delivered_nl)
{
	return (uint32_t)((uint64_t)delivered_nl * 15u / 100u) + 500000u;
}

int pump_refill_checked(pump *p, int64_t now_ms, uint32_t volume_nl,
                        uint32_t concentration_ng_ml, int64_t withdrawn_nl,
                        pump_refill_result *out, const char **field_out,
                        pump_event_fn cb, void *ud)
{
	if (field_out)
		*field_out = NULL;
	if (!p)
		return PUMP_E_INVAL;
	pump_rx rx = p->rx;
	rx.concentration_ng_ml = concentration_ng_ml;
	if (volume_nl < 1 || volume_nl > p->rx.capacity_nl) {
		if (field_out)
			*field_out = "volume_nl";
		return PUMP_E_RANGE;
	}
	if (pump_rx_validate(&rx, NULL) < 0) {
		if (field_out)
			*field_out = "concentration_ng_ml";
		return PUMP_E_RANGE;
	}
	if (withdrawn_nl > (int64_t)p->rx.capacity_nl) {
		if (field_out)
			*field_out = "withdrawn_nl";
		return PUMP_E_RANGE;
	}
	pump_sink s = { cb, ud };
	pump_advance(p, now_ms, cb, ud);
	pump_refill_result r;
	memset(&r, 0, sizeof r);
	r.expected_nl = pump_reservoir_nl(p);
	r.tolerance_nl = pump_refill_tolerance(p->fill_nl - r.expected_nl);
	if (withdrawn_nl >= 0) {
		uint32_t w = (uint32_t)withdrawn_nl;
		r.checked = true;
		r.withdrawn_nl = w;
		r.discrepancy = (w > r.expected_nl ? w - r.expected_nl
		                                   : r.expected_nl - w) > r.tolerance_nl;
	}
	if (concentration_ng_ml != p->fill_conc) {
		/* tubing and catheter still hold the old drug: a bridge bolus is
		 * due, at the old concentration and the basal rate of now */
		uint32_t r0 = pump_rate_at(&p->rx, p->now_ms);
		p->bridge_conc = r0 ? p->fill_conc : 0;
		p->bridge_rate_ng_day = r0;
	}
	refill_to(p, volume_nl, concentration_ng_ml);
	p->rx.concentration_ng_ml = concentration_ng_ml;
	pump_emit(&s, PUMP_EV_REFILLED, PUMP_ALARM_NONE, p->now_ms, volume_nl);
	pump_alarm_drop_reservoir(p, p->now_ms, &s);
	pump_settle(p, &s);
	if (out) {
		pump_snapshot snap;
		pump_status(p, p->now_ms, &snap);
		r.bridge_due = pump_bridge_due(p);
		r.next_refill_ms = snap.next_refill_ms;
		*out = r;
	}
	return 0;
}

int pump_refill(pump *p, int64_t now_ms, uint32_t volume_nl,
                uint32_t concentration_ng_ml, pump_event_fn cb, void *ud)
{
	return pump_refill_checked(p, now_ms, volume_nl, concentration_ng_ml, -1,
	                           NULL, NULL, cb, ud);
}

int pump_set_running(pump *p, int64_t now_ms, bool running, pump_event_fn cb,
                     void *ud)
{
	if (!p)
		return PUMP_E_INVAL;
	pump_sink s = { cb, ud };
	pump_advance(p, now_ms, cb, ud);
	p->running = running;
	pump_emit(&s, running ? PUMP_EV_STARTED : PUMP_EV_STOPPED, PUMP_ALARM_NONE, p->now_ms, 0);
	pump_settle(p, &s);   /* a stop cuts a running bolus short */
	return 0;
}

/* ---- tester -------------------------------------------------------------- */

int pump_fault(pump *p, int64_t now_ms, int kind, uint32_t arg,
               pump_event_fn cb, void *ud)
{
	if (!p || kind < PUMP_FAULT_MOTOR_STALL || kind >= PUMP_FAULT__COUNT)
		return PUMP_E_INVAL;
	if (kind == PUMP_FAULT_RESERVOIR && arg > p->rx.capacity_nl)
		return PUMP_E_RANGE;
	if (kind == PUMP_FAULT_OCCLUSION && arg > 100)
		return PUMP_E_RANGE;
	if (kind == PUMP_FAULT_STALL_FOR &&
	    (arg < 1 || (int64_t)arg > PUMP_STALL_FOR_MAX))
		return PUMP_E_RANGE;
	pump_sink s = { cb, ud };
	pump_advance(p, now_ms, cb, ud);
	int64_t t = p->now_ms;
	pump_emit(&s, PUMP_EV_FAULT, PUMP_ALARM_NONE, t, kind);
	switch (kind) {
	case PUMP_FAULT_MOTOR_STALL:
		p->stall_until_ms = 0;   /* permanent, an intermittent one too */
		pump_alarm_raise(p, PUMP_ALARM_MOTOR_STALL, t, &s);
		break;
	case PUMP_FAULT_STALL_FOR:
		/* a permanent stall stays permanent; a running one is renewed */
		if (!p->alarms[PUMP_ALARM_MOTOR_STALL].active || p->stall_until_ms)
			p->stall_until_ms = pump_tclamp(p, t + (int64_t)arg);
		pump_alarm_raise(p, PUMP_ALARM_MOTOR_STALL, t, &s);
		break;
	case PUMP_FAULT_OCCLUSION:
		p->reach_pct = arg;
		break;
	case PUMP_FAULT_MEMORY:
		pump_alarm_raise(p, PUMP_ALARM_MEMORY, t, &s);
		break;
	case PUMP_FAULT_MEMORY_CRITICAL:
		pump_alarm_raise(p, PUMP_ALARM_MEMORY_CRITICAL, t, &s);
		break;
	case PUMP_FAULT_BATTERY_ERI:
		if (p->eos_ms > t + PUMP_ERI_BEFORE_EOS_MS)
			p->eos_ms = t + PUMP_ERI_BEFORE_EOS_MS;
		break;
	case PUMP_FAULT_BATTERY_EOS:
		if (p->eos_ms > t)
			p->eos_ms = t;
		break;
	case PUMP_FAULT_BATTERY_NEW:
		p->eos_ms = t + (int64_t)p->rx.battery_life_days * PUMP_DAY;
		pump_alarm_drop(p, PUMP_ALARM_ERI, t, &s);
		pump_alarm_drop(p, PUMP_ALARM_EOS, t, &s);
		break;
	case PUMP_FAULT_RESERVOIR:
		refill_to(p, arg, p->fill_conc);
		pump_alarm_drop_reservoir(p, t, &s);
		break;
	}
	pump_settle(p, &s);
	return 0;
}

/* ---- silence and clear --------------------------------------------------- */

int pump_silence(pump *p, int64_t now_ms, int alarm, pump_event_fn cb,
                 void *ud)
{
	if (!p || alarm < PUMP_ALARM_ALL || alarm >= PUMP_ALARM__COUNT)
		return PUMP_E_INVAL;
	pump_sink s = { cb, ud };
	pump_advance(p, now_ms, cb, ud);
	int n = 0;
	for (int i = PUMP_ALARM_FIRST; i < PUMP_ALARM__COUNT; i++)
		n += (alarm == PUMP_ALARM_ALL || i == alarm) && p->alarms[i].active;
	if (!n)
		return PUMP_E_NOT_ACTIVE;
	for (int i = PUMP_ALARM_FIRST; i < PUMP_ALARM__COUNT; i++) {
		if ((alarm != PUMP_ALARM_ALL && i != alarm) || !p->alarms[i].active)
			continue;
		/* one already silenced is silenced again, for as long */
		p->alarms[i].silenced_until_ms = p->now_ms + p->rx.silence_ms;
		pump_emit(&s, PUMP_EV_ALARM_SILENCED, i, p->now_ms,
		          p->alarms[i].silenced_until_ms);
	}
	return 0;
}

int pump_clear(pump *p, int64_t now_ms, int alarm, pump_event_fn cb, void *ud)
{
	if (!p || alarm < PUMP_ALARM_FIRST || alarm >= PUMP_ALARM__COUNT)
		return PUMP_E_INVAL;
	/* decided on a copy: a refusal changes nothing, not even the time */
	pump q = *p;
	pump_advance(&q, now_ms, NULL, NULL);
	if (!q.alarms[alarm].active)
		return PUMP_E_NOT_ACTIVE;
	if (pump_alarm_cause(&q, alarm))
		return PUMP_E_CAUSE;
	pump_sink s = { cb, ud };
	pump_advance(p, now_ms, cb, ud);
	pump_alarm_drop(p, alarm, p->now_ms, &s);
	if (alarm == PUMP_ALARM_MOTOR_STALL)
		p->stall_until_ms = 0;   /* an intermittent one ends with it */
	pump_settle(p, &s);
	return 0;
}
