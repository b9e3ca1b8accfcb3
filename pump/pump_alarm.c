/*
 * pump/pump_alarm.c — alarms and battery: what raises each alarm, what is
 * due at a moment (settling), silence and clear.  Pure: no I/O, no
 * allocation.
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

void pump_emit(pump_sink *s, int kind, int alarm, int64_t at, int64_t value)
{
	if (!s || !s->cb)
		return;
	pump_event ev = { .kind = kind, .alarm = alarm, .at_ms = at,
	                  .value = value };
	s->cb(s->ud, &ev);
}

/* ---- state predicates ---------------------------------------------------- */

static const int critical_order[] = {
	PUMP_ALARM_EMPTY, PUMP_ALARM_EOS, PUMP_ALARM_MOTOR_STALL,
	PUMP_ALARM_MEMORY_CRITICAL,
};

bool pump_critical_active(const pump *p, int *which)
{
	for (size_t i = 0; i < sizeof critical_order / sizeof critical_order[0];
	     i++)
		if (p->alarms[critical_order[i]].active) {
			if (which)
				*which = critical_order[i];
			return true;
		}
	return false;
}

bool pump_delivering(const pump *p)
{
	return p->running && p->rx.mode != PUMP_MODE_STOPPED &&
	       !pump_critical_active(p, NULL);
}

int64_t pump_eri_at(const pump *p)
{
	return p->eos_ms - PUMP_ERI_BEFORE_EOS_MS;
}

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

/* ---- patient and clinician ----------------------------------------------- */

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
	pump_settle(p, &s);
	return 0;
}
