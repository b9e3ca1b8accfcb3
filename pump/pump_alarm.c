/*
 * pump/pump_alarm.c — alarms and battery: what raises each alarm and what
 * is due at a moment (settling).  Pure: no I/O, no allocation.
 *
 * Priorities (IEC 60601-1-8 style, see pump.h): the critical alarms (drug is
 * not flowing) are high; low reservoir and ERI are medium; the non-critical
 * memory error is low.  An alarm is raised once (its raised_ms is the exact
 * ms of the cause), may be silenced until now + silence_ms (it sounds again
 * then, while it is still active), and is cleared only when its cause is
 * gone: the reservoir alarms by a refill (or a lower threshold), ERI and EOS
 * by a new battery, the latched faults by the clinician.
 */
#include "pump/pump_int.h"

#include <string.h>

/* ---- raise, drop, cause -------------------------------------------------- */

void pump_alarm_raise(pump *p, int id, int64_t t, pump_sink *s)
{
	pump_alarm_state *a = &p->alarms[id];
	if (a->active)
		return;
	a->active = true;
	a->raised_ms = t;
	a->silenced_until_ms = 0;
	pump_emit(s, PUMP_EV_ALARM_RAISED, id, t, 0);
	if (pump_alarm_is_critical(id) && p->bolus_running)
		pump_finish_bolus(p, t, s);
}

void pump_alarm_drop(pump *p, int id, int64_t t, pump_sink *s)
{
	if (!p->alarms[id].active)
		return;
	memset(&p->alarms[id], 0, sizeof p->alarms[id]);
	pump_emit(s, PUMP_EV_ALARM_CLEARED, id, t, 0);
}

bool pump_alarm_cause(const pump *p, int id)
{
	switch (id) {
	case PUMP_ALARM_LOW_RESERVOIR:
		return pump_reservoir_nl(p) <= p->rx.low_threshold_nl;
	case PUMP_ALARM_EMPTY:
		return p->drawn_ng >= p->fill_drug_ng;
	case PUMP_ALARM_ERI:
		return p->now_ms >= pump_eri_at(p);
	case PUMP_ALARM_EOS:
		return p->now_ms >= p->eos_ms;
	default:
		return false; /* latched faults: the clinician's clear is the fix */
	}
}

void pump_alarm_drop_reservoir(pump *p, int64_t t, pump_sink *s)
{
	if (!pump_alarm_cause(p, PUMP_ALARM_LOW_RESERVOIR))
		pump_alarm_drop(p, PUMP_ALARM_LOW_RESERVOIR, t, s);
	if (!pump_alarm_cause(p, PUMP_ALARM_EMPTY))
		pump_alarm_drop(p, PUMP_ALARM_EMPTY, t, s);
}

void pump_settle(pump *p, pump_sink *s)
{
	int64_t t = p->now_ms;
	if (p->stall_until_ms && t >= p->stall_until_ms) {
		/* an intermittent stall is over: the motor turns again */
		p->stall_until_ms = 0;
		pump_alarm_drop(p, PUMP_ALARM_MOTOR_STALL, t, s);
	}
	if (p->bolus_running && t >= pump_hist_last(p)->end_ms)
		pump_finish_bolus(p, t, s);
	if (pump_alarm_cause(p, PUMP_ALARM_EMPTY))
		pump_alarm_raise(p, PUMP_ALARM_EMPTY, t, s);
	if (pump_alarm_cause(p, PUMP_ALARM_LOW_RESERVOIR))
		pump_alarm_raise(p, PUMP_ALARM_LOW_RESERVOIR, t, s);
	if (pump_alarm_cause(p, PUMP_ALARM_ERI))
		pump_alarm_raise(p, PUMP_ALARM_ERI, t, s);
	if (pump_alarm_cause(p, PUMP_ALARM_EOS))
		pump_alarm_raise(p, PUMP_ALARM_EOS, t, s);
	if (p->bolus_running && !pump_delivering(p))
		pump_finish_bolus(p, t, s);
	for (int i = PUMP_ALARM_FIRST; i < PUMP_ALARM__COUNT; i++) {
		pump_alarm_state *a = &p->alarms[i];
		if (a->active && a->silenced_until_ms != 0 &&
		    a->silenced_until_ms <= t) {
			a->silenced_until_ms = 0;
			pump_emit(s, PUMP_EV_ALARM_RESOUND, i, t, 0);
		}
	}
}
